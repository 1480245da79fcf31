"""Organizations: SCP/RCP policies (validation, types, attachment rules), what enforcement will read
(services/organizations/effective.py), delegated administrators, trusted access and tags."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import client_for
from tests.e2e.organizations_support import created_account, new_account, new_org
from tests.support.errors import code_of, error_of
from tests.support.server import ServerProcess

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


DENY_DELETE = _doc({"Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"})


@pytest.fixture
def store(server: ServerProcess) -> Iterator[Any]:
    """The running server's database, for the in-process read API enforcement will use."""
    from strongroom.core.config import Config
    from strongroom.store.engine import Store

    config = Config(data_dir=server.data_dir, database_url=server.database_url)
    opened = Store(config.effective_database_url())
    yield opened
    opened.dispose()


def _reason(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return code_of(exc), str(exc.value.response.get("Reason", ""))


def test_service_control_policies(server: ServerProcess, store: Any) -> None:
    from strongroom.services.organizations import effective

    mgmt, orgs, org = new_org(server)
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root_id, Name="Workloads")["OrganizationalUnit"]["Id"]
    member_id = created_account(orgs, f"scp-{uuid.uuid4().hex[:6]}")
    orgs.move_account(AccountId=member_id, SourceParentId=root_id, DestinationParentId=ou)

    policy = orgs.create_policy(Name="no-delete", Description="d", Type=SCP, Content=DENY_DELETE)["Policy"]
    summary = policy["PolicySummary"]
    assert re.fullmatch(r"p-[a-z0-9]{8}", summary["Id"]) and summary["AwsManaged"] is False
    assert summary["Arn"] == (
        f"arn:aws:organizations::{mgmt.account_id}:policy/{org['Id']}/service_control_policy/{summary['Id']}"
    )
    with pytest.raises(ClientError) as exc:
        orgs.attach_policy(PolicyId=summary["Id"], TargetId=ou)
    assert error_of(exc) == (
        "PolicyTypeNotEnabledException",
        "This operation can be performed only for enabled policy types.",
        400,
    )
    assert effective.policies_for_account(store, member_id, SCP) is None  # nothing bounds it yet

    root = orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)["Root"]
    assert root["PolicyTypes"] == [{"Type": SCP, "Status": "ENABLED"}]
    with pytest.raises(ClientError) as exc:
        orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)
    assert code_of(exc) == "PolicyTypeAlreadyEnabledException"
    # FullAWSAccess lands on the root, every OU and every account
    for target in (root_id, ou, member_id, mgmt.account_id):
        attached = orgs.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]
        assert [(p["Id"], p["AwsManaged"]) for p in attached] == [("p-FullAWSAccess", True)]
    full = orgs.describe_policy(PolicyId="p-FullAWSAccess")["Policy"]
    assert full["PolicySummary"]["Arn"] == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    assert json.loads(full["Content"])["Statement"][0] == {"Effect": "Allow", "Action": "*", "Resource": "*"}

    orgs.attach_policy(PolicyId=summary["Id"], TargetId=ou)
    with pytest.raises(ClientError) as exc:
        orgs.attach_policy(PolicyId=summary["Id"], TargetId=ou)
    assert code_of(exc) == "DuplicatePolicyAttachmentException"
    with pytest.raises(ClientError) as exc:
        orgs.attach_policy(PolicyId=summary["Id"], TargetId="ou-zzzz-zzzzzzzz")
    assert code_of(exc) == "TargetNotFoundException"
    with pytest.raises(ClientError) as exc:
        orgs.attach_policy(PolicyId="p-00000000", TargetId=ou)
    assert code_of(exc) == "PolicyNotFoundException"
    targets = orgs.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
    assert targets == [
        {
            "TargetId": ou,
            "Arn": f"arn:aws:organizations::{mgmt.account_id}:ou/{org['Id']}/{ou}",
            "Name": "Workloads",
            "Type": "ORGANIZATIONAL_UNIT",
        }
    ]

    # what enforcement reads: every level of the path, root first, and aws:PrincipalOrgPaths
    levels = effective.policies_for_account(store, member_id, SCP)
    assert [[(p.target_id, p.policy_id) for p in level] for level in levels] == [
        [(root_id, "p-FullAWSAccess")],
        [(ou, "p-FullAWSAccess"), (ou, summary["Id"])],
        [(member_id, "p-FullAWSAccess")],
    ]
    assert levels[1][1].document == json.loads(DENY_DELETE)
    assert effective.org_path(store, member_id) == f"{org['Id']}/{root_id}/{ou}/"
    found = effective.org_of_account(store, member_id)
    assert found is not None and found.org_id == org["Id"] and found.management == mgmt.account_id

    # a target keeps at least one SCP; a policy still attached cannot be deleted; managed ones never change
    with pytest.raises(ClientError) as exc:
        orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member_id)
    assert _reason(exc) == ("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)  # the OU keeps no-delete
    with pytest.raises(ClientError) as exc:
        orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou)
    assert code_of(exc) == "PolicyNotAttachedException"
    with pytest.raises(ClientError) as exc:
        orgs.delete_policy(PolicyId=summary["Id"])
    assert code_of(exc) == "PolicyInUseException"
    with pytest.raises(ClientError) as exc:
        orgs.update_policy(PolicyId="p-FullAWSAccess", Name="x")
    assert _reason(exc) == ("InvalidInputException", "IMMUTABLE_POLICY")
    extra = [
        orgs.create_policy(Name=f"x{i}", Description="", Type=SCP, Content=DENY_DELETE)["Policy"] for i in range(5)
    ]
    for p in extra[:4]:
        orgs.attach_policy(PolicyId=p["PolicySummary"]["Id"], TargetId=ou)
    with pytest.raises(ClientError) as exc:
        orgs.attach_policy(PolicyId=extra[4]["PolicySummary"]["Id"], TargetId=ou)
    assert _reason(exc) == ("ConstraintViolationException", "MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")

    updated = orgs.update_policy(
        PolicyId=summary["Id"],
        Name="renamed",
        Content=_doc({"Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey"], "Resource": "*"}),
    )["Policy"]
    assert updated["PolicySummary"]["Name"] == "renamed" and "kms:DisableKey" in updated["Content"]
    names = [p["Name"] for p in orgs.list_policies(Filter=SCP)["Policies"]]
    assert names[0] == "FullAWSAccess" and "renamed" in names

    # disabling the type detaches every SCP; then a customer policy can go
    orgs.disable_policy_type(RootId=root_id, PolicyType=SCP)
    assert orgs.list_policies_for_target(TargetId=ou, Filter=SCP)["Policies"] == []
    with pytest.raises(ClientError) as exc:
        orgs.disable_policy_type(RootId=root_id, PolicyType=SCP)
    assert code_of(exc) == "PolicyTypeNotEnabledException"
    with pytest.raises(ClientError) as exc:
        orgs.enable_policy_type(RootId="r-zzzz", PolicyType=SCP)
    assert code_of(exc) == "RootNotFoundException"
    orgs.delete_policy(PolicyId=summary["Id"])
    with pytest.raises(ClientError) as exc:
        orgs.describe_policy(PolicyId=summary["Id"])
    assert code_of(exc) == "PolicyNotFoundException"


