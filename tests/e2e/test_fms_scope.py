"""Firewall Manager policy scope end to end: IncludeMap / ExcludeMap of accounts and OUs (child OUs included),
resource tags to include or exclude, as ListComplianceStatus and GetComplianceDetail report them."""

from __future__ import annotations

import uuid
from typing import Any

from tests.e2e.fms_support import CYCLE, blocking_rule_group, new_fms_org, stage, waf_data, waf_policy
from tests.support.server import ServerProcess


def compliance(fms: Any, policy_id: str) -> dict[str, tuple[str, int]]:
    listed = fms.list_compliance_status(PolicyId=policy_id)["PolicyComplianceStatusList"]
    return {
        s["MemberAccount"]: (s["EvaluationResults"][0]["ComplianceStatus"], s["EvaluationResults"][0]["ViolatorCount"])
        for s in listed
    }


def violators(fms: Any, policy_id: str, account: str) -> list[str]:
    detail = fms.get_compliance_detail(PolicyId=policy_id, MemberAccount=account)["PolicyComplianceDetail"]
    return sorted(v["ResourceId"] for v in detail["Violators"])


def test_include_and_exclude_maps_and_resource_tags(server: ServerProcess) -> None:
    org = new_fms_org(server)
    root = org.orgs.list_roots()["Roots"][0]["Id"]
    prod = org.orgs.create_organizational_unit(ParentId=root, Name=f"prod-{uuid.uuid4().hex[:6]}")
    child = org.orgs.create_organizational_unit(ParentId=prod["OrganizationalUnit"]["Id"], Name="child")
    prod_id, child_id = prod["OrganizationalUnit"]["Id"], child["OrganizationalUnit"]["Id"]
    admin = org.create_account("admin")
    in_prod = org.create_account("p")
    in_child = org.create_account("c")
    at_root = org.create_account("r")
    org.orgs.move_account(AccountId=in_prod, SourceParentId=root, DestinationParentId=prod_id)
    org.orgs.move_account(AccountId=in_child, SourceParentId=root, DestinationParentId=child_id)
    org.mgmt.client("fms").associate_admin_account(AdminAccount=admin)
    fms = org.client(admin, "fms")
    stages = {a: stage(org.client(a, "apigateway"))[1] for a in (in_prod, in_child, at_root)}
    _, tagged = stage(org.client(at_root, "apigateway"), name="tagged", tags={"fms": "on"})
    data = waf_data([blocking_rule_group(org.client(admin, "wafv2"))])

    def put(**kw: Any) -> str:
        policy = waf_policy(f"scope-{uuid.uuid4().hex[:6]}", data, RemediationEnabled=False, **kw)
        return str(fms.put_policy(Policy=policy)["Policy"]["PolicyId"])

    include_ou = put(IncludeMap={"ORG_UNIT": [prod_id]})
    include_mixed = put(IncludeMap={"ACCOUNT": [at_root], "ORG_UNIT": [child_id]})
    exclude = put(ExcludeMap={"ACCOUNT": [at_root], "ORG_UNIT": [child_id]})
    both = put(IncludeMap={"ACCOUNT": [in_prod]}, ExcludeMap={"ACCOUNT": [in_prod]})  # IncludeMap wins, as at AWS
    with_tag = put(ResourceTags=[{"Key": "fms", "Value": "on"}], IncludeMap={"ACCOUNT": [at_root]})
    without_tag = put(
        ResourceTags=[{"Key": "fms", "Value": "on"}], ExcludeResourceTags=True, IncludeMap={"ACCOUNT": [at_root]}
    )
    server.advance(CYCLE)

    # remediation off: the accounts in scope are reported, their stages without the web ACL
    assert compliance(fms, include_ou) == {in_prod: ("NON_COMPLIANT", 1), in_child: ("NON_COMPLIANT", 1)}
    assert compliance(fms, include_mixed) == {at_root: ("NON_COMPLIANT", 2), in_child: ("NON_COMPLIANT", 1)}
    assert compliance(fms, exclude) == {
        org.mgmt.account_id: ("COMPLIANT", 0),
        admin: ("COMPLIANT", 0),
        in_prod: ("NON_COMPLIANT", 1),
    }
    assert set(compliance(fms, both)) == {in_prod}
    assert violators(fms, with_tag, at_root) == [tagged]
    assert violators(fms, without_tag, at_root) == [stages[at_root]]
    detail = fms.get_compliance_detail(PolicyId=include_ou, MemberAccount=in_child)["PolicyComplianceDetail"]
    assert detail["Violators"][0]["ViolationReason"] == "RESOURCE_MISSING_WEB_ACL"
    # nothing was changed in the accounts
    assert org.client(in_prod, "wafv2").get_web_acl_for_resource(ResourceArn=stages[in_prod]).get("WebACL") is None

    # an account moved out of the OU leaves the policy's scope at the next cycle
    org.orgs.move_account(AccountId=in_child, SourceParentId=child_id, DestinationParentId=root)
    server.advance(CYCLE)
    assert set(compliance(fms, include_ou)) == {in_prod}
    for policy_id in (include_ou, include_mixed, exclude, both, with_tag, without_tag):
        fms.delete_policy(PolicyId=policy_id)


