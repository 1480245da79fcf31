"""CloudWatch Logs end to end with boto3: groups, streams, events, filter patterns, paging, retention, tags, errors."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess


def server_now_ms(server: ServerProcess) -> int:
    """The server's clock (other tests move it forward): event timestamps must be near it."""
    status, body = server.admin("GET", "clock")
    assert status == 200, body
    return int((time.time() + float(body["offset"])) * 1000)


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def logs(server: ServerProcess) -> Any:
    return server.client("logs")


@pytest.fixture
def group(logs: Any) -> str:
    name = f"/test/logs/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    return name


def put(logs: Any, group: str, stream: str, messages: list[str], start: int) -> dict[str, Any]:
    batch = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return dict(logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch))


def test_groups_create_describe_delete(logs: Any, server: ServerProcess) -> None:
    prefix = f"/svc-{uuid.uuid4().hex[:8]}"
    for suffix in ("a", "b", "c"):
        logs.create_log_group(logGroupName=f"{prefix}/{suffix}", tags={"team": suffix})
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=f"{prefix}/a")
    assert code(exc) == "ResourceAlreadyExistsException"
    found = logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]
    assert [g["logGroupName"] for g in found] == [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    first = found[0]
    account = server.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:logs:us-east-1:{account}:log-group:{prefix}/a"
    assert first["arn"] == arn + ":*" and first["logGroupArn"] == arn
    assert first["logGroupClass"] == "STANDARD" and first["metricFilterCount"] == 0 and first["storedBytes"] == 0
    assert "retentionInDays" not in first and "kmsKeyId" not in first
    assert abs(first["creationTime"] - server_now_ms(server)) < 60_000
    # paging
    page = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2)
    assert len(page["logGroups"]) == 2 and page["nextToken"]
    rest = logs.describe_log_groups(logGroupNamePrefix=prefix, limit=2, nextToken=page["nextToken"])
    assert [g["logGroupName"] for g in rest["logGroups"]] == [f"{prefix}/c"] and "nextToken" not in rest
    by_pattern = logs.describe_log_groups(logGroupNamePattern=prefix[2:])["logGroups"]
    assert [g["logGroupName"] for g in by_pattern] == [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    assert set(by_pattern[0]) == {"logGroupName", "creationTime", "arn"}  # all a pattern search shows
    assert logs.describe_log_groups(logGroupNamePattern=prefix[2:].upper())["logGroups"] == []
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupNamePrefix=prefix, logGroupNamePattern="x")
    assert code(exc) == "InvalidParameterException"
    logs.delete_log_group(logGroupName=f"{prefix}/b")
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=f"{prefix}/b")
    assert code(exc) == "ResourceNotFoundException"
    assert len(logs.describe_log_groups(logGroupNamePrefix=prefix)["logGroups"]) == 2


@pytest.mark.parametrize("name", ["bad:name", "x" * 513, "sp ace", "star*"])
def test_bad_group_names(logs: Any, name: str) -> None:
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name)
    assert code(exc) == "InvalidParameterException"


def test_retention_policy_values(logs: Any, group: str) -> None:
    logs.put_retention_policy(logGroupName=group, retentionInDays=30)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["retentionInDays"] == 30
    for bad in (2, 0, 4000):
        with pytest.raises(ClientError) as exc:
            logs.put_retention_policy(logGroupName=group, retentionInDays=bad)
        assert code(exc) == "InvalidParameterException"
        assert "enum value set" in exc.value.response["Error"]["Message"]
    long_name = f"{group}/{'x' * (500 - len(group))}"  # near the 512-character limit
    logs.create_log_group(logGroupName=long_name)
    logs.put_retention_policy(logGroupName=long_name, retentionInDays=7)
    logs.delete_log_group(logGroupName=long_name)
    logs.delete_retention_policy(logGroupName=group)
    assert "retentionInDays" not in logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=group + "-missing", retentionInDays=1)
    assert code(exc) == "ResourceNotFoundException"


