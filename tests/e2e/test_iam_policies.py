"""Managed policies and versions, attachments, inline policies, ListEntitiesForPolicy, authorization details."""

from __future__ import annotations

import json
import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import ServerProcess


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _doc(action: str = "kms:Encrypt", resource: str = "*") -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def test_managed_policy_versions(iam: Any) -> None:
    name = _name("Enc")
    policy = iam.create_policy(PolicyName=name, Path="/app/", PolicyDocument=_doc(), Description="d")["Policy"]
    arn = policy["Arn"]
    assert arn.endswith(f":policy/app/{name}") and policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name, PolicyDocument=_doc())
    assert error_of(exc)[0::2] == ("EntityAlreadyExists", 409)

    v1 = iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]
    assert v1["Document"]["Statement"][0]["Action"] == "kms:Encrypt" and v1["IsDefaultVersion"] is True
    for i in range(2, 6):
        v = iam.create_policy_version(PolicyArn=arn, PolicyDocument=_doc(f"kms:Decrypt{i}"), SetAsDefault=i == 3)
        assert v["PolicyVersion"]["VersionId"] == f"v{i}"
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=_doc())
    assert error_of(exc)[0::2] == ("LimitExceeded", 409)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc) == ("DeleteConflict", "Cannot delete the default version of a policy.", 409)
    iam.delete_policy_version(PolicyArn=arn, VersionId="v1")
    assert iam.create_policy_version(PolicyArn=arn, PolicyDocument=_doc())["PolicyVersion"]["VersionId"] == "v6"
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v6")
    with pytest.raises(ClientError) as exc:
        iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    assert error_of(exc)[0] == "NoSuchEntity"
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "DeleteConflict"
    for v in ("v2", "v3", "v4", "v5"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.tag_policy(PolicyArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    assert iam.list_policy_tags(PolicyArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "Syntax errors in policy."),
        (json.dumps({"Version": "2012-10-17"}), "Syntax errors in policy."),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*"}]}),
            "Policy statement must contain actions.",
        ),
        (
            json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}),
            "Policy statement must contain resources.",
        ),
        (
            json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}]}
            ),
            "Syntax errors in policy.",
        ),
        (
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}],
                }
            ),
            "Policy document should not specify a principal.",
        ),
    ],
)
def test_malformed_policy_documents(iam: Any, document: str, message: str) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=_name("bad"), PolicyDocument=document)
    assert error_of(exc) == ("MalformedPolicyDocument", message, 400)


def test_policy_size_limit(iam: Any) -> None:
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": [f"arn:aws:s3:::bucket-{i:05d}/*" for i in range(250)],
                }
            ],
        }
    )
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=_name("big"), PolicyDocument=big)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)
    user = _name("sz")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=big)
    assert error_of(exc)[0::2] == ("LimitExceeded", 409)


def test_attachments_inline_and_entities(iam: Any) -> None:
    user, group, role = _name("u"), _name("g"), _name("r")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    arn = iam.create_policy(PolicyName=_name("att"), PolicyDocument=_doc())["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"][0]["PolicyArn"] == arn
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1

    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arn.replace(":policy/", ":policy/nope"))
    assert error_of(exc)[0::2] == ("NoSuchEntity", 404)
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error_of(exc) == ("DeleteConflict", "Cannot delete entity, must detach all policies first.", 409)

    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=_doc("kms:Decrypt"))
    got = iam.get_role_policy(RoleName=role, PolicyName="inline")
    assert got["RoleName"] == role and got["PolicyDocument"]["Statement"][0]["Action"] == "kms:Decrypt"
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["inline"]
    with pytest.raises(ClientError) as exc:
        iam.get_role_policy(RoleName=role, PolicyName="missing")
    assert error_of(exc) == ("NoSuchEntity", "The role policy with name missing cannot be found.", 404)
    iam.put_group_policy(GroupName=group, PolicyName="gp", PolicyDocument=_doc())
    iam.add_user_to_group(GroupName=group, UserName=user)

    details = iam.get_account_authorization_details(Filter=["User", "Role", "Group", "LocalManagedPolicy"])
    me = next(u for u in details["UserDetailList"] if u["UserName"] == user)
    assert me["GroupList"] == [group] and me["AttachedManagedPolicies"][0]["PolicyArn"] == arn
    r = next(x for x in details["RoleDetailList"] if x["RoleName"] == role)
    assert r["RolePolicyList"][0]["PolicyDocument"]["Statement"][0]["Action"] == "kms:Decrypt"
    assert r["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] == "lambda.amazonaws.com"
    p = next(x for x in details["Policies"] if x["Arn"] == arn)
    assert p["PolicyVersionList"][0]["Document"]["Statement"][0]["Action"] == "kms:Encrypt"

    for fn, kw in (
        (iam.detach_user_policy, {"UserName": user}),
        (iam.detach_group_policy, {"GroupName": group}),
        (iam.detach_role_policy, {"RoleName": role}),
    ):
        fn(PolicyArn=arn, **kw)
    with pytest.raises(ClientError) as exc:
        iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"
    iam.delete_role_policy(RoleName=role, PolicyName="inline")
    iam.delete_role(RoleName=role)
    iam.delete_policy(PolicyArn=arn)


def test_attached_policy_limit(iam: Any) -> None:
    user = _name("lim")
    iam.create_user(UserName=user)
    arns = [iam.create_policy(PolicyName=_name("l"), PolicyDocument=_doc())["Policy"]["Arn"] for _ in range(11)]
    for arn in arns[:10]:
        iam.attach_user_policy(UserName=user, PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=arns[10])
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PoliciesPerUser: 10", 409)


def test_permissions_boundary(iam: Any) -> None:
    user = _name("pb")
    arn = iam.create_policy(PolicyName=_name("bound"), PolicyDocument=_doc())["Policy"]["Arn"]
    iam.create_user(UserName=user, PermissionsBoundary=arn)
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    usage = iam.list_entities_for_policy(PolicyArn=arn, PolicyUsageFilter="PermissionsBoundary")
    assert [u["UserName"] for u in usage["PolicyUsers"]] == [user]
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "DeleteConflict"
    iam.delete_user_permissions_boundary(UserName=user)
    assert "PermissionsBoundary" not in iam.get_user(UserName=user)["User"]
    with pytest.raises(ClientError) as exc:
        iam.put_user_permissions_boundary(UserName=user, PermissionsBoundary=arn + "x")
    assert error_of(exc)[0] == "NoSuchEntity"


def test_simulate_custom_policy_is_answered(server: ServerProcess) -> None:
    # The simulator is covered in depth by tests/e2e/test_access_iam.py; here: it answers, with the evaluator.
    iam = server.client("iam", config=botocore.config.Config(parameter_validation=False))
    result = iam.simulate_custom_policy(PolicyInputList=[_doc()], ActionNames=["kms:Encrypt"])["EvaluationResults"]
    assert result[0]["EvalActionName"] == "kms:Encrypt"
    assert result[0]["EvalDecision"] in ("allowed", "implicitDeny", "explicitDeny")
