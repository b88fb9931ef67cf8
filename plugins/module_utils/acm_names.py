# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which existing ACM certificate a request is, and its DNS validation records.

Pure functions on the shapes ACM answers with (ListCertificates' summaries,
DescribeCertificate's Certificate), no boto3, for the acm_certificate_request
module; unit tests need no AWS.

Which names a certificate covers is host_names' rule.
"""

from ansible_collections.bespin.platform.plugins.module_utils.host_names import WILDCARD, normalise

# The statuses of a certificate a request may be found again in, the better first.
USABLE_STATUSES = ("ISSUED", "PENDING_VALIDATION")


def names_of(certificate):
    """The set of (normalised) names a DescribeCertificate Certificate holds."""
    names = [certificate.get("DomainName", ""), *(certificate.get("SubjectAlternativeNames") or [])]
    return {normalise(name) for name in names if name}


def wanted_names(domain_name, sans):
    """The names a request for `domain_name` with `sans` gives the certificate, sorted and normalised."""
    return sorted({normalise(domain_name)} | {normalise(name) for name in sans})


def dns_validated(certificate):
    """Whether no validation option of the certificate names a method other than DNS (a ListCertificates
    summary has none: it counts as DNS until described)."""
    options = certificate.get("DomainValidationOptions") or []
    return all(option.get("ValidationMethod", "DNS") == "DNS" for option in options)


def _rank(certificate):
    # ISSUED before PENDING_VALIDATION; then the one valid the longest, then the newest; the ARN breaks ties.
    return (
        USABLE_STATUSES.index(certificate["Status"]),
        -_epoch(certificate.get("NotAfter")),
        -_epoch(certificate.get("CreatedAt")),
        certificate.get("CertificateArn", ""),
    )


def _epoch(value):
    if value is None:
        return 0.0
    if hasattr(value, "timestamp"):
        return value.timestamp()
    return float(value)


def pick_existing(summaries_with_details, domain_name, sans):
    """The best certificate ACM issued for exactly these names, or None.

    `summaries_with_details` are certificates as DescribeCertificate gives them (its ``Certificate``), or
    ListCertificates summaries merged with that. A match is AMAZON_ISSUED, has `domain_name` as its DomainName
    and exactly {domain_name} | sans as its names; ISSUED is preferred over PENDING_VALIDATION, and any other
    status (FAILED, EXPIRED, REVOKED, VALIDATION_TIMED_OUT, INACTIVE) is never picked. One whose validation
    options name another method than DNS (EMAIL, which DNS records never validate nor renew) is not either."""
    domain = normalise(domain_name)
    wanted = set(wanted_names(domain_name, sans))
    matches = [
        certificate
        for certificate in summaries_with_details
        if certificate.get("Type") == "AMAZON_ISSUED"
        and certificate.get("Status") in USABLE_STATUSES
        and normalise(certificate.get("DomainName", "")) == domain
        and names_of(certificate) == wanted
        and dns_validated(certificate)
    ]
    return min(matches, key=_rank) if matches else None


def validation_records(certificate):
    """The CNAME records DNS validation needs, as [{domain_name, name, type, value}] sorted by name, one a distinct
    record (a wildcard and its apex share one, named by the apex), or None while ACM has not given every name its
    record yet."""
    options = certificate.get("DomainValidationOptions") or []
    if not options:
        return None
    records = {}
    for option in options:
        record = option.get("ResourceRecord")
        if not record or not record.get("Name") or not record.get("Value"):
            return None
        kind = record.get("Type", "CNAME")
        key = (normalise(record["Name"]), kind, record["Value"])
        domain = option.get("DomainName", "")
        if key in records and not records[key]["domain_name"].startswith(WILDCARD):
            continue
        records[key] = {"domain_name": domain, "name": record["Name"], "type": kind, "value": record["Value"]}
    return [records[key] for key in sorted(records)]
