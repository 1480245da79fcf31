"""CloudWatch Logs encryption at rest: messages never stored in plaintext; KMS-encrypted groups follow their key."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_logs import code, put, server_now_ms
from tests.support.server import ServerProcess

KMS_RECHECK_SECONDS = 5  # services/logs/keys.py: how long an unwrapped KMS data key is trusted


def logs_key_policy(account: str, region: str = "us-east-1", *, allow_logs: bool = True) -> str:
    """The key policy of "Encrypt log data in CloudWatch Logs using AWS KMS" (the service principal's statement)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if allow_logs:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{region}:{account}:log-group:*"}
                },
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@pytest.fixture
def logs(server: ServerProcess) -> Any:
    return server.client("logs")


@pytest.fixture
def key_arn(server: ServerProcess) -> str:
    account = server.client("sts").get_caller_identity()["Account"]
    kms = server.client("kms")
    return str(kms.create_key(Policy=logs_key_policy(account))["KeyMetadata"]["Arn"])


def _read(logs: Any, group: str) -> list[str]:
    return [
        e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True)["events"]
    ]


def test_kms_group_unreadable_while_its_key_is_disabled(server: ServerProcess, logs: Any, key_arn: str) -> None:
    kms = server.client("kms")
    group = f"/test/kms/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group, kmsKeyId=key_arn)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["kmsKeyId"] == key_arn
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    put(logs, group, "s", ["secret one", "secret two"], server_now_ms(server) - 10_000)
    assert _read(logs, group) == ["secret one", "secret two"]
    kms.disable_key(KeyId=key_arn)
    server.advance(KMS_RECHECK_SECONDS + 1)  # past the window an unwrapped data key is trusted
    for call in (
        lambda: _read(logs, group),
        lambda: logs.filter_log_events(logGroupName=group, filterPattern="secret"),
        lambda: put(logs, group, "s", ["more"], server_now_ms(server)),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code(exc) == "AccessDeniedException"
        assert "KMS key" in exc.value.response["Error"]["Message"]
    kms.enable_key(KeyId=key_arn)
    assert _read(logs, group) == ["secret one", "secret two"]
    put(logs, group, "s", ["three"], server_now_ms(server))
    assert [e["message"] for e in logs.filter_log_events(logGroupName=group, filterPattern="three")["events"]] == [
        "three"
    ]


def test_key_the_service_may_not_use_is_refused(server: ServerProcess, logs: Any) -> None:
    account = server.client("sts").get_caller_identity()["Account"]
    kms = server.client("kms")
    closed = kms.create_key(Policy=logs_key_policy(account, allow_logs=False))["KeyMetadata"]["Arn"]
    group = f"/test/kms/{uuid.uuid4().hex[:10]}"
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=group, kmsKeyId=closed)
    assert code(exc) == "AccessDeniedException"
    assert exc.value.response["Error"]["Message"] == (
        "The specified KMS key does not exist or is not allowed to be used with Arn "
        f"'arn:aws:logs:us-east-1:{account}:log-group:{group}'"
    )
    default = kms.create_key()["KeyMetadata"]["Arn"]  # the default key policy names only the account
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=group, kmsKeyId=default)
    assert code(exc) == "AccessDeniedException"
    missing = closed.rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=group, kmsKeyId=missing)
    assert code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=group, kmsKeyId="alias/not-an-arn")
    assert code(exc) == "InvalidParameterException"
    logs.create_log_group(logGroupName=group)
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName=group, kmsKeyId=closed)
    assert code(exc) == "AccessDeniedException"
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]


def test_associate_and_disassociate_keep_old_events_readable(server: ServerProcess, logs: Any, key_arn: str) -> None:
    kms = server.client("kms")
    group = f"/test/kms/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = server_now_ms(server) - 60_000
    put(logs, group, "s", ["sealed"], now)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.associate_kms_key(resourceIdentifier=arn, kmsKeyId=key_arn)
    put(logs, group, "s", ["under kms"], now + 1)
    assert _read(logs, group) == ["sealed", "under kms"]
    logs.disassociate_kms_key(logGroupName=group)
    assert "kmsKeyId" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    put(logs, group, "s", ["sealed again"], now + 2)
    # events written under the KMS key still need it, as on AWS
    kms.disable_key(KeyId=key_arn)
    server.advance(KMS_RECHECK_SECONDS + 1)
    with pytest.raises(ClientError) as exc:
        _read(logs, group)
    assert code(exc) == "AccessDeniedException"
    kms.enable_key(KeyId=key_arn)
    assert _read(logs, group) == ["sealed", "under kms", "sealed again"]
    with pytest.raises(ClientError) as exc:
        logs.associate_kms_key(logGroupName=group, resourceIdentifier=arn, kmsKeyId=key_arn)
    assert code(exc) == "InvalidParameterException"


def _disk(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file() and "lambda" not in p.parts)


def _database(url: str) -> bytes:
    """Every row of every table of the PostgreSQL database, as text and raw bytes."""
    out: list[bytes] = []
    with psycopg.connect(url, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # table names from the catalog
                out += [bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row]
    return b"\n".join(out)


def test_messages_are_not_in_plaintext_at_rest(server: ServerProcess, logs: Any, key_arn: str) -> None:
    canary = f"CANARY-{uuid.uuid4().hex}"
    sealed = f"/test/at-rest/{uuid.uuid4().hex[:8]}"
    kms_group = f"/test/at-rest/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=sealed)
    logs.create_log_group(logGroupName=kms_group, kmsKeyId=key_arn)
    now = server_now_ms(server)
    for group in (sealed, kms_group):
        logs.create_log_stream(logGroupName=group, logStreamName="s")
        put(logs, group, "s", [f"{canary} password=hunter2", json.dumps({"canary": canary})], now)
        assert len(logs.filter_log_events(logGroupName=group, filterPattern="{ $.canary = * }")["events"]) == 1
    # SQLite: the database file (and its WAL) in the data directory; PostgreSQL: every row of every table
    data = _database(server.database_url) if server.database_url else _disk(server.data_dir)
    assert b"CANARY-" not in data and canary.encode() not in data
    assert canary.encode().hex().encode() not in data and b"hunter2" not in data