def test_policy_documents_are_validated(server: ServerProcess) -> None:
    _mgmt, orgs, org = new_org(server)
    big = _doc(*[{"Sid": f"S{i}", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*"} for i in range(120)])
    assert len(big) > 5120
    with pytest.raises(ClientError) as exc:
        orgs.create_policy(Name="big", Description="", Type=SCP, Content=big)
    assert _reason(exc) == ("ConstraintViolationException", "POLICY_CONTENT_LIMIT_EXCEEDED")
    for content in (
        "{not json",
        _doc({"Effect": "Deny", "Resource": "*"}),
        _doc({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}),
    ):
        with pytest.raises(ClientError) as exc:
            orgs.create_policy(Name="bad", Description="", Type=SCP, Content=content)
        assert error_of(exc) == (
            "MalformedPolicyDocumentException",
            "The provided policy document does not meet the requirements of the specified policy type.",
            400,
        )
    # RCPs: Principal "*" and Deny only
    with pytest.raises(ClientError) as exc:
        orgs.create_policy(Name="rcp", Description="", Type=RCP, Content=DENY_DELETE)
    assert code_of(exc) == "MalformedPolicyDocumentException"
    rcp_doc = _doc(
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": org["Id"]}},
        }
    )
    rcp = orgs.create_policy(Name="rcp", Description="", Type=RCP, Content=rcp_doc)["Policy"]["PolicySummary"]
    with pytest.raises(ClientError) as exc:
        orgs.create_policy(Name="rcp", Description="", Type=RCP, Content=rcp_doc)
    assert code_of(exc) == "DuplicatePolicyException"
    with pytest.raises(ClientError) as exc:
        orgs.create_policy(Name="x", Description="", Type="TAG_POLICY", Content="{}")
    assert code_of(exc) == "PolicyTypeNotAvailableForOrganizationException"

    root_id = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root_id, PolicyType=RCP)
    orgs.attach_policy(PolicyId=rcp["Id"], TargetId=root_id)
    attached = [p["Id"] for p in orgs.list_policies_for_target(TargetId=root_id, Filter=RCP)["Policies"]]
    assert attached == ["p-RCPFullAWSAccess", rcp["Id"]]
    with pytest.raises(ClientError) as exc:
        orgs.detach_policy(PolicyId="p-RCPFullAWSAccess", TargetId=root_id)
    assert _reason(exc) == ("InvalidInputException", "NON_DETACHABLE_POLICY")
    orgs.detach_policy(PolicyId=rcp["Id"], TargetId=root_id)  # RCPs have no minimum beyond RCPFullAWSAccess


def test_consolidated_billing_has_no_policies(server: ServerProcess) -> None:
    mgmt = new_account(server)
    orgs = mgmt.client("organizations")
    assert orgs.create_organization(FeatureSet="CONSOLIDATED_BILLING")["Organization"]["FeatureSet"] == (
        "CONSOLIDATED_BILLING"
    )
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    with pytest.raises(ClientError) as exc:
        orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)
    assert code_of(exc) == "PolicyTypeNotAvailableForOrganizationException"
    orgs.delete_organization()


