"""Rule groups and web ACLs (Create / Get / List / Update / Delete with lock tokens), and CheckCapacity.

Rules are checked by rules.py against references resolved here: IP sets, regex pattern sets and rule groups of the
caller's account, region and scope (an ARN of another account, region or scope is refused), and the managed
catalog. A rule group's capacity is fixed at creation and enforced on every update; a web ACL may use up to 5,000
WCUs (AWS includes 1,500 and bills beyond; more needs a quota AWS grants by hand, which Strongroom has none of).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strongroom.services.wafv2 import documents, errors
from strongroom.services.wafv2.base import FMS_KEY, WEB_ACL_MEMBERS, Row, WafBase, parse_arn
from strongroom.services.wafv2.rules import (
    RULE_GROUP_MAX_WCU,
    WEB_ACL_MAX_WCU,
    Checked,
    check_action,
    check_capacity_limit,
    check_rules,
    check_visibility,
)
from strongroom.waf.managed import managed_catalog

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_RULE_GROUP_MEMBERS = ("Rules", "VisibilityConfig", "CustomResponseBodies", "MonetizationConfig")


@dataclass(slots=True)
class StoreResolver:
    """rules.Resolver over the store, for one caller's account, region and scope."""

    base: WafBase
    account: str
    region: str
    scope: str

    def reference_ok(self, arn: str, kind: str) -> bool:
        parsed = parse_arn(arn)
        return (
            parsed is not None
            and parsed.kind == kind
            and parsed.account == self.account
            and parsed.region == self.region
            and parsed.scope == self.scope
        )

    def _entity(self, arn: str) -> Row | None:
        return self.base.by_arn(arn)

    def ip_set(self, arn: str) -> Mapping[str, Any] | None:
        return self._entity(arn)

    def regex_set(self, arn: str) -> Mapping[str, Any] | None:
        return self._entity(arn)

    def rule_group(self, arn: str) -> Mapping[str, Any] | None:
        return self._entity(arn)

    def managed(self, vendor: str, name: str) -> Mapping[str, Any] | None:
        group = managed_catalog().get(name)
        return group if group is not None and group["VendorName"] == vendor else None


