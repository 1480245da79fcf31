"""The data plane's assembly, its pure parts: which requests are gateway requests, header safety toward backends,
Lambda authorizer answers and identity sources, access log destinations and secrets, TTL caches."""

from __future__ import annotations

from typing import Any

import pytest

from strongroom.protocol.http import HttpRequest
from strongroom.server.gateway import PENDING, GatewayHook, Target, _cannot_be_domain
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest
from strongroom.services.apigateway.dataplane.paths import InvokeTarget
from strongroom.services.apigateway.dataplane.responses import GatewayError
from strongroom.services.apigateway.invoke import authorizers, lambdas
from strongroom.services.apigateway.invoke.access_logs import line_for, log_group_name
from strongroom.services.apigateway.invoke.integrations import safe_headers
from strongroom.services.apigateway.invoke.state import TtlCache, execute_api_arn


def _http(path: str, host: str) -> HttpRequest:
    return HttpRequest(method="GET", path=path, query_string="", headers={"host": host}, body=b"")


class _Hook(GatewayHook):
    def __init__(self) -> None:  # no runtime: only the request classification is under test
        self._domains = {}


@pytest.mark.parametrize(
    ("path", "host", "expected"),
    [
        ("/prod/pets", "abc123.execute-api.localhost:4566", InvokeTarget("abc123", "prod", "/pets")),
        ("/", "abc123.execute-api.localhost:4566", "no stage"),
        ("/restapis/abc/prod/_user_request_/pets/1", "127.0.0.1:4566", InvokeTarget("abc", "prod", "/pets/1")),
        ("/restapis/abc/resources", "127.0.0.1:4566", None),  # the control plane's API
        ("/", "127.0.0.1:4566", None),
        ("/", "localhost:4566", None),
        ("/", "kms.us-east-1.amazonaws.com", None),
    ],
)
def test_gateway_requests_are_recognized(path: str, host: str, expected: InvokeTarget | str | None) -> None:
    found = _Hook().target(_http(path, host))
    if expected == "no stage":  # the gateway's to answer (403), not an AWS API call
        assert isinstance(found, Target) and found.invoke is None
    elif expected is None:
        assert found is None
    else:
        assert isinstance(found, Target) and found.invoke == expected


def test_a_host_that_may_be_a_custom_domain_is_looked_up_once() -> None:
    hook = _Hook()
    assert hook.target(_http("/v1/pets", "api.example.com")) is PENDING
    hook._domains["api.example.com"] = (float("inf"), None)  # a negative entry
    assert hook.target(_http("/v1/pets", "api.example.com")) is None
    assert _cannot_be_domain("10.0.0.1") and _cannot_be_domain("[::1]") and _cannot_be_domain("localhost")
    assert not _cannot_be_domain("api.example.com")


def test_headers_with_line_breaks_never_reach_a_backend() -> None:
    headers = [("X-Ok", "fine"), ("X-Bad", "a\r\nInjected: 1"), ("Bad Name", "v"), ("X-Nul", "a\x00b")]
    assert safe_headers(headers) == [("X-Ok", "fine")]


def test_lambda_uris() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:hello"
    uri = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"
    assert lambdas.function_of(uri) == arn
    assert lambdas.function_of("http://example.com") is None
    assert execute_api_arn("us-east-1", "1", "api", "prod", "GET", "/pets/1") == (
        "arn:aws:execute-api:us-east-1:1:api/prod/GET/pets/1"
    )


def _policy(effect: str = "Allow") -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_authorizer_answers() -> None:
    import orjson

    answer = authorizers.parse_answer(
        orjson.dumps({"principalId": "me", "policyDocument": _policy(), "context": {"a": "b", "n": 1, "t": True}})
    )
    assert answer.principal_id == "me" and answer.context == {"a": "b", "n": 1, "t": True}
    for bad in (
        b"not json",
        b"[]",
        orjson.dumps({"policyDocument": _policy()}),
        orjson.dumps({"principalId": "me"}),
        orjson.dumps({"principalId": "me", "policyDocument": {"Statement": "nope"}}),
        orjson.dumps({"principalId": "me", "policyDocument": _policy(), "context": {"nested": {"x": 1}}}),
    ):
        with pytest.raises(GatewayError) as raised:
            authorizers.parse_answer(bad)
        assert raised.value.response_type == "AUTHORIZER_CONFIGURATION_ERROR" and raised.value.message is None


def _ctx(**request: Any) -> GatewayContext:
    ctx = GatewayContext(request=GatewayRequest(method="GET", path="/p", **request), request_id="r")
    ctx.stage_variables = {"v": "x"}
    return ctx


def test_identity_sources() -> None:
    ctx = _ctx(headers=[("Authorization", "tok")], query=[("q", "1")])
    assert authorizers.identity_values(ctx, {"type": "TOKEN"}) == ["tok"]
    sources = "method.request.header.authorization, method.request.querystring.q, stageVariables.v"
    assert authorizers.identity_values(ctx, {"type": "REQUEST", "identitySource": sources}) == ["tok", "1", "x"]
    missing = {"type": "REQUEST", "identitySource": "method.request.querystring.other"}
    assert authorizers.identity_values(ctx, missing) is None


def test_access_log_lines_never_hold_the_api_key() -> None:
    ctx = _ctx(headers=[("x-api-key", "secret-value")])
    ctx.identity.api_key = "secret-value"
    line = line_for(ctx, "$context.identity.apiKey $context.requestId")
    assert line == "- r" and "secret-value" not in line
    assert log_group_name("arn:aws:logs:us-east-1:1:log-group:/my/group:*") == "/my/group"
    assert log_group_name("arn:aws:s3:::bucket") is None


def test_ttl_cache() -> None:
    cache: TtlCache[int] = TtlCache(60, max_entries=2)
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("a", load) == 1 and cache.get("a", load) == 1
    cache.put("b", 5, ttl=-1)  # already expired
    assert cache.peek("b") is None
    assert cache.get("c", load, ttl=0) == 2 and cache.get("c", load) == 3  # a zero TTL is never served
