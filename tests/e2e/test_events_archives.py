"""EventBridge archives and replay, bus policies for cross-account PutEvents, endpoints and partner event sources
through boto3, with AWS's errors."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.e2e.s3_support import other_account
from tests.support.errors import code_of_call as code_of
from tests.support.server import ServerProcess

PATTERN = json.dumps({"source": ["my.app"]})


def _entry(bus: str, n: int, source: str = "my.app") -> dict[str, Any]:
    return {"Source": source, "DetailType": "order", "Detail": json.dumps({"n": n}), "EventBusName": bus}


def test_archive_replays_into_a_rule(server: ServerProcess) -> None:
    events = server.client("events")
    bus, archive, rule, log = unique("bus"), unique("arc"), unique("rule"), unique("log")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    created = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn, EventPattern=PATTERN, RetentionDays=3)
    assert created["State"] == "ENABLED"
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "log", "Arn": log_target(server, log)}])
    before = server.now() - timedelta(minutes=1)
    put = events.put_events(Entries=[_entry(bus, 1), _entry(bus, 2), _entry(bus, 3, source="other.app")])
    assert put["FailedEntryCount"] == 0
    described = events.describe_archive(ArchiveName=archive)
    assert described["EventCount"] == 2 and described["SizeBytes"] > 0
    assert described["EventPattern"] == PATTERN and described["RetentionDays"] == 3
    assert described["EventSourceArn"] == bus_arn
    wait_for(lambda: len(log_entries(server, log)) >= 2, nudge=lambda: server.advance(0))

    replay = unique("replay")
    archive_arn = described["ArchiveArn"]
    start = events.start_replay(
        ReplayName=replay,
        EventSourceArn=archive_arn,
        EventStartTime=before,
        EventEndTime=server.now() + timedelta(minutes=1),
        Destination={"Arn": bus_arn, "FilterArns": [events.describe_rule(Name=rule, EventBusName=bus)["Arn"]]},
    )
    assert start["State"] == "STARTING"
    replayed = wait_for(
        lambda: [e for e in log_entries(server, log) if e.get("replay-name") == replay], nudge=lambda: server.advance(0)
    )
    wait_for(lambda: len([e for e in log_entries(server, log) if e.get("replay-name") == replay]) == 2)
    assert sorted(e["detail"]["n"] for e in replayed) in ([1], [1, 2], [2])
    got = events.describe_replay(ReplayName=replay)
    assert got["State"] == "COMPLETED" and got["EventSourceArn"] == archive_arn and "ReplayEndTime" in got
    assert [r["ReplayName"] for r in events.list_replays(NamePrefix=replay)["Replays"]] == [replay]
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix=archive)["Archives"]] == [archive]
    assert code_of(events.cancel_replay, ReplayName=replay) == "IllegalStatusException"

    # errors
    assert code_of(events.create_archive, ArchiveName=archive, EventSourceArn=bus_arn) == (
        "ResourceAlreadyExistsException"
    )
    assert code_of(events.create_archive, ArchiveName=unique("a"), EventSourceArn=bus_arn, EventPattern="{bad") == (
        "InvalidEventPatternException"
    )
    assert code_of(events.describe_archive, ArchiveName="nope") == "ResourceNotFoundException"
    window = {"EventStartTime": before, "EventEndTime": server.now()}
    assert code_of(
        events.start_replay, ReplayName=replay, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
    ) == ("ResourceAlreadyExistsException")
    other_bus = events.describe_event_bus()["Arn"]
    assert code_of(
        events.start_replay,
        ReplayName=unique("r"),
        EventSourceArn=archive_arn,
        Destination={"Arn": other_bus},
        **window,
    ) == ("ValidationException")
    reversed_window = {"EventStartTime": window["EventEndTime"], "EventEndTime": before}
    assert code_of(
        events.start_replay,
        ReplayName=unique("r"),
        EventSourceArn=archive_arn,
        Destination={"Arn": bus_arn},
        **reversed_window,
    ) == ("ValidationException")
    assert code_of(events.describe_replay, ReplayName="nope") == "ResourceNotFoundException"

    events.update_archive(ArchiveName=archive, Description="kept", RetentionDays=1)
    assert events.describe_archive(ArchiveName=archive)["Description"] == "kept"
    server.advance(2 * 86400)  # retention: the archived events expire
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 0
    events.delete_archive(ArchiveName=archive)
    assert code_of(events.delete_archive, ArchiveName=archive) == "ResourceNotFoundException"


def test_bus_policy_lets_another_account_put_events(server: ServerProcess) -> None:
    events = server.client("events")
    other_id, creds = other_account(server)
    theirs = server.client(
        "events", aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"]
    )
    bus, rule, log = unique("shared"), unique("rule"), unique("log")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "log", "Arn": log_target(server, log)}])
    assert code_of(theirs.put_events, Entries=[_entry(bus_arn, 1)]) == "AccessDeniedException"

    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=other_id, StatementId="other")
    policy = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{other_id}:root"}
    assert theirs.put_events(Entries=[_entry(bus_arn, 7)])["FailedEntryCount"] == 0
    got = wait_for(lambda: log_entries(server, log), nudge=lambda: server.advance(0))
    assert got[0]["account"] == other_id and got[0]["detail"] == {"n": 7}

    assert code_of(events.remove_permission, EventBusName=bus, StatementId="nope") == "ResourceNotFoundException"
    events.remove_permission(EventBusName=bus, StatementId="other")
    assert "Policy" not in events.describe_event_bus(Name=bus)
    assert code_of(theirs.put_events, Entries=[_entry(bus_arn, 8)]) == "AccessDeniedException"
    assert code_of(events.remove_permission, EventBusName=bus, RemoveAllPermissions=True) == (
        "ResourceNotFoundException"
    )
    assert code_of(
        events.put_permission, EventBusName=bus, Action="events:PutRule", Principal=other_id, StatementId="x"
    ) == ("ValidationException")
    assert code_of(
        events.put_permission, EventBusName="nope", Action="events:PutEvents", Principal=other_id, StatementId="x"
    ) == ("ResourceNotFoundException")


def test_endpoints_and_partner_sources(server: ServerProcess) -> None:
    events = server.client("events")
    name = unique("ep")
    buses = [
        {"EventBusArn": "arn:aws:events:us-east-1:111122223333:event-bus/a"},
        {"EventBusArn": "arn:aws:events:us-west-2:111122223333:event-bus/a"},
    ]
    routing = {
        "FailoverConfig": {
            "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/x"},
            "Secondary": {"Route": "us-west-2"},
        }
    }
    out = events.create_endpoint(Name=name, RoutingConfig=routing, EventBuses=buses, Description="d")
    assert out["State"] == "ACTIVE" and out["EventBuses"] == buses
    got = events.describe_endpoint(Name=name)
    assert got["RoutingConfig"] == routing and got["Description"] == "d" and got["EndpointUrl"].startswith("https://")
    events.update_endpoint(Name=name, Description="e")
    assert events.describe_endpoint(Name=name)["Description"] == "e"
    assert [e["Name"] for e in events.list_endpoints(NamePrefix=name)["Endpoints"]] == [name]
    assert code_of(events.create_endpoint, Name=name, RoutingConfig=routing, EventBuses=buses) == (
        "ResourceAlreadyExistsException"
    )
    assert code_of(
        events.create_endpoint, Name=unique("ep"), RoutingConfig=routing, EventBuses=[buses[0], buses[0]]
    ) == ("ValidationException")
    events.delete_endpoint(Name=name)
    assert code_of(events.describe_endpoint, Name=name) == "ResourceNotFoundException"

    assert events.list_event_sources()["EventSources"] == []
    assert code_of(events.describe_event_source, Name="aws.partner/x.com/y") == "ResourceNotFoundException"
    assert code_of(events.activate_event_source, Name="aws.partner/x.com/y") == "ResourceNotFoundException"
    assert (
        code_of(events.list_partner_event_sources, NamePrefix="aws.partner/example.com/")
        == "OperationDisabledException"
    )
    assert code_of(events.create_partner_event_source, Name="aws.partner/x.com/y", Account="111122223333") == (
        "OperationDisabledException"
    )
