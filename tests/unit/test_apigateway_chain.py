"""The request chain: order, insertion API, errors as gateway responses, timings; and `$context`."""

from __future__ import annotations

import json
import threading

import pytest

from strongroom.services.apigateway.dataplane import chain as chain_mod
from strongroom.services.apigateway.dataplane.chain import Chain, GatewayContext, GatewayRequest
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse


def ctx(**kw: object) -> GatewayContext:
    request = GatewayRequest(
        "GET",
        "/prod/pets",
        headers=[("Host", "abc.execute-api.x"), ("User-Agent", "ua/1"), ("Accept", "application/json")],
        query=[("a", "1"), ("a", "2")],
        source_ip="192.0.2.1",
        host="abc.execute-api.x",
        received_at=1428582896.123,
    )
    c = GatewayContext(request=request, request_id="rid", api_id="abc", stage="prod", path="/pets", account_id="1")
    for key, value in kw.items():
        setattr(c, key, value)
    return c


def recorder(name: str, seen: list[str], answer: GatewayResponse | None = None):  # type: ignore[no-untyped-def]
    def stage(c: GatewayContext) -> GatewayResponse | None:
        seen.append(name)
        return answer

    return stage


def test_runs_in_order_until_a_stage_answers() -> None:
    seen: list[str] = []
    ok = GatewayResponse(200, [], b"ok")
    c = Chain(
        [(n, recorder(n, seen)) for n in ("resolve", "route")] + [("integration", recorder("integration", seen, ok))]
    )
    c.append("after", recorder("after", seen))
    context = ctx()
    assert c.run(context) is ok
    assert seen == ["resolve", "route", "integration"]
    assert context.answered_by == "integration"
    assert [(t.name, t.outcome) for t in context.timings] == [
        ("resolve", "continue"),
        ("route", "continue"),
        ("integration", "answer"),
    ]
    assert all(t.seconds >= 0 for t in context.timings)


def test_insertion_api() -> None:
    seen: list[str] = []
    c = Chain([(n, recorder(n, seen)) for n in chain_mod.STANDARD_STAGES])
    c.insert_before("throttling", "waf", recorder("waf", seen))
    c.insert_after("resolve", "shield", recorder("shield", seen))
    names = c.names()
    assert names.index("waf") == names.index("throttling") - 1
    assert names.index("shield") == names.index("resolve") + 1
    with pytest.raises(KeyError, match="No stage named"):
        c.insert_before("nope", "x", recorder("x", seen))
    with pytest.raises(ValueError, match="already"):
        c.insert_after("route", "waf", recorder("waf", seen))
    c.replace("waf", recorder("waf2", seen))
    c.remove("shield")
    assert "shield" not in c.names()
    c.run(ctx())
    assert "waf2" in seen and "shield" not in seen


def test_a_waf_stage_blocks_with_a_gateway_response() -> None:
    seen: list[str] = []
    c = Chain([(n, recorder(n, seen)) for n in chain_mod.STANDARD_STAGES])

    def waf(context: GatewayContext) -> GatewayResponse | None:
        context.attributes["waf"] = {"action": "BLOCK"}
        raise GatewayError("WAF_FILTERED")

    c.insert_before("api_key", "waf", waf)
    context = ctx()
    out = c.run(context)
    assert out.status == 403 and json.loads(out.body) == {"message": "Forbidden"}
    assert context.error is not None and context.error.response_type == "WAF_FILTERED"
    assert seen == ["resolve", "route"]
    assert context.timings[-1].outcome == "error"


def test_gateway_errors_use_the_apis_customized_responses() -> None:
    def throttled(context: GatewayContext) -> GatewayResponse | None:
        raise GatewayError("THROTTLED")

    context = ctx(
        gateway_responses={
            "THROTTLED": {"responseTemplates": {"application/json": '{"slow":"$context.requestId $context.stage"}'}}
        }
    )
    out = Chain([("throttling", throttled)]).run(context)
    assert (out.status, out.body) == (429, b'{"slow":"rid prod"}')


def test_a_crashing_stage_is_a_500_without_details() -> None:
    def broken(context: GatewayContext) -> GatewayResponse | None:
        raise RuntimeError("secret detail")

    context = ctx()
    out = Chain([("route", broken)]).run(context)
    assert out.status == 500 and json.loads(out.body) == {"message": "Internal server error"}
    assert b"secret" not in out.body
    assert context.error is not None and "secret detail" in context.error.log_reason
    assert context.timings[0].outcome == "failure"


def test_a_chain_without_an_answer_is_a_500() -> None:
    assert Chain([("route", lambda c: None)]).run(ctx()).status == 500


def test_extending_while_running_is_safe() -> None:
    c = Chain([("a", lambda x: None), ("z", lambda x: GatewayResponse(204))])
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(300):
                assert c.run(ctx()).status == 204
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(100):
        c.insert_after("a", f"s{i}", lambda x: None)
    for t in threads:
        t.join()
    assert errors == []


def test_context_variables() -> None:
    context = ctx(resource_id="r1", resource_path="/pets", authorizer={"principalId": "p", "role": "admin"})
    context.identity.api_key = "key"
    v = chain_mod.context_variables(context)
    assert v["path"] == "/prod/pets"
    assert v["requestTime"] == "09/Apr/2015:12:34:56 +0000"
    assert v["requestTimeEpoch"] == 1428582896123
    assert v["identity"]["sourceIp"] == "192.0.2.1"
    assert v["identity"]["userAgent"] == "ua/1"
    assert v["identity"]["apiKey"] == "key"
    assert v["authorizer"] == {"principalId": "p", "role": "admin"}
    assert (v["domainName"], v["domainPrefix"]) == ("abc.execute-api.x", "abc")
    assert (v["resourceId"], v["resourcePath"], v["httpMethod"], v["stage"]) == ("r1", "/pets", "GET", "prod")
    assert "error" not in v and "status" not in v


def test_params_take_the_last_of_repeated_names() -> None:
    params = chain_mod.params_of(ctx(path_parameters={"id": "1"}))
    assert params.querystring == {"a": "2"}
    assert params.path == {"id": "1"}
    assert params.header["User-Agent"] == "ua/1"


def test_huge_header_counts_stay_linear() -> None:
    headers = [(f"X-H{i}", "v" * 10) for i in range(20_000)]
    request = GatewayRequest("GET", "/", headers=headers)
    context = GatewayContext(request=request, request_id="r")
    v = chain_mod.context_variables(context)
    assert v["identity"]["userAgent"] is None
    assert len(chain_mod.params_of(context).header) == 20_000


def test_stages_publish_context_variables_without_replacing_the_standard_ones() -> None:
    context = ctx()
    context.context_extras.update({"wafResponseCode": "WAF_BLOCK", "requestId": "forged"})
    v = chain_mod.context_variables(context)
    assert v["wafResponseCode"] == "WAF_BLOCK" and v["requestId"] == "rid"
