"""AWS_PROXY event (format 1.0) and response mapping; HTTP_PROXY request/response rewriting."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from strongroom.services.apigateway.dataplane import lambda_proxy
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest, TlsInfo
from strongroom.services.apigateway.dataplane.responses import GatewayError


def context(**request_kw: Any) -> GatewayContext:
    request = GatewayRequest(
        **{
            "method": "GET",
            "path": "/prod/my/path",
            "headers": [("header1", "value1"), ("header2", "value1"), ("header2", "value2")],
            "query": [("parameter1", "value1"), ("parameter1", "value2"), ("parameter2", "value")],
            "body": b"Hello from Lambda!",
            "source_ip": "192.0.2.1",
            "host": "id.execute-api.us-east-1.amazonaws.com",
            "received_at": 1583349317.135,
            **request_kw,
        }
    )
    ctx = GatewayContext(
        request=request,
        request_id="id=",
        extended_request_id="request-id",
        account_id="123456789012",
        api_id="id",
        stage="prod",
        resource_id="abc123",
        resource_path="/my/path",
        http_method="GET",
        path="/my/path",
    )
    ctx.identity.user_agent = "user-agent"
    return ctx


def test_event_matches_awss_documented_example() -> None:
    """ "Input format of a Lambda function for proxy integration" (REST, 1.0); single-value maps take the last value,
    as API Gateway sends them (the documentation's example shows parameter1 joined, which AWS does not send)."""
    event = lambda_proxy.proxy_event(context())
    assert event == {
        "resource": "/my/path",
        "path": "/my/path",
        "httpMethod": "GET",
        "headers": {"header1": "value1", "header2": "value2"},
        "multiValueHeaders": {"header1": ["value1"], "header2": ["value1", "value2"]},
        "queryStringParameters": {"parameter1": "value2", "parameter2": "value"},
        "multiValueQueryStringParameters": {"parameter1": ["value1", "value2"], "parameter2": ["value"]},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "id",
            "domainName": "id.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "id",
            "extendedRequestId": "request-id",
            "httpMethod": "GET",
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": None,
                "sourceIp": "192.0.2.1",
                "user": None,
                "userAgent": "user-agent",
                "userArn": None,
            },
            "path": "/prod/my/path",
            "protocol": "HTTP/1.1",
            "requestId": "id=",
            "requestTime": "04/Mar/2020:19:15:17 +0000",
            "requestTimeEpoch": 1583349317135,
            "resourceId": "abc123",
            "resourcePath": "/my/path",
            "stage": "prod",
        },
        "pathParameters": None,
        "stageVariables": None,
        "body": "Hello from Lambda!",
        "isBase64Encoded": False,
    }
    json.dumps(event)  # it is JSON as it stands


def test_event_with_parameters_authorizer_api_key_and_client_cert() -> None:
    ctx = context(headers=[], query=[], body=b"", tls=TlsInfo("TLSv1.3", client_cert_pem="PEM"))
    ctx.path_parameters = {"proxy": "a/b"}
    ctx.stage_variables = {"v": "1"}
    ctx.authorizer = {"principalId": "user", "tenant": "t"}
    ctx.identity.api_key, ctx.identity.api_key_id = "secret-key", "kid"
    event = lambda_proxy.proxy_event(ctx)
    assert (event["headers"], event["multiValueHeaders"], event["queryStringParameters"]) == (None, None, None)
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    assert event["pathParameters"] == {"proxy": "a/b"} and event["stageVariables"] == {"v": "1"}
    assert event["requestContext"]["authorizer"] == {"principalId": "user", "tenant": "t"}
    assert event["requestContext"]["identity"]["apiKey"] == "secret-key"
    assert event["requestContext"]["identity"]["apiKeyId"] == "kid"
    assert event["requestContext"]["identity"]["clientCert"] == {"clientCertPem": "PEM"}


@pytest.mark.parametrize(
    ("content_type", "types", "binary"),
    [
        ("image/png", ["image/png"], True),
        ("image/png; q=1", ["image/*"], True),
        ("application/octet-stream", ["*/*"], True),
        ("text/plain", ["image/*"], False),
        (None, ["*/*"], False),
    ],
)
def test_binary_bodies_are_base64(content_type: str | None, types: list[str], binary: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = lambda_proxy.proxy_event(context(headers=headers, body=b"\x89PNG\xff"), types)
    assert event["isBase64Encoded"] is binary
    if binary:
        assert base64.b64decode(event["body"]) == b"\x89PNG\xff"


# --- the Lambda's answer --------------------------------------------------------------------------------------------


def test_response_mapping() -> None:
    out = lambda_proxy.proxy_response(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-One": "1", "X-Both": "single", "X-Num": 5, "X-Bool": True},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "x-both": ["multi"]},
                "body": '{"ok":true}',
                "isBase64Encoded": False,
            }
        )
    )
    assert out.status == 201
    assert out.body == b'{"ok":true}'
    assert ("Set-Cookie", "a=1") in out.headers and ("Set-Cookie", "b=2") in out.headers
    assert ("x-both", "multi") in out.headers and ("X-Both", "single") not in out.headers  # multi wins
    assert ("X-Num", "5") in out.headers and ("X-Bool", "true") in out.headers
    assert out.header("Content-Type") == "application/json"


