"""GetSecretValue's one-query lookup: every way of naming a secret and a version answers as AWS does.

The secret and the wanted version are read in one joined query (a label is matched on its JSON form, then
checked exactly); these cover the forms that query must get right and the cases where it falls back.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_message_of as _error
from tests.support.server import ServerProcess


def _name(prefix: str = "gv") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


def test_secret_named_by_name_arn_and_partial_arn(sm: Any) -> None:
    name = _name()
    arn = sm.create_secret(Name=name, SecretString="v1")["ARN"]
    partial = arn.rsplit("-", 1)[0]
    for secret_id in (name, arn, partial):
        out = sm.get_secret_value(SecretId=secret_id)
        assert (out["ARN"], out["Name"], out["SecretString"]) == (arn, name, "v1")
        assert out["VersionStages"] == ["AWSCURRENT"]


def test_full_arn_wins_over_a_secret_named_like_it(sm: Any) -> None:
    """A secret may be named ``<other>-<suffix>``: the exact ARN still names the other secret."""
    first = sm.create_secret(Name=_name(), SecretString="first")["ARN"]
    clash = first.split(":secret:", 1)[1]
    sm.create_secret(Name=clash, SecretString="second")
    assert sm.get_secret_value(SecretId=first)["SecretString"] == "first"
    assert sm.get_secret_value(SecretId=clash)["SecretString"] == "second"


def test_missing_deleted_and_foreign_region_secrets(sm: Any) -> None:
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=_name("missing"))
    assert _error(exc) == ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    arn = sm.create_secret(Name=_name(), SecretString="v")["ARN"]
    foreign = arn.replace(":us-east-1:", ":eu-west-1:")
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=foreign)
    assert _error(exc)[0] == "ResourceNotFoundException"
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=arn)
    assert _error(exc)[0] == "InvalidRequestException"
    sm.restore_secret(SecretId=arn)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "v"


def test_versions_by_id_and_label(sm: Any) -> None:
    name = _name()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    assert sm.get_secret_value(SecretId=name)["VersionId"] == v2
    assert sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    assert sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["VersionId"] == v1
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSCURRENT")
    assert _error(exc) == (
        "InvalidRequestException",
        "You provided a VersionStage that is not associated to the provided VersionId.",
    )
    unknown = str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=unknown)
    assert _error(exc) == (
        "ResourceNotFoundException",
        f"Secrets Manager can't find the specified secret value for VersionId: {unknown}",
    )
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionStage="NOPE")
    assert _error(exc) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: NOPE",
    )


@pytest.mark.parametrize(
    "label",
    ['quo"te', "50%_off", "back\\slash", "ünïcode", "awscurrent", "XAWSCURRENT", "AWSCURRENT2"],
)
def test_unusual_labels(sm: Any, label: str) -> None:
    """Labels whose JSON form is escaped, holds LIKE wildcards, or resembles AWSCURRENT resolve exactly."""
    name = _name()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    sm.update_secret_version_stage(SecretId=name, VersionStage=label, MoveToVersionId=v1)
    out = sm.get_secret_value(SecretId=name, VersionStage=label)
    assert (out["VersionId"], out["SecretString"]) == (v1, "one")
    assert label in out["VersionStages"]
    current = sm.get_secret_value(SecretId=name)
    assert (current["VersionId"], current["SecretString"]) == (v2, "two")
    sm.update_secret_version_stage(SecretId=name, VersionStage=label, RemoveFromVersionId=v1)
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionStage=label)
    assert _error(exc)[0] == "ResourceNotFoundException"


def test_pending_version_by_label(sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="one")
    token = str(uuid.uuid4())
    sm.put_secret_value(SecretId=name, SecretString="pending", ClientRequestToken=token, VersionStages=["AWSPENDING"])
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["SecretString"] == "pending"
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "one"


def test_last_accessed_date_is_noted_to_the_day(sm: Any) -> None:
    name = _name()
    vid = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    assert "LastAccessedDate" not in sm.describe_secret(SecretId=name)
    sm.get_secret_value(SecretId=name)
    sm.get_secret_value(SecretId=name)
    # the server's clock (tests may move it), not this machine's
    created = sm.describe_secret(SecretId=name)["CreatedDate"].astimezone(UTC)
    today = created.replace(hour=0, minute=0, second=0, microsecond=0)
    assert sm.describe_secret(SecretId=name)["LastAccessedDate"] == today
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["LastAccessedDate"] for v in versions if v["VersionId"] == vid] == [today]


def test_read_after_write(sm: Any) -> None:
    name = _name()
    sm.create_secret(Name=name, SecretString="one")
    for value in ("two", "three", "four"):
        sm.put_secret_value(SecretId=name, SecretString=value)
        assert sm.get_secret_value(SecretId=name)["SecretString"] == value
    sm.put_secret_value(SecretId=name, SecretBinary=b"\x00\x01")
    out = sm.get_secret_value(SecretId=name)
    assert out["SecretBinary"] == b"\x00\x01" and "SecretString" not in out
