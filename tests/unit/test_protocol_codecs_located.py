"""The plans and conversions both rest codecs use for the members outside the body (``codecs/located.py``).

Their wire behaviour is covered by the codecs' round trips (test_protocol_codecs_restjson.py, ..._restxml.py);
these pin what each plan holds, the claimed query keys, the trailing-slash rule, and the fast paths against the
plain ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import botocore.session
import pytest
from botocore.model import OperationModel, ServiceModel

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import compile_uri, default_catalog
from strongroom.protocol.codecs import values
from strongroom.protocol.codecs.located import (
    REST_JSON,
    Dialect,
    decode_located,
    header_text,
    located_headers,
    match_path,
    request_plan,
    response_plan,
    response_status,
    shape_plan,
    text_value,
)
from strongroom.protocol.codecs.restxml import S3_DIALECT, RestXmlCodec
from strongroom.protocol.http import HttpRequest
from tests.unit.test_protocol_codecs_restjson import SYNTHETIC

S3: ServiceModel = botocore.session.get_session().get_service_model("s3")


def _s3(name: str) -> OperationModel:
    return S3.operation_model(name)


def _lambda(name: str) -> OperationModel:
    return default_catalog().service("lambda").operation_model(name)


def test_s3_get_object_request_plan() -> None:
    op = _s3("GetObject")
    plan = request_plan(op, S3_DIALECT)
    assert plan is not None
    assert [(label.name, label.group) for label in plan.labels] == [("Bucket", 1), ("Key", 2)]
    query = {m.name: m.key for m in plan.query}
    assert query["VersionId"] == "versionId" and query["PartNumber"] == "partNumber"
    assert query["ResponseContentType"] == "response-content-type"
    assert plan.query_map is None
    headers = {m.name: m.key for m in plan.headers}
    # request header names arrive lower-cased, so the plan's keys are too
    assert headers["IfModifiedSince"] == "if-modified-since" and headers["ChecksumMode"] == "x-amz-checksum-mode"
    assert headers["SSECustomerKeyMD5"] == "x-amz-server-side-encryption-customer-key-md5"
    assert plan.prefix_headers == ()
    # the query members' keys, plus the operation-name hint S3's dialect adds; GetObject's URI has no literals
    assert plan.claimed == frozenset(query.values()) | {"x-id"}
    assert plan.body_members is False
    every = {label.name for label in plan.labels} | set(query) | set(headers)
    assert every == {n for n, m in op.input_shape.members.items() if "location" in m.serialization}


def test_s3_put_object_plans() -> None:
    plan = request_plan(_s3("PutObject"), S3_DIALECT)
    assert plan is not None
    assert [(m.name, m.key) for m in plan.prefix_headers] == [("Metadata", "x-amz-meta-")]
    assert plan.body_members is True  # the Body payload
    literal = request_plan(_s3("PutBucketTagging"), S3_DIALECT)
    assert literal is not None and {"tagging", "x-id"} <= literal.claimed


def test_s3_get_object_response_plan() -> None:
    plan = response_plan(_s3("GetObject"))
    assert plan is not None
    keys = [h.key for h in plan.headers]
    assert keys[:2] == ["x-amz-delete-marker", "accept-ranges"]  # model order, and the model's spelling
    assert "Last-Modified" in keys and "ETag" in keys
    meta = plan.headers[plan.positions["Metadata"]]
    assert meta.prefix and meta.key == "x-amz-meta-" and meta.shape.type_name == "string"
    assert plan.headers[plan.positions["ContentType"]].text is str  # plain strings skip header_text
    assert all(plan.headers[i].name == name for name, i in plan.positions.items())
    assert plan.status == ()
    assert plan.body_members is True


def test_rest_json_plans() -> None:
    op = _lambda("Invoke")
    plan = request_plan(op, REST_JSON)
    assert plan is not None
    assert [label.name for label in plan.labels] == ["FunctionName"]
    assert [(m.name, m.key) for m in plan.query] == [("Qualifier", "Qualifier")]
    headers = {m.name: m.key for m in plan.headers}
    assert headers["InvocationType"] == "x-amz-invocation-type" and headers["ClientContext"] == "x-amz-client-context"
    located = {n for n, m in op.input_shape.members.items() if "location" in m.serialization}
    assert located == {"FunctionName", "Qualifier"} | set(headers)
    assert plan.claimed == frozenset({"Qualifier"})
    assert plan.body_members is True  # Payload: the body itself
    out = response_plan(op)
    assert out is not None and out.status == ("StatusCode",)
    keys = [h.key for h in out.headers]
    assert keys.index("X-Amz-Function-Error") < keys.index("X-Amz-Log-Result") < keys.index("X-Amz-Executed-Version")
    assert not any(h.prefix for h in out.headers)
    assert request_plan(_lambda("ListFunctions"), REST_JSON) is not None
    model = default_catalog().service("lambda")
    no_output = next(o for o in map(model.operation_model, model.operation_names) if o.output_shape is None)
    assert response_plan(no_output) is None


def test_plans_are_computed_once_per_operation_and_dialect() -> None:
    op = _s3("GetObject")
    assert request_plan(op, S3_DIALECT) is request_plan(op, S3_DIALECT)
    assert response_plan(op) is response_plan(op)
    other = request_plan(op, REST_JSON)
    assert other is not None and "x-id" not in other.claimed


def test_claimed_keys_are_literals_members_and_the_dialects() -> None:
    model = ServiceModel(SYNTHETIC, service_name="synth")
    op = model.operation_model("PutThing")  # requestUri ...?mode=x, query members ratio/since/id, a query map
    plan = request_plan(op, Dialect(claimed=frozenset({"hint"})))
    assert plan is not None
    assert plan.claimed == frozenset({"mode", "ratio", "since", "id", "hint"})
    assert plan.query_map is not None and plan.query_map.name == "Extra"
    request = HttpRequest("PUT", "/things/b/k", "mode=x&ratio=2&hint=1&id=7&foo=a&foo=b&bar=c", {})
    assert decode_located(plan, request) == {
        "Bucket": "b",
        "Key": "k",
        "Ratio": 2.0,
        "Ids": ["7"],
        "Extra": {"foo": ["a", "b"], "bar": ["c"]},  # none of the claimed keys
        "Meta": {},
    }
    lam = request_plan(_lambda("ListProvisionedConcurrencyConfigs"), REST_JSON)
    assert lam is not None and "List" in lam.claimed


def test_trailing_slash_rule() -> None:
    listing = compile_uri(_s3("ListObjects"))  # /{Bucket}
    assert match_path(listing, "/bkt/") is None
    m = match_path(listing, "/bkt/", trailing_slash=True)
    assert m is not None and m.group(1) == "bkt"
    assert match_path(listing, "/", trailing_slash=True) is None
    greedy = compile_uri(_s3("GetObject"))  # /{Bucket}/{Key+}: the slash is part of the key
    m = match_path(greedy, "/bkt/dir/", trailing_slash=True)
    assert m is not None and m.group(2) == "dir/"
    assert RestXmlCodec().decode(_s3("ListObjects"), HttpRequest("GET", "/bkt/", "", {})) == {"Bucket": "bkt"}
    # rest-json's templates say themselves which trailing slashes they allow; the dialect adds none
    plan = request_plan(_lambda("GetFunction"), REST_JSON)
    assert plan is not None
    assert decode_located(plan, HttpRequest("GET", "/2015-03-31/functions/f/", "", {})) == {}


def test_dialects_differ_on_empty_prefix_maps() -> None:
    op = _s3("PutObject")
    request = HttpRequest("PUT", "/b/k", "", {"x-amz-meta-Color": "x"})
    s3_plan, json_plan = request_plan(op, S3_DIALECT), request_plan(op, REST_JSON)
    assert s3_plan is not None and json_plan is not None
    assert decode_located(s3_plan, HttpRequest("PUT", "/b/k", "", {}))["Bucket"] == "b"
    assert "Metadata" not in decode_located(s3_plan, HttpRequest("PUT", "/b/k", "", {}))
    assert decode_located(json_plan, HttpRequest("PUT", "/b/k", "", {}))["Metadata"] == {}
    assert decode_located(s3_plan, request)["Metadata"] == {"Color": "x"}


def test_value_errors_name_the_member() -> None:
    op = _s3("GetObject")
    plan = request_plan(op, S3_DIALECT)
    assert plan is not None
    with pytest.raises(AwsError) as info:
        decode_located(plan, HttpRequest("GET", "/b/k", "partNumber=two", {}))
    assert info.value.code == "SerializationException"
    assert info.value.message == "Value 'two' for 'PartNumber' is not a valid integer"
    with pytest.raises(AwsError) as info:
        RestXmlCodec().decode(op, HttpRequest("GET", "/b/k", "", {"if-modified-since": "soon"}))
    assert (info.value.code, info.value.status) == ("InvalidArgument", 400)
    assert info.value.message == "Value 'soon' for 'IfModifiedSince' is not a valid timestamp"
    structure = S3.shape_for("Tagging")
    with pytest.raises(AwsError) as info:
        text_value(structure, "x", values.ISO8601, "Tagging")
    assert info.value.message == "'Tagging' of type structure cannot be carried outside the body"


def test_located_headers_keep_model_order_on_both_paths() -> None:
    plan = response_plan(_s3("GetObject"))
    assert plan is not None
    when = datetime(2026, 12, 6, 12, 0, 0, tzinfo=UTC)
    few = {"Metadata": {"a": "b"}, "ETag": '"e"', "LastModified": when, "ContentLength": 3, "Body": b"abc"}
    assert located_headers(plan, few) == [
        ("Last-Modified", "Sun, 06 Dec 2026 12:00:00 GMT"),
        ("Content-Length", "3"),
        ("ETag", '"e"'),
        ("x-amz-meta-a", "b"),
    ]
    # as many members as header members: every header member is walked instead; the same headers come out
    many = {**few, **{f"Unknown{i}": i for i in range(len(plan.headers))}}
    assert located_headers(plan, many) == located_headers(plan, few)


def test_header_writers_agree_with_header_text() -> None:
    model = ServiceModel(SYNTHETIC, service_name="synth")
    plan = shape_plan(model.operation_model("PutThing").output_shape)
    when = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    output: dict[str, Any] = {"When": when, "Flag": False, "Tags": ["a", "b,c"], "Doc": {"k": 1}, "Meta": {"x": "y"}}
    for header in plan.headers:
        value = output[header.name]
        if header.prefix:
            value = value["x"]
        assert header.text(value) == header_text(header.shape, value)
    assert located_headers(plan, {"Tags": []}) == []  # an empty header list is not sent


def test_response_status() -> None:
    plan = response_plan(_lambda("Invoke"))
    assert plan is not None
    assert response_status(plan, {"StatusCode": 202}, 200) == 202
    assert response_status(plan, {"StatusCode": 9999}, 200) == 200
    assert response_status(plan, {}, 201) == 201


def test_http_date_is_what_email_utils_writes() -> None:
    start = datetime(1970, 1, 1, tzinfo=UTC)
    for i in range(0, 3000):
        dt = start + timedelta(days=i * 7.3, seconds=i * 977, microseconds=i * 331)
        assert values.http_date(dt) == format_datetime(dt.replace(microsecond=0), usegmt=True)
    early = datetime(99, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert values.http_date(early) == format_datetime(early, usegmt=True) == "Tue, 03 Feb 0099 04:05:06 GMT"
