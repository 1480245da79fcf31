"""EventBridge end to end: rules deliver to HTTP receivers, retries, restarts, dead letters, schedules."""

from __future__ import annotations

import json
import signal
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.events_support import Receiver, log_entries, log_target, outbox, unique, wait_for
from tests.support.server import ServerProcess


def _http_target(server: ServerProcess, events: Any, receiver_url: str, **target: Any) -> tuple[str, str]:
    name = unique("conn")
    conn = events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cret-value"}},
    )
    dest = events.create_api_destination(
        Name=unique("dest"),
        ConnectionArn=conn["ConnectionArn"],
        InvocationEndpoint=receiver_url + "/hook",
        HttpMethod="POST",
    )
    return dest["ApiDestinationArn"], name


def test_put_events_delivered_to_http_retried_while_receiver_down(server: ServerProcess) -> None:
    events = server.client("events")
    receiver = Receiver()  # not started yet: the receiver is down
    dest_arn, _ = _http_target(server, events, receiver.url)
    rule = unique("retry")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["my.app"], "detail": {"kind": ["order"]}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "http", "Arn": dest_arn}])
    rule_arn = events.describe_rule(Name=rule)["Arn"]
    try:
        out = events.put_events(
            Entries=[
                {"Source": "my.app", "DetailType": "Order", "Detail": json.dumps({"kind": "order", "n": 1})},
                {"Source": "my.app", "DetailType": "Order", "Detail": json.dumps({"kind": "refund"})},
            ]
        )
        assert out["FailedEntryCount"] == 0
        wait_for(lambda: any(e["attempts"] >= 1 for e in outbox(server, rule_arn)), nudge=lambda: server.advance(0))
        entries = outbox(server, rule_arn)
        assert len(entries) == 1 and entries[0]["state"] == "PENDING"
        assert "SDK_CLIENT_ERROR" in entries[0]["lastError"]
        receiver.start()
        wait_for(lambda: receiver.bodies("/hook"), nudge=lambda: server.advance(60))
        body = receiver.bodies("/hook")[0]
        assert body["detail"] == {"kind": "order", "n": 1} and body["source"] == "my.app"
        assert receiver.requests[0]["headers"]["x-api-key"] == "s3cret-value"
        wait_for(lambda: outbox(server, rule_arn)[0]["state"] == "DELIVERED")
    finally:
        receiver.stop()
        events.remove_targets(Rule=rule, Ids=["http"])
        events.delete_rule(Name=rule)


def test_event_past_maximum_age_is_dead_lettered(server: ServerProcess) -> None:
    events = server.client("events")
    receiver = Receiver()  # never started
    dest_arn, _ = _http_target(server, events, receiver.url)
    rule = unique("dlq")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["dlq.app"]}))
    dlq = "arn:aws:sqs:us-east-1:123456789012:my-dlq"
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "http",
                "Arn": dest_arn,
                "RetryPolicy": {"MaximumEventAgeInSeconds": 60, "MaximumRetryAttempts": 185},
                "DeadLetterConfig": {"Arn": dlq},
            }
        ],
    )
    rule_arn = events.describe_rule(Name=rule)["Arn"]
    try:
        events.put_events(Entries=[{"Source": "dlq.app", "DetailType": "X", "Detail": "{}"}])
        wait_for(lambda: any(e["attempts"] >= 1 for e in outbox(server, rule_arn)), nudge=lambda: server.advance(0))
        server.advance(61)
        server.advance(400)
        entry = wait_for(lambda: [e for e in outbox(server, rule_arn) if e["state"] == "DEAD_LETTERED"])[0]
        assert entry["deadLetterReason"] == "MaximumEventAgeInSeconds"
        assert entry["deadLetterArn"] == dlq
    finally:
        events.remove_targets(Rule=rule, Ids=["http"])
        events.delete_rule(Name=rule)


