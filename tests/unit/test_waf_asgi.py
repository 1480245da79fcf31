"""``strongroom.waf.asgi.WafMiddleware`` with a static web ACL around a tiny ASGI app, driven message by message."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from strongroom.waf import DEFAULT_BLOCK_BODY, puzzle, tokens
from strongroom.waf.asgi import WafMiddleware

ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/app/0f0f0f0f-0000-4000-8000-000000000001"
IPS = "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/bad/0f0f0f0f-0000-4000-8000-000000000002"
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
TT = [{"Priority": 0, "Type": "NONE"}]


def rule(name: str, priority: int, statement: dict[str, Any], action: dict[str, Any]) -> dict[str, Any]:
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statement,
        "Action": action,
        "VisibilityConfig": {**VIS, "MetricName": name},
    }


def byte_match(field: dict[str, Any], value: bytes, where: str = "CONTAINS") -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "SearchString": value,
            "FieldToMatch": field,
            "TextTransformations": TT,
            "PositionalConstraint": where,
        }
    }


ACL: dict[str, Any] = {
    "Name": "app",
    "ARN": ARN,
    "DefaultAction": {"Allow": {}},
    "VisibilityConfig": VIS,
    "CustomResponseBodies": {"teapot": {"ContentType": "APPLICATION_JSON", "Content": '{"error":"teapot"}'}},
    "Rules": [
        rule("block-evil", 0, byte_match({"UriPath": {}}, b"/evil"), {"Block": {}}),
        rule(
            "custom",
            1,
            byte_match({"UriPath": {}}, b"/teapot", "STARTS_WITH"),
            {
                "Block": {
                    "CustomResponse": {
                        "ResponseCode": 418,
                        "CustomResponseBodyKey": "teapot",
                        "ResponseHeaders": [{"Name": "x-why", "Value": "tea"}],
                    }
                }
            },
        ),
        rule("body-sqli", 2, byte_match({"Body": {"OversizeHandling": "MATCH"}}, b"drop table"), {"Block": {}}),
        rule("bad-ips", 3, {"IPSetReferenceStatement": {"ARN": IPS}}, {"Block": {}}),
        rule(
            "tag",
            4,
            byte_match({"SingleHeader": {"Name": "x-tag"}}, b"yes"),
            {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "tagged", "Value": "1"}]}}},
        ),
        rule("challenge", 5, byte_match({"UriPath": {}}, b"/human", "STARTS_WITH"), {"Challenge": {}}),
        rule("captcha", 6, byte_match({"UriPath": {}}, b"/captcha", "STARTS_WITH"), {"Captcha": {}}),
    ],
}
SETS = {IPS: {"IPAddressVersion": "IPV4", "Addresses": ["203.0.113.0/24"]}}


class Echo:
    """The protected app: echoes what it received (headers, the whole body) as JSON."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        out = json.dumps(
            {
                "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
                "length": len(body),
                "sha": hashlib.sha256(body).hexdigest(),
            }
        ).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": out})


def call(
    app: Any,
    path: str = "/",
    *,
    method: str = "GET",
    headers: list[tuple[str, str]] | None = None,
    chunks: list[bytes] | None = None,
    client: str = "198.51.100.1",
    declare_length: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    hdrs = [(k.lower().encode(), v.encode()) for k, v in headers or []]
    if not any(k == b"host" for k, _ in hdrs):
        hdrs.insert(0, (b"host", b"app.example.com"))
    pieces = chunks or []
    if pieces and declare_length:
        hdrs.append((b"content-length", str(sum(map(len, pieces))).encode()))
    elif pieces:
        hdrs.append((b"transfer-encoding", b"chunked"))
    path_part, _, query = path.partition("?")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path_part,
        "raw_path": path_part.encode(),
        "query_string": query.encode(),
        "headers": hdrs,
        "client": (client, 50000),
        "scheme": "http",
    }
    inbox = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
    if not inbox:
        inbox = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if inbox:
            return inbox.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    out_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], out_headers, b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def echo() -> Echo:
    return Echo()


@pytest.fixture
def app(echo: Echo) -> WafMiddleware:
    return WafMiddleware(echo, ACL, ip_sets=SETS, token_secret=b"k" * 32)


def test_block_answers_aws_default_403_and_the_app_never_runs(app: WafMiddleware, echo: Echo) -> None:
    status, headers, body = call(app, "/evil/thing")
    assert status == 403 and body == DEFAULT_BLOCK_BODY.encode()
    assert headers["content-type"] == "text/html" and headers["content-length"] == str(len(body))
    assert echo.calls == 0


