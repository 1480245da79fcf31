"""``WafMiddleware``: the WAF engine in front of any ASGI application (the third enforcement point).

    from strongroom.waf.asgi import WafMiddleware
    app = WafMiddleware(app, web_acl=acl_dict, ip_sets={arn: {...}})            # a static web ACL
    app = WafMiddleware(app, web_acl=RemoteWebAcl(arn))                          # strongroom.wafproxy.remote

Every HTTP request is evaluated before the application sees it: the body is read up to the web ACL's inspection
limit, evaluated, and replayed to the application untouched (what was not read streams on). Block, CAPTCHA and
Challenge are answered here; Allow / Count insert the ``x-amzn-waf-*`` request headers. Under ``/.aws-waf/`` the
middleware serves what the interstitial pages call to earn the ``aws-waf-token`` cookie (``puzzle.py``).

The module stays pure (the ``waf`` layer): where the web ACL comes from is a ``WebAclSource`` object, where log
records go a ``LogSink``; the boto3-backed ones live in ``strongroom.wafproxy``. Evaluation runs on the event
loop: it is CPU work of tens of microseconds, which a hand-off to a thread would only add to.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from strongroom.waf import puzzle
from strongroom.waf.adapter import (
    Sample,
    SampleGate,
    SamplingPlan,
    forwarded_headers,
    inspection_request,
    log_entry,
    sample_request,
)
from strongroom.waf.decision import Decision
from strongroom.waf.engine import WebAclEvaluator
from strongroom.waf.interstitial import MAX_BODY, Interstitials
from strongroom.waf.managed import ManagedRulesProvider
from strongroom.waf.ratelimit import InMemoryRateCounter, RateCounterStore
from strongroom.waf.request import WafRequest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("strongroom.waf")

ENDPOINT = "/.aws-waf"  # the interstitial pages' data-waf-endpoint default


@dataclass(frozen=True)
class AclSnapshot:
    """One compiled web ACL and how its traffic is logged: ``logging_configuration`` (RedactedFields,
    LoggingFilter) when the ACL has one; ``logging_enabled`` False skips building log records at all."""

    evaluator: WebAclEvaluator
    logging_configuration: Mapping[str, Any] | None = None
    logging_enabled: bool = True
    sampling: SamplingPlan | None = None  # the metric names sampled (SampledRequestsEnabled); None: none


class WebAclSource(Protocol):
    """Where the middleware gets its web ACL: ``snapshot()`` is called for every request, so it must be cheap
    (return a prepared object; reload elsewhere). None: no web ACL could be loaded yet."""

    def snapshot(self) -> AclSnapshot | None: ...


class LogSink(Protocol):
    """Receives AWS WAF log records; must not block (queue them and ship elsewhere)."""

    def emit(self, record: dict[str, Any]) -> None: ...


class SampleSink(Protocol):
    """Receives sampled requests (``adapter.Sample``, weighted by ``SampleGate``); must not block."""

    def emit(self, web_acl_arn: str, sample: Sample) -> None: ...


def derive_token_key(secret: bytes, web_acl_arn: str) -> bytes:
    """The ``aws-waf-token`` key of one web ACL: a token minted for one ACL is refused by every other."""
    return hmac.new(secret, b"aws-waf-token:" + web_acl_arn.encode(), hashlib.sha256).digest()


def _lookup(table: Mapping[str, dict] | Callable[[str], dict | None]) -> Callable[[str], dict | None]:
    return table if callable(table) else table.get


def build_evaluator(
    web_acl: Mapping[str, Any],
    *,
    ip_sets: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006 - read only
    regex_pattern_sets: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006
    rule_groups: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006
    managed_rules: ManagedRulesProvider | None = None,
    rate_store: RateCounterStore | None = None,
    token_secret: bytes,
    resource_type: str = "API_GATEWAY",
) -> WebAclEvaluator:
    return WebAclEvaluator(
        dict(web_acl),
        ip_sets=_lookup(ip_sets),
        regex_pattern_sets=_lookup(regex_pattern_sets),
        rule_groups=_lookup(rule_groups),
        managed_rules=managed_rules,
        rate_store=rate_store,
        resource_type=resource_type,
        token_key=derive_token_key(token_secret, str(web_acl.get("ARN") or web_acl.get("Name") or "")),
    )


class StaticWebAcl:
    """A web ACL given as GetWebACL's ``WebACL`` dict, compiled once; referenced sets and groups by ARN."""

    def __init__(
        self,
        web_acl: Mapping[str, Any],
        *,
        ip_sets: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006
        regex_pattern_sets: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006
        rule_groups: Mapping[str, dict] | Callable[[str], dict | None] = {},  # noqa: B006
        managed_rules: ManagedRulesProvider | None = None,
        token_secret: bytes | None = None,
        logging_configuration: Mapping[str, Any] | None = None,
        resource_type: str = "API_GATEWAY",
    ) -> None:
        evaluator = build_evaluator(
            web_acl,
            ip_sets=ip_sets,
            regex_pattern_sets=regex_pattern_sets,
            rule_groups=rule_groups,
            managed_rules=managed_rules,
            rate_store=InMemoryRateCounter(),
            token_secret=token_secret or secrets.token_bytes(32),
            resource_type=resource_type,
        )
        self._snapshot = AclSnapshot(evaluator, logging_configuration, sampling=SamplingPlan.of(web_acl))

    def snapshot(self) -> AclSnapshot | None:
        return self._snapshot