def test_streams_and_events_round_trip(logs: Any, group: str, server: ServerProcess) -> None:
    now = server_now_ms(server)
    for name in ("s-b", "s-a", "s-c"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName="s-a")
    assert code(exc) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group + "-missing", logStreamName="s")
    assert code(exc) == "ResourceNotFoundException"
    out = put(logs, group, "s-a", ["first", "second", "third"], now - 1000)
    assert "rejectedLogEventsInfo" not in out and out["nextSequenceToken"]
    put(logs, group, "s-c", ["late"], now)
    got = logs.get_log_events(logGroupName=group, logStreamName="s-a", startFromHead=True)
    assert [e["message"] for e in got["events"]] == ["first", "second", "third"]
    assert got["events"][0]["timestamp"] == now - 1000 and got["events"][0]["ingestionTime"] >= now - 60_000
    assert got["nextForwardToken"].startswith("f/") and got["nextBackwardToken"].startswith("b/")
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["s-a", "s-b", "s-c"]
    a = streams[0]
    assert a["firstEventTimestamp"] == now - 1000 and a["lastEventTimestamp"] == now - 998
    assert a["arn"].endswith(f"log-group:{group}:log-stream:s-a") and a["uploadSequenceToken"]
    assert "firstEventTimestamp" not in streams[1]
    by_time = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)["logStreams"]
    assert [s["logStreamName"] for s in by_time] == ["s-c", "s-a", "s-b"]
    page = logs.describe_log_streams(logGroupName=group, limit=2)
    nxt = logs.describe_log_streams(logGroupName=group, limit=2, nextToken=page["nextToken"])
    assert [s["logStreamName"] for s in page["logStreams"] + nxt["logStreams"]] == ["s-a", "s-b", "s-c"]
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="s")
    assert code(exc) == "InvalidParameterException"
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["storedBytes"] == 20
    logs.delete_log_stream(logGroupName=group, logStreamName="s-a")
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group, logStreamName="s-a")
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        put(logs, group, "nope", ["x"], now)
    assert code(exc) == "ResourceNotFoundException"


def test_put_log_events_batch_rules(logs: Any, group: str, server: ServerProcess) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = server_now_ms(server)
    day = 86_400_000
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now, "message": "b"}, {"timestamp": now - 1, "message": "a"}],
        )
    assert code(exc) == "InvalidParameterException" and "chronological" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:  # 2 x (524,288 + 26) bytes
        put(logs, group, "s", ["x" * 524_288, "y" * 524_288], now)
    assert code(exc) == "InvalidParameterException"
    put(logs, group, "s", ["x" * (524_288 - 26), "y" * (524_288 - 26)], now)  # exactly 1,048,576
    # too old (14 days and 2 hours), then accepted; then accepted and too new (3 hours ahead)
    old = now - 14 * day - 7_200_000
    out = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": old, "message": "old"},
            {"timestamp": old + 1, "message": "o2"},
            {"timestamp": now - 14 * day + 600_000, "message": "kept-old"},
        ],
    )
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2}
    # the 24-hour span counts only the events that are not rejected
    out = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 20 * day, "message": "older"}, {"timestamp": now - 1000, "message": "kept"}],
    )
    assert out["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 1}
    out = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now, "message": "kept-new"}, {"timestamp": now + 3 * 3_600_000, "message": "new"}],
    )
    assert out["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now - 2 * day, "message": "a"}, {"timestamp": now, "message": "b"}],
        )
    assert code(exc) == "InvalidParameterException"
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    out = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now - day - 60_000, "message": "expired"},
            {"timestamp": now - 120_000, "message": "ok"},
        ],
    )
    assert out["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}
    # sequence tokens are accepted and ignored, as AWS does now
    out = logs.put_log_events(
        logGroupName=group, logStreamName="s", sequenceToken="bogus", logEvents=[{"timestamp": now, "message": "t"}]
    )
    assert out["nextSequenceToken"]
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]]
    assert messages.count("kept-new") == 1 and "old" not in messages and "new" not in messages
    assert "expired" not in messages and "ok" in messages and "t" in messages


def test_get_log_events_tokens(logs: Any, group: str, server: ServerProcess) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = server_now_ms(server) - 100_000
    put(logs, group, "s", [f"m{i}" for i in range(10)], now)
    # default: the newest `limit` events, oldest first
    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3)
    assert [e["message"] for e in tail["events"]] == ["m7", "m8", "m9"]
    back = logs.get_log_events(logGroupName=group, logStreamName="s", limit=3, nextToken=tail["nextBackwardToken"])
    assert [e["message"] for e in back["events"]] == ["m4", "m5", "m6"]
    # forward from the head, to the end, where the same token comes back
    seen: list[str] = []
    token = None
    for _ in range(10):
        kwargs: dict[str, Any] = {"nextToken": token} if token else {"startFromHead": True}
        got = logs.get_log_events(logGroupName=group, logStreamName="s", limit=4, **kwargs)
        seen += [e["message"] for e in got["events"]]
        if got["nextForwardToken"] == token:
            break
        token = got["nextForwardToken"]
    assert seen == [f"m{i}" for i in range(10)]
    # new events appear after the end token
    put(logs, group, "s", ["m10"], now + 20)
    assert [
        e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token)["events"]
    ] == ["m10"]
    window = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=now + 2, endTime=now + 5, startFromHead=True
    )
    assert [e["message"] for e in window["events"]] == ["m2", "m3", "m4"]
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group, logStreamName="s", nextToken="f/123")
    assert code(exc) == "InvalidParameterException"


