"""GetSampledRequests and GetRateBasedStatementManagedKeys: reading what the enforcement side records.

The enforcement points write samples through ``enforced.record_sample`` and rate-limited addresses into
``wafv2_rate_keys``; these operations only read them.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from strongroom.services.wafv2 import documents, errors
from strongroom.services.wafv2.base import WafBase
from strongroom.services.wafv2.model import rate_keys, samples

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SAMPLE_WINDOW = timedelta(hours=3)  # AWS keeps samples for three hours


def _rate_rule_exists(rules: list[dict[str, Any]], name: str) -> bool:
    return any(r.get("Name") == name and (r.get("Statement") or {}).get("RateBasedStatement") for r in rules)


class TrafficOperations(WafBase):
    def get_sampled_requests(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acl = self.own_by_arn(ctx, str(request["WebAclArn"]), ("webacl",))
        if acl["scope"] != self.scope(ctx, request):
            raise errors.nonexistent()
        window = request["TimeWindow"]
        start, end = window["StartTime"], window["EndTime"]
        if end < start:
            raise errors.invalid("POSITION", "TimeWindow", "The start time must be before the end time.")
        # AWS: a start time earlier than three hours ago is moved to three hours ago.
        start = max(start, self.now() - SAMPLE_WINDOW)
        where = (
            samples.c.web_acl_arn == acl["arn"],
            samples.c.metric_name == request["RuleMetricName"],
            samples.c.at >= start,
            samples.c.at <= end,
        )
        with self.runtime.store.read() as conn:
            population = conn.execute(select(func.count()).select_from(samples).where(*where)).scalar_one()
            rows = conn.execute(
                select(samples).where(*where).order_by(samples.c.at.desc()).limit(int(request["MaxItems"]))
            ).all()
        sampled = [{**json.loads(r.document), "Timestamp": r.at} for r in rows]
        return {
            "SampledRequests": sampled,
            "PopulationSize": int(population),
            "TimeWindow": {"StartTime": start, "EndTime": end},
        }

    def get_rate_based_statement_managed_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acl = self.find(ctx, self.scope(ctx, request), "webacl", request["WebACLName"], request["WebACLId"])
        rules: list[dict[str, Any]] = documents.loads(acl["document"]).get("Rules") or []
        group_rule = request.get("RuleGroupRuleName")
        if group_rule:
            # RuleName names a rule of a rule group the web ACL references; RuleGroupRuleName that reference's rule.
            found = False
            for arn in json.loads(acl["refs"]):
                group = self.by_arn(arn)
                if group is not None and group["kind"] == "rulegroup":
                    found = found or _rate_rule_exists(
                        documents.loads(group["document"]).get("Rules") or [], request["RuleName"]
                    )
            if not found or not any(r.get("Name") == group_rule for r in rules):
                raise errors.nonexistent()
        elif not _rate_rule_exists(rules, request["RuleName"]):
            raise errors.nonexistent()
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(rate_keys.c.address, rate_keys.c.ip_version).where(
                    rate_keys.c.web_acl_arn == acl["arn"],
                    rate_keys.c.rule_group == (group_rule or ""),
                    rate_keys.c.rule_name == request["RuleName"],
                    rate_keys.c.until > self.now(),
                )
            ).all()
        return {
            "ManagedKeysIPV4": {
                "IPAddressVersion": "IPV4",
                "Addresses": [r.address for r in rows if r.ip_version == "IPV4"],
            },
            "ManagedKeysIPV6": {
                "IPAddressVersion": "IPV6",
                "Addresses": [r.address for r in rows if r.ip_version == "IPV6"],
            },
        }
