"""The baselines: anomaly findings after the learning period only, a principal's own history against the account's,
bounded state, attack sequences over 24 hours, and the state round trip (an engine restarted from its StateStore
raises the same later findings as one that never stopped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from strongroom.detection.contract import DetectorSettings, FindingDraft
from strongroom.detection.engine import build_engine
from strongroom.detection.state import CAPS, MemoryStateStore

ACCOUNT = "123456789012"
T0 = datetime(2025, 5, 1, tzinfo=UTC)


def rec(
    user: str, api: str, when: datetime, ip: str, source: str = "ec2.amazonaws.com", read_only: bool | None = None
) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": f"AIDA{user.upper()}",
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{user}",
            "accountId": ACCOUNT,
            "accessKeyId": f"AKIA{user.upper()}",
            "userName": user,
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source,
        "eventName": api,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/5.15",
        "readOnly": api.startswith(("Describe", "List", "Get")) if read_only is None else read_only,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }


def history(days: int = 9) -> list[dict[str, Any]]:
    """alice and bob at work for ``days`` days, from the office."""
    out = []
    for day in range(days):
        for hour in range(8, 18):
            when = T0 + timedelta(days=day, hours=hour)
            out.append(rec("alice", "DescribeInstances", when, "198.51.100.10"))
            out.append(rec("alice", "GetCallerIdentity", when, "198.51.100.11", "sts.amazonaws.com"))
            out.append(rec("bob", "ListUsers", when + timedelta(minutes=5), "198.51.100.12", "iam.amazonaws.com"))
    return out


def engine(store: MemoryStateStore | None = None, learning_days: float = 7.0) -> Any:
    return build_engine(DetectorSettings(ACCOUNT, learning_days=learning_days), store or MemoryStateStore())


def feed(e: Any, records: list[dict[str, Any]]) -> list[FindingDraft]:
    out: list[FindingDraft] = []
    for r in records:
        out.extend(e.process(r))
    return out


def test_learning_period_raises_nothing_and_normal_work_stays_quiet() -> None:
    e = engine()
    assert feed(e, history()) == []


def test_new_principal_from_unknown_network_after_learning() -> None:
    e = engine()
    feed(e, history())
    when = T0 + timedelta(days=9, hours=3)
    burst = [
        rec("mallory", api, when + timedelta(seconds=i), "203.0.113.5")
        for i, api in enumerate(["ListUsers", "ListRoles", "DescribeInstances", "ListBuckets"])
    ]
    burst[1]["eventSource"] = burst[0]["eventSource"] = "iam.amazonaws.com"
    burst[3]["eventSource"] = "s3.amazonaws.com"
    drafts = feed(e, burst)
    assert {d.type for d in drafts} == {"Discovery:IAMUser/AnomalousBehavior"}
    assert len({d.dedup_key for d in drafts}) == 1  # one finding, its Count growing
    assert drafts[0].severity == 2.0
    info = orjson.loads(drafts[0].service["AdditionalInfo"]["Value"])
    assert "networkNewToAccount" in info["unusual"]


def test_new_principal_from_the_office_is_not_anomalous() -> None:
    e = engine()
    feed(e, history())
    assert (
        feed(e, [rec("carol", "ListUsers", T0 + timedelta(days=9, hours=9), "198.51.100.40", "iam.amazonaws.com")])
        == []
    )


def test_same_principal_before_learning_is_quiet() -> None:
    e = engine()
    feed(e, history(days=3))
    assert feed(e, [rec("mallory", "CreateUser", T0 + timedelta(days=3), "203.0.113.5", "iam.amazonaws.com")]) == []


def test_known_principal_new_api_needs_an_unusual_context() -> None:
    e = engine()
    feed(e, history())
    at_work = T0 + timedelta(days=9, hours=10)
    assert feed(e, [rec("alice", "CreateAccessKey", at_work, "198.51.100.10", "iam.amazonaws.com")]) == []
    away = feed(
        e, [rec("alice", "AttachUserPolicy", at_work + timedelta(hours=13), "203.0.113.5", "iam.amazonaws.com")]
    )
    assert [d.type for d in away] == ["PrivilegeEscalation:IAMUser/AnomalousBehavior"]
    info = orjson.loads(away[0].service["AdditionalInfo"]["Value"])
    assert info["unusual"][:2] == ["api", "network"]
    # a known API from the unusual place is not an anomaly: only new behaviour in a new context is
    assert feed(e, [rec("alice", "DescribeInstances", at_work + timedelta(hours=14), "203.0.113.5")]) == []


def test_state_is_bounded_per_principal() -> None:
    store = MemoryStateStore()
    e = engine(store)
    many = [
        rec("alice", f"DescribeThing{i}", T0 + timedelta(seconds=i), f"10.{i % 250}.{i % 7}.1") for i in range(3000)
    ]
    feed(e, many)
    raw = store.get(ACCOUNT, f"p:arn:aws:iam::{ACCOUNT}:user/alice")
    assert raw is not None
    state = orjson.loads(raw)
    assert len(state["i"]["a"]) <= CAPS["a"] and len(state["i"]["n"]) <= CAPS["n"]
    assert len(raw) < 40_000


def test_attack_sequence_correlates_one_principal() -> None:
    e = engine()
    feed(e, history())
    when = T0 + timedelta(days=9, hours=2)
    steps = [
        rec("mallory", "ListUsers", when, "203.0.113.5", "iam.amazonaws.com"),
        rec("mallory", "AttachUserPolicy", when + timedelta(minutes=5), "203.0.113.5", "iam.amazonaws.com"),
        rec("mallory", "GetSecretValue", when + timedelta(minutes=9), "203.0.113.5", "secretsmanager.amazonaws.com"),
    ]
    drafts = feed(e, steps)
    sequences = [d for d in drafts if d.type.startswith("AttackSequence:")]
    assert [d.type for d in sequences] == ["AttackSequence:IAM/CompromisedCredentials"]
    sequence = sequences[0]
    assert sequence.severity == 9.0
    assert {s["type"] for s in sequence.signals} == {
        "Discovery:IAMUser/AnomalousBehavior",
        "PrivilegeEscalation:IAMUser/AnomalousBehavior",
        "CredentialAccess:IAMUser/AnomalousBehavior",
    }
    listed = sequence.service["Detection"]["Sequence"]
    assert len(listed["Signals"]) == 3 and listed["Actors"][0]["User"]["Name"] == "mallory"
    # 25 hours later, the old signals have aged out: one more step starts afresh
    later = feed(e, [rec("mallory", "CreateUser", when + timedelta(hours=25), "203.0.113.5", "iam.amazonaws.com")])
    assert not any(d.type.startswith("AttackSequence:") for d in later)


def _key(d: FindingDraft) -> tuple[str, str, str]:
    return (d.type, d.dedup_key, d.event_time.isoformat())


def test_state_round_trip_restart_gives_the_same_findings() -> None:
    """An engine rebuilt from the StateStore mid-stream (a server restart) sees what one that never stopped sees."""
    records = history()
    when = T0 + timedelta(days=9, hours=2)
    records += [
        rec("mallory", "ListUsers", when, "203.0.113.5", "iam.amazonaws.com"),
        rec("alice", "AttachUserPolicy", when + timedelta(hours=12), "203.0.113.5", "iam.amazonaws.com"),
        rec("mallory", "AttachUserPolicy", when + timedelta(minutes=5), "203.0.113.5", "iam.amazonaws.com"),
        rec("mallory", "GetSecretValue", when + timedelta(minutes=9), "203.0.113.5", "secretsmanager.amazonaws.com"),
    ]
    records.sort(key=lambda r: r["eventTime"])
    straight = feed(engine(), records)
    store = MemoryStateStore()
    cut = len(records) - 30
    feed(engine(store), records[:cut])
    persisted = {k: bytes(v) for k, v in store.data.items()}  # what a database would hold
    reborn = MemoryStateStore()
    reborn.data = persisted
    resumed = feed(engine(reborn), records[cut:])
    later = [d for d in straight if d.event_time >= resumed[0].event_time] if resumed else []
    assert resumed and [_key(d) for d in resumed] == [_key(d) for d in later]
    assert {d.type for d in resumed} >= {"AttackSequence:IAM/CompromisedCredentials"}


def test_s3_data_event_anomaly_names_the_bucket() -> None:
    e = engine()
    feed(e, history())
    when = T0 + timedelta(days=9, hours=22)
    read = rec("alice", "GetObject", when, "203.0.113.5", "s3.amazonaws.com", read_only=True)
    read.update(
        eventCategory="Data",
        managementEvent=False,
        requestParameters={"bucketName": "payroll", "key": "2025/05.csv"},
    )
    [draft] = feed(e, [read])
    assert draft.type == "Exfiltration:S3/AnomalousBehavior" and draft.severity == 8.0
    assert draft.resource["ResourceType"] == "S3Bucket"
    assert draft.resource["S3BucketDetails"][0]["Name"] == "payroll"
    assert draft.service["FeatureName"] == "S3DataEvents"
    off = build_engine(DetectorSettings(ACCOUNT, s3_data_events=False), MemoryStateStore())
    feed(off, history())
    assert feed(off, [read]) == []


def test_new_principal_discovery_burst_from_a_known_network() -> None:
    e = engine()
    feed(e, history())
    when = T0 + timedelta(days=9, hours=9)
    apis = ["DescribeInstances", "DescribeVolumes", "DescribeSnapshots", "DescribeImages", "DescribeVpcs"]
    apis += ["DescribeSubnets", "DescribeSecurityGroups", "DescribeKeyPairs", "DescribeAddresses", "DescribeRegions"]
    few = feed(e, [rec("trent", api, when + timedelta(seconds=i), "198.51.100.40") for i, api in enumerate(apis[:5])])
    assert few == []  # a new colleague looking around the office's usual way
    burst = feed(
        e, [rec("trent", api, when + timedelta(seconds=10 + i), "198.51.100.40") for i, api in enumerate(apis[5:])]
    )
    assert {d.type for d in burst} == {"Discovery:IAMUser/AnomalousBehavior"}
    assert "discoveryBurst" in orjson.loads(burst[0].service["AdditionalInfo"]["Value"])["unusual"]


def test_a_short_learning_period_settles_as_fast() -> None:
    """A detector learning for minutes (a live demo or test) learns values in minutes, not a day."""
    e = engine(learning_days=2 / 1440)  # two minutes
    t = T0
    normal = [rec("alice", "DescribeInstances", t + timedelta(seconds=s), "198.51.100.10") for s in range(0, 200, 10)]
    assert feed(e, normal) == []
    later = t + timedelta(seconds=300)
    assert feed(e, [rec("alice", "DescribeInstances", later, "198.51.100.10")]) == []
    assert feed(e, [rec("carol", "ListUsers", later, "198.51.100.11", "iam.amazonaws.com")]) == []
    drafts = feed(e, [rec("mallory", "ListUsers", later, "203.0.113.5", "iam.amazonaws.com")])
    assert [d.type for d in drafts] == ["Discovery:IAMUser/AnomalousBehavior"]
