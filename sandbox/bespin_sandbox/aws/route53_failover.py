"""Route53 health-check status and failover answers, which moto 5.2.5 does not model.

moto keeps health checks and failover record sets but never evaluates them:
GetHealthCheckStatus always reports success, and TestDNSAnswer is not
implemented at all. A DR drill needs both, so the sandbox keeps a status per
health check (healthy unless set otherwise) that:

- ``/bespin-api/route53/health-checks/<id>/status`` reads (GET) and sets
  (PUT ``{"status": "healthy"|"unhealthy"}``): the sandbox's stand-in for the
  endpoint really going down, since no checker probes anything here;
- GetHealthCheckStatus reports (a failure observation while unhealthy);
- TestDNSAnswer uses to pick what Route53 would answer: among failover records,
  PRIMARY while its health check is healthy (or it has none), else SECONDARY
  when that one is healthy, else PRIMARY again (as Route53 does when both fail).

Alias records answer their alias target's DNS name: the sandbox cannot resolve an
ALB or CloudFront name to addresses, which Route53 itself would return.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID
from moto.route53 import responses as moto_responses
from moto.route53.exceptions import NoSuchHostedZone
from moto.route53.models import route53_backends

_lock = threading.Lock()
_unhealthy: set[str] = set()  # health check ids set unhealthy; every other check is healthy
XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"


def _backend(account_id: str) -> Any:
    return route53_backends[account_id]["aws"]


def status(health_check_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> dict | None:
    """{"id", "status"} of an existing health check, None when moto does not know it."""
    if health_check_id not in _backend(account_id).health_checks:
        return None
    with _lock:
        unhealthy = health_check_id in _unhealthy
    return {"id": health_check_id, "status": "unhealthy" if unhealthy else "healthy"}


def set_status(health_check_id: str, value: str, account_id: str = DEFAULT_ACCOUNT_ID) -> dict | None:
    if value not in ("healthy", "unhealthy"):
        raise ValueError(f"status must be healthy or unhealthy, not {value!r}")
    if health_check_id not in _backend(account_id).health_checks:
        return None
    with _lock:
        (_unhealthy.add if value == "unhealthy" else _unhealthy.discard)(health_check_id)
    return status(health_check_id, account_id)


def reset() -> int:
    with _lock:
        count = len(_unhealthy)
        _unhealthy.clear()
    return count


def _healthy(backend: Any, health_check_id: str | None) -> bool:
    """As Route53 evaluates it: no check is healthy, a disabled one too, an inverted one flips."""
    if not health_check_id:
        return True
    check = backend.health_checks.get(health_check_id)
    if check is None or check.disabled:
        return True
    with _lock:
        healthy = health_check_id not in _unhealthy
    return healthy != bool(check.inverted)


def install() -> None:
    """GetHealthCheckStatus reports the status kept here."""
    original = moto_responses.Route53.get_health_check_status
    if getattr(original, "_bespin", False):
        return

    def get_health_check_status(self: Any) -> Any:
        result = original(self)
        health_check_id = self._get_param("HealthCheckId")
        if not _healthy(self.backend, health_check_id):
            for observation in result.result["HealthCheckObservations"]:
                observation["StatusReport"]["Status"] = "Failure: set unhealthy through the sandbox's bespin-api"
        return result

    get_health_check_status._bespin = True  # type: ignore[attr-defined]
    moto_responses.Route53.get_health_check_status = get_health_check_status


def _same_name(a: str, b: str) -> bool:
    return a.rstrip(".").lower() == b.rstrip(".").lower()


def _values(record: Any) -> list[str]:
    if record.alias_target:
        return [record.alias_target["DNSName"].rstrip(".")]
    return list(record.records or [])


def answer(account_id: str, zone_id: str, name: str, record_type: str) -> tuple[str, list[str]]:
    """(response code, record data) Route53 would give for name/type in the zone."""
    backend = _backend(account_id)
    zone = backend.get_hosted_zone(zone_id)
    at_name = [r for r in zone.rrsets if _same_name(r.name, name)]
    if not at_name:
        return "NXDOMAIN", []
    records = [r for r in at_name if r.type == record_type] or [r for r in at_name if r.type == "CNAME"]
    failover = {r.failover: r for r in records if r.failover}
    if failover:
        primary, secondary = failover.get("PRIMARY"), failover.get("SECONDARY")
        if primary is not None and _healthy(backend, primary.health_check_id):
            chosen = primary
        elif secondary is not None and _healthy(backend, secondary.health_check_id):
            chosen = secondary
        else:
            chosen = primary or secondary
        return "NOERROR", _values(chosen)
    return "NOERROR", [value for r in records for value in _values(r)]


def test_dns_answer(account_id: str, environ: dict, start_response: Any) -> Any:
    """The TestDNSAnswer REST call (GET /2013-04-01/testdnsanswer?hostedzoneid=...&recordname=...&recordtype=...)."""
    query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", "")))
    name, record_type = query.get("recordname", ""), query.get("recordtype", "A").upper()
    try:
        code, data = answer(account_id, query.get("hostedzoneid", ""), name, record_type)
    except NoSuchHostedZone as exc:
        body = (
            f'<?xml version="1.0"?><ErrorResponse xmlns="{XMLNS}"><Error><Type>Sender</Type>'
            f"<Code>NoSuchHostedZone</Code><Message>{escape(str(exc))}</Message></Error></ErrorResponse>"
        ).encode()
        start_response("404 Not Found", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
        return [body]
    entries = "".join(f"<RecordDataEntry>{escape(value)}</RecordDataEntry>" for value in data)
    body = (
        f'<?xml version="1.0"?><TestDNSAnswerResponse xmlns="{XMLNS}">'
        f"<Nameserver>ns-sandbox.awsdns.example</Nameserver><RecordName>{escape(name)}</RecordName>"
        f"<RecordType>{escape(record_type)}</RecordType><RecordData>{entries}</RecordData>"
        f"<ResponseCode>{code}</ResponseCode><Protocol>UDP</Protocol></TestDNSAnswerResponse>"
    ).encode()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]
