"""Lambda writes each invocation's output to CloudWatch Logs, as its execution role, through Logs' own API."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from tests.e2e.s3_support import aws
from tests.e2e.test_lambda_functions import create, make_role
from tests.support.server import ServerProcess

PRINTING_FN = """
def handler(event, context):
    print("hello from", event["who"])
    print("two\\nlines")
    return {"ok": True}
"""

BASIC_EXECUTION = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": "arn:aws:logs:*:*:*"},
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/*:*",
            },
        ],
    }
)


def _wait_for(logs: Any, group: str, pattern: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        if len(events) >= count:
            return events
        time.sleep(0.2)
    raise AssertionError(f"{count} events matching {pattern!r} never reached {group}: {events}")


def test_function_output_reaches_its_log_group(server: ServerProcess) -> None:
    role = make_role(server)
    server.client("iam").put_role_policy(
        RoleName=role.rsplit("/", 1)[1], PolicyName="basic", PolicyDocument=BASIC_EXECUTION
    )
    fn = create(server, role, PRINTING_FN)["FunctionName"]
    lam, logs = server.client("lambda"), server.client("logs")
    started = time.monotonic()
    first = lam.invoke(FunctionName=fn, Payload=json.dumps({"who": "one"}))
    assert first["StatusCode"] == 200 and "FunctionError" not in first
    assert time.monotonic() - started < 10
    lam.invoke(FunctionName=fn, Payload=json.dumps({"who": "two"}))
    group = f"/aws/lambda/{fn}"
    events = _wait_for(logs, group, "", 12)  # 6 lines per invocation
    request_id = first["ResponseMetadata"]["RequestId"]
    mine = [e for e in events if e["logStreamName"].endswith(request_id.replace("-", ""))]
    messages = [e["message"] for e in mine]
    assert messages[0] == f"START RequestId: {request_id} Version: $LATEST\n"
    assert messages[1:4] == ["hello from one\n", "two\n", "lines\n"]
    assert messages[4] == f"END RequestId: {request_id}\n"
    assert re.fullmatch(
        rf"REPORT RequestId: {request_id}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: \d+ MB\t\n",
        messages[5],
    ), messages[5]
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", mine[0]["logStreamName"])
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert len(streams) == 2  # one per execution environment: every invocation gets a fresh one here
    hello = _wait_for(logs, group, '"hello from"', 2)
    assert sorted(e["message"] for e in hello) == ["hello from one\n", "hello from two\n"]
    reports = logs.filter_log_events(logGroupName=group, filterPattern="REPORT")["events"]
    assert len(reports) == 2


def test_invoke_succeeds_when_the_role_may_not_write_logs(server: ServerProcess) -> None:
    role = make_role(server)  # no policy: logs:CreateLogGroup & co. are denied
    fn = create(server, role, PRINTING_FN)["FunctionName"]
    out = server.client("lambda").invoke(FunctionName=fn, Payload=json.dumps({"who": "x"}))
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    assert json.loads(out["Payload"].read()) == {"ok": True}
    time.sleep(0.5)
    group = f"/aws/lambda/{fn}"
    assert server.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []


def test_cli_filter_log_events(server: ServerProcess) -> None:
    logs = server.client("logs")
    group = f"/test/cli/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    _, body = server.admin("GET", "clock")
    now = int((time.time() + float(body["offset"])) * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": now, "message": '{"level": "ERROR", "code": 500}'},
            {"timestamp": now + 1, "message": '{"level": "INFO", "code": 200}'},
        ],
    )
    done = aws(
        server,
        "logs",
        "filter-log-events",
        "--log-group-name",
        group,
        "--filter-pattern",
        "{ $.code >= 500 }",
        "--output",
        "json",
    )
    out = json.loads(done.stdout)
    assert [e["message"] for e in out["events"]] == ['{"level": "ERROR", "code": 500}']
