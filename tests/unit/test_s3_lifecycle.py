"""S3 Lifecycle rule evaluation (services/s3/lifecycle.py), pure: the expiry-date arithmetic, the rule filters, and
what a pass decides for one key's versions or one multipart upload.

The dates of the first table are the S3 User Guide's own examples ("Lifecycle configuration elements")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from strongroom.services.s3.lifecycle import (
    Action,
    Rule,
    Version,
    abort_rule,
    after_days,
    expiration_header,
    is_locked,
    next_midnight,
    parse_rules,
    plan_key,
    plan_upload,
)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if "+" not in text else datetime.fromisoformat(text)


# -- the arithmetic --------------------------------------------------------------------------------------------------

AFTER_DAYS = [
    # created, days, expires
    ("2014-01-15T10:30:00", 3, "2014-01-19T00:00:00"),  # "created at 1/15/2014 10:30 AM UTC ... 3 days ... 1/19/2014"
    ("2014-01-02T11:30:00", 5, "2014-01-08T00:00:00"),  # photo.gif: deleted 1/2 11:30, 5 noncurrent days -> 1/8
    ("2014-01-15T00:00:00", 3, "2014-01-19T00:00:00"),  # exactly midnight: still the *next* day's midnight
    ("2014-01-15T23:59:59", 1, "2014-01-17T00:00:00"),
    ("2024-02-28T12:00:00", 1, "2024-03-01T00:00:00"),  # leap year
    ("2023-02-28T12:00:00", 1, "2023-03-02T00:00:00"),
    ("2024-12-31T18:00:00", 1, "2025-01-02T00:00:00"),  # across the year
    ("2014-01-15T01:00:00+02:00", 1, "2014-01-16T00:00:00"),  # 23:00 UTC on the 14th: days count in UTC
]


@pytest.mark.parametrize(("created", "days", "expires"), AFTER_DAYS)
def test_after_days_rounds_to_the_next_midnight_utc(created: str, days: int, expires: str) -> None:
    got = after_days(at(created), days)
    assert got == at(expires)
    assert got.tzinfo is not None and got.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("moment", "midnight"),
    [
        ("2025-06-01T00:00:00", "2025-06-02T00:00:00"),
        ("2025-06-01T00:00:01", "2025-06-02T00:00:00"),
        ("2025-06-30T23:59:59", "2025-07-01T00:00:00"),
        ("2025-06-01T03:00:00+05:00", "2025-06-01T00:00:00"),  # 22:00 UTC on May 31st
    ],
)
def test_next_midnight_is_strictly_after(moment: str, midnight: str) -> None:
    assert next_midnight(at(moment)) == at(midnight)


@pytest.mark.parametrize(
    ("mode", "until", "hold", "locked"),
    [
        (None, None, False, False),
        ("GOVERNANCE", "2025-01-02T00:00:00", False, True),
        ("COMPLIANCE", "2025-01-02T00:00:00", False, True),
        ("COMPLIANCE", "2025-01-01T00:00:00", False, False),  # retention ends at now: no longer locked
        ("GOVERNANCE", "2024-12-01T00:00:00", False, False),
        (None, None, True, True),  # legal hold alone
        ("COMPLIANCE", "2024-12-01T00:00:00", True, True),
    ],
)
def test_is_locked(mode: str | None, until: str | None, hold: bool, locked: bool) -> None:
    now = at("2025-01-01T00:00:00")
    assert is_locked(mode, at(until) if until else None, hold, now) is locked


# -- parsing the stored document -------------------------------------------------------------------------------------

PARSED: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("empty filter", {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3}}, {"expiration_days": 3}),
    (
        "legacy prefix",
        {"ID": "a", "Status": "Enabled", "Prefix": "logs/", "Expiration": {"Days": 1}},
        {"prefix": "logs/"},
    ),
    (
        "filter prefix",
        {"ID": "a", "Status": "Enabled", "Filter": {"Prefix": "x/"}, "Expiration": {"Days": 1}},
        {"prefix": "x/"},
    ),
    (
        "one tag",
        {"ID": "a", "Status": "Enabled", "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Expiration": {"Days": 1}},
        {"tags": {"k": "v"}, "prefix": ""},
    ),
    (
        "and",
        {
            "ID": "a",
            "Status": "Enabled",
            "Filter": {
                "And": {
                    "Prefix": "p/",
                    "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}],
                    "ObjectSizeGreaterThan": 500,
                    "ObjectSizeLessThan": 64000,
                }
            },
            "Expiration": {"Days": 1},
        },
        {"prefix": "p/", "tags": {"a": "1", "b": "2"}, "size_greater_than": 500, "size_less_than": 64000},
    ),
    (
        "size alone",
        {"ID": "a", "Status": "Enabled", "Filter": {"ObjectSizeGreaterThan": 0}, "Expiration": {"Days": 1}},
        {"size_greater_than": 0, "size_less_than": None},
    ),
    ("disabled", {"ID": "a", "Status": "Disabled", "Expiration": {"Days": 1}}, {"enabled": False}),
    ("no status", {"ID": "a", "Expiration": {"Days": 1}}, {"enabled": False}),
    ("no id", {"Status": "Enabled", "Expiration": {"Days": 1}}, {"id": "rule-1"}),
    (
        "date as stored (str of a datetime)",
        {"ID": "a", "Status": "Enabled", "Expiration": {"Date": "2030-01-01 00:00:00+00:00"}},
        {"expiration_date": at("2030-01-01T00:00:00"), "expiration_days": None},
    ),
    (
        "date as decoded",
        {"ID": "a", "Status": "Enabled", "Expiration": {"Date": at("2030-01-01T00:00:00")}},
        {"expiration_date": at("2030-01-01T00:00:00")},
    ),
    (
        "date Z",
        {"ID": "a", "Status": "Enabled", "Expiration": {"Date": "2030-01-01T00:00:00Z"}},
        {"expiration_date": at("2030-01-01T00:00:00")},
    ),
    ("date garbage", {"ID": "a", "Status": "Enabled", "Expiration": {"Date": "soon"}}, {"expiration_date": None}),
    ("days zero ignored", {"ID": "a", "Status": "Enabled", "Expiration": {"Days": 0}}, {"expiration_days": None}),
    ("days negative ignored", {"ID": "a", "Status": "Enabled", "Expiration": {"Days": -2}}, {"expiration_days": None}),
    ("days boolean ignored", {"ID": "a", "Status": "Enabled", "Expiration": {"Days": True}}, {"expiration_days": None}),
    (
        "expired object delete marker",
        {"ID": "a", "Status": "Enabled", "Expiration": {"ExpiredObjectDeleteMarker": True}},
        {"expired_object_delete_marker": True, "expiration_days": None},
    ),
    (
        "noncurrent",
        {
            "ID": "a",
            "Status": "Enabled",
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 5},
        },
        {"noncurrent_days": 30, "newer_noncurrent_versions": 5},
    ),
    (
        "abort",
        {"ID": "a", "Status": "Enabled", "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}},
        {"abort_days": 7},
    ),
    (
        "transitions only: stored, no action here",
        {"ID": "a", "Status": "Enabled", "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]},
        {"expiration_days": None, "noncurrent_days": None, "abort_days": None},
    ),
]


@pytest.mark.parametrize(("case", "rule", "expected"), PARSED, ids=[p[0] for p in PARSED])
def test_parse_rules(case: str, rule: dict[str, Any], expected: dict[str, Any]) -> None:
    (parsed,) = parse_rules({"Rules": [rule]})
    for name, value in expected.items():
        assert getattr(parsed, name) == value, name


@pytest.mark.parametrize("document", [None, {}, {"Rules": "x"}, {"Rules": [1, "a", None]}, []])
def test_parse_rules_ignores_what_is_not_a_configuration(document: Any) -> None:
    assert parse_rules(document) == []


def test_transitions_only_rule_acts_on_nothing() -> None:
    (rule,) = parse_rules({"Rules": [{"ID": "t", "Status": "Enabled", "Transitions": [{"Days": 1}]}]})
    assert not rule.acts_on_objects and not rule.acts_on_uploads


# -- filters ---------------------------------------------------------------------------------------------------------

MATCHES = [
    # rule fields, key, size, tags, matches
    ({}, "anything", 0, {}, True),
    ({"prefix": "logs/"}, "logs/a.txt", 1, {}, True),
    ({"prefix": "logs/"}, "example.jpg", 1, {}, False),
    ({"prefix": "logs/"}, "Logs/a.txt", 1, {}, False),  # prefixes are case-sensitive
    ({"tags": {"k": "v"}}, "a", 1, {"k": "v", "other": "x"}, True),  # more tags on the object do not matter
    ({"tags": {"k": "v"}}, "a", 1, {"k": "V"}, False),  # value exactly
    ({"tags": {"k": "v"}}, "a", 1, {}, False),
    ({"tags": {"a": "1", "b": "2"}}, "a", 1, {"a": "1"}, False),  # every tag (AND)
    ({"size_greater_than": 500}, "a", 501, {}, True),
    ({"size_greater_than": 500}, "a", 500, {}, False),  # strictly greater
    ({"size_less_than": 64000}, "a", 63999, {}, True),
    ({"size_less_than": 64000}, "a", 64000, {}, False),  # strictly less
    ({"size_greater_than": 500, "size_less_than": 64000}, "a", 1000, {}, True),
    ({"prefix": "p/", "tags": {"k": "v"}, "size_greater_than": 10}, "p/x", 11, {"k": "v"}, True),
    ({"prefix": "p/", "tags": {"k": "v"}, "size_greater_than": 10}, "p/x", 10, {"k": "v"}, False),
]


@pytest.mark.parametrize(("fields", "key", "size", "tags", "expected"), MATCHES)
def test_rule_filter(fields: dict[str, Any], key: str, size: int, tags: dict[str, str], expected: bool) -> None:
    assert Rule("r", **fields).matches(key, size, tags) is expected


@pytest.mark.parametrize(
    ("fields", "key", "expected"),
    [
        ({}, "k", True),
        ({"prefix": "a/"}, "a/k", True),
        ({"prefix": "a/"}, "b/k", False),
        ({"tags": {"k": "v"}}, "k", False),  # a delete marker has no tags
        ({"size_greater_than": 100}, "k", True),  # size filters are not applied to delete markers
    ],
)
def test_delete_marker_filter(fields: dict[str, Any], key: str, expected: bool) -> None:
    assert Rule("r", **fields).matches_marker(key) is expected


# -- one key ---------------------------------------------------------------------------------------------------------

NOW = at("2025-03-10T00:00:00")
OLD = at("2025-03-01T10:00:00")


def v(vid: str, when: str | datetime, *, latest: bool = False, marker: bool = False, **extra: Any) -> Version:
    moment = at(when) if isinstance(when, str) else when
    return Version(vid, latest, marker, moment, **extra)


EXPIRE_3 = Rule("exp", expiration_days=3)
NONCURRENT_2 = Rule("nc", noncurrent_days=2)
EODM = Rule("eodm", expired_object_delete_marker=True)

PLANS: list[tuple[str, list[Rule], str | None, list[Version], list[Action]]] = [
    ("unversioned, due", [EXPIRE_3], None, [v("null", OLD, latest=True)], [Action("expire", "null", "exp")]),
    (
        "unversioned, due the very midnight",  # 03-06 10:00 + 3 days -> 03-10 00:00 == NOW
        [EXPIRE_3],
        None,
        [v("null", "2025-03-06T10:00:00", latest=True)],
        [Action("expire", "null", "exp")],
    ),
    ("unversioned, not yet", [EXPIRE_3], None, [v("null", "2025-03-07T00:00:00", latest=True)], []),
    ("disabled rule", [Rule("off", enabled=False, expiration_days=1)], None, [v("null", OLD, latest=True)], []),
    ("no rule matches", [Rule("p", prefix="other/", expiration_days=1)], None, [v("null", OLD, latest=True)], []),
    (
        "date passed",
        [Rule("d", expiration_date=at("2025-03-09T00:00:00"))],
        None,
        [
            v("null", "2025-03-09T23:00:00", latest=True)
        ],  # created after the date: still expired (not a one-time action)
        [Action("expire", "null", "d")],
    ),
    ("date to come", [Rule("d", expiration_date=at("2025-03-11T00:00:00"))], None, [v("null", OLD, latest=True)], []),
    (
        "earliest rule wins",
        [Rule("late", expiration_days=5), Rule("early", expiration_days=1)],
        None,
        [v("null", OLD, latest=True)],
        [Action("expire", "null", "early")],
    ),
    (
        "noncurrent rules do nothing on an unversioned bucket",
        [NONCURRENT_2],
        None,
        [v("null", OLD, latest=True)],
        [],
    ),
    (
        "enabled: the current version gets a delete marker",
        [EXPIRE_3],
        "Enabled",
        [v("v2", OLD, latest=True), v("v1", "2025-01-01T00:00:00")],
        [Action("expire", "v2", "exp")],
    ),
    (
        "enabled: a delete marker already current, other versions exist: nothing (Expiration)",
        [EXPIRE_3],
        "Enabled",
        [v("dm", "2025-01-01T00:00:00", latest=True, marker=True), v("v1", "2024-12-01T00:00:00")],
        [],
    ),
    (
        "enabled: sole old delete marker removed by Expiration Days",
        [EXPIRE_3],
        "Enabled",
        [v("dm", OLD, latest=True, marker=True)],
        [Action("remove_marker", "dm", "exp")],
    ),
    (
        "enabled: sole young delete marker kept by Expiration Days",
        [EXPIRE_3],
        "Enabled",
        [v("dm", "2025-03-08T00:00:00", latest=True, marker=True)],
        [],
    ),
    (
        "enabled: ExpiredObjectDeleteMarker removes a sole marker whatever its age",
        [EODM],
        "Enabled",
        [v("dm", "2025-03-09T23:00:00", latest=True, marker=True)],
        [Action("remove_marker", "dm", "eodm")],
    ),
    (
        "enabled: ExpiredObjectDeleteMarker leaves a marker with noncurrent versions",
        [EODM],
        "Enabled",
        [v("dm", OLD, latest=True, marker=True), v("v1", "2025-01-01T00:00:00")],
        [],
    ),
    (
        "enabled: noncurrent version removed, counted from its successor's creation",
        [NONCURRENT_2],
        "Enabled",
        [v("v2", "2025-03-07T12:00:00", latest=True), v("v1", "2025-01-01T00:00:00")],  # due 03-10 00:00
        [Action("remove", "v1", "nc")],
    ),
    (
        "enabled: noncurrent version not yet",
        [NONCURRENT_2],
        "Enabled",
        [v("v2", "2025-03-08T00:00:00", latest=True), v("v1", "2025-01-01T00:00:00")],  # due 03-11
        [],
    ),
    (
        "enabled: then the delete marker left alone goes too (same pass)",
        [Rule("both", noncurrent_days=2, expired_object_delete_marker=True)],
        "Enabled",
        [v("dm", "2025-03-01T00:00:00", latest=True, marker=True), v("v1", "2025-01-01T00:00:00")],
        [Action("remove", "v1", "both"), Action("remove_marker", "dm", "both")],
    ),
    (
        "enabled: Days and NoncurrentDays: a marker on the current version, older noncurrent versions removed",
        [Rule("r", expiration_days=3, noncurrent_days=2)],
        "Enabled",
        [v("v2", OLD, latest=True), v("v1", "2025-02-01T00:00:00")],
        # v2 is noncurrent from now on (its successor is the new marker); v1 since v2's creation: due 03-04
        [Action("expire", "v2", "r"), Action("remove", "v1", "r")],
    ),
    (
        "enabled: NewerNoncurrentVersions keeps the newest noncurrent ones",
        [Rule("keep2", noncurrent_days=1, newer_noncurrent_versions=2)],
        "Enabled",
        [
            v("v5", "2025-03-05T00:00:00", latest=True),
            v("v4", "2025-03-04T00:00:00"),
            v("v3", "2025-03-03T00:00:00"),
            v("v2", "2025-03-02T00:00:00"),
            v("v1", "2025-03-01T00:00:00"),
        ],
        [Action("remove", "v2", "keep2"), Action("remove", "v1", "keep2")],
    ),
    (
        "enabled: NewerNoncurrentVersions does not count noncurrent delete markers",
        [Rule("keep1", noncurrent_days=1, newer_noncurrent_versions=1)],
        "Enabled",
        [
            v("v4", "2025-03-05T00:00:00", latest=True),
            v("dm", "2025-03-04T00:00:00", marker=True),  # 0 newer noncurrent versions < 1 -> kept
            v("v2", "2025-03-03T00:00:00"),  # 0 newer noncurrent (the marker does not count) -> kept
            v("v1", "2025-03-02T00:00:00"),  # 1 newer noncurrent (v2) -> removed
        ],
        [Action("remove", "v1", "keep1")],
    ),
    (
        "enabled: NewerNoncurrentVersions alone (no NoncurrentDays)",
        [Rule("keep1", newer_noncurrent_versions=1)],
        "Enabled",
        [v("v3", "2025-03-09T00:00:00", latest=True), v("v2", "2025-03-08T00:00:00"), v("v1", "2025-03-07T00:00:00")],
        [Action("remove", "v1", "keep1")],
    ),
    (
        "enabled: NewerNoncurrentVersions and days both required",
        [Rule("keep1", noncurrent_days=5, newer_noncurrent_versions=1)],
        "Enabled",
        [v("v3", "2025-03-09T00:00:00", latest=True), v("v2", "2025-03-08T00:00:00"), v("v1", "2025-03-07T00:00:00")],
        [],  # v1 is noncurrent since 03-08: due 03-14
    ),
    (
        "enabled: a noncurrent delete marker is removed by NoncurrentDays",
        [NONCURRENT_2],
        "Enabled",
        [v("v3", OLD, latest=True), v("dm", "2025-02-01T00:00:00", marker=True), v("v1", "2025-01-01T00:00:00")],
        [Action("remove", "dm", "nc"), Action("remove", "v1", "nc")],
    ),
    (
        "enabled: tag filter on noncurrent versions uses each version's tags",
        [Rule("t", noncurrent_days=1, tags={"tmp": "1"})],
        "Enabled",
        [
            v("v3", OLD, latest=True),
            v("v2", "2025-02-01T00:00:00", tags={"tmp": "1"}),
            v("v1", "2025-01-01T00:00:00", tags={"tmp": "0"}),
        ],
        [Action("remove", "v2", "t")],
    ),
    (
        "object lock: legal hold and retention keep noncurrent versions; the marker is still placed",
        [Rule("r", expiration_days=3, noncurrent_days=1)],
        "Enabled",
        [
            v("v4", OLD, latest=True, legal_hold=True),
            v("v3", "2025-02-03T00:00:00", legal_hold=True),
            v("v2", "2025-02-02T00:00:00", lock_mode="COMPLIANCE", lock_until=at("2026-01-01T00:00:00")),
            v("v1", "2025-02-01T00:00:00", lock_mode="GOVERNANCE", lock_until=at("2025-03-01T00:00:00")),  # ended
        ],
        [Action("expire", "v4", "r"), Action("remove", "v1", "r")],
    ),
    (
        "object lock: a locked version keeps the sole-marker cleanup from happening",
        [Rule("r", noncurrent_days=1, expired_object_delete_marker=True)],
        "Enabled",
        [v("dm", OLD, latest=True, marker=True), v("v1", "2025-01-01T00:00:00", legal_hold=True)],
        [],
    ),
    (
        "suspended: a null delete marker replaces the null current version",
        [EXPIRE_3],
        "Suspended",
        [v("null", OLD, latest=True), v("v1", "2025-01-01T00:00:00")],
        [Action("expire", "null", "exp")],
    ),
    (
        "suspended: the new marker is not removed in the same pass",
        [Rule("r", expiration_days=3, expired_object_delete_marker=True)],
        "Suspended",
        [v("null", OLD, latest=True)],
        [Action("expire", "null", "r")],
    ),
    (
        "suspended: noncurrent versions expire as on an enabled bucket",
        [NONCURRENT_2],
        "Suspended",
        [v("null", OLD, latest=True), v("v1", "2025-01-01T00:00:00")],
        [Action("remove", "v1", "nc")],
    ),
    ("no history", [EXPIRE_3], "Enabled", [], []),
    ("no rules", [], "Enabled", [v("v1", OLD, latest=True)], []),
]


@pytest.mark.parametrize(("case", "rules", "versioning", "history", "expected"), PLANS, ids=[p[0] for p in PLANS])
def test_plan_key(
    case: str, rules: list[Rule], versioning: str | None, history: list[Version], expected: list[Action]
) -> None:
    assert plan_key(rules, "k", history, versioning, NOW) == expected


def test_plan_key_is_idempotent_once_applied() -> None:
    """After the actions of a pass are carried out, the same pass decides nothing more."""
    rules = [Rule("r", expiration_days=3, noncurrent_days=2)]
    history = [v("v2", OLD, latest=True), v("v1", "2025-02-01T00:00:00")]
    assert plan_key(rules, "k", history, "Enabled", NOW) == [Action("expire", "v2", "r"), Action("remove", "v1", "r")]
    after = [v("dm", NOW, latest=True, marker=True), v("v2", OLD)]
    assert plan_key(rules, "k", after, "Enabled", NOW) == []
    # Four days on, v2 (noncurrent since the marker: due 03-13) goes, then the marker left alone (Days: 03-14).
    later = NOW + timedelta(days=4)
    assert plan_key(rules, "k", after, "Enabled", later) == [
        Action("remove", "v2", "r"),
        Action("remove_marker", "dm", "r"),
    ]


# -- uploads and headers ---------------------------------------------------------------------------------------------

UPLOADS = [
    # rules, key, initiated, expected rule id
    ([Rule("a", abort_days=7)], "k", "2025-03-02T10:00:00", "a"),  # due 03-10 00:00
    ([Rule("a", abort_days=7)], "k", "2025-03-03T00:00:00", None),  # due 03-11
    ([Rule("a", prefix="tmp/", abort_days=1)], "keep/k", "2025-01-01T00:00:00", None),
    ([Rule("a", prefix="tmp/", abort_days=1)], "tmp/k", "2025-01-01T00:00:00", "a"),
    ([Rule("a", enabled=False, abort_days=1)], "k", "2025-01-01T00:00:00", None),
    ([Rule("x", expiration_days=1)], "k", "2025-01-01T00:00:00", None),  # Expiration does not abort uploads
    ([Rule("slow", abort_days=30), Rule("fast", abort_days=2)], "k", "2025-03-01T00:00:00", "fast"),
]


@pytest.mark.parametrize(("rules", "key", "initiated", "expected"), UPLOADS)
def test_plan_upload(rules: list[Rule], key: str, initiated: str, expected: str | None) -> None:
    found = plan_upload(rules, key, at(initiated), NOW)
    assert (found.id if found else None) == expected


def test_expiration_header_is_awss_format() -> None:
    rules = [Rule("picture-deletion-rule", prefix="pics/", expiration_days=3)]
    created = at("2012-12-19T10:30:00")
    assert (
        expiration_header(rules, "pics/a.jpg", 1, {}, created)
        == 'expiry-date="Sun, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"'
    )
    assert expiration_header(rules, "docs/a.txt", 1, {}, created) == ""
    assert expiration_header([Rule("off", enabled=False, expiration_days=1)], "a", 1, {}, created) == ""


def test_abort_rule() -> None:
    rules = [Rule("abort-7", prefix="up/", abort_days=7)]
    assert abort_rule(rules, "up/big.bin", at("2025-03-01T10:00:00")) == (at("2025-03-09T00:00:00"), "abort-7")
    assert abort_rule(rules, "other", at("2025-03-01T10:00:00")) is None


def test_moments_are_utc_whatever_the_input_zone() -> None:
    east = timezone(timedelta(hours=9))
    assert after_days(datetime(2025, 1, 1, 8, 0, tzinfo=east), 1) == at("2025-01-02T00:00:00")
