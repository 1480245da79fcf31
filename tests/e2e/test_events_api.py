"""EventBridge API end to end: resources, listing, tags, and AWS's errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from tests.e2e.events_support import log_target, unique, wait_for
from tests.support.errors import code_message_of as _code
from tests.support.server import ServerProcess

NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def test_default_bus_and_custom_bus_lifecycle(server: ServerProcess) -> None:
    events = server.client("events")
    default = events.describe_event_bus()
    assert default["Name"] == "default" and default["Arn"].endswith(":event-bus/default")
    name = unique("bus")
    arn = events.create_event_bus(Name=name, Description="d", Tags=[{"Key": "k", "Value": "v"}])["EventBusArn"]
    assert events.describe_event_bus(Name=arn)["Description"] == "d"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert name in [b["Name"] for b in events.list_event_buses(NamePrefix=name)["EventBuses"]]
    events.update_event_bus(Name=name, Description="e")
    assert events.describe_event_bus(Name=name)["Description"] == "e"
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name=name)
    assert _code(exc) == ("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    with pytest.raises(ClientError) as exc:
        events.delete_event_bus(Name="default")
    assert _code(exc) == ("ValidationException", "Cannot delete event bus default.")
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as exc:
        events.describe_event_bus(Name=name)
    assert _code(exc) == ("ResourceNotFoundException", f"Event bus {name} does not exist.")


def test_rules_lifecycle_listing_and_errors(server: ServerProcess) -> None:
    events = server.client("events")
    prefix = unique("r")
    for i in range(3):
        events.put_rule(Name=f"{prefix}-{i}", EventPattern='{"source": ["a"]}', Description=f"n{i}")
    page = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in page["Rules"]] == [f"{prefix}-0", f"{prefix}-1"]
    rest = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=page["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == [f"{prefix}-2"] and "NextToken" not in rest
    for forged in ("!!!", "bm90LWEtdG9rZW4"):  # not base64; base64 of something we never issued
        with pytest.raises(ClientError) as exc:
            events.list_rules(NamePrefix=prefix, NextToken=forged)
        assert _code(exc) == ("ValidationException", "The NextToken is invalid.")
    events.disable_rule(Name=f"{prefix}-0")
    assert events.describe_rule(Name=f"{prefix}-0")["State"] == "DISABLED"
    target = log_target(server, unique("log"))
    events.put_targets(Rule=f"{prefix}-1", Targets=[{"Id": "t", "Arn": target}])
    assert events.list_rule_names_by_target(TargetArn=target)["RuleNames"] == [f"{prefix}-1"]
    assert events.list_targets_by_rule(Rule=f"{prefix}-1")["Targets"] == [{"Id": "t", "Arn": target}]
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name=f"{prefix}-1")
    assert _code(exc) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule=f"{prefix}-1", Ids=["t"])
    for i in range(3):
        events.delete_rule(Name=f"{prefix}-{i}")
    events.delete_rule(Name=f"{prefix}-0")  # deleting again succeeds, as on AWS
    with pytest.raises(ClientError) as exc:
        events.describe_rule(Name=f"{prefix}-0")
    assert _code(exc) == ("ResourceNotFoundException", f"Rule {prefix}-0 does not exist on EventBus default.")
    with pytest.raises(ClientError) as exc:
        events.enable_rule(Name=f"{prefix}-0")
    assert _code(exc)[0] == "ResourceNotFoundException"


@pytest.mark.parametrize(
    ("kwargs", "code", "message"),
    [
        ({}, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified."),
        (
            {"ScheduleExpression": "rate(1 minutes)"},
            "ValidationException",
            "Parameter ScheduleExpression is not valid.",
        ),
        (
            {"ScheduleExpression": "cron(0 12 * * MON *)"},
            "ValidationException",
            "Parameter ScheduleExpression is not valid.",
        ),
        (
            {"EventPattern": '{"source": ["a"], "detail": {}}'},
            "InvalidEventPatternException",
            "Event pattern is not valid. Reason: Empty objects are not allowed\n"
            ' at [Source: (String)"{"source": ["a"], "detail": {}}"; line: 1, column: 31]',
        ),
        (
            {"EventPattern": '{"source": "a"}'},
            "InvalidEventPatternException",
            'Event pattern is not valid. Reason: "source" must be an object or an array\n'
            ' at [Source: (String)"{"source": "a"}"; line: 1, column: 15]',
        ),
    ],
)
def test_put_rule_rejects_bad_input(server: ServerProcess, kwargs: dict[str, Any], code: str, message: str) -> None:
    events = server.client("events")
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("bad"), **kwargs)
    assert _code(exc) == (code, message)


def test_schedule_only_on_default_bus_and_missing_bus(server: ServerProcess) -> None:
    events = server.client("events")
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    try:
        with pytest.raises(ClientError) as exc:
            events.put_rule(Name="s", EventBusName=bus, ScheduleExpression="rate(1 day)")
        assert _code(exc) == ("ValidationException", "ScheduleExpression is supported only on the default event bus.")
    finally:
        events.delete_event_bus(Name=bus)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="s", EventBusName="nope-" + bus, EventPattern='{"a": [1]}')
    assert _code(exc) == ("ResourceNotFoundException", f"Event bus nope-{bus} does not exist.")


def test_put_targets_errors_and_unsupported_targets(server: ServerProcess) -> None:
    events = server.client("events")
    rule = unique("t")
    events.put_rule(Name=rule, EventPattern='{"source": ["a"]}')
    try:
        out = events.put_targets(
            Rule=rule, Targets=[{"Id": "l", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}]
        )
        assert out["FailedEntryCount"] == 1
        assert out["FailedEntries"][0]["ErrorMessage"] == "Lambda function targets are not supported by Strongroom yet."
        with pytest.raises(ClientError) as exc:
            events.put_targets(
                Rule=rule, Targets=[{"Id": "x", "Arn": log_target(server, "x"), "Input": "{", "InputPath": "$"}]
            )
        assert _code(exc) == (
            "ValidationException",
            "Only one of Input, InputPath, or InputTransformer must be provided.",
        )
        targets = [{"Id": f"t{i}", "Arn": log_target(server, f"n{i}")} for i in range(6)]
        with pytest.raises(ClientError) as exc:
            events.put_targets(Rule=rule, Targets=targets)
        assert _code(exc)[0] == "LimitExceededException"
        with pytest.raises(ClientError) as exc:
            events.put_targets(Rule="missing-" + rule, Targets=targets[:1])
        assert _code(exc) == ("ResourceNotFoundException", f"Rule missing-{rule} does not exist on EventBus default.")
        bad = server.client("events", config=NO_VALIDATION)
        with pytest.raises(ClientError) as exc:
            bad.put_targets(
                Rule=rule,
                Targets=[{"Id": "r", "Arn": log_target(server, "r"), "RetryPolicy": {"MaximumEventAgeInSeconds": 10}}],
            )
        assert _code(exc)[0] == "ValidationException"
    finally:
        events.delete_rule(Name=rule)


def test_put_events_per_entry_errors(server: ServerProcess) -> None:
    events = server.client("events", config=NO_VALIDATION)
    out = events.put_events(
        Entries=[
            {"Source": "ok.app", "DetailType": "X", "Detail": "{}"},
            {"DetailType": "X", "Detail": "{}"},
            {"Source": "a", "DetailType": "X", "Detail": "not json"},
            {"Source": "aws.kms", "DetailType": "X", "Detail": "{}"},
            {"Source": "a", "DetailType": "X", "Detail": "{}", "EventBusName": "no-such-bus-xyz"},
        ]
    )
    assert out["FailedEntryCount"] == 4
    first, missing, malformed, reserved, nobus = out["Entries"]
    assert "EventId" in first
    assert missing == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
    }
    assert malformed == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert reserved["ErrorCode"] == "NotAuthorizedForSourceException"
    assert nobus["ErrorCode"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[{"Source": "a", "DetailType": "X", "Detail": json.dumps({"x": "y" * 270_000})}])
    assert _code(exc) == ("ValidationException", "Total size of the entries in the request is over the limit.")


def test_test_event_pattern_errors(server: ServerProcess) -> None:
    events = server.client("events")
    event = {"id": "1", "account": "1", "source": "s", "time": "t", "region": "r", "detail-type": "d", "resources": []}
    assert events.test_event_pattern(EventPattern='{"source": ["s"]}', Event=json.dumps(event))["Result"] is True
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"source": ["s"]}', Event="nope")
    assert _code(exc) == ("ValidationException", "Parameter Event is not valid.")
    del event["region"]
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"source": ["s"]}', Event=json.dumps(event))
    assert _code(exc)[1].endswith("missing required field region.")
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"a": [{"bogus": 1}]}', Event=json.dumps(event))
    assert _code(exc)[0] == "InvalidEventPatternException" and "Unrecognized match type bogus" in _code(exc)[1]


def test_connections_keep_secrets_sealed_and_hidden(server: ServerProcess) -> None:
    events = server.client("events")
    name = unique("c")
    created = events.create_connection(
        Name=name,
        AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "TOPSECRET-1"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "h", "Value": "TOPSECRET-2", "IsValueSecret": True}]
            },
        },
    )
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=name)
    text = json.dumps(described, default=str)
    assert "TOPSECRET" not in text and described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "k"}
    assert described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"] == [
        {"Key": "h", "IsValueSecret": True}
    ]
    db = (server.data_dir / "strongroom.db").read_bytes() if server.database_url is None else b""
    assert b"TOPSECRET" not in db
    assert name in [c["Name"] for c in events.list_connections(NamePrefix=name)["Connections"]]
    events.update_connection(Name=name, Description="new")
    assert events.describe_connection(Name=name)["Description"] == "new"
    with pytest.raises(ClientError) as exc:
        events.create_connection(
            Name=name,
            AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
        )
    assert _code(exc) == ("ResourceAlreadyExistsException", f"Connection {name} already exists.")
    with pytest.raises(ClientError) as exc:
        events.create_connection(
            Name=unique("c"),
            AuthorizationType="BASIC",
            AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}},
        )
    assert _code(exc)[0] == "ValidationException"
    dest_name = unique("d")
    dest = events.create_api_destination(
        Name=dest_name,
        ConnectionArn=created["ConnectionArn"],
        InvocationEndpoint="https://example.com/x",
        HttpMethod="POST",
    )
    assert events.describe_api_destination(Name=dest_name)["ApiDestinationArn"] == dest["ApiDestinationArn"]
    events.update_api_destination(Name=dest_name, InvocationRateLimitPerSecond=10)
    assert events.describe_api_destination(Name=dest_name)["InvocationRateLimitPerSecond"] == 10
    listed = events.list_api_destinations(ConnectionArn=created["ConnectionArn"])["ApiDestinations"]
    assert [d["Name"] for d in listed] == [dest_name]
    with pytest.raises(ClientError) as exc:
        events.create_api_destination(
            Name=unique("d"),
            ConnectionArn=created["ConnectionArn"] + "x",
            InvocationEndpoint="https://e/x",
            HttpMethod="POST",
        )
    assert _code(exc)[0] == "ResourceNotFoundException"
    events.delete_api_destination(Name=dest_name)
    with pytest.raises(ClientError) as exc:
        events.describe_api_destination(Name=dest_name)
    assert _code(exc) == ("ResourceNotFoundException", f"An api-destination '{dest_name}' does not exist.")
    assert events.deauthorize_connection(Name=name)["ConnectionState"] == "DEAUTHORIZING"
    assert events.describe_connection(Name=name)["ConnectionState"] == "DEAUTHORIZED"
    events.delete_connection(Name=name)
    with pytest.raises(ClientError) as exc:
        events.describe_connection(Name=name)
    assert _code(exc) == (
        "ResourceNotFoundException",
        f"Failed to describe the connection(s). Connection '{name}' does not exist.",
    )


def test_tags_on_rules(server: ServerProcess) -> None:
    events = server.client("events")
    rule = unique("tag")
    arn = events.put_rule(Name=rule, EventPattern='{"source": ["a"]}', Tags=[{"Key": "a", "Value": "1"}])["RuleArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    events.delete_rule(Name=rule)
    with pytest.raises(ClientError) as exc:
        events.list_tags_for_resource(ResourceARN=arn)
    assert _code(exc) == ("ResourceNotFoundException", f"Rule {rule} does not exist on EventBus default.")


def test_cli_tail_prints_log_target_entries(server: ServerProcess) -> None:
    events = server.client("events")
    rule, log = unique("cli"), unique("log")
    events.put_rule(Name=rule, EventPattern='{"source": ["cli.app"]}')
    events.put_targets(Rule=rule, Targets=[{"Id": "l", "Arn": log_target(server, log)}])
    try:
        events.put_events(Entries=[{"Source": "cli.app", "DetailType": "X", "Detail": '{"hello": "tail"}'}])
        args = [
            sys.executable,
            "-m",
            "strongroom.cli.main",
            "events",
            "tail",
            "--data-dir",
            str(server.data_dir),
            "--name",
            log,
        ]
        if server.database_url:
            args += ["--database-url", server.database_url]

        def tail() -> list[dict[str, Any]]:
            out = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout
            return [json.loads(line) for line in out.splitlines()]

        lines = wait_for(tail, timeout=30, nudge=lambda: server.advance(0))
        assert json.loads(lines[0]["payload"])["detail"] == {"hello": "tail"}
    finally:
        events.remove_targets(Rule=rule, Ids=["l"])
        events.delete_rule(Name=rule)