JSON_EVENTS = [
    {"eventType": "UpdateTrail", "latency": 250, "user": {"id": 1}, "tags": ["a", "b"], "gone": None},
    {"eventType": "CreateTrail", "latency": 900, "user": {"id": 2}, "tags": ["c"], "flag": True},
]
TEXT_EVENTS = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
    "INFO all good",
]
DELIMITED_EVENTS = [
    '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534',
    '10.0.0.2 - joe [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 287',
    '10.0.0.3 - ann [10/Oct/2000:13:36:22 -0700] "POST /upload HTTP/1.0" 413 99999',
]

FILTER_CASES = [
    ("", 9),
    ("ERROR", ["[ERROR 400] BAD REQUEST", "[ERROR 419] MISSING ARGUMENTS", "[ERROR 420] INVALID ARGUMENTS"]),
    ("ERROR ARGUMENTS", ["[ERROR 419] MISSING ARGUMENTS", "[ERROR 420] INVALID ARGUMENTS"]),
    ('"INVALID ARGUMENTS"', ["[ERROR 420] INVALID ARGUMENTS"]),
    ("?INFO ?BAD", ["[ERROR 400] BAD REQUEST", "INFO all good"]),
    ("ERROR -ARGUMENTS", ["[ERROR 400] BAD REQUEST"]),
    ('{ $.eventType = "UpdateTrail" }', [json.dumps(JSON_EVENTS[0])]),
    ("{ $.latency > 500 }", [json.dumps(JSON_EVENTS[1])]),
    ('{ $.latency < 500 && $.tags[1] = "b" }', [json.dumps(JSON_EVENTS[0])]),
    ("{ $.user.id = 2 || $.gone IS NULL }", [json.dumps(e) for e in JSON_EVENTS]),
    ("{ $.flag NOT EXISTS }", [json.dumps(JSON_EVENTS[0])]),
    ("{ $.eventType = *Trail }", [json.dumps(e) for e in JSON_EVENTS]),
    ("[ip, user, ..., status=4*, size>1000]", [DELIMITED_EVENTS[2]]),
    ("[ip, user, username, timestamp, request, status=200, size]", [DELIMITED_EVENTS[0]]),
    ("[ip=10.*, ...]", DELIMITED_EVENTS[1:]),
]


@pytest.fixture(scope="module")
def filled(server: ServerProcess) -> tuple[str, int]:
    logs = server.client("logs")
    name = f"/test/filter/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    now = server_now_ms(server) - 60_000
    for i, (stream, messages) in enumerate(
        [("text", TEXT_EVENTS), ("json", [json.dumps(e) for e in JSON_EVENTS]), ("web", DELIMITED_EVENTS)]
    ):
        logs.create_log_stream(logGroupName=name, logStreamName=stream)
        put(logs, name, stream, messages, now + 100 * i)
    return name, now


@pytest.mark.parametrize(("pattern", "expected"), FILTER_CASES)
def test_filter_patterns(server: ServerProcess, filled: tuple[str, int], pattern: str, expected: Any) -> None:
    group, _ = filled
    out = server.client("logs").filter_log_events(logGroupName=group, filterPattern=pattern)
    messages = [e["message"] for e in out["events"]]
    if isinstance(expected, int):
        assert len(messages) == expected
    else:
        assert messages == expected
    assert out["searchedLogStreams"] == []


