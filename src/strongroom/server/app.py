"""The ASGI application: turns ASGI messages into ``HttpRequest`` and runs the pipeline.

Read-only calls run on the event loop where the pipeline allows it (``Pipeline.on_loop``); everything
else in a thread pool, so a call that waits (an audit commit, a lock, a Lambda function) never holds up
the others.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from strongroom.core.errors import AwsError
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.protocol.router import Route
from strongroom.server.console import is_console_request, serve_console
from strongroom.server.gateway import MAX_BODY as GATEWAY_MAX_BODY
from strongroom.server.gateway import PENDING, GatewayHook, Target
from strongroom.server.health import PREFIX, handle_health, is_health
from strongroom.server.limits import largest_body_limit, too_large
from strongroom.server.runtime import Runtime
from strongroom.server.waf_interstitial import PREFIX as WAF_PAGES
from strongroom.server.waf_interstitial import handle_interstitial

log = logging.getLogger("strongroom.server")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

# Nothing reads more than the largest body any operation takes (Lambda zips arrive base64-encoded in the body);
# each request is held to its own, smaller, limit (server/limits.py).
MAX_BODY = largest_body_limit()


class StrongroomApp:
    def __init__(self, runtime: Runtime, *, workers: int = 16, owns_runtime: bool = False) -> None:
        self.runtime = runtime
        # True in a `--workers` process, where nothing outside the app is left to close the runtime.
        self.owns_runtime = owns_runtime
        self.pipeline = runtime.pipeline
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="strongroom")
        self.ready = False
        self._loader: threading.Thread | None = None  # loads the providers behind the listener (``_load``)
        self.gateway = GatewayHook(runtime)  # API Gateway invoke URLs (server/gateway.py)
        # Invocations wait on their integrations (up to 29 s each): a pool of their own, so a slow backend can hold
        # up other invocations but never the AWS API calls.
        self.gateway_executor = ThreadPoolExecutor(max_workers=max(workers, 32), thread_name_prefix="apigw")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.runtime.audit.start()
                    if self.runtime.providers_loaded.is_set():
                        self._loaded()
                    else:
                        # The providers load behind the listener (start-up: the first request is answered within
                        # ~1 s instead of after every service's import); a request loads its own service first.
                        # The cluster's test-mode clock is adopted now, not at the scheduler's first tick.
                        self.runtime.scheduler.refresh_clock()
                        self._loader = threading.Thread(target=self._load, name="strongroom-load", daemon=True)
                        self._loader.start()
                    self.runtime.catalog.on_load = _freeze
                    self.ready = True
                    await send({"type": "lifespan.startup.complete"})
                except Exception as exc:  # pragma: no cover - reported to uvicorn, which exits
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
            elif message["type"] == "lifespan.shutdown":
                self.ready = False
                if self._loader is not None:  # it starts the scheduler when done: let it finish first
                    await asyncio.get_running_loop().run_in_executor(None, self._loader.join)
                await asyncio.get_running_loop().run_in_executor(None, self.runtime.scheduler.stop)
                self.executor.shutdown(wait=True)
                self.gateway_executor.shutdown(wait=True)
                self.gateway.close()
                await asyncio.get_running_loop().run_in_executor(None, self.runtime.audit.stop)
                if self.owns_runtime:
                    await asyncio.get_running_loop().run_in_executor(None, self.runtime.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def _load(self) -> None:
        """The background loader: every provider (their scheduled jobs registered), then the scheduler."""
        try:
            self.runtime.load_providers()
        except Exception:  # a request for the broken service answers InternalFailure; the others are served
            log.exception("loading the providers failed")
            self.runtime.providers_loaded.set()  # nothing will load them now: waiters must not hang
        self._loaded()

    def _loaded(self) -> None:
        self.runtime.scheduler.start()
        # Everything loaded so far (providers, their tables) lives as long as the process; out of the collector's
        # sight, full collections stop costing ~50 ms pauses under load. Service models load later, with their
        # first request (protocol/catalog.py), and are frozen then: left in sight they put p99 back up (Encrypt
        # at one connection: 4 → 14 ms). No collection first at that point: it would cost the first request
        # ~50 ms, and what garbage it spares is kept once per service.
        gc.collect()
        gc.freeze()

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = _head(scope)
        loop = asyncio.get_running_loop()
        # How much body this request may send is decided from its headers before any of it is read: only a
        # request naming a credential the server knows may send more than the unauthenticated allowance.
        limit = self.runtime.config.unauthenticated_body_limit
        declared = _content_length(request)
        admin = request.path.startswith((PREFIX, WAF_PAGES))  # the server's own endpoints, on any host
        if not admin:
            target = self.gateway.target(request)
            if target is PENDING:
                target = await loop.run_in_executor(self.executor, self.gateway.lookup, request)
            if isinstance(target, Target):
                await self._gateway(scope, request, target, receive, send)
                return
            if is_console_request(request):  # the web console's files: anonymous GETs S3 never shares (console.py)
                await _send(send, serve_console(request))
                return
        s3 = None if admin else self.pipeline.s3_route(request)
        if s3 is not None:
            await self._streamed(request, s3, receive, send)
            return
        # Without Content-Length a body is only possible chunked; a GET without either has none to decide on.
        chunked = declared is None and "chunked" in request.headers.get("transfer-encoding", "").lower()
        if not admin and (chunked or (declared is not None and declared > limit)):
            limit = min(MAX_BODY, await loop.run_in_executor(self.executor, self.pipeline.body_limit, request))
        body = await _read_body(receive, limit, declared)
        if body is _DISCONNECTED:
            return
        if body is None:  # too large: answered without reading the rest, and the connection closed
            if admin:
                response = HttpResponse(413, [("Content-Type", "text/plain")], b"Request Entity Too Large")
            else:
                route = self.pipeline.route_of(request)
                rejection = too_large(limit, *_names(route))
                response = await loop.run_in_executor(
                    self.executor, lambda: self.pipeline.handle(request, route, rejection=rejection)
                )
            response.headers.append(("Connection", "close"))
            await _send(send, response)
            return
        assert isinstance(body, bytes)
        request.body = body
        if admin:
            if request.path.startswith(WAF_PAGES):
                response = await loop.run_in_executor(self.executor, handle_interstitial, self.runtime, request)
            elif is_health(request):
                response = handle_health(self.runtime, self.ready)
            else:
                response = await loop.run_in_executor(self.executor, _handle_admin, self.runtime, request, self.ready)
        else:
            route = self.pipeline.route_of(request)
            if route is not None and self.pipeline.on_loop(route):
                response = self.pipeline.handle(request, route)
            else:
                response = await loop.run_in_executor(self.executor, self.pipeline.handle, request, route)
        await _send(send, response)

    async def _gateway(self, scope: Scope, request: HttpRequest, target: Target, receive: Receive, send: Send) -> None:
        """An API Gateway invocation: its body read up to 10 MB, answered by the data plane in a worker thread."""
        body = await _read_body(receive, GATEWAY_MAX_BODY, _content_length(request))
        if body is _DISCONNECTED:
            return
        if body is None:
            await _send(send, self.gateway.too_large())
            return
        assert isinstance(body, bytes)
        request.body = body
        # The header pairs as they came (repeated names kept apart: the Lambda proxy event's multiValueHeaders).
        raw = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        loop = asyncio.get_running_loop()
        tls = (scope.get("extensions") or {}).get("tls")
        response = await loop.run_in_executor(self.gateway_executor, self.gateway.handle, request, target, raw, tls)
        await _send(send, response)

    async def _streamed(self, request: HttpRequest, route: Route, receive: Receive, send: Send) -> None:
        """An S3 request: its body is read as the provider consumes it, its response body sent as it is produced.

        The pipeline runs in a worker thread and pulls the body through ``_BodyReceiver`` (each read a hop to the
        event loop for the next ASGI message); the response body is iterated in the worker threads, a MiB at a time.
        A body left unread (an error answered before it was needed) closes the connection after the response.
        """
        loop = asyncio.get_running_loop()
        body = _BodyReceiver(receive, loop)
        if _content_length(request) in (None, 0) and "chunked" not in request.headers.get("transfer-encoding", ""):
            body.finished = True  # no body (a GET, a HEAD): nothing to wait for from the event loop
        request.stream = None if body.finished else body  # no body: nothing for the readers to wait on
        # A read without a body (GetObject, HeadObject) runs on the loop where reads may (SQLite): CPU work under the
        # GIL either way, and two thread hand-offs were a fifth of a small GET's cost. A small response body is then
        # produced on the loop too; a large one is read and decrypted in the worker threads, a MiB at a time.
        on_loop = body.finished and self.pipeline.on_loop(route)
        if on_loop:
            response = self.pipeline.handle(request, route)
        else:
            response = await loop.run_in_executor(self.executor, self.pipeline.handle, request, route)
        if not body.finished:
            response.headers.append(("Connection", "close"))
        if response.stream is not None and on_loop and _length(response) <= _SMALL_BODY:
            response.body, response.stream = b"".join(response.stream), None
        if response.stream is None:
            await _send(send, response)
            return
        await send({"type": "http.response.start", "status": response.status, "headers": _raw_headers(response)})
        stream = response.stream
        try:
            while True:
                chunk = await loop.run_in_executor(self.executor, _take, stream, _SEND_SIZE)
                if chunk is None:
                    break
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except Exception:
            # Headers are gone: the only honest answer left is a broken connection (the client sees a short body).
            log.exception("response body failed mid-stream", extra={"path": request.path})
            raise
        await send({"type": "http.response.body", "body": b"", "more_body": False})


_DISCONNECTED = object()


def _handle_admin(runtime: Runtime, request: HttpRequest, ready: bool) -> HttpResponse:
    # Imported with the first admin request, not with the app: its modules (CloudTrail, ACM PCA, Lambda, the
    # console's sign-in) cost ~0.5 s of start-up that no AWS API call and no health check needs.
    from strongroom.server.admin import handle_admin

    return handle_admin(runtime, request, ready)


def _freeze(_service: str) -> None:
    gc.freeze()


_SEND_SIZE = 1024 * 1024
_SMALL_BODY = 256 * 1024  # response bodies produced on the event loop when the call ran there


def _length(response: HttpResponse) -> int:
    text = response.header("Content-Length")
    return int(text) if text is not None and text.isdigit() else _SMALL_BODY + 1


def _take(stream: Iterator[bytes], size: int) -> bytes | None:
    """Up to about ``size`` bytes of the stream (None at its end): one thread hop per MiB, not per chunk."""
    parts: list[bytes] = []
    have = 0
    for chunk in stream:
        parts.append(chunk)
        have += len(chunk)
        if have >= size:
            break
    if not parts:
        return None
    return b"".join(parts)


_PULL_SIZE = 1024 * 1024


async def _gather(receive: Receive, want: int) -> tuple[list[bytes], bool, bool]:
    """(body pieces, more to come, client gone): messages until ``want`` bytes, the end, or a disconnect.

    The pieces are handed over as the server gave them: joining them here was the event loop's largest cost in
    an upload (a fresh MiB allocated and copied per hop).
    """
    parts: list[bytes] = []
    have = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return parts, False, True
        chunk = message.get("body", b"")
        if chunk:
            parts.append(chunk)
            have += len(chunk)
        if not message.get("more_body", False):
            return parts, False, False
        if have >= want:
            return parts, True, False


class ClientGone(AwsError):
    """The client went away before sending its whole body."""

    code = "IncompleteBody"
    status = 400


class _BodyReceiver:
    """A request body read from a worker thread, pulled from the ASGI ``receive`` on the event loop.

    ``read(n)`` answers up to n bytes (``http.BodyStream``): a piece the server delivered is returned as it is when
    it fits, so an upload's bytes are not copied on their way to the body readers.
    """

    def __init__(self, receive: Receive, loop: asyncio.AbstractEventLoop) -> None:
        self._receive = receive
        self._loop = loop
        self._parts: deque[bytes] = deque()
        self._offset = 0  # bytes of the first piece already read
        self.finished = False

    def _pull(self, want: int) -> None:
        # One hop to the event loop gathers every message up to ``want`` bytes (ASGI servers hand bodies over in
        # pieces of tens of KiB; a hop per piece cost a fifth of an 8 MiB upload's time).
        pending = asyncio.run_coroutine_threadsafe(_gather(self._receive, max(want, _PULL_SIZE)), self._loop)
        parts, more, gone = pending.result()
        self._parts.extend(parts)
        if gone:
            self.finished = True
            raise ClientGone("The client closed the connection before sending the whole body.")
        if not more:
            self.finished = True

    def read(self, n: int = -1, /) -> bytes:
        if n < 0:
            while not self.finished:
                self._pull(_PULL_SIZE)
            rest: list[bytes | memoryview] = [memoryview(self._parts.popleft())[self._offset :]] if self._parts else []
            rest.extend(self._parts)
            self._parts.clear()
            self._offset = 0
            return b"".join(rest)
        if n == 0:
            return b""
        while not self._parts and not self.finished:
            self._pull(n)
        if not self._parts:
            return b""
        first, start = self._parts[0], self._offset
        if start == 0 and len(first) <= n:
            return self._parts.popleft()
        end = min(len(first), start + n)
        out = first[start:end]
        if end == len(first):
            self._parts.popleft()
            self._offset = 0
        else:
            self._offset = end
        return out


def _head(scope: Scope) -> HttpRequest:
    """The request without its body: everything the server looks at before deciding to read the body."""
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        val = value.decode("latin-1")
        headers[key] = f"{headers[key]},{val}" if key in headers else val
    client = scope.get("client")
    return HttpRequest(
        method=scope["method"],
        path=raw_path.decode("latin-1").split("?", 1)[0],
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=b"",
        client_ip=client[0] if client else "127.0.0.1",
        scheme=scope.get("scheme", "http"),
    )


def _content_length(request: HttpRequest) -> int | None:
    text = request.headers.get("content-length")
    if text is None or not text.strip().isdigit():
        return None
    return int(text.strip())


async def _read_body(receive: Receive, limit: int, declared: int | None) -> bytes | object | None:
    """The body, None when it is (or says it will be) larger than ``limit``, or ``_DISCONNECTED``."""
    if declared is not None and declared > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return _DISCONNECTED
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _names(route: Route | None) -> tuple[str | None, str | None]:
    if route is None:
        return None, None
    return str(route.service.service_name), str(route.operation.name)


def _raw_headers(response: HttpResponse) -> list[tuple[bytes, bytes]]:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    if response.stream is None and not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


async def _send(send: Send, response: HttpResponse) -> None:
    headers = _raw_headers(response)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
