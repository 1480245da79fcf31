"""The read API the enforcement side (API Gateway's data plane, the WAF engine) uses; no request context needed.

- ``web_acl_for_resource(store, resource_arn)``: the web ACL associated with a resource, as GetWebACL returns it,
  with every IP set, regex pattern set and rule group it references (and those the rule groups reference) resolved
  into ``EnforcedAcl.ip_sets`` / ``regex_sets`` / ``rule_groups`` by ARN; None when nothing is associated.
  An FMS-managed web ACL's Rules are Firewall Manager's first rule groups, the account's rules, then the last rule
  groups (``effective_rules``).
- ``change_stamp(store, resource_arn)``: a cheap value that changes whenever the association, the web ACL or any
  entity it references changes (each entity's version counter goes up on every update), so an enforcement point
  can poll it every second and reload only when it differs.
- ``record_sample(store, ...)``: one sampled request for GetSampledRequests (kept three hours).
- ``record_rate_keys(store, ...)``: the addresses a rate-based rule currently limits, for
  GetRateBasedStatementManagedKeys.
- ``logging_configuration(store, web_acl_arn)``: the web ACL's LoggingConfiguration (PutLoggingConfiguration's
  document), or None; not part of the change stamp, so an enforcement point polls it beside the stamp.

Services never import each other: an enforcement point in another service reaches this module through the
registry's provider lookup or is wired by the server; this module imports only the store and this package's model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core.clock import clock
from strongroom.services.wafv2 import documents
from strongroom.services.wafv2.model import associations, entities, logging_configs, rate_keys, samples

if TYPE_CHECKING:
    from strongroom.store.engine import Store

SAMPLE_RETENTION = timedelta(hours=3)
Stamp = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class EnforcedAcl:
    web_acl_arn: str
    stamp: Stamp
    web_acl: dict[str, Any]  # Name, Id, ARN, DefaultAction, Rules, VisibilityConfig, CustomResponseBodies, ...
    ip_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> {IPAddressVersion, Addresses}
    regex_sets: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> {RegularExpressionList}
    rule_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # ARN -> {Rules, VisibilityConfig, ...}


def _closure(store: Store, acl: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The rows the web ACL references, directly or through its rule groups."""
    seen: dict[str, Mapping[str, Any]] = {}
    pending = set(json.loads(acl["refs"]))
    with store.read() as conn:
        while pending:
            rows = conn.execute(select(entities).where(entities.c.arn.in_(sorted(pending)))).all()
            pending = set()
            for row in rows:
                seen[row.arn] = dict(row._mapping)
                pending.update(a for a in json.loads(row.refs) if a not in seen)
    return list(seen.values())


def _acl_row(store: Store, resource_arn: str) -> Mapping[str, Any] | None:
    with store.read() as conn:
        row = conn.execute(
            select(entities)
            .join(associations, associations.c.web_acl_arn == entities.c.arn)
            .where(associations.c.resource_arn == resource_arn)
        ).one_or_none()
    return None if row is None else dict(row._mapping)


def _stamp(acl: Mapping[str, Any], refs: Iterable[Mapping[str, Any]]) -> Stamp:
    return (acl["arn"], acl["version"], tuple(sorted((r["arn"], r["version"]) for r in refs)))


def change_stamp(store: Store, resource_arn: str) -> Stamp | None:
    acl = _acl_row(store, resource_arn)
    return None if acl is None else _stamp(acl, _closure(store, acl))


def web_acl_for_resource(store: Store, resource_arn: str) -> EnforcedAcl | None:
    acl = _acl_row(store, resource_arn)
    if acl is None:
        return None
    refs = _closure(store, acl)
    doc = documents.loads(acl["document"])
    fms = doc.pop("FirewallManager", None)
    if fms:
        doc["Rules"] = effective_rules(fms.get("Pre") or [], doc.get("Rules") or [], fms.get("Post") or [])
    web_acl = {"Name": acl["name"], "Id": acl["id"], "ARN": acl["arn"], "Capacity": acl["capacity"], **doc}
    web_acl["LabelNamespace"] = f"awswaf:{acl['account_id']}:webacl:{acl['name']}:"
    out = EnforcedAcl(acl["arn"], _stamp(acl, refs), web_acl)
    for row in refs:
        body = documents.loads(row["document"])
        if row["kind"] == "ipset":
            out.ip_sets[row["arn"]] = body
        elif row["kind"] == "regexpatternset":
            out.regex_sets[row["arn"]] = body
        elif row["kind"] == "rulegroup":
            body["LabelNamespace"] = f"awswaf:{row['account_id']}:rulegroup:{row['name']}:"
            out.rule_groups[row["arn"]] = body
    return out


