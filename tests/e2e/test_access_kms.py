"""Access control on KMS, end to end with boto3: identity policies, key policies, grants, sessions, lockout."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import (
    allow,
    audit_record,
    client_for,
    deny,
    make_user,
    policy,
    second_account,
)
from tests.support.errors import error_of
from tests.support.server import ServerProcess


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


@pytest.fixture
def key(server: ServerProcess) -> dict[str, Any]:
    return dict(server.client("kms").create_key(Description=f"access-{uuid.uuid4().hex[:6]}")["KeyMetadata"])


def test_encrypt_only_user_cannot_decrypt(server: ServerProcess, iam: Any, key: dict[str, Any]) -> None:
    user = make_user(iam, allow("kms:Encrypt", key["Arn"]))
    kms = client_for(server, "kms", user)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(exc) == (
        "AccessDeniedException",
        f"User: {user['Arn']} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
        "because no identity-based policy allows the kms:Decrypt action",
        400,
    )
    # the denial is in the audit trail with the same code and message
    record = audit_record(server, exc.value.response["ResponseMetadata"]["RequestId"], "Decrypt")
    assert record["errorCode"] == "AccessDeniedException"
    assert record["errorMessage"] == error_of(exc)[1]
    assert record["userIdentity"]["arn"] == user["Arn"]
    # another key is out of reach too, and so is every other action
    other = server.client("kms").create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x")
    assert error_of(exc)[0] == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        kms.create_key()
    assert error_of(exc)[1] == (
        f"User: {user['Arn']} is not authorized to perform: kms:CreateKey "
        "because no identity-based policy allows the kms:CreateKey action"
    )
    # the root user (the admin key) keeps working
    assert server.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"


def test_explicit_deny_and_conditions(server: ServerProcess, iam: Any, key: dict[str, Any]) -> None:
    user = make_user(
        iam,
        allow(["kms:Encrypt", "kms:Decrypt"], "*"),
        deny("kms:Decrypt", key["Arn"], Condition={"StringNotEquals": {"kms:EncryptionContext:app": "billing"}}),
    )
    kms = client_for(server, "kms", user)
    plain = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=plain)
    assert error_of(exc)[1].endswith("with an explicit deny in an identity-based policy")
    billed = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"p", EncryptionContext={"app": "billing"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=billed, EncryptionContext={"app": "billing"})["Plaintext"] == b"p"


def test_key_policy_must_trust_the_account(server: ServerProcess, iam: Any) -> None:
    admin = server.client("kms")
    account = server.client("sts").get_caller_identity()["Account"]
    user = make_user(iam, allow("kms:*"))
    only_user = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": {"AWS": user["Arn"]}, "Action": "kms:Encrypt", "Resource": "*"},
    )
    key = admin.create_key(Policy=only_user)["KeyMetadata"]
    with pytest.raises(ClientError) as exc:
        client_for(server, "kms", user).encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(exc)[1].endswith("with an explicit deny in a resource-based policy")
    # a key policy that does not trust the account makes IAM policies useless, even the user's kms:*
    names_user = policy({"Effect": "Allow", "Principal": {"AWS": user["Arn"]}, "Action": "kms:*", "Resource": "*"})
    locked = admin.create_key(Policy=names_user, BypassPolicyLockoutSafetyCheck=True)["KeyMetadata"]
    assert client_for(server, "kms", user).describe_key(KeyId=locked["KeyId"])["KeyMetadata"]["Arn"] == locked["Arn"]
    with pytest.raises(ClientError) as exc:
        admin.describe_key(KeyId=locked["KeyId"])  # not even the root user: the key policy does not name it
    assert error_of(exc)[0] == "AccessDeniedException"
    assert "because no resource-based policy allows the kms:DescribeKey action" in error_of(exc)[1]


def test_lockout_safety_check(server: ServerProcess, key: dict[str, Any]) -> None:
    kms = server.client("kms")
    account = key["AWSAccountId"]
    someone_else = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:user/nobody"},
            "Action": "kms:*",
            "Resource": "*",
        }
    )
    for call in (
        lambda: kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=someone_else),
        lambda: kms.create_key(Policy=someone_else),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            "MalformedPolicyDocumentException",
            "The new key policy will not allow you to update the key policy in the future.",
            400,
        )
    kms.put_key_policy(
        KeyId=key["KeyId"], PolicyName="default", Policy=someone_else, BypassPolicyLockoutSafetyCheck=True
    )
    with pytest.raises(ClientError) as exc:
        kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")
    assert error_of(exc)[0] == "AccessDeniedException"


def test_grant_with_encryption_context_equals(server: ServerProcess, iam: Any, key: dict[str, Any]) -> None:
    admin = server.client("kms")
    grantee = make_user(iam)  # no IAM permissions at all: only the grant lets it in
    ctx = {"tenant": "acme"}
    blob = admin.encrypt(KeyId=key["KeyId"], Plaintext=b"g", EncryptionContext=ctx)["CiphertextBlob"]
    other = admin.encrypt(KeyId=key["KeyId"], Plaintext=b"g", EncryptionContext={"tenant": "evil"})["CiphertextBlob"]
    kms = client_for(server, "kms", grantee)
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert error_of(exc)[0] == "AccessDeniedException"
    grant = admin.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee["Arn"],
        Operations=["Decrypt"],
        Constraints={"EncryptionContextEquals": ctx},
    )
    out = kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx, GrantTokens=[grant["GrantToken"]])
    assert out["Plaintext"] == b"g"
    for denied in (
        lambda: kms.decrypt(CiphertextBlob=other, EncryptionContext={"tenant": "evil"}),
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=ctx),  # not a granted operation
    ):
        with pytest.raises(ClientError) as exc:
            denied()
        assert error_of(exc)[0] == "AccessDeniedException"
    # retired by the grantee? Only when the grant allows RetireGrant; the admin (key owner) may revoke.
    admin.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=ctx)
    assert error_of(exc)[0] == "AccessDeniedException"


def test_subset_grant_and_retiring_principal(server: ServerProcess, iam: Any, key: dict[str, Any]) -> None:
    admin = server.client("kms")
    grantee, retiree = make_user(iam), make_user(iam)
    grant = admin.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee["Arn"],
        RetiringPrincipal=retiree["Arn"],
        Operations=["Encrypt", "Decrypt"],
        Constraints={"EncryptionContextSubset": {"dept": "a"}},
    )
    kms = client_for(server, "kms", grantee)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"s", EncryptionContext={"dept": "a", "x": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"s", EncryptionContext={"dept": "b"})
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(GrantToken=grant["GrantToken"])  # the grant does not include RetireGrant
    assert error_of(exc)[0] == "AccessDeniedException"
    client_for(server, "kms", retiree).retire_grant(GrantToken=grant["GrantToken"])
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"dept": "a", "x": "1"})


def test_session_policy_deny_wins(server: ServerProcess, iam: Any, key: dict[str, Any]) -> None:
    account = key["AWSAccountId"]
    user = make_user(iam, allow("sts:AssumeRole"))
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}
    )
    role = iam.create_role(RoleName=f"r-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="kms", PolicyDocument=policy(allow("kms:*")))
    sts = client_for(server, "sts", user)
    plain = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="plain")["Credentials"]
    client_for(server, "kms", plain).encrypt(KeyId=key["KeyId"], Plaintext=b"ok")
    session_policy = policy(allow("kms:*"), deny("kms:Encrypt", key["Arn"]))
    narrowed = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="narrow", Policy=session_policy)["Credentials"]
    kms = client_for(server, "kms", narrowed)
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"no")
    session_arn = f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/narrow"
    assert error_of(exc)[1] == (
        f"User: {session_arn} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
        "with an explicit deny in a session policy"
    )
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Arn"] == key["Arn"]
    # a session policy only narrows: allowing more than the role does not widen it
    iam.delete_role_policy(RoleName=role["RoleName"], PolicyName="kms")
    with pytest.raises(ClientError) as exc:
        client_for(server, "kms", narrowed).describe_key(KeyId=key["KeyId"])
    assert "because no identity-based policy allows" in error_of(exc)[1]


def test_expired_session_token_is_refused(make_server: Any) -> None:
    srv = make_server("--test-mode")
    srv.start()
    iam = srv.client("iam")
    user = make_user(iam, allow("sts:AssumeRole"))
    account = user["Arn"].split(":")[4]
    trust = policy({"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"})
    role = iam.create_role(RoleName="short", AssumeRolePolicyDocument=trust)["Role"]
    iam.put_role_policy(RoleName="short", PolicyName="kms", PolicyDocument=policy(allow("kms:ListKeys")))
    creds = client_for(srv, "sts", user).assume_role(
        RoleArn=role["Arn"], RoleSessionName="short-s", DurationSeconds=900
    )
    kms = client_for(srv, "kms", creds["Credentials"])
    kms.list_keys()
    srv.advance(901)
    with pytest.raises(ClientError) as exc:
        kms.list_keys()
    assert error_of(exc) == ("ExpiredTokenException", "The security token included in the request is expired", 400)


def test_cross_account_needs_both_sides(server: ServerProcess, iam: Any) -> None:
    admin = server.client("kms")
    owner = server.client("sts").get_caller_identity()["Account"]
    other_account, other_root = second_account(server)
    other_iam = client_for(server, "iam", other_root)
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{other_account}:root"}, "Action": "sts:AssumeRole"}
    )
    role = other_iam.create_role(RoleName="consumer", AssumeRolePolicyDocument=trust)["Role"]
    user = make_user(other_iam, allow("sts:AssumeRole"))
    creds = client_for(server, "sts", user).assume_role(RoleArn=role["Arn"], RoleSessionName="xacct")["Credentials"]
    session = client_for(server, "kms", creds)

    key = admin.create_key()["KeyMetadata"]  # default policy: trusts only its own account
    blob = admin.encrypt(KeyId=key["KeyId"], Plaintext=b"shared")["CiphertextBlob"]

    def decrypt() -> tuple[str, str, int] | bytes:
        try:
            return bytes(session.decrypt(CiphertextBlob=blob)["Plaintext"])
        except ClientError as err:
            return error_of(pytest.ExceptionInfo.from_exc_info((type(err), err, err.__traceback__)))

    # identity side allows, key policy does not
    other_iam.put_role_policy(RoleName="consumer", PolicyName="use", PolicyDocument=policy(allow("kms:Decrypt")))
    denied = decrypt()
    assert isinstance(denied, tuple) and denied[0] == "AccessDeniedException"
    assert "because no resource-based policy allows the kms:Decrypt action" in denied[1]
    # both allow
    key_policy = json.loads(admin.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    key_policy["Statement"].append(
        {"Effect": "Allow", "Principal": {"AWS": role["Arn"]}, "Action": "kms:Decrypt", "Resource": "*"}
    )
    admin.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(key_policy))
    assert decrypt() == b"shared"
    # key policy allows, identity side does not
    other_iam.delete_role_policy(RoleName="consumer", PolicyName="use")
    denied = decrypt()
    assert isinstance(denied, tuple) and "because no identity-based policy allows" in denied[1]
    # the other account's root cannot use the key either without a key policy naming it
    with pytest.raises(ClientError) as exc:
        client_for(server, "kms", other_root).decrypt(CiphertextBlob=blob)
    assert error_of(exc)[0] == "AccessDeniedException"
    assert owner != other_account