def test_allow_passes_headers_and_body_through(app: WafMiddleware, echo: Echo) -> None:
    status, _, body = call(app, "/ok?a=1", method="POST", headers=[("X-Custom", "v")], chunks=[b"hello", b" world"])
    assert status == 200 and echo.calls == 1
    seen = json.loads(body)
    assert ["x-custom", "v"] in seen["headers"]
    assert seen["length"] == 11 and seen["sha"] == hashlib.sha256(b"hello world").hexdigest()


def test_ip_set_blocks_by_client_address(app: WafMiddleware) -> None:
    assert call(app, "/", client="203.0.113.9")[0] == 403
    assert call(app, "/", client="203.0.114.9")[0] == 200


def test_body_is_inspected_and_replayed(app: WafMiddleware) -> None:
    assert call(app, "/", method="POST", chunks=[b"x=1; DROP", b" TABLE users"])[0] == 200  # case sensitive
    assert call(app, "/", method="POST", chunks=[b"x=1; drop", b" table users"])[0] == 403


def test_large_body_past_the_inspection_limit(app: WafMiddleware, echo: Echo) -> None:
    big = [b"a" * 10_000] * 3  # 30 KB: past the 16 KB limit, OversizeHandling MATCH blocks it
    assert call(app, "/", method="POST", chunks=big)[0] == 403
    assert call(app, "/", method="POST", chunks=big, declare_length=False)[0] == 403
    lenient = {**ACL, "Rules": [r for r in ACL["Rules"] if r["Name"] != "body-sqli"]}
    status, _, body = call(WafMiddleware(echo, lenient, ip_sets=SETS), "/", method="POST", chunks=big)
    seen = json.loads(body)
    assert status == 200 and seen["length"] == 30_000 and seen["sha"] == hashlib.sha256(b"a" * 30_000).hexdigest()


def test_custom_response(app: WafMiddleware) -> None:
    status, headers, body = call(app, "/teapot")
    assert status == 418 and body == b'{"error":"teapot"}'
    assert headers["content-type"] == "application/json" and headers["x-why"] == "tea"


def test_inserted_headers_replace_forged_ones(app: WafMiddleware) -> None:
    status, _, body = call(app, "/", headers=[("x-tag", "yes"), ("x-amzn-waf-tagged", "forged")])
    seen = json.loads(body)["headers"]
    assert status == 200 and ["x-amzn-waf-tagged", "1"] in seen and ["x-amzn-waf-tagged", "forged"] not in seen


def test_log_records_reach_the_sink(echo: Echo) -> None:
    records: list[dict[str, Any]] = []

    class Sink:
        def emit(self, record: dict[str, Any]) -> None:
            records.append(record)

    app = WafMiddleware(echo, ACL, ip_sets=SETS, log_sink=Sink(), http_source_name="ASGI")
    call(app, "/evil")
    call(app, "/fine", headers=[("x-tag", "yes")])
    assert [r["action"] for r in records] == ["BLOCK", "ALLOW"]
    assert records[0]["terminatingRuleId"] == "block-evil" and records[0]["webaclId"] == ARN
    assert records[0]["httpSourceName"] == "ASGI" and records[0]["responseCodeSent"] == 403
    assert records[1]["nonTerminatingMatchingRules"][0]["ruleId"] == "tag"


def test_no_acl_yet_fails_closed(echo: Echo) -> None:
    class Empty:
        def snapshot(self) -> None:
            return None

    assert call(WafMiddleware(echo, Empty()), "/")[0] == 503 and echo.calls == 0


# --- CAPTCHA and Challenge through the verification endpoints ---------------------------------------------------


def solve(nonce: str, difficulty: int) -> str:
    n = 0
    while not puzzle.work_done(nonce, str(n), difficulty):
        n += 1
    return str(n)


def cookie_of(headers: dict[str, str]) -> str:
    value = headers["set-cookie"].split(";", 1)[0]
    assert value.startswith("aws-waf-token=")
    return value


def post(app: Any, path: str, payload: dict[str, Any], headers: list[tuple[str, str]] | None = None) -> Any:
    data = json.dumps(payload).encode()
    return call(app, path, method="POST", chunks=[data], headers=headers)


