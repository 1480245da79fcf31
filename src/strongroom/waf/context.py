"""What statements share: the evaluation context, compile errors, client-IP selection and label matching."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

from strongroom.waf.request import WafRequest


class WafCompileError(ValueError):
    """The web ACL (or a referenced set / group) is not something AWS would accept."""


@dataclass(slots=True)
class Ctx:
    """What one evaluation carries: the request, the clock, and the labels added so far."""

    request: WafRequest
    now: float
    body_limit: int
    labels: list[str] = field(default_factory=list)
    match_details: list[dict] = field(default_factory=list)
    rate_hits: list[dict] = field(default_factory=list)
    # transformed field values by (field spec, transformation chain): rules inspecting the same field with the
    # same transformations share one extraction, as AWS advises for rule design
    transformed: dict[str, list[bytes] | bool] = field(default_factory=dict)
    # the set leaves' matches by field scan (waf/scan.py): each field is scanned once for all its patterns
    scans: dict[int, set[int] | bool] = field(default_factory=dict)
    signatures: dict[str, int] = field(default_factory=dict)  # field -> transforms.signature of its values
    detections: dict[tuple[str, bytes], bool] = field(default_factory=dict)  # (SQLi/XSS test, value) -> verdict

    def add_label(self, label: str) -> None:
        if label not in self.labels:
            self.labels.append(label)


Predicate = Callable[[Ctx], bool]


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip())
        return True
    except ValueError:
        return False


def forwarded_ips(req: WafRequest, header: str, position: str) -> list[str] | None:
    """The IPs a ForwardedIPConfig selects, or None when the header is missing or malformed (fallback)."""
    values = req.header_values(header)
    if not values:
        return None
    items = [p.strip() for p in ",".join(values).split(",") if p.strip()]
    if position == "ANY":
        items = items[:10]  # AWS inspects at most 10 addresses
    elif items:
        items = [items[0] if position == "FIRST" else items[-1]]
    if not items or not all(_valid_ip(i) for i in items):
        return None
    return items


def client_ips(spec: dict, fw_key: str, default_position: str) -> Callable[[WafRequest], list[str] | bool]:
    fw = spec.get(fw_key)
    if not fw:
        return lambda r: [r.source_ip]
    header, fallback, position = fw["HeaderName"], fw["FallbackBehavior"], fw.get("Position", default_position)

    def ips(r: WafRequest) -> list[str] | bool:
        got = forwarded_ips(r, header, position)
        return (fallback == "MATCH") if got is None else got

    return ips


def label_matches(label: str, key: str, scope: str) -> bool:
    """AWS: the key may be the label's trailing name (LABEL) or a run of namespace components (NAMESPACE),
    up to the fully qualified form."""
    parts = label.split(":")
    if scope == "LABEL":
        kparts = key.split(":")
        return parts[-len(kparts) :] == kparts
    kparts = [p for p in key.rstrip(":").split(":")]
    ns = parts[:-1]
    if key.startswith("awswaf:"):
        return ns[: len(kparts)] == kparts
    return any(ns[i : i + len(kparts)] == kparts for i in range(len(ns) - len(kparts) + 1))
