"""Round trips of the RPC v2 CBOR codec (ACM PCA, Shield, FMS) against botocore's own serializer and parser."""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import cbor2
import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import default_catalog
from strongroom.protocol.codecs.cbor import CborCodec
from strongroom.protocol.http import HttpRequest, HttpResponse
from tests.support.shapegen import operation_input, operation_output

SERVICES = ("acm-pca", "shield", "fms")
SEEDS = (0, 1, 2, 3)
CODEC = CborCodec()
PROTOCOL = "smithy-rpc-v2-cbor"


def _operations() -> list[OperationModel]:
    catalog = default_catalog()
    return [catalog.service(s).operation_model(op) for s in SERVICES for op in catalog.service(s).operation_names]


OPERATIONS = _operations()
_IDS = [f"{o.service_model.service_name}.{o.name}" for o in OPERATIONS]


def botocore_request(operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    serializer = create_serializer(PROTOCOL, include_validation=False)
    request_dict = serializer.serialize_to_request(params, operation)
    prepare_request_dict(request_dict, endpoint_url="http://127.0.0.1:4566", context={})
    prepared = create_request_object(request_dict).prepare()
    url = urlsplit(prepared.url)
    return HttpRequest(
        method=prepared.method,
        path=url.path,
        query_string=url.query,
        headers={k.lower(): v for k, v in prepared.headers.items()},
        body=prepared.body or b"",
    )


def normal(shape: Shape | None, value: Any) -> Any:
    """Timestamps to epoch seconds; ``float`` shapes travel as float32 from botocore."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: normal(shape.members[k], v) for k, v in value.items()}
    if kind == "list":
        return [normal(shape.member, v) for v in value]
    if kind == "map":
        return {k: normal(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return round(value.timestamp(), 3)
    if kind == "float":
        return struct.unpack(">f", struct.pack(">f", value))[0]
    return value


def test_request_shape_is_what_we_expect() -> None:
    op = default_catalog().service("shield").operation_model("DescribeProtection")
    request = botocore_request(op, {"ProtectionId": "p"})
    assert request.path == "/service/AWSShield_20160616/operation/DescribeProtection"
    assert request.header("smithy-protocol") == "rpc-v2-cbor"
    assert CODEC.decode(op, request) == {"ProtectionId": "p"}


@pytest.mark.parametrize("operation", OPERATIONS, ids=_IDS)
def test_decode_round_trip(operation: OperationModel) -> None:
    for seed in SEEDS:
        params = operation_input(operation, seed)
        decoded = CODEC.decode(operation, botocore_request(operation, params))
        assert normal(operation.input_shape, decoded) == normal(operation.input_shape, params), seed


def test_decode_sub_second_timestamps_and_untagged_epochs() -> None:
    op = default_catalog().service("acm-pca").operation_model("ListCertificateAuthorities")
    shield = default_catalog().service("shield").operation_model("ListAttacks")
    when = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    decoded = CODEC.decode(shield, botocore_request(shield, {"StartTime": {"FromInclusive": when}}))
    assert decoded["StartTime"]["FromInclusive"] == when
    body = cbor2.dumps({"StartTime": {"FromInclusive": 1714979289, "ToExclusive": 1714979289.5}})
    decoded = CODEC.decode(shield, HttpRequest("POST", "/", "", {}, body))
    assert decoded["StartTime"]["ToExclusive"] == datetime(2024, 5, 6, 7, 8, 9, 500000, tzinfo=UTC)
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"")) == {}


def parse(operation: OperationModel, response: HttpResponse, shape: Any = None) -> dict[str, Any]:
    headers = {k.lower(): v for k, v in response.headers}
    raw = {"status_code": response.status, "headers": headers, "body": response.body}
    return dict(create_parser(PROTOCOL).parse(raw, shape if shape is not None else operation.output_shape))


@pytest.mark.parametrize("operation", OPERATIONS, ids=_IDS)
def test_encode_round_trip(operation: OperationModel) -> None:
    for seed in SEEDS:
        output = operation_output(operation, seed)
        response = CODEC.encode(operation, output, "req-1")
        assert response.header("Content-Type") == "application/cbor"
        assert response.header("smithy-protocol") == "rpc-v2-cbor"
        parsed = parse(operation, response)
        metadata = parsed.pop("ResponseMetadata", {})
        if operation.output_shape is not None:
            assert metadata["RequestId"] == "req-1"
        assert normal(operation.output_shape, parsed) == normal(operation.output_shape, output), seed


def test_encode_floats_and_sub_second_times_parse_in_botocore() -> None:
    op = default_catalog().service("shield").operation_model("DescribeAttack")
    when = datetime(2024, 5, 6, 7, 8, 9, 250000, tzinfo=UTC)
    output = {"Attack": {"AttackId": "a", "StartTime": when, "AttackCounters": [{"Name": "n", "Max": 1.5e300}]}}
    parsed = parse(op, CODEC.encode(op, output, "r"))
    assert parsed["Attack"]["StartTime"] == when
    assert parsed["Attack"]["AttackCounters"][0]["Max"] == 1.5e300
    nan = {"Attack": {"AttackCounters": [{"Max": float("nan"), "Average": float("inf")}]}}
    counters = parse(op, CODEC.encode(op, nan, "r"))["Attack"]["AttackCounters"][0]
    assert counters["Max"] != counters["Max"]
    assert counters["Average"] == float("inf")


@pytest.mark.parametrize("service_name", SERVICES)
def test_encode_error(service_name: str) -> None:
    service = default_catalog().service(service_name)
    op = service.operation_model(service.operation_names[0])
    for shape in service.error_shapes:
        err = AwsError(f"{shape.name} happened <here>", code=shape.name, status=409)
        response = CODEC.encode_error(service, op, err, "req-9")
        assert response.status == 409
        parsed = parse(op, response)
        assert parsed["Error"] == {"Code": shape.name, "Message": f"{shape.name} happened <here>"}
        assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
        assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 409
        # the client then parses the body as the modeled shape: every message-like member must be filled
        modeled = parse(op, response, service.shape_for_error_code(shape.name))
        for name in shape.members:
            if name.lower() == "message":
                assert modeled[name] == err.message


def test_encode_error_with_fields() -> None:
    service = default_catalog().service("shield")
    shape = service.shape_for_error_code("InvalidParameterException")
    assert "fields" in shape.members
    err = AwsError(
        "bad",
        code="InvalidParameterException",
        reason="FIELD_VALIDATION_FAILED",
        fields=[{"name": "a", "message": "b"}],
    )
    response = CODEC.encode_error(service, None, err, "r")
    op = service.operation_model("DescribeProtection")
    assert parse(op, response)["Error"]["Code"] == "InvalidParameterException"
    modeled = parse(op, response, shape)
    assert modeled["reason"] == "FIELD_VALIDATION_FAILED"
    assert modeled["fields"] == [{"name": "a", "message": "b"}]


def test_decode_type_mismatches_are_serialization_errors() -> None:
    op = default_catalog().service("shield").operation_model("ListAttacks")
    bad_bodies = [
        cbor2.dumps("a string"),
        cbor2.dumps({"StartTime": "yesterday"}),
        cbor2.dumps({"StartTime": {"FromInclusive": "2020"}}),
        cbor2.dumps({"ResourceArns": "arn"}),
        cbor2.dumps({"ResourceArns": [1]}),
        cbor2.dumps({"MaxResults": True}),
        cbor2.dumps({"MaxResults": 1.5}),
        cbor2.dumps({"StartTime": {"FromInclusive": float("inf")}}),
        cbor2.dumps({"StartTime": {"FromInclusive": 10**30}}),
        cbor2.dumps(cbor2.CBORTag(35, "a+")),
        cbor2.dumps({"NextToken": cbor2.CBORTag(37, b"0" * 16)}),
        cbor2.dumps({"NextToken": cbor2.CBORTag(9999, 1)}),
        bytes.fromhex("d81c81d81d00"),  # shared-reference cycle
        b"\xa1\x01\x02",  # integer map key
        b"\x81" * 1000,  # deep nesting
        b"\xbf",  # unterminated indefinite map
        b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff",  # absurd length
    ]
    for body in bad_bodies:
        with pytest.raises(AwsError) as info:
            CODEC.decode(op, HttpRequest("POST", "/", "", {}, body))
        assert info.value.code == "SerializationException", body
        assert info.value.status == 400


def test_decode_tolerates_missing_and_unknown_members() -> None:
    op = default_catalog().service("fms").operation_model("GetPolicy")
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, cbor2.dumps({}))) == {}
    body = cbor2.dumps({"PolicyId": "p", "Unknown": [1, 2], "Other": None})
    assert CODEC.decode(op, HttpRequest("POST", "/", "", {}, body)) == {"PolicyId": "p"}


FUZZ_OPS = [
    default_catalog().service(s).operation_model(o)
    for s, o in (
        ("shield", "ListAttacks"),
        ("fms", "PutPolicy"),
        ("acm-pca", "CreateCertificateAuthority"),
        ("acm-pca", "IssueCertificate"),
    )
]

_cbor_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats()
    | st.text(max_size=10)
    | st.binary(max_size=10)
    | st.datetimes(timezones=st.just(UTC)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(FUZZ_OPS), body=st.binary(max_size=300))
def test_decode_random_bytes_only_raises_aws_error(op: OperationModel, body: bytes) -> None:
    try:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, body))
    except AwsError:
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(FUZZ_OPS), data=st.data())
def test_decode_random_documents_only_raises_aws_error(op: OperationModel, data: st.DataObject) -> None:
    names = list(op.input_shape.members)
    keys = st.sampled_from(names) | st.text(max_size=8)
    doc = data.draw(st.dictionaries(keys, _cbor_values, max_size=6))
    try:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, cbor2.dumps(doc, datetime_as_timestamp=True)))
    except AwsError:
        pass


def test_encode_drops_unmodeled_output_keys_but_keeps_extra_error_fields() -> None:
    service = default_catalog().service("fms")
    op = service.operation_model("GetPolicy")
    body = cbor2.loads(CODEC.encode(op, {"PolicyArn": "arn", "_internal_secret": "x"}, "r").body)
    assert body == {"PolicyArn": "arn"}
    err = AwsError("nope", code="Throttled", status=429, sender_fault=True, RetryAfter=3)
    raw = CODEC.encode_error(service, op, err, "r")
    assert cbor2.loads(raw.body) == {"__type": "Throttled", "message": "nope", "RetryAfter": 3}
    assert parse(op, raw)["Error"] == {"Code": "Throttled", "Message": "nope"}
