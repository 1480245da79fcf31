"""KMS key rotation through boto3: automatic (scheduler, clock advanced), on demand, listing, and the refusals."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of as error_code
from tests.support.server import ServerProcess

DAY = 86400


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def raw_kms(server: ServerProcess) -> Any:
    return server.client("kms", config=botocore.config.Config(parameter_validation=False))


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(kms.create_key(**kwargs)["KeyMetadata"])


def current_material(kms: Any, key_id: str) -> str:
    return str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["CurrentKeyMaterialId"])


def test_enable_status_disable(kms: Any) -> None:
    key = new_key(kms)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert status["KeyId"] == key["Arn"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 90
    delta = status["NextRotationDate"] - key["CreationDate"]
    assert timedelta(days=89) < delta < timedelta(days=91)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status


def test_default_period_is_365_days(kms: Any) -> None:
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 365


@pytest.mark.parametrize("days", [89, 2561])
def test_period_out_of_range(raw_kms: Any, days: int) -> None:
    key = new_key(raw_kms)
    with pytest.raises(ClientError) as exc:
        raw_kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=days)
    assert error_code(exc) == "ValidationException"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
        {"Origin": "EXTERNAL"},
    ],
)
def test_keys_that_cannot_rotate(kms: Any, kwargs: dict[str, Any]) -> None:
    key = new_key(kms, **kwargs)
    for call in (kms.enable_key_rotation, kms.disable_key_rotation):
        with pytest.raises(ClientError) as exc:
            call(KeyId=key["KeyId"])
        assert error_code(exc) == "UnsupportedOperationException"
    if "Origin" not in kwargs:
        with pytest.raises(ClientError) as exc:
            kms.rotate_key_on_demand(KeyId=key["KeyId"])
        assert error_code(exc) == "UnsupportedOperationException"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_disabled_and_pending_deletion_keys(kms: Any) -> None:
    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    for call in (kms.enable_key_rotation, kms.rotate_key_on_demand):
        with pytest.raises(ClientError) as exc:
            call(KeyId=key["KeyId"])
        assert error_code(exc) == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "KMSInvalidStateException"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_unknown_key(kms: Any) -> None:
    with pytest.raises(ClientError) as exc:
        kms.enable_key_rotation(KeyId="11111111-2222-3333-4444-555555555555")
    assert error_code(exc) == "NotFoundException"


def test_rotate_on_demand_keeps_old_ciphertext(kms: Any) -> None:
    key = new_key(kms)
    before = current_material(kms, key["KeyId"])
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before", EncryptionContext={"a": "1"})["CiphertextBlob"]
    assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    after = current_material(kms, key["KeyId"])
    assert after != before and len(after) == 64
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old, EncryptionContext={"a": "1"})["Plaintext"] == b"before"
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"after"
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["RotationType"], r["KeyMaterialId"], r["KeyMaterialState"]) for r in rotations] == [
        ("ON_DEMAND", after, "CURRENT")
    ]
    assert isinstance(rotations[0]["RotationDate"], datetime)
    # On-demand rotation leaves the automatic schedule (here: none) alone and is not in progress afterwards.
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False and "OnDemandRotationStartDate" not in status


def test_on_demand_quota(kms: Any) -> None:
    key = new_key(kms)
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "LimitExceededException"


def test_list_rotations_pagination_and_all_material(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    first = current_material(kms, key["KeyId"])
    for _ in range(3):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    page = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2)
    assert page["Truncated"] is True and len(page["Rotations"]) == 2
    rest = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2, Marker=page["NextMarker"])
    assert rest["Truncated"] is False and len(rest["Rotations"]) == 1
    ids = [r["KeyMaterialId"] for r in page["Rotations"] + rest["Rotations"]]
    assert len(set(ids)) == 3 and first not in ids
    everything = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [r["KeyMaterialId"] for r in everything] == [first, *ids]
    assert [r["KeyMaterialState"] for r in everything] == ["NON_CURRENT"] * 3 + ["CURRENT"]
    assert "RotationType" not in everything[0]
    with pytest.raises(ClientError) as exc:
        kms.list_key_rotations(KeyId=key["KeyId"], Marker="bm90LWEtbWFya2Vy")
    assert error_code(exc) == "InvalidMarkerException"
    with pytest.raises(ClientError) as exc:
        raw_kms.list_key_rotations(KeyId=key["KeyId"], Limit=0)
    assert error_code(exc) == "ValidationException"


def test_list_rotations_of_asymmetric_key(kms: Any) -> None:
    key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as exc:
        kms.list_key_rotations(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"


def test_scheduled_rotation(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    before = current_material(kms, key["KeyId"])
    first_due = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    old = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old data")["CiphertextBlob"]
    server.advance(89 * DAY)
    assert current_material(kms, key["KeyId"]) == before
    server.advance(2 * DAY)
    after = current_material(kms, key["KeyId"])
    assert after != before
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["RotationType"], r["KeyMaterialId"]) for r in rotations] == [("AUTOMATIC", after)]
    assert abs(rotations[0]["RotationDate"] - first_due) < timedelta(seconds=2)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert abs(status["NextRotationDate"] - first_due - timedelta(days=90)) < timedelta(seconds=2)
    assert kms.decrypt(CiphertextBlob=old)["Plaintext"] == b"old data"
    new = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"new data")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=new)["Plaintext"] == b"new data"
    assert new != old


def test_disabled_key_does_not_rotate_until_enabled(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    before = current_material(kms, key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])
    server.advance(91 * DAY)
    assert current_material(kms, key["KeyId"]) == before
    kms.enable_key(KeyId=key["KeyId"])
    server.advance(1 * DAY + 60)
    assert current_material(kms, key["KeyId"]) != before


def test_disable_cancels_scheduled_rotation(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    kms.disable_key_rotation(KeyId=key["KeyId"])
    before = current_material(kms, key["KeyId"])
    server.advance(91 * DAY)
    assert current_material(kms, key["KeyId"]) == before
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []


def test_longest_period(kms: Any) -> None:
    key = new_key(kms)
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=2560)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 2560


def test_aws_managed_key_rotates_yearly(tmp_path: Path) -> None:
    """AWS managed keys come from services, so this test reaches into an in-process server to make one."""
    from strongroom.core.clock import clock
    from strongroom.core.context import Principal, RequestContext
    from strongroom.services.kms.managed import aws_managed_key
    from tests.support.inprocess import inprocess_server

    try:
        with inprocess_server(tmp_path / "managed") as (handle, runtime, _app):
            kms = handle.client("kms")
            account = handle.client("sts").get_caller_identity()["Account"]
            record = aws_managed_key(runtime, account, "us-east-1", "secretsmanager")
            handle.advance(60)  # the daily sweep gives the new key its schedule
            status = kms.get_key_rotation_status(KeyId=record.key_id)
            assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 365
            assert abs(status["NextRotationDate"] - record.created_at - timedelta(days=365)) < timedelta(seconds=2)
            for call in (kms.enable_key_rotation, kms.disable_key_rotation, kms.rotate_key_on_demand):
                with pytest.raises(ClientError) as exc:
                    call(KeyId=record.key_id)
                assert error_code(exc) == "AccessDeniedException"
            # An AWS managed key's policy allows use only through its service (kms:ViaService), as on AWS: direct
            # calls are denied, calls Secrets Manager makes on the caller's behalf are not.
            with pytest.raises(ClientError) as exc:
                kms.encrypt(KeyId="alias/aws/secretsmanager", Plaintext=b"managed")
            assert error_code(exc) == "AccessDeniedException"
            via = RequestContext(
                runtime, "test", "secretsmanager", "PutSecretValue", "us-east-1", Principal.root(account)
            )
            old = via.call("kms", "Encrypt", {"KeyId": "alias/aws/secretsmanager", "Plaintext": b"managed"})[
                "CiphertextBlob"
            ]
            handle.advance(366 * DAY)
            rotations = kms.list_key_rotations(KeyId=record.key_id)["Rotations"]
            assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
            assert via.call("kms", "Decrypt", {"CiphertextBlob": old})["Plaintext"] == b"managed"
    finally:
        clock.set_offset(0)
