"""Automatic application-layer DDoS mitigation: Enable / Update / DisableApplicationLayerAutomaticResponse, and the
WAF rules Shield places and withdraws during an attack.

As AWS does it ("Shield Advanced automatic application layer DDoS mitigation"): enabling needs a WAF web ACL
associated with the protected resource; Shield then adds a rule group reference statement named
``ShieldMitigationRuleGroup_<account>_<web ACL id>_<uuid>`` to that web ACL with priority 10,000,000 (after the
customer's rules) and keeps it there until automatic mitigation is disabled or the protection deleted. The rule
group is empty while there is no attack; when the detector (``attacks.py``) declares one, Shield writes into it a
rule matching the attack's top contributing source addresses (an IP set per address family) with the configured
action, Block or Count, and empties it again when the attack ends.

Every change goes through WAF's public API in-process (``ctx.call``: GetWebACLForResource, CreateRuleGroup,
CreateIPSet, Get/UpdateWebACL, Get/UpdateRuleGroup, Get/UpdateIPSet, Delete*), as the account and invoked by Shield
(CloudTrail records them with ``invokedBy: shield.amazonaws.com``), so WAF's validation and lock tokens apply and
its enforcement points pick the change up within their poll interval. Unlike AWS, whose rule group lives in a Shield
account, the rule group and its IP sets are in the customer's account (visible in ListRuleGroups / ListIPSets,
named ``ShieldMitigation…``); don't edit them.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import update

from strongroom.core import ids
from strongroom.core.errors import AwsError
from strongroom.services.shield import errors
from strongroom.services.shield.base import Row, ShieldBase, resource_region
from strongroom.services.shield.model import protections

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger("strongroom.shield")

RULE_PRIORITY = 10_000_000  # AWS's priority for the ShieldMitigationRuleGroup reference statement
RULE_GROUP_CAPACITY = 150  # the WCUs AWS's Shield rule group takes in the web ACL
FAMILIES = ("IPV4", "IPV6")
_RETRIES = 5


def _visibility(metric: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric[:255]}


def _action(request: dict[str, Any]) -> dict[str, Any]:
    action = request.get("Action") or {}
    chosen = [k for k in ("Block", "Count") if action.get(k) is not None]
    if len(chosen) != 1:
        raise errors.InvalidParameterException("Specify exactly one of Block or Count as the action.", reason="OTHER")
    return {chosen[0]: {}}


def _acl_parts(arn: str) -> tuple[str, str]:
    """``arn:aws:wafv2:REGION:ACCOUNT:regional/webacl/NAME/ID`` -> (name, id)."""
    path = arn.split(":", 5)[5].split("/")
    return path[2], path[3]


class MitigationOperations(ShieldBase):
    def _enabled(self, ctx: RequestContext, resource_arn: str) -> tuple[Row, dict[str, Any]]:
        row = self.protection_row(ctx, resource_arn=resource_arn)
        config = self.auto_response(row)
        if config is None or config.get("Status") != "ENABLED":
            raise errors.InvalidOperationException(
                "Automatic application layer DDoS mitigation is not enabled for the resource."
            )
        return row, config

    def _store(self, protection_id: str, config: dict[str, Any] | None) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(
                update(protections)
                .where(protections.c.id == protection_id)
                .values(auto_response=None if config is None else json.dumps(config))
            )

    def enable_application_layer_automatic_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.subscribed(ctx)
        action = _action(request)
        resource = str(request["ResourceArn"])
        row = self.protection_row(ctx, resource_arn=resource)
        current = self.auto_response(row)
        if current is not None and current.get("Status") == "ENABLED":
            raise errors.InvalidOperationException(
                "Automatic application layer DDoS mitigation is already enabled for the resource; "
                "use UpdateApplicationLayerAutomaticResponse."
            )
        waf = self.acting_as(ctx.account_id, resource_region(resource), ctx.operation)
        try:
            acl = waf.call("wafv2", "GetWebACLForResource", {"ResourceArn": resource}).get("WebACL")
        except AwsError as exc:
            raise errors.InvalidOperationException(f"The resource's web ACL can't be read: {exc.message}") from None
        if not acl:
            raise errors.InvalidOperationException(
                "The resource must be associated with an AWS WAF web ACL to use automatic application layer "
                "DDoS mitigation."
            )
        try:
            config = self._install(waf, acl, ctx.account_id)
        except AwsError as exc:
            if exc.code == "WAFLimitsExceededException":
                raise errors.LimitsExceededException(
                    f"The web ACL has no room for Shield's rule group: {exc.message}", Type="WEB_ACL_CAPACITY"
                ) from None
            raise errors.InvalidOperationException(f"Shield could not update the web ACL: {exc.message}") from None
        config["Action"] = action
        self._store(row["id"], config)
        return {}

    def update_application_layer_automatic_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.subscribed(ctx)
        action = _action(request)
        row, config = self._enabled(ctx, str(request["ResourceArn"]))
        config["Action"] = action
        self._store(row["id"], config)
        addresses = config.get("Mitigating")
        if addresses:  # an attack is being mitigated: its rules take the new action now
            self.mitigate({**row, "auto_response": json.dumps(config)}, addresses)
        return {}

    def disable_application_layer_automatic_response(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.subscribed(ctx)
        row, config = self._enabled(ctx, str(request["ResourceArn"]))
        self.remove_mitigation(row)
        self._store(row["id"], {"Status": "DISABLED", "Action": config["Action"]})
        return {}

    def _install(self, waf: RequestContext, acl: dict[str, Any], account_id: str) -> dict[str, Any]:
        """Create the IP sets and the (empty) rule group and reference it from the web ACL; whatever was created is
        deleted again when a step fails."""
        suffix = f"{account_id}_{acl['Id']}_{ids.uuid4()}"
        name = f"ShieldMitigationRuleGroup_{suffix}"
        description = "Managed by AWS Shield Advanced automatic application layer DDoS mitigation"
        created: list[tuple[str, str, str]] = []
        try:
            ip_sets = {}
            for family in FAMILIES:
                params = {"Scope": "REGIONAL", "IPAddressVersion": family, "Addresses": [], "Description": description}
                params["Name"] = f"ShieldMitigationIPSet_{family}_{suffix}"[:128]
                ip_sets[family] = waf.call("wafv2", "CreateIPSet", params)["Summary"]["ARN"]
                created.append((ip_sets[family], "GetIPSet", "DeleteIPSet"))
            group = waf.call(
                "wafv2",
                "CreateRuleGroup",
                {
                    "Name": name,
                    "Scope": "REGIONAL",
                    "Capacity": RULE_GROUP_CAPACITY,
                    "Rules": [],
                    "VisibilityConfig": _visibility(name),
                    "Description": description,
                },
            )["Summary"]
            created.insert(0, (group["ARN"], "GetRuleGroup", "DeleteRuleGroup"))
            rule = {
                "Name": name,
                "Priority": RULE_PRIORITY,
                "Statement": {"RuleGroupReferenceStatement": {"ARN": group["ARN"]}},
                "OverrideAction": {"None": {}},
                "VisibilityConfig": _visibility(name),
            }
            self._edit_web_acl(waf, str(acl["ARN"]), lambda rules: [r for r in rules if r["Name"] != name] + [rule])
        except AwsError:
            for arn, getter, deleter in created:
                self._delete(waf, arn, getter, deleter)
            raise
        return {
            "Status": "ENABLED",
            "WebAclArn": acl["ARN"],
            "RuleGroupArn": group["ARN"],
            "RuleName": name,
            "IpSets": ip_sets,
        }

    def _delete(self, waf: RequestContext, arn: str, getter: str, deleter: str) -> None:
        name, entity_id = _acl_parts(arn)
        try:
            got = waf.call("wafv2", getter, {"Name": name, "Scope": "REGIONAL", "Id": entity_id})
            waf.call(
                "wafv2", deleter, {"Name": name, "Scope": "REGIONAL", "Id": entity_id, "LockToken": got["LockToken"]}
            )
        except AwsError as exc:
            if exc.code != "WAFNonexistentItemException":
                log.warning("Shield could not delete %s: %s", arn, exc.message)

    # -- the WAF side -----------------------------------------------------------------------------------------

    def _waf_for(self, row: Row) -> RequestContext:
        return self.acting_as(row["account_id"], resource_region(row["resource_arn"]), "ShieldMitigation")

    def _edit_web_acl(self, waf: RequestContext, acl_arn: str, edit: Any) -> None:
        name, acl_id = _acl_parts(acl_arn)
        for attempt in range(_RETRIES):
            got = waf.call("wafv2", "GetWebACL", {"Name": name, "Scope": "REGIONAL", "Id": acl_id})
            acl = got["WebACL"]
            params = {
                "Name": name,
                "Scope": "REGIONAL",
                "Id": acl_id,
                "DefaultAction": acl["DefaultAction"],
                "Rules": edit(list(acl.get("Rules") or [])),
                "VisibilityConfig": acl["VisibilityConfig"],
                "LockToken": got["LockToken"],
            }
            for key in ("Description", "CustomResponseBodies", "CaptchaConfig", "ChallengeConfig", "TokenDomains"):
                if acl.get(key) is not None:
                    params[key] = acl[key]
            try:
                waf.call("wafv2", "UpdateWebACL", params)
                return
            except AwsError as exc:
                if exc.code != "WAFOptimisticLockException" or attempt == _RETRIES - 1:
                    raise

    def _update_entity(self, waf: RequestContext, arn: str, kind: str, values: dict[str, Any]) -> None:
        name, entity_id = _acl_parts(arn)
        getter, setter = ("GetIPSet", "UpdateIPSet") if kind == "ipset" else ("GetRuleGroup", "UpdateRuleGroup")
        for attempt in range(_RETRIES):
            got = waf.call("wafv2", getter, {"Name": name, "Scope": "REGIONAL", "Id": entity_id})
            params = {"Name": name, "Scope": "REGIONAL", "Id": entity_id, "LockToken": got["LockToken"], **values}
            if kind != "ipset":
                params["VisibilityConfig"] = got["RuleGroup"]["VisibilityConfig"]
            try:
                waf.call("wafv2", setter, params)
                return
            except AwsError as exc:
                if exc.code != "WAFOptimisticLockException" or attempt == _RETRIES - 1:
                    raise

    def mitigate(self, row: Row, addresses: list[str]) -> str | None:
        """Block (or count) ``addresses`` in the resource's Shield rule group; the rule group's name, or None when
        automatic mitigation is off."""
        config = self.auto_response(row)
        if config is None or config.get("Status") != "ENABLED":
            return None
        waf = self._waf_for(row)
        rules: list[dict[str, Any]] = []
        for family in FAMILIES:
            mine = sorted(a for a in addresses if (":" in a) == (family == "IPV6"))
            self._update_entity(waf, config["IpSets"][family], "ipset", {"Addresses": mine})
            if mine:
                rule_name = f"ShieldMitigation-TopSources-{family}"
                rules.append(
                    {
                        "Name": rule_name,
                        "Priority": len(rules),
                        "Statement": {"IPSetReferenceStatement": {"ARN": config["IpSets"][family]}},
                        "Action": config["Action"],
                        "VisibilityConfig": _visibility(rule_name),
                    }
                )
        self._update_entity(waf, config["RuleGroupArn"], "rulegroup", {"Rules": rules})
        self._store(row["id"], {**config, "Mitigating": sorted(addresses)})
        return str(config["RuleName"])

    def stand_down(self, row: Row) -> None:
        """The attack is over: empty the rule group (its reference stays in the web ACL, as AWS leaves it)."""
        config = self.auto_response(row)
        if config is None or config.get("Status") != "ENABLED":
            return
        waf = self._waf_for(row)
        self._update_entity(waf, config["RuleGroupArn"], "rulegroup", {"Rules": []})
        for family in FAMILIES:
            self._update_entity(waf, config["IpSets"][family], "ipset", {"Addresses": []})
        self._store(row["id"], {k: v for k, v in config.items() if k != "Mitigating"})

    def remove_mitigation(self, row: Row) -> None:
        """Take the rule group reference out of the web ACL and delete the rule group and IP sets."""
        config = self.auto_response(row)
        if config is None or "RuleGroupArn" not in config:
            return
        waf = self._waf_for(row)
        try:
            self._edit_web_acl(
                waf, config["WebAclArn"], lambda rules: [r for r in rules if r["Name"] != config["RuleName"]]
            )
        except AwsError as exc:  # the web ACL is gone: nothing references the rule group any more
            if exc.code != "WAFNonexistentItemException":
                raise
        self._delete(waf, config["RuleGroupArn"], "GetRuleGroup", "DeleteRuleGroup")
        for arn in config["IpSets"].values():
            self._delete(waf, arn, "GetIPSet", "DeleteIPSet")
