"""Round trips of the awsJson codec against botocore's own serializer and parser, for every operation."""

from __future__ import annotations

import json as stdjson
import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import default_catalog, protocols_of
from strongroom.protocol.codecs import values
from strongroom.protocol.codecs.json import JsonCodec
from strongroom.protocol.http import HttpRequest, HttpResponse
from tests.support.shapegen import operation_input, operation_output

SEEDS = (0, 1, 2, 3)
CODEC = JsonCodec()


def _services() -> list[str]:
    catalog = default_catalog()
    return [name for name, model in catalog.services.items() if "json" in protocols_of(model)]


SERVICES = _services()


def botocore_request(operation: OperationModel, params: dict[str, Any], protocol: str) -> HttpRequest:
    """The exact bytes botocore would put on the wire for these params."""
    serializer = create_serializer(protocol, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:4566", context={})
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    return HttpRequest(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers={k.lower(): v for k, v in prepared.headers.items()},
        body=body,
    )


def botocore_parse(response: HttpResponse, shape: Shape | None, protocol: str) -> dict[str, Any]:
    """What a boto3 client would return for this response (minus ResponseMetadata)."""
    from botocore.awsrequest import HeadersDict

    headers = HeadersDict()
    for k, v in response.headers:
        headers[k] = v
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, shape
    )
    parsed.pop("ResponseMetadata", None)
    return dict(parsed)


