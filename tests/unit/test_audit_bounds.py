"""Audit records are total and bounded: any request or response value gives a storable record (issue 15)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from strongroom.audit.records import (
    MAX_ELEMENTS_BYTES,
    MAX_TEXT,
    CallFacts,
    bound,
    build_records,
    jsonable,
    minimal_record,
    record_json,
)
from strongroom.audit.store import rows_for
from strongroom.core.context import Principal
from strongroom.protocol.catalog import default_catalog

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def facts(service: str, operation: str, params: Any, output: Any = None, **kwargs: Any) -> CallFacts:
    model = default_catalog().service(service)
    return CallFacts(
        request_id="req-1",
        event_time=NOW,
        service=model,
        operation=model.operation_model(operation),
        principal=Principal.root("111122223333", "AKIAEXAMPLE"),
        region="us-east-1",
        params=params,
        output=output,
        **kwargs,
    )


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"next": value}
    return value


@pytest.mark.parametrize(
    "value",
    [
        10**40,
        -(2**64),
        10**5000,  # past Python's int-to-text digit limit
        float("nan"),
        float("inf"),
        b"\x00\xff",
        bytearray(b"x"),
        {1: "int key", (2, 3): "tuple key", None: "none key"},
        nested(5000),
        [object()],
        "\x00 nul and \ud800 lone surrogate",
    ],
    ids=lambda value: type(value).__name__,
)
def test_record_json_never_raises(value: Any) -> None:
    record = {"eventID": "e", "eventTime": "2026-01-01T00:00:00Z", "requestParameters": {"v": value}}
    text = record_json(record)
    assert json.loads(text)["eventID"] == "e"
    assert isinstance(json.loads(text)["requestParameters"], dict)  # written down, not replaced by a stub


def test_jsonable_keeps_what_json_holds_and_names_the_rest() -> None:
    assert jsonable({"a": 1, "b": [1.5, True, None, "s"]}) == {"a": 1, "b": [1.5, True, None, "s"]}
    assert jsonable(2**63 - 1) == 2**63 - 1
    assert jsonable(2**63) == str(2**63)
    assert jsonable(float("nan")) == "NaN"
    assert jsonable(float("-inf")) == "-Infinity"
    assert jsonable({1: b"bytes", 2: "kept"}) == {"2": "kept"}
    assert jsonable(10**5000).startswith("<integer of ")
    orjson.dumps(jsonable(nested(5000)))  # cut at the record's depth limit


def test_build_records_with_values_past_64_bits() -> None:
    record = build_records(facts("kms", "ListKeys", {"Limit": 10**40}, error_code="ValidationException"))[0]
    assert record["requestParameters"] == {"limit": str(10**40)}
    events, _ = rows_for([record], NOW)
    assert json.loads(events[0]["record"])["requestParameters"]["limit"] == str(10**40)


def test_free_text_fields_are_truncated() -> None:
    f = facts("kms", "ListKeys", {}, user_agent="U" * 100_000, error_code="X", error_message="M" * 100_000)
    for record in (build_records(f)[0], minimal_record(f)):
        assert record["userAgent"] == "U" * MAX_TEXT
        assert record["errorMessage"] == "M" * MAX_TEXT
        assert len(record_json(record)) < 8 * 1024


def test_oversized_elements_are_omitted() -> None:
    context = {f"k{i}": "v" * 1000 for i in range(200)}
    record = build_records(facts("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"p", "EncryptionContext": context}))[0]
    assert record["requestParameters"]["omitted"] is True
    assert record["requestParameters"]["originalSize"] > MAX_ELEMENTS_BYTES


def test_row_columns_fit_their_widths() -> None:
    record = bound(
        {
            "eventID": "e",
            "eventTime": "2026-01-01T00:00:00Z",
            "awsRegion": "r" * 500,
            "eventName": "n" * 500,
            "userIdentity": {"type": "Unknown", "accessKeyId": "A\x00" * 500},
            "resources": [{"type": "t" * 500, "ARN": "a" * 5000}],
        }
    )
    events, resources = rows_for([record], NOW)
    assert len(events[0]["region"]) <= 32 and len(events[0]["event_name"]) <= 128
    assert len(events[0]["access_key_id"]) <= 128 and "\x00" not in events[0]["access_key_id"]
    assert len(resources[0]["resource_type"]) <= 128 and len(resources[0]["resource_name"]) <= 1024
