#!/usr/bin/python
# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# Why this module: community.aws.acm_certificate only imports a certificate made elsewhere; it cannot ask ACM to
# issue one (RequestCertificate), and amazon.aws has no ACM module at all.

DOCUMENTATION = r"""
module: acm_certificate_request
short_description: Request a DNS-validated ACM certificate, found again on every rerun
version_added: 0.1.0
author: bespin.platform maintainers (@bespin)
description:
  - Asks AWS Certificate Manager for a public certificate for O(domain_name) and O(subject_alternative_names),
    validated by DNS, and returns the CNAME records that validate it. M(community.aws.acm_certificate) only imports
    certificates; it cannot request one.
  - A rerun finds the certificate again instead of requesting a second one. The certificate found is one ACM
    issued (not imported), validated by DNS, C(ISSUED) or C(PENDING_VALIDATION), whose domain name is
    O(domain_name) and whose names are exactly these; an C(ISSUED) one is preferred over a pending one.
    Certificates that failed, expired, were revoked or timed out are ignored.
  - Every request carries an idempotency token made from the names, so a rerun within the hour that ACM's listing
    does not show the new certificate to yet gets the same certificate back, not another.
  - Waits until ACM has given every name its validation record (60 seconds at most) and, with O(wait=true), until
    the certificate is C(ISSUED).
  - Calls that are throttled or fail with a 5xx error are retried with jittered exponential backoff; ACM's answer
    that a certificate it was just asked for is not ready yet (C(RequestInProgressException)) is retried too. Errors
    that another try cannot mend (C(ValidationException), C(InvalidDomainValidationOptionsException),
    C(LimitExceededException)) fail the task at once.
options:
  domain_name:
    description:
      - The certificate's domain name, a DNS name of two labels or more, optionally a wildcard C(*.example.com).
      - Compared in lower case and without a trailing dot.
    type: str
    required: true
  subject_alternative_names:
    description:
      - The certificate's other names, DNS names as O(domain_name) is.
      - A wildcard C(*.example.com) covers one label (C(www.example.com)), not C(example.com); give both for both.
    type: list
    elements: str
    default: []
  tags:
    description:
      - Tags the request gives the certificate.
      - A certificate found again that lacks one of them, or has another value, is given it; other tags it has are
        left alone.
    type: dict
    default: {}
  wait:
    description:
      - Whether to wait until the certificate is C(ISSUED).
      - ACM issues it once the RV(validation_records) are in public DNS, so write them first (see the examples).
    type: bool
    default: false
  wait_timeout:
    description: How many seconds to wait with O(wait=true).
    type: int
    default: 300
  state:
    description: The certificate is there; removing one is not supported.
    type: str
    default: present
    choices: [present]
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Certificates are listed and described; nothing is requested or tagged, and nothing is waited for.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: The certificate's ARN, names, status (and tags, when O(tags) is given), before and after.
notes:
  - Names are checked before any call to AWS; a bad one fails the task naming its option.
  - ACM issues at most 10 names a certificate unless the account's quota was raised.
seealso:
  - module: community.aws.acm_certificate_info
  - module: amazon.aws.route53
"""

EXAMPLES = r"""
- name: Request the certificate (or find the one an earlier run requested)
  bespin.platform.acm_certificate_request:
    domain_name: petclinic.example.com
    subject_alternative_names:
      - www.petclinic.example.com
    tags:
      team: platform
  register: certificate

- name: Write the records that validate it
  amazon.aws.route53:
    state: present
    zone: example.com
    record: "{{ item.name }}"
    type: "{{ item.type }}"
    value: "{{ item.value }}"
    ttl: 300
    overwrite: true
  loop: "{{ certificate.validation_records }}"
  loop_control:
    label: "{{ item.domain_name }}"

- name: Wait until ACM has issued it (the same names find the same certificate)
  bespin.platform.acm_certificate_request:
    domain_name: petclinic.example.com
    subject_alternative_names: [www.petclinic.example.com]
    wait: true
    wait_timeout: 1800
  register: certificate
"""

RETURN = r"""
certificate_arn:
  description: The certificate's ARN; an empty string in check mode when it would be requested.
  returned: always
  type: str
  sample: arn:aws:acm:ap-northeast-2:123456789012:certificate/4e8f6c3a-1b2d-4c5e-9f7a-0d1e2f3a4b5c
status:
  description: The certificate's status, C(PENDING_VALIDATION) or C(ISSUED).
  returned: always
  type: str
  sample: PENDING_VALIDATION
domain_name:
  description: The certificate's domain name (lower case, no trailing dot).
  returned: always
  type: str
  sample: petclinic.example.com
subject_alternative_names:
  description: All the certificate's names, its domain name first, then the others sorted.
  returned: always
  type: list
  elements: str
  sample: [petclinic.example.com, www.petclinic.example.com]
validation_records:
  description:
    - The DNS records that validate the certificate, one a distinct record (a wildcard and its apex share one).
    - Empty in check mode when the certificate would be requested.
  returned: always
  type: list
  elements: dict
  contains:
    domain_name:
      description: The (first) certificate name the record validates.
      type: str
      sample: petclinic.example.com
    name:
      description: The record's name.
      type: str
      sample: _d930b28be6c5927595552b219965053e.petclinic.example.com.
    type:
      description: The record's type.
      type: str
      sample: CNAME
    value:
      description: The record's value.
      type: str
      sample: _c9edd76ee4a0e2a74388032f3861cc50.ykybfrwcxw.acm-validations.aws.
  sample:
    - domain_name: petclinic.example.com
      name: _d930b28be6c5927595552b219965053e.petclinic.example.com.
      type: CNAME
      value: _c9edd76ee4a0e2a74388032f3861cc50.ykybfrwcxw.acm-validations.aws.
"""

