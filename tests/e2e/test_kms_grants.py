"""Grants through boto3: create (validation, idempotent names), list, retire, revoke, list retirable."""

from __future__ import annotations

import re
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of as error_code
from tests.support.server import ServerProcess

GRANTEE = "arn:aws:iam::111122223333:role/grantee"
RETIRER = "arn:aws:iam::111122223333:role/retirer"


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


@pytest.fixture
def raw_kms(server: ServerProcess) -> Any:
    return server.client("kms", config=botocore.config.Config(parameter_validation=False))


def new_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    return dict(kms.create_key(**kwargs)["KeyMetadata"])


def test_create_and_list(kms: Any) -> None:
    key = new_key(kms)
    out = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=GRANTEE,
        RetiringPrincipal=RETIRER,
        Operations=["Encrypt", "Decrypt", "DescribeKey"],
        Constraints={"EncryptionContextSubset": {"Department": "IT"}},
        Name="my-grant",
    )
    assert re.fullmatch(r"[0-9a-f]{64}", out["GrantId"])
    assert out["GrantToken"]
    grants = kms.list_grants(KeyId=key["Arn"])
    assert grants["Truncated"] is False
    (grant,) = grants["Grants"]
    assert grant["KeyId"] == key["Arn"] and grant["GrantId"] == out["GrantId"]
    assert grant["Name"] == "my-grant" and grant["GranteePrincipal"] == GRANTEE
    assert grant["RetiringPrincipal"] == RETIRER
    assert grant["Operations"] == ["Encrypt", "Decrypt", "DescribeKey"]
    assert grant["Constraints"] == {"EncryptionContextSubset": {"Department": "IT"}}
    assert grant["IssuingAccount"].startswith("arn:aws:iam::") and grant["IssuingAccount"].endswith(":root")
    assert "CreationDate" in grant


def test_name_is_idempotent(kms: Any) -> None:
    key = new_key(kms)
    args = {"KeyId": key["KeyId"], "GranteePrincipal": GRANTEE, "Operations": ["Decrypt"], "Name": "retry-me"}
    first, second = kms.create_grant(**args), kms.create_grant(**args)
    assert first["GrantId"] == second["GrantId"]
    assert first["GrantToken"] != second["GrantToken"]
    different = kms.create_grant(**{**args, "Operations": ["Encrypt"]})
    assert different["GrantId"] != first["GrantId"]
    unnamed = {k: v for k, v in args.items() if k != "Name"}
    assert kms.create_grant(**unnamed)["GrantId"] != kms.create_grant(**unnamed)["GrantId"]
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 4


@pytest.mark.parametrize(
    ("spec", "usage", "good", "bad"),
    [
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", ["GenerateDataKey", "ReEncryptFrom", "CreateGrant"], "Sign"),
        ("RSA_2048", "ENCRYPT_DECRYPT", ["Encrypt", "Decrypt", "GetPublicKey"], "GenerateDataKey"),
        ("ECC_NIST_P256", "SIGN_VERIFY", ["Sign", "Verify", "GetPublicKey", "RetireGrant"], "Encrypt"),
        ("HMAC_256", "GENERATE_VERIFY_MAC", ["GenerateMac", "VerifyMac", "DescribeKey"], "GetPublicKey"),
        ("ECC_NIST_P384", "KEY_AGREEMENT", ["DeriveSharedSecret", "GetPublicKey"], "Sign"),
    ],
)
def test_operations_must_suit_the_key(kms: Any, spec: str, usage: str, good: list[str], bad: str) -> None:
    key = new_key(kms, KeySpec=spec, KeyUsage=usage)
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=good)
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=[*good, bad])
    assert error_code(exc) == "ValidationException"


def test_constraints(kms: Any) -> None:
    asym = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as exc:
        kms.create_grant(
            KeyId=asym["KeyId"],
            GranteePrincipal=GRANTEE,
            Operations=["Sign"],
            Constraints={"EncryptionContextEquals": {"a": "b"}},
        )
    assert error_code(exc) == "ValidationException"
    key = new_key(kms)
    with pytest.raises(ClientError) as exc:
        kms.create_grant(
            KeyId=key["KeyId"],
            GranteePrincipal=GRANTEE,
            Operations=["Decrypt"],
            Constraints={"EncryptionContextEquals": {f"k{i}": "v" for i in range(9)}},
        )
    assert error_code(exc) == "ValidationException"
    kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=GRANTEE,
        Operations=["Decrypt"],
        Constraints={"EncryptionContextEquals": {f"k{i}": "v" for i in range(8)}},
    )


def test_principal_rules(raw_kms: Any) -> None:
    key = new_key(raw_kms)
    base = {"KeyId": key["KeyId"], "Operations": ["Decrypt"]}
    for extra in (
        {},
        {"GranteePrincipal": GRANTEE, "GranteeServicePrincipal": "logs.amazonaws.com"},
        {"GranteeServicePrincipal": "logs.amazonaws.com", "RetiringPrincipal": RETIRER},
        {"GranteePrincipal": GRANTEE, "RetiringPrincipal": RETIRER, "RetiringServicePrincipal": "x.amazonaws.com"},
    ):
        with pytest.raises(ClientError) as exc:
            raw_kms.create_grant(**base, **extra)
        assert error_code(exc) == "ValidationException", extra
    source = "arn:aws:logs:us-east-1:111122223333:log-group:x"
    out = raw_kms.create_grant(
        **base,
        GranteeServicePrincipal="logs.amazonaws.com",
        RetiringPrincipal=RETIRER,
        Constraints={"SourceArn": source},
    )
    listed = raw_kms.list_grants(KeyId=key["KeyId"], GranteeServicePrincipal="logs.amazonaws.com")["Grants"]
    assert [g["GrantId"] for g in listed] == [out["GrantId"]]
    assert listed[0]["GranteeServicePrincipal"] == "logs.amazonaws.com" and "GranteePrincipal" not in listed[0]


