"""KMS key lifecycle, tags, key policies and AWS managed keys, through boto3 against the real server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import botocore.config
import pytest
import uvicorn
from botocore.exceptions import ClientError
from sqlalchemy import select

from strongroom.core.config import load_config
from strongroom.server.app import StrongroomApp
from strongroom.server.runtime import Runtime
from strongroom.services.kms import model
from strongroom.services.kms.managed import aws_managed_key
from tests.conftest import database_url_for
from tests.support.errors import code_of, message_of
from tests.support.server import ServerProcess, free_port

NO_VALIDATION = botocore.config.Config(parameter_validation=False)
DAY = 86400


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def raw(server: ServerProcess) -> Any:
    """A client that sends what boto3 would refuse locally, to see the server's answer."""
    return server.client("kms", config=NO_VALIDATION)


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(kms.create_key(**kwargs)["KeyMetadata"])


def state(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"])


# -- enable, disable, description, last usage ----------------------------------------------------------------


def test_disable_and_enable(kms: Any) -> None:
    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    meta = kms.describe_key(KeyId=key["Arn"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Disabled", False)
    kms.disable_key(KeyId=key["KeyId"])  # idempotent, as AWS
    kms.enable_key(KeyId=key["Arn"])
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyState"], meta["Enabled"]) == ("Enabled", True)


def test_enable_unknown_key_is_not_found(kms: Any) -> None:
    with pytest.raises(ClientError) as exc:
        kms.enable_key(KeyId="11111111-2222-3333-4444-555555555555")
    assert code_of(exc) == "NotFoundException"


def test_enable_does_not_take_an_alias(kms: Any) -> None:
    key = new_key(kms)
    kms.create_alias(AliasName=f"alias/en-{key['KeyId']}", TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.enable_key(KeyId=f"alias/en-{key['KeyId']}")
    assert code_of(exc) == "NotFoundException"


def test_update_key_description(kms: Any) -> None:
    key = new_key(kms, Description="before")
    kms.update_key_description(KeyId=key["KeyId"], Description="after")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "after"
    kms.update_key_description(KeyId=key["Arn"], Description="")
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == ""


def test_get_key_last_usage(kms: Any) -> None:
    key = new_key(kms)
    out = kms.get_key_last_usage(KeyId=key["Arn"])
    assert out["KeyId"] == key["KeyId"]
    assert out["KeyCreationDate"] == key["CreationDate"]
    assert out["TrackingStartDate"] == key["CreationDate"]
    assert out.get("KeyLastUsage", {}) == {}


# -- deletion -------------------------------------------------------------------------------------------------


def test_schedule_key_deletion_defaults_to_30_days_and_cancel_leaves_it_disabled(kms: Any) -> None:
    key = new_key(kms)
    out = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert out["KeyId"] == key["Arn"]
    assert out["KeyState"] == "PendingDeletion"
    assert out["PendingWindowInDays"] == 30
    # Measured from the key's own creation: the session server's clock may have been advanced already.
    assert abs(out["DeletionDate"] - key["CreationDate"] - timedelta(days=30)) < timedelta(minutes=1)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and meta["Enabled"] is False
    assert meta["DeletionDate"] == out["DeletionDate"]
    assert meta["PendingDeletionWindowInDays"] == 30

    for call in (
        lambda: kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7),
        lambda: kms.enable_key(KeyId=key["KeyId"]),
        lambda: kms.disable_key(KeyId=key["KeyId"]),
        lambda: kms.update_key_description(KeyId=key["KeyId"], Description="x"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "KMSInvalidStateException"
        assert "pending deletion" in message_of(exc)

    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "Disabled"
    assert "DeletionDate" not in meta and "PendingDeletionWindowInDays" not in meta
    with pytest.raises(ClientError) as exc:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert code_of(exc) == "KMSInvalidStateException"
    assert message_of(exc) == f"{key['Arn']} is not pending deletion."


@pytest.mark.parametrize("days", [1, 6, 31, 365])
def test_pending_window_must_be_7_to_30_days(raw: Any, days: int) -> None:
    key = new_key(raw)
    with pytest.raises(ClientError) as exc:
        raw.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
    assert code_of(exc) == "ValidationException"
    assert "pendingWindowInDays" in message_of(exc)
    assert state(raw, key["KeyId"]) == "Enabled"


def test_deletion_runs_when_the_window_ends(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms, Tags=[{"TagKey": "team", "TagValue": "a"}])
    alias = f"alias/doomed-{key['KeyId']}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    out = kms.schedule_key_deletion(KeyId=key["Arn"], PendingWindowInDays=7)
    assert out["PendingWindowInDays"] == 7

    server.advance(6 * DAY)
    assert state(kms, key["KeyId"]) == "PendingDeletion"
    assert [a for a in kms.list_aliases(KeyId=key["KeyId"])["Aliases"] if a["AliasName"] == alias]

    server.advance(1 * DAY + 3600)
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key["KeyId"])
    assert code_of(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=alias)
    assert code_of(exc) == "NotFoundException"
    assert alias not in [a["AliasName"] for a in _all_aliases(kms)]
    assert key["KeyId"] not in [k["KeyId"] for k in _all_keys(kms)]
    with pytest.raises(ClientError) as exc:
        kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert code_of(exc) == "NotFoundException"


def test_cancelled_deletion_does_not_run(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    server.advance(8 * DAY)
    assert state(kms, key["KeyId"]) == "Disabled"
    kms.enable_key(KeyId=key["KeyId"])
    assert state(kms, key["KeyId"]) == "Enabled"


def test_rescheduled_deletion_uses_the_new_window(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=10)
    server.advance(8 * DAY)
    assert state(kms, key["KeyId"]) == "PendingDeletion"
    server.advance(3 * DAY)
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key["KeyId"])
    assert code_of(exc) == "NotFoundException"


def test_multi_region_primary_without_replicas_is_pending_deletion(kms: Any) -> None:
    key = new_key(kms, MultiRegion=True)
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and "DeletionDate" in out


def _all_keys(kms: Any) -> list[dict[str, Any]]:
    return [k for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"]]


def _all_aliases(kms: Any) -> list[dict[str, Any]]:
    return [a for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]]


# -- CreateKey and DescribeKey --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "usage"),
    [
        ("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
        ("SYMMETRIC_DEFAULT", "GENERATE_VERIFY_MAC"),
        ("ECC_NIST_P256", "ENCRYPT_DECRYPT"),
        ("HMAC_256", "ENCRYPT_DECRYPT"),
        ("ECC_SECG_P256K1", "KEY_AGREEMENT"),
        ("RSA_2048", "GENERATE_VERIFY_MAC"),
        ("ML_DSA_44", "ENCRYPT_DECRYPT"),
    ],
)
def test_create_key_rejects_a_usage_the_spec_does_not_allow(kms: Any, spec: str, usage: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec=spec, KeyUsage=usage)
    assert code_of(exc) == "ValidationException"
    assert usage in message_of(exc)


def test_create_key_ecc_without_usage_needs_one(kms: Any) -> None:
    # The default usage, ENCRYPT_DECRYPT, is not one an ECC key can have.
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="ECC_NIST_P256")
    assert code_of(exc) == "ValidationException"


def test_create_key_spec_and_legacy_spec_together(kms: Any) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="SYMMETRIC_DEFAULT", CustomerMasterKeySpec="SYMMETRIC_DEFAULT")
    assert code_of(exc) == "ValidationException"


def test_create_key_legacy_spec_alone(kms: Any) -> None:
    key = new_key(kms, CustomerMasterKeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    assert key["KeySpec"] == key["CustomerMasterKeySpec"] == "HMAC_256"
    assert key["MacAlgorithms"] == ["HMAC_SHA_256"]


def test_create_key_sm2_is_unsupported(kms: Any) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert code_of(exc) == "UnsupportedOperationException"


def test_create_key_external_origin_waits_for_material(kms: Any) -> None:
    key = new_key(kms, Origin="EXTERNAL")
    assert key["Origin"] == "EXTERNAL"
    assert key["KeyState"] == "PendingImport" and key["Enabled"] is False
    assert "CurrentKeyMaterialId" not in key
    assert "ExpirationModel" not in key  # AWS reports it only once material is imported
    with pytest.raises(ClientError) as exc:
        kms.enable_key(KeyId=key["KeyId"])
    assert code_of(exc) == "KMSInvalidStateException"


def test_create_key_multi_region_has_an_mrk_id(kms: Any) -> None:
    key = new_key(kms, MultiRegion=True)
    assert key["KeyId"].startswith("mrk-") and len(key["KeyId"]) == 36
    assert key["MultiRegion"] is True
    assert key["Arn"].endswith(f":key/{key['KeyId']}")


def test_create_key_tags_are_checked(kms: Any) -> None:
    for tags in (
        [{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}],
        [{"TagKey": "aws:owner", "TagValue": "me"}],
    ):
        with pytest.raises(ClientError) as exc:
            kms.create_key(Tags=tags)
        assert code_of(exc) == "TagException"
    key = new_key(kms, Tags=[{"TagKey": "a", "TagValue": ""}, {"TagKey": "b", "TagValue": "2"}])
    tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    assert tags == [{"TagKey": "a", "TagValue": ""}, {"TagKey": "b", "TagValue": "2"}]


@pytest.mark.parametrize(
    "policy", ["not json", "[]", '{"Version": "2012-10-17"}', '{"Statement": [{"Effect": "Allow"}]}']
)
def test_create_key_malformed_policy(kms: Any, policy: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_key(Policy=policy)
    assert code_of(exc) == "MalformedPolicyDocumentException"


def test_create_key_policy_size_limit(kms: Any, server: ServerProcess) -> None:
    account = server.client("sts").get_caller_identity()["Account"]
    with pytest.raises(ClientError) as exc:
        kms.create_key(Policy=_policy(account, pad=33 * 1024))
    assert code_of(exc) == "LimitExceededException"
    key = new_key(kms, Policy=_policy(account, pad=30 * 1024), BypassPolicyLockoutSafetyCheck=True)
    assert json.loads(kms.get_key_policy(KeyId=key["KeyId"])["Policy"])["Id"] == "custom"


def test_describe_key_accepts_every_identifier_and_grant_tokens(kms: Any, server: ServerProcess) -> None:
    key = new_key(kms, Description="described")
    alias = f"alias/d-{key['KeyId']}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].split(":key/")[0] + ":" + alias
    for ref in (key["KeyId"], key["Arn"], alias, alias_arn):
        meta = kms.describe_key(KeyId=ref, GrantTokens=["token-a"])["KeyMetadata"]
        assert meta["KeyId"] == key["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="alias/never-created-anywhere")
    assert code_of(exc) == "NotFoundException"


# -- ListKeys -------------------------------------------------------------------------------------------------


def test_list_keys_pages_with_markers(kms: Any) -> None:
    made = {new_key(kms)["KeyId"] for _ in range(3)}
    seen: list[str] = []
    marker = None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 2
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        marker = page["NextMarker"]
    assert made <= set(seen)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("limit", [0, 1001])
def test_list_keys_limit_range(raw: Any, limit: int) -> None:
    with pytest.raises(ClientError) as exc:
        raw.list_keys(Limit=limit)
    assert code_of(exc) == "ValidationException"


@pytest.mark.parametrize("marker", ["garbage", "!!!!", "dGFnczpmb28="])
def test_list_keys_bad_marker(kms: Any, marker: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.list_keys(Marker=marker)
    assert code_of(exc) == "InvalidMarkerException"


# -- tags -----------------------------------------------------------------------------------------------------


def test_tag_untag_and_list(kms: Any) -> None:
    key = new_key(kms)
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "b", "TagValue": "1"}, {"TagKey": "a", "TagValue": "x"}])
    kms.tag_resource(KeyId=key["Arn"], Tags=[{"TagKey": "b", "TagValue": "2"}])  # overwrites
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
        {"TagKey": "a", "TagValue": "x"},
        {"TagKey": "b", "TagValue": "2"},
    ]
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["a", "not-there"])
    out = kms.list_resource_tags(KeyId=key["Arn"])
    assert out["Tags"] == [{"TagKey": "b", "TagValue": "2"}] and out["Truncated"] is False


def test_tag_errors(kms: Any, raw: Any) -> None:
    key = new_key(kms)
    cases = [
        (lambda: kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "aws:x", "TagValue": "1"}]), "TagException"),
        (lambda: kms.untag_resource(KeyId=key["KeyId"], TagKeys=["aws:x"]), "TagException"),
        (
            lambda: kms.tag_resource(
                KeyId=key["KeyId"], Tags=[{"TagKey": "d", "TagValue": "1"}, {"TagKey": "d", "TagValue": "2"}]
            ),
            "TagException",
        ),
        (lambda: raw.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "", "TagValue": "1"}]), "ValidationException"),
        (
            lambda: raw.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k" * 129, "TagValue": "1"}]),
            "ValidationException",
        ),
        (
            lambda: raw.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v" * 257}]),
            "ValidationException",
        ),
        (lambda: kms.tag_resource(KeyId="alias/whatever", Tags=[]), "NotFoundException"),
        (lambda: kms.list_resource_tags(KeyId=key["KeyId"], Marker="bogus"), "InvalidMarkerException"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == code


def test_tag_limit_and_pagination(kms: Any) -> None:
    key = new_key(kms)
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": f"k{i:02}", "TagValue": str(i)} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "one-more", "TagValue": "x"}])
    assert code_of(exc) == "LimitExceededException"
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k00", "TagValue": "replaced"}])  # not a new tag
    keys: list[str] = []
    marker = None
    while True:
        page = kms.list_resource_tags(KeyId=key["KeyId"], Limit=20, **({"Marker": marker} if marker else {}))
        keys += [t["TagKey"] for t in page["Tags"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert keys == [f"k{i:02}" for i in range(50)]


def test_tags_on_a_key_pending_deletion(kms: Any) -> None:
    key = new_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "k", "TagValue": "v"}])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "k", "TagValue": "v"}]