def test_delegated_administrators_trusted_access_and_tags(server: ServerProcess) -> None:
    mgmt, orgs, _org = new_org(server)
    member_id = created_account(orgs, f"da-{uuid.uuid4().hex[:6]}")
    with pytest.raises(ClientError) as exc:
        orgs.register_delegated_administrator(AccountId=member_id, ServicePrincipal="fms.amazonaws.com")
    assert _reason(exc) == ("ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED")
    with pytest.raises(ClientError) as exc:
        orgs.enable_aws_service_access(ServicePrincipal="nothing.amazonaws.com")
    assert _reason(exc) == ("InvalidInputException", "UNRECOGNIZED_SERVICE_PRINCIPAL")
    for principal in (
        "fms.amazonaws.com",
        "guardduty.amazonaws.com",
        "macie.amazonaws.com",
        "inspector2.amazonaws.com",
    ):
        orgs.enable_aws_service_access(ServicePrincipal=principal)
    enabled = orgs.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [e["ServicePrincipal"] for e in enabled] == [
        "fms.amazonaws.com",
        "guardduty.amazonaws.com",
        "inspector2.amazonaws.com",
        "macie.amazonaws.com",
    ]

    with pytest.raises(ClientError) as exc:
        orgs.register_delegated_administrator(AccountId=mgmt.account_id, ServicePrincipal="fms.amazonaws.com")
    assert _reason(exc) == ("ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR")
    orgs.register_delegated_administrator(AccountId=member_id, ServicePrincipal="fms.amazonaws.com")
    orgs.register_delegated_administrator(AccountId=member_id, ServicePrincipal="guardduty.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        orgs.register_delegated_administrator(AccountId=member_id, ServicePrincipal="fms.amazonaws.com")
    assert code_of(exc) == "AccountAlreadyRegisteredException"
    admins = orgs.list_delegated_administrators(ServicePrincipal="fms.amazonaws.com")["DelegatedAdministrators"]
    assert [a["Id"] for a in admins] == [member_id] and "DelegationEnabledDate" in admins[0]
    services = orgs.list_delegated_services_for_account(AccountId=member_id)["DelegatedServices"]
    assert [s["ServicePrincipal"] for s in services] == ["fms.amazonaws.com", "guardduty.amazonaws.com"]
    with pytest.raises(ClientError) as exc:
        orgs.list_delegated_services_for_account(AccountId=mgmt.account_id)
    assert code_of(exc) == "AccountNotRegisteredException"

    # the delegated administrator may read the organization, not change it
    role_arn = f"arn:aws:iam::{member_id}:role/OrganizationAccountAccessRole"
    from tests.e2e.access_support import allow, make_user

    admin = make_user(mgmt.client("iam"), allow("sts:AssumeRole"))
    creds = client_for(server, "sts", admin).assume_role(RoleArn=role_arn, RoleSessionName="da")["Credentials"]
    delegated = client_for(server, "organizations", creds)
    assert {a["Id"] for a in delegated.list_accounts()["Accounts"]} == {mgmt.account_id, member_id}
    with pytest.raises(ClientError) as exc:
        delegated.create_account(Email="x@example.com", AccountName="x")
    assert code_of(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        orgs.remove_account_from_organization(AccountId=member_id)
    assert _reason(exc) == ("ConstraintViolationException", "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG")

    orgs.deregister_delegated_administrator(AccountId=member_id, ServicePrincipal="fms.amazonaws.com")
    with pytest.raises(ClientError) as exc:
        orgs.deregister_delegated_administrator(AccountId=member_id, ServicePrincipal="fms.amazonaws.com")
    assert code_of(exc) == "AccountNotRegisteredException"
    orgs.disable_aws_service_access(ServicePrincipal="guardduty.amazonaws.com")  # deregisters its administrators
    assert orgs.list_delegated_administrators()["DelegatedAdministrators"] == []
    with pytest.raises(ClientError) as exc:
        delegated.list_accounts()
    assert code_of(exc) == "AccessDeniedException"

    # tags on accounts, roots and policies
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    orgs.tag_resource(ResourceId=member_id, Tags=[{"Key": "team", "Value": "a"}, {"Key": "cost", "Value": "1"}])
    orgs.untag_resource(ResourceId=member_id, TagKeys=["cost"])
    assert orgs.list_tags_for_resource(ResourceId=member_id)["Tags"] == [{"Key": "team", "Value": "a"}]
    orgs.tag_resource(ResourceId=root_id, Tags=[{"Key": "k", "Value": "v"}])
    assert orgs.list_tags_for_resource(ResourceId=root_id)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        orgs.tag_resource(ResourceId="999999999999", Tags=[{"Key": "k", "Value": "v"}])
    assert code_of(exc) == "TargetNotFoundException"
    with pytest.raises(ClientError) as exc:
        orgs.tag_resource(ResourceId=member_id, Tags=[{"Key": "aws:x", "Value": "v"}])
    assert code_of(exc) == "InvalidInputException"
    outsider = new_account(server).client("organizations")
    with pytest.raises(ClientError) as exc:
        outsider.list_tags_for_resource(ResourceId=member_id)
    assert code_of(exc) == "AWSOrganizationsNotInUseException"
