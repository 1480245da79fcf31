"""Secrets Manager through boto3: secrets, versions and labels, values, passwords, listing, deletion, policies."""

from __future__ import annotations

import json
import string
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.support.errors import code_of as code
from tests.support.server import ServerProcess

NO_VALIDATION = Config(parameter_validation=False)


def _name(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


def test_create_get_describe_and_arn_forms(sm: Any) -> None:
    name = _name("app/db")
    made = sm.create_secret(
        Name=name, SecretString='{"password":"p1"}', Description="d", Tags=[{"Key": "k", "Value": "v"}]
    )
    arn = made["ARN"]
    assert arn.startswith("arn:aws:secretsmanager:us-east-1:") and arn.split(":secret:")[1][: len(name)] == name
    suffix = arn.rsplit("-", 1)[1]
    assert len(suffix) == 6 and set(suffix) <= set(string.ascii_letters + string.digits)
    for ident in (name, arn, arn.rsplit("-", 1)[0]):
        got = sm.get_secret_value(SecretId=ident)
        assert got["SecretString"] == '{"password":"p1"}' and got["VersionStages"] == ["AWSCURRENT"]
        assert got["VersionId"] == made["VersionId"] and got["ARN"] == arn
    desc = sm.describe_secret(SecretId=name)
    assert desc["Description"] == "d" and desc["Tags"] == [{"Key": "k", "Value": "v"}]
    assert desc["VersionIdsToStages"] == {made["VersionId"]: ["AWSCURRENT"]}
    assert "KmsKeyId" not in desc and "DeletedDate" not in desc
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="x")
    assert code(exc) == "ResourceExistsException"
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=_name("missing"))
    assert code(exc) == "ResourceNotFoundException"
    assert exc.value.response["Error"]["Message"] == "Secrets Manager can't find the specified secret."


def test_binary_values_limits_and_no_value(sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01binary")
    assert sm.get_secret_value(SecretId=name)["SecretBinary"] == b"\x00\x01binary"
    empty = sm.create_secret(Name=_name())
    assert "VersionId" not in empty
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=empty["ARN"])
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=_name(), SecretString="a", SecretBinary=b"b")
    assert code(exc) == "InvalidParameterException"
    sm.put_secret_value(SecretId=name, SecretString="s" * 65536)
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name="bad name with spaces", SecretString="x")
    assert code(exc) == "ValidationException"


def test_oversized_value_is_refused(server: ServerProcess) -> None:
    loose = server.client("secretsmanager", config=NO_VALIDATION)
    with pytest.raises(ClientError) as exc:
        loose.create_secret(Name=_name(), SecretString="s" * 65537)
    assert code(exc) in ("InvalidParameterException", "ValidationException")


def test_put_secret_value_labels_and_idempotency(sm: Any) -> None:
    name = _name()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    token = str(uuid.uuid4())
    out = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert out["VersionId"] == token and out["VersionStages"] == ["AWSCURRENT"]
    again = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert again["VersionId"] == token
    with pytest.raises(ClientError) as exc:
        sm.put_secret_value(SecretId=name, SecretString="different", ClientRequestToken=token)
    assert code(exc) == "ResourceExistsException"
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], token: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    pending = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["AWSPENDING"])["VersionId"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == "three"
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert code(exc) == "InvalidRequestException"
    # UpdateSecretVersionStage: moving AWSCURRENT requires naming where it is, and leaves AWSPREVIOUS behind
    with pytest.raises(ClientError) as exc:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=pending)
    assert code(exc) == "InvalidParameterException"
    sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=pending, RemoveFromVersionId=token
    )
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[pending] == ["AWSPENDING", "AWSCURRENT"] and stages[token] == ["AWSPREVIOUS"] and v1 not in stages
    with pytest.raises(ClientError) as exc:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", RemoveFromVersionId=pending)
    assert code(exc) == "InvalidParameterException"
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=pending)
    sm.update_secret_version_stage(SecretId=name, VersionStage="MYLABEL", MoveToVersionId=v1)
    assert sm.get_secret_value(SecretId=name, VersionStage="MYLABEL")["SecretString"] == "one"
    listed = sm.list_secret_version_ids(SecretId=name)
    assert {v["VersionId"] for v in listed["Versions"]} == {v1, token, pending}
    sm.update_secret_version_stage(SecretId=name, VersionStage="MYLABEL", RemoveFromVersionId=v1)
    assert {v["VersionId"] for v in sm.list_secret_version_ids(SecretId=name)["Versions"]} == {token, pending}
    deprecated = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)
    assert {v["VersionId"] for v in deprecated["Versions"]} == {v1, token, pending}
    with pytest.raises(ClientError) as exc:
        sm.update_secret_version_stage(SecretId=name, VersionStage="X", MoveToVersionId=str(uuid.uuid4()))
    assert code(exc) == "ResourceNotFoundException"


