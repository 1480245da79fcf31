"""KMS answers compared with AWS's: error codes, message texts, absent members and HTTP statuses (issue 15, item 11)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.test_kms_import import do_import, external_key, params, wrap
from tests.support.errors import code_of, message_of, status_of
from tests.support.server import ServerProcess

INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation."


@pytest.fixture
def kms(server: ServerProcess) -> Any:
    return server.client("kms")


class RawBodies:
    """The JSON body of every response a client received, as it came off the wire."""

    def __init__(self, client: Any) -> None:
        self.bodies: list[dict[str, Any]] = []
        client.meta.events.register("after-call.kms", self._record)

    def _record(self, http_response: Any, **_: Any) -> None:
        self.bodies.append(json.loads(http_response.content or b"{}"))

    @property
    def last(self) -> dict[str, Any]:
        return self.bodies[-1]


# -- errors AWS sends without a message -----------------------------------------------------------------------


def test_errors_without_a_message_have_no_message_member(server: ServerProcess) -> None:
    kms = server.client("kms")
    seen = RawBodies(kms)
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.verify(KeyId=signer, Message=b"m", Signature=b"\x30\x00", SigningAlgorithm="ECDSA_SHA_256")
    assert code_of(exc) == "KMSInvalidSignatureException"
    assert seen.last == {"__type": "KMSInvalidSignatureException"}

    symmetric = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=symmetric, Plaintext=b"p", EncryptionContext={"a": "1"})["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "2"})
    assert code_of(exc) == "InvalidCiphertextException"
    assert seen.last == {"__type": "InvalidCiphertextException"}

    mac_key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as exc:
        kms.verify_mac(KeyId=mac_key, Message=b"m", Mac=b"\x00" * 32, MacAlgorithm="HMAC_SHA_256")
    assert code_of(exc) == "KMSInvalidMacException"
    assert seen.last == {"__type": "KMSInvalidMacException"}

    # an error with a message still carries it
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="alias/none-such")
    assert seen.last["message"] == message_of(exc) and message_of(exc)


# -- key identifiers ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key_id", ["fake-key-id", "mrk-", "mrk-1234", "1234abcd-12ab-34cd-56ef"])
def test_malformed_key_id_is_invalid_key_id(kms: Any, key_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key_id)
    assert code_of(exc) == "NotFoundException"
    assert message_of(exc) == f"Invalid keyId '{key_id}'"
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=key_id, Plaintext=b"x")
    assert code_of(exc) == "NotFoundException"
    assert message_of(exc) == f"Invalid keyId '{key_id}'"


@pytest.mark.parametrize("key_id", ["1234abcd-12ab-34cd-56ef-1234567890ab", "mrk-1234abcd12ab34cd56ef1234567890ab"])
def test_well_formed_missing_key_does_not_exist(kms: Any, key_id: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key_id)
    assert code_of(exc) == "NotFoundException"
    assert message_of(exc) == f"Key 'arn:aws:kms:us-east-1:{kms_account(kms)}:key/{key_id}' does not exist"


def kms_account(kms: Any) -> str:
    return str(kms.create_key()["KeyMetadata"]["AWSAccountId"])


# -- tags -----------------------------------------------------------------------------------------------------


def test_tag_errors_are_tag_exceptions_with_aws_texts(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    cases = [
        ([{"TagKey": "aws:owner", "TagValue": "x"}], "Tags beginning with aws: are reserved"),
        ([{"TagKey": "AWS:owner", "TagValue": "x"}], "Tags beginning with aws: are reserved"),
        ([{"TagKey": "k", "TagValue": "1"}, {"TagKey": "k", "TagValue": "2"}], "Duplicate tag keys"),
        ([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)], "Too many tags"),
    ]
    for tags, message in cases:
        for call in (
            lambda t: kms.tag_resource(KeyId=key_id, Tags=t),
            lambda t: kms.create_key(Tags=t),
        ):
            with pytest.raises(ClientError) as exc:
                call(tags)
            assert (code_of(exc), message_of(exc)) == ("TagException", message)
    with pytest.raises(ClientError) as exc:
        kms.untag_resource(KeyId=key_id, TagKeys=["aws:owner"])
    assert (code_of(exc), message_of(exc)) == ("TagException", "Tags beginning with aws: are reserved")
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == []
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(50)])
    assert len(kms.list_resource_tags(KeyId=key_id)["Tags"]) == 50


# -- DryRun ---------------------------------------------------------------------------------------------------


def test_dry_run_is_http_400_for_every_dry_run_operation(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"p")["CiphertextBlob"]
    signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    root = f"arn:aws:iam::{kms_account(kms)}:root"
    grant_id = kms.create_grant(KeyId=key_id, GranteePrincipal=root, Operations=["Decrypt"])["GrantId"]
    calls = [
        lambda: kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="RSA_2048", DryRun=True),
        lambda: kms.generate_data_key_pair_without_plaintext(KeyId=key_id, KeyPairSpec="ECC_NIST_P256", DryRun=True),
        lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256", DryRun=True),
        lambda: kms.encrypt(KeyId=key_id, Plaintext=b"p", DryRun=True),
        lambda: kms.decrypt(CiphertextBlob=blob, DryRun=True),
        lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id, DryRun=True),
        lambda: kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256", DryRun=True),
        lambda: kms.create_grant(KeyId=key_id, GranteePrincipal=root, Operations=["Decrypt"], DryRun=True),
        lambda: kms.revoke_grant(KeyId=key_id, GrantId=grant_id, DryRun=True),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "DryRunOperationException"
        assert status_of(exc) == 400
        assert message_of(exc) == "The request would have succeeded, but the DryRun option is set."


# -- ReEncrypt ------------------------------------------------------------------------------------------------


def test_re_encrypt_with_the_wrong_source_key_is_incorrect_key(kms: Any) -> None:
    source = kms.create_key()["KeyMetadata"]["KeyId"]
    other = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=source, Plaintext=b"p")["CiphertextBlob"]
    other_arn = kms.describe_key(KeyId=other)["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/fidelity-other", TargetKeyId=other)
    disabled = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=disabled)
    asymmetric = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    for wrong in (other, other_arn, "alias/fidelity-other", disabled, asymmetric):
        with pytest.raises(ClientError) as exc:
            kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=wrong, DestinationKeyId=other)
        assert code_of(exc) == "IncorrectKeyException", wrong
        assert message_of(exc) == INCORRECT_KEY
    assert kms.re_encrypt(CiphertextBlob=blob, SourceKeyId=source, DestinationKeyId=other)["KeyId"].endswith(other)


# -- RotateKeyOnDemand ----------------------------------------------------------------------------------------


def test_rotate_on_demand_on_a_disabled_key_is_disabled_exception(kms: Any) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code_of(exc) == "DisabledException"


def test_rotate_on_demand_is_limited_per_key(kms: Any) -> None:
    # botocore's model and AWS's developer guide: "a maximum of 25 times per KMS key" (the quota was 10 before).
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=key_id)
    assert code_of(exc) == "LimitExceededException"
    rotations = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert sum(1 for r in rotations if r.get("RotationType") == "ON_DEMAND") == 25


# -- imported key material ------------------------------------------------------------------------------------


def test_external_key_without_material_has_no_expiration_model(kms: Any) -> None:
    meta = external_key(kms)
    assert "ExpirationModel" not in meta
    assert "ExpirationModel" not in kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    do_import(kms, meta["KeyId"], os.urandom(32))
    described = kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    kms.delete_imported_key_material(KeyId=meta["KeyId"])
    assert "ExpirationModel" not in kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]


def test_new_key_material_cannot_be_imported_while_other_material_is_pending_rotation(kms: Any) -> None:
    key_id = external_key(kms)["KeyId"]
    do_import(kms, key_id, os.urandom(32))
    pending = do_import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    with pytest.raises(ClientError) as exc:
        do_import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    assert code_of(exc) == "KMSInvalidStateException"
    assert pending in message_of(exc)
    states = {
        r["KeyMaterialId"]: r["KeyMaterialState"]
        for r in kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    }
    assert sorted(states.values()) == ["CURRENT", "PENDING_ROTATION"]
    # once rotated in, new material can be imported again
    kms.rotate_key_on_demand(KeyId=key_id)
    do_import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")


def test_new_key_material_after_deleting_the_pending_one(kms: Any) -> None:
    key_id = external_key(kms)["KeyId"]
    do_import(kms, key_id, os.urandom(32))
    pending = do_import(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")["KeyMaterialId"]
    kms.delete_imported_key_material(KeyId=key_id, KeyMaterialId=pending)
    p = params(kms, key_id)
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=p["ImportToken"],
        EncryptedKeyMaterial=wrap(p["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32)),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
        ImportType="NEW_KEY_MATERIAL",
    )


# -- CreateKey ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["HMAC_256", "HMAC_512", "RSA_2048", "ECC_NIST_P256", "ECC_SECG_P256K1"])
def test_create_key_needs_a_key_usage_for_every_spec_but_symmetric(kms: Any, spec: str) -> None:
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec=spec)
    assert code_of(exc) == "ValidationException"
    assert message_of(exc) == "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."


def test_create_key_symmetric_needs_no_key_usage(kms: Any) -> None:
    assert kms.create_key(KeySpec="SYMMETRIC_DEFAULT")["KeyMetadata"]["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeySpec"] == "HMAC_256"


# -- ReplicateKey ---------------------------------------------------------------------------------------------


def test_replicate_key_response_omits_what_aws_omits(kms: Any, server: ServerProcess) -> None:
    primary = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert "CurrentKeyMaterialId" in primary
    out = kms.replicate_key(KeyId=primary["KeyId"], ReplicaRegion="eu-west-1")
    meta = out["ReplicaKeyMetadata"]
    # AWS's documented response: no key material id while the replica's material is being copied.
    assert "CurrentKeyMaterialId" not in meta
    assert meta["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT" and meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert out["ReplicaTags"] == [] and json.loads(out["ReplicaPolicy"])["Statement"]
    replica = server.client("kms", region="eu-west-1").describe_key(KeyId=primary["KeyId"])["KeyMetadata"]
    assert replica["CurrentKeyMaterialId"] == primary["CurrentKeyMaterialId"]
