"""Access control on IAM, STS and the other services; the policy simulator agrees with the server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, audit_record, client_for, deny, make_user, policy
from tests.support.errors import error_of
from tests.support.server import ServerProcess


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def test_iam_action_without_permission_is_access_denied(server: ServerProcess, iam: Any) -> None:
    user = make_user(iam, allow("iam:ListUsers"))
    own = client_for(server, "iam", user)
    assert "Users" in own.list_users()
    account = user["Arn"].split(":")[4]
    with pytest.raises(ClientError) as exc:
        own.create_user(UserName="not-allowed")
    assert error_of(exc) == (
        "AccessDenied",
        f"User: {user['Arn']} is not authorized to perform: iam:CreateUser on resource: "
        f"arn:aws:iam::{account}:user/not-allowed because no identity-based policy allows the iam:CreateUser action",
        403,
    )
    assert exc.value.response["Error"]["Type"] == "Sender"
    record = audit_record(server, exc.value.response["ResponseMetadata"]["RequestId"], "CreateUser")
    assert record["errorCode"] == "AccessDenied"


def test_policy_variables_scope_a_user_to_itself(server: ServerProcess, iam: Any) -> None:
    user = make_user(iam, allow(["iam:GetUser", "iam:ListAccessKeys"], "arn:aws:iam::*:user/${aws:username}"))
    own = client_for(server, "iam", user)
    assert own.get_user()["User"]["Arn"] == user["Arn"]
    assert own.list_access_keys()["AccessKeyMetadata"][0]["UserName"] == user["Name"]
    other = make_user(iam)
    with pytest.raises(ClientError) as exc:
        own.get_user(UserName=other["Name"])
    assert error_of(exc)[0::2] == ("AccessDenied", 403)


def test_iam_changes_apply_to_the_next_call(server: ServerProcess, iam: Any) -> None:
    user = make_user(iam)
    kms = client_for(server, "kms", user)
    with pytest.raises(ClientError):
        kms.list_keys()
    iam.put_user_policy(UserName=user["Name"], PolicyName="p", PolicyDocument=policy(allow("kms:ListKeys")))
    assert "Keys" in kms.list_keys()
    group = f"g-{uuid.uuid4().hex[:8]}"
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="d", PolicyDocument=policy(deny("kms:*")))
    iam.add_user_to_group(GroupName=group, UserName=user["Name"])
    with pytest.raises(ClientError) as exc:
        kms.list_keys()
    assert error_of(exc)[1].endswith("with an explicit deny in an identity-based policy")


def test_permissions_boundary_limits(server: ServerProcess, iam: Any) -> None:
    boundary = iam.create_policy(PolicyName=f"b-{uuid.uuid4().hex[:8]}", PolicyDocument=policy(allow("kms:ListKeys")))[
        "Policy"
    ]["Arn"]
    user = make_user(iam, allow(["kms:ListKeys", "kms:ListAliases"]))
    iam.put_user_permissions_boundary(UserName=user["Name"], PermissionsBoundary=boundary)
    kms = client_for(server, "kms", user)
    assert "Keys" in kms.list_keys()
    with pytest.raises(ClientError) as exc:
        kms.list_aliases()
    assert error_of(exc)[1].endswith("because no permissions boundary allows the kms:ListAliases action")


def test_other_services_are_enforced(server: ServerProcess, iam: Any) -> None:
    user = make_user(iam, allow("events:ListRules"))
    events = client_for(server, "events", user)
    assert "Rules" in events.list_rules()
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="nope", ScheduleExpression="rate(1 hour)")
    code, message, status = error_of(exc)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "events:PutRule on resource: arn:aws:events:us-east-1:" in message
    with pytest.raises(ClientError) as exc:
        client_for(server, "cloudtrail", user).describe_trails()
    assert error_of(exc)[0] == "AccessDeniedException"
    # GetCallerIdentity needs no permission, even with an explicit deny
    denied_all = make_user(iam, deny("*"))
    assert client_for(server, "sts", denied_all).get_caller_identity()["Arn"] == denied_all["Arn"]


def _outcome(call: Any) -> str:
    try:
        call()
    except ClientError as err:
        code = err.response["Error"]["Code"]
        assert code in ("AccessDeniedException", "AccessDenied"), code
        message = err.response["Error"]["Message"]
        return "explicitDeny" if "explicit deny" in message else "implicitDeny"
    return "allowed"


def test_simulate_principal_policy_agrees_with_the_server(server: ServerProcess, iam: Any) -> None:
    admin = server.client("kms")
    key = admin.create_key()["KeyMetadata"]
    other = admin.create_key()["KeyMetadata"]
    blob = admin.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    user = make_user(
        iam,
        allow(["kms:Encrypt", "kms:DescribeKey"], key["Arn"]),
        allow("kms:DescribeKey", "*"),
        deny("kms:DescribeKey", other["Arn"]),
    )
    kms = client_for(server, "kms", user)
    cases = {
        ("kms:Encrypt", key["Arn"]): lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        ("kms:Decrypt", key["Arn"]): lambda: kms.decrypt(CiphertextBlob=blob),
        ("kms:Encrypt", other["Arn"]): lambda: kms.encrypt(KeyId=other["KeyId"], Plaintext=b"x"),
        ("kms:DescribeKey", key["Arn"]): lambda: kms.describe_key(KeyId=key["KeyId"]),
        ("kms:DescribeKey", other["Arn"]): lambda: kms.describe_key(KeyId=other["KeyId"]),
        ("kms:ListKeys", "*"): lambda: kms.list_keys(),
    }
    for (action, resource), call in cases.items():
        simulated = iam.simulate_principal_policy(
            PolicySourceArn=user["Arn"], ActionNames=[action], ResourceArns=[resource]
        )["EvaluationResults"][0]
        actual = _outcome(call)
        assert simulated["EvalDecision"] == actual, (action, resource)
        assert simulated["ResourceSpecificResults"][0]["EvalResourceDecision"] == actual
        if actual != "implicitDeny":
            assert simulated["MatchedStatements"][0]["SourcePolicyId"].endswith("_p")
            assert simulated["MatchedStatements"][0]["SourcePolicyType"] == "user"


def test_simulate_custom_policy_context_and_missing_values(iam: Any) -> None:
    doc = policy(allow("kms:Decrypt", "*", Condition={"StringEquals": {"kms:EncryptionContext:app": "a"}}))
    out = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["kms:Decrypt", "kms:Encrypt"])
    first, second = out["EvaluationResults"]
    assert (first["EvalActionName"], first["EvalDecision"]) == ("kms:Decrypt", "implicitDeny")
    assert first["MissingContextValues"] == ["kms:EncryptionContext:app"]
    assert second["EvalDecision"] == "implicitDeny" and second["MissingContextValues"] == []
    entries = [{"ContextKeyName": "kms:EncryptionContext:app", "ContextKeyValues": ["a"], "ContextKeyType": "string"}]
    out = iam.simulate_custom_policy(PolicyInputList=[doc], ActionNames=["kms:Decrypt"], ContextEntries=entries)
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "allowed" and result["MissingContextValues"] == []
    assert result["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"
    with pytest.raises(ClientError) as exc:
        iam.simulate_principal_policy(
            PolicySourceArn=iam.get_user()["User"]["Arn"][:-4] + "user/ghost", ActionNames=["s3:*"]
        )
    assert error_of(exc)[0] in ("NoSuchEntity", "InvalidInput")
