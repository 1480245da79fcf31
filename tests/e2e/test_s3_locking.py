"""S3 Object Lock end to end: COMPLIANCE and GOVERNANCE retention, the governance bypass and its permission, legal
holds, default retention, and the refusals on buckets without Object Lock."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.e2e.access_support import allow, deny, make_user
from tests.e2e.s3_support import new_bucket, s3_for
from tests.support.errors import code_of_call as code_of
from tests.support.errors import error_of, raised_by
from tests.support.server import ServerProcess

PROTECTED = "Access Denied because object protected by object lock."


@pytest.fixture
def s3(server: ServerProcess) -> Any:
    return server.client("s3")


@pytest.fixture
def locked(s3: Any) -> str:
    return new_bucket(s3, "lock", ObjectLockEnabledForBucket=True)


def server_now(s3: Any, bucket: str) -> datetime:
    """The server's clock (tests may have moved it forward): the LastModified of a fresh write."""
    s3.put_object(Bucket=bucket, Key="clock", Body=b"")
    moment: datetime = s3.head_object(Bucket=bucket, Key="clock")["LastModified"]
    return moment


def test_lock_enabled_bucket(s3: Any, locked: str) -> None:
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    config = s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"]
    assert config == {"ObjectLockEnabled": "Enabled"}
    exc = raised_by(s3.put_bucket_versioning, Bucket=locked, VersioningConfiguration={"Status": "Suspended"})
    assert error_of(exc)[0::2] == ("InvalidBucketState", 409)