def effective_rules(
    pre: list[dict[str, Any]], own: list[dict[str, Any]], post: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """An FMS-managed web ACL's rules as AWS WAF runs them: Firewall Manager's first rule groups, the account's own
    rules, Firewall Manager's last rule groups, each set in its Priority order (renumbered into one sequence)."""

    def ordered(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted(rules, key=lambda r: int(r.get("Priority", 0)))

    def as_rule(group: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": group["Name"],
            "Statement": dict(group["FirewallManagerStatement"]),
            "OverrideAction": group.get("OverrideAction") or {"None": {}},
            "VisibilityConfig": group["VisibilityConfig"],
        }

    sequence = [*map(as_rule, ordered(pre)), *ordered(own), *map(as_rule, ordered(post))]
    return [{**rule, "Priority": n} for n, rule in enumerate(sequence)]


def logging_configuration(store: Store, web_acl_arn: str) -> dict[str, Any] | None:
    with store.read() as conn:
        document = conn.execute(
            select(logging_configs.c.document).where(logging_configs.c.web_acl_arn == web_acl_arn)
        ).scalar_one_or_none()
    if document is None:
        return None
    config: dict[str, Any] = json.loads(document)
    return config


def record_sample(
    store: Store,
    web_acl_arn: str,
    metric_name: str,
    request: Mapping[str, Any],
    action: str,
    *,
    labels: Iterable[str] = (),
    weight: int = 1,
    rule_name_within_rule_group: str | None = None,
    response_code: int | None = None,
    at: datetime | None = None,
) -> None:
    """Record one sampled request (``request``: the HTTPRequest shape — ClientIP, Country, URI, Method,
    HTTPVersion, Headers [{Name, Value}]) under the metric name of the rule that matched (or the web ACL's
    metric name for the default action). Samples older than three hours are dropped on the way."""
    now = at or clock.now()
    document: dict[str, Any] = {"Request": dict(request), "Weight": weight, "Action": action}
    if rule_name_within_rule_group:
        document["RuleNameWithinRuleGroup"] = rule_name_within_rule_group
    if response_code is not None:
        document["ResponseCodeSent"] = response_code
    names = list(labels)
    if names:
        document["Labels"] = [{"Name": n} for n in names]
    with store.write() as conn:
        conn.execute(
            samples.insert().values(
                web_acl_arn=web_acl_arn, metric_name=metric_name, at=now, document=json.dumps(document)
            )
        )
        conn.execute(delete(samples).where(samples.c.web_acl_arn == web_acl_arn, samples.c.at < now - SAMPLE_RETENTION))


def record_rate_keys(
    store: Store,
    web_acl_arn: str,
    rule_name: str,
    addresses: Mapping[str, datetime],
    *,
    rule_group_rule_name: str = "",
) -> None:
    """Replace the addresses (CIDR -> limited until) a rate-based rule currently limits."""
    with store.write() as conn:
        conn.execute(
            delete(rate_keys).where(
                rate_keys.c.web_acl_arn == web_acl_arn,
                rate_keys.c.rule_group == rule_group_rule_name,
                rate_keys.c.rule_name == rule_name,
            )
        )
        for address, until in addresses.items():
            conn.execute(
                rate_keys.insert().values(
                    web_acl_arn=web_acl_arn,
                    rule_group=rule_group_rule_name,
                    rule_name=rule_name,
                    address=address,
                    ip_version="IPV6" if ":" in address else "IPV4",
                    until=until,
                )
            )
