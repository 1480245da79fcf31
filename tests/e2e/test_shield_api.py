"""Shield Advanced's API end to end: the subscription and what hangs on it (emergency contacts, proactive
engagement, DRT access), protections of API Gateway stages (which must exist in the caller's account), health
checks, protection groups of every pattern, tags, enabling automatic application-layer mitigation (the
ShieldMitigationRuleGroup reference in the stage's web ACL), and AWS's errors: no subscription, resources that
cannot be protected, duplicates, IAM denies."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import client_for, deny, make_user, policy, second_account
from tests.e2e.shield_support import code, deployed_stage, subscribe
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def shield(server: ServerProcess) -> Any:
    client = server.client("shield")
    subscribe(client)
    return client


@pytest.fixture(scope="module")
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


@pytest.fixture(scope="module")
def other(server: ServerProcess) -> dict[str, Any]:
    _, creds = second_account(server)
    return creds


def until(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (got := check()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return got


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_subscription_contacts_proactive_engagement_and_drt_access(
    server: ServerProcess, other: dict[str, Any]
) -> None:
    shield = client_for(server, "shield", other)
    apigw = client_for(server, "apigateway", other)
    assert shield.get_subscription_state()["SubscriptionState"] == "INACTIVE"
    with pytest.raises(ClientError) as exc:
        shield.describe_subscription()
    assert code(exc.value) == "ResourceNotFoundException"
    _, stage = deployed_stage(apigw)
    for call in (
        lambda: shield.create_protection(Name="p", ResourceArn=stage),
        shield.list_protections,
        shield.list_protection_groups,
        shield.describe_emergency_contact_settings,
        shield.describe_drt_access,
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc.value) == "ResourceNotFoundException"
        assert exc.value.response["Error"]["Message"] == "The subscription does not exist."
    assert shield.list_attacks()["AttackSummaries"] == []  # attacks are visible without Shield Advanced

    shield.create_subscription()
    with pytest.raises(ClientError) as exc:
        shield.create_subscription()
    assert code(exc.value) == "ResourceAlreadyExistsException"
    assert shield.get_subscription_state()["SubscriptionState"] == "ACTIVE"
    sub = shield.describe_subscription()["Subscription"]
    assert sub["AutoRenew"] == "ENABLED" and sub["TimeCommitmentInSeconds"] == 365 * 86400
    assert sub["SubscriptionArn"].startswith("arn:aws:shield::")
    assert sub["SubscriptionLimits"]["ProtectionGroupLimits"]["MaxProtectionGroups"] == 50
    shield.update_subscription(AutoRenew="DISABLED")
    assert shield.describe_subscription()["Subscription"]["AutoRenew"] == "DISABLED"
    with pytest.raises(ClientError) as exc:
        shield.delete_subscription()
    assert code(exc.value) == "LockedSubscriptionException"

    assert shield.describe_emergency_contact_settings()["EmergencyContactList"] == []
    with pytest.raises(ClientError) as exc:
        shield.enable_proactive_engagement()
    assert code(exc.value) == "InvalidOperationException"
    with pytest.raises(ClientError) as exc:
        shield.associate_proactive_engagement_details(EmergencyContactList=[{"EmailAddress": "a@example.com"}])
    assert code(exc.value) == "InvalidParameterException"
    contact = {"EmailAddress": "soc@example.com", "PhoneNumber": "+15555550100", "ContactNotes": "24/7"}
    shield.associate_proactive_engagement_details(EmergencyContactList=[contact])
    assert shield.describe_subscription()["Subscription"]["ProactiveEngagementStatus"] == "ENABLED"
    assert shield.describe_emergency_contact_settings()["EmergencyContactList"] == [contact]
    with pytest.raises(ClientError) as exc:
        shield.associate_proactive_engagement_details(EmergencyContactList=[contact])
    assert code(exc.value) == "InvalidOperationException"
    shield.disable_proactive_engagement()
    assert shield.describe_subscription()["Subscription"]["ProactiveEngagementStatus"] == "DISABLED"
    shield.update_emergency_contact_settings(EmergencyContactList=[contact, {"EmailAddress": "b@example.com"}])
    assert len(shield.describe_emergency_contact_settings()["EmergencyContactList"]) == 2

    with pytest.raises(ClientError) as exc:
        shield.associate_drt_log_bucket(LogBucket="flow-logs")
    assert code(exc.value) == "NoAssociatedRoleException"
    account = client_for(server, "sts", other).get_caller_identity()["Account"]
    with pytest.raises(ClientError) as exc:
        shield.associate_drt_role(RoleArn=f"arn:aws:iam::{account}:role/missing")
    assert code(exc.value) == "InvalidParameterException"
    iam = client_for(server, "iam", other)
    trust = policy(
        {"Effect": "Allow", "Principal": {"Service": "drt.shield.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    role = iam.create_role(RoleName=name("drt"), AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    shield.associate_drt_role(RoleArn=role)
    shield.associate_drt_log_bucket(LogBucket="flow-logs")
    access = shield.describe_drt_access()
    assert access["RoleArn"] == role and access["LogBucketList"] == ["flow-logs"]
    shield.disassociate_drt_log_bucket(LogBucket="flow-logs")
    shield.disassociate_drt_role()
    assert "RoleArn" not in shield.describe_drt_access()


def test_protections_of_stages_health_checks_and_tags(
    server: ServerProcess, shield: Any, apigw: Any, other: dict[str, Any]
) -> None:
    _, stage = deployed_stage(apigw)
    pid = shield.create_protection(Name="stage", ResourceArn=stage, Tags=[{"Key": "team", "Value": "edge"}])[
        "ProtectionId"
    ]
    with pytest.raises(ClientError) as exc:
        shield.create_protection(Name="again", ResourceArn=stage)
    assert code(exc.value) == "ResourceAlreadyExistsException"
    got = shield.describe_protection(ProtectionId=pid)["Protection"]
    assert got["ResourceArn"] == stage and got["Name"] == "stage" and got["HealthCheckIds"] == []
    assert got["ProtectionArn"].endswith(f":protection/{pid}")
    assert shield.describe_protection(ResourceArn=stage)["Protection"]["Id"] == pid
    listed = shield.list_protections(InclusionFilters={"ResourceArns": [stage]})["Protections"]
    assert [p["Id"] for p in listed] == [pid]
    with pytest.raises(ClientError) as exc:
        shield.describe_protection()
    assert code(exc.value) == "InvalidParameterException"

    for bad, expected in (
        ("arn:aws:apigateway:us-east-1::/restapis/nosuchapi/stages/test", "InvalidResourceException"),
        (
            "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/50dc6c495c0c9188",
            "InvalidResourceException",
        ),
        ("not-an-arn", "ValidationException"),  # the model's ResourceArn pattern
    ):
        with pytest.raises(ClientError) as exc:
            shield.create_protection(Name="bad", ResourceArn=bad)
        assert code(exc.value) == expected, bad
    # another account's stage: not a resource of the caller
    foreign = client_for(server, "shield", other)
    with pytest.raises(ClientError) as exc:
        foreign.create_protection(Name="theirs", ResourceArn=stage)
    assert code(exc.value) in ("InvalidResourceException", "ResourceNotFoundException")

    check = "arn:aws:route53:::healthcheck/11111111-2222-3333-4444-555555555555"
    shield.associate_health_check(ProtectionId=pid, HealthCheckArn=check)
    assert shield.describe_protection(ProtectionId=pid)["Protection"]["HealthCheckIds"] == [check.rsplit("/", 1)[1]]
    with pytest.raises(ClientError) as exc:
        shield.associate_health_check(ProtectionId=pid, HealthCheckArn=check.replace("1111", "9999"))
    assert code(exc.value) == "LimitsExceededException"
    shield.disassociate_health_check(ProtectionId=pid, HealthCheckArn=check)
    assert shield.describe_protection(ProtectionId=pid)["Protection"]["HealthCheckIds"] == []

    arn = got["ProtectionArn"]
    shield.tag_resource(ResourceARN=arn, Tags=[{"Key": "env", "Value": "prod"}])
    assert shield.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"},
        {"Key": "team", "Value": "edge"},
    ]
    shield.untag_resource(ResourceARN=arn, TagKeys=["team"])
    assert [t["Key"] for t in shield.list_tags_for_resource(ResourceARN=arn)["Tags"]] == ["env"]
    with pytest.raises(ClientError) as exc:
        shield.list_tags_for_resource(ResourceARN=arn.replace(pid, str(uuid.uuid4())))
    assert code(exc.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        shield.tag_resource(ResourceARN="arn:aws:kms:us-east-1:123456789012:key/x", Tags=[])
    assert code(exc.value) == "InvalidResourceException"

    shield.delete_protection(ProtectionId=pid)
    with pytest.raises(ClientError) as exc:
        shield.describe_protection(ProtectionId=pid)
    assert code(exc.value) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        shield.delete_protection(ProtectionId=pid)
    assert code(exc.value) == "ResourceNotFoundException"


def test_protection_groups(shield: Any, apigw: Any) -> None:
    _, stage = deployed_stage(apigw)
    shield.create_protection(Name="grouped", ResourceArn=stage)
    everything, chosen, by_type = name("all"), name("arb"), name("type")
    shield.create_protection_group(ProtectionGroupId=everything, Aggregation="SUM", Pattern="ALL")
    shield.create_protection_group(ProtectionGroupId=chosen, Aggregation="MAX", Pattern="ARBITRARY", Members=[stage])
    shield.create_protection_group(
        ProtectionGroupId=by_type,
        Aggregation="MEAN",
        Pattern="BY_RESOURCE_TYPE",
        ResourceType="CLOUDFRONT_DISTRIBUTION",
    )
    with pytest.raises(ClientError) as exc:
        shield.create_protection_group(ProtectionGroupId=everything, Aggregation="SUM", Pattern="ALL")
    assert code(exc.value) == "ResourceAlreadyExistsException"
    for bad in (
        {"Pattern": "ALL", "Members": [stage]},
        {"Pattern": "BY_RESOURCE_TYPE"},
        {"Pattern": "ARBITRARY"},
        {"Pattern": "ALL", "ResourceType": "CLOUDFRONT_DISTRIBUTION"},
    ):
        with pytest.raises(ClientError) as exc:
            shield.create_protection_group(ProtectionGroupId=name("bad"), Aggregation="SUM", **bad)
        assert code(exc.value) == "InvalidParameterException", bad

    assert stage in shield.list_resources_in_protection_group(ProtectionGroupId=everything)["ResourceArns"]
    assert shield.list_resources_in_protection_group(ProtectionGroupId=chosen)["ResourceArns"] == [stage]
    assert shield.list_resources_in_protection_group(ProtectionGroupId=by_type)["ResourceArns"] == []
    group = shield.describe_protection_group(ProtectionGroupId=chosen)["ProtectionGroup"]
    assert group["Aggregation"] == "MAX" and group["Pattern"] == "ARBITRARY" and group["Members"] == [stage]
    assert group["ProtectionGroupArn"].endswith(f":protection-group/{chosen}")
    shield.update_protection_group(ProtectionGroupId=chosen, Aggregation="SUM", Pattern="ARBITRARY", Members=[])
    assert shield.describe_protection_group(ProtectionGroupId=chosen)["ProtectionGroup"]["Members"] == []
    listed = shield.list_protection_groups(InclusionFilters={"Patterns": ["BY_RESOURCE_TYPE"]})["ProtectionGroups"]
    assert by_type in [g["ProtectionGroupId"] for g in listed]
    assert all(g["Pattern"] == "BY_RESOURCE_TYPE" for g in listed)
    page = shield.list_protection_groups(MaxResults=1)
    assert len(page["ProtectionGroups"]) == 1 and "NextToken" in page
    with pytest.raises(ClientError) as exc:
        shield.list_protection_groups(NextToken="garbage")
    assert code(exc.value) == "InvalidPaginationTokenException"
    shield.delete_protection_group(ProtectionGroupId=by_type)
    with pytest.raises(ClientError) as exc:
        shield.describe_protection_group(ProtectionGroupId=by_type)
    assert code(exc.value) == "ResourceNotFoundException"


def test_iam_policy_denies(server: ServerProcess, shield: Any, apigw: Any) -> None:
    user = make_user(
        server.client("iam"),
        {"Effect": "Allow", "Action": "shield:*", "Resource": "*"},
        deny("shield:CreateProtection"),
    )
    limited = client_for(server, "shield", user)
    assert limited.get_subscription_state()["SubscriptionState"] == "ACTIVE"
    _, stage = deployed_stage(apigw)
    with pytest.raises(ClientError) as exc:
        limited.create_protection(Name="denied", ResourceArn=stage)
    assert code(exc.value) == "AccessDeniedException"
    nobody = client_for(server, "shield", make_user(server.client("iam")))
    with pytest.raises(ClientError) as exc:
        nobody.list_attacks()
    assert code(exc.value) == "AccessDeniedException"


def test_automatic_response_needs_a_web_acl_and_manages_its_rule_group(shield: Any, apigw: Any, server: Any) -> None:
    waf = server.client("wafv2")
    _, stage = deployed_stage(apigw)
    shield.create_protection(Name="auto", ResourceArn=stage)
    with pytest.raises(ClientError) as exc:
        shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    assert code(exc.value) == "InvalidOperationException"
    with pytest.raises(ClientError) as exc:
        shield.update_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    assert code(exc.value) == "InvalidOperationException"
    vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
    acl = waf.create_web_acl(
        Name=name("acl"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=vis, Rules=[]
    )["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage)
    with pytest.raises(ClientError) as exc:
        shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}, "Count": {}})
    assert code(exc.value) == "InvalidParameterException"
    shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    config = shield.describe_protection(ResourceArn=stage)["Protection"][
        "ApplicationLayerAutomaticResponseConfiguration"
    ]
    assert config == {"Status": "ENABLED", "Action": {"Block": {}}}
    rules = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["Rules"]
    (rule,) = rules
    account = server.client("sts").get_caller_identity()["Account"]
    assert rule["Name"].startswith(f"ShieldMitigationRuleGroup_{account}_{acl['Id']}_")
    assert rule["Priority"] == 10_000_000 and rule["OverrideAction"] == {"None": {}}
    assert "RuleGroupReferenceStatement" in rule["Statement"]

    # Shield changed the web ACL through WAF's API, and CloudTrail says so
    def by_shield() -> list[dict[str, Any]]:
        events = server.client("cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "UpdateWebACL"}], MaxResults=50
        )["Events"]
        records = [json.loads(e["CloudTrailEvent"]) for e in events]
        return [r for r in records if r["userIdentity"].get("invokedBy") == "shield.amazonaws.com"]

    assert until(by_shield)
    with pytest.raises(ClientError) as exc:
        shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Count": {}})
    assert code(exc.value) == "InvalidOperationException"
    shield.update_application_layer_automatic_response(ResourceArn=stage, Action={"Count": {}})
    config = shield.describe_protection(ResourceArn=stage)["Protection"][
        "ApplicationLayerAutomaticResponseConfiguration"
    ]
    assert config["Action"] == {"Count": {}}
    shield.disable_application_layer_automatic_response(ResourceArn=stage)
    assert waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["Rules"] == []
    config = shield.describe_protection(ResourceArn=stage)["Protection"][
        "ApplicationLayerAutomaticResponseConfiguration"
    ]
    assert config["Status"] == "DISABLED"
    names = [g["Name"] for g in waf.list_rule_groups(Scope="REGIONAL")["RuleGroups"]]
    assert not any(n == rule["Name"] for n in names)  # the rule group went with the reference
    with pytest.raises(ClientError) as exc:
        shield.enable_application_layer_automatic_response(
            ResourceArn="arn:aws:apigateway:us-east-1::/restapis/zzz/stages/none", Action={"Block": {}}
        )
    assert code(exc.value) == "ResourceNotFoundException"
    # enabled again, then the protection deleted: the reference and the rule group go with it
    shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    assert len(waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["Rules"]) == 1
    shield.delete_protection(ProtectionId=shield.describe_protection(ResourceArn=stage)["Protection"]["Id"])
    assert waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"]["Rules"] == []
    left = [g["Name"] for g in waf.list_rule_groups(Scope="REGIONAL", Limit=100)["RuleGroups"]]
    left += [s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL", Limit=100)["IPSets"]]
    assert not [n for n in left if acl["Id"] in n]


def test_attack_queries_with_no_attacks(shield: Any) -> None:
    stats = shield.describe_attack_statistics()
    assert stats["DataItems"][0]["AttackCount"] >= 0 and "FromInclusive" in stats["TimeRange"]
    assert isinstance(
        shield.list_attacks(ResourceArns=["arn:aws:apigateway:us-east-1::/restapis/none/stages/x"])["AttackSummaries"],
        list,
    )
    with pytest.raises(ClientError) as exc:
        shield.describe_attack(AttackId="a" * 36)
    assert code(exc.value) == "AccessDeniedException"


def test_resource_level_permissions_on_protections_and_groups(server: ServerProcess, shield: Any, apigw: Any) -> None:
    _, mine = deployed_stage(apigw)
    _, theirs = deployed_stage(apigw)
    allowed = shield.create_protection(Name="mine", ResourceArn=mine, Tags=[{"Key": "team", "Value": "edge"}])[
        "ProtectionId"
    ]
    other = shield.create_protection(Name="theirs", ResourceArn=theirs)["ProtectionId"]
    group = name("g")
    shield.create_protection_group(ProtectionGroupId=group, Aggregation="SUM", Pattern="ALL")
    account = server.client("sts").get_caller_identity()["Account"]
    base = f"arn:aws:shield::{account}:"
    user = make_user(
        server.client("iam"),
        {"Effect": "Allow", "Action": "shield:DescribeProtection", "Resource": base + f"protection/{allowed}"},
        {
            "Effect": "Allow",
            "Action": "shield:ListTagsForResource",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/team": "edge"}},
        },
        {"Effect": "Allow", "Action": "shield:DescribeProtectionGroup", "Resource": base + "protection-group/*"},
        deny("shield:DeleteProtectionGroup", base + f"protection-group/{group}"),
    )
    limited = client_for(server, "shield", user)
    assert limited.describe_protection(ProtectionId=allowed)["Protection"]["Id"] == allowed
    assert limited.describe_protection(ResourceArn=mine)["Protection"]["Id"] == allowed  # looked up by resource
    for call in (
        lambda: limited.describe_protection(ProtectionId=other),
        lambda: limited.describe_protection(ResourceArn=theirs),
        lambda: limited.list_tags_for_resource(ResourceARN=base + f"protection/{other}"),
        lambda: limited.delete_protection_group(ProtectionGroupId=group),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc.value) == "AccessDeniedException"
    assert limited.list_tags_for_resource(ResourceARN=base + f"protection/{allowed}")["Tags"]
    assert limited.describe_protection_group(ProtectionGroupId=group)["ProtectionGroup"]["Pattern"] == "ALL"
    with pytest.raises(ClientError) as exc:
        limited.delete_protection_group(ProtectionGroupId=group)
    assert base + f"protection-group/{group}" in exc.value.response["Error"]["Message"]


def test_no_room_in_the_web_acl_is_a_limit_and_leaves_nothing_behind(
    server: ServerProcess, shield: Any, apigw: Any
) -> None:
    waf = server.client("wafv2")
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    big = waf.create_rule_group(Name=name("big"), Scope="REGIONAL", Capacity=4900, VisibilityConfig=vis, Rules=[])
    reference = {
        "Name": "big",
        "Priority": 0,
        "Statement": {"RuleGroupReferenceStatement": {"ARN": big["Summary"]["ARN"]}},
        "OverrideAction": {"None": {}},
        "VisibilityConfig": vis,
    }
    acl = waf.create_web_acl(
        Name=name("full"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=vis, Rules=[reference]
    )["Summary"]
    _, stage = deployed_stage(apigw)
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage)
    shield.create_protection(Name="full", ResourceArn=stage)
    with pytest.raises(ClientError) as exc:
        shield.enable_application_layer_automatic_response(ResourceArn=stage, Action={"Block": {}})
    assert code(exc.value) == "LimitsExceededException"
    left = [g["Name"] for g in waf.list_rule_groups(Scope="REGIONAL", Limit=100)["RuleGroups"]]
    left += [s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL", Limit=100)["IPSets"]]
    assert not [n for n in left if acl["Id"] in n]
    assert (
        "ApplicationLayerAutomaticResponseConfiguration"
        not in shield.describe_protection(ResourceArn=stage)["Protection"]
    )
