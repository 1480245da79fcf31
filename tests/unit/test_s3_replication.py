"""S3 replication's decisions (``services/s3/replication_rules.py``): PutBucketReplication's validation, which rule
replicates a version to which destination (filters, priorities, selection criteria, delete markers, replica
modifications), the aggregate status and failure reasons, the role's trust; and its queue
(``replication_state.py``): queuing, re-drive, progress and metrics on a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from strongroom.core.errors import AwsError
from strongroom.iam.directory import RoleRecord
from strongroom.scheduler.model import jobs
from strongroom.services.s3.replication_rules import (
    COMPLETED,
    FAILED,
    PENDING,
    REPLICA,
    aggregate,
    bucket_of_arn,
    choose,
    destinations,
    filter_matches,
    kms_failure,
    mrk_in_region,
    rules_of,
    trusts_s3,
    uses_tags,
    validate,
)
from strongroom.store.engine import Store

try:
    from strongroom.services.s3 import replication_state
    from strongroom.services.s3.model import bucket_configs, buckets, objects, replication_queue
except ImportError:  # the queue's tables are declared in services/s3/model.py with migration 0014
    replication_state = None  # type: ignore[assignment]

ROLE = "arn:aws:iam::111122223333:role/replication"
MALFORMED = "The XML you provided was not well-formed or did not validate against our published schema"


def rule(rule_id: str, priority: int, dest: str = "dst", flt: dict[str, Any] | None = None, **more: Any) -> dict:
    out: dict[str, Any] = {
        "ID": rule_id,
        "Priority": priority,
        "Status": "Enabled",
        "Filter": flt if flt is not None else {},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{dest}"},
    }
    out.update(more)
    return out


def config(*rules: dict[str, Any]) -> dict[str, Any]:
    return {"Role": ROLE, "Rules": list(rules)}


def refused(document: Any) -> tuple[str, str]:
    with pytest.raises(AwsError) as info:
        validate(document, "src")
    return info.value.code, info.value.message


# -- PutBucketReplication's document ---------------------------------------------------------------------------------

KMS_CRITERIA = {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
TAG = {"Key": "k", "Value": "v"}

REFUSED = [
    pytest.param({"Role": ROLE, "Rules": []}, ("MalformedXML", MALFORMED), id="no-rules"),
    pytest.param({"Rules": [rule("a", 1)]}, ("MalformedXML", MALFORMED), id="no-role"),
    pytest.param(
        {"Role": "arn:aws:iam::111122223333:user/u", "Rules": [rule("a", 1)]},
        ("InvalidArgument", "Invalid Role specified in replication configuration"),
        id="role-not-a-role",
    ),
    pytest.param(config({**rule("a", 1), "Status": "On"}), ("MalformedXML", MALFORMED), id="bad-status"),
    pytest.param(
        config({k: v for k, v in rule("a", 1).items() if k != "Priority"}),
        (
            "InvalidRequest",
            "Priority must be specified for this version of Cross Region Replication configuration schema. Please "
            "refer to S3 Developer Guide for more information.",
        ),
        id="v2-needs-priority",
    ),
    pytest.param(
        config({k: v for k, v in rule("a", 1).items() if k != "DeleteMarkerReplication"}),
        (
            "InvalidRequest",
            "DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration "
            "schema. Please refer to S3 Developer Guide for more information.",
        ),
        id="v2-needs-delete-marker-replication",
    ),
    pytest.param(
        config(
            {"ID": "a", "Status": "Enabled", "Prefix": "x", "Priority": 1, "Destination": {"Bucket": "arn:aws:s3:::d"}}
        ),
        (
            "InvalidRequest",
            "Priority cannot be used for this version of Cross Region Replication configuration schema. Please refer "
            "to S3 Developer Guide for more information.",
        ),
        id="v1-has-no-priority",
    ),
    pytest.param(
        config(rule("a", 1, flt={"Prefix": "x", "Tag": TAG})), ("MalformedXML", MALFORMED), id="filter-two-members"
    ),
    pytest.param(config(rule("a", 1, flt={"Not": {}})), ("MalformedXML", MALFORMED), id="empty-not"),
    pytest.param(
        config(rule("a", 1, flt={"Not": {"Prefix": "x", "Tag": TAG}})), ("MalformedXML", MALFORMED), id="not-two"
    ),
    pytest.param(
        config(rule("a", 1, flt={"Tag": TAG}, DeleteMarkerReplication={"Status": "Enabled"})),
        (
            "InvalidRequest",
            "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer "
            "Guide for more information.",
        ),
        id="delete-markers-with-tag",
    ),
    pytest.param(
        config(rule("a", 1, flt={"Not": {"Or": {"Tags": [TAG]}}}, DeleteMarkerReplication={"Status": "Enabled"})),
        (
            "InvalidRequest",
            "Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer "
            "Guide for more information.",
        ),
        id="delete-markers-with-tag-in-not-or",
    ),
    pytest.param(
        config(rule("a", 1, flt={"And": {"Tags": [TAG, TAG]}})),
        ("InvalidRequest", "Duplicate Tag Keys are not allowed."),
        id="duplicate-tag-keys",
    ),
    pytest.param(
        config(rule("a", 1), rule("a", 2)),
        ("InvalidArgument", "Rule Id must be unique"),
        id="duplicate-ids",
    ),
    pytest.param(
        config(rule("a", 1), rule("b", 1)),
        ("InvalidRequest", "Found duplicate priority 1."),
        id="duplicate-priority-same-destination",
    ),
    pytest.param(
        config(rule("a", 1, dest="src")),
        ("InvalidRequest", "Destination bucket cannot be the same as the source bucket."),
        id="destination-is-source",
    ),
    pytest.param(
        config(rule("a", 1, Destination={"Bucket": "dst"})),
        ("InvalidArgument", "Invalid bucket ARN."),
        id="destination-not-an-arn",
    ),
    pytest.param(
        config(rule("a", 1, SourceSelectionCriteria=KMS_CRITERIA)),
        ("InvalidRequest", "ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present."),
        id="kms-needs-replica-key",
    ),
    pytest.param(
        config(
            rule(
                "a",
                1,
                Destination={"Bucket": "arn:aws:s3:::dst", "EncryptionConfiguration": {"ReplicaKmsKeyID": "k"}},
            )
        ),
        ("InvalidRequest", "SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present."),
        id="replica-key-needs-kms-criteria",
    ),
    pytest.param(
        config(
            rule(
                "a",
                1,
                Destination={"Bucket": "arn:aws:s3:::dst", "AccessControlTranslation": {"Owner": "Destination"}},
            )
        ),
        ("InvalidRequest", "Account must be specified if the Owner in AccessControlTranslation has a value"),
        id="owner-override-needs-account",
    ),
    pytest.param(
        config(
            rule(
                "a",
                1,
                Destination={
                    "Bucket": "arn:aws:s3:::dst",
                    "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
                },
            )
        ),
        ("InvalidRequest", "Replication destination must contain both ReplicationTime and Metrics or neither."),
        id="rtc-needs-metrics",
    ),
    pytest.param(
        config(rule("a", 1, SourceSelectionCriteria={})),
        ("InvalidRequest", "SourceSelectionCriteria cannot be empty."),
        id="empty-criteria",
    ),
    pytest.param(
        config({"ID": "x" * 256, **{k: v for k, v in rule("a", 1).items() if k != "ID"}}),
        ("InvalidArgument", "ID length should not exceed allowed limit of 255"),
        id="long-id",
    ),
]


@pytest.mark.parametrize(("document", "expected"), REFUSED)
def test_refused_configurations(document: Any, expected: tuple[str, str]) -> None:
    assert refused(document) == expected


def test_valid_configuration_is_stored_with_ids() -> None:
    stored = validate(
        config(
            {k: v for k, v in rule("", 1).items() if k != "ID"},
            rule("kms", 2, flt={"Prefix": "tax/"}, SourceSelectionCriteria=KMS_CRITERIA)
            | {"Destination": {"Bucket": "arn:aws:s3:::dst", "EncryptionConfiguration": {"ReplicaKmsKeyID": "key"}}},
            rule("other", 1, dest="dst2", Destination={"Bucket": "arn:aws:s3:::dst2", "StorageClass": None}),
        ),
        "src",
    )
    assert stored["Role"] == ROLE
    generated = stored["Rules"][0]["ID"]
    assert generated and len(generated) <= 255  # S3 names a rule sent without one
    assert stored["Rules"][2]["Destination"] == {"Bucket": "arn:aws:s3:::dst2", "StorageClass": None}
    assert destinations(stored) == ["dst", "dst2"]  # priority 1 twice is fine across destinations


def test_v1_configuration() -> None:
    stored = validate(
        config({"Status": "Enabled", "Prefix": "logs/", "Destination": {"Bucket": "arn:aws:s3:::d"}}), "s"
    )
    (only,) = rules_of(stored)
    assert not only.v2 and only.prefix == "logs/" and only.delete_markers  # V1 replicates user delete markers


def test_bucket_of_arn() -> None:
    assert bucket_of_arn("arn:aws:s3:::my.bucket") == "my.bucket"
    assert bucket_of_arn("arn:aws:s3:::b/key") is None
    assert bucket_of_arn("my-bucket") is None


# -- filters ---------------------------------------------------------------------------------------------------------

FILTERS = [
    ({}, "any/key", {}, True),
    ({"Prefix": ""}, "any", {}, True),
    ({"Prefix": "tax/"}, "tax/2024.pdf", {}, True),
    ({"Prefix": "tax/"}, "taxes", {}, False),
    ({"Tag": TAG}, "k", {"k": "v"}, True),
    ({"Tag": TAG}, "k", {"k": "w"}, False),
    ({"And": {"Prefix": "a/", "Tags": [TAG, {"Key": "x", "Value": ""}]}}, "a/1", {"k": "v", "x": ""}, True),
    ({"And": {"Prefix": "a/", "Tags": [TAG]}}, "b/1", {"k": "v"}, False),
    ({"And": {"Prefix": "a/", "Tags": [TAG]}}, "a/1", {}, False),
    ({"Not": {"Prefix": "tmp/"}}, "tmp/x", {}, False),
    ({"Not": {"Prefix": "tmp/"}}, "keep/x", {}, True),
    ({"Not": {"Tag": TAG}}, "x", {"k": "v"}, False),
    ({"Not": {"Or": {"Prefixes": ["a/", "b/"], "Tags": [TAG]}}}, "b/x", {}, False),
    ({"Not": {"Or": {"Prefixes": ["a/", "b/"], "Tags": [TAG]}}}, "c/x", {"k": "v"}, False),
    ({"Not": {"Or": {"Prefixes": ["a/", "b/"], "Tags": [TAG]}}}, "c/x", {"k": "w"}, True),
    ({"And": {"Prefix": "a/", "Not": {"Prefix": "a/tmp/"}}}, "a/tmp/1", {}, False),
    ({"And": {"Prefix": "a/", "Not": {"Prefix": "a/tmp/"}}}, "a/keep", {}, True),
]


@pytest.mark.parametrize(("flt", "key", "tags", "expected"), FILTERS)
def test_filter_matches(flt: dict[str, Any], key: str, tags: dict[str, str], expected: bool) -> None:
    assert filter_matches(flt, key, tags) is expected


def test_uses_tags_anywhere() -> None:
    assert not uses_tags({"Prefix": "a"}) and not uses_tags({}) and not uses_tags(None)
    assert uses_tags({"Tag": TAG}) and uses_tags({"And": {"Tags": [TAG]}})
    assert uses_tags({"Not": {"Tag": TAG}}) and uses_tags({"And": {"Not": {"Or": {"Tags": [TAG]}}}})


# -- choosing rules --------------------------------------------------------------------------------------------------


def chosen(*rules: dict[str, Any], **facts: Any) -> dict[str, str]:
    found = choose(rules_of(config(*rules)), **{"key": "k", "tags": {}, **facts})
    return {dest: r.id for dest, r in found.items()}


def test_highest_priority_wins_per_destination() -> None:
    # AWS's overlapping-prefix example: star/ (1) and starship (2) both match starship-x; 2 wins.
    star = rule("star", 1, flt={"Prefix": "star"})
    ship = rule("ship", 2, flt={"Prefix": "starship"})
    assert chosen(star, ship, key="starship-x") == {"dst": "ship"}
    assert chosen(star, ship, key="stars") == {"dst": "star"}
    # Rules to other destinations all apply.
    assert chosen(star, rule("copy", 1, dest="dst2"), key="star") == {"dst": "star", "dst2": "copy"}


def test_disabled_rules_and_no_match() -> None:
    off = {**rule("off", 9), "Status": "Disabled"}
    assert chosen(off, rule("on", 1, flt={"Prefix": "x"}), key="y") == {}
    assert chosen(off, rule("on", 1), key="y") == {"dst": "on"}


def test_kms_objects_need_the_selection_criteria() -> None:
    kms = rule("kms", 1, SourceSelectionCriteria=KMS_CRITERIA)
    plain = rule("plain", 5)
    assert chosen(plain, kms, kms=True) == {"dst": "kms"}  # the rule that selects SSE-KMS objects takes them
    assert chosen(plain, kms, kms=False) == {"dst": "plain"}
    assert chosen(plain, kms=True) == {}


def test_delete_markers_follow_the_chosen_rule() -> None:
    with_markers = rule("markers", 1, flt={"Prefix": "a"}, DeleteMarkerReplication={"Status": "Enabled"})
    without = rule("quiet", 2, flt={"Prefix": "ab"})
    assert chosen(with_markers, without, key="abc", delete_marker=True) == {}  # the higher rule says no
    assert chosen(with_markers, without, key="axe", delete_marker=True) == {"dst": "markers"}
    # A marker has no tags: a tag rule never selects one.
    tagged = rule("tagged", 3, flt={"Tag": TAG})
    assert chosen(with_markers, tagged, key="a", tags={"k": "v"}, delete_marker=True) == {"dst": "markers"}
    v1 = config({"Status": "Enabled", "Prefix": "", "Destination": {"Bucket": "arn:aws:s3:::d"}})
    assert list(choose(rules_of(v1), key="x", tags={}, delete_marker=True)) == ["d"]


def test_replica_modifications() -> None:
    sync = rule("sync", 1, SourceSelectionCriteria={"ReplicaModifications": {"Status": "Enabled"}})
    assert chosen(sync, replica=True) == {"dst": "sync"}
    assert chosen(rule("plain", 1), replica=True) == {}


# -- status and failures ---------------------------------------------------------------------------------------------

AGGREGATES = [
    ([], COMPLETED, COMPLETED),
    ([PENDING, FAILED], COMPLETED, PENDING),  # PENDING "until replication has completed for all destinations"
    ([FAILED], COMPLETED, FAILED),
    ([FAILED, PENDING, FAILED], REPLICA, PENDING),
    ([], REPLICA, REPLICA),  # a replica whose modifications synced back
    ([FAILED], REPLICA, FAILED),
]


@pytest.mark.parametrize(("statuses", "origin", "expected"), AGGREGATES)
def test_aggregate(statuses: list[str], origin: str, expected: str) -> None:
    assert aggregate(statuses, origin) == expected


KMS_ERRORS = [
    ("Src", "AccessDenied", "SrcGetObjectNotPermitted"),
    ("Dst", "AccessDeniedException", "DstPutObjectNotPermitted"),
    ("Dst", "NotFoundException", "DstKmsKeyNotFound"),
    ("Src", "KMS.NotFoundException", "SrcKmsKeyInvalidState"),
    ("Dst", "DisabledException", "DstKmsKeyInvalidState"),
    ("Src", "KMS.KMSInvalidStateException", "SrcKmsKeyInvalidState"),
    ("Dst", "ThrottlingException", None),  # temporary: the version stays PENDING
    ("Src", "InternalFailure", None),
]


@pytest.mark.parametrize(("side", "code", "reason"), KMS_ERRORS)
def test_kms_failures(side: str, code: str, reason: str | None) -> None:
    found = kms_failure(side, AwsError("message", code=code))
    assert (found.reason if found else None) == reason
    if found:
        assert str(found) == f"{reason}: {code}: message"


def test_multi_region_key_in_another_region() -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd"
    assert mrk_in_region(arn, "eu-west-1") == "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd"
    assert mrk_in_region("arn:aws:kms:us-east-1:111122223333:key/1234abcd", "eu-west-1") is None
    assert mrk_in_region(None, "eu-west-1") is None


def role_trusting(statement: dict[str, Any]) -> RoleRecord:
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return RoleRecord("111122223333", "r", "AROAEXAMPLE", "/", ROLE, when, document, None, 3600, None, None, None)


TRUSTS = [
    ({"Effect": "Allow", "Principal": {"Service": "s3.amazonaws.com"}, "Action": "sts:AssumeRole"}, True),
    ({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}, False),
    ({"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"}, False),
    (
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}},
        },
        True,
    ),
    (
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::other-*"}},
        },
        False,
    ),
]


@pytest.mark.parametrize(("statement", "expected"), TRUSTS)
def test_role_trust(statement: dict[str, Any], expected: bool) -> None:
    assert trusts_s3(role_trusting(statement), "111122223333", "arn:aws:s3:::src") is expected


# -- the queue, on a real database -----------------------------------------------------------------------------------

needs_tables = pytest.mark.skipif(replication_state is None, reason="services/s3/model.py lacks the replication tables")
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def seed(store: Store, document: dict[str, Any], *versions: dict[str, Any]) -> None:
    with store.write() as conn:
        for name in ("src", "dst", "dst2"):
            conn.execute(
                insert(buckets).values(
                    name=name, account_id="111122223333", region="us-east-1", created_at=NOW, versioning="Enabled"
                )
            )
        conn.execute(insert(bucket_configs).values(bucket="src", kind="replication", document=json.dumps(document)))
        for seq, version in enumerate(versions, 1):
            conn.execute(
                insert(objects).values(
                    bucket="src",
                    sequence=seq,
                    is_latest=True,
                    last_modified=NOW,
                    owner="111122223333",
                    **{"size": 10, "tags": "{}", "encryption": '{"mode": "AES256"}', **version},
                )
            )


def queue_rows(store: Store) -> list[dict[str, Any]]:
    with store.read() as conn:
        return [dict(r) for r in conn.execute(select(replication_queue).order_by(replication_queue.c.key)).mappings()]


def status_of(store: Store, version_id: str) -> str | None:
    with store.read() as conn:
        return conn.execute(select(objects.c.replication_status).where(objects.c.version_id == version_id)).scalar()


@needs_tables
def test_enqueue_then_redrive(store: Store) -> None:
    document = validate(config(rule("all", 1), rule("logs", 1, dest="dst2", flt={"Prefix": "logs/"})), "src")
    seed(
        store,
        document,
        {"key": "logs/a", "version_id": "v1"},
        {"key": "other", "version_id": "v2"},
        {"key": "old", "version_id": "v3", "replication_status": None},
        {"key": "copy", "version_id": "v4", "replication_status": REPLICA},
    )
    with store.write() as conn:
        for version in ("v1", "v2"):
            row = dict(conn.execute(select(objects).where(objects.c.version_id == version)).mappings().one())
            replication_state.enqueue(
                conn, "src", row, replication_state.chosen_for(document, row), "object", COMPLETED, NOW
            )
    rows = queue_rows(store)
    assert [(r["key"], r["destination"], r["status"], r["size"]) for r in rows] == [
        ("logs/a", "dst", PENDING, 10),
        ("logs/a", "dst2", PENDING, 10),
        ("other", "dst", PENDING, 10),
    ]
    assert status_of(store, "v1") == PENDING and status_of(store, "v3") is None
    with store.read() as conn:
        scheduled = conn.execute(select(jobs.c.job_id).order_by(jobs.c.job_id)).scalars().all()
    assert scheduled == ["s3-replication:src/v1", "s3-replication:src/v2"]
    # One destination fails; the re-drive puts it back, moving its generation on (a stale run settles nothing).
    with store.write() as conn:
        conn.execute(
            update(replication_queue)
            .where(replication_queue.c.version_id == "v1", replication_queue.c.destination == "dst2")
            .values(status=FAILED, reason="DstPutObjectNotPermitted: denied")
        )
        conn.execute(  # v2 completed
            delete(replication_queue).where(
                replication_queue.c.version_id == "v2", replication_queue.c.destination == "dst"
            )
        )
    target = replication_state.Target
    targets = [
        target("src", "logs/a", "v1", "dst"),
        target("src", "other", "v2", "dst"),
        target("src", "logs/a", "v1", "dst2"),
    ]
    outcome = replication_state.progress(store, targets)
    assert (outcome.completed, outcome.pending) == (1, 1)
    assert [(t.destination, reason) for t, reason in outcome.failed] == [("dst2", "DstPutObjectNotPermitted: denied")]
    redriven = replication_state.redrive(store, "src", prefix="logs/")
    assert redriven == [target("src", "logs/a", "v1", "dst2")]
    again = {r["destination"]: r for r in queue_rows(store) if r["version_id"] == "v1"}
    assert again["dst2"]["status"] == PENDING and again["dst2"]["generation"] == 2 and again["dst2"]["reason"] is None
    # NONE: objects never replicated; REPLICA: replicas (their status comes back to REPLICA once done).
    queued = replication_state.redrive(store, "src", statuses=["NONE", "REPLICA"])
    assert sorted((t.key, t.destination) for t in queued) == [("copy", "dst"), ("old", "dst")]
    origins = {r["key"]: r["origin"] for r in queue_rows(store)}
    assert origins["copy"] == REPLICA and origins["old"] == COMPLETED
    report = replication_state.metrics(store, "src")
    assert report["rules"]["all"]["pending_operations"] == 3 and report["rules"]["all"]["pending_bytes"] == 30
    assert report["rules"]["logs"]["pending_operations"] == 1


@needs_tables
def test_metadata_never_downgrades_a_pending_copy(store: Store) -> None:
    document = validate(config(rule("all", 1)), "src")
    seed(store, document, {"key": "k", "version_id": "v1", "size": 7})
    with store.write() as conn:
        row = dict(conn.execute(select(objects)).mappings().one())
        chosen = replication_state.chosen_for(document, row)
        replication_state.enqueue(conn, "src", row, chosen, "object", COMPLETED, NOW)
        replication_state.enqueue(conn, "src", row, chosen, "metadata", COMPLETED, NOW)
    (only,) = queue_rows(store)
    assert (only["operation"], only["size"], only["generation"]) == ("object", 7, 2)


@needs_tables
def test_redrive_needs_a_configuration(store: Store) -> None:
    with pytest.raises(LookupError, match="no bucket named nope"):
        replication_state.redrive(store, "nope")
    seed(store, validate(config(rule("all", 1)), "src"))
    with store.write() as conn:
        conn.execute(update(bucket_configs).values(kind="other"))
    with pytest.raises(LookupError, match="src has no replication configuration"):
        replication_state.metrics(store, "src")