def test_filter_streams_times_and_paging(server: ServerProcess, filled: tuple[str, int]) -> None:
    logs = server.client("logs")
    group, start = filled
    out = logs.filter_log_events(logGroupName=group, logStreamNames=["web", "json"])
    assert {e["logStreamName"] for e in out["events"]} == {"web", "json"} and len(out["events"]) == 5
    assert all(len(e["eventId"]) == 56 for e in out["events"])
    assert len(logs.filter_log_events(logGroupName=group, logStreamNamePrefix="te")["events"]) == 4
    timed = logs.filter_log_events(logGroupName=group, startTime=start + 100, endTime=start + 101)
    assert [e["logStreamName"] for e in timed["events"]] == ["json", "json"]
    messages: list[str] = []
    kwargs: dict[str, Any] = {}
    for _ in range(10):
        page = logs.filter_log_events(logGroupName=group, filterPattern="ERROR", limit=2, **kwargs)
        messages += [e["message"] for e in page["events"]]
        if "nextToken" not in page:
            break
        kwargs = {"nextToken": page["nextToken"]}
    assert messages == TEXT_EVENTS[:3]
    newest_first: list[str] = []
    kwargs = {"startFromHead": False, "startTime": start}
    for _ in range(10):
        page = logs.filter_log_events(logGroupName=group, filterPattern="ERROR", limit=2, **kwargs)
        newest_first += [e["message"] for e in page["events"]]
        if "nextToken" not in page:
            break
        kwargs = {"nextToken": page["nextToken"]}
    assert newest_first == TEXT_EVENTS[:3][::-1]
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, startFromHead=False, startTime=1_600_000_000_000)
    assert code(exc) == "InvalidParameterException"
    paged = logs.get_paginator("filter_log_events").paginate(logGroupName=group, PaginationConfig={"PageSize": 4})
    assert sum(len(p["events"]) for p in paged) == 9
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, logStreamNames=["web"], logStreamNamePrefix="w")
    assert code(exc) == "InvalidParameterException"


@pytest.mark.parametrize("pattern", ["{ $.a = ", "[a, a]", '"open', "{ $.x > abc }", "ERROR }"])
def test_invalid_filter_patterns(server: ServerProcess, filled: tuple[str, int], pattern: str) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("logs").filter_log_events(logGroupName=filled[0], filterPattern=pattern)
    assert code(exc) == "InvalidParameterException"
    assert exc.value.response["Error"]["Message"] == "Invalid filter pattern"


def test_retention_deletes_old_events_on_the_server_clock(logs: Any, group: str, server: ServerProcess) -> None:
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = server_now_ms(server)
    put(logs, group, "s", ["old-1", "old-2"], now - 3_600_000)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    server.advance(86_400 + 2 * 3_600)  # a day and two hours: the events are past retention, the sweep is due
    put(logs, group, "s", ["fresh"], server_now_ms(server))
    messages = [e["message"] for e in logs.get_log_events(logGroupName=group, logStreamName="s")["events"]]
    assert messages == ["fresh"]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["firstEventTimestamp"] > now


def test_tags_by_arn_and_by_name(logs: Any, group: str) -> None:
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    logs.tag_resource(resourceArn=arn, tags={"env": "test", "team": "a"})
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "test", "team": "a"}
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == {"env": "test", "team": "a"}
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    logs.tag_log_group(logGroupName=group, tags={"legacy": "yes"})
    logs.untag_log_group(logGroupName=group, tags=["env"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"legacy": "yes"}
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn + "-missing", tags={"a": "b"})
    assert code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn="arn:aws:s3:::bucket", tags={"a": "b"})
    assert code(exc) == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.tag_resource(resourceArn=arn, tags={f"k{i}": "v" for i in range(50)})
    assert code(exc) == "TooManyTagsException"
    with pytest.raises(ClientError) as exc:
        logs.list_tags_log_group(logGroupName=group + "-missing")
    assert code(exc) == "ResourceNotFoundException"


def test_iam_user_denied_put_log_events(server: ServerProcess, logs: Any, group: str) -> None:
    iam = server.client("iam")
    user = f"logs-user-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "logs:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": f"arn:aws:logs:*:*:log-group:{group}:*"},
            {
                "Effect": "Deny",
                "Action": "logs:CreateLogGroup",
                "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["forbidden"]}},
            },
        ],
    }
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=user)["AccessKey"]
    theirs = server.client("logs", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    theirs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as exc:
        put(theirs, group, "s", ["nope"], server_now_ms(server))
    assert code(exc) == "AccessDeniedException"
    assert theirs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []
    with pytest.raises(ClientError) as exc:
        theirs.create_log_group(logGroupName=group + "-tagged", tags={"forbidden": "x"})
    assert code(exc) == "AccessDeniedException"
    theirs.create_log_group(logGroupName=group + "-tagged", tags={"allowed": "x"})