def test_challenge_flow(echo: Echo) -> None:
    now = [1_000_000.0]
    app = WafMiddleware(echo, ACL, ip_sets=SETS, challenge_difficulty=8, clock=lambda: now[0])
    status, headers, body = call(app, "/human/page")
    assert status == 202 and headers["x-amzn-waf-action"] == "challenge" and b"challenge-container" in body
    _, _, raw = call(app, "/.aws-waf/challenge")
    issued = json.loads(raw)
    assert post(app, "/.aws-waf/challenge/verify", {"nonce": issued["nonce"], "solution": "nope"})[0] == 403
    _, _, raw = call(app, "/.aws-waf/challenge")
    issued = json.loads(raw)
    answer = {"nonce": issued["nonce"], "solution": solve(issued["nonce"], issued["difficulty"])}
    status, headers, _ = post(app, "/.aws-waf/challenge/verify", answer)
    assert status == 200
    cookie = cookie_of(headers)
    assert "HttpOnly" in headers["set-cookie"] and "Path=/" in headers["set-cookie"]
    assert post(app, "/.aws-waf/challenge/verify", answer)[0] == 403  # a nonce is spent once
    assert call(app, "/human/page", headers=[("cookie", cookie)])[0] == 200
    now[0] += 301  # past the default immunity time: the interstitial again
    assert call(app, "/human/page", headers=[("cookie", cookie)])[0] == 202


def test_captcha_flow_wrong_answer_burns_the_puzzle(echo: Echo) -> None:
    texts = iter(["ACDEF", "HJK34"])
    app = WafMiddleware(echo, ACL, ip_sets=SETS, captcha_text=lambda: next(texts))
    assert call(app, "/captcha")[0] == 405
    _, _, raw = call(app, "/.aws-waf/captcha")
    first = json.loads(raw)
    assert first["image"].startswith("data:image/png;base64,")
    assert post(app, "/.aws-waf/captcha/verify", {"nonce": first["nonce"], "answer": "WRONG"})[0] == 403
    assert post(app, "/.aws-waf/captcha/verify", {"nonce": first["nonce"], "answer": "ACDEF"})[0] == 403
    _, _, raw = call(app, "/.aws-waf/captcha")
    second = json.loads(raw)
    status, headers, _ = post(app, "/.aws-waf/captcha/verify", {"nonce": second["nonce"], "answer": "hjk34"})
    assert status == 200
    cookie = cookie_of(headers)
    assert call(app, "/captcha", headers=[("cookie", cookie)])[0] == 200
    assert call(app, "/human", headers=[("cookie", cookie)])[0] == 200  # a CAPTCHA solve counts as a challenge


@pytest.mark.parametrize(
    "forge",
    [
        lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature tampered
        lambda c: "aws-waf-token=" + tokens.issue_token(b"x" * 32, "app.example.com", "captcha", 1e12),  # other key
        lambda c: "aws-waf-token=garbage",
    ],
)
def test_forged_tokens_are_refused(echo: Echo, forge: Callable[[str], str]) -> None:
    app = WafMiddleware(echo, ACL, ip_sets=SETS, captcha_text=lambda: "ACDEF")
    _, _, raw = call(app, "/.aws-waf/captcha")
    _status, headers, _ = post(app, "/.aws-waf/captcha/verify", {"nonce": json.loads(raw)["nonce"], "answer": "ACDEF"})
    cookie = cookie_of(headers)
    assert call(app, "/captcha", headers=[("cookie", forge(cookie))])[0] == 405


def test_token_of_another_acl_or_host_is_refused(echo: Echo) -> None:
    app = WafMiddleware(echo, ACL, ip_sets=SETS, captcha_text=lambda: "ACDEF", token_secret=b"s" * 32)
    other_acl = {**ACL, "ARN": ARN.replace("0001", "0009")}
    other = WafMiddleware(echo, other_acl, ip_sets=SETS, captcha_text=lambda: "ACDEF", token_secret=b"s" * 32)
    _, _, raw = call(other, "/.aws-waf/captcha")
    _, headers, _ = post(other, "/.aws-waf/captcha/verify", {"nonce": json.loads(raw)["nonce"], "answer": "ACDEF"})
    assert call(other, "/captcha", headers=[("cookie", cookie_of(headers))])[0] == 200
    assert call(app, "/captcha", headers=[("cookie", cookie_of(headers))])[0] == 405  # same secret, other ACL
    # minted for another host by this very ACL's key
    _, _, raw = call(app, "/.aws-waf/captcha")
    _, headers, _ = post(app, "/.aws-waf/captcha/verify", {"nonce": json.loads(raw)["nonce"], "answer": "ACDEF"})
    cookie = cookie_of(headers)
    assert call(app, "/captcha", headers=[("cookie", cookie)])[0] == 200
    assert call(app, "/captcha", headers=[("cookie", cookie), ("host", "evil.example.net")])[0] == 405


