"""The data-event filter: nothing is looked up when no trail selects data events, the requester's and the bucket
owner's trails each decide for their own account, and trail changes are seen at once (invalidate) or within a
second."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from strongroom.audit import data_events, model
from strongroom.audit.data_events import DataEvents
from strongroom.audit.records import CallFacts
from strongroom.core.context import Principal
from strongroom.protocol.http import HttpRequest
from strongroom.services.s3.operations import OPERATIONS
from strongroom.store.engine import Store

OWNER, REQUESTER, STRANGER = "111111111111", "222222222222", "333333333333"
S3 = botocore.session.get_session().get_service_model("s3")
ALL_OBJECTS = [{"ReadWriteType": "All", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'a.db'}")
    s.migrate()
    yield s
    s.dispose()


class Owners:
    """The server's bucket-owner hook, counting its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, bucket: str) -> str | None:
        self.calls += 1
        return OWNER if bucket == "owned" else None


@pytest.fixture
def events(store: Store) -> DataEvents:
    filtered = DataEvents(store)
    filtered.bucket_owner = Owners()
    return filtered


def add_trail(store: Store, account: str, name: str, basic: Any = None, advanced: Any = None, **columns: Any) -> None:
    now = datetime.now(UTC)
    row = {
        "arn": f"arn:aws:cloudtrail:us-east-1:{account}:trail/{name}",
        "account_id": account,
        "region": "us-east-1",
        "name": name,
        "s3_bucket_name": f"{name}-dir",
        "include_global_service_events": True,
        "is_multi_region_trail": False,
        "log_file_validation_enabled": False,
        "is_logging": True,
        "event_selectors": json.dumps(basic) if basic is not None else None,
        "advanced_event_selectors": json.dumps(advanced) if advanced is not None else None,
        "tags": "[]",
        "cursor_seq": 0,
        "created_at": now,
        **columns,
    }
    with store.write() as conn:
        conn.execute(model.trails.insert().values(**row))


def facts(account: str, operation: str = "GetObject", bucket: str = "owned", key: str = "k", **more: Any) -> CallFacts:
    request = HttpRequest("GET", f"/{bucket}/{key}", "", {"host": "s3.local", "authorization": "AWS4-HMAC-SHA256 x"})
    return CallFacts(
        request_id="req-1",
        event_time=datetime(2025, 5, 20, 20, 46, 16, tzinfo=UTC),
        service=S3,
        operation=S3.operation_model(operation),
        principal=Principal.root(account),
        region="us-east-1",
        params={"Bucket": bucket, "Key": key},
        output={"ContentLength": 3},
        spec=OPERATIONS[operation],
        http=request,
        **more,
    )


def test_no_trail_selecting_data_events_costs_no_lookup(events: DataEvents, store: Store) -> None:
    add_trail(store, OWNER, "management")  # default selectors: management events only
    for _ in range(1000):
        assert events.records(facts(OWNER)) == []
    assert events.bucket_owner.calls == 0  # type: ignore[union-attr]