def test_compliance_retention(s3: Any, locked: str) -> None:
    now = server_now(s3, locked)
    until = now + timedelta(days=30)
    put = s3.put_object(
        Bucket=locked, Key="c", Body=b"keep", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )
    version = put["VersionId"]
    head = s3.head_object(Bucket=locked, Key="c")
    assert head["ObjectLockMode"] == "COMPLIANCE" and head["ObjectLockRetainUntilDate"] == until
    assert s3.get_object_retention(Bucket=locked, Key="c")["Retention"] == {
        "Mode": "COMPLIANCE",
        "RetainUntilDate": until,
    }
    # Never shortened, never weakened to GOVERNANCE, not even with the bypass.
    for retention, bypass in (
        ({"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(days=1)}, False),
        ({"Mode": "GOVERNANCE", "RetainUntilDate": until}, True),
        ({"Mode": "COMPLIANCE", "RetainUntilDate": until - timedelta(days=1)}, True),
    ):
        exc = raised_by(
            s3.put_object_retention, Bucket=locked, Key="c", Retention=retention, BypassGovernanceRetention=bypass
        )
        assert error_of(exc) == ("AccessDenied", PROTECTED, 403)
    # Extending is fine.
    later = until + timedelta(days=10)
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": later})
    assert s3.get_object_retention(Bucket=locked, Key="c")["Retention"]["RetainUntilDate"] == later
    # The version cannot be deleted, by anyone.
    for bypass in (False, True):
        exc = raised_by(s3.delete_object, Bucket=locked, Key="c", VersionId=version, BypassGovernanceRetention=bypass)
        assert error_of(exc) == ("AccessDenied", PROTECTED, 403)
    out = s3.delete_objects(Bucket=locked, Delete={"Objects": [{"Key": "c", "VersionId": version}]})
    assert [(e["Key"], e["Code"]) for e in out["Errors"]] == [("c", "AccessDenied")]
    # Deleting without a version id only adds a delete marker, which is allowed; the version survives it.
    marker = s3.delete_object(Bucket=locked, Key="c")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=locked, Key="c", VersionId=version)["Body"].read() == b"keep"


def test_governance_retention_and_the_bypass(server: ServerProcess, s3: Any, locked: str) -> None:
    now = server_now(s3, locked)
    until = now + timedelta(days=5)
    versions = [
        s3.put_object(
            Bucket=locked, Key="g", Body=str(i).encode(), ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
        )["VersionId"]
        for i in range(3)
    ]
    iam = server.client("iam")
    # A user allowed everything but the bypass.
    no_bypass = s3_for(server, make_user(iam, allow("s3:*", "*"), deny("s3:BypassGovernanceRetention", "*")))
    with_bypass = s3_for(server, make_user(iam, allow("s3:*", "*")))
    # Without the header, nobody deletes the version; with it, only a caller holding the permission.
    for client in (s3, no_bypass, with_bypass):
        exc = raised_by(client.delete_object, Bucket=locked, Key="g", VersionId=versions[0])
        assert error_of(exc) == ("AccessDenied", PROTECTED, 403)
    exc = raised_by(
        no_bypass.delete_object, Bucket=locked, Key="g", VersionId=versions[0], BypassGovernanceRetention=True
    )
    assert error_of(exc)[0::2] == ("AccessDenied", 403)
    with_bypass.delete_object(Bucket=locked, Key="g", VersionId=versions[0], BypassGovernanceRetention=True)
    assert code_of(s3.head_object, Bucket=locked, Key="g", VersionId=versions[0]) == "404"
    s3.delete_object(Bucket=locked, Key="g", VersionId=versions[1], BypassGovernanceRetention=True)  # root
    # Shortening or removing a GOVERNANCE retention takes the bypass too; raising it to COMPLIANCE does not.
    shorter = {"Mode": "GOVERNANCE", "RetainUntilDate": until - timedelta(days=1)}
    exc = raised_by(s3.put_object_retention, Bucket=locked, Key="g", VersionId=versions[2], Retention=shorter)
    assert error_of(exc) == ("AccessDenied", PROTECTED, 403)
    assert (
        code_of(
            no_bypass.put_object_retention,
            Bucket=locked,
            Key="g",
            VersionId=versions[2],
            Retention=shorter,
            BypassGovernanceRetention=True,
        )
        == "AccessDenied"
    )
    with_bypass.put_object_retention(
        Bucket=locked, Key="g", VersionId=versions[2], Retention=shorter, BypassGovernanceRetention=True
    )
    s3.put_object_retention(
        Bucket=locked,
        Key="g",
        VersionId=versions[2],
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
    )
    assert (
        code_of(s3.delete_object, Bucket=locked, Key="g", VersionId=versions[2], BypassGovernanceRetention=True)
        == "AccessDenied"
    )


def test_legal_hold_blocks_delete(s3: Any, locked: str) -> None:
    version = s3.put_object(Bucket=locked, Key="h", Body=b"held", ObjectLockLegalHoldStatus="ON")["VersionId"]
    assert s3.get_object_legal_hold(Bucket=locked, Key="h")["LegalHold"] == {"Status": "ON"}
    assert s3.head_object(Bucket=locked, Key="h")["ObjectLockLegalHoldStatus"] == "ON"
    for bypass in (False, True):
        exc = raised_by(s3.delete_object, Bucket=locked, Key="h", VersionId=version, BypassGovernanceRetention=bypass)
        assert error_of(exc) == ("AccessDenied", PROTECTED, 403)
    s3.put_object_legal_hold(Bucket=locked, Key="h", LegalHold={"Status": "OFF"})
    assert s3.get_object_legal_hold(Bucket=locked, Key="h")["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=locked, Key="h", VersionId=version)
    # A hold can be put on an existing version, by id.
    other = s3.put_object(Bucket=locked, Key="h2", Body=b"x")["VersionId"]
    s3.put_object_legal_hold(Bucket=locked, Key="h2", VersionId=other, LegalHold={"Status": "ON"})
    assert code_of(s3.delete_object, Bucket=locked, Key="h2", VersionId=other) == "AccessDenied"
    s3.put_object_legal_hold(Bucket=locked, Key="h2", VersionId=other, LegalHold={"Status": "OFF"})


def test_retention_expires_with_the_clock(server: ServerProcess, s3: Any, locked: str) -> None:
    now = server_now(s3, locked)
    until = now + timedelta(seconds=30)
    version = s3.put_object(
        Bucket=locked, Key="short", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    assert code_of(s3.delete_object, Bucket=locked, Key="short", VersionId=version) == "AccessDenied"
    server.advance(31)
    s3.delete_object(Bucket=locked, Key="short", VersionId=version)


def test_default_retention(s3: Any) -> None:
    bucket = new_bucket(s3, "lockdef")
    # Object Lock on an existing bucket needs versioning first.
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}}
    exc = raised_by(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=config)
    assert error_of(exc)[0::2] == ("InvalidBucketState", 409)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config
    now = server_now(s3, bucket)
    head = s3.head_object(Bucket=bucket, Key="clock")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert (
        timedelta(days=2) - timedelta(minutes=1)
        <= head["ObjectLockRetainUntilDate"] - now
        <= timedelta(days=2, minutes=1)
    )
    # An explicit retention beats the default.
    until = now + timedelta(days=9)
    s3.put_object(
        Bucket=bucket, Key="explicit", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until
    )
    assert s3.head_object(Bucket=bucket, Key="explicit")["ObjectLockMode"] == "COMPLIANCE"
    # Invalid default retention periods.
    for bad, code in (
        ({"Mode": "GOVERNANCE", "Days": 0}, "InvalidRetentionPeriod"),
        ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
    ):
        wrong = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": bad}}
        exc = raised_by(s3.put_object_lock_configuration, Bucket=bucket, ObjectLockConfiguration=wrong)
        assert error_of(exc)[0::2] == (code, 400), bad


def test_refusals_without_object_lock(s3: Any) -> None:
    bucket = new_bucket(s3, "nolock")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    until = server_now(s3, bucket) + timedelta(days=1)
    exc = raised_by(
        s3.put_object, Bucket=bucket, Key="k2", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )
    assert error_of(exc) == ("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)
    exc = raised_by(
        s3.put_object_retention, Bucket=bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    assert error_of(exc)[0::2] == ("InvalidRequest", 400)
    assert code_of(s3.put_object_legal_hold, Bucket=bucket, Key="k", LegalHold={"Status": "ON"}) == "InvalidRequest"
    assert code_of(s3.get_object_lock_configuration, Bucket=bucket) == "ObjectLockConfigurationNotFoundError"
    # On a locked bucket: a date in the past, or a mode without a date.
    locked = new_bucket(s3, "lockbad", ObjectLockEnabledForBucket=True)
    past = server_now(s3, locked) - timedelta(days=1)
    exc = raised_by(
        s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=past
    )
    assert error_of(exc)[0::2] == ("InvalidArgument", 400)
    assert code_of(s3.put_object, Bucket=locked, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE") == "InvalidArgument"
    assert code_of(s3.get_object_retention, Bucket=locked, Key="clock") == "NoSuchObjectLockConfiguration"