def test_zero_retries_dead_letters_after_first_failure(server: ServerProcess) -> None:
    events = server.client("events")
    receiver = Receiver(status=500).start()
    dest_arn, _ = _http_target(server, events, receiver.url)
    rule = unique("noretry")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["noretry.app"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "h", "Arn": dest_arn, "RetryPolicy": {"MaximumRetryAttempts": 0}}])
    rule_arn = events.describe_rule(Name=rule)["Arn"]
    try:
        events.put_events(Entries=[{"Source": "noretry.app", "DetailType": "X", "Detail": "{}"}])
        entry = wait_for(
            lambda: [e for e in outbox(server, rule_arn) if e["state"] == "DEAD_LETTERED"],
            nudge=lambda: server.advance(0),
        )[0]
        assert entry["deadLetterReason"] == "MaximumRetryAttempts" and "HTTP_500" in entry["lastError"]
    finally:
        receiver.stop()
        events.remove_targets(Rule=rule, Ids=["h"])
        events.delete_rule(Name=rule)


def test_server_killed_mid_retry_still_delivers_after_restart(make_server: Any, backend: str) -> None:
    srv: ServerProcess = make_server("--test-mode", backend=backend)
    srv.start()
    events = srv.client("events")
    receiver = Receiver()
    dest_arn, _ = _http_target(srv, events, receiver.url)
    events.put_rule(Name="durable", EventPattern=json.dumps({"source": ["durable.app"]}))
    events.put_targets(Rule="durable", Targets=[{"Id": "h", "Arn": dest_arn}])
    events.put_events(Entries=[{"Source": "durable.app", "DetailType": "X", "Detail": json.dumps({"n": 7})}])
    wait_for(lambda: any(e["attempts"] >= 1 for e in outbox(srv)), nudge=lambda: srv.advance(0))
    srv.stop(signal.SIGKILL)
    receiver.start()
    try:
        srv.start()
        wait_for(lambda: receiver.bodies("/hook"), timeout=30, nudge=lambda: srv.advance(120))
        assert receiver.bodies("/hook")[0]["detail"] == {"n": 7}
        assert [e["state"] for e in outbox(srv)] == ["DELIVERED"]
    finally:
        receiver.stop()


def _schedule_rule(server: ServerProcess, expression: str) -> tuple[str, str]:
    events = server.client("events")
    rule, log = unique("sched"), unique("log")
    events.put_rule(Name=rule, ScheduleExpression=expression)
    events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": log_target(server, log)}])
    return rule, log


def _drop_rule(server: ServerProcess, rule: str) -> None:
    events = server.client("events")
    events.remove_targets(Rule=rule, Ids=["log"])
    events.delete_rule(Name=rule)


def test_rate_one_day_fires_once_per_advanced_day(server: ServerProcess) -> None:
    rule, log = _schedule_rule(server, "rate(1 day)")
    try:
        server.advance(3600)
        assert log_entries(server, log) == []
        for day in range(1, 4):
            server.advance(86400)
            entries = wait_for(lambda d=day: len(log_entries(server, log)) >= d and log_entries(server, log))
            assert len(entries) == day
        event = log_entries(server, log)[0]
        assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
        assert event["detail"] == {} and event["resources"][0].endswith(f":rule/{rule}")
    finally:
        _drop_rule(server, rule)


def test_cron_weekdays_at_noon_fires_on_weekdays_only(server: ServerProcess) -> None:
    rule, log = _schedule_rule(server, "cron(0 12 ? * MON-FRI *)")
    try:
        for _ in range(7):
            server.advance(86400)
        entries = wait_for(lambda: len(log_entries(server, log)) >= 5 and log_entries(server, log))
        assert len(entries) == 5
        times = [datetime.fromisoformat(e["time"].replace("Z", "+00:00")) for e in entries]
        assert all(t.weekday() < 5 and (t.hour, t.minute) == (12, 0) for t in times)
        assert len({t.date() for t in times}) == 5
    finally:
        _drop_rule(server, rule)


def test_disabled_schedule_does_not_fire(server: ServerProcess) -> None:
    rule, log = _schedule_rule(server, "rate(5 minutes)")
    events = server.client("events")
    try:
        events.disable_rule(Name=rule)
        server.advance(900)
        assert log_entries(server, log) == []
        events.enable_rule(Name=rule)
        server.advance(300)
        assert len(wait_for(lambda: log_entries(server, log))) == 1
    finally:
        _drop_rule(server, rule)


