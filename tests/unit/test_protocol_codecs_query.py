"""Round trips of the query codec (IAM, STS) against botocore's own serializer and parser."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from botocore.awsrequest import create_request_object, prepare_request_dict
from botocore.model import OperationModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import default_catalog
from strongroom.protocol.codecs.query import QueryCodec, error_code_and_status, parse_query_timestamp
from strongroom.protocol.http import HttpRequest
from tests.support.shapegen import operation_input, operation_output

SERVICES = ("iam", "sts")
SEEDS = (0, 1, 2, 3)
CODEC = QueryCodec()


def _operations() -> list[OperationModel]:
    catalog = default_catalog()
    return [catalog.service(s).operation_model(op) for s in SERVICES for op in catalog.service(s).operation_names]


OPERATIONS = _operations()


def botocore_request(operation: OperationModel, params: dict[str, Any]) -> HttpRequest:
    """The exact bytes botocore would put on the wire for these params."""
    serializer = create_serializer(operation.metadata["protocol"], include_validation=False)
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


def wire_normal(shape: Shape | None, value: Any) -> Any:
    """What survives the query wire: empty maps and empty structures send no keys at all."""
    if shape is None or value is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        out = {}
        for name, item in value.items():
            norm = wire_normal(shape.members[name], item)
            if norm is not None:
                out[name] = norm
        return out or None
    if kind == "list":
        items = [wire_normal(shape.member, i) for i in value]
        kept = [i for i in items if i is not None]
        if value and not kept:
            return None  # every element vanished: nothing on the wire at all
        return kept
    if kind == "map":
        out = {}
        for k, v in value.items():
            norm = wire_normal(shape.value, v)
            if norm is not None:
                out[k] = norm
        return out or None
    if kind == "timestamp":
        return int(value.timestamp())
    if kind in ("float", "double"):
        return round(value, 6)
    return value


def top_normal(shape: Shape | None, value: dict[str, Any]) -> dict[str, Any]:
    return wire_normal(shape, value) or {}


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.service_model.service_name}.{o.name}")
def test_decode_round_trip(operation: OperationModel) -> None:
    for seed in SEEDS:
        params = operation_input(operation, seed)
        request = botocore_request(operation, params)
        decoded = CODEC.decode(operation, request)
        assert top_normal(operation.input_shape, decoded) == top_normal(operation.input_shape, params), seed


def test_decode_from_url_query_string() -> None:
    op = default_catalog().service("sts").operation_model("GetCallerIdentity")
    request = HttpRequest("GET", "/", "Action=GetCallerIdentity&Version=2011-06-15", {})
    assert CODEC.decode(op, request) == {}
    op = default_catalog().service("iam").operation_model("ListUsers")
    qs = urlencode({"Action": "ListUsers", "Version": "2010-05-08", "PathPrefix": "/a b/", "MaxItems": "5"})
    assert CODEC.decode(op, HttpRequest("GET", "/", qs, {})) == {"PathPrefix": "/a b/", "MaxItems": 5}


def test_decode_lists_maps_and_nesting() -> None:
    iam = default_catalog().service("iam")
    op = iam.operation_model("CreateRole")
    body = urlencode(
        {
            "Action": "CreateRole",
            "RoleName": "r",
            "AssumeRolePolicyDocument": "{}",
            "Tags.member.2.Key": "k2",
            "Tags.member.2.Value": "v2",
            "Tags.member.1.Key": "k1",
            "Tags.member.1.Value": "v1",
        }
    ).encode()
    decoded = CODEC.decode(op, HttpRequest("POST", "/", "", {}, body))
    assert decoded["Tags"] == [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
    empty = CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"Action=CreateRole&Tags="))
    assert empty == {"Tags": []}


def test_timestamps() -> None:
    assert parse_query_timestamp("2020-01-02T03:04:05Z") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_query_timestamp("2020-01-02T03:04:05.250000Z").microsecond == 250000
    assert parse_query_timestamp("2020-01-02T05:04:05+02:00") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_query_timestamp("1577934245") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_query_timestamp("Thu, 02 Jan 2020 03:04:05 GMT") == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    with pytest.raises(AwsError):
        parse_query_timestamp("yesterday")


def parse_with_botocore(operation: OperationModel, response: Any) -> dict[str, Any]:
    parser = create_parser(operation.metadata["protocol"])
    headers = {k.lower(): v for k, v in response.headers}
    return dict(
        parser.parse(
            {"status_code": response.status, "headers": headers, "body": response.body}, operation.output_shape
        )
    )


def out_normal(shape: Shape | None, value: Any) -> Any:
    """Outputs survive empty containers (``<Tags/>``), so only times and floats need normalising."""
    if value is None or shape is None:
        return value
    kind = shape.type_name
    if kind == "structure":
        return {k: out_normal(shape.members[k], v) for k, v in value.items()}
    if kind == "list":
        return [out_normal(shape.member, v) for v in value]
    if kind == "map":
        return {k: out_normal(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return int(value.timestamp())
    if kind in ("float", "double"):
        return round(value, 6)
    return value


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: f"{o.service_model.service_name}.{o.name}")
def test_encode_round_trip(operation: OperationModel) -> None:
    for seed in SEEDS:
        output = operation_output(operation, seed)
        response = CODEC.encode(operation, output, "req-1")
        assert response.status == 200
        assert response.header("Content-Type") == "text/xml"
        parsed = parse_with_botocore(operation, response)
        metadata = parsed.pop("ResponseMetadata")
        assert metadata["RequestId"] == "req-1"
        assert out_normal(operation.output_shape, parsed) == out_normal(operation.output_shape, output), seed


def test_encode_escapes_and_special_floats() -> None:
    op = default_catalog().service("iam").operation_model("GetUser")
    output = {"User": {"Path": "/", "UserName": "a<b>&c\r\n'\"", "UserId": "x", "Arn": "y", "CreateDate": 0}}
    parsed = parse_with_botocore(op, CODEC.encode(op, output, "r"))
    assert parsed["User"]["UserName"] == "a<b>&c\r\n'\""
    assert parsed["User"]["CreateDate"] == datetime(1970, 1, 1, tzinfo=UTC)
    assert not math.isnan(0.0)


def parse_error(operation: OperationModel, response: Any) -> dict[str, Any]:
    parser = create_parser("query")
    headers = {k.lower(): v for k, v in response.headers}
    raw = {"status_code": response.status, "headers": headers, "body": response.body}
    parsed = dict(parser.parse(raw, operation.output_shape))
    # the client then re-parses the body as the modeled error shape
    shape = operation.service_model.shape_for_error_code(parsed["Error"]["Code"])
    if shape is not None:
        parsed.update(parser.parse(raw, shape))
    return parsed


def test_encode_error() -> None:
    iam = default_catalog().service("iam")
    op = iam.operation_model("GetUser")
    code, status = error_code_and_status(iam, "NoSuchEntityException")
    assert (code, status) == ("NoSuchEntity", 404)
    err = AwsError("The user with name bob & <co> cannot be found.", code=code, status=status)
    response = CODEC.encode_error(iam, op, err, "req-9")
    assert response.status == 404
    parsed = parse_error(op, response)
    assert parsed["Error"]["Code"] == "NoSuchEntity"
    assert parsed["Error"]["Message"] == "The user with name bob & <co> cannot be found."
    assert parsed["Error"]["Type"] == "Sender"
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_encode_error_receiver_and_fields() -> None:
    sts = default_catalog().service("sts")
    err = AwsError("boom", code="InternalFailure", status=500, sender_fault=False, Detail="d", Count=3)
    response = CODEC.encode_error(sts, None, err, "r")
    parsed = parse_error(sts.operation_model("GetCallerIdentity"), response)
    assert parsed["Error"] == {
        "Type": "Receiver",
        "Code": "InternalFailure",
        "Message": "boom",
        "Detail": "d",
        "Count": "3",
    }
    assert error_code_and_status(sts, "NoSuchShape") == ("NoSuchShape", 400)


def test_error_code_and_status_all_iam_errors() -> None:
    iam = default_catalog().service("iam")
    for shape in iam.error_shapes:
        code, status = error_code_and_status(iam, shape.name)
        assert iam.shape_for_error_code(code).name == shape.name
        assert 400 <= status < 600


def test_malformed_query() -> None:
    op = default_catalog().service("iam").operation_model("ListUsers")
    with pytest.raises(AwsError) as info:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"Action=ListUsers&PathPrefix=%ff%fe"))
    assert info.value.code == "MalformedQueryString"
    with pytest.raises(AwsError) as info:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, b"MaxItems=ten"))
    assert (info.value.code, info.value.status) == ("InvalidParameterValue", 400)


FUZZ_OPS = [
    default_catalog().service(s).operation_model(o)
    for s, o in (
        ("iam", "CreateRole"),
        ("iam", "ListUsers"),
        ("iam", "UploadServerCertificate"),
        ("iam", "PutRolePolicy"),
        ("sts", "AssumeRole"),
        ("iam", "SetSecurityTokenServicePreferences"),
    )
]
_KEYS = st.sampled_from(
    [
        "MaxItems",
        "RoleName",
        "Tags",
        "Tags.member",
        "Tags.member.1",
        "Tags.member.1.Key",
        "Tags.member.x.Value",
        "DurationSeconds",
        "PolicyArns.member.1.arn",
        "ProvidedContexts.member.1.ContextAssertion",
        "GlobalEndpointTokenVersion",
        "..",
        "",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(op=st.sampled_from(FUZZ_OPS), body=st.binary(max_size=200), qs=st.text(max_size=60))
def test_decode_random_bytes_only_raises_aws_error(op: OperationModel, body: bytes, qs: str) -> None:
    try:
        CODEC.decode(op, HttpRequest("POST", "/", qs, {}, body))
    except AwsError:
        pass


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(FUZZ_OPS), pairs=st.lists(st.tuples(_KEYS, st.text(max_size=12)), max_size=8))
def test_decode_random_forms_only_raises_aws_error(op: OperationModel, pairs: list[tuple[str, str]]) -> None:
    try:
        CODEC.decode(op, HttpRequest("POST", "/", "", {}, urlencode(pairs).encode()))
    except AwsError:
        pass
