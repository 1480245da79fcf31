"""Firewall Manager with Shield Advanced: a SHIELD_ADVANCED policy subscribes each in-scope account and protects
every API Gateway stage in it, through Shield's own API as the account; the next cycle finds it compliant."""

from __future__ import annotations

import json
import uuid

from tests.e2e.fms_support import CYCLE, STAGE_TYPE, new_fms_org, stage, until
from tests.support.server import ServerProcess


def test_shield_advanced_policy_protects_every_stage(server: ServerProcess) -> None:
    org = new_fms_org(server)
    admin = org.create_account("fms-admin")
    member = org.create_account("shielded")
    _, member_stage = stage(org.client(member, "apigateway"))
    org.mgmt.client("fms").associate_admin_account(AdminAccount=admin)
    fms = org.client(admin, "fms")
    name = f"org-shield-{uuid.uuid4().hex[:6]}"
    policy_id = fms.put_policy(
        Policy={
            "PolicyName": name,
            "SecurityServicePolicyData": {
                "Type": "SHIELD_ADVANCED",
                "ManagedServiceData": json.dumps({"type": "SHIELD_ADVANCED"}),
            },
            "ResourceType": STAGE_TYPE,
            "ExcludeResourceTags": False,
            "RemediationEnabled": True,
        }
    )["Policy"]["PolicyId"]
    server.advance(CYCLE)

    shield = org.client(member, "shield")

    def protected() -> bool:
        try:
            got = shield.describe_protection(ResourceArn=member_stage)["Protection"]
        except shield.exceptions.ResourceNotFoundException:
            return False
        return bool(got["Name"].startswith("FMManagedShieldProtectionV2"))

    assert until(protected)
    assert shield.get_subscription_state()["SubscriptionState"] == "ACTIVE"
    detail = fms.get_compliance_detail(PolicyId=policy_id, MemberAccount=member)["PolicyComplianceDetail"]
    assert detail["Violators"] and detail["Violators"][0]["ViolationReason"] == "RESOURCE_MISSING_SHIELD_PROTECTION"
    server.advance(CYCLE)

    def compliant() -> bool:
        got = fms.get_compliance_detail(PolicyId=policy_id, MemberAccount=member)["PolicyComplianceDetail"]
        return not got["Violators"]

    assert until(compliant)
