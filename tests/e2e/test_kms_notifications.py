"""KMS's own scheduled actions: CloudTrail service events and EventBridge events on the default bus."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.events_support import log_entries, log_target, unique, wait_for
from tests.support.server import ServerProcess


def _rule_to_log(server: ServerProcess, detail_type: str) -> str:
    events = server.client("events")
    name = unique("kmsrule")
    events.put_rule(Name=name, EventPattern=json.dumps({"source": ["aws.kms"], "detail-type": [detail_type]}))
    events.put_targets(Rule=name, Targets=[{"Id": "log", "Arn": log_target(server, name)}])
    return name


def _service_events(server: ServerProcess, event_name: str, key_arn: str) -> list[dict[str, Any]]:
    trail = server.client("cloudtrail")
    out = trail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}])
    records = [json.loads(e["CloudTrailEvent"]) for e in out["Events"]]
    return [r for r in records if r["eventType"] == "AwsServiceEvent" and key_arn in json.dumps(r)]


def test_deletion_is_announced(server: ServerProcess) -> None:
    log = _rule_to_log(server, "KMS CMK Deletion")
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    server.advance(8 * 86400)
    entries = wait_for(
        lambda: [e for e in log_entries(server, log) if key["Arn"] in e["resources"]], nudge=lambda: server.advance(1)
    )
    assert entries[0]["detail-type"] == "KMS CMK Deletion" and entries[0]["source"] == "aws.kms"
    assert wait_for(lambda: _service_events(server, "DeleteKey", key["Arn"]))


def test_automatic_rotation_is_announced(server: ServerProcess) -> None:
    log = _rule_to_log(server, "KMS CMK Rotation")
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    server.advance(91 * 86400)
    entries = wait_for(
        lambda: [e for e in log_entries(server, log) if key["Arn"] in e["resources"]], nudge=lambda: server.advance(1)
    )
    assert entries[0]["detail"]["key-id"] in key["KeyId"] or key["KeyId"] in json.dumps(entries[0]["detail"])
    assert wait_for(lambda: _service_events(server, "RotateKey", key["Arn"]))
