"""Multi-Region keys through boto3: ReplicateKey, DescribeKey's MultiRegionConfiguration, UpdatePrimaryRegion,
cross-Region decryption and rotation reaching replicas."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.support.errors import code_of as error_code
from tests.support.server import ServerProcess

PRIMARY, REPLICA, THIRD = "us-east-1", "eu-west-1", "ap-southeast-2"
DAY = 86400


@pytest.fixture
def east(server: ServerProcess) -> Any:
    return server.client("kms", region=PRIMARY)


@pytest.fixture
def west(server: ServerProcess) -> Any:
    return server.client("kms", region=REPLICA)


def mrk(kms: Any, **kwargs: Any) -> dict[str, Any]:
    meta = dict(kms.create_key(MultiRegion=True, **kwargs)["KeyMetadata"])
    assert meta["KeyId"].startswith("mrk-") and meta["MultiRegion"] is True
    return meta


def test_replicate_and_describe(east: Any, west: Any) -> None:
    key = mrk(east, Description="primary", Tags=[{"TagKey": "side", "TagValue": "east"}])
    config = key["MultiRegionConfiguration"]
    assert config == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": key["Arn"], "Region": PRIMARY},
        "ReplicaKeys": [],
    }
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*"}],
        }
    )
    out = east.replicate_key(
        KeyId=key["KeyId"],
        ReplicaRegion=REPLICA,
        Description="replica",
        Policy=policy,
        Tags=[{"TagKey": "side", "TagValue": "west"}],
    )
    replica = out["ReplicaKeyMetadata"]
    replica_arn = key["Arn"].replace(PRIMARY, REPLICA)
    assert replica["Arn"] == replica_arn and replica["KeyId"] == key["KeyId"]
    assert replica["KeyState"] == "Enabled" and replica["Description"] == "replica"
    assert replica["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    assert replica["MultiRegionConfiguration"]["PrimaryKey"] == {"Arn": key["Arn"], "Region": PRIMARY}
    assert out["ReplicaPolicy"] == policy
    assert out["ReplicaTags"] == [{"TagKey": "side", "TagValue": "west"}]
    # Not in ReplicateKey's answer (AWS answers while the replica is Creating), but DescribeKey has it.
    assert "CurrentKeyMaterialId" not in replica
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == key["CurrentKeyMaterialId"]
    described = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    assert described["ReplicaKeys"] == [{"Arn": replica_arn, "Region": REPLICA}]
    # Own policy, tags and description in the replica's region.
    assert west.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == policy
    assert west.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "side", "TagValue": "west"}]
    assert east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "primary"


def test_replicate_errors(east: Any, west: Any) -> None:
    single = dict(east.create_key()["KeyMetadata"])
    with pytest.raises(ClientError) as exc:
        east.replicate_key(KeyId=single["KeyId"], ReplicaRegion=REPLICA)
    assert error_code(exc) == "UnsupportedOperationException"
    key = mrk(east)
    with pytest.raises(ClientError) as exc:
        east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=PRIMARY)
    assert error_code(exc) == "ValidationException"
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    with pytest.raises(ClientError) as exc:
        east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    assert error_code(exc) == "AlreadyExistsException"
    with pytest.raises(ClientError) as exc:  # only the primary replicates
        west.replicate_key(KeyId=key["KeyId"], ReplicaRegion=THIRD)
    assert error_code(exc) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as exc:
        east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=THIRD, Policy="not json")
    assert error_code(exc) == "MalformedPolicyDocumentException"
    other = mrk(east)
    east.disable_key(KeyId=other["KeyId"])
    with pytest.raises(ClientError) as exc:
        east.replicate_key(KeyId=other["KeyId"], ReplicaRegion=REPLICA)
    assert error_code(exc) == "DisabledException"


def test_cross_region_decrypt(east: Any, west: Any) -> None:
    key = mrk(east)
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"from east", EncryptionContext={"k": "v"})["CiphertextBlob"]
    out = west.decrypt(CiphertextBlob=blob, EncryptionContext={"k": "v"})
    assert out["Plaintext"] == b"from east"
    assert out["KeyId"] == key["Arn"].replace(PRIMARY, REPLICA)
    back = west.encrypt(KeyId=key["KeyId"], Plaintext=b"from west")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"from west"


def test_asymmetric_replica_shares_key_pair(east: Any, west: Any) -> None:
    key = mrk(east, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    public_der = west.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    assert public_der == east.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    public = serialization.load_der_public_key(public_der)
    assert isinstance(public, rsa.RSAPublicKey)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    blob = public.encrypt(b"local", oaep)
    plain = west.decrypt(KeyId=key["KeyId"], CiphertextBlob=blob, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert plain["Plaintext"] == b"local"


def test_rotation_reaches_replicas(server: ServerProcess, east: Any, west: Any) -> None:
    key = mrk(east)
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    old = east.encrypt(KeyId=key["KeyId"], Plaintext=b"v1")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:  # rotation is set on the primary only
        west.enable_key_rotation(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"
    with pytest.raises(ClientError) as exc:
        west.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"
    east.rotate_key_on_demand(KeyId=key["KeyId"])
    current = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == current
    assert [r["KeyMaterialId"] for r in west.list_key_rotations(KeyId=key["KeyId"])["Rotations"]] == [current]
    new = east.encrypt(KeyId=key["KeyId"], Plaintext=b"v2")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=new)["Plaintext"] == b"v2"
    assert west.decrypt(CiphertextBlob=old)["Plaintext"] == b"v1"
    # Automatic rotation: enabled on the primary, shared by the replica, applied to both by the scheduler.
    east.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert west.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    server.advance(91 * DAY)
    rotated = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    assert rotated != current
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == rotated
    types = [r["RotationType"] for r in west.list_key_rotations(KeyId=key["KeyId"])["Rotations"]]
    assert types == ["ON_DEMAND", "AUTOMATIC"]


def test_replica_created_after_rotation_gets_every_version(east: Any, west: Any) -> None:
    key = mrk(east)
    old = east.encrypt(KeyId=key["KeyId"], Plaintext=b"before rotation")["CiphertextBlob"]
    east.rotate_key_on_demand(KeyId=key["KeyId"])
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    assert west.decrypt(CiphertextBlob=old)["Plaintext"] == b"before rotation"


def test_update_primary_region(server: ServerProcess, east: Any, west: Any) -> None:
    key = mrk(east)
    east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)
    east.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    with pytest.raises(ClientError) as exc:
        east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion=THIRD)
    assert error_code(exc) == "NotFoundException"
    with pytest.raises(ClientError) as exc:  # only the primary can hand over
        west.update_primary_region(KeyId=key["KeyId"], PrimaryRegion=PRIMARY)
    assert error_code(exc) == "UnsupportedOperationException"
    east.update_primary_region(KeyId=key["KeyId"], PrimaryRegion=REPLICA)
    west_config = west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    east_config = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["MultiRegionConfiguration"]
    west_arn = key["Arn"].replace(PRIMARY, REPLICA)
    assert west_config["MultiRegionKeyType"] == "PRIMARY"
    assert west_config["PrimaryKey"] == {"Arn": west_arn, "Region": REPLICA}
    assert west_config["ReplicaKeys"] == [{"Arn": key["Arn"], "Region": PRIMARY}]
    assert east_config["MultiRegionKeyType"] == "REPLICA"
    # The new primary replicates and rotates; the old one no longer does.
    west.replicate_key(KeyId=key["KeyId"], ReplicaRegion=THIRD)
    with pytest.raises(ClientError) as exc:
        east.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"
    before = east.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
    server.advance(91 * DAY)
    after = {
        c.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]
        for c in (east, west, server.client("kms", region=THIRD))
    }
    assert len(after) == 1 and before not in after


def test_update_primary_region_of_single_region_key(east: Any) -> None:
    single = dict(east.create_key()["KeyMetadata"])
    with pytest.raises(ClientError) as exc:
        east.update_primary_region(KeyId=single["KeyId"], PrimaryRegion=REPLICA)
    assert error_code(exc) == "UnsupportedOperationException"


def test_imported_multi_region_key(east: Any, west: Any) -> None:
    from tests.e2e.test_kms_import import do_import

    key = mrk(east, Origin="EXTERNAL")
    material = os.urandom(32)
    do_import(east, key["KeyId"], material)
    replica = east.replicate_key(KeyId=key["KeyId"], ReplicaRegion=REPLICA)["ReplicaKeyMetadata"]
    assert replica["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as exc:
        do_import(west, key["KeyId"], os.urandom(32))
    assert error_code(exc) == "IncorrectKeyMaterialException"
    do_import(west, key["KeyId"], material)
    assert west.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"
    blob = east.encrypt(KeyId=key["KeyId"], Plaintext=b"imported mrk")["CiphertextBlob"]
    assert west.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported mrk"
    with pytest.raises(ClientError) as exc:
        east.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_code(exc) == "UnsupportedOperationException"