import hashlib
import time

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # AnsibleAWSModule reports the missing SDK
    BotoCoreError = ClientError = Exception

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (
    is_boto3_error_code,
    paginated_query_with_retries,
)
from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

from ansible_collections.bespin.platform.plugins.module_utils.acm_names import (
    pick_existing,
    validation_records,
    wanted_names,
)
from ansible_collections.bespin.platform.plugins.module_utils.aws_retry import CLIENT_CONFIG, jittered_retry
from ansible_collections.bespin.platform.plugins.module_utils.host_names import normalise, valid_domain

# ACM answers a read of a certificate it is still creating with RequestInProgressException (no write of this
# module raises it).
RETRY = jittered_retry(["RequestInProgressException"])
# Every key type, so that certificates with EC keys are listed too (ListCertificates gives RSA_2048 alone
# by default).
KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
LISTED_STATUSES = ["PENDING_VALIDATION", "ISSUED"]
RECORDS_TIMEOUT = 60  # seconds ACM may take to give each name its validation record
POLL_FIRST_DELAY = 2.0
POLL_MAX_DELAY = 15.0
TOKEN_LENGTH = 32  # RequestCertificate's IdempotencyToken: 1-32 word characters


def idempotency_token(names):
    """The same token for the same set of names, so ACM answers a repeated request with the first certificate."""
    return hashlib.sha256(",".join(sorted(names)).encode()).hexdigest()[:TOKEN_LENGTH]


def listed_names(domain_name, sans):
    """All the names, the domain name first, the others sorted."""
    domain = normalise(domain_name)
    return [domain] + [name for name in wanted_names(domain_name, sans) if name != domain]


def bad_name(params):
    """(option, value) of the first name that is not a DNS name, or None."""
    if not valid_domain(params["domain_name"]):
        return "domain_name", params["domain_name"]
    for index, name in enumerate(params["subject_alternative_names"]):
        if not valid_domain(name):
            return f"subject_alternative_names[{index}]", name
    return None


class Acm:
    """The ACM calls the module makes, each retried with jittered backoff."""

    def __init__(self, client):
        self.client = client

    def describe(self, arn):
        return self.client.describe_certificate(CertificateArn=arn, aws_retry=True)["Certificate"]

    def candidates(self, domain):
        """Described certificates with `domain` as their domain name (listed as ISSUED or pending)."""
        summaries = paginated_query_with_retries(
            self.client,
            "list_certificates",
            retry_decorator=RETRY,
            CertificateStatuses=LISTED_STATUSES,
            Includes={"keyTypes": KEY_TYPES},
        )["CertificateSummaryList"]
        found = []
        for summary in summaries:
            if normalise(summary.get("DomainName", "")) != domain:
                continue
            try:
                found.append({**summary, **self.describe(summary["CertificateArn"])})
            except is_boto3_error_code("ResourceNotFoundException"):
                continue  # deleted since it was listed
        return found

    def request(self, domain, sans, tags):
        request = dict(
            DomainName=domain,
            ValidationMethod="DNS",
            IdempotencyToken=idempotency_token([domain, *sans]),
        )
        if sans:
            request["SubjectAlternativeNames"] = sans
        if tags:
            request["Tags"] = ansible_dict_to_boto3_tag_list(tags)
        return self.client.request_certificate(aws_retry=True, **request)["CertificateArn"]

    def tags(self, arn):
        listed = self.client.list_tags_for_certificate(CertificateArn=arn, aws_retry=True).get("Tags", [])
        return boto3_tag_list_to_ansible_dict(listed)

    def add_tags(self, arn, tags):
        self.client.add_tags_to_certificate(
            CertificateArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags), aws_retry=True
        )

    def poll(self, arn, done, timeout):
        """Describe the certificate until `done(certificate)` or `timeout` seconds have passed.
        Returns (the last description, whether it is done)."""
        deadline = time.monotonic() + timeout
        delays = iter(BackoffIterator(delay=POLL_FIRST_DELAY, backoff=1.5, max_delay=POLL_MAX_DELAY, jitter=True))
        while True:
            certificate = self.describe(arn)
            if done(certificate):
                return certificate, True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return certificate, False
            time.sleep(min(max(0.5, next(delays)), remaining))


def records_text(records):
    return "; ".join(f"{record['name']} {record['type']} {record['value']}" for record in records or [])