# -- key policies ---------------------------------------------------------------------------------------------


def _policy(account: str, *, pad: int = 0) -> str:
    doc: dict[str, Any] = {
        "Version": "2012-10-17",
        "Id": "custom",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions" + " " * pad,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    return json.dumps(doc)


def test_key_policy_get_put_list(kms: Any, server: ServerProcess) -> None:
    account = server.client("sts").get_caller_identity()["Account"]
    key = new_key(kms)
    out = kms.get_key_policy(KeyId=key["KeyId"])
    assert out["PolicyName"] == "default"
    assert json.loads(out["Policy"])["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert kms.get_key_policy(KeyId=key["Arn"], PolicyName="default")["Policy"] == out["Policy"]
    policy = _policy(account)
    kms.put_key_policy(KeyId=key["KeyId"], Policy=policy, BypassPolicyLockoutSafetyCheck=True)
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy)
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == policy
    assert kms.list_key_policies(KeyId=key["KeyId"]) | {"ResponseMetadata": None} == {
        "PolicyNames": ["default"],
        "Truncated": False,
        "ResponseMetadata": None,
    }


def test_key_policy_errors(kms: Any, server: ServerProcess) -> None:
    account = server.client("sts").get_caller_identity()["Account"]
    key = new_key(kms)
    cases = [
        (lambda: kms.put_key_policy(KeyId=key["KeyId"], Policy="{not json"), "MalformedPolicyDocumentException"),
        (
            lambda: kms.put_key_policy(KeyId=key["KeyId"], Policy=_policy(account, pad=33000)),
            "LimitExceededException",
        ),
        (lambda: kms.get_key_policy(KeyId=key["KeyId"], PolicyName="other"), "NotFoundException"),
        (
            lambda: kms.put_key_policy(KeyId=key["KeyId"], PolicyName="other", Policy=_policy(account)),
            "NotFoundException",
        ),
        (lambda: kms.get_key_policy(KeyId="alias/nothing"), "NotFoundException"),
        (lambda: kms.list_key_policies(KeyId=key["KeyId"], Marker="abc"), "InvalidMarkerException"),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == code
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert kms.get_key_policy(KeyId=key["KeyId"])["PolicyName"] == "default"  # reading works in every state
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key["KeyId"], Policy=_policy(account))
    assert code_of(exc) == "KMSInvalidStateException"


# -- AWS managed keys (created by a service, so the test reaches into an in-process server) -----------------


@pytest.fixture(scope="module")
def managed(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Runtime, str]]:
    data_dir = Path(tmp_path_factory.mktemp(f"managed-{backend}"))
    handle = ServerProcess(data_dir, database_url_for(backend, request))
    handle.init()
    handle.port = free_port()
    runtime = Runtime.open(load_config(data_dir, port=handle.port, test_mode=True, database_url=handle.database_url))
    app = StrongroomApp(runtime)
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=handle.port, log_config=None, lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not (srv.started and app.ready):
        assert time.monotonic() < deadline and thread.is_alive(), "in-process server did not start"
        time.sleep(0.02)
    account = handle.client("sts").get_caller_identity()["Account"]
    try:
        yield handle, runtime, account
    finally:
        srv.should_exit = True
        thread.join(15)
        runtime.close()