def test_update_secret_description_value_and_key(server: ServerProcess, sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="one")
    out = sm.update_secret(SecretId=name, Description="new")
    assert "VersionId" not in out and sm.describe_secret(SecretId=name)["Description"] == "new"
    out = sm.update_secret(SecretId=name, SecretString="two")
    assert sm.get_secret_value(SecretId=name)["VersionId"] == out["VersionId"]
    key = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    sm.update_secret(SecretId=name, KmsKeyId=key)
    assert sm.describe_secret(SecretId=name)["KmsKeyId"] == key
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert all(v["KmsKeyIds"] == [key] for v in versions)
    server.client("kms").disable_key(KeyId=key)
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name)
    assert code(exc) == "DecryptionFailure"
    server.client("kms").enable_key(KeyId=key)


def test_tags(sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="x", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        sm.tag_resource(SecretId=name, Tags=[{"Key": "aws:x", "Value": "1"}])
    assert code(exc) == "InvalidParameterException"
    # the model leaves Key optional: a tag without one is refused, never stored (it was a 500, then every later
    # TagResource on the secret failed too)
    with pytest.raises(ClientError) as exc:
        sm.tag_resource(SecretId=name, Tags=[{"Value": "no key"}])
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=_name(), SecretString="x", Tags=[{"Value": "no key"}])
    assert code(exc) == "InvalidParameterException"
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]


def test_get_random_password_options(sm: Any) -> None:
    pw = sm.get_random_password()["RandomPassword"]
    assert len(pw) == 32
    assert any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
    assert any(c in string.punctuation for c in pw) and " " not in pw
    for _ in range(5):
        pw = sm.get_random_password(PasswordLength=8, ExcludePunctuation=True, ExcludeUppercase=True)["RandomPassword"]
        assert len(pw) == 8 and set(pw) <= set(string.ascii_lowercase + string.digits)
        assert any(c.isdigit() for c in pw) and any(c.islower() for c in pw)
    pw = sm.get_random_password(
        PasswordLength=50, ExcludeCharacters="abcdef0123", ExcludeNumbers=True, IncludeSpace=True
    )["RandomPassword"]
    assert not set(pw) & set("abcdef0123456789") and " " in pw
    pw = sm.get_random_password(
        PasswordLength=3,
        ExcludeLowercase=True,
        ExcludeUppercase=True,
        ExcludePunctuation=True,
        RequireEachIncludedType=False,
    )["RandomPassword"]
    assert pw.isdigit() and len(pw) == 3
    with pytest.raises(ClientError) as exc:
        sm.get_random_password(
            ExcludeLowercase=True, ExcludeUppercase=True, ExcludePunctuation=True, ExcludeNumbers=True
        )
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.get_random_password(PasswordLength=2)
    assert code(exc) == "InvalidParameterException"


def test_list_secrets_filters_sort_and_pages(sm: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"lst-{tag}-{i}" for i in range(3)]
    for i, n in enumerate(names):
        sm.create_secret(Name=n, SecretString="x", Description=f"desc{i}", Tags=[{"Key": "grp", "Value": tag}])
    found = sm.list_secrets(Filters=[{"Key": "name", "Values": [f"lst-{tag}"]}], SortBy="name", SortOrder="asc")
    assert [s["Name"] for s in found["SecretList"]] == names
    assert all("SecretVersionsToStages" in s for s in found["SecretList"])
    found = sm.list_secrets(
        Filters=[{"Key": "tag-value", "Values": [tag]}, {"Key": "description", "Values": ["!desc1"]}]
    )
    assert sorted(s["Name"] for s in found["SecretList"]) == [names[0], names[2]]
    first = sm.list_secrets(Filters=[{"Key": "all", "Values": [tag]}], MaxResults=2, SortBy="name", SortOrder="desc")
    assert [s["Name"] for s in first["SecretList"]] == [names[2], names[1]] and first["NextToken"]
    rest = sm.list_secrets(
        Filters=[{"Key": "all", "Values": [tag]}],
        MaxResults=2,
        SortBy="name",
        SortOrder="desc",
        NextToken=first["NextToken"],
    )
    assert [s["Name"] for s in rest["SecretList"]] == [names[0]] and "NextToken" not in rest
    sm.delete_secret(SecretId=names[0])
    found = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": [tag]}])
    assert names[0] not in [s["Name"] for s in found["SecretList"]]
    found = sm.list_secrets(Filters=[{"Key": "tag-value", "Values": [tag]}], IncludePlannedDeletion=True)
    assert names[0] in [s["Name"] for s in found["SecretList"]]
    with pytest.raises(ClientError) as exc:
        sm.list_secrets(NextToken="garbage!")
    assert code(exc) == "InvalidNextTokenException"


