"""Organizations: the organization's lifecycle, CreateAccount and its access role, invitations, OUs, who may call."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.organizations_support import created_account, new_account, new_org
from tests.support.errors import code_of, error_of
from tests.support.server import ServerProcess


def test_organization_lifecycle_and_created_account(server: ServerProcess) -> None:
    mgmt = new_account(server)
    orgs = mgmt.client("organizations")
    with pytest.raises(ClientError) as exc:
        orgs.describe_organization()
    assert error_of(exc) == (
        "AWSOrganizationsNotInUseException",
        "Your account is not a member of an organization.",
        400,
    )

    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    assert re.fullmatch(r"o-[a-z0-9]{10}", org["Id"])
    assert org["MasterAccountId"] == mgmt.account_id and org["FeatureSet"] == "ALL"
    assert org["Arn"] == f"arn:aws:organizations::{mgmt.account_id}:organization/{org['Id']}"
    with pytest.raises(ClientError) as exc:
        orgs.create_organization()
    assert code_of(exc) == "AlreadyInOrganizationException"
    # a global service: any region's endpoint answers with the same organization
    assert mgmt.client("organizations", region="eu-west-1").describe_organization()["Organization"]["Id"] == org["Id"]

    (root,) = orgs.list_roots()["Roots"]
    assert re.fullmatch(r"r-[a-z0-9]{4}", root["Id"]) and root["PolicyTypes"] == []

    member_id = created_account(orgs, f"member-{uuid.uuid4().hex[:6]}")
    # CloudTrail: the call is Organizations', its sensitive members hidden; the role is IAM's, invoked by Organizations
    trail = mgmt.client("cloudtrail")
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateAccount"}])
    record = json.loads(events["Events"][0]["CloudTrailEvent"])
    assert record["eventSource"] == "organizations.amazonaws.com"
    assert record["requestParameters"]["email"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    statuses = orgs.list_create_account_status(States=["SUCCEEDED"])["CreateAccountStatuses"]
    assert [s["AccountId"] for s in statuses] == [member_id]
    accounts = {a["Id"]: a for a in orgs.list_accounts()["Accounts"]}
    assert set(accounts) == {mgmt.account_id, member_id}
    assert accounts[member_id]["JoinedMethod"] == "CREATED" and accounts[member_id]["Status"] == "ACTIVE"
    assert orgs.describe_account(AccountId=member_id)["Account"]["Arn"].endswith(f"/{org['Id']}/{member_id}")
    # the same e-mail again: the request fails asynchronously, as AWS reports it
    email = accounts[member_id]["Email"]
    again = orgs.create_account(Email=email, AccountName="dup")["CreateAccountStatus"]
    failed = orgs.describe_create_account_status(CreateAccountRequestId=again["Id"])["CreateAccountStatus"]
    assert failed["State"] == "FAILED" and failed["FailureReason"] == "EMAIL_ALREADY_EXISTS"
    with pytest.raises(ClientError) as exc:
        orgs.describe_create_account_status(CreateAccountRequestId="car-" + "0" * 32)
    assert code_of(exc) == "CreateAccountStatusNotFoundException"

    # an administrator of the management account assumes OrganizationAccountAccessRole (the role trusts the
    # management account; roots may not assume roles) and administers the new account
    role_arn = f"arn:aws:iam::{member_id}:role/OrganizationAccountAccessRole"
    admin = make_user(mgmt.client("iam"), allow("sts:AssumeRole"))
    sts = client_for(server, "sts", admin)
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="admin")["Credentials"]
    key = client_for(server, "kms", creds).create_key(Description="member key")["KeyMetadata"]
    role_events = client_for(server, "cloudtrail", creds).lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateRole"}]
    )["Events"]
    role_record = json.loads(role_events[0]["CloudTrailEvent"])
    assert role_record["userIdentity"]["invokedBy"] == "organizations.amazonaws.com"
    assert role_record["recipientAccountId"] == member_id
    assert key["AWSAccountId"] == member_id
    member_orgs = client_for(server, "organizations", creds)
    assert member_orgs.describe_organization()["Organization"]["Id"] == org["Id"]
    with pytest.raises(ClientError) as exc:
        member_orgs.list_accounts()
    assert error_of(exc) == ("AccessDeniedException", "You don't have permissions to access this resource.", 400)
    with pytest.raises(ClientError) as exc:
        member_orgs.create_organizational_unit(ParentId=root["Id"], Name="x")
    assert code_of(exc) == "AccessDeniedException"

    with pytest.raises(ClientError) as exc:
        orgs.remove_account_from_organization(AccountId=mgmt.account_id)
    assert code_of(exc) == "MasterCannotLeaveOrganizationException"
    with pytest.raises(ClientError) as exc:
        orgs.leave_organization()
    assert code_of(exc) == "MasterCannotLeaveOrganizationException"
    with pytest.raises(ClientError) as exc:
        orgs.describe_account(AccountId="000000000001")
    assert code_of(exc) == "AccountNotFoundException"
    with pytest.raises(ClientError) as exc:
        orgs.delete_organization()
    assert code_of(exc) == "OrganizationNotEmptyException"

    member_orgs.leave_organization()
    with pytest.raises(ClientError) as exc:
        member_orgs.describe_organization()
    assert code_of(exc) == "AWSOrganizationsNotInUseException"
    orgs.delete_organization()
    with pytest.raises(ClientError) as exc:
        orgs.list_roots()
    assert code_of(exc) == "AWSOrganizationsNotInUseException"


def test_invitations(server: ServerProcess) -> None:
    mgmt, orgs, org = new_org(server)
    guest = new_account(server)
    guest_orgs = guest.client("organizations")
    with pytest.raises(ClientError) as exc:
        orgs.invite_account_to_organization(Target={"Id": "000000000009", "Type": "ACCOUNT"})
    assert code_of(exc) == "AccountNotFoundException"
    with pytest.raises(ClientError) as exc:
        orgs.invite_account_to_organization(Target={"Id": "a@example.com", "Type": "EMAIL"})
    assert code_of(exc) == "InvalidInputException"

    first = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"}, Notes="join us")[
        "Handshake"
    ]
    assert re.fullmatch(r"h-[a-z0-9]{10}", first["Id"]) and first["State"] == "OPEN" and first["Action"] == "INVITE"
    assert first["Parties"] == [{"Id": org["Id"], "Type": "ORGANIZATION"}, {"Id": guest.account_id, "Type": "ACCOUNT"}]
    assert first["Arn"] == f"arn:aws:organizations::{mgmt.account_id}:handshake/{org['Id']}/invite/{first['Id']}"
    assert {"Type": "NOTES", "Value": "join us"} in first["Resources"]
    with pytest.raises(ClientError) as exc:
        orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})
    assert code_of(exc) == "DuplicateHandshakeException"
    mine = guest_orgs.list_handshakes_for_account()["Handshakes"]
    assert [h["Id"] for h in mine] == [first["Id"]]
    # only the management account cancels; only the invited account accepts or declines
    with pytest.raises(ClientError) as exc:
        guest_orgs.cancel_handshake(HandshakeId=first["Id"])
    assert code_of(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        orgs.accept_handshake(HandshakeId=first["Id"])
    assert code_of(exc) == "AccessDeniedException"
    assert guest_orgs.decline_handshake(HandshakeId=first["Id"])["Handshake"]["State"] == "DECLINED"
    with pytest.raises(ClientError) as exc:
        guest_orgs.accept_handshake(HandshakeId=first["Id"])
    assert code_of(exc) == "InvalidHandshakeTransitionException"

    second = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    assert orgs.cancel_handshake(HandshakeId=second["Id"])["Handshake"]["State"] == "CANCELED"
    third = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    assert guest_orgs.accept_handshake(HandshakeId=third["Id"])["Handshake"]["State"] == "ACCEPTED"
    with pytest.raises(ClientError) as exc:
        guest_orgs.accept_handshake(HandshakeId=third["Id"])
    assert code_of(exc) == "HandshakeAlreadyInStateException"
    states = {h["Id"]: h["State"] for h in orgs.list_handshakes_for_organization()["Handshakes"]}
    assert states == {first["Id"]: "DECLINED", second["Id"]: "CANCELED", third["Id"]: "ACCEPTED"}
    assert orgs.describe_account(AccountId=guest.account_id)["Account"]["JoinedMethod"] == "INVITED"
    assert guest_orgs.describe_organization()["Organization"]["MasterAccountId"] == mgmt.account_id
    with pytest.raises(ClientError) as exc:
        new_account(server).client("organizations").describe_handshake(HandshakeId=third["Id"])
    assert code_of(exc) == "HandshakeNotFoundException"
    with pytest.raises(ClientError) as exc:
        orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})
    assert code_of(exc) == "HandshakeConstraintViolationException"
    assert exc.value.response["Reason"] == "ALREADY_IN_AN_ORGANIZATION"

    orgs.remove_account_from_organization(AccountId=guest.account_id)
    with pytest.raises(ClientError) as exc:
        guest_orgs.describe_organization()
    assert code_of(exc) == "AWSOrganizationsNotInUseException"


def test_invitations_expire_after_fifteen_days(server: ServerProcess) -> None:
    _mgmt, orgs, _org = new_org(server)
    guest = new_account(server)
    handshake = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    assert handshake["ExpirationTimestamp"] - handshake["RequestedTimestamp"] == timedelta(days=15)
    server.advance(15 * 86400 + 1)
    guest_orgs = guest.client("organizations")
    assert guest_orgs.describe_handshake(HandshakeId=handshake["Id"])["Handshake"]["State"] == "EXPIRED"
    with pytest.raises(ClientError) as exc:
        guest_orgs.accept_handshake(HandshakeId=handshake["Id"])
    assert code_of(exc) == "InvalidHandshakeTransitionException"
    # an expired invitation does not block a new one
    again = orgs.invite_account_to_organization(Target={"Id": guest.account_id, "Type": "ACCOUNT"})["Handshake"]
    assert guest_orgs.accept_handshake(HandshakeId=again["Id"])["Handshake"]["State"] == "ACCEPTED"


def test_organizational_units_and_move_account(server: ServerProcess) -> None:
    mgmt, orgs, org = new_org(server)
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    prod = orgs.create_organizational_unit(ParentId=root_id, Name="Prod", Tags=[{"Key": "env", "Value": "p"}])[
        "OrganizationalUnit"
    ]
    assert re.fullmatch(rf"ou-{root_id[2:]}-[a-z0-9]{{8}}", prod["Id"])
    assert prod["Arn"] == f"arn:aws:organizations::{mgmt.account_id}:ou/{org['Id']}/{prod['Id']}"
    assert prod["Path"] == f"{org['Id']}/{root_id}/{prod['Id']}/"
    web = orgs.create_organizational_unit(ParentId=prod["Id"], Name="Web")["OrganizationalUnit"]
    with pytest.raises(ClientError) as exc:
        orgs.create_organizational_unit(ParentId=root_id, Name="Prod")
    assert code_of(exc) == "DuplicateOrganizationalUnitException"
    with pytest.raises(ClientError) as exc:
        orgs.create_organizational_unit(ParentId=f"ou-{root_id[2:]}-zzzzzzzz", Name="x")
    assert code_of(exc) == "ParentNotFoundException"
    # AWS's depth limit: five levels of OUs under the root
    parent = web["Id"]
    for depth in range(3):
        parent = orgs.create_organizational_unit(ParentId=parent, Name=f"d{depth}")["OrganizationalUnit"]["Id"]
    with pytest.raises(ClientError) as exc:
        orgs.create_organizational_unit(ParentId=parent, Name="too-deep")
    assert code_of(exc) == "ConstraintViolationException" and exc.value.response["Reason"] == "OU_DEPTH_LIMIT_EXCEEDED"

    member_id = created_account(orgs, f"ou-{uuid.uuid4().hex[:6]}")
    orgs.move_account(AccountId=member_id, SourceParentId=root_id, DestinationParentId=web["Id"])
    with pytest.raises(ClientError) as exc:
        orgs.move_account(AccountId=member_id, SourceParentId=web["Id"], DestinationParentId=web["Id"])
    assert code_of(exc) == "DuplicateAccountException"
    with pytest.raises(ClientError) as exc:
        orgs.move_account(AccountId=member_id, SourceParentId=root_id, DestinationParentId="ou-abcd-12345678")
    assert code_of(exc) == "DestinationParentNotFoundException"
    assert orgs.list_parents(ChildId=member_id)["Parents"] == [{"Id": web["Id"], "Type": "ORGANIZATIONAL_UNIT"}]
    assert orgs.list_parents(ChildId=prod["Id"])["Parents"] == [{"Id": root_id, "Type": "ROOT"}]
    with pytest.raises(ClientError) as exc:
        orgs.list_parents(ChildId="111111111111")
    assert code_of(exc) == "ChildNotFoundException"
    children = orgs.list_children(ParentId=web["Id"], ChildType="ACCOUNT")["Children"]
    assert children == [{"Id": member_id, "Type": "ACCOUNT"}]
    assert [a["Id"] for a in orgs.list_accounts_for_parent(ParentId=web["Id"])["Accounts"]] == [member_id]
    ous = orgs.list_organizational_units_for_parent(ParentId=root_id)["OrganizationalUnits"]
    assert [o["Name"] for o in ous] == ["Prod"]

    with pytest.raises(ClientError) as exc:
        orgs.delete_organizational_unit(OrganizationalUnitId=prod["Id"])
    assert code_of(exc) == "OrganizationalUnitNotEmptyException"
    renamed = orgs.update_organizational_unit(OrganizationalUnitId=web["Id"], Name="Frontend")["OrganizationalUnit"]
    assert renamed["Name"] == "Frontend"
    assert orgs.list_tags_for_resource(ResourceId=prod["Id"])["Tags"] == [{"Key": "env", "Value": "p"}]
    orgs.move_account(AccountId=member_id, SourceParentId=web["Id"], DestinationParentId=root_id)
    orgs.delete_organizational_unit(OrganizationalUnitId=parent)
    with pytest.raises(ClientError) as exc:
        orgs.describe_organizational_unit(OrganizationalUnitId=parent)
    assert code_of(exc) == "OrganizationalUnitNotFoundException"


def test_iam_policy_can_deny_organizations_actions(server: ServerProcess) -> None:
    mgmt, orgs, _org = new_org(server)
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    locked = orgs.create_organizational_unit(ParentId=root_id, Name="Locked")["OrganizationalUnit"]
    open_ou = orgs.create_organizational_unit(ParentId=root_id, Name="Open")["OrganizationalUnit"]
    user = make_user(
        mgmt.client("iam"),
        allow("organizations:*"),
        deny("organizations:CreateOrganizationalUnit", locked["Arn"]),
        deny(
            "organizations:CreatePolicy",
            Condition={"StringEquals": {"organizations:PolicyType": "RESOURCE_CONTROL_POLICY"}},
        ),
        deny(
            "organizations:EnableAWSServiceAccess",
            Condition={"StringEquals": {"organizations:ServicePrincipal": "fms.amazonaws.com"}},
        ),
    )
    user_orgs = client_for(server, "organizations", user)
    # the resource is the parent OU's ARN: a Deny on one OU leaves the others
    with pytest.raises(ClientError) as exc:
        user_orgs.create_organizational_unit(ParentId=locked["Id"], Name="x")
    assert code_of(exc) == "AccessDeniedException" and locked["Arn"] in exc.value.response["Error"]["Message"]
    user_orgs.create_organizational_unit(ParentId=open_ou["Id"], Name="x")
    deny_all = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}'
    with pytest.raises(ClientError) as exc:
        user_orgs.create_policy(Name="r", Description="", Type="RESOURCE_CONTROL_POLICY", Content=deny_all)
    assert code_of(exc) == "AccessDeniedException"
    user_orgs.create_policy(
        Name="s",
        Description="",
        Type="SERVICE_CONTROL_POLICY",
        Content='{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}',
    )
    with pytest.raises(ClientError) as exc:
        user_orgs.enable_aws_service_access(ServicePrincipal="fms.amazonaws.com")
    assert code_of(exc) == "AccessDeniedException"
    user_orgs.enable_aws_service_access(ServicePrincipal="guardduty.amazonaws.com")