def test_aws_managed_key_is_created_once(managed: tuple[ServerProcess, Runtime, str]) -> None:
    handle, runtime, account = managed
    results: list[str] = []

    def create() -> None:
        results.append(aws_managed_key(runtime, account, "us-east-1", "secretsmanager").key_id)

    threads = [threading.Thread(target=create) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 6
    with runtime.store.read() as conn:
        rows = conn.execute(
            select(model.keys.c.key_id).where(model.keys.c.account_id == account, model.keys.c.key_manager == "AWS")
        ).all()
    assert [r.key_id for r in rows].count(results[0]) == 1 and len(rows) == 1

    kms = handle.client("kms")
    meta = kms.describe_key(KeyId="alias/aws/secretsmanager")["KeyMetadata"]
    assert meta["KeyId"] == results[0]
    assert meta["KeyManager"] == "AWS"
    assert meta["Description"] == "Default key that protects my Secrets Manager data when no other key is defined"
    assert (meta["KeySpec"], meta["KeyUsage"], meta["KeyState"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "Enabled")
    aliases = kms.list_aliases(KeyId=meta["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == ["alias/aws/secretsmanager"]
    assert aliases[0]["AliasArn"] == f"arn:aws:kms:us-east-1:{account}:alias/aws/secretsmanager"
    # Another region has its own.
    other = aws_managed_key(runtime, account, "eu-west-1", "secretsmanager")
    assert other.key_id != meta["KeyId"] and other.region == "eu-west-1"


def test_aws_managed_key_policy_and_rotation(managed: tuple[ServerProcess, Runtime, str]) -> None:
    handle, runtime, account = managed
    record = aws_managed_key(runtime, account, "us-east-1", "ssm")
    assert aws_managed_key(runtime, account, "us-east-1", "ssm").arn == record.arn
    assert record.rotation_enabled and record.rotation_period_days == 365
    # The rotation family's daily sweep gives it a date a year after creation.
    assert record.next_rotation_at in (None, record.created_at + timedelta(days=365))
    kms = handle.client("kms")
    policy = json.loads(kms.get_key_policy(KeyId=record.key_id)["Policy"])
    use, meta = policy["Statement"]
    assert use["Principal"] == {"AWS": "*"}
    assert use["Condition"]["StringEquals"] == {
        "kms:CallerAccount": account,
        "kms:ViaService": "ssm.us-east-1.amazonaws.com",
    }
    assert "kms:Decrypt" in use["Action"]
    assert meta["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert meta["Action"] == ["kms:Describe*", "kms:Get*", "kms:List*"]
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["Description"] == (
        "Default key that protects my SSM parameters when no other key is defined"
    )


def test_users_cannot_manage_aws_managed_keys(managed: tuple[ServerProcess, Runtime, str]) -> None:
    handle, runtime, account = managed
    key = aws_managed_key(runtime, account, "us-east-1", "acm")
    kms = handle.client("kms")
    denied = [
        lambda: kms.schedule_key_deletion(KeyId=key.key_id, PendingWindowInDays=7),
        lambda: kms.disable_key(KeyId=key.key_id),
        lambda: kms.enable_key(KeyId=key.arn),
        lambda: kms.put_key_policy(KeyId=key.key_id, Policy=_policy(account)),
        lambda: kms.tag_resource(KeyId=key.key_id, Tags=[{"TagKey": "a", "TagValue": "b"}]),
        lambda: kms.untag_resource(KeyId=key.key_id, TagKeys=["a"]),
        lambda: kms.update_key_description(KeyId=key.key_id, Description="mine now"),
        lambda: kms.create_alias(AliasName="alias/steal-acm", TargetKeyId=key.key_id),
        lambda: kms.cancel_key_deletion(KeyId=key.key_id),
    ]
    for call in denied:
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "AccessDeniedException"
        assert "is not authorized to perform: kms:" in message_of(exc)
        assert key.arn in message_of(exc)
    for rotation in (
        lambda: kms.enable_key_rotation(KeyId=key.key_id),
        lambda: kms.disable_key_rotation(KeyId=key.key_id),
    ):
        with pytest.raises(ClientError) as exc:
            rotation()
        # Until the rotation family lands these answer NotImplemented; once it does, AWS's denial.
        assert code_of(exc) in ("AccessDeniedException", "NotImplemented")
    for alias_call in (
        lambda: kms.delete_alias(AliasName="alias/aws/acm"),
        lambda: kms.update_alias(AliasName="alias/aws/acm", TargetKeyId=key.key_id),
    ):
        with pytest.raises(ClientError) as exc:
            alias_call()
        assert code_of(exc) == "NotAuthorizedException"
    # Reading is allowed.
    assert kms.describe_key(KeyId=key.arn)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.list_resource_tags(KeyId=key.key_id)["Tags"] == []
    assert kms.list_key_policies(KeyId=key.key_id)["PolicyNames"] == ["default"]


def test_unknown_managed_key_suffix(managed: tuple[ServerProcess, Runtime, str]) -> None:
    _, runtime, account = managed
    with pytest.raises(ValueError):
        aws_managed_key(runtime, account, "us-east-1", "nonsense")


def test_primary_with_replicas_waits_for_them(managed: tuple[ServerProcess, Runtime, str]) -> None:
    """PendingReplicaDeletion: the primary's own window starts when its last replica is deleted."""
    handle, runtime, _ = managed
    east, west = handle.client("kms"), handle.client("kms", region="eu-west-1")
    primary = new_key(east, MultiRegion=True)
    # Replication is the multi-Region family's; a replica row as ReplicateKey writes it is enough here.
    replica_arn = primary["Arn"].replace(":us-east-1:", ":eu-west-1:")
    with runtime.store.write() as conn:
        row = dict(conn.execute(select(model.keys).where(model.keys.c.arn == primary["Arn"])).one()._mapping)
        row.update(arn=replica_arn, region="eu-west-1", primary_arn=primary["Arn"], current_material_id=None)
        conn.execute(model.keys.insert().values(**row))

    out = east.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=8)
    assert out["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in out
    assert out["PendingWindowInDays"] == 8
    meta = east.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingReplicaDeletion" and meta["PendingDeletionWindowInDays"] == 8
    east.cancel_key_deletion(KeyId=primary["KeyId"])
    assert state(east, primary["KeyId"]) == "Disabled"
    east.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=8)

    west.schedule_key_deletion(KeyId=primary["KeyId"], PendingWindowInDays=7)
    handle.advance(7 * DAY + 60)
    with pytest.raises(ClientError) as exc:
        west.describe_key(KeyId=primary["KeyId"])
    assert code_of(exc) == "NotFoundException"
    meta = east.describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    assert meta["DeletionDate"] - meta["CreationDate"] > timedelta(days=15)
    handle.advance(8 * DAY + 60)
    with pytest.raises(ClientError) as exc:
        east.describe_key(KeyId=primary["KeyId"])
    assert code_of(exc) == "NotFoundException"
