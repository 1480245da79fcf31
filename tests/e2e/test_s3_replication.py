"""S3 replication against the real server with boto3: the configuration's validation and round trip, same- and
cross-Region, same- and cross-account, SSE-S3, SSE-KMS (re-encrypted under the replica key, as the role) and SSE-C,
delete markers, tag changes, FAILED with AWS's failure reason then COMPLETED after the policy is fixed and
``strongroom s3 replication redrive`` ran, and replication that survives the server being killed mid-queue."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.access_support import allow, client_for, make_user, policy
from tests.e2e.s3_support import other_account, s3_for, unique
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess, clean_env, strongroom

EU = "eu-west-1"
TRUST = policy({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"})
ALLOW_SSE_C = {
    "Rules": [
        {
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
            "BlockedEncryptionTypes": {"EncryptionType": ["NONE"]},
        }
    ]
}


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def iam(server: ServerProcess) -> Any:
    return server.client("iam")


def versioned(s3: Any, prefix: str, region: str | None = None) -> str:
    name = unique(prefix)
    extra = {"CreateBucketConfiguration": {"LocationConstraint": region}} if region else {}
    s3.create_bucket(Bucket=name, **extra)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def role_for(iam: Any, source: str, destination: str, *extra: dict[str, Any]) -> str:
    """A replication role as the S3 User Guide's "Setting up permissions" creates it, plus ``extra`` statements."""
    name = f"repl-{uuid.uuid4().hex[:8]}"
    arn: str = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    document = policy(
        allow(["s3:GetReplicationConfiguration", "s3:ListBucket"], f"arn:aws:s3:::{source}"),
        allow(
            ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            f"arn:aws:s3:::{source}/*",
        ),
        allow(["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], f"arn:aws:s3:::{destination}/*"),
        *extra,
    )
    iam.put_role_policy(RoleName=name, PolicyName="replication", PolicyDocument=document)
    return arn


def rule(destination: str, rule_id: str = "all", priority: int = 1, **more: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ID": rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": {},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }
    out.update(more)
    return out


def replicate(s3: Any, source: str, role: str, *rules: dict[str, Any]) -> None:
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration={"Role": role, "Rules": list(rules)})


def settled(
    server: ServerProcess, s3: Any, bucket: str, key: str, version: str, timeout: float = 30, **sse_c: Any
) -> str:
    """The source version's replication status once it is no longer PENDING (nudging due jobs along)."""
    deadline = time.monotonic() + timeout
    while True:
        status = s3.head_object(Bucket=bucket, Key=key, VersionId=version, **sse_c).get("ReplicationStatus")
        if status not in ("PENDING", None):
            return str(status)
        if time.monotonic() > deadline:
            raise AssertionError(f"{bucket}/{key} still {status} after {timeout} s")
        server.advance(0)
        time.sleep(0.1)


def redrive_cli(server: ServerProcess, bucket: str, *more: str) -> Any:
    args = ["s3", "replication", "redrive", "--data-dir", str(server.data_dir), "--bucket", bucket, *more]
    if server.database_url:
        args += ["--database-url", server.database_url]
    return strongroom(*args, env=clean_env(), check=False)


def status_cli(server: ServerProcess, bucket: str) -> dict[str, Any]:
    args = ["s3", "replication", "status", "--data-dir", str(server.data_dir), "--bucket", bucket, "--json"]
    if server.database_url:
        args += ["--database-url", server.database_url]
    done = strongroom(*args, env=clean_env())
    report: dict[str, Any] = json.loads(done.stdout)
    return report


# -- the configuration -----------------------------------------------------------------------------------------------


def test_configuration_round_trip_and_validation(s3: Any, iam: Any) -> None:
    source, destination = unique("src"), versioned(s3, "dst")
    s3.create_bucket(Bucket=source)
    role = role_for(iam, source, destination)
    config = {"Role": role, "Rules": [rule(destination, Filter={"Prefix": "docs/"})]}
    exc = raised_by(s3.put_bucket_replication, Bucket=source, ReplicationConfiguration=config)
    assert error_of(exc) == (
        "InvalidRequest",
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        400,
    )
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    missing = {"Role": role, "Rules": [rule(unique("nope"))]}
    exc = raised_by(s3.put_bucket_replication, Bucket=source, ReplicationConfiguration=missing)
    assert error_of(exc) == ("InvalidRequest", "Destination bucket must exist.", 400)
    plain = unique("plain")
    s3.create_bucket(Bucket=plain)
    exc = raised_by(
        s3.put_bucket_replication, Bucket=source, ReplicationConfiguration={"Role": role, "Rules": [rule(plain)]}
    )
    assert error_of(exc) == ("InvalidRequest", "Destination bucket must have versioning enabled.", 400)
    no_priority = {"Role": role, "Rules": [{k: v for k, v in rule(destination).items() if k != "Priority"}]}
    exc = raised_by(s3.put_bucket_replication, Bucket=source, ReplicationConfiguration=no_priority)
    assert error_of(exc)[0] == "InvalidRequest" and error_of(exc)[1].startswith("Priority must be specified")
    exc = raised_by(s3.get_bucket_replication, Bucket=source)
    assert error_of(exc) == (
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
        404,
    )

    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    assert s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"] == config
    # A source with replication keeps its versions.
    exc = raised_by(s3.put_bucket_versioning, Bucket=source, VersioningConfiguration={"Status": "Suspended"})
    assert error_of(exc)[0::2] == ("InvalidBucketState", 409)
    s3.delete_bucket_replication(Bucket=source)
    assert error_of(raised_by(s3.get_bucket_replication, Bucket=source))[0] == "ReplicationConfigurationNotFoundError"


def test_passing_the_role_needs_iam_pass_role(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    role = role_for(iam, source, destination)
    config = {"Role": role, "Rules": [rule(destination)]}
    user = make_user(iam, allow("s3:PutReplicationConfiguration", f"arn:aws:s3:::{source}"))
    exc = raised_by(
        client_for(server, "s3", user).put_bucket_replication, Bucket=source, ReplicationConfiguration=config
    )
    assert error_of(exc)[0::2] == ("AccessDenied", 403) and "iam:PassRole" in error_of(exc)[1]
    iam.put_user_policy(UserName=user["Name"], PolicyName="pass", PolicyDocument=policy(allow("iam:PassRole", role)))
    client_for(server, "s3", user).put_bucket_replication(Bucket=source, ReplicationConfiguration=config)


# -- same Region, SSE-S3 ---------------------------------------------------------------------------------------------


def test_same_region_sse_s3(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    replicate(s3, source, role_for(iam, source, destination), rule(destination, Filter={"Prefix": "docs/"}))
    body = os.urandom(300_000)
    put = s3.put_object(
        Bucket=source,
        Key="docs/report.bin",
        Body=body,
        ContentType="application/x-report",
        Metadata={"owner": "finance"},
        Tagging="team=blue",
    )
    other = s3.put_object(Bucket=source, Key="elsewhere.txt", Body=b"not selected")
    assert settled(server, s3, source, "docs/report.bin", put["VersionId"]) == "COMPLETED"
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="elsewhere.txt", VersionId=other["VersionId"])
    src_head = s3.head_object(Bucket=source, Key="docs/report.bin")
    replica = s3.get_object(Bucket=destination, Key="docs/report.bin")
    assert replica["Body"].read() == body
    assert replica["VersionId"] == put["VersionId"] and replica["ETag"] == put["ETag"]
    assert replica["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert replica["LastModified"] == src_head["LastModified"]
    assert replica["ReplicationStatus"] == "REPLICA" and replica["ServerSideEncryption"] == "AES256"
    assert replica["ContentType"] == "application/x-report" and replica["Metadata"] == {"owner": "finance"}
    assert s3.get_object_tagging(Bucket=destination, Key="docs/report.bin")["TagSet"] == [
        {"Key": "team", "Value": "blue"}
    ]
    assert s3.list_objects_v2(Bucket=destination).get("KeyCount") == 1
    # A tag change on the source follows; the version returns to COMPLETED.
    s3.put_object_tagging(Bucket=source, Key="docs/report.bin", Tagging={"TagSet": [{"Key": "team", "Value": "red"}]})
    assert settled(server, s3, source, "docs/report.bin", put["VersionId"]) == "COMPLETED"
    assert s3.get_object_tagging(Bucket=destination, Key="docs/report.bin")["TagSet"] == [
        {"Key": "team", "Value": "red"}
    ]


def test_multipart_object_keeps_its_parts(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    replicate(s3, source, role_for(iam, source, destination), rule(destination))
    upload = s3.create_multipart_upload(Bucket=source, Key="big")["UploadId"]
    chunks = [os.urandom(5 * 1024 * 1024), os.urandom(1234)]
    parts = [
        {
            "PartNumber": n,
            "ETag": s3.upload_part(Bucket=source, Key="big", UploadId=upload, PartNumber=n, Body=c)["ETag"],
        }
        for n, c in enumerate(chunks, 1)
    ]
    done = s3.complete_multipart_upload(Bucket=source, Key="big", UploadId=upload, MultipartUpload={"Parts": parts})
    assert settled(server, s3, source, "big", done["VersionId"]) == "COMPLETED"
    replica = s3.get_object(Bucket=destination, Key="big", PartNumber=2)
    assert replica["Body"].read() == chunks[1] and replica["PartsCount"] == 2
    assert s3.head_object(Bucket=destination, Key="big")["ETag"] == done["ETag"]


def test_copies_replicate_too(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    s3.put_object(Bucket=source, Key="original", Body=b"written before the configuration")
    replicate(s3, source, role_for(iam, source, destination), rule(destination))
    copy = s3.copy_object(Bucket=source, Key="copy", CopySource={"Bucket": source, "Key": "original"})
    assert settled(server, s3, source, "copy", copy["VersionId"]) == "COMPLETED"
    assert s3.get_object(Bucket=destination, Key="copy")["Body"].read() == b"written before the configuration"
    assert error_of(raised_by(s3.head_object, Bucket=destination, Key="original"))[0] == "404"


def test_object_lock_settings_replicate(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination, unlocked = unique("lsrc"), unique("ldst"), versioned(s3, "nolock")
    for name in (source, destination):
        s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    lock_actions = ["s3:GetObjectRetention", "s3:GetObjectLegalHold", "s3:PutObjectRetention", "s3:PutObjectLegalHold"]
    role = role_for(iam, source, "*", allow(lock_actions, "*"))
    replicate(s3, source, role, rule(destination, "locked"), rule(unlocked, "unlocked"))
    # dated by the server's clock, which other tests of the session may have moved forward
    server_now = datetime.fromisoformat(server.admin("GET", "clock")[1]["now"].replace("Z", "+00:00"))
    until = server_now.astimezone(UTC).replace(microsecond=0) + timedelta(days=2)
    put = s3.put_object(
        Bucket=source,
        Key="held",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )
    # A destination without Object Lock cannot take it: DstBucketObjectLockConfigMissing, the version FAILED.
    assert settled(server, s3, source, "held", put["VersionId"]) == "FAILED"
    report = status_cli(server, source)
    assert [(f["destination"], f["reason"].split(":")[0]) for f in report["failures"]] == [
        (unlocked, "DstBucketObjectLockConfigMissing")
    ]
    replica = s3.head_object(Bucket=destination, Key="held")
    assert replica["ObjectLockMode"] == "GOVERNANCE" and replica["ObjectLockRetainUntilDate"] == until
    assert replica["ObjectLockLegalHoldStatus"] == "ON"
    # A legal hold lifted at the source is lifted on the replica.
    s3.put_object_legal_hold(Bucket=source, Key="held", LegalHold={"Status": "OFF"})
    wait_until(
        server,
        lambda: s3.get_object_legal_hold(Bucket=destination, Key="held")["LegalHold"]["Status"] == "OFF",
    )


# -- cross Region, SSE-KMS -------------------------------------------------------------------------------------------


def test_cross_region_sse_kms_is_re_encrypted_under_the_replica_key(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(server.client("s3", region=EU), "dst", EU)
    source_key = server.client("kms").create_key(Description="source")["KeyMetadata"]["Arn"]
    replica_key = server.client("kms", region=EU).create_key(Description="replica")["KeyMetadata"]["Arn"]
    role = role_for(
        iam,
        source,
        destination,
        allow("kms:Decrypt", source_key),
        allow("kms:Encrypt", replica_key),
    )
    replicate(
        s3,
        source,
        role,
        rule(
            destination,
            SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            Destination={
                "Bucket": f"arn:aws:s3:::{destination}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key},
            },
        ),
    )
    body = b"kms-protected " * 1000
    put = s3.put_object(Bucket=source, Key="k", Body=body, ServerSideEncryption="aws:kms", SSEKMSKeyId=source_key)
    assert settled(server, s3, source, "k", put["VersionId"]) == "COMPLETED"
    eu = server.client("s3", region=EU)
    head = eu.head_object(Bucket=destination, Key="k")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == replica_key
    assert head["VersionId"] == put["VersionId"] and head["ReplicationStatus"] == "REPLICA"
    # Decrypting the replica takes the replica key alone; the source key opens nothing there.
    reader = make_user(iam, allow("s3:GetObject", f"arn:aws:s3:::{destination}/*"), allow("kms:Decrypt", replica_key))
    assert s3_for(server, reader, region=EU).get_object(Bucket=destination, Key="k")["Body"].read() == body
    source_reader = make_user(iam, allow("s3:GetObject", f"arn:aws:s3:::{source}/*"), allow("kms:Decrypt", replica_key))
    exc = raised_by(s3_for(server, source_reader).get_object, Bucket=source, Key="k")
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    # KMS recorded the replica key's Encrypt as the role's session, invoked by S3 in the destination's Region.
    role_name = role.rsplit("/", 1)[1]
    record = kms_record(server, "Encrypt", EU, f"assumed-role/{role_name}/s3-replication")
    assert record["userIdentity"]["invokedBy"] == "s3.amazonaws.com" and record["awsRegion"] == EU
    assert record["userIdentity"]["type"] == "AssumedRole"
    assert replica_key in json.dumps(record)
    assert kms_record(server, "Decrypt", "us-east-1", f"assumed-role/{role_name}/s3-replication")
    # DSSE-KMS replicates the same way, still two layers under the replica key.
    dsse = s3.put_object(Bucket=source, Key="d", Body=body, ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=source_key)
    assert settled(server, s3, source, "d", dsse["VersionId"]) == "COMPLETED"
    got = s3_for(server, reader, region=EU).get_object(Bucket=destination, Key="d")
    assert got["Body"].read() == body
    assert got["ServerSideEncryption"] == "aws:kms:dsse" and got["SSEKMSKeyId"] == replica_key


def kms_record(server: ServerProcess, event: str, region: str, session: str) -> dict[str, Any]:
    ct = server.client("cloudtrail", region=region)
    deadline = time.monotonic() + 10
    while True:
        attrs = [{"AttributeKey": "EventName", "AttributeValue": event}]
        for found in ct.lookup_events(LookupAttributes=attrs, MaxResults=50)["Events"]:
            record: dict[str, Any] = json.loads(found["CloudTrailEvent"])
            if record["userIdentity"].get("arn", "").endswith(session):
                return record
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event} record by {session}")
        time.sleep(0.1)


def test_kms_object_without_the_selection_criteria_is_not_replicated(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    replicate(s3, source, role_for(iam, source, destination), rule(destination))
    kms = s3.put_object(Bucket=source, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")
    plain = s3.put_object(Bucket=source, Key="plain", Body=b"x")
    assert settled(server, s3, source, "plain", plain["VersionId"]) == "COMPLETED"
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="kms", VersionId=kms["VersionId"])
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=destination)["Contents"]] == ["plain"]


# -- FAILED, then re-driven --------------------------------------------------------------------------------------------


def test_failed_then_completed_after_fixing_the_policy_and_redrive(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    source_key = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    replica_key = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    role = role_for(iam, source, destination, allow("kms:Decrypt", source_key))  # no kms:Encrypt on the replica key
    replicate(
        s3,
        source,
        role,
        rule(
            destination,
            SourceSelectionCriteria={"SseKmsEncryptedObjects": {"Status": "Enabled"}},
            Destination={
                "Bucket": f"arn:aws:s3:::{destination}",
                "EncryptionConfiguration": {"ReplicaKmsKeyID": replica_key},
            },
        ),
    )
    put = s3.put_object(
        Bucket=source, Key="doc", Body=b"secret", ServerSideEncryption="aws:kms", SSEKMSKeyId=source_key
    )
    assert settled(server, s3, source, "doc", put["VersionId"]) == "FAILED"
    assert s3.get_object(Bucket=source, Key="doc")["ReplicationStatus"] == "FAILED"
    assert error_of(raised_by(s3.head_object, Bucket=destination, Key="doc"))[0] == "404"
    report = status_cli(server, source)
    (failure,) = report["failures"]
    assert failure["key"] == "doc" and failure["reason"].startswith("DstPutObjectNotPermitted: ")
    assert "kms:Encrypt" in failure["reason"]
    assert report["rules"]["all"]["failed_operations"] == 1 and report["rules"]["all"]["pending_operations"] == 0

    iam.put_role_policy(
        RoleName=role.rsplit("/", 1)[1],
        PolicyName="encrypt",
        PolicyDocument=policy(allow("kms:Encrypt", replica_key)),
    )
    done = redrive_cli(server, source)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == ""  # no progress bar when stderr is not a terminal
    assert "queued 1 replication(s) of 1 version(s)" in done.stdout
    assert "completed: 1  failed: 0  still pending: 0" in done.stdout
    assert s3.head_object(Bucket=source, Key="doc")["ReplicationStatus"] == "COMPLETED"
    assert s3.get_object(Bucket=destination, Key="doc")["SSEKMSKeyId"] == replica_key
    report = status_cli(server, source)
    assert report["failures"] == [] and report["rules"]["all"]["completed_operations"] == 1
    # Nothing left to re-drive; the CLI says so.
    again = redrive_cli(server, source)
    assert again.returncode == 0 and "nothing to re-drive" in again.stdout


def test_redrive_replicates_objects_older_than_the_configuration(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    old = s3.put_object(Bucket=source, Key="old/1", Body=b"before")
    s3.put_object(Bucket=source, Key="new/1", Body=b"skipped by the prefix")
    replicate(s3, source, role_for(iam, source, destination), rule(destination))
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="old/1")
    done = redrive_cli(server, source, "--status", "NONE", "--prefix", "old/")
    assert done.returncode == 0 and "completed: 1" in done.stdout, done.stdout + done.stderr
    assert s3.get_object(Bucket=destination, Key="old/1")["VersionId"] == old["VersionId"]
    assert error_of(raised_by(s3.head_object, Bucket=destination, Key="new/1"))[0] == "404"


# -- delete markers --------------------------------------------------------------------------------------------------


def test_delete_markers(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, markers, quiet = versioned(s3, "src"), versioned(s3, "dm"), versioned(s3, "nodm")
    role = role_for(iam, source, "*")
    replicate(
        s3,
        source,
        role,
        rule(markers, "markers", DeleteMarkerReplication={"Status": "Enabled"}),
        rule(quiet, "quiet"),
    )
    put = s3.put_object(Bucket=source, Key="k", Body=b"v1")
    assert settled(server, s3, source, "k", put["VersionId"]) == "COMPLETED"
    marker = s3.delete_object(Bucket=source, Key="k")
    assert marker["DeleteMarker"] is True
    wait_until(server, lambda: "DeleteMarkers" in s3.list_object_versions(Bucket=markers))
    versions = s3.list_object_versions(Bucket=markers)
    assert versions["DeleteMarkers"][0]["VersionId"] == marker["VersionId"]
    assert versions["DeleteMarkers"][0]["IsLatest"] is True
    assert error_of(raised_by(s3.get_object, Bucket=markers, Key="k"))[0] == "NoSuchKey"
    # The rule without delete marker replication keeps the object visible.
    assert s3.get_object(Bucket=quiet, Key="k")["Body"].read() == b"v1"
    # Deleting a version by id is never replicated.
    s3.delete_object(Bucket=source, Key="k", VersionId=put["VersionId"])
    server.advance(0)
    assert s3.get_object(Bucket=markers, Key="k", VersionId=put["VersionId"])["Body"].read() == b"v1"


def wait_until(server: ServerProcess, check: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not replicated in time")
        server.advance(0)
        time.sleep(0.1)


# -- SSE-C -----------------------------------------------------------------------------------------------------------


def test_sse_c_objects_replicate_and_open_with_the_same_key(server: ServerProcess, s3: Any, iam: Any) -> None:
    source, destination, blocking = versioned(s3, "src"), versioned(s3, "dst"), versioned(s3, "blk")
    for bucket in (source, destination):
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=ALLOW_SSE_C)
    replicate(s3, source, role_for(iam, source, "*"), rule(destination, "open"), rule(blocking, "blocked"))
    raw = os.urandom(32)
    customer = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": raw}
    body = os.urandom(200_000)
    put = s3.put_object(Bucket=source, Key="c", Body=body, **customer)
    # One destination blocks SSE-C (the default for new buckets): the version reports FAILED.
    assert settled(server, s3, source, "c", put["VersionId"], **customer) == "FAILED"
    got = s3.get_object(Bucket=destination, Key="c", **customer)
    assert got["Body"].read() == body and got["VersionId"] == put["VersionId"]
    assert got["SSECustomerKeyMD5"] == base64.b64encode(hashlib.md5(raw).digest()).decode()
    assert error_of(raised_by(s3.get_object, Bucket=destination, Key="c"))[0] == "InvalidRequest"
    report = status_cli(server, source)
    assert [f["destination"] for f in report["failures"]] == [blocking]
    assert report["failures"][0]["reason"].startswith("DstPutObjectNotPermitted: ")


# -- cross account ---------------------------------------------------------------------------------------------------


def test_cross_account_needs_the_destination_bucket_policy(server: ServerProcess, s3: Any, iam: Any) -> None:
    account, creds = other_account(server)
    theirs = s3_for(server, creds)
    destination = versioned(theirs, "xdst")
    source = versioned(s3, "xsrc")
    role = role_for(
        iam, source, destination, allow("s3:ObjectOwnerOverrideToBucketOwner", f"arn:aws:s3:::{destination}/*")
    )
    replicate(
        s3,
        source,
        role,
        rule(
            destination,
            Destination={
                "Bucket": f"arn:aws:s3:::{destination}",
                "Account": account,
                "AccessControlTranslation": {"Owner": "Destination"},
            },
        ),
    )
    first = s3.put_object(Bucket=source, Key="a", Body=b"first")
    assert settled(server, s3, source, "a", first["VersionId"]) == "FAILED"  # no bucket policy lets the role in
    grant = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ObjectOwnerOverrideToBucketOwner"],
            "Resource": f"arn:aws:s3:::{destination}/*",
        }
    )
    theirs.put_bucket_policy(Bucket=destination, Policy=grant)
    second = s3.put_object(Bucket=source, Key="b", Body=b"second")
    assert settled(server, s3, source, "b", second["VersionId"]) == "COMPLETED"
    done = redrive_cli(server, source)
    assert done.returncode == 0, done.stdout + done.stderr
    assert s3.head_object(Bucket=source, Key="a")["ReplicationStatus"] == "COMPLETED"
    assert theirs.get_object(Bucket=destination, Key="a")["Body"].read() == b"first"
    owner = theirs.list_buckets()["Owner"]["ID"]
    versions = theirs.list_object_versions(Bucket=destination)["Versions"]
    assert {v["Owner"]["ID"] for v in versions} == {owner}


# -- durability ------------------------------------------------------------------------------------------------------


def test_replication_survives_a_kill_mid_queue(make_server: Any) -> None:
    from sqlalchemy import func, select

    from strongroom.core.config import sqlite_url
    from strongroom.services.s3.model import replication_queue
    from strongroom.store.engine import Store

    srv = make_server("--test-mode")
    srv.start()
    s3, iam = srv.client("s3"), srv.client("iam")
    source, destination = versioned(s3, "src"), versioned(s3, "dst")
    replicate(s3, source, role_for(iam, source, destination), rule(destination))
    bodies = {f"k{i:02d}": os.urandom(2 * 1024 * 1024) for i in range(24)}
    versions = {key: s3.put_object(Bucket=source, Key=key, Body=body)["VersionId"] for key, body in bodies.items()}
    srv.stop(signal.SIGKILL)  # kill -9 with replications queued or in flight
    store = Store(sqlite_url(srv.data_dir.resolve()))
    try:
        with store.read() as conn:
            pending = conn.execute(select(func.count()).select_from(replication_queue)).scalar_one()
    finally:
        store.dispose()
    assert pending > 0, "every replication finished before the kill: the test proves nothing"
    srv.start()
    srv.advance(61)  # a job the killed node had leased becomes free once its lease (60 s) has run out
    s3 = srv.client("s3")
    for key, version in versions.items():
        assert settled(srv, s3, source, key, version) == "COMPLETED"
        assert s3.get_object(Bucket=destination, Key=key)["Body"].read() == bodies[key]