def _labels(row: Row, doc: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """A rule group's AvailableLabels (its rules' RuleLabels, namespaced) and ConsumedLabels (LabelMatch keys)."""
    namespace = f"awswaf:{row['account_id']}:rulegroup:{row['name']}:"
    available: list[str] = []
    consumed: list[str] = []

    def walk(stmt: Any) -> None:
        if isinstance(stmt, dict):
            match = stmt.get("LabelMatchStatement")
            if isinstance(match, dict) and match.get("Key"):
                consumed.append(str(match["Key"]))
            for value in stmt.values():
                walk(value)
        elif isinstance(stmt, list):
            for value in stmt:
                walk(value)

    for rule in doc.get("Rules") or []:
        available.extend(namespace + str(label["Name"]) for label in rule.get("RuleLabels") or [])
        walk(rule.get("Statement"))
    return [{"Name": n} for n in dict.fromkeys(available)], [{"Name": n} for n in dict.fromkeys(consumed)]


class AclOperations(WafBase):
    def resolver(self, ctx: RequestContext, scope: str) -> StoreResolver:
        return StoreResolver(self, ctx.account_id, ctx.region, scope)

    def check(self, ctx: RequestContext, scope: str, request: Mapping[str, Any], *, in_rule_group: bool) -> Checked:
        check_visibility(request.get("VisibilityConfig"))
        if not in_rule_group:
            check_action(request.get("DefaultAction"), "DEFAULT_ACTION", request.get("CustomResponseBodies") or {})
        return check_rules(
            list(request.get("Rules") or []),
            self.resolver(ctx, scope),
            in_rule_group=in_rule_group,
            bodies=request.get("CustomResponseBodies") or {},
        )

    # -- CheckCapacity ---------------------------------------------------------------------------------------

    def check_capacity(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        rules = list(request["Rules"])
        # A rule group's rules (Action) or a web ACL's (OverrideAction on group references): either is accepted.
        in_group = not any(
            (r.get("Statement") or {}).get(k)
            for r in rules
            for k in ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement")
        )
        checked = check_rules(rules, self.resolver(ctx, scope), in_rule_group=in_group)
        return {"Capacity": checked.capacity}

    # -- rule groups -----------------------------------------------------------------------------------------

    def create_rule_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        capacity = int(request["Capacity"])
        check_capacity_limit(capacity, RULE_GROUP_MAX_WCU)
        checked = self.check(ctx, scope, request, in_rule_group=True)
        check_capacity_limit(checked.capacity, capacity)
        document = {k: request[k] for k in _RULE_GROUP_MEMBERS if request.get(k) is not None}
        document.setdefault("Rules", [])
        row = self.create_entity(ctx, scope, "rulegroup", request, document, capacity=capacity, refs=checked.references)
        return {"Summary": self.summary(row)}

    def rule_group_shape(self, row: Row) -> dict[str, Any]:
        doc = documents.loads(row["document"])
        out: dict[str, Any] = {"Name": row["name"], "Id": row["id"], "Capacity": row["capacity"], "ARN": row["arn"]}
        if row["description"] is not None:
            out["Description"] = row["description"]
        out.update({"Rules": doc.get("Rules", []), "VisibilityConfig": doc["VisibilityConfig"]})
        out["LabelNamespace"] = f"awswaf:{row['account_id']}:rulegroup:{row['name']}:"
        for key in ("CustomResponseBodies", "MonetizationConfig"):
            if doc.get(key) is not None:
                out[key] = doc[key]
        available, consumed = _labels(row, doc)
        if available:
            out["AvailableLabels"] = available
        if consumed:
            out["ConsumedLabels"] = consumed
        return out

    def named(self, ctx: RequestContext, request: Mapping[str, Any], kind: str) -> Row:
        """The entity a Get names by ARN, or by Name + Scope + Id."""
        if request.get("ARN"):
            return self.own_by_arn(ctx, str(request["ARN"]), (kind,))
        if not (request.get("Name") and request.get("Scope") and request.get("Id")):
            raise errors.invalid("RESOURCE_ARN", "ARN", errors.MISSING)
        return self.find(ctx, self.scope(ctx, request), kind, str(request["Name"]), str(request["Id"]))

    def get_rule_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.named(ctx, request, "rulegroup")
        return {"RuleGroup": self.rule_group_shape(row), "LockToken": row["lock_token"]}

    def list_rule_groups(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows, marker = self.list_entities(ctx, self.scope(ctx, request), "rulegroup", request)
        return {**({"NextMarker": marker} if marker else {}), "RuleGroups": [self.summary(r) for r in rows]}

    def update_rule_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        row = self.find(ctx, scope, "rulegroup", request["Name"], request["Id"])
        checked = self.check(ctx, scope, request, in_rule_group=True)
        check_capacity_limit(checked.capacity, int(row["capacity"]))
        document = {k: request[k] for k in _RULE_GROUP_MEMBERS if request.get(k) is not None}
        document.setdefault("Rules", [])
        token = self.update_entity(
            row, request["LockToken"], document, request.get("Description"), refs=checked.references
        )
        return {"NextLockToken": token}

    def delete_rule_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "rulegroup", request["Name"], request["Id"])
        self.delete_entity(row, request["LockToken"])
        return {}

    # -- web ACLs --------------------------------------------------------------------------------------------

    def create_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        checked = self.check(ctx, scope, request, in_rule_group=False)
        check_capacity_limit(checked.capacity, WEB_ACL_MAX_WCU)
        document = {k: request[k] for k in WEB_ACL_MEMBERS if request.get(k) is not None}
        document.setdefault("Rules", [])
        row = self.create_entity(
            ctx, scope, "webacl", request, document, capacity=checked.capacity, refs=checked.references
        )
        return {"Summary": self.summary(row)}

    def get_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.named(ctx, request, "webacl")
        return {"WebACL": self.web_acl_shape(row), "LockToken": row["lock_token"]}

    def list_web_acls(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows, marker = self.list_entities(ctx, self.scope(ctx, request), "webacl", request)
        return {**({"NextMarker": marker} if marker else {}), "WebACLs": [self.summary(r) for r in rows]}

    def update_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        scope = self.scope(ctx, request)
        row = self.find(ctx, scope, "webacl", request["Name"], request["Id"])
        checked = self.check(ctx, scope, request, in_rule_group=False)
        check_capacity_limit(checked.capacity, WEB_ACL_MAX_WCU)
        document = {k: request[k] for k in WEB_ACL_MEMBERS if request.get(k) is not None}
        document.setdefault("Rules", [])
        # An FMS-managed web ACL: the account changes its own rules; Firewall Manager's groups stay around them.
        fms = documents.loads(row["document"]).get(FMS_KEY)
        refs = set(checked.references)
        if fms:
            document[FMS_KEY] = fms
            refs |= set(fms.get("Refs") or [])
        token = self.update_entity(
            row,
            request["LockToken"],
            document,
            request.get("Description"),
            capacity=checked.capacity,
            refs=refs,
        )
        return {"NextLockToken": token}

    def delete_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.find(ctx, self.scope(ctx, request), "webacl", request["Name"], request["Id"])
        if self.associated_resources(row["arn"]):
            raise errors.associated()
        self.delete_entity(row, request["LockToken"])
        self.drop_web_acl_state(row["arn"])
        return {}
