"""Firewall Manager end to end: a WAFV2 policy on the organization puts the managed web ACL (the policy's first rule
groups, the account's own rules, the last rule groups) on every API Gateway stage of every account, and the WAF
blocks through it; a stage created later and an account created later are remediated in the next cycle; a member
removing the association is reported NON_COMPLIANT and re-remediated; DeleteAllPolicyResources cleans up."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.apigateway_invoke_support import invoke
from tests.e2e.fms_support import CYCLE, Org, blocking_rule_group, new_fms_org, stage, until, waf_data, waf_policy
from tests.support.errors import code_of_call
from tests.support.server import ServerProcess


def web_acl_of(org: Org, account: str, stage_arn: str) -> dict[str, Any] | None:
    got = org.client(account, "wafv2").get_web_acl_for_resource(ResourceArn=stage_arn)
    return got.get("WebACL")


def statuses(fms: Any, policy_id: str) -> dict[str, str]:
    listed = fms.list_compliance_status(PolicyId=policy_id)["PolicyComplianceStatusList"]
    return {s["MemberAccount"]: s["EvaluationResults"][0]["ComplianceStatus"] for s in listed}


def test_wafv2_policy_remediates_every_stage_of_every_account(server: ServerProcess) -> None:
    org = new_fms_org(server)
    admin = org.create_account("fms-admin")
    member = org.create_account("member")
    org.mgmt.client("fms").associate_admin_account(AdminAccount=admin)
    fms = org.client(admin, "fms")
    got_admin = fms.get_admin_account()
    assert (got_admin["AdminAccount"], got_admin["RoleStatus"]) == (admin, "READY")
    # Organizations knows the administrator, as at AWS
    delegated = org.orgs.list_delegated_administrators(ServicePrincipal="fms.amazonaws.com")["DelegatedAdministrators"]
    assert [d["Id"] for d in delegated] == [admin]

    member_api, member_stage = stage(org.client(member, "apigateway"))
    _, admin_stage = stage(org.client(admin, "apigateway"))
    group_arn = blocking_rule_group(org.client(admin, "wafv2"))
    name = f"org-waf-{uuid.uuid4().hex[:6]}"
    put = fms.put_policy(Policy=waf_policy(name, waf_data([group_arn])))
    policy_id = put["Policy"]["PolicyId"]
    assert put["PolicyArn"] == f"arn:aws:fms:us-east-1:{admin}:policy/{policy_id}"
    server.advance(CYCLE)

    # every stage of every account carries the policy's web ACL, made in that account
    for account, arn in ((member, member_stage), (admin, admin_stage)):
        acl = web_acl_of(org, account, arn)
        assert acl is not None and acl["Name"].startswith(f"FMManagedWebACLV2-{name}-"), acl
        assert acl["ARN"].split(":")[4] == account
        assert acl["ManagedByFirewallManager"] is True
        (first,) = acl["PreProcessFirewallManagerRuleGroups"]
        assert first["FirewallManagerStatement"] == {"RuleGroupReferenceStatement": {"ARN": group_arn}}
        assert acl["PostProcessFirewallManagerRuleGroups"] == [] and acl["Rules"] == []
    # the management account gets the web ACL too (no stage to associate)
    mgmt_acls = org.client(org.mgmt.account_id, "wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert [a["Name"] for a in mgmt_acls if a["Name"].startswith(f"FMManagedWebACLV2-{name}-")]

    # the WAF blocks through the member's stage with the administrator's rule group
    assert until(lambda: invoke(server, member_api, "test", "/pets", headers={"x-attack": "yes"}).status == 403)
    assert invoke(server, member_api, "test", "/pets").status == 200

    # the account's own rules go between Firewall Manager's groups and survive the next cycle
    member_waf = org.client(member, "wafv2")
    acl = web_acl_of(org, member, member_stage)
    assert acl is not None
    got = member_waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
    own_rule = {
        "Name": "own",
        "Priority": 0,
        "Statement": {
            "ByteMatchStatement": {
                "FieldToMatch": {"UriPath": {}},
                "SearchString": b"/pets/private",
                "PositionalConstraint": "STARTS_WITH",
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
        "Action": {"Block": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "own"},
    }
    member_waf.update_web_acl(
        Name=acl["Name"],
        Scope="REGIONAL",
        Id=acl["Id"],
        LockToken=got["LockToken"],
        DefaultAction={"Allow": {}},
        VisibilityConfig=got["WebACL"]["VisibilityConfig"],
        Rules=[own_rule],
    )
    assert until(lambda: invoke(server, member_api, "test", "/pets/private").status == 403)

    # compliance: the first cycle reported what it fixed; the next one finds every account compliant
    server.advance(CYCLE)
    accounts = {org.mgmt.account_id, admin, member}
    assert statuses(fms, policy_id) == dict.fromkeys(accounts, "COMPLIANT")
    assert set(fms.list_member_accounts()["MemberAccounts"]) == accounts
    after = web_acl_of(org, member, member_stage)
    assert after is not None and [r["Name"] for r in after["Rules"]] == ["own"]
    assert invoke(server, member_api, "test", "/pets", headers={"x-attack": "yes"}).status == 403

    # a stage created later, and an account created later, are remediated in the next cycle
    later_api, later_stage = stage(org.client(member, "apigateway"), name="later")
    newcomer = org.create_account("newcomer")
    new_api, new_stage = stage(org.client(newcomer, "apigateway"))
    assert web_acl_of(org, member, later_stage) is None
    server.advance(CYCLE)
    later = web_acl_of(org, member, later_stage)
    assert later is not None and later["ARN"] == after["ARN"]
    fresh = web_acl_of(org, newcomer, new_stage)
    assert fresh is not None and fresh["ManagedByFirewallManager"] and fresh["ARN"].split(":")[4] == newcomer
    assert until(lambda: invoke(server, new_api, "test", "/pets", headers={"x-attack": "yes"}).status == 403)
    assert until(lambda: invoke(server, later_api, "later", "/pets", headers={"x-attack": "yes"}).status == 403)

    # a member removing the association: NON_COMPLIANT with the reason, then re-remediated
    member_waf.disassociate_web_acl(ResourceArn=member_stage)
    server.advance(CYCLE)
    assert statuses(fms, policy_id)[member] == "NON_COMPLIANT"
    detail = fms.get_compliance_detail(PolicyId=policy_id, MemberAccount=member)["PolicyComplianceDetail"]
    assert detail["Violators"] == [
        {
            "ResourceId": member_stage,
            "ViolationReason": "RESOURCE_MISSING_WEB_ACL",
            "ResourceType": "AWS::ApiGateway::Stage",
        }
    ]
    # the member reads its own detail; the remediation already put the web ACL back
    own_view = org.client(member, "fms").get_compliance_detail(PolicyId=policy_id, MemberAccount=member)
    assert own_view["PolicyComplianceDetail"]["Violators"] == detail["Violators"]
    back = web_acl_of(org, member, member_stage)
    assert back is not None and back["ARN"] == after["ARN"]
    server.advance(CYCLE)
    assert statuses(fms, policy_id)[member] == "COMPLIANT"

    # the member's trail shows Firewall Manager's calls, invoked by fms.amazonaws.com
    events = org.client(member, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AssociateWebACL"}]
    )["Events"]
    record = json.loads(events[0]["CloudTrailEvent"])
    assert record["userIdentity"]["invokedBy"] == "fms.amazonaws.com" and record["recipientAccountId"] == member

    # the administrator's rule group is in use by the members' web ACLs
    admin_waf = org.client(admin, "wafv2")
    token = admin_waf.get_rule_group(ARN=group_arn)["LockToken"]
    group_name, group_id = group_arn.split("/")[-2:]
    delete_group = {"Name": group_name, "Scope": "REGIONAL", "Id": group_id, "LockToken": token}
    assert code_of_call(admin_waf.delete_rule_group, **delete_group) == "WAFAssociatedItemException"

    # DeletePolicy with DeleteAllPolicyResources: the associations go; the web ACLs without rules of the account's
    # are deleted, the member's (with its own rule) stays as the account's own web ACL
    fms.delete_policy(PolicyId=policy_id, DeleteAllPolicyResources=True)
    assert web_acl_of(org, member, member_stage) is None
    assert web_acl_of(org, newcomer, new_stage) is None
    newcomer_acls = org.client(newcomer, "wafv2").list_web_acls(Scope="REGIONAL")["WebACLs"]
    assert not [a for a in newcomer_acls if a["Name"].startswith("FMManagedWebACLV2-")]
    kept = member_waf.get_web_acl(ARN=after["ARN"])["WebACL"]
    assert kept["ManagedByFirewallManager"] is False and [r["Name"] for r in kept["Rules"]] == ["own"]
    assert "PreProcessFirewallManagerRuleGroups" not in kept
    assert until(lambda: invoke(server, member_api, "test", "/pets", headers={"x-attack": "yes"}).status == 200)
    assert fms.list_policies()["PolicyList"] == []
    admin_waf.delete_rule_group(**delete_group)  # no longer in use


def test_remediation_is_not_bounded_by_the_members_scps(server: ServerProcess) -> None:
    """Firewall Manager acts in a member account as its service-linked role, which SCPs do not bound: an SCP that
    denies the account every WAF and API Gateway call stops the account's principals, not the remediation."""
    org = new_fms_org(server)
    admin = org.create_account("fms-admin")
    member = org.create_account("locked")
    _, member_stage = stage(org.client(member, "apigateway"))
    root = org.orgs.list_roots()["Roots"][0]["Id"]
    org.orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    content = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["wafv2:*", "apigateway:*"], "Resource": "*"},
            ],
        }
    )
    scp = org.orgs.create_policy(
        Name=f"no-waf-{uuid.uuid4().hex[:6]}", Description="", Type="SERVICE_CONTROL_POLICY", Content=content
    )["Policy"]["PolicySummary"]["Id"]
    org.orgs.attach_policy(PolicyId=scp, TargetId=member)
    assert code_of_call(lambda: org.client(member, "wafv2").list_web_acls(Scope="REGIONAL")) == "AccessDeniedException"

    org.mgmt.client("fms").associate_admin_account(AdminAccount=admin)
    fms = org.client(admin, "fms")
    group_arn = blocking_rule_group(org.client(admin, "wafv2"))
    policy_id = fms.put_policy(Policy=waf_policy(f"scp-{uuid.uuid4().hex[:6]}", waf_data([group_arn])))["Policy"][
        "PolicyId"
    ]
    server.advance(CYCLE)
    assert until(lambda: member in statuses(fms, policy_id))
    # the cycle after the one that fixed it finds the member compliant: remediated while the SCP was attached
    server.advance(CYCLE)
    assert until(lambda: statuses(fms, policy_id).get(member) == "COMPLIANT")
    org.orgs.detach_policy(PolicyId=scp, TargetId=member)
    assert until(lambda: web_acl_of(org, member, member_stage) is not None)
