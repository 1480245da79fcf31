"""The forwarding ASGI app behind ``strongroom waf proxy``: each request to one upstream over pooled HTTP/1.1.

The client is asyncio + httptools (both already under uvicorn[standard]): no thread per request and no hand-off,
the upstream's answer parsed by the same C parser the listening side uses. Connections are kept alive and reused
LIFO; a reused connection the upstream closed while idle is retried once on a fresh one when nothing of the answer
had arrived and the request body was fully in hand. A small answer that arrives in one read goes back to the
client as one body message (one write with the head, see ``server/httpproto.py``); a large one streams with flow
control. Hop-by-hop headers go neither way; ``X-Forwarded-For`` / ``-Proto`` / ``-Host`` are added, the client's
``Host`` is kept (as an ALB does).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

log = logging.getLogger("strongroom.wafproxy")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"expect",  # the proxy answers 100-continue itself (uvicorn does, when the body is read)
    }
)
_MAX_IDLE = 256
_HIGH_WATER = 256 * 1024


class UpstreamError(Exception):
    """The upstream could not be reached, closed the connection, or answered garbage."""


class _Conn(asyncio.Protocol):
    """One upstream connection, parsing one response at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.reusable = False
        self.got_bytes = False
        self.head: asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]] | None = None
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.complete = False
        self.wakeup: asyncio.Future[None] | None = None
        self.paused = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamError(f"bad response from upstream: {exc}"))
            return
        self._wake()
        if self.transport is not None and not self.complete and sum(map(len, self.chunks)) > _HIGH_WATER:
            self.transport.pause_reading()
            self.paused = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete and self.status >= 200 and self._delimited_by_close():
            self.complete = True  # no Content-Length, not chunked: the body was everything until the close
        if not self.complete:
            self._fail(UpstreamError("upstream closed the connection"))
        self._wake()

    def _delimited_by_close(self) -> bool:
        names = {k for k, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names

    # -- httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        if self.status < 200:  # 1xx interim answers are dropped: wait for the final one
            self.headers = []
            return
        if self.head is not None and not self.head.done():
            self.head.set_result((self.status, self.headers))

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.status < 200:
            return
        self.complete = True
        self.reusable = self.parser.should_keep_alive()

    # -- use
    def _fail(self, exc: Exception) -> None:
        if self.head is not None and not self.head.done():
            self.head.set_exception(exc)
        self.reusable = False

    def _wake(self) -> None:
        if self.wakeup is not None and not self.wakeup.done():
            self.wakeup.set_result(None)

    def start(self, loop: asyncio.AbstractEventLoop) -> asyncio.Future[tuple[int, list[tuple[bytes, bytes]]]]:
        self.head = loop.create_future()
        self.status, self.headers, self.chunks = 0, [], []
        self.complete = self.reusable = self.got_bytes = False
        return self.head

    def take(self) -> bytes:
        data = b"".join(self.chunks)
        self.chunks = []
        if self.paused and self.transport is not None and not self.closed:
            self.paused = False
            self.transport.resume_reading()
        return data

    async def more(self) -> None:
        """Wait until more body arrives, the response completes or the connection drops."""
        if self.chunks or self.complete or self.closed:
            return
        self.wakeup = asyncio.get_running_loop().create_future()
        try:
            await self.wakeup
        finally:
            self.wakeup = None

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True


class Forwarder:
    """ASGI app: forward to ``upstream`` (``http://host:port[/base]``)."""

    def __init__(self, upstream: str, *, connect_timeout: float = 5.0, response_timeout: float = 60.0) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--upstream must be http://host[:port][/path]: {upstream}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base = parts.path.rstrip("/").encode()
        self.connect_timeout = connect_timeout
        self.response_timeout = response_timeout
        self.idle: list[_Conn] = []

    async def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle = []

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Conn, self.host, self.port), timeout=self.connect_timeout
            )
        except (TimeoutError, OSError) as exc:
            raise UpstreamError(f"cannot connect to the upstream: {exc}") from None
        return conn

    def _request_head(self, scope: Scope, length: int | None) -> bytes:
        raw_path = scope.get("raw_path") or scope["path"].encode()
        target = self.base + raw_path
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        drop = _dropped(headers, HOP_BY_HOP)
        lines = [scope["method"].encode() + b" " + target + b" HTTP/1.1"]
        forwarded_for = None
        has_host = False
        for k, v in headers:
            if k in drop or k == b"content-length":
                continue
            if k == b"x-forwarded-for":
                forwarded_for = v
                continue
            if k == b"host":
                has_host = True
                lines.append(b"x-forwarded-host: " + v)
            lines.append(k + b": " + v)
        client = scope.get("client")
        ip = client[0].encode() if client else b"unknown"
        lines.append(b"x-forwarded-for: " + (forwarded_for + b", " + ip if forwarded_for else ip))
        lines.append(b"x-forwarded-proto: " + scope.get("scheme", "http").encode())
        if not has_host:
            lines.append(b"host: " + f"{self.host}:{self.port}".encode())
        if length is None:
            lines.append(b"transfer-encoding: chunked")
        elif length or scope["method"] not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            lines.append(b"content-length: " + str(length).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        # The body: whole when it came in one message (nearly every request), else streamed chunked.
        first = await receive()
        if first["type"] == "http.disconnect":
            return
        body: bytes = first.get("body", b"")
        streaming = bool(first.get("more_body", False))
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        length: int | None = len(body)
        if streaming:
            length = int(declared) if declared is not None and declared.isdigit() else None
        head = self._request_head(scope, length)
        try:
            conn, reply = await self._exchange(scope, head, body, streaming, length, receive)
        except UpstreamError as exc:
            log.warning("upstream failed", extra={"error": str(exc), "upstream": f"{self.host}:{self.port}"})
            await _plain(send, 502, b"Bad Gateway")
            return
        except TimeoutError:
            await _plain(send, 504, b"Gateway Timeout")
            return
        await self._relay(scope, conn, reply, send)

    async def _exchange(
        self, scope: Scope, head: bytes, body: bytes, streaming: bool, length: int | None, receive: Receive
    ) -> tuple[_Conn, tuple[int, list[tuple[bytes, bytes]]]]:
        loop = asyncio.get_running_loop()
        for attempt in (0, 1):
            conn = None
            while self.idle and conn is None:
                candidate = self.idle.pop()
                if not candidate.closed:  # the upstream may have closed it while it sat idle
                    conn = candidate
            reused = conn is not None
            if conn is None:
                conn = await self._connect()
            future = conn.start(loop)
            assert conn.transport is not None
            if streaming:
                conn.transport.write(head + (_chunk(body) if length is None else body))
                await self._stream_body(conn, receive, chunked=length is None)
            else:
                conn.transport.write(head + body if len(body) < 65536 else head)
                if len(body) >= 65536:
                    conn.transport.write(body)
            # a timer handle, not wait_for: no extra task per request
            timer = loop.call_later(self.response_timeout, _expire, future)
            try:
                reply = await future
                return conn, reply
            except UpstreamError:
                conn.close()
                # a keep-alive connection closed by the upstream while idle: nothing was processed, try afresh
                if reused and not conn.got_bytes and not streaming and attempt == 0:
                    continue
                raise
            except TimeoutError:
                conn.close()
                raise
            finally:
                timer.cancel()
        raise UpstreamError("unreachable")  # pragma: no cover

    async def _stream_body(self, conn: _Conn, receive: Receive, *, chunked: bool) -> None:
        assert conn.transport is not None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                conn.close()
                raise UpstreamError("client went away mid-body")
            piece = message.get("body", b"")
            if piece:
                conn.transport.write(_chunk(piece) if chunked else piece)
            if not message.get("more_body", False):
                break
        if chunked:
            conn.transport.write(b"0\r\n\r\n")

    async def _relay(self, scope: Scope, conn: _Conn, reply: tuple[int, list[tuple[bytes, bytes]]], send: Send) -> None:
        status, upstream_headers = reply
        # uvicorn adds its own Date (to every answer, the WAF's included): the upstream's would make two
        drop = _dropped(upstream_headers, _HOP_BY_HOP_AND_DATE)
        headers = [(k, v) for k, v in upstream_headers if k not in drop]
        if scope["method"] == "HEAD":
            # httptools cannot be told a response has no body: never reuse the connection after a HEAD
            conn.close()
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        try:
            while True:
                if not conn.chunks and not conn.complete:
                    if conn.closed:
                        raise UpstreamError("upstream closed mid-body")
                    await asyncio.wait_for(conn.more(), timeout=self.response_timeout)
                    continue
                data = conn.take()
                done = conn.complete and not conn.chunks
                await send({"type": "http.response.body", "body": data, "more_body": not done})
                if done:
                    break
        except (TimeoutError, UpstreamError):
            conn.close()
            raise  # uvicorn closes the client connection: the answer was cut short, as the upstream's was
        if conn.reusable and not conn.closed and len(self.idle) < _MAX_IDLE:
            self.idle.append(conn)
        else:
            conn.close()


_HOP_BY_HOP_AND_DATE = HOP_BY_HOP | {b"date"}


def _dropped(headers: list[tuple[bytes, bytes]], base: frozenset[bytes]) -> frozenset[bytes]:
    """The headers not to pass on: ``base`` and those a Connection header names (the shared set when none)."""
    named = [v for k, v in headers if k == b"connection"]
    if not named:
        return base
    return base | {t.strip().lower() for v in named for t in v.split(b",")}


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


def _chunk(piece: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(piece), piece) if piece else b""


async def _plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