def test_the_owner_s_trail_and_the_requester_s_trail(events: DataEvents, store: Store) -> None:
    add_trail(store, OWNER, "owner-trail", ALL_OBJECTS)
    add_trail(store, REQUESTER, "requester-trail", ALL_OBJECTS)
    add_trail(store, STRANGER, "stranger-trail", ALL_OBJECTS)

    own = events.records(facts(OWNER))
    assert [r["recipientAccountId"] for r in own] == [OWNER] and "sharedEventID" not in own[0]

    both = events.records(facts(REQUESTER))
    assert [r["recipientAccountId"] for r in both] == [REQUESTER, OWNER]
    assert both[0]["sharedEventID"] == both[1]["sharedEventID"] and both[0]["eventID"] != both[1]["eventID"]
    record = both[0]
    assert record["eventCategory"] == "Data" and record["managementEvent"] is False
    assert record["resources"] == [
        {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::owned/k"},
        {"accountId": OWNER, "type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::owned"},
    ]
    assert record["requestParameters"] == {"bucketName": "owned", "Host": "s3.local", "key": "k"}
    assert record["additionalEventData"]["bytesTransferredOut"] == 3
    assert record["additionalEventData"]["SignatureVersion"] == "SigV4"
    assert list(record)[-2:] == ["sharedEventID", "eventCategory"]  # CloudTrail's member order

    # a bucket nobody here owns: only the requester's own trail
    assert [r["recipientAccountId"] for r in events.records(facts(REQUESTER, bucket="elsewhere"))] == [REQUESTER]


def test_each_account_s_own_selectors_decide(events: DataEvents, store: Store) -> None:
    writes = [{"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]
    add_trail(store, OWNER, "owner-writes", writes)
    add_trail(store, REQUESTER, "requester-all", ALL_OBJECTS)
    assert [r["recipientAccountId"] for r in events.records(facts(REQUESTER))] == [REQUESTER]
    put = facts(REQUESTER, "PutObject")
    assert [r["recipientAccountId"] for r in events.records(put)] == [REQUESTER, OWNER]
    # a single-Region trail of another Region takes nothing
    add_trail(store, STRANGER, "west", ALL_OBJECTS, region="us-west-2")
    events.invalidate()
    assert events.records(facts(STRANGER, bucket="elsewhere")) == []


def test_trail_changes_are_seen_at_once_here_and_within_a_second_elsewhere(
    events: DataEvents, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = []
    original = DataEvents._load

    def counting(self: DataEvents) -> Any:
        loads.append(1)
        return original(self)

    monkeypatch.setattr(DataEvents, "_load", counting)
    assert events.records(facts(OWNER)) == []
    add_trail(store, OWNER, "late", ALL_OBJECTS)  # as another node would: no invalidate() here
    assert events.records(facts(OWNER)) == [] and len(loads) == 1  # within the second, the snapshot stands
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    events.invalidate()
    assert len(events.records(facts(OWNER))) == 1 and len(loads) == 2
    with store.write() as conn:
        conn.execute(model.trails.update().values(is_logging=False))
    assert len(events.records(facts(OWNER))) == 1
    clock[0] += data_events.REFRESH_SECONDS + 0.01
    assert events.records(facts(OWNER)) == [] and len(loads) == 3


def test_a_failed_reload_keeps_the_last_answer(
    events: DataEvents, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_trail(store, OWNER, "owner-trail", ALL_OBJECTS)
    assert len(events.records(facts(OWNER))) == 1

    def broken(self: DataEvents) -> Any:
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(DataEvents, "_load", broken)
    events.invalidate()
    assert len(events.records(facts(OWNER))) == 1


def test_secrets_and_bodies_are_never_recorded(events: DataEvents, store: Store) -> None:
    add_trail(store, OWNER, "owner-trail", ALL_OBJECTS)
    put = facts(OWNER, "PutObject")
    put.params = {
        "Bucket": "owned",
        "Key": "k",
        "Body": b"BODY-CANARY",
        "SSECustomerAlgorithm": "AES256",
        "SSECustomerKey": "KEY-CANARY",
        "SSEKMSEncryptionContext": "CONTEXT-CANARY",
    }
    put.http = HttpRequest(
        "PUT",
        "/owned/k",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=CRED-CANARY&X-Amz-Signature=SIG-CANARY&versionId=v1",
        {"host": "s3.local", "content-length": "11"},
    )
    (record,) = events.records(put)
    text = json.dumps(record)
    assert not any(canary in text for canary in ("BODY", "KEY-CANARY", "CONTEXT-CANARY", "CRED-CANARY", "SIG-CANARY"))
    params = record["requestParameters"]
    assert params["x-amz-server-side-encryption-customer-algorithm"] == "AES256" and params["versionId"] == "v1"
    assert record["additionalEventData"]["AuthenticationMethod"] == "QueryString"
    assert record["additionalEventData"]["bytesTransferredIn"] == 11
