"""IAM roles: trust policies, max session duration, descriptions, tags and deletion rules."""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import ServerProcess


def _trust(principal: Any) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def test_role_lifecycle(server: ServerProcess) -> None:
    iam = server.client("iam")
    name = f"Deploy-{uuid.uuid4().hex[:8]}"
    trust = _trust({"AWS": "arn:aws:iam::111122223333:root"})
    role = iam.create_role(
        RoleName=name,
        Path="/ci/",
        AssumeRolePolicyDocument=trust,
        Description="ci",
        MaxSessionDuration=7200,
        Tags=[{"Key": "k", "Value": "v"}],
    )["Role"]
    assert role["RoleId"].startswith("AROA") and role["Arn"].endswith(f":role/ci/{name}")
    assert role["AssumeRolePolicyDocument"] == json.loads(trust)
    got = iam.get_role(RoleName=name)["Role"]
    assert (
        got["MaxSessionDuration"] == 7200 and got["Description"] == "ci" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    )
    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/ci/")["Roles"]]

    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name.lower(), AssumeRolePolicyDocument=trust)
    assert error_of(exc) == ("EntityAlreadyExists", f"Role with name {name.lower()} already exists.", 409)
    with pytest.raises(ClientError) as exc:
        iam.create_role(
            RoleName=name + "x",
            AssumeRolePolicyDocument=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
            ),
        )
    assert error_of(exc)[0::2] == ("MalformedPolicyDocument", 400)
    loose = server.client("iam", config=botocore.config.Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        loose.update_role(RoleName=name, MaxSessionDuration=60)
    assert error_of(exc)[0::2] == ("ValidationError", 400)

    iam.update_role(RoleName=name, MaxSessionDuration=3600, Description="new")
    assert iam.update_role_description(RoleName=name, Description="newer")["Role"]["Description"] == "newer"
    new_trust = _trust({"AWS": "*"})
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=new_trust)
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
    iam.tag_role(RoleName=name, Tags=[{"Key": "a", "Value": "b"}])
    iam.untag_role(RoleName=name, TagKeys=["k"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "a", "Value": "b"}]
    iam.put_role_policy(
        RoleName=name,
        PolicyName="p",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
        ),
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=name)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_role_policy(RoleName=name, PolicyName="p")
    iam.delete_role(RoleName=name)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=name)
    assert error_of(exc) == ("NoSuchEntity", f"The role with name {name} cannot be found.", 404)
