"""The managed rule groups through the API: one catalog serves DescribeManagedRuleGroup and the engine's content."""

from __future__ import annotations

import uuid
from typing import Any

from strongroom.waf.managed import managed_catalog, managed_content
from tests.support.server import ServerProcess

VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


def test_web_acl_with_sqli_group_and_describe_from_shared_data(server: ServerProcess) -> None:
    waf = server.client("wafv2")
    out = waf.create_web_acl(
        Name=f"acl-{uuid.uuid4().hex[:8]}",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig=VIS,
        Rules=[
            {
                "Name": "sqli",
                "Priority": 0,
                "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet"}},
                "VisibilityConfig": VIS,
            }
        ],
    )["Summary"]
    got = waf.get_web_acl(Name=out["Name"], Scope="REGIONAL", Id=out["Id"])["WebACL"]
    assert got["Rules"][0]["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesSQLiRuleSet"
    desc: dict[str, Any] = waf.describe_managed_rule_group(
        VendorName="AWS", Name="AWSManagedRulesSQLiRuleSet", Scope="REGIONAL"
    )
    catalog = managed_catalog()["AWSManagedRulesSQLiRuleSet"]
    assert [r["Name"] for r in desc["Rules"]] == [r["Name"] for r in catalog["Rules"]]
    assert [lbl["Name"] for lbl in desc["AvailableLabels"]] == [r["Label"] for r in catalog["Rules"]]
    assert desc["LabelNamespace"] == catalog["LabelNamespace"]
    content_names = {r["Name"] for r in managed_content("AWSManagedRulesSQLiRuleSet")}
    assert content_names <= {r["Name"] for r in desc["Rules"]}
