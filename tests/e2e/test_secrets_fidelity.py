"""Secrets Manager answers as AWS does where clients notice: filters, order, names, tokens, shapes, labels,
cross-account reads, and RotateSecret refusals that leave the secret untouched."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user, policy, second_account
from tests.support.errors import error_of
from tests.support.server import ServerProcess

INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)
NO_TOKEN = "You must provide a ClientRequestToken value. We recommend a UUID-type value."


def _tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


def _names(found: dict[str, Any]) -> list[str]:
    return [s["Name"] for s in found["SecretList"]]


# -- ListSecrets / BatchGetSecretValue filters and order ----------------------------------------------------------


def test_name_filter_matches_word_prefixes_case_sensitively(sm: Any) -> None:
    t = _tag()
    names = [f"fx{t}/prod/db-password", f"fx{t}/dev/api_key", f"/fx{t}/prod", f"fx{t}-Database"]
    for n in names:
        sm.create_secret(Name=n, SecretString="x")

    def by_name(*values: str) -> list[str]:
        # the session's server holds other tests' secrets too: look only at this test's
        found = _names(sm.list_secrets(Filters=[{"Key": "name", "Values": list(values)}], SortOrder="asc"))
        return [n for n in found if n in names]

    assert by_name(f"fx{t}/prod") == [names[0], names[2]]  # the start of the name, or of a word in it
    assert by_name(f"fx{t}") == names
    assert by_name(f"/fx{t}") == [names[2]]  # only the name starts with "/"
    assert by_name("db", f"fx{t}/dev") == [names[0], names[1]]  # values OR
    assert by_name("prod/db-pass") == [names[0]]  # a word prefix spanning separators
    assert by_name("key") == [names[1]] and by_name("Data") == [names[3]]
    assert by_name("data") == [] and by_name("base") == []  # case-sensitive, words only at separators
    # negation, and repeated keys AND together
    only_prod = sm.list_secrets(
        Filters=[{"Key": "name", "Values": [f"fx{t}"]}, {"Key": "name", "Values": ["prod"]}], SortOrder="asc"
    )
    assert _names(only_prod) == [names[0], names[2]]
    not_prod = sm.list_secrets(
        Filters=[{"Key": "name", "Values": [f"fx{t}"]}, {"Key": "name", "Values": ["!prod"]}], SortOrder="asc"
    )
    assert _names(not_prod) == [names[1], names[3]]


def test_description_all_and_tag_filters(sm: Any) -> None:
    t = _tag()
    sm.create_secret(Name=f"dsc{t}-a", SecretString="x", Description=f"My basic description w{t}")
    sm.create_secret(Name=f"dsc{t}-b", SecretString="x", Description=f"Description of my secret w{t}")
    sm.create_secret(Name=f"dsc{t}-c", SecretString="x", Description=f"another w{t}")
    sm.create_secret(Name=f"dsc{t}-d", SecretString="x", Tags=[{"Key": f"Prod{t}", "Value": f"Team{t}Blue"}])

    def names(key: str, *values: str) -> list[str]:
        return sorted(_names(sm.list_secrets(Filters=[{"Key": key, "Values": list(values)}])))

    # descriptions: split at spaces, not case-sensitive, every word of the value must start a word
    assert names("description", f"my DESCRIPTION w{t}") == [f"dsc{t}-a", f"dsc{t}-b"]
    assert names("description", f"desc w{t}") == [f"dsc{t}-a", f"dsc{t}-b"]
    assert names("description", f"scription w{t}") == []
    assert names("description", f"secret w{t}") == [f"dsc{t}-b"]
    # tag keys and values: the start of the whole key or value, case-sensitive
    assert names("tag-key", f"Prod{t}") == [f"dsc{t}-d"]
    assert names("tag-key", f"prod{t}") == []
    assert names("tag-value", f"Team{t}") == [f"dsc{t}-d"]
    assert names("tag-value", "Blue") == []
    # all: words (case changes split them), any attribute, not case-sensitive
    assert names("all", f"blue team{t}") == [f"dsc{t}-d"]
    assert names("all", f"basic w{t}") == [f"dsc{t}-a"]


def test_list_is_oldest_first_and_sort_order_desc_reverses(sm: Any) -> None:
    t = _tag()
    made = [f"ord{t}-{c}" for c in ("c", "a", "b")]
    for n in made:
        sm.create_secret(Name=n, SecretString="x")
    flt = [{"Key": "name", "Values": [f"ord{t}"]}]
    assert _names(sm.list_secrets(Filters=flt)) == made
    assert _names(sm.list_secrets(Filters=flt, SortOrder="desc")) == made[::-1]
    out = sm.batch_get_secret_value(Filters=flt)
    assert [v["Name"] for v in out["SecretValues"]] == made


def test_batch_get_filters_use_the_same_word_rules(sm: Any) -> None:
    t = _tag()
    sm.create_secret(Name=f"bg{t}/prod/db", SecretString="p")
    sm.create_secret(Name=f"bg{t}/dev/db", SecretString="d")
    out = sm.batch_get_secret_value(
        Filters=[{"Key": "name", "Values": [f"bg{t}"]}, {"Key": "name", "Values": ["prod"]}]
    )
    assert [v["SecretString"] for v in out["SecretValues"]] == ["p"]


# -- names -------------------------------------------------------------------------------------------------------


def test_invalid_names_are_validation_errors_everywhere(sm: Any) -> None:
    bad = "bad name?"
    calls = {
        "CreateSecret": lambda: sm.create_secret(Name=bad, SecretString="x"),
        "DescribeSecret": lambda: sm.describe_secret(SecretId=bad),
        "GetSecretValue": lambda: sm.get_secret_value(SecretId=bad),
        "PutSecretValue": lambda: sm.put_secret_value(SecretId=bad, SecretString="x"),
        "UpdateSecret": lambda: sm.update_secret(SecretId=bad, Description="d"),
        "DeleteSecret": lambda: sm.delete_secret(SecretId=bad, ForceDeleteWithoutRecovery=True),
        "RestoreSecret": lambda: sm.restore_secret(SecretId=bad),
        "TagResource": lambda: sm.tag_resource(SecretId=bad, Tags=[{"Key": "k", "Value": "v"}]),
        "UntagResource": lambda: sm.untag_resource(SecretId=bad, TagKeys=["k"]),
        "ListSecretVersionIds": lambda: sm.list_secret_version_ids(SecretId=bad),
        "GetResourcePolicy": lambda: sm.get_resource_policy(SecretId=bad),
        "DeleteResourcePolicy": lambda: sm.delete_resource_policy(SecretId=bad),
        "CancelRotateSecret": lambda: sm.cancel_rotate_secret(SecretId=bad),
        "UpdateSecretVersionStage": lambda: sm.update_secret_version_stage(
            SecretId=bad, VersionStage="X", MoveToVersionId="a" * 32
        ),
    }
    for operation, call in calls.items():
        with pytest.raises(ClientError) as exc:
            call()
        code, message, status = error_of(exc)
        assert (code, message, status) == ("ValidationException", INVALID_NAME, 400), operation
    # names with every allowed character, and ARNs, still work
    good = f"ok{_tag()}/a_b+c=d.e@f-g!h"
    arn = sm.create_secret(Name=good, SecretString="x")["ARN"]
    assert sm.describe_secret(SecretId=good)["ARN"] == arn
    assert sm.describe_secret(SecretId=arn)["Name"] == good


# -- ClientRequestToken --------------------------------------------------------------------------------------------


def _without_token(server: ServerProcess) -> Any:
    """A client that sends requests as a raw HTTP caller would: no auto-filled ClientRequestToken."""
    client = server.client("secretsmanager")

    def drop(params: dict[str, Any], **_: Any) -> None:
        body = json.loads(params["body"] or b"{}")
        body.pop("ClientRequestToken", None)
        params["body"] = json.dumps(body).encode()

    # botocore fills idempotency tokens while building the parameters; the serialized body is edited before signing
    client.meta.events.register("before-call.secretsmanager.*", drop)
    return client


def test_missing_client_request_token_in_raw_requests(server: ServerProcess, sm: Any) -> None:
    raw = _without_token(server)
    name = f"tok-{_tag()}"
    for call in (
        lambda: raw.create_secret(Name=name, SecretString="x"),
        lambda: raw.put_secret_value(SecretId=name, SecretString="x"),
        lambda: raw.update_secret(SecretId=name, SecretString="y"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("InvalidRequestException", NO_TOKEN, 400)
        if not _exists(sm, name):
            sm.create_secret(Name=name, SecretString="first")
    # nothing was written by the refused calls
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "first"
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 1
    # without a value no version is made, so no token is needed
    made = raw.create_secret(Name=f"tok-{_tag()}")
    assert "VersionId" not in made
    raw.update_secret(SecretId=made["ARN"], Description="no value, no token")


def _exists(sm: Any, name: str) -> bool:
    try:
        sm.describe_secret(SecretId=name)
    except ClientError:
        return False
    return True


def test_create_secret_replay_is_idempotent(sm: Any) -> None:
    name, token = f"idem-{_tag()}", str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v1", ClientRequestToken=token)
    assert {k: again[k] for k in ("ARN", "Name", "VersionId")} == {k: first[k] for k in ("ARN", "Name", "VersionId")}
    assert len(sm.list_secret_version_ids(SecretId=name)["Versions"]) == 1
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="v2", ClientRequestToken=token)
    assert error_of(exc) == (
        "ResourceExistsException",
        "You can't modify an existing version, you can only create a new version.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="v1")  # another token: the name is taken
    assert error_of(exc) == (
        "ResourceExistsException",
        f"The operation failed because the secret {name} already exists.",
        400,
    )
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"


# -- DescribeSecret shape, DeleteSecret on a missing secret --------------------------------------------------------


def test_describe_omits_absent_fields_and_shows_emptied_tags(sm: Any) -> None:
    name = f"shape-{_tag()}"
    sm.create_secret(Name=name)
    desc = sm.describe_secret(SecretId=name)
    for absent in ("VersionIdsToStages", "Description", "Tags"):
        assert absent not in desc, absent
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"][0]
    assert "SecretVersionsToStages" not in listed and "Tags" not in listed
    sm.tag_resource(SecretId=name, Tags=[{"Key": "a", "Value": "1"}])
    sm.untag_resource(SecretId=name, TagKeys=["a"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []
    sm.put_secret_value(SecretId=name, SecretString="x")
    assert list(sm.describe_secret(SecretId=name)["VersionIdsToStages"].values()) == [["AWSCURRENT"]]


def test_force_delete_of_a_missing_secret_answers_like_a_deletion(server: ServerProcess, sm: Any) -> None:
    name = f"gone-{_tag()}"
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    account = server.client("sts").get_caller_identity()["Account"]
    assert out["Name"] == name and out["DeletionDate"]
    assert out["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{account}:secret:{name}-")
    with pytest.raises(ClientError) as exc:
        sm.delete_secret(SecretId=name)  # with a recovery window it is still not found
    assert error_of(exc)[0] == "ResourceNotFoundException"


# -- labels ---------------------------------------------------------------------------------------------------------


def test_first_version_gets_awscurrent_and_pending_moves_on_put(sm: Any) -> None:
    name = f"lbl-{_tag()}"
    sm.create_secret(Name=name)
    first = sm.put_secret_value(SecretId=name, SecretString="one", VersionStages=["AWSPENDING"])
    assert sorted(first["VersionStages"]) == ["AWSCURRENT", "AWSPENDING"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "one"
    second = sm.put_secret_value(SecretId=name, SecretString="two")
    assert second["VersionStages"] == ["AWSCURRENT"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {first["VersionId"]: ["AWSPREVIOUS"], second["VersionId"]: ["AWSCURRENT"]}
    # a later version with only a custom label leaves AWSCURRENT where it is
    third = sm.put_secret_value(SecretId=name, SecretString="three", VersionStages=["custom"])
    assert third["VersionStages"] == ["custom"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"


def test_version_stage_not_on_version_id(sm: Any) -> None:
    name = f"mis-{_tag()}"
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    sm.put_secret_value(SecretId=name, SecretString="two")
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert error_of(exc) == (
        "InvalidRequestException",
        "You provided a VersionStage that is not associated to the provided VersionId.",
        400,
    )
    assert sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSPREVIOUS")["SecretString"] == "one"


# -- cross-account reads -----------------------------------------------------------------------------------------------


def test_cross_account_read_needs_resource_policy_and_key_policy(server: ServerProcess, sm: Any) -> None:
    other_account, other_root = second_account(server)
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    key_policy["Statement"].append(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{other_account}:root"},
            "Action": ["kms:Decrypt", "kms:DescribeKey"],
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps(key_policy))
    name = f"xacct-{_tag()}"
    arn = sm.create_secret(Name=name, SecretString="shared", KmsKeyId=key["Arn"])["ARN"]
    managed = sm.create_secret(Name=f"xacct-managed-{_tag()}", SecretString="mine")["ARN"]
    other = client_for(server, "secretsmanager", other_root)

    # no resource policy: denied (not "not found"), and a missing secret of that account looks the same
    gone = arn.replace(name, f"{name}-missing")
    for call in (
        lambda: other.get_secret_value(SecretId=arn),
        lambda: other.describe_secret(SecretId=arn),
        lambda: other.describe_secret(SecretId=gone),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "AccessDeniedException"

    grant = policy(
        allow(
            ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Principal={"AWS": f"arn:aws:iam::{other_account}:root"},
        )
    )
    for secret in (arn, managed):
        sm.put_resource_policy(SecretId=secret, ResourcePolicy=grant)
    assert other.get_secret_value(SecretId=arn)["SecretString"] == "shared"
    desc = other.describe_secret(SecretId=arn)
    assert desc["ARN"] == arn and desc["Name"] == name and desc["KmsKeyId"] == key["Arn"]
    # the aws/secretsmanager key cannot be used from another account
    with pytest.raises(ClientError) as exc:
        other.get_secret_value(SecretId=managed)
    assert error_of(exc)[:2] == ("AccessDeniedException", "Access to KMS is not allowed")
    assert other.describe_secret(SecretId=managed)["ARN"] == managed
    # a name (or a partial ARN) means the caller's own account
    with pytest.raises(ClientError) as exc:
        other.get_secret_value(SecretId=name)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    # a Deny in the resource policy wins again
    sm.put_resource_policy(
        SecretId=arn,
        ResourcePolicy=policy(
            allow("secretsmanager:GetSecretValue", Principal={"AWS": f"arn:aws:iam::{other_account}:root"}),
            deny("secretsmanager:GetSecretValue", Principal={"AWS": f"arn:aws:iam::{other_account}:root"}),
        ),
    )
    with pytest.raises(ClientError) as exc:
        other.get_secret_value(SecretId=arn)
    assert error_of(exc)[0] == "AccessDeniedException"


# -- RotateSecret refused on its function ------------------------------------------------------------------------


def _described(sm: Any, name: str) -> dict[str, Any]:
    out = dict(sm.describe_secret(SecretId=name))
    out.pop("ResponseMetadata")
    return out


def test_rotate_secret_refused_on_its_function_changes_nothing(server: ServerProcess, sm: Any) -> None:
    account = server.client("sts").get_caller_identity()["Account"]
    name = f"rot-{_tag()}"
    sm.create_secret(Name=name, SecretString="v1")
    before = _described(sm, name)
    missing = f"arn:aws:lambda:us-east-1:{account}:function:missing-{_tag()}"
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name, RotationLambdaARN=missing, RotationRules={"AutomaticallyAfterDays": 7})
    assert error_of(exc)[0] in ("InvalidRequestException", "ResourceNotFoundException")
    assert _described(sm, name) == before
    assert sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"][0]["VersionStages"] == [
        "AWSCURRENT"
    ]
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 1

    # a caller who may not invoke the function: AccessDeniedException, and nothing changes either
    iam = server.client("iam")
    user = make_user(iam, allow("secretsmanager:*"), deny("lambda:InvokeFunction"))
    denied = client_for(server, "secretsmanager", user)
    with pytest.raises(ClientError) as exc:
        denied.rotate_secret(SecretId=name, RotationLambdaARN=missing, RotationRules={"AutomaticallyAfterDays": 7})
    assert error_of(exc)[0] == "AccessDeniedException"
    assert _described(sm, name) == before
    # a rotation that still refuses keeps an earlier configuration as it was
    assert "RotationEnabled" not in before