@pytest.mark.parametrize("transform", ["input", "path", "transformer"])
def test_input_transformation_reaches_log_target(server: ServerProcess, transform: str) -> None:
    events = server.client("events")
    rule, log = unique("xform"), unique("log")
    target: dict[str, Any] = {"Id": "log", "Arn": log_target(server, log)}
    if transform == "input":
        target["Input"] = json.dumps({"fixed": True})
    elif transform == "path":
        target["InputPath"] = "$.detail.order"
    else:
        target["InputTransformer"] = {
            "InputPathsMap": {"id": "$.detail.order.id", "src": "$.source"},
            "InputTemplate": '{"order": <id>, "text": "order <id> from <src>"}',
        }
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["xform.app"]}))
    events.put_targets(Rule=rule, Targets=[target])
    try:
        detail = {"order": {"id": 42, "items": ["a"]}}
        events.put_events(Entries=[{"Source": "xform.app", "DetailType": "X", "Detail": json.dumps(detail)}])
        got = wait_for(lambda: log_entries(server, log), nudge=lambda: server.advance(0))[0]
        expected = {
            "input": {"fixed": True},
            "path": {"id": 42, "items": ["a"]},
            "transformer": {"order": 42, "text": "order 42 from xform.app"},
        }[transform]
        assert got == expected
    finally:
        events.remove_targets(Rule=rule, Ids=["log"])
        events.delete_rule(Name=rule)


def test_event_bus_target_forwards_to_custom_bus(server: ServerProcess) -> None:
    events = server.client("events")
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    fwd, inner, log = unique("fwd"), unique("inner"), unique("log")
    events.put_rule(Name=fwd, EventPattern=json.dumps({"source": ["fwd.app"]}))
    events.put_targets(Rule=fwd, Targets=[{"Id": "bus", "Arn": bus_arn}])
    events.put_rule(Name=inner, EventBusName=bus, EventPattern=json.dumps({"detail-type": ["Forwarded"]}))
    events.put_targets(Rule=inner, EventBusName=bus, Targets=[{"Id": "log", "Arn": log_target(server, log)}])
    try:
        events.put_events(Entries=[{"Source": "fwd.app", "DetailType": "Forwarded", "Detail": '{"a": 1}'}])
        got = wait_for(lambda: log_entries(server, log), nudge=lambda: server.advance(0))[0]
        assert got["source"] == "fwd.app" and got["detail"] == {"a": 1}
    finally:
        events.remove_targets(Rule=fwd, Ids=["bus"])
        events.delete_rule(Name=fwd)
        events.remove_targets(Rule=inner, EventBusName=bus, Ids=["log"])
        events.delete_rule(Name=inner, EventBusName=bus)
        events.delete_event_bus(Name=bus)


def test_kms_create_key_api_call_reaches_an_http_receiver(server: ServerProcess) -> None:
    """The audit trail publishes every successful mutating call as "AWS API Call via CloudTrail"."""
    events = server.client("events")
    receiver = Receiver().start()
    dest_arn, _ = _http_target(server, events, receiver.url)
    rule = unique("apicall")
    pattern = {
        "source": ["aws.kms"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["kms.amazonaws.com"], "eventName": ["CreateKey"]},
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "http", "Arn": dest_arn}])
    try:
        key = server.client("kms").create_key(Description=rule)["KeyMetadata"]
        server.client("kms").describe_key(KeyId=key["KeyId"])  # read-only: not published

        def mine() -> list[Any]:
            return [
                b
                for b in receiver.bodies("/hook")
                if b["detail"].get("requestParameters", {}).get("description") == rule
            ]

        body = wait_for(mine, nudge=lambda: server.advance(0))[0]
        assert body["detail"]["eventName"] == "CreateKey"
        assert body["detail"]["responseElements"]["keyMetadata"]["keyId"] == key["KeyId"]
        assert all(b["detail"]["eventName"] == "CreateKey" for b in receiver.bodies("/hook"))
    finally:
        receiver.stop()
        events.remove_targets(Rule=rule, Ids=["http"])