def test_state_and_missing_key(kms: Any) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId="11111111-2222-3333-4444-555555555555", GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    assert error_code(exc) == "NotFoundException"
    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])  # allowed while disabled
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    assert error_code(exc) == "KMSInvalidStateException"


def test_dry_run_and_grant_tokens(kms: Any) -> None:
    key = new_key(kms)
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"], DryRun=True)
    assert error_code(exc) == "DryRunOperationException"
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    token = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["CreateGrant"])["GrantToken"]
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"], GrantTokens=[token])
    with pytest.raises(ClientError) as exc:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"], GrantTokens=["nope"])
    assert error_code(exc) == "InvalidGrantTokenException"


def test_list_filters_and_pages(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    ids = {
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=f"{GRANTEE}{i}", Operations=["Decrypt"])["GrantId"]
        for i in range(5)
    }
    seen: list[str] = []
    marker: str | None = None
    while True:
        page = kms.list_grants(KeyId=key["KeyId"], Limit=2, **({"Marker": marker} if marker else {}))
        seen += [g["GrantId"] for g in page["Grants"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert sorted(seen) == sorted(ids) and len(seen) == 5
    one = kms.list_grants(KeyId=key["KeyId"], GranteePrincipal=f"{GRANTEE}3")["Grants"]
    assert [g["GranteePrincipal"] for g in one] == [f"{GRANTEE}3"]
    gid = one[0]["GrantId"]
    assert [g["GrantId"] for g in kms.list_grants(KeyId=key["KeyId"], GrantId=gid)["Grants"]] == [gid]
    with pytest.raises(ClientError) as exc:
        kms.list_grants(KeyId=key["KeyId"], GrantId="not-a-grant-id")
    assert error_code(exc) == "InvalidGrantIdException"
    with pytest.raises(ClientError) as exc:
        kms.list_grants(KeyId=key["KeyId"], Marker="!!!")
    assert error_code(exc) == "InvalidMarkerException"
    with pytest.raises(ClientError) as exc:
        raw_kms.list_grants(KeyId=key["KeyId"], Limit=1001)
    assert error_code(exc) == "ValidationException"


def test_retire_by_token_and_by_id(kms: Any) -> None:
    key = new_key(kms)
    first = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    second = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Encrypt"])
    kms.retire_grant(GrantToken=first["GrantToken"])
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(GrantToken=first["GrantToken"])
    assert error_code(exc) == "NotFoundException"
    kms.retire_grant(KeyId=key["Arn"], GrantId=second["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(GrantToken="garbage")
    assert error_code(exc) == "InvalidGrantTokenException"
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(KeyId=key["Arn"], GrantId="x" * 10)
    assert error_code(exc) == "InvalidGrantIdException"
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(KeyId=key["Arn"])
    assert error_code(exc) == "ValidationException"
    third = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    with pytest.raises(ClientError) as exc:
        kms.retire_grant(GrantToken=third["GrantToken"], DryRun=True)
    assert error_code(exc) == "DryRunOperationException"
    assert len(kms.list_grants(KeyId=key["KeyId"])["Grants"]) == 1


def test_revoke(kms: Any) -> None:
    key, other = new_key(kms), new_key(kms)
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    with pytest.raises(ClientError) as exc:  # a grant of another key
        kms.revoke_grant(KeyId=other["KeyId"], GrantId=grant["GrantId"])
    assert error_code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId="zz")
    assert error_code(exc) == "InvalidGrantIdException"
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    with pytest.raises(ClientError) as exc:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=grant["GrantId"])
    assert error_code(exc) == "NotFoundException"


def test_list_retirable_grants(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    retirer = f"{RETIRER}-{key['KeyId'][:8]}"
    made = {
        kms.create_grant(
            KeyId=key["KeyId"], GranteePrincipal=GRANTEE, RetiringPrincipal=retirer, Operations=["Decrypt"]
        )["GrantId"]
        for _ in range(3)
    }
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, Operations=["Decrypt"])
    page = kms.list_retirable_grants(RetiringPrincipal=retirer, Limit=2)
    assert page["Truncated"] is True
    rest = kms.list_retirable_grants(RetiringPrincipal=retirer, Limit=2, Marker=page["NextMarker"])
    assert {g["GrantId"] for g in page["Grants"] + rest["Grants"]} == made
    assert all(g["RetiringPrincipal"] == retirer for g in page["Grants"])
    with pytest.raises(ClientError) as exc:
        raw_kms.list_retirable_grants()
    assert error_code(exc) == "ValidationException"


def test_grants_go_with_the_key(server: ServerProcess, kms: Any) -> None:
    key = new_key(kms)
    retirer = f"{RETIRER}-gone-{key['KeyId'][:8]}"
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=GRANTEE, RetiringPrincipal=retirer, Operations=["Decrypt"])
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    server.advance(8 * 86400)
    assert kms.list_retirable_grants(RetiringPrincipal=retirer)["Grants"] == []
