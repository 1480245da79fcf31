"""SCPs and RCPs enforced on real calls: member accounts bounded, the management account not, org condition keys."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user, policy
from tests.e2e.organizations_support import Account, new_account, new_org
from tests.support.errors import error_of
from tests.support.server import ServerProcess

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _join(orgs: Any, member: Account) -> None:
    handshake = orgs.invite_account_to_organization(Target={"Id": member.account_id, "Type": "ACCOUNT"})["Handshake"]
    member.client("organizations").accept_handshake(HandshakeId=handshake["Id"])


def _policy(orgs: Any, kind: str, *statements: dict[str, Any]) -> str:
    created = orgs.create_policy(Name=f"p-{_tag()}", Description="test", Type=kind, Content=policy(*statements))
    return str(created["Policy"]["PolicySummary"]["Id"])


def _eventually(check: Callable[[], None], seconds: float = 3.0) -> None:
    """Policy caches are bounded to a second per node; a write on another worker shows within that bound."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except (AssertionError, ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _denied(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as exc:
        call()
    code, message = error_of(exc)[:2]
    assert code in ("AccessDeniedException", "AccessDenied"), (code, message)
    return str(message)


def _admin(member: Account) -> dict[str, Any]:
    """An IAM user of ``member`` with every permission (what an account's administrator has)."""
    return make_user(member.client("iam"), allow("*"))


def test_scp_on_an_ou_bounds_member_administrators_but_not_the_management_account(server: ServerProcess) -> None:
    mgmt, orgs, _org = new_org(server)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    member = new_account(server)
    _join(orgs, member)
    ou = orgs.create_organizational_unit(ParentId=root, Name=f"prod-{_tag()}")["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=member.account_id, SourceParentId=root, DestinationParentId=ou)
    no_deletion = _policy(orgs, SCP, allow("*"), deny("kms:ScheduleKeyDeletion"))
    orgs.attach_policy(PolicyId=no_deletion, TargetId=ou)
    # the same SCP on the root binds every member account, never the management account
    orgs.attach_policy(PolicyId=no_deletion, TargetId=root)

    admin = client_for(server, "kms", _admin(member))
    key = admin.create_key()["KeyMetadata"]["KeyId"]
    message = _denied(lambda: admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7))
    assert message.endswith("with an explicit deny in a service control policy"), message
    assert "kms:ScheduleKeyDeletion" in message
    # the member's root user is bounded too
    member_root_kms = member.client("kms")
    _denied(lambda: member_root_kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7))
    # what the SCP allows still works
    assert admin.describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"

    mgmt_kms = mgmt.client("kms")
    own = mgmt_kms.create_key()["KeyMetadata"]["KeyId"]
    assert mgmt_kms.schedule_key_deletion(KeyId=own, PendingWindowInDays=7)["KeyState"] == "PendingDeletion"
    mgmt_admin = client_for(server, "kms", _admin(mgmt))
    other = mgmt_admin.create_key()["KeyMetadata"]["KeyId"]
    assert mgmt_admin.schedule_key_deletion(KeyId=other, PendingWindowInDays=7)["KeyState"] == "PendingDeletion"

    # detaching it from the OU is not enough: the root's copy still denies; from both, the call goes through
    orgs.detach_policy(PolicyId=no_deletion, TargetId=ou)
    _denied(lambda: admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7))
    orgs.detach_policy(PolicyId=no_deletion, TargetId=root)
    _eventually(lambda: admin.schedule_key_deletion(KeyId=key, PendingWindowInDays=7))


def test_an_scp_level_that_allows_nothing_denies_implicitly(server: ServerProcess) -> None:
    _, orgs, _ = new_org(server)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=SCP)
    member = new_account(server)
    _join(orgs, member)
    # an allow-list SCP on the account: only KMS reads; FullAWSAccess stays on the root and the account
    admin = _admin(member)
    reads = _policy(orgs, SCP, allow(["kms:Describe*", "kms:List*", "kms:CreateKey"]))
    orgs.attach_policy(PolicyId=reads, TargetId=member.account_id)
    orgs.detach_policy(PolicyId="p-FullAWSAccess", TargetId=member.account_id)
    kms = client_for(server, "kms", admin)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.describe_key(KeyId=key)
    message = _denied(lambda: kms.encrypt(KeyId=key, Plaintext=b"x"))
    assert message.endswith("because no service control policy allows the kms:Encrypt action"), message
    secrets = client_for(server, "secretsmanager", admin)
    _denied(lambda: secrets.list_secrets())


