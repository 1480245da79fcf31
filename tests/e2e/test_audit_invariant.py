"""No call is acknowledged without its record, whatever the request held (issue 15, item 4).

Integers past 64 bits used to reach the audit serializer (orjson refuses them) and answer a bare 500 after
the provider had already committed: a Lambda function was created with no CloudTrail record. Here: such
integers are validation errors with AWS's text, the record of every call is built whatever the values, and
failures injected into the record builder and the writer never leave a change acknowledged without a record.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from strongroom.audit import store as audit_store
from strongroom.audit.store import Ticket, rows_for
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess

ONCE = botocore.config.Config(retries={"total_max_attempts": 1})


def record_for(ct: Any, request_id: str, event_name: str, timeout: float = 5.0) -> dict[str, Any]:
    """The record of one request (failed and read-only calls are stored shortly after their answer)."""
    deadline = time.monotonic() + timeout
    while True:
        attrs = [{"AttributeKey": "EventName", "AttributeValue": event_name}]
        for event in ct.lookup_events(LookupAttributes=attrs, MaxResults=50)["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            if record["requestID"] == request_id:
                return dict(record)
        if time.monotonic() > deadline:
            raise AssertionError(f"no {event_name} record for request {request_id}")
        time.sleep(0.05)


def failed(call: Any, **params: Any) -> ClientError:
    with pytest.raises(ClientError) as exc:
        call(**params)
    return exc.value


def test_kms_integers_past_64_bits_are_validation_errors_with_a_record(server: ServerProcess) -> None:
    kms, ct = server.client("kms"), server.client("cloudtrail")
    err = failed(kms.list_keys, Limit=10**40)
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = err.response["Error"]["Message"]
    assert message.startswith("1 validation error detected: Value '")
    assert message.endswith(
        "' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000"
    )
    record = record_for(ct, err.response["ResponseMetadata"]["RequestId"], "ListKeys")
    assert record["errorCode"] == "ValidationException"

    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    err = failed(kms.generate_data_key, KeyId=key_id, NumberOfBytes=2**64)
    assert err.response["Error"]["Code"] == "ValidationException"
    assert (
        "at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"
        in (err.response["Error"]["Message"])
    )
    record = record_for(ct, err.response["ResponseMetadata"]["RequestId"], "GenerateDataKey")
    assert record["errorCode"] == "ValidationException"


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def test_lambda_function_with_a_huge_accelerator_memory_is_not_created(server: ServerProcess) -> None:
    lam, ct = server.client("lambda"), server.client("cloudtrail")
    name = f"accel-{uuid.uuid4().hex[:8]}"
    account = server.client("sts").get_caller_identity()["Account"]
    err = failed(
        lam.create_function,
        FunctionName=name,
        Runtime="python3.12",
        Role=f"arn:aws:iam::{account}:role/any",
        Handler="index.handler",
        Code={"ZipFile": _zip()},
        AcceleratorConfig={"AcceleratorMemorySize": 2**70},
    )
    assert err.response["Error"]["Code"] == "ValidationException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert (
        "at 'acceleratorConfig.acceleratorMemorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 2147483647"
    ) in err.response["Error"]["Message"]
    missing = failed(lam.get_function, FunctionName=name)
    assert missing.response["Error"]["Code"] == "ResourceNotFoundException"
    record = record_for(ct, err.response["ResponseMetadata"]["RequestId"], "CreateFunction")
    assert record["errorCode"] == "ValidationException"
    assert record["requestParameters"]["functionName"] == name


# -- injected failures, in a server running inside the test process ------------------------------------------


def test_a_record_builder_failure_still_records_the_mutation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with inprocess_server(tmp_path / "srv") as (handle, _runtime, _app):
        kms, ct = handle.client("kms", config=ONCE), handle.client("cloudtrail", config=ONCE)
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        real = audit_store.build_records

        def broken(facts: Any) -> Any:
            if facts.event_name == "CreateAlias":
                raise RuntimeError("injected: the record builder failed")
            return real(facts)

        monkeypatch.setattr(audit_store, "build_records", broken)
        response = kms.create_alias(AliasName="alias/builder-failure", TargetKeyId=key_id)
        monkeypatch.setattr(audit_store, "build_records", real)
        # acknowledged, and its (minimal) record is there: who, what, when, the outcome
        assert kms.describe_key(KeyId="alias/builder-failure")["KeyMetadata"]["KeyId"] == key_id
        record = record_for(ct, response["ResponseMetadata"]["RequestId"], "CreateAlias")
        assert record["readOnly"] is False and "errorCode" not in record
        assert record["userIdentity"]["accountId"] == handle.client("sts").get_caller_identity()["Account"]


def test_values_no_json_can_hold_still_give_a_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record holding what orjson refuses (a 70-bit integer, a non-text key) no longer fails a committed change."""
    with inprocess_server(tmp_path / "srv") as (handle, _runtime, _app):
        kms, ct = handle.client("kms", config=ONCE), handle.client("cloudtrail", config=ONCE)
        real_rows = audit_store.rows_for
        injected: list[str] = []

        def spy(records: Any, at: Any = None) -> Any:
            for record in records:
                if record.get("eventName") == "CreateKey" and isinstance(record.get("requestParameters"), dict):
                    record["requestParameters"]["injected"] = {1: 2**70, "nan": float("nan"), "deep": [[[b"\x00"]]]}
                    injected.append(record["eventID"])
            return real_rows(records, at)

        monkeypatch.setattr(audit_store, "rows_for", spy)
        response = kms.create_key(Description="huge")
        monkeypatch.undo()
        assert injected, "the injection did not run"
        record = record_for(ct, response["ResponseMetadata"]["RequestId"], "CreateKey")
        assert record["requestParameters"]["injected"] == {"1": str(2**70), "nan": "NaN", "deep": [[[]]]}
        assert record["requestParameters"]["description"] == "huge"


def test_one_unstorable_record_does_not_fail_its_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with inprocess_server(tmp_path / "srv") as (_handle, runtime, _app):
        writer = runtime.audit.writer
        real_insert = writer._insert

        def insert(events: list[dict[str, Any]], resources: list[dict[str, Any]]) -> None:
            if any(e["event_name"] == "Poison" for e in events):
                raise RuntimeError("injected: the database refused this record")
            real_insert(events, resources)

        monkeypatch.setattr(writer, "_insert", insert)

        def ticket(name: str) -> Ticket:
            record = {
                "eventID": str(uuid.uuid4()),
                "eventTime": "2026-01-01T00:00:00Z",
                "eventName": name,
                "eventSource": "kms.amazonaws.com",
                "readOnly": False,
                "recipientAccountId": None,
            }
            events, resources = rows_for([record])
            return Ticket(events, resources, [record])

        good, bad = ticket("Good"), ticket("Poison")
        writer._commit([good, bad])
        good.wait(1)
        with pytest.raises(audit_store.AuditUnavailable):
            bad.wait(1)