def normal(value: Any) -> Any:
    """Compare timestamps as instants and floats by value, whatever container they sit in."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, datetime):
        assert value.tzinfo is not None, "timestamps must be timezone-aware"
        return ("ts", value.astimezone(UTC).timestamp())
    if isinstance(value, float):
        return ("nan",) if math.isnan(value) else round(value, 6)
    return value


def _service_ops(service: str) -> list[OperationModel]:
    model = default_catalog().service(service)
    return [model.operation_model(name) for name in model.operation_names]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("service", SERVICES)
def test_decode_round_trips_every_operation(service: str, seed: int) -> None:
    failures: list[str] = []
    for operation in _service_ops(service):
        params = operation_input(operation, seed)
        request = botocore_request(operation, params, "json")
        decoded = CODEC.decode(operation, request)
        if normal(decoded) != normal(params):
            failures.append(f"{operation.name}: {params!r} != {decoded!r}")
    assert not failures, "\n".join(failures[:5])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("service", SERVICES)
def test_encode_round_trips_every_operation(service: str, seed: int) -> None:
    failures: list[str] = []
    for operation in _service_ops(service):
        if operation.has_event_stream_output:
            continue  # event streams (CloudWatch Logs' StartLiveTail) are not encoded (docs/status.md)
        output = operation_output(operation, seed)
        response = CODEC.encode(operation, output, "req-1")
        assert response.status == 200
        assert response.header("x-amzn-RequestId") == "req-1"
        version = operation.service_model.metadata["jsonVersion"]
        assert response.header("Content-Type") == f"application/x-amz-json-{version}"
        parsed = botocore_parse(response, operation.output_shape, "json")
        if normal(parsed) != normal(output):
            failures.append(f"{operation.name}: {output!r} != {parsed!r}")
    assert not failures, "\n".join(failures[:5])


def test_timestamps_are_epoch_numbers_and_blobs_base64() -> None:
    kms = default_catalog().service("kms")
    op = kms.operation_model("DescribeKey")
    when = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    response = CODEC.encode(op, {"KeyMetadata": {"KeyId": "k", "CreationDate": when}}, "r")
    body = orjson.loads(response.body)
    assert body["KeyMetadata"]["CreationDate"] == int(when.timestamp())
    enc = kms.operation_model("Encrypt")
    response = CODEC.encode(enc, {"CiphertextBlob": b"\x00\xff", "KeyId": "k"}, "r")
    assert orjson.loads(response.body)["CiphertextBlob"] == "AP8="


def test_decode_types() -> None:
    kms = default_catalog().service("kms")
    op = kms.operation_model("Encrypt")
    request = HttpRequest("POST", "/", "", {}, b'{"KeyId":"alias/x","Plaintext":"AP8=","EncryptionContext":{"a":"b"}}')
    assert CODEC.decode(op, request) == {"KeyId": "alias/x", "Plaintext": b"\x00\xff", "EncryptionContext": {"a": "b"}}
    # missing members are tolerated: validation is another module's job
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"{}")) == {}
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"")) == {}
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, b'{"KeyId": null}')) == {}


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"not json",
        b"\xff\xfe",
        b"[1,2]",
        b'"str"',
        b'{"KeyId": 5}',
        b'{"KeyId": {"a": 1}}',
        b'{"Plaintext": "***"}',
        b'{"Plaintext": 12}',
        b'{"EncryptionContext": []}',
        b'{"EncryptionContext": {"a": 1}}',
        b'{"GrantTokens": "abc"}',
        b'{"DryRun": "true"}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_malformed_bodies_are_serialization_exceptions(body: bytes) -> None:
    op = default_catalog().service("kms").operation_model("Encrypt")
    with pytest.raises(AwsError) as info:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, body))
    assert info.value.code == "SerializationException"
    assert info.value.status == 400


def test_wrong_numeric_and_timestamp_types() -> None:
    ssm = default_catalog().service("ssm")
    op = ssm.operation_model("GetParameterHistory")
    with pytest.raises(AwsError) as info:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, b'{"Name": "x", "MaxResults": "5"}'))
    assert info.value.code == "SerializationException"
    ct = default_catalog().service("cloudtrail").operation_model("LookupEvents")
    decoded = CODEC.decode(ct, HttpRequest("POST", "/", "", {}, b'{"StartTime": 1700000000.5}'))
    assert decoded["StartTime"] == datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)
    with pytest.raises(AwsError):
        CODEC.decode(ct, HttpRequest("POST", "/", "", {}, b'{"StartTime": true}'))
    with pytest.raises(AwsError):
        CODEC.decode(ct, HttpRequest("POST", "/", "", {}, b'{"StartTime": 1e300}'))


FUZZ_OPS = [
    ("kms", "Encrypt"),
    ("kms", "CreateKey"),
    ("ssm", "PutParameter"),
    ("wafv2", "CreateWebACL"),
    ("events", "PutEvents"),
    ("cloudtrail", "LookupEvents"),
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.sampled_from(FUZZ_OPS),
    st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
            lambda children: (
                st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
            ),
            max_leaves=20,
        ).map(lambda v: orjson.dumps(v, option=orjson.OPT_NON_STR_KEYS) if _dumpable(v) else b"{}"),
    ),
)
def test_random_bytes_never_escape_as_python_errors(target: tuple[str, str], body: bytes) -> None:
    op = default_catalog().service(target[0]).operation_model(target[1])
    try:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, body))
    except AwsError as exc:
        assert exc.code == "SerializationException"


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(FUZZ_OPS), st.data())
def test_structured_mutations_never_escape(target: tuple[str, str], data: st.DataObject) -> None:
    """Valid bodies with one member swapped for a JSON value of a random type."""
    op = default_catalog().service(target[0]).operation_model(target[1])
    params = operation_input(op, data.draw(st.integers(0, 50)))
    body = orjson.loads(botocore_request(op, params, "json").body)
    junk = data.draw(st.none() | st.booleans() | st.integers() | st.text() | st.lists(st.integers()) | st.just({}))
    members = list(op.input_shape.members)
    body[op.input_shape.members[data.draw(st.sampled_from(members))].serialization.get("name", "x")] = junk
    try:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, stdjson.dumps(body).encode()))
    except AwsError as exc:
        assert exc.code == "SerializationException"


def _dumpable(value: Any) -> bool:
    try:
        orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


@pytest.mark.parametrize("service", ["kms", "secretsmanager", "acm-pca"])
def test_errors_parse_as_code_message_and_status(service: str) -> None:
    model = default_catalog().service(service)
    op = model.operation_model(model.operation_names[0])
    err = AwsError("no such thing", code="NotFoundException", status=404)
    response = CODEC.encode_error(model, op, err, "req-9")
    assert response.status == 404
    parsed = create_parser("json").parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body}, op.output_shape
    )
    assert parsed["Error"] == {"Code": "NotFoundException", "Message": "no such thing"}
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_error_fields_parse_through_modeled_error_shape() -> None:
    model = default_catalog().service("secretsmanager")
    op = model.operation_model("GetSecretValue")
    err = AwsError("gone", code="ResourceNotFoundException", status=400, Extra="x")
    response = CODEC.encode_error(model, op, err, "r")
    headers = {k.lower(): v for k, v in response.headers}
    body = orjson.loads(response.body)
    assert body["__type"] == "ResourceNotFoundException"
    assert body["Message"] == "gone" and body["message"] == "gone" and body["Extra"] == "x"
    shape = model.shape_for_error_code("ResourceNotFoundException")
    modeled = create_parser("json").parse({"status_code": 400, "headers": headers, "body": response.body}, shape)
    assert modeled["Message"] == "gone"


def test_server_error_is_not_mistaken_for_generic_html() -> None:
    model = default_catalog().service("kms")
    err = AwsError("boom", code="KMSInternalException", status=500, sender_fault=False)
    response = CODEC.encode_error(model, None, err, "r")
    parsed = create_parser("json").parse({"status_code": 500, "headers": {}, "body": response.body}, None)
    assert parsed["Error"]["Code"] == "KMSInternalException"


def test_timestamp_helpers() -> None:
    dt = datetime(2020, 1, 2, 3, 4, 5, 123000, tzinfo=UTC)
    assert values.parse_timestamp(values.format_timestamp(dt, "iso8601"), "iso8601") == dt
    assert values.parse_timestamp(values.format_timestamp(dt, "unixtimestamp"), "unixtimestamp") == dt
    assert values.format_timestamp(dt, "rfc822") == "Thu, 02 Jan 2020 03:04:05 GMT"
    assert values.parse_timestamp("Thu, 02 Jan 2020 03:04:05 GMT", "rfc822") == dt.replace(microsecond=0)
    assert values.parse_timestamp("2020-01-02T05:04:05+02:00") == dt.replace(microsecond=0)
    assert values.format_timestamp(dt.replace(microsecond=0), "unixtimestamp") == 1577934245
    with pytest.raises(ValueError):
        values.parse_timestamp("yesterday")


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40), st.floats(), st.integers(), st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T.{0,12}\Z")
    )
)
def test_timestamp_parser_only_raises_value_error(value: Any) -> None:
    try:
        parsed = values.parse_timestamp(value)
    except ValueError:
        return
    assert parsed.tzinfo is not None
