"""The GetParameter* read path: fresh values after every write, and resource policies still applied to reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.ssm_support import unique_name
from tests.support.errors import code_of
from tests.support.server import ServerProcess


def unique(prefix: str = "/rd") -> str:
    return unique_name(prefix)


def _values(ssm: Any, base: str, name: str) -> tuple[str, str, str]:
    one = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    many = ssm.get_parameters(Names=[name], WithDecryption=True)["Parameters"][0]["Value"]
    by_path = ssm.get_parameters_by_path(Path=base, WithDecryption=True)["Parameters"][0]["Value"]
    return one, many, by_path


def test_every_read_sees_the_latest_write(ssm: Any) -> None:
    base = unique()
    name = f"{base}/secret"
    ssm.put_parameter(Name=name, Value="first", Type="SecureString")
    assert _values(ssm, base, name) == ("first", "first", "first")
    ssm.put_parameter(Name=name, Value="second", Type="SecureString", Overwrite=True)
    assert _values(ssm, base, name) == ("second", "second", "second")
    got = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (got["Version"], got["Type"], got["DataType"], got["Name"]) == (2, "SecureString", "text", name)
    assert got["ARN"].endswith(f":parameter{name}") and "Selector" not in got
    assert ssm.get_parameter(Name=f"{name}:1", WithDecryption=True)["Parameter"]["Value"] == "first"
    ssm.delete_parameter(Name=name)
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=name)
    assert code_of(exc) == "ParameterNotFound"
    assert ssm.get_parameters(Names=[name])["InvalidParameters"] == [name]
    assert ssm.get_parameters_by_path(Path=base)["Parameters"] == []


def test_get_parameters_mixes_stored_public_and_missing_names(ssm: Any) -> None:
    a, b, missing = unique(), unique(), unique()
    ssm.put_parameter(Name=a, Value="A", Type="String")
    ssm.put_parameter(Name=b, Value="B", Type="SecureString")
    public = "/aws/service/global-infrastructure/regions/eu-west-1"
    out = ssm.get_parameters(Names=[b, missing, public, a, f"{a}:1", b], WithDecryption=True)
    assert [(p["Name"], p["Value"]) for p in out["Parameters"]] == [(b, "B"), (public, "eu-west-1"), (a, "A"), (a, "A")]
    assert out["InvalidParameters"] == [missing]
    assert ssm.get_parameters(Names=[b])["Parameters"][0]["Value"] != "B"  # without decryption: ciphertext


def _user(server: ServerProcess) -> tuple[str, Any]:
    iam = server.client("iam")
    user = f"ssm-rd-{uuid.uuid4().hex[:8]}"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    allow = {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters"], "Resource": "*"}
    policy = {"Version": "2012-10-17", "Statement": [allow]}
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    client = server.client("ssm", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    return arn, client


def test_resource_policy_deny_applies_to_reads(server: ServerProcess, ssm: Any) -> None:
    guarded, open_ = unique(), unique()
    ssm.put_parameter(Name=guarded, Value="g", Type="String", Tier="Advanced")
    ssm.put_parameter(Name=open_, Value="o", Type="String")
    user_arn, reader = _user(server)
    assert reader.get_parameter(Name=guarded)["Parameter"]["Value"] == "g"
    arn = ssm.get_parameter(Name=guarded)["Parameter"]["ARN"]
    deny = {
        "Effect": "Deny",
        "Principal": {"AWS": user_arn},
        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
        "Resource": arn,
    }
    put = ssm.put_resource_policy(ResourceArn=arn, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    for call in (lambda: reader.get_parameter(Name=guarded), lambda: reader.get_parameters(Names=[open_, guarded])):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "AccessDeniedException"
    assert reader.get_parameters(Names=[open_])["Parameters"][0]["Value"] == "o"
    assert ssm.get_parameter(Name=guarded)["Parameter"]["Value"] == "g"  # the deny names the user only
    ssm.delete_resource_policy(ResourceArn=arn, PolicyId=put["PolicyId"], PolicyHash=put["PolicyHash"])
    assert reader.get_parameter(Name=guarded)["Parameter"]["Value"] == "g"
