"""KMS aliases through boto3 against the real server: AWS's naming rules, targets, states and pagination."""

from __future__ import annotations

import uuid
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of, message_of
from tests.support.server import ServerProcess


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def raw(server: ServerProcess) -> Any:
    return server.client("kms", config=botocore.config.Config(parameter_validation=False))


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(kms.create_key(**kwargs)["KeyMetadata"])


def unique(prefix: str = "alias/t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def alias_entry(kms: Any, key_id: str, name: str) -> dict[str, Any]:
    return next(a for a in kms.list_aliases(KeyId=key_id)["Aliases"] if a["AliasName"] == name)


def test_create_alias_and_resolve_it(kms: Any) -> None:
    key = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["Arn"])
    entry = alias_entry(kms, key["KeyId"], name)
    assert entry["TargetKeyId"] == key["KeyId"]
    assert entry["AliasArn"] == key["Arn"].split(":key/")[0] + ":" + name
    assert entry["CreationDate"] == entry["LastUpdatedDate"]
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    assert kms.describe_key(KeyId=entry["AliasArn"])["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_several_aliases_per_key_and_keyid_filter(kms: Any) -> None:
    key, other = new_key(kms), new_key(kms)
    names = sorted(unique() for _ in range(3))
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    kms.create_alias(AliasName=unique(), TargetKeyId=other["KeyId"])
    listed = [a["AliasName"] for a in kms.list_aliases(KeyId=key["Arn"])["Aliases"]]
    assert listed == names
    everything = [a["AliasName"] for page in kms.get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    assert set(names) <= set(everything) and everything == sorted(everything)


def test_list_aliases_pagination(kms: Any) -> None:
    key = new_key(kms)
    names = sorted(unique() for _ in range(5))
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    seen: list[str] = []
    marker = None
    while True:
        page = kms.list_aliases(KeyId=key["KeyId"], Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Aliases"]) <= 2
        seen += [a["AliasName"] for a in page["Aliases"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert seen == names


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda k: k.list_aliases(Marker="not-a-marker"), "InvalidMarkerException"),
        (lambda k: k.list_aliases(Limit=0), "ValidationException"),
        (lambda k: k.list_aliases(Limit=1001), "ValidationException"),
        (lambda k: k.list_aliases(KeyId="11111111-2222-3333-4444-555555555555"), "NotFoundException"),
    ],
)
def test_list_aliases_errors(raw: Any, call: Any, code: str) -> None:
    with pytest.raises(ClientError) as exc:
        call(raw)
    assert code_of(exc) == code


@pytest.mark.parametrize(
    ("name", "code", "text"),
    [
        ("my-alias", "ValidationException", 'Alias must start with the prefix "alias/"'),
        ("alias/aws/mine", "NotAuthorizedException", ""),
        ("alias/my:alias", "ValidationException", "contains invalid characters for an alias"),
        ("alias/has space", "ValidationException", "Member must satisfy regular expression pattern"),
        ("alias/" + "a" * 251, "ValidationException", "length less than or equal to 256"),
        ("alias/", "ValidationException", ""),
    ],
)
def test_alias_name_rules(raw: Any, name: str, code: str, text: str) -> None:
    key = new_key(raw)
    with pytest.raises(ClientError) as exc:
        raw.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert code_of(exc) == code
    assert text in message_of(exc)


def test_alias_accepted_characters(kms: Any) -> None:
    key = new_key(kms)
    name = unique("alias/Team_A/app-1/") + "_-/"
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_alias_already_exists(kms: Any) -> None:
    key = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=name, TargetKeyId=new_key(kms)["KeyId"])
    assert code_of(exc) == "AlreadyExistsException"
    assert name in message_of(exc)


def test_alias_target_must_be_an_existing_key(kms: Any) -> None:
    key = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=unique(), TargetKeyId=name)
    assert code_of(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=unique(), TargetKeyId="11111111-2222-3333-4444-555555555555")
    assert code_of(exc) == "NotFoundException"


def test_alias_on_a_key_pending_deletion(kms: Any) -> None:
    doomed, live = new_key(kms), new_key(kms)
    existing = unique()
    kms.create_alias(AliasName=existing, TargetKeyId=doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=unique(), TargetKeyId=doomed["KeyId"])
    assert code_of(exc) == "KMSInvalidStateException"
    moved = unique()
    kms.create_alias(AliasName=moved, TargetKeyId=live["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName=moved, TargetKeyId=doomed["KeyId"])
    assert code_of(exc) == "KMSInvalidStateException"
    # Its existing alias can still be moved away or deleted.
    kms.update_alias(AliasName=existing, TargetKeyId=live["KeyId"])
    kms.delete_alias(AliasName=existing)


def test_alias_on_a_disabled_key_is_allowed(kms: Any) -> None:
    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyState"] == "Disabled"


def test_update_alias_moves_it_at_once(kms: Any) -> None:
    first, second = new_key(kms), new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=first["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == first["KeyId"]
    created = alias_entry(kms, first["KeyId"], name)
    kms.update_alias(AliasName=name, TargetKeyId=second["Arn"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == second["KeyId"]
    entry = alias_entry(kms, second["KeyId"], name)
    assert entry["CreationDate"] == created["CreationDate"]
    assert entry["LastUpdatedDate"] >= created["LastUpdatedDate"]
    assert kms.list_aliases(KeyId=first["KeyId"])["Aliases"] == []


@pytest.mark.parametrize(
    ("spec", "usage"),
    [("RSA_2048", "ENCRYPT_DECRYPT"), ("HMAC_256", "GENERATE_VERIFY_MAC"), ("ECC_NIST_P256", "SIGN_VERIFY")],
)
def test_update_alias_keeps_key_type_and_usage(kms: Any, spec: str, usage: str) -> None:
    symmetric = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=symmetric["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName=name, TargetKeyId=new_key(kms, KeySpec=spec, KeyUsage=usage)["KeyId"])
    assert code_of(exc) == "ValidationException"
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == symmetric["KeyId"]


def test_update_alias_between_asymmetric_keys_of_one_usage(kms: Any) -> None:
    a = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    b = new_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="SIGN_VERIFY")
    c = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=a["KeyId"])
    kms.update_alias(AliasName=name, TargetKeyId=b["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName=name, TargetKeyId=c["KeyId"])
    assert code_of(exc) == "ValidationException"


def test_update_alias_errors(kms: Any) -> None:
    key = new_key(kms)
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName=unique(), TargetKeyId=key["KeyId"])
    assert code_of(exc) == "NotFoundException"
    assert "is not found" in message_of(exc)
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName="alias/aws/ssm", TargetKeyId=key["KeyId"])
    assert code_of(exc) == "NotAuthorizedException"
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.update_alias(AliasName=name, TargetKeyId="11111111-2222-3333-4444-555555555555")
    assert code_of(exc) == "NotFoundException"


def test_delete_alias(kms: Any) -> None:
    key = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=name)
    assert code_of(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.delete_alias(AliasName=name)
    assert code_of(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.delete_alias(AliasName="alias/aws/ssm")
    assert code_of(exc) == "NotAuthorizedException"
    # The name is free again.
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])


def test_aliases_are_per_region(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    name = unique()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    west = server.client("kms", region="eu-west-1")
    with pytest.raises(ClientError) as exc:
        west.describe_key(KeyId=name)
    assert code_of(exc) == "NotFoundException"
    west_key = new_key(west)
    west.create_alias(AliasName=name, TargetKeyId=west_key["KeyId"])
    assert west.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == west_key["KeyId"]
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == key["KeyId"]
