"""Helpers for ACM's end-to-end tests."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.support.server import ServerProcess


def acm_event_log(server: ServerProcess) -> str:
    """A rule sending every aws.acm event to a log target; returns the log name."""
    name = unique("acm-events")
    events = server.client("events")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.acm"]}))
    events.put_targets(Rule=name, Targets=[{"Id": "log", "Arn": log_target(server, name)}])
    return name


def acm_events(server: ServerProcess, name: str, detail_type: str, arn: str, at_least: int = 1) -> list[dict[str, Any]]:
    """The delivered events of one type about one certificate, waiting (delivery is asynchronous) for some."""

    def found() -> list[dict[str, Any]]:
        got = [e for e in log_entries(server, name) if e["detail-type"] == detail_type and arn in e["resources"]]
        return got if len(got) >= at_least else []

    return list(wait_for(found, timeout=20, nudge=lambda: server.advance(0)))


def wait_status(acm: Any, arn: str, wanted: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        detail: dict[str, Any] = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if detail["Status"] == wanted:
            return detail
        assert time.monotonic() < deadline, f"{arn} stayed {detail['Status']} ({detail.get('FailureReason')})"
        time.sleep(0.2)