@dataclass
class _Body:
    messages: list[Message] = field(default_factory=list)
    data: bytes = b""
    length: int | None = None  # the whole body's length when known
    disconnected: bool = False


async def _read_prefix(receive: Receive, limit: int, declared: int | None) -> _Body:
    """Read the body until ``limit`` bytes or its end, keeping the messages to replay them."""
    out = _Body()
    pieces: list[bytes] = []
    size = 0
    more = True
    while more and size <= limit:
        message = await receive()
        if message["type"] == "http.disconnect":
            out.disconnected = True
            return out
        out.messages.append(message)
        piece = message.get("body", b"")
        pieces.append(piece)
        size += len(piece)
        more = bool(message.get("more_body", False))
    out.data = b"".join(pieces)
    # The inspection limit decides oversize handling: past it, the true length when declared, else "more".
    out.length = declared if declared is not None else (size if not more else size + 1)
    return out


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(reversed(messages))

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


def _header_value(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


class WafMiddleware:
    """Evaluate every HTTP request with the web ACL before ``app`` sees it.

    ``web_acl``: a ``WebAclSource`` or a GetWebACL ``WebACL`` dict (then ``ip_sets`` / ``regex_pattern_sets`` /
    ``rule_groups`` / ``managed_rules`` resolve its references, see ``StaticWebAcl``). ``log_sink``: where AWS WAF
    log records go (filtered and redacted by the source's logging configuration when it has one). ``clock`` and
    ``captcha_text`` exist for tests (a fake clock, a known puzzle); production leaves them alone.
    """

    def __init__(
        self,
        app: ASGIApp,
        web_acl: WebAclSource | Mapping[str, Any],
        *,
        log_sink: LogSink | None = None,
        sample_sink: SampleSink | None = None,
        http_source_name: str = "ASGI",
        http_source_id: str = "",
        endpoint: str = ENDPOINT,
        challenge_difficulty: int = puzzle.DEFAULT_DIFFICULTY,
        clock: Callable[[], float] = time.time,
        captcha_text: Callable[[], str] = puzzle.random_text,
        **static: Any,
    ) -> None:
        self.app = app
        self.source: WebAclSource = StaticWebAcl(web_acl, **static) if isinstance(web_acl, Mapping) else web_acl
        self.log_sink = log_sink
        self.sample_sink = sample_sink
        self.gate = SampleGate()
        self.http_source_name = http_source_name
        self.http_source_id = http_source_id
        self.endpoint = endpoint.rstrip("/")
        self.clock = clock
        self.interstitials = Interstitials(challenge_difficulty, captcha_text)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        snap = self.source.snapshot()
        if snap is None:  # fail closed: nothing has been evaluated, nothing goes through
            await _respond(send, 503, [], b"The web ACL is not available.", "text/plain")
            return
        path: str = scope["path"]
        if path.startswith(self.endpoint + "/"):
            await self._interstitial(snap.evaluator, scope, receive, send, path[len(self.endpoint) :])
            return
        evaluator = snap.evaluator
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        declared_raw = _header_value(headers, b"content-length")
        declared = int(declared_raw) if declared_raw is not None and declared_raw.isdigit() else None
        body = b""
        body_length: int | None = None
        if declared or (declared is None and _header_value(headers, b"transfer-encoding") is not None):
            prefix = await _read_prefix(receive, evaluator.body_limit, declared)
            if prefix.disconnected:
                return
            body, body_length = prefix.data, prefix.length
            receive = _replaying(prefix.messages, receive)
        request, decision = self._evaluate(snap, scope, scope["method"], body, body_length)
        response = decision.response
        if response is not None:
            await _respond(send, response.status, response.headers, response.body, response.content_type)
            return
        await self.app(_with_inserted(scope, request, decision), receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The upgrade request is evaluated like any GET; a request the ACL does not allow is refused before the
        handshake (the server answers 403, as ASGI specifies for a close before accept)."""
        snap = self.source.snapshot()
        allowed = False
        if snap is not None:
            request, decision = self._evaluate(snap, scope, "GET", b"", None)
            allowed = decision.response is None
            scope = _with_inserted(scope, request, decision)
        if allowed:
            await self.app(scope, receive, send)
            return
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.close", "code": 1008})

    def _evaluate(
        self, snap: AclSnapshot, scope: Scope, method: str, body: bytes, body_length: int | None
    ) -> tuple[WafRequest, Decision]:
        """The engine's decision on this request, logged and sampled."""
        raw_path = scope.get("raw_path")
        client = scope.get("client")
        request = inspection_request(
            method,
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body,
            body_limit=snap.evaluator.body_limit,
            body_length=body_length,
            source_ip=client[0] if client else "0.0.0.0",
            http_version="HTTP/" + str(scope.get("http_version", "1.1")),
            # only a log record shows it: no id for a request nothing will log
            request_id=uuid.uuid4().hex if self.log_sink is not None and snap.logging_enabled else "",
        )
        now = self.clock()
        decision = snap.evaluator.evaluate(request, now)
        if self.log_sink is not None and snap.logging_enabled:
            self._log(snap, decision, request, now)
        if self.sample_sink is not None and snap.sampling is not None:
            self._sample(snap.sampling, snap.evaluator.arn, decision, request, now)
        return request, decision

    def _log(self, snap: AclSnapshot, decision: Decision, request: WafRequest, now: float) -> None:
        assert self.log_sink is not None
        try:
            record = log_entry(
                decision,
                request,
                web_acl_arn=snap.evaluator.arn,
                timestamp_ms=int(now * 1000),
                logging_configuration=snap.logging_configuration or {},
                http_source_name=self.http_source_name,
                http_source_id=self.http_source_id,
            )
            if record is not None:
                self.log_sink.emit(record)
        except Exception:  # logging never fails a request
            log.exception("WAF log record failed")

    def _sample(self, plan: SamplingPlan, arn: str, decision: Decision, request: WafRequest, now: float) -> None:
        """As the API Gateway stage samples: the terminating rule's (or the ACL's) metric and every counting
        rule's, where SampledRequestsEnabled, a bounded number per minute with weights for the rest."""
        assert self.sample_sink is not None
        samples = plan.samples(decision, {})
        if not samples:
            return
        shown: dict[str, Any] | None = None  # built only for a sample the gate keeps: most are thinned away
        for sample in samples:
            weight = self.gate.weight(arn, sample.metric_name, now)
            if weight:
                shown = shown or sample_request(request)
                self.sample_sink.emit(arn, replace(sample, request=shown, weight=weight))

    # --- the interstitial pages' endpoints ----------------------------------------------------------------

    async def _interstitial(
        self, evaluator: WebAclEvaluator, scope: Scope, receive: Receive, send: Send, sub: str
    ) -> None:
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        body = await _read_small(receive) if scope["method"] == "POST" else b""
        cookies = []
        for raw in (v for k, v in headers if k == b"cookie"):
            for part in raw.decode("latin-1").split(";"):
                name, _, value = part.strip().partition("=")
                cookies.append((name, value))
        client = scope.get("client")
        answer = self.interstitials.answer(
            evaluator.token_key,
            scope["method"],
            sub,
            host=(_header_value(headers, b"host") or b"").decode("latin-1"),
            client_ip=client[0] if client else "",
            body=body,
            cookies=cookies,
            https=scope.get("scheme") == "https",
            now=self.clock(),
        )
        payload = answer.json()
        out = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(payload)).encode()),
            (b"cache-control", b"no-store"),
            *((n.encode("latin-1"), v.encode("latin-1")) for n, v in answer.headers),
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": out})
        await send({"type": "http.response.body", "body": payload})


def _with_inserted(scope: Scope, request: WafRequest, decision: Decision) -> Scope:
    """The scope the app gets: the inserted x-amzn-waf-* headers replace any the client sent under those names."""
    if decision.response is not None or not decision.inserted_headers:
        return scope
    scope = dict(scope)
    scope["headers"] = [
        (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in forwarded_headers(request.headers, decision)
    ]
    return scope


async def _read_small(receive: Receive) -> bytes | None:
    """A verification body: small, or None (too large, or the client went away)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        piece = message.get("body", b"")
        size += len(piece)
        if size > MAX_BODY:
            return None
        chunks.append(piece)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, headers: list[tuple[str, str]], body: bytes, content_type: str) -> None:
    out = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers if n.lower() != "content-length"]
    if not any(n == b"content-type" for n, _ in out):  # a custom response's own Content-Type header wins
        out.append((b"content-type", content_type.encode()))
    out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})