def test_response_minimal_and_base64() -> None:
    assert lambda_proxy.proxy_response(b'{"statusCode": 204}').body == b""
    out = lambda_proxy.proxy_response(
        json.dumps({"statusCode": "200", "body": base64.b64encode(b"\x00\x01").decode(), "isBase64Encoded": True})
    )
    assert (out.status, out.body, out.is_base64) == (200, b"\x00\x01", True)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'"text"',
        b"{}",
        b'{"statusCode": "abc"}',
        b'{"statusCode": 700}',
        b'{"statusCode": true}',
        b'{"statusCode": 200, "body": {"not": "a string"}}',
        b'{"statusCode": 200, "extra": 1}',
        b'{"statusCode": 200, "headers": []}',
        b'{"statusCode": 200, "headers": {"a": {"nested": 1}}}',
        b'{"statusCode": 200, "multiValueHeaders": {"a": "not-a-list"}}',
        b'{"statusCode": 200, "isBase64Encoded": "yes"}',
        b'{"statusCode": 200, "isBase64Encoded": true, "body": "%%%"}',
    ],
)
def test_malformed_lambda_answers_are_502(payload: bytes) -> None:
    with pytest.raises(GatewayError) as raised:
        lambda_proxy.proxy_response(payload)
    error = raised.value
    assert (error.response_type, error.status, error.message) == ("DEFAULT_5XX", 502, "Internal server error")
    assert error.log_reason.startswith("Execution failed due to configuration error: Malformed Lambda proxy response")


def test_function_error_is_502() -> None:
    assert lambda_proxy.function_error("Unhandled").status == 502


# --- HTTP_PROXY -----------------------------------------------------------------------------------------------------


def proxy_context(path_parameters: dict[str, str], resource_path: str = "/{proxy+}") -> GatewayContext:
    ctx = context(
        method="POST",
        headers=[
            ("Host", "abc.execute-api.x"),
            ("Connection", "keep-alive"),
            ("Content-Length", "3"),
            ("Transfer-Encoding", "chunked"),
            ("X-Forwarded-For", "203.0.113.9"),
            ("Authorization", "Bearer t"),
            ("X-Custom", "c"),
        ],
        query=[("q", "a b"), ("q", "c")],
        body=b"abc",
    )
    ctx.resource_path = resource_path
    ctx.path_parameters = path_parameters
    ctx.stage_variables = {"backend": "backend.internal:8080"}
    return ctx


def test_http_proxy_request() -> None:
    ctx = proxy_context({"proxy": "pets/1"})
    req = lambda_proxy.http_proxy_request(
        ctx, {"uri": "http://${stageVariables.backend}/api/{proxy}", "httpMethod": "ANY"}
    )
    assert req.method == "POST"
    assert req.url == "http://backend.internal:8080/api/pets/1?q=a%20b&q=c"
    names = [k.lower() for k, _ in req.headers]
    for dropped in ("connection", "content-length", "transfer-encoding"):
        assert dropped not in names
    assert ("Host", "backend.internal:8080") in req.headers
    assert ("X-Forwarded-For", "203.0.113.9, 192.0.2.1") in req.headers
    assert ("Authorization", "Bearer t") in req.headers and ("X-Custom", "c") in req.headers
    assert ("User-Agent", "AmazonAPIGateway_id") in req.headers
    assert req.body == b"abc"


@pytest.mark.parametrize(
    ("params", "resource", "expected"),
    [
        ({"proxy": "../../admin"}, "/{proxy+}", "http://b/api/%2E%2E/%2E%2E/admin"),
        ({"proxy": "a/./b"}, "/{proxy+}", "http://b/api/a/%2E/b"),
        ({"proxy": "a?x=1#f"}, "/{proxy+}", "http://b/api/a%3Fx=1%23f"),
        ({"id": "a/b"}, "/items/{id}", "http://b/api/a%2Fb"),  # a decoded %2F stays inside the segment
        ({"id": ".."}, "/items/{id}", "http://b/api/%2E%2E"),
    ],
)
def test_http_proxy_parameters_cannot_climb_out(params: dict[str, str], resource: str, expected: str) -> None:
    ctx = proxy_context(params, resource)
    ctx.request.query = []
    placeholder = "{proxy}" if "proxy" in params else "{id}"
    req = lambda_proxy.http_proxy_request(ctx, {"uri": f"http://b/api/{placeholder}", "httpMethod": "GET"})
    assert req.url == expected and req.method == "GET"


def test_render_uri_leaves_unknown_placeholders() -> None:
    assert (
        lambda_proxy.render_uri("http://h/{a}/{b}?x=${stageVariables.s}", {"a": "1"}, {"s": "v"})
        == "http://h/1/{b}?x=v"
    )


def test_http_proxy_response_remaps_and_drops() -> None:
    out = lambda_proxy.http_proxy_response(
        200,
        [("Content-Length", "3"), ("Date", "d"), ("Via", "1.1 x"), ("Content-Encoding", "gzip"), ("X-App", "a")],
        b"abc",
    )
    assert out.headers == [("x-amzn-Remapped-Content-Length", "3"), ("x-amzn-Remapped-Date", "d"), ("X-App", "a")]


def test_huge_header_counts() -> None:
    headers = [(f"X-H{i % 50}", str(i)) for i in range(20_000)]
    event = lambda_proxy.proxy_event(context(headers=headers))
    assert len(event["headers"]) == 50 and sum(len(v) for v in event["multiValueHeaders"].values()) == 20_000
