"""STS: AssumeRole, GetSessionToken, GetAccessKeyInfo, and temporary credentials signing real requests."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import ServerProcess


def server_now(server: ServerProcess) -> datetime:
    """The server's clock: other tests may have moved it forward."""
    return datetime.fromisoformat(server.admin("GET", "clock")[1]["now"].replace("Z", "+00:00"))


def _with(server: ServerProcess, service: str, creds: dict[str, Any]) -> Any:
    return server.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


@pytest.fixture
def caller(server: ServerProcess) -> dict[str, Any]:
    """An IAM user with an access key (AWS refuses AssumeRole to the root user)."""
    iam = server.client("iam")
    name = f"caller-{uuid.uuid4().hex[:8]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"], "Arn": arn, "Name": name}


def _role(server: ServerProcess, principal: Any, *, condition: Any = None, max_session: int = 3600) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    doc = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    name = f"role-{uuid.uuid4().hex[:8]}"
    return dict(
        server.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=doc, MaxSessionDuration=max_session)[
            "Role"
        ]
    )


def test_assume_role_and_use_the_credentials(server: ServerProcess, caller: dict[str, Any]) -> None:
    role = _role(server, {"AWS": caller["Arn"]})
    sts = _with(server, "sts", caller)
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="build-42", DurationSeconds=900, SourceIdentity="alice")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["SessionToken"]
    account = role["Arn"].split(":")[4]
    assert out["AssumedRoleUser"] == {
        "AssumedRoleId": f"{role['RoleId']}:build-42",
        "Arn": f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/build-42",
    }
    assert out["SourceIdentity"] == "alice"
    remaining = (creds["Expiration"] - server_now(server)).total_seconds()
    assert 800 < remaining <= 905
    ident = _with(server, "sts", creds).get_caller_identity()
    assert ident["Arn"] == out["AssumedRoleUser"]["Arn"]
    assert ident["UserId"] == out["AssumedRoleUser"]["AssumedRoleId"]
    assert server.client("iam").get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]["Region"] == "us-east-1"

    # a chained session is limited to one hour
    chain_role = _role(server, {"AWS": role["Arn"]}, max_session=7200)
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", creds).assume_role(RoleArn=chain_role["Arn"], RoleSessionName="c1", DurationSeconds=7200)
    assert error_of(exc)[0::2] == ("ValidationError", 400)
    chained = _with(server, "sts", creds).assume_role(RoleArn=chain_role["Arn"], RoleSessionName="c2")
    assert chained["SourceIdentity"] == "alice"  # source identity sticks to the chain


def test_wrong_or_missing_session_token_is_refused(server: ServerProcess, caller: dict[str, Any]) -> None:
    role = _role(server, {"AWS": caller["Arn"]})
    creds = _with(server, "sts", caller).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    for token in (creds["SessionToken"][:-4] + "AAAA", None):
        bad = dict(creds, SessionToken=token)
        with pytest.raises(ClientError) as exc:
            _with(server, "sts", bad).get_caller_identity()
        assert error_of(exc) == ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    with pytest.raises(ClientError) as exc:
        _with(server, "kms", dict(creds, SessionToken="nope")).list_keys()
    assert error_of(exc)[0::2] == ("UnrecognizedClientException", 400)
    # a long-term key with a session token is refused as well
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", dict(caller, SessionToken=creds["SessionToken"])).get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"


def test_trust_policy_and_external_id(server: ServerProcess, caller: dict[str, Any]) -> None:
    sts = _with(server, "sts", caller)
    other = _role(server, {"AWS": "arn:aws:iam::111122223333:root"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=other["Arn"], RoleSessionName="s1")
    assert error_of(exc) == (
        "AccessDenied",
        f"User: {caller['Arn']} is not authorized to perform: sts:AssumeRole on resource: {other['Arn']}",
        403,
    )
    account = caller["Arn"].split(":")[4]
    # A trust policy that names only the account delegates to IAM: the caller needs sts:AssumeRole itself (AWS).
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    server.client("iam").put_user_policy(UserName=caller["Name"], PolicyName="assume", PolicyDocument=json.dumps(allow))
    guarded = _role(server, {"AWS": account}, condition={"StringEquals": {"sts:ExternalId": "secret-123"}})
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=guarded["Arn"], RoleSessionName="s1")
    assert error_of(exc)[0] == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=guarded["Arn"], RoleSessionName="s1", ExternalId="wrong-one")
    assert error_of(exc)[0] == "AccessDenied"
    assert sts.assume_role(RoleArn=guarded["Arn"], RoleSessionName="s1", ExternalId="secret-123")["Credentials"]
    missing = f"arn:aws:iam::{account}:role/does-not-exist"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=missing, RoleSessionName="s1")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        server.client("sts").assume_role(RoleArn=guarded["Arn"], RoleSessionName="s1", ExternalId="secret-123")
    assert error_of(exc) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_duration_session_policy_and_tags(server: ServerProcess, caller: dict[str, Any]) -> None:
    role = _role(server, {"AWS": caller["Arn"]}, max_session=3600)
    sts = _with(server, "sts", caller)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=7200)
    assert error_of(exc) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Policy="{nope")
    assert error_of(exc)[0::2] == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=role["Arn"], RoleSessionName="s1", Tags=[{"Key": "a", "Value": "1"}], TransitiveTagKeys=["b"]
        )
    assert error_of(exc)[0] == "InvalidParameterValue"
    policy = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "kms:*", "Resource": "*"}]}
    )
    out = sts.assume_role(
        RoleArn=role["Arn"],
        RoleSessionName="tagged",
        Policy=policy,
        Tags=[{"Key": "project", "Value": "x"}],
        TransitiveTagKeys=["project"],
    )
    assert 0 < out["PackedPolicySize"] <= 100
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad name!")
    assert error_of(exc)[0] == "ValidationError"


