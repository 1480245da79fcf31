"""Multi-Region secrets: replicas follow the primary, refuse writes, and accept them once promoted."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from tests.support.errors import code_of as _code
from tests.support.server import ServerProcess


def test_replicas_follow_refuse_writes_and_promote(server: ServerProcess) -> None:
    east = server.client("secretsmanager", region="us-east-1")
    west = server.client("secretsmanager", region="us-west-2")
    eu = server.client("secretsmanager", region="eu-west-1")
    name = f"repl-{uuid.uuid4().hex[:8]}"
    made = east.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": "us-west-2"}])
    assert made["ReplicationStatus"][0]["Region"] == "us-west-2" and made["ReplicationStatus"][0]["Status"] == "InSync"
    replica_arn = made["ARN"].replace("us-east-1", "us-west-2")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "v1"
    desc = west.describe_secret(SecretId=name)
    assert desc["ARN"] == replica_arn and desc["PrimaryRegion"] == "us-east-1"
    # every write on the primary reaches the replica
    east.put_secret_value(SecretId=name, SecretString="v2")
    east.tag_resource(SecretId=name, Tags=[{"Key": "t", "Value": "1"}])
    assert west.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert west.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    assert west.describe_secret(SecretId=name)["Tags"] == [{"Key": "t", "Value": "1"}]
    # a second region with its own key
    key = server.client("kms", region="eu-west-1").create_key()["KeyMetadata"]["Arn"]
    out = east.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-1", "KmsKeyId": key}])
    assert {r["Region"]: r["Status"] for r in out["ReplicationStatus"]} == {
        "us-west-2": "InSync",
        "eu-west-1": "InSync",
    }
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert eu.describe_secret(SecretId=name)["KmsKeyId"] == key
    # replicas are read-only
    for call in (
        lambda: west.put_secret_value(SecretId=name, SecretString="nope"),
        lambda: west.update_secret(SecretId=name, Description="nope"),
        lambda: west.delete_secret(SecretId=name),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert _code(exc) == "InvalidRequestException"
    with pytest.raises(ClientError) as exc:
        east.delete_secret(SecretId=name)
    assert _code(exc) == "InvalidRequestException"
    with pytest.raises(ClientError) as exc:
        east.stop_replication_to_replica(SecretId=name)
    assert _code(exc) == "InvalidRequestException"
    # promotion: the replica becomes a standalone, writable secret
    assert west.stop_replication_to_replica(SecretId=name)["ARN"] == replica_arn
    west.put_secret_value(SecretId=name, SecretString="west-own")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "west-own"
    assert "PrimaryRegion" not in west.describe_secret(SecretId=name)
    assert [r["Region"] for r in east.describe_secret(SecretId=name)["ReplicationStatus"]] == ["eu-west-1"]
    east.put_secret_value(SecretId=name, SecretString="v3")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "west-own"
    assert eu.get_secret_value(SecretId=name)["SecretString"] == "v3"
    removed = east.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    assert removed["ReplicationStatus"] == []
    with pytest.raises(ClientError) as exc:
        eu.describe_secret(SecretId=name)
    assert _code(exc) == "ResourceNotFoundException"
    east.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_replica_name_clash_and_bad_region(server: ServerProcess) -> None:
    east = server.client("secretsmanager", region="us-east-1")
    west = server.client("secretsmanager", region="us-west-2")
    name = f"clash-{uuid.uuid4().hex[:8]}"
    west.create_secret(Name=name, SecretString="theirs")
    east.create_secret(Name=name, SecretString="ours")
    out = east.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-west-2"}])
    assert out["ReplicationStatus"][0]["Status"] == "Failed"
    assert west.get_secret_value(SecretId=name)["SecretString"] == "theirs"
    east.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["us-west-2"])
    assert west.get_secret_value(SecretId=name)["SecretString"] == "theirs"
    out = east.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "us-west-2"}], ForceOverwriteReplicaSecret=True
    )
    assert out["ReplicationStatus"][0]["Status"] == "InSync"
    assert west.get_secret_value(SecretId=name)["SecretString"] == "ours"
    with pytest.raises(ClientError) as exc:
        east.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-east-1"}])
    assert _code(exc) == "InvalidParameterException"