def settled(certificate):
    return certificate.get("Status") != "PENDING_VALIDATION"


class CertificateRequest:
    def __init__(self, module, acm):
        self.module = module
        self.acm = acm
        params = module.params
        self.domain = normalise(params["domain_name"])
        self.names = listed_names(params["domain_name"], params["subject_alternative_names"])
        self.tags = {key: str(value) for key, value in params["tags"].items()}
        self.changed = False

    def fail(self, message, **result):
        self.module.fail_json(msg=message, changed=self.changed, **result)

    def view(self, arn, status, records):
        return dict(
            certificate_arn=arn,
            status=status,
            domain_name=self.domain,
            subject_alternative_names=self.names,
            validation_records=records or [],
        )

    def diff_state(self, arn, status, tags):
        state = {"certificate_arn": arn, "status": status, "domain_name": self.domain, "names": self.names}
        if self.tags:
            state["tags"] = tags
        return state

    def run(self):
        existing = pick_existing(self.acm.candidates(self.domain), self.domain, self.names[1:])
        if existing is None:
            return self.request()
        return self.found(existing)

    def request(self):
        self.changed = True
        after_tags = dict(self.tags)
        if self.module.check_mode:
            return self.view("", "PENDING_VALIDATION", []), {}, self.diff_state("", "PENDING_VALIDATION", after_tags)
        arn = self.acm.request(self.domain, self.names[1:], self.tags)
        certificate = self.records(arn)
        return self.finish(certificate), {}, self.diff_state(arn, certificate["Status"], after_tags)

    def found(self, existing):
        arn = existing["CertificateArn"]
        before_tags = self.acm.tags(arn) if self.tags else {}
        missing = {key: value for key, value in self.tags.items() if before_tags.get(key) != value}
        before = self.diff_state(arn, existing["Status"], before_tags)
        if missing:
            self.changed = True
            if not self.module.check_mode:
                self.acm.add_tags(arn, missing)
        after_tags = {**before_tags, **missing}
        if self.module.check_mode:
            result = self.view(arn, existing["Status"], validation_records(existing))
            return result, before, self.diff_state(arn, existing["Status"], after_tags)
        certificate = self.records(arn) if existing["Status"] == "PENDING_VALIDATION" else existing
        return self.finish(certificate), before, self.diff_state(arn, certificate["Status"], after_tags)

    def records(self, arn):
        """The certificate once ACM has given every name its validation record."""
        certificate, done = self.acm.poll(
            arn, lambda cert: settled(cert) or validation_records(cert) is not None, RECORDS_TIMEOUT
        )
        if not done:
            self.fail(
                f"ACM gave certificate {arn} no DNS validation record for every name within {RECORDS_TIMEOUT} "
                "seconds; run the task again later",
                **self.view(arn, certificate.get("Status", ""), validation_records(certificate)),
            )
        return certificate

    def finish(self, certificate):
        """With wait, the certificate once ISSUED; the module's result."""
        arn = certificate["CertificateArn"]
        if self.module.params["wait"] and not settled(certificate):
            certificate, done = self.acm.poll(arn, settled, self.module.params["wait_timeout"])
            if not done:
                records = validation_records(certificate)
                self.fail(
                    f"certificate {arn} is still PENDING_VALIDATION after {self.module.params['wait_timeout']} "
                    f"seconds; ACM issues it once these records are in public DNS: {records_text(records)}",
                    **self.view(arn, certificate["Status"], records),
                )
        status = certificate.get("Status", "")
        records = validation_records(certificate)
        if status not in ("ISSUED", "PENDING_VALIDATION"):
            reason = certificate.get("FailureReason") or "no failure reason given"
            self.fail(f"certificate {arn} is {status} ({reason})", **self.view(arn, status, records))
        return self.view(arn, status, records)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            domain_name=dict(type="str", required=True),
            subject_alternative_names=dict(type="list", elements="str", default=[]),
            tags=dict(type="dict", default={}),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=300),
            state=dict(type="str", default="present", choices=["present"]),
        ),
        supports_check_mode=True,
    )
    bad = bad_name(module.params)
    if bad:
        option, value = bad
        module.fail_json(
            msg=f"{option}: {value!r} is not a DNS name (two labels or more, each 1-63 letters, digits or inner "
            "hyphens, 253 characters at most, optionally after a leading '*.')"
        )
    if module.params["wait_timeout"] < 0:
        module.fail_json(msg=f"wait_timeout: must be 0 or more, got {module.params['wait_timeout']}")
    request = CertificateRequest(module, Acm(module.client("acm", retry_decorator=RETRY, config=CLIENT_CONFIG)))
    try:
        result, before, after = request.run()
    except (ClientError, BotoCoreError) as exc:
        module.fail_json_aws(
            exc, msg=f"ACM refused or failed a call for the certificate of {request.domain!r}", changed=request.changed
        )
    if module._diff:
        result["diff"] = dict(before=before, after=after)
    module.exit_json(changed=request.changed, **result)


if __name__ == "__main__":
    main()