def test_expired_session_token(make_server: Any) -> None:
    srv = make_server("--test-mode")
    srv.start()
    iam = srv.client("iam")
    arn = iam.create_user(UserName="exp")["User"]["Arn"]
    key = iam.create_access_key(UserName="exp")["AccessKey"]
    role = _role(srv, {"AWS": arn})
    creds = _with(srv, "sts", key).assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)[
        "Credentials"
    ]
    assert _with(srv, "sts", creds).get_caller_identity()["Arn"].endswith("/s1")
    srv.advance(901)
    with pytest.raises(ClientError) as exc:
        _with(srv, "sts", creds).get_caller_identity()
    assert error_of(exc) == ("ExpiredToken", "The security token included in the request is expired", 403)
    with pytest.raises(ClientError) as exc:
        _with(srv, "kms", creds).list_keys()
    assert error_of(exc)[0::2] == ("ExpiredTokenException", 400)


def test_get_session_token(server: ServerProcess, caller: dict[str, Any]) -> None:
    out = _with(server, "sts", caller).get_session_token(DurationSeconds=1800)["Credentials"]
    assert out["AccessKeyId"].startswith("ASIA")
    ident = _with(server, "sts", out).get_caller_identity()
    assert ident["Arn"] == caller["Arn"] and ident["UserId"].startswith("AIDA")
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", out).get_session_token()
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    root = server.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    assert (root["Expiration"] - server_now(server)).total_seconds() <= 3605
    assert _with(server, "sts", root).get_caller_identity()["Arn"].endswith(":root")


def test_get_access_key_info(server: ServerProcess, caller: dict[str, Any]) -> None:
    account = caller["Arn"].split(":")[4]
    assert server.client("sts").get_access_key_info(AccessKeyId=caller["AccessKeyId"])["Account"] == account
    with pytest.raises(ClientError) as exc:
        server.client("sts").get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert error_of(exc)[0] == "InvalidParameterValue"


# --- sessions are bound to the unique id of their role or user (AROA... / AIDA...) ----------------------------

BAD_TOKEN = ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)


def test_role_session_dies_with_its_role_even_if_the_name_is_reused(
    server: ServerProcess, caller: dict[str, Any]
) -> None:
    iam = server.client("iam")
    role = _role(server, {"AWS": caller["Arn"]})
    creds = _with(server, "sts", caller).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")["Credentials"]
    assert _with(server, "sts", creds).get_caller_identity()["UserId"].startswith(role["RoleId"])
    iam.delete_role(RoleName=role["RoleName"])
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", creds).get_caller_identity()
    assert error_of(exc) == BAD_TOKEN

    # a new role of the same name (and a more generous policy) is another role: the old session stays dead
    again = iam.create_role(
        RoleName=role["RoleName"], AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"])
    )
    assert again["Role"]["RoleId"] != role["RoleId"]
    iam.put_role_policy(
        RoleName=role["RoleName"],
        PolicyName="all-kms",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        ),
    )
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", creds).get_caller_identity()
    assert error_of(exc) == BAD_TOKEN
    with pytest.raises(ClientError) as exc:
        _with(server, "kms", creds).list_keys()
    assert error_of(exc) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        400,
    )
    # while a session of the new role works
    fresh = _with(server, "sts", caller).assume_role(RoleArn=role["Arn"], RoleSessionName="s2")["Credentials"]
    _with(server, "kms", fresh).list_keys()


def test_user_session_dies_with_its_user_even_if_the_name_is_reused(
    server: ServerProcess, caller: dict[str, Any]
) -> None:
    iam = server.client("iam")
    creds = _with(server, "sts", caller).get_session_token(DurationSeconds=900)["Credentials"]
    user_id = _with(server, "sts", creds).get_caller_identity()["UserId"]
    # deleting only the access key that asked for the session leaves the session alone
    iam.delete_access_key(UserName=caller["Name"], AccessKeyId=caller["AccessKeyId"])
    assert _with(server, "sts", creds).get_caller_identity()["UserId"] == user_id

    iam.delete_user(UserName=caller["Name"])
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", creds).get_caller_identity()
    assert error_of(exc) == BAD_TOKEN
    created = iam.create_user(UserName=caller["Name"])["User"]
    assert created["UserId"] != user_id
    iam.put_user_policy(
        UserName=caller["Name"],
        PolicyName="all-kms",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        ),
    )
    with pytest.raises(ClientError) as exc:
        _with(server, "sts", creds).get_caller_identity()
    assert error_of(exc) == BAD_TOKEN
    with pytest.raises(ClientError) as exc:
        _with(server, "kms", creds).list_keys()
    assert error_of(exc)[0::2] == ("UnrecognizedClientException", 400)


def test_user_session_follows_a_renamed_user(server: ServerProcess, caller: dict[str, Any]) -> None:
    iam = server.client("iam")
    creds = _with(server, "sts", caller).get_session_token(DurationSeconds=900)["Credentials"]
    user_id = _with(server, "sts", creds).get_caller_identity()["UserId"]
    renamed = caller["Name"] + "-r"
    iam.update_user(UserName=caller["Name"], NewUserName=renamed)
    ident = _with(server, "sts", creds).get_caller_identity()
    assert ident["UserId"] == user_id and ident["Arn"].endswith(f":user/{renamed}")
