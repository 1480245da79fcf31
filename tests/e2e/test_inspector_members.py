"""Inspector's delegated administrator and members through AWS Organizations: the management account names the
administrator, which associates accounts of the organization, auto-enables their scanning and sees their findings."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.e2e.organizations_support import new_account, new_org
from tests.e2e.test_inspector_api import TRUST, error_of, loaded, package_zip  # noqa: F401 (the fixture)
from tests.support.server import ServerProcess


def test_delegated_admin_sees_members_findings(server: ServerProcess, loaded: str) -> None:  # noqa: F811
    del loaded
    mgmt, orgs, _ = new_org(server)
    admin = mgmt.client("inspector2")
    guest = new_account(server)
    handshake = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    guest.client("organizations").accept_handshake(HandshakeId=handshake["Id"])
    outsider = new_account(server)

    with pytest.raises(ClientError) as exc:  # only the management account names the administrator
        outsider.client("inspector2").enable_delegated_admin_account(delegatedAdminAccountId=outsider.account_id)
    assert error_of(exc)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        admin.enable_delegated_admin_account(delegatedAdminAccountId=outsider.account_id)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:  # not yet the administrator
        admin.associate_member(accountId=guest.account_id)
    assert error_of(exc)[0] == "AccessDeniedException"

    assert admin.enable_delegated_admin_account(delegatedAdminAccountId=mgmt.account_id)["delegatedAdminAccountId"]
    assert admin.list_delegated_admin_accounts()["delegatedAdminAccounts"] == [
        {"accountId": mgmt.account_id, "status": "ENABLED"}
    ]
    seen = guest.client("inspector2").get_delegated_admin_account()["delegatedAdmin"]
    assert seen == {"accountId": mgmt.account_id, "relationshipStatus": "ENABLED"}

    auto = admin.update_organization_configuration(autoEnable={"ec2": False, "ecr": False, "lambda": True})
    assert auto["autoEnable"]["lambda"] is True
    assert admin.describe_organization_configuration()["autoEnable"]["lambda"] is True
    admin.associate_member(accountId=guest.account_id)
    with pytest.raises(ClientError) as exc:
        admin.associate_member(accountId=outsider.account_id)
    assert error_of(exc)[0] == "ValidationException"
    (member,) = admin.list_members()["members"]
    assert (member["accountId"], member["relationshipStatus"], member["delegatedAdminAccountId"]) == (
        guest.account_id,
        "ENABLED",
        mgmt.account_id,
    )
    assert admin.get_member(accountId=guest.account_id)["member"]["accountId"] == guest.account_id

    status = admin.batch_get_account_status(accountIds=[guest.account_id, outsider.account_id])
    assert [(a["accountId"], a["resourceState"]["lambda"]["status"]) for a in status["accounts"]] == [
        (guest.account_id, "ENABLED")  # auto-enabled on association
    ]
    assert [f["accountId"] for f in status["failedAccounts"]] == [outsider.account_id]

    role = guest.client("iam").create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=TRUST)
    guest.client("lambda").create_function(
        FunctionName="member-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": package_zip({"requests": "2.19.0"})},
    )
    server.advance(61)
    theirs = admin.list_findings(filterCriteria={"awsAccountId": [{"comparison": "EQUALS", "value": guest.account_id}]})
    assert {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in theirs["findings"]} == {
        "CVE-2018-18074",
        "CVE-2023-32681",
    }
    assert len(guest.client("inspector2").list_findings()["findings"]) == 2
    assert outsider.client("inspector2").list_findings()["findings"] == []

    admin.disassociate_member(accountId=guest.account_id)
    assert admin.list_findings()["findings"] == []
    with pytest.raises(ClientError) as exc:
        admin.get_member(accountId=guest.account_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        admin.disable_delegated_admin_account(delegatedAdminAccountId=guest.account_id)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    admin.disable_delegated_admin_account(delegatedAdminAccountId=mgmt.account_id)
    assert admin.list_delegated_admin_accounts()["delegatedAdminAccounts"] == []