def test_nonce_for_another_host_or_kind_is_refused(echo: Echo) -> None:
    app = WafMiddleware(echo, ACL, ip_sets=SETS, challenge_difficulty=4)
    _, _, raw = call(app, "/.aws-waf/challenge")
    issued = json.loads(raw)
    answer = {"nonce": issued["nonce"], "solution": solve(issued["nonce"], 4)}
    assert post(app, "/.aws-waf/captcha/verify", {"nonce": issued["nonce"], "answer": "x"})[0] == 403
    assert post(app, "/.aws-waf/challenge/verify", answer, headers=[("host", "other.example")])[0] == 403
    assert post(app, "/.aws-waf/challenge/verify", {"nonce": "x.y"})[0] == 403
    assert call(app, "/.aws-waf/nothing")[0] == 404


def test_puzzle_image_is_a_png() -> None:
    image = puzzle.render("ACDEF", seed=1)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 500
    assert puzzle.render("ACDEF", seed=1) == image and puzzle.render("ACDEF", seed=2) != image


def test_samples_reach_the_sample_sink(echo: Echo) -> None:
    got: list[tuple[str, Any]] = []

    class Sink:
        def emit(self, arn: str, sample: Any) -> None:
            got.append((arn, sample))

    app = WafMiddleware(echo, ACL, ip_sets=SETS, sample_sink=Sink())
    call(app, "/evil", headers=[("authorization", "secret")])
    call(app, "/fine", headers=[("x-tag", "yes")])
    assert [(s.metric_name, s.action) for _, s in got] == [("block-evil", "BLOCK"), ("m", "ALLOW"), ("tag", "COUNT")]
    assert all(arn == ARN for arn, _ in got)
    blocked = got[0][1]
    assert blocked.request["URI"] == "/evil" and blocked.response_code == 403
    assert {"Name": "authorization", "Value": "REDACTED"} in blocked.request["Headers"]


def test_puzzles_are_rate_limited_per_client(echo: Echo) -> None:
    app = WafMiddleware(echo, ACL, ip_sets=SETS, clock=lambda: 5_000.0)
    statuses = [call(app, "/.aws-waf/captcha")[0] for _ in range(22)]
    assert statuses[:20] == [200] * 20 and statuses[20:] == [429, 429]
    assert call(app, "/.aws-waf/captcha", client="198.51.100.2")[0] == 200  # another client has its own bucket


def test_websocket_upgrades_are_evaluated(echo: Echo) -> None:
    opened: list[str] = []

    async def ws_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        opened.append(scope["path"])
        await receive()
        await send({"type": "websocket.accept"})

    app = WafMiddleware(ws_app, ACL, ip_sets=SETS)

    def connect(path: str) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        scope = {
            "type": "websocket",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(b"host", b"app.example.com")],
            "client": ("198.51.100.1", 1),
        }

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run(app(scope, receive, send))
        return sent

    assert connect("/evil/ws") == [{"type": "websocket.close", "code": 1008}]
    assert connect("/chat") == [{"type": "websocket.accept"}] and opened == ["/chat"]


def test_interstitial_answers_without_asgi() -> None:
    from strongroom.waf.interstitial import Interstitials

    pages = Interstitials(difficulty=4, captcha_text=lambda: "ACDEF")
    key = b"k" * 32

    def answer(method: str, sub: str, body: bytes | None = b"", host: str = "a.example:8443") -> Any:
        return pages.answer(
            key, method, sub, host=host, client_ip="192.0.2.1", body=body, cookies=[], https=True, now=1e6
        )

    nonce = answer("GET", "/captcha").body["nonce"]
    ok = answer("POST", "/captcha/verify", json.dumps({"nonce": nonce, "answer": "acdef"}).encode())
    assert ok.status == 200 and ok.headers[0][1].endswith("HttpOnly; Secure")
    assert answer("POST", "/captcha/verify", None).status == 403  # a body too large to read
    assert answer("POST", "/captcha/verify", b"[1]").status == 403
    assert answer("GET", "/challenge", host="").status == 400
    assert answer("DELETE", "/captcha").status == 404