def test_rcp_stops_a_cross_account_read_the_secrets_own_policy_allows(server: ServerProcess) -> None:
    _, orgs, org = new_org(server)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=RCP)
    owner = new_account(server)
    _join(orgs, owner)
    insider = new_account(server)
    _join(orgs, insider)
    outsider = new_account(server)  # in no organization

    # a customer managed key both outside callers may use, and a secret whose policy lets both read it
    kms = owner.client("kms")
    key = kms.create_key()["KeyMetadata"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    readers = [f"arn:aws:iam::{a.account_id}:root" for a in (insider, outsider)]
    key_policy["Statement"].append(allow(["kms:Decrypt", "kms:DescribeKey"], Principal={"AWS": readers}))
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(key_policy))
    sm = owner.client("secretsmanager")
    arn = sm.create_secret(Name=f"shared-{_tag()}", SecretString="s3cr3t", KmsKeyId=key["Arn"])["ARN"]
    sm.put_resource_policy(
        SecretId=arn, ResourcePolicy=policy(allow("secretsmanager:GetSecretValue", Principal={"AWS": readers}))
    )
    outside = outsider.client("secretsmanager")
    inside = insider.client("secretsmanager")
    assert outside.get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"

    perimeter = _policy(
        orgs,
        RCP,
        deny(
            "secretsmanager:*",
            Principal="*",
            Condition={
                "StringNotEqualsIfExists": {"aws:PrincipalOrgID": org["Id"]},
                "Bool": {"aws:PrincipalIsAWSService": "false"},
            },
        ),
    )
    orgs.attach_policy(PolicyId=perimeter, TargetId=root)
    message = _denied(lambda: outside.get_secret_value(SecretId=arn))
    assert message.endswith("with an explicit deny in a resource control policy"), message
    # callers in the organization, and the owner itself, are inside the perimeter
    assert inside.get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "s3cr3t"
    # the RCP bounds Secrets Manager only: the outsider's own calls elsewhere are untouched
    outsider.client("kms").list_keys()

    orgs.detach_policy(PolicyId=perimeter, TargetId=root)
    _eventually(lambda: outside.get_secret_value(SecretId=arn))


def test_rcps_do_not_bind_the_management_accounts_resources(server: ServerProcess) -> None:
    mgmt, orgs, _ = new_org(server)
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType=RCP)
    lockout = _policy(orgs, RCP, deny("kms:*", Principal="*"))
    orgs.attach_policy(PolicyId=lockout, TargetId=root)
    kms = mgmt.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    assert kms.encrypt(KeyId=key, Plaintext=b"x")["KeyId"].endswith(key)


def test_principal_org_id_and_paths_in_a_resource_policy(server: ServerProcess) -> None:
    _, orgs, org = new_org(server)
    root = orgs.list_roots()["Roots"][0]["Id"]
    owner = new_account(server)
    _join(orgs, owner)
    member = new_account(server)
    _join(orgs, member)
    ou = orgs.create_organizational_unit(ParentId=root, Name=f"apps-{_tag()}")["OrganizationalUnit"]["Id"]
    outsider = new_account(server)

    kms = owner.client("kms")
    key = kms.create_key()["KeyMetadata"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    key_policy["Statement"].append(
        allow(
            ["kms:Encrypt", "kms:DescribeKey"],
            Principal={"AWS": "*"},
            Condition={"StringEquals": {"aws:PrincipalOrgID": org["Id"]}},
        )
    )
    key_policy["Statement"].append(
        allow(
            "kms:GenerateDataKey",
            Principal={"AWS": "*"},
            Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{org['Id']}/{root}/{ou}/*"}},
        )
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(key_policy))
    member_kms = member.client("kms")
    assert member_kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")["CiphertextBlob"]
    _denied(lambda: outsider.client("kms").encrypt(KeyId=key["Arn"], Plaintext=b"x"))
    # aws:PrincipalOrgPaths follows the account into the OU
    _denied(lambda: member_kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"))
    orgs.move_account(AccountId=member.account_id, SourceParentId=root, DestinationParentId=ou)
    _eventually(lambda: member_kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256"))
    # a member that leaves is outside the organization at once (the cache bound is a second)
    orgs.move_account(AccountId=member.account_id, SourceParentId=ou, DestinationParentId=root)
    member.client("organizations").leave_organization()
    _eventually(lambda: _denied(lambda: member_kms.encrypt(KeyId=key["Arn"], Plaintext=b"x")))
