"""Firewall Manager's API end to end: who may set the administrator and call the administrator's operations,
policy validation (ManagedServiceData, policy and resource types, update tokens), IAM denial, apps and protocols
lists, resource sets, the notification channel and tags."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.fms_support import Org, blocking_rule_group, new_fms_org, stage, waf_data, waf_policy
from tests.e2e.organizations_support import new_account
from tests.support.errors import code_message_of_call, code_of_call
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def org(server: ServerProcess) -> Org:
    return new_fms_org(server)


@pytest.fixture(scope="module")
def admin(org: Org) -> str:
    account = org.create_account("admin")
    org.mgmt.client("fms").associate_admin_account(AdminAccount=account)
    return account


def test_who_sets_the_administrator(server: ServerProcess) -> None:
    org = new_fms_org(server)
    member = org.create_account("m")
    mgmt_fms = org.mgmt.client("fms")
    assert code_message_of_call(mgmt_fms.get_admin_account) == (
        "ResourceNotFoundException",
        "No default admin could be found",
    )
    # only the management account sets it
    assert code_message_of_call(org.client(member, "fms").associate_admin_account, AdminAccount=member) == (
        "InvalidOperationException",
        f"{member} is not the management account of the Organization but trying to AssociateAdmin, "
        f"Organization management account is {org.mgmt.account_id}",
    )
    # an account in no organization
    loner = new_account(server)
    assert code_of_call(loner.client("fms").associate_admin_account, AdminAccount=loner.account_id) == (
        "InvalidOperationException"
    )
    # the administrator must be in the organization
    assert code_of_call(mgmt_fms.associate_admin_account, AdminAccount=loner.account_id) == "InvalidInputException"
    mgmt_fms.associate_admin_account(AdminAccount=member)
    assert code_of_call(mgmt_fms.associate_admin_account, AdminAccount=member) == "InvalidOperationException"
    admins = mgmt_fms.list_admin_accounts_for_organization()["AdminAccounts"]
    assert admins == [{"AdminAccount": member, "DefaultAdmin": True, "Status": "ONBOARDING_COMPLETE"}]
    scope = mgmt_fms.get_admin_scope(AdminAccount=member)["AdminScope"]
    assert scope["AccountScope"]["AllAccountsEnabled"] is True
    assert org.client(member, "fms").list_admins_managing_account()["AdminAccounts"] == [member]
    # the management account is not the administrator: the administrator's operations are refused
    assert code_message_of_call(mgmt_fms.list_policies) == (
        "AccessDeniedException",
        "Operation: ListPolicies is only available to Administration account in AWS Firewall Manager.",
    )
    # only the administrator disassociates itself
    assert code_of_call(mgmt_fms.disassociate_admin_account) == "AccessDeniedException"
    org.client(member, "fms").disassociate_admin_account()
    assert code_of_call(mgmt_fms.get_admin_account) == "ResourceNotFoundException"
    assert org.orgs.list_delegated_administrators(ServicePrincipal="fms.amazonaws.com")["DelegatedAdministrators"] == []


def test_policy_validation(org: Org, admin: str) -> None:
    fms = org.client(admin, "fms")
    group = blocking_rule_group(org.client(admin, "wafv2"))
    good = waf_data([group])

    def put_code(data: str | None = good, policy_type: str = "WAFV2", **kw: Any) -> tuple[str, str]:
        policy = waf_policy("bad", data or "", **kw)
        policy["SecurityServicePolicyData"] = {"Type": policy_type, **({"ManagedServiceData": data} if data else {})}
        return code_message_of_call(fms.put_policy, Policy=policy)

    assert put_code("{not json")[0] == "InvalidInputException"
    assert put_code(json.dumps({"type": "SHIELD_ADVANCED"})) == (
        "InvalidInputException",
        "ManagedServiceData type must be WAFV2.",
    )
    no_default = json.loads(good)
    del no_default["defaultAction"]
    assert put_code(json.dumps(no_default))[0] == "InvalidInputException"
    unknown_managed = json.loads(good)
    unknown_managed["preProcessRuleGroups"] = [
        {
            "ruleGroupType": "ManagedRuleGroup",
            "managedRuleGroupIdentifier": {"vendorName": "AWS", "managedRuleGroupName": "NoSuchGroup"},
            "overrideAction": {"type": "NONE"},
        }
    ]
    assert put_code(json.dumps(unknown_managed)) == (
        "InvalidInputException",
        "The managed rule group AWS/NoSuchGroup does not exist.",
    )
    missing_group = group.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
    assert put_code(waf_data([missing_group]))[0] == "InvalidInputException"
    assert put_code(policy_type="SECURITY_GROUPS_COMMON")[0] == "InvalidInputException"
    assert put_code(ResourceType="AWS::EC2::Instance") == (
        "InvalidInputException",
        "Resource type AWS::EC2::Instance is not valid for a WAFV2 policy.",
    )
    assert code_of_call(fms.get_policy, PolicyId=str(uuid.uuid4())) == "ResourceNotFoundException"
    assert code_of_call(fms.list_compliance_status, PolicyId=str(uuid.uuid4())) == "ResourceNotFoundException"

    # a managed rule group, then an update with the current token; a stale token is refused
    managed = json.loads(good)
    managed["postProcessRuleGroups"] = [
        {
            "ruleGroupType": "ManagedRuleGroup",
            "managedRuleGroupIdentifier": {"vendorName": "AWS", "managedRuleGroupName": "AWSManagedRulesCommonRuleSet"},
            "overrideAction": {"type": "COUNT"},
            "excludeRules": [{"name": "SizeRestrictions_BODY"}],
        }
    ]
    created = fms.put_policy(Policy=waf_policy("good", json.dumps(managed), RemediationEnabled=False))["Policy"]
    got = fms.get_policy(PolicyId=created["PolicyId"])["Policy"]
    assert got["SecurityServicePolicyData"]["ManagedServiceData"] == json.dumps(managed)
    assert got["PolicyStatus"] == "ACTIVE" and got["ResourceTags"] == []
    updated = fms.put_policy(Policy={**got, "PolicyName": "renamed"})["Policy"]
    assert updated["PolicyName"] == "renamed" and updated["PolicyUpdateToken"] != got["PolicyUpdateToken"]
    assert code_of_call(fms.put_policy, Policy={**got, "PolicyName": "stale"}) == "InvalidOperationException"
    summary = fms.list_policies()["PolicyList"]
    assert [(p["PolicyName"], p["SecurityServiceType"]) for p in summary if p["PolicyId"] == created["PolicyId"]] == [
        ("renamed", "WAFV2")
    ]
    # tags on the policy
    arn = fms.get_policy(PolicyId=created["PolicyId"])["PolicyArn"]
    fms.tag_resource(ResourceArn=arn, TagList=[{"Key": "team", "Value": "sec"}])
    assert fms.list_tags_for_resource(ResourceArn=arn)["TagList"] == [{"Key": "team", "Value": "sec"}]
    fms.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert fms.list_tags_for_resource(ResourceArn=arn)["TagList"] == []
    fms.delete_policy(PolicyId=created["PolicyId"])
    assert code_of_call(fms.delete_policy, PolicyId=created["PolicyId"]) == "ResourceNotFoundException"
    assert code_of_call(fms.list_tags_for_resource, ResourceArn=arn) == "ResourceNotFoundException"

    # SHIELD_ADVANCED policies are stored (their remediation is Shield's: docs/firewall-manager.md)
    shield = {
        "PolicyName": "shield",
        "SecurityServicePolicyData": {
            "Type": "SHIELD_ADVANCED",
            "ManagedServiceData": json.dumps(
                {
                    "type": "SHIELD_ADVANCED",
                    "automaticResponseConfiguration": {
                        "automaticResponseStatus": "ENABLED",
                        "automaticResponseAction": "BLOCK",
                    },
                }
            ),
        },
        "ResourceType": "AWS::ApiGateway::Stage",
        "ExcludeResourceTags": False,
        "RemediationEnabled": False,
    }
    shield_id = fms.put_policy(Policy=shield)["Policy"]["PolicyId"]
    bad_shield = json.loads(shield["SecurityServicePolicyData"]["ManagedServiceData"])
    bad_shield["automaticResponseConfiguration"]["automaticResponseAction"] = "DROP"
    shield["SecurityServicePolicyData"]["ManagedServiceData"] = json.dumps(bad_shield)
    assert code_of_call(fms.put_policy, Policy=shield) == "InvalidInputException"
    fms.delete_policy(PolicyId=shield_id)


def test_iam_denial(org: Org, admin: str) -> None:
    user = make_user(org.client(admin, "iam"), allow("*"), deny("fms:PutPolicy"))
    fms = client_for(org.server, "fms", user)
    fms.list_policies()
    policy = waf_policy("denied", waf_data([]))
    assert code_of_call(fms.put_policy, Policy=policy) == "AccessDeniedException"

    # resource-level: fms:GetPolicy on one policy's ARN, and by its tag
    owner = org.client(admin, "fms")
    tagged = owner.put_policy(
        Policy=waf_policy("tagged", waf_data([]), RemediationEnabled=False), TagList=[{"Key": "team", "Value": "a"}]
    )
    other = owner.put_policy(Policy=waf_policy("other", waf_data([]), RemediationEnabled=False))
    by_arn = client_for(
        org.server, "fms", make_user(org.client(admin, "iam"), allow("fms:GetPolicy", tagged["PolicyArn"]))
    )
    by_arn.get_policy(PolicyId=tagged["Policy"]["PolicyId"])
    assert code_of_call(by_arn.get_policy, PolicyId=other["Policy"]["PolicyId"]) == "AccessDeniedException"
    by_tag = client_for(
        org.server,
        "fms",
        make_user(
            org.client(admin, "iam"),
            allow("fms:GetPolicy", Condition={"StringEquals": {"aws:ResourceTag/team": "a"}}),
        ),
    )
    by_tag.get_policy(PolicyId=tagged["Policy"]["PolicyId"])
    assert code_of_call(by_tag.get_policy, PolicyId=other["Policy"]["PolicyId"]) == "AccessDeniedException"
    for made in (tagged, other):
        owner.delete_policy(PolicyId=made["Policy"]["PolicyId"])


def test_lists_resource_sets_and_notification_channel(org: Org, admin: str) -> None:
    fms = org.client(admin, "fms")
    apps = fms.put_apps_list(
        AppsList={"ListName": "web", "AppsList": [{"AppName": "https", "Protocol": "tcp", "Port": 443}]},
        TagList=[{"Key": "k", "Value": "v"}],
    )
    list_id = apps["AppsList"]["ListId"]
    assert apps["AppsListArn"] == f"arn:aws:fms:us-east-1:{admin}:applications-list/{list_id}"
    assert fms.list_tags_for_resource(ResourceArn=apps["AppsListArn"])["TagList"] == [{"Key": "k", "Value": "v"}]
    again = fms.put_apps_list(
        AppsList={
            "ListId": list_id,
            "ListName": "web",
            "ListUpdateToken": apps["AppsList"]["ListUpdateToken"],
            "AppsList": [{"AppName": "http", "Protocol": "tcp", "Port": 80}],
        }
    )["AppsList"]
    assert again["PreviousAppsList"] == {
        apps["AppsList"]["ListUpdateToken"]: [{"AppName": "https", "Protocol": "tcp", "Port": 443}]
    }
    assert fms.get_apps_list(ListId=list_id)["AppsList"]["AppsList"] == [
        {"AppName": "http", "Protocol": "tcp", "Port": 80}
    ]
    assert [a["ListId"] for a in fms.list_apps_lists(MaxResults=10)["AppsLists"]] == [list_id]
    fms.delete_apps_list(ListId=list_id)
    assert code_of_call(fms.get_apps_list, ListId=list_id) == "ResourceNotFoundException"

    protocols = fms.put_protocols_list(ProtocolsList={"ListName": "p", "ProtocolsList": ["tcp", "udp"]})
    pid = protocols["ProtocolsList"]["ListId"]
    assert fms.get_protocols_list(ListId=pid)["ProtocolsList"]["ProtocolsList"] == ["tcp", "udp"]
    assert [p["ListName"] for p in fms.list_protocols_lists(MaxResults=10)["ProtocolsLists"]] == ["p"]
    fms.delete_protocols_list(ListId=pid)

    created = fms.put_resource_set(ResourceSet={"Name": "stages", "ResourceTypeList": ["AWS::ApiGateway::Stage"]})
    set_id = created["ResourceSet"]["Id"]
    assert len(set_id) == 22 and created["ResourceSetArn"].endswith(f":resource-set/{set_id}")
    stage_arn = "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod"
    answer = fms.batch_associate_resource(
        ResourceSetIdentifier=set_id,
        Items=[stage_arn, "not-an-arn", "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/prod"],
    )
    assert answer["FailedItems"] == [
        {"URI": "not-an-arn", "Reason": "NOT_VALID_ARN"},
        {"URI": "arn:aws:apigateway:eu-west-1::/restapis/abc123/stages/prod", "Reason": "NOT_VALID_REGION"},
    ]
    assert fms.list_resource_set_resources(Identifier=set_id)["Items"] == [{"URI": stage_arn}]
    fms.batch_disassociate_resource(ResourceSetIdentifier=set_id, Items=[stage_arn])
    assert fms.list_resource_set_resources(Identifier=set_id)["Items"] == []
    assert [s["Id"] for s in fms.list_resource_sets()["ResourceSets"]] == [set_id]
    # what may go in a set: the stages of the organization's accounts
    _, discovered_stage = stage(org.client(admin, "apigateway"), name="disc")
    found = fms.list_discovered_resources(MemberAccountIds=[admin], ResourceType="AWS::ApiGateway::Stage")["Items"]
    (mine,) = [i for i in found if i["URI"] == discovered_stage]
    assert (mine["AccountId"], mine["Type"]) == (admin, "AWS::ApiGateway::Stage")
    assert mine["Name"].endswith("/disc")
    assert (
        code_of_call(
            fms.list_discovered_resources, MemberAccountIds=["123456789012"], ResourceType="AWS::ApiGateway::Stage"
        )
        == "InvalidInputException"
    )
    policy = waf_policy("with-set", waf_data([]), RemediationEnabled=False, ResourceSetIds=[set_id])
    policy_id = fms.put_policy(Policy=policy)["Policy"]["PolicyId"]
    missing = waf_policy("bad-set", waf_data([]), ResourceSetIds=["A" * 22])
    assert code_of_call(fms.put_policy, Policy=missing) == "ResourceNotFoundException"
    fms.delete_policy(PolicyId=policy_id)
    fms.delete_resource_set(Identifier=set_id)
    assert code_of_call(fms.get_resource_set, Identifier=set_id) == "ResourceNotFoundException"

    assert "SnsTopicArn" not in fms.get_notification_channel()
    topic = f"arn:aws:sns:us-east-1:{admin}:fms-alerts"
    role = f"arn:aws:iam::{admin}:role/fms-sns"
    fms.put_notification_channel(SnsTopicArn=topic, SnsRoleName=role)
    got = fms.get_notification_channel()
    assert (got["SnsTopicArn"], got["SnsRoleName"]) == (topic, role)
    fms.delete_notification_channel()
    assert code_of_call(fms.delete_notification_channel) == "ResourceNotFoundException"