def test_batch_get_secret_value(sm: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    a = sm.create_secret(Name=f"b-{tag}-a", SecretString="va", Tags=[{"Key": "batch", "Value": tag}])
    sm.create_secret(Name=f"b-{tag}-b", SecretString="vb", Tags=[{"Key": "batch", "Value": tag}])
    missing = f"b-{tag}-missing"
    out = sm.batch_get_secret_value(SecretIdList=[a["ARN"], missing])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["va"]
    assert out["Errors"] == [
        {
            "SecretId": missing,
            "ErrorCode": "ResourceNotFoundException",
            "Message": "Secrets Manager can't find the specified secret.",
        }
    ]
    out = sm.batch_get_secret_value(Filters=[{"Key": "tag-value", "Values": [tag]}])
    assert sorted(v["SecretString"] for v in out["SecretValues"]) == ["va", "vb"]
    with pytest.raises(ClientError) as exc:
        sm.batch_get_secret_value(SecretIdList=[a["ARN"]], Filters=[{"Key": "name", "Values": ["x"]}])
    assert code(exc) == "InvalidParameterException"


def test_deletion_window_restore_and_force(server: ServerProcess, sm: Any) -> None:
    name = _name()
    arn = sm.create_secret(Name=name, SecretString="x")["ARN"]
    with pytest.raises(ClientError) as exc:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=6)
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert code(exc) == "InvalidParameterException"
    out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert out["ARN"] == arn and out["DeletionDate"]
    assert sm.describe_secret(SecretId=name)["DeletedDate"] == out["DeletionDate"]
    for call in (
        lambda: sm.get_secret_value(SecretId=name),
        lambda: sm.put_secret_value(SecretId=name, SecretString="y"),
        lambda: sm.update_secret(SecretId=name, Description="z"),
        lambda: sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "b"}]),
        lambda: sm.create_secret(Name=name, SecretString="again"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "InvalidRequestException"
    assert exc.value.response["Error"]["Message"].startswith("You can't create this secret")
    sm.restore_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "x"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    server.advance(6 * 86400)
    assert sm.describe_secret(SecretId=arn)["Name"] == name
    server.advance(2 * 86400)
    with pytest.raises(ClientError) as exc:
        sm.describe_secret(SecretId=arn)
    assert code(exc) == "ResourceNotFoundException"
    sm.create_secret(Name=name, SecretString="reborn")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as exc:
        sm.describe_secret(SecretId=name)
    assert code(exc) == "ResourceNotFoundException"


def test_resource_policies(server: ServerProcess, sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="x")
    account = server.client("sts").get_caller_identity()["Account"]
    private = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                }
            ],
        }
    )
    public = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*"}],
        }
    )
    assert sm.validate_resource_policy(SecretId=name, ResourcePolicy=private)["PolicyValidationPassed"] is True
    bad = sm.validate_resource_policy(ResourcePolicy=public)
    assert bad["PolicyValidationPassed"] is False and bad["ValidationErrors"]
    with pytest.raises(ClientError) as exc:
        sm.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert code(exc) == "PublicPolicyException"
    with pytest.raises(ClientError) as exc:
        sm.put_resource_policy(SecretId=name, ResourcePolicy='{"Statement": "nope"}')
    assert code(exc) == "MalformedPolicyDocumentException"
    sm.put_resource_policy(SecretId=name, ResourcePolicy=private, BlockPublicPolicy=True)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(private)
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)


def test_resource_policy_denies_through_the_evaluator(server: ServerProcess, sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="x")
    iam = server.client("iam")
    user = _name("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="all",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:*", "kms:*"], "Resource": "*"}],
            }
        ),
    )
    key = iam.create_access_key(UserName=user)["AccessKey"]
    theirs = server.client(
        "secretsmanager", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    assert theirs.get_secret_value(SecretId=name)["SecretString"] == "x"
    user_arn = iam.get_user(UserName=user)["User"]["Arn"]
    deny = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": user_arn},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(deny))
    with pytest.raises(ClientError) as exc:
        theirs.get_secret_value(SecretId=name)
    assert code(exc) == "AccessDeniedException"
    out = theirs.batch_get_secret_value(SecretIdList=[name])
    assert out["SecretValues"] == [] and out["Errors"][0]["ErrorCode"] == "AccessDeniedException"
