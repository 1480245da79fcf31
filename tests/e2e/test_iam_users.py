"""IAM users, groups, access keys and tags through boto3 and the AWS CLI, with AWS's errors."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import ServerProcess, clean_env


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def test_user_lifecycle(iam: Any, server: ServerProcess) -> None:
    name = _name("Alice")
    user = iam.create_user(UserName=name, Path="/eng/", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    account = server.client("sts").get_caller_identity()["Account"]
    assert user["Arn"] == f"arn:aws:iam::{account}:user/eng/{name}"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    got = iam.get_user(UserName=name.lower())["User"]  # names are case-insensitive
    assert got["UserName"] == name and got["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert name in [u["UserName"] for u in iam.list_users(PathPrefix="/eng/")["Users"]]
    assert name not in [u["UserName"] for u in iam.list_users(PathPrefix="/ops/")["Users"]]

    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=name.upper())
    assert error_of(exc) == ("EntityAlreadyExists", f"User with name {name.upper()} already exists.", 409)

    new = name + "-2"
    iam.update_user(UserName=name, NewUserName=new, NewPath="/ops/")
    assert iam.get_user(UserName=new)["User"]["Arn"].endswith(f":user/ops/{new}")
    assert iam.list_user_tags(UserName=new)["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_user(UserName=new, Tags=[{"Key": "env", "Value": "prod"}])
    iam.untag_user(UserName=new, TagKeys=["TEAM"])
    assert iam.list_user_tags(UserName=new)["Tags"] == [{"Key": "env", "Value": "prod"}]
    iam.delete_user(UserName=new)
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=new)
    assert error_of(exc) == ("NoSuchEntity", f"The user with name {new} cannot be found.", 404)


def test_get_user_without_name_is_the_caller(iam: Any, server: ServerProcess) -> None:
    me = iam.get_user()["User"]
    assert me["Arn"].endswith(":root")


def test_invalid_names_and_tags(server: ServerProcess) -> None:
    iam = server.client("iam", config=botocore.config.Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName="bad name!")
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationError", 400) and "userName" in message
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=_name("u"), Path="no-slashes")
    assert error_of(exc)[0] == "ValidationError"
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=_name("u"), Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert error_of(exc)[:1] == ("InvalidInput",)


def test_pagination(iam: Any) -> None:
    prefix = f"/page{uuid.uuid4().hex[:6]}/"
    names = sorted(_name("p") for _ in range(5))
    for n in names:
        iam.create_user(UserName=n, Path=prefix)
    first = iam.list_users(PathPrefix=prefix, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["Users"]) == 2
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        more = iam.list_users(PathPrefix=prefix, MaxItems=2, Marker=marker)
        seen += [u["UserName"] for u in more["Users"]]
        marker = more.get("Marker")
    assert seen == names
    paginated = [
        u["UserName"]
        for p in iam.get_paginator("list_users").paginate(PathPrefix=prefix, PaginationConfig={"PageSize": 3})
        for u in p["Users"]
    ]
    assert paginated == names
    with pytest.raises(ClientError) as exc:
        iam.list_users(Marker="garbage")
    assert error_of(exc)[0] == "InvalidInput"


def test_groups_and_membership(iam: Any) -> None:
    group, user = _name("Devs"), _name("bob")
    created = iam.create_group(GroupName=group)["Group"]
    assert created["GroupId"].startswith("AGPA") and created["Arn"].endswith(f":group/{group}")
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    got = iam.get_group(GroupName=group)
    assert [u["UserName"] for u in got["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must remove users from group first.", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc)[0] == "DeleteConflict"
    with pytest.raises(ClientError) as exc:
        iam.add_user_to_group(GroupName=group + "x", UserName=user)
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)
    iam.remove_user_from_group(GroupName=group, UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.remove_user_from_group(GroupName=group, UserName=user)
    assert error_of(exc)[0] == "NoSuchEntity"
    iam.update_group(GroupName=group, NewGroupName=group + "-r")
    iam.delete_group(GroupName=group + "-r")
    iam.delete_user(UserName=user)


def test_access_keys_authenticate_as_the_user(iam: Any, server: ServerProcess) -> None:
    user = _name("carol")
    arn = iam.create_user(UserName=user, Path="/svc/")["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and key["Status"] == "Active" and key["UserName"] == user
    iam.create_access_key(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=user)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)

    sts = server.client("sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    ident = sts.get_caller_identity()
    assert ident["Arn"] == arn and ident["UserId"].startswith("AIDA")
    own = server.client("iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    # AWS requires iam:GetUser even for the caller's own user
    self_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/svc/${aws:username}"}
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="self", PolicyDocument=json.dumps(self_only))
    assert own.get_user()["User"]["Arn"] == arn  # GetUser without a name describes the calling user

    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last["UserName"] == user
    assert last["AccessKeyLastUsed"]["ServiceName"] == "sts" and last["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert "LastUsedDate" in last["AccessKeyLastUsed"]

    listed = iam.list_access_keys(UserName=user)["AccessKeyMetadata"]
    assert len(listed) == 2 and all(k["UserName"] == user for k in listed)

    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc)[0::2] == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"] == arn

    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must delete access keys first.", 409)
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=user, AccessKeyId="AKIAIOSFODNN7EXAMPLE")
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)
    for k in listed:
        iam.delete_access_key(UserName=user, AccessKeyId=k["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    iam.delete_user_policy(UserName=user, PolicyName="self")
    iam.delete_user(UserName=user)


def test_unused_key_reports_na(iam: Any) -> None:
    user = _name("dave")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert last == {"ServiceName": "N/A", "Region": "N/A"}


def test_aws_cli_v1_round_trip(server: ServerProcess) -> None:
    env = clean_env() | {
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
    }
    user = _name("cli")
    base = [sys.executable, "-m", "awscli", "iam", "--profile", "strongroom", "--endpoint-url", server.endpoint]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*base[:4], *args, *base[4:]], capture_output=True, text=True, env=env, timeout=60)

    res = run("create-user", "--user-name", user)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["User"]["UserName"] == user
    doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]})
    res = run("put-user-policy", "--user-name", user, "--policy-name", "inline", "--policy-document", doc)
    assert res.returncode == 0, res.stderr
    res = run("get-user-policy", "--user-name", user, "--policy-name", "inline")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["PolicyDocument"]["Statement"][0]["Action"] == "kms:*"
    res = run("get-user", "--user-name", user + "-missing")
    assert res.returncode != 0 and "NoSuchEntity" in res.stderr
