"""CloudWatch Logs' pure parts: the operations table, access resources, PutLogEvents' rejected ranges, audit records
without messages, and how Lambda splits an invocation's log into events."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest

from strongroom.audit.records import CallFacts, build_records
from strongroom.core.context import Principal, RequestContext
from strongroom.services.lambda_.log_delivery import log_events
from strongroom.services.logs import access
from strongroom.services.logs.base import group_arn, parse_group_arn
from strongroom.services.logs.log_events import TOO_NEW_MS, TOO_OLD_MS, rejected_ranges
from strongroom.services.logs.operations import OPERATIONS
from tests.support import operation_vectors as vectors

SERVICE = "logs"
ACCOUNT = "111122223333"
SESSION = botocore.session.get_session()


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_resource_member_is_an_input_member(op: str) -> None:
    row = OPERATIONS[op]
    assert row.resource is None or row.resource in vectors.input_members(SERVICE, op)


def _ctx(operation: str) -> RequestContext[Any]:
    return RequestContext(None, "req", SERVICE, operation, "us-west-2", Principal.root(ACCOUNT))


@pytest.mark.parametrize(
    ("operation", "params", "resource"),
    [
        ("CreateLogGroup", {"logGroupName": "/a/b"}, f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/a/b:*"),
        ("FilterLogEvents", {"logGroupIdentifier": "/a/b"}, f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/a/b:*"),
        (
            "PutLogEvents",
            {"logGroupName": "/a/b", "logStreamName": "s/1"},
            f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:/a/b:log-stream:s/1",
        ),
        (
            "GetLogEvents",
            {"logGroupIdentifier": "arn:aws:logs:eu-west-1:444455556666:log-group:x:*", "logStreamName": "s"},
            "arn:aws:logs:eu-west-1:444455556666:log-group:x:log-stream:s",
        ),
        (
            "TagResource",
            {"resourceArn": f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:g", "tags": {}},
            f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:g:*",
        ),
    ],
)
def test_access_resources(operation: str, params: dict[str, Any], resource: str) -> None:
    (check,) = access.checks(_ctx(operation), params) or []
    assert check.action == f"logs:{operation}" and check.resource == resource
    assert check.resource_account == resource.split(":")[4]


def test_request_tags_from_the_lower_case_members() -> None:
    (check,) = access.checks(_ctx("CreateLogGroup"), {"logGroupName": "g", "tags": {"team": "a"}}) or []
    assert check.context == {"aws:RequestTag/team": "a", "aws:TagKeys": ["team"]}
    (check,) = access.checks(_ctx("UntagLogGroup"), {"logGroupName": "g", "tags": ["team"]}) or []
    assert check.context == {"aws:TagKeys": ["team"]}
    arn = f"arn:aws:logs:us-west-2:{ACCOUNT}:log-group:g"
    (check,) = access.checks(_ctx("UntagResource"), {"resourceArn": arn, "tagKeys": ["x"]}) or []
    assert check.context == {"aws:TagKeys": ["x"]}


def test_describe_log_groups_is_checked_on_star() -> None:
    assert access.checks(_ctx("DescribeLogGroups"), {}) is None


def test_group_arns() -> None:
    arn = group_arn("us-east-1", ACCOUNT, "/aws/lambda/f")
    assert arn == f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f"
    assert parse_group_arn(arn) == parse_group_arn(arn + ":*") == ("us-east-1", ACCOUNT, "/aws/lambda/f")
    assert parse_group_arn("arn:aws:s3:::b") is None


NOW = 10_000_000_000_000


@pytest.mark.parametrize(
    ("timestamps", "retention", "accepted", "info"),
    [
        ([NOW - 1, NOW], None, (0, 2), {}),
        ([NOW - TOO_OLD_MS - 2, NOW - TOO_OLD_MS - 1, NOW], None, (2, 3), {"tooOldLogEventEndIndex": 2}),
        ([NOW, NOW + TOO_NEW_MS + 1], None, (0, 1), {"tooNewLogEventStartIndex": 1}),
        ([NOW - 2 * 86_400_000, NOW], 1, (1, 2), {"expiredLogEventEndIndex": 1}),
        (
            [NOW - TOO_OLD_MS - 1, NOW - 2 * 86_400_000, NOW],
            1,
            (2, 3),
            {"tooOldLogEventEndIndex": 1, "expiredLogEventEndIndex": 2},
        ),
        ([NOW + TOO_NEW_MS + 1], None, (0, 0), {"tooNewLogEventStartIndex": 0}),
    ],
)
def test_rejected_ranges(
    timestamps: list[int], retention: int | None, accepted: tuple[int, int], info: dict[str, int]
) -> None:
    start, end, _, rejected = rejected_ranges(timestamps, NOW, retention)
    assert (start, end) == accepted and rejected == info


def test_put_log_events_record_leaves_the_messages_out() -> None:
    model = SESSION.get_service_model(SERVICE)
    facts = CallFacts(
        request_id="req-1",
        event_time=datetime(2025, 5, 20, tzinfo=UTC),
        user_agent="ua",
        service=model,
        operation=model.operation_model("PutLogEvents"),
        principal=Principal.root(ACCOUNT, "AKIAEXAMPLE"),
        region="us-west-2",
        params={
            "logGroupName": "g",
            "logStreamName": "s",
            "logEvents": [{"timestamp": 1, "message": "SECRET-CANARY"}],
        },
        output={"nextSequenceToken": "1"},
        spec=OPERATIONS["PutLogEvents"],
    )
    (record,) = build_records(facts)
    text = json.dumps(record)
    assert "SECRET-CANARY" not in text and "logEvents" not in text
    assert record["requestParameters"] == {"logGroupName": "g", "logStreamName": "s"}


def test_lambda_log_lines_become_events() -> None:
    text = "START RequestId: r Version: $LATEST\nhello\n\nEND RequestId: r\nREPORT RequestId: r\tDuration: 2.00 ms\t\n"
    events = log_events(text, 2.5, 1_000)
    assert [e["message"] for e in events] == [
        "START RequestId: r Version: $LATEST\n",
        "hello\n",
        "END RequestId: r\n",
        "REPORT RequestId: r\tDuration: 2.00 ms\t\n",
    ]
    assert [e["timestamp"] for e in events] == [998, 1_000, 1_000, 1_000]
    assert log_events("", 1.0, 5) == []