def web_acl_arn(org: Any, account: str, stage_arn: str) -> str | None:
    acl = org.client(account, "wafv2").get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL")
    return None if acl is None else str(acl["ARN"])


def test_customer_web_acls_policy_updates_and_accounts_leaving(server: ServerProcess) -> None:
    org = new_fms_org(server)
    admin = org.create_account("admin")
    member = org.create_account("m")
    leaver = org.create_account("l")
    org.mgmt.client("fms").associate_admin_account(AdminAccount=admin)
    fms = org.client(admin, "fms")
    admin_waf = org.client(admin, "wafv2")
    first, last = blocking_rule_group(admin_waf), blocking_rule_group(admin_waf, header="x-late")
    _, own_stage = stage(org.client(member, "apigateway"))
    _, leaver_stage = stage(org.client(leaver, "apigateway"))
    # the member protects its stage with a web ACL of its own
    member_waf = org.client(member, "wafv2")
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "own"}
    own = member_waf.create_web_acl(
        Name=f"own-{uuid.uuid4().hex[:6]}", Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=vis
    )["Summary"]["ARN"]
    member_waf.associate_web_acl(WebACLArn=own, ResourceArn=own_stage)

    policy = waf_policy(f"keep-{uuid.uuid4().hex[:6]}", waf_data([first]), IncludeMap={"ACCOUNT": [member, leaver]})
    put = fms.put_policy(Policy=policy)["Policy"]
    server.advance(CYCLE)
    # overrideCustomerWebACLAssociation false: the customer's web ACL stays, reported RESOURCE_INCORRECT_WEB_ACL
    assert web_acl_arn(org, member, own_stage) == own
    detail = fms.get_compliance_detail(PolicyId=put["PolicyId"], MemberAccount=member)["PolicyComplianceDetail"]
    assert [v["ViolationReason"] for v in detail["Violators"]] == ["RESOURCE_INCORRECT_WEB_ACL"]
    managed = web_acl_arn(org, leaver, leaver_stage)
    assert managed is not None and "FMManagedWebACLV2-" in managed

    # the policy now overrides customers' associations and adds a last rule group
    current = fms.get_policy(PolicyId=put["PolicyId"])["Policy"]
    current["SecurityServicePolicyData"]["ManagedServiceData"] = waf_data(
        [first], [last], overrideCustomerWebACLAssociation=True
    )
    fms.put_policy(Policy=current)
    server.advance(CYCLE)
    replaced = web_acl_arn(org, member, own_stage)
    assert replaced is not None and replaced != own and "FMManagedWebACLV2-" in replaced
    # the leaver's web ACL lacked the new group when evaluated; it has it now
    detail = fms.get_compliance_detail(PolicyId=put["PolicyId"], MemberAccount=leaver)["PolicyComplianceDetail"]
    assert [v["ViolationReason"] for v in detail["Violators"]] == ["WEB_ACL_MISSING_RULE_GROUP"]
    got = org.client(leaver, "wafv2").get_web_acl(ARN=managed)["WebACL"]
    assert [g["Name"] for g in got["PostProcessFirewallManagerRuleGroups"]] == [last.split("/")[-2]]

    # an account removed from the organization leaves the scope: its stage is no longer associated
    org.orgs.remove_account_from_organization(AccountId=leaver)
    server.advance(CYCLE)
    assert web_acl_arn(org, leaver, leaver_stage) is None
    assert set(compliance(fms, put["PolicyId"])) == {member}
    fms.delete_policy(PolicyId=put["PolicyId"], DeleteAllPolicyResources=True)
