"""uvicorn's httptools protocol, with a response's head and first body piece written to the socket at once.

ASGI hands a response over as two messages (``http.response.start``, then ``http.response.body``) and uvicorn
writes each to the transport as it comes: two ``send`` syscalls for a small answer, two TCP segments, two wake-ups
of the client. On loopback the first write also runs the receiver's side of the stack inline; profiled, it was a
seventh of a small S3 GET's time. Here the head is held until the first body message, and both go in one write.
Nothing else changes: uvicorn still validates and frames the response (this only intercepts its writes).

The cycle's transport is swapped only for the duration of one ``send`` that cannot yield (flow control is
drained first, as uvicorn would), so no other coroutine ever sees the swap. uvicorn is pinned in pyproject.toml;
``tests/unit/test_server_httpproto.py`` checks the framing and that one write carries a small response.

The same protocol enforces Shield Standard (``server/shield.py``) when built with ``guarded(shield)``, as the
server and ``waf proxy`` always are: connection caps at ``connection_made``, the phases the shield's sweep watches
(head, body, idle, a paused writer) from the parser's callbacks, and the requests refused before any reaches the
app: what llhttp already refuses (bad framing, smuggling shapes: Content-Length with Transfer-Encoding, two
Content-Lengths, bad tokens, bare LF, obs-fold), plus what it lets through: an HTTP/1.1 request without exactly one
Host, versions other than 1.0 / 1.1, heads over ``max_header_bytes`` or ``max_headers``.
"""

from __future__ import annotations

from typing import Any, cast

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from strongroom.server.shield import BODY, BUSY, HEAD, IDLE, NEW, Shield
from strongroom.server.tls_facts import tls_scope

_JOIN_LIMIT = 256 * 1024


class _Holder:
    """Stands in for the transport while uvicorn writes a response's head: keeps the bytes instead."""

    def __init__(self, transport: Any) -> None:
        self.transport = transport
        self.held: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.held.append(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _Prefixer:
    """Stands in for the transport during the first body message: the held head goes out with the first write
    (or before a close, or afterwards when uvicorn writes nothing, as for HEAD)."""

    def __init__(self, transport: Any, head: bytes) -> None:
        self.transport = transport
        self.head: bytes | None = head

    def write(self, data: bytes) -> None:
        head, self.head = self.head, None
        if head is None:
            self.transport.write(data)
        elif len(data) > _JOIN_LIMIT:  # a large piece is not copied to save one syscall
            self.transport.write(head)
            self.transport.write(data)
        else:
            self.transport.write(head + data)

    def close(self) -> None:
        self.flush()
        self.transport.close()

    def flush(self) -> None:
        if self.head is not None:
            head, self.head = self.head, None
            self.transport.write(head)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _CoalescingCycle(RequestResponseCycle):
    _head: bytes | None = None

    async def send(self, message: Any) -> None:
        kind = message.get("type")
        if kind == "http.response.start" and not self.response_started:
            await self._drained()
            holder = _Holder(self.transport)
            self.transport = holder  # type: ignore[assignment]
            try:
                await super().send(message)  # writes only to the holder; no await is reached once drained
            finally:
                self.transport = holder.transport
            if holder.held:
                self._head = b"".join(holder.held)
            return
        head = self._head
        if head is None or kind != "http.response.body":
            await super().send(message)
            return
        self._head = None
        await self._drained()
        prefixer = _Prefixer(self.transport, head)
        self.transport = prefixer  # type: ignore[assignment]
        try:
            await super().send(message)
        finally:
            self.transport = prefixer.transport
            prefixer.flush()  # nothing written (HEAD), or an error mid-send: the head still goes first

    async def _drained(self) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()


class _Rejected(Exception):
    """Raised from a parser callback: the request is answered ``status`` and the connection closed."""


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.Config(http=...)``: uvicorn's httptools protocol whose request cycles coalesce their writes.

    On HTTPS it also gives every request ``scope["extensions"]["tls"]`` (``server/tls_facts.py``: SNI name, TLS
    version, the verified client certificate as API Gateway's ``clientCert``), computed once per connection.
    ``guarded(shield)`` is the same protocol with Shield Standard's limits (``uvicorn_options`` wires both).
    """

    _tls: dict[str, Any] | None = None
    shield: Shield | None = None
    # Per-connection Shield state, as class defaults so that a connection costs no extra __init__.
    _key = ""
    _counted = False
    _refused = False
    _phase = BUSY
    _since = 0.0  # when the head phase began (the connection, or the request's first byte)
    _head_bytes = 0  # received while the head was incomplete (catches a head that never ends)
    _head_size = 0  # exactly: request target, names and values
    _fields = 0
    _hosts = 0
    _window_start = 0.0  # the body's current progress window
    _window_bytes = 0
    _write_paused_at: float | None = None
    _rejection: tuple[int, str] | None = None

    @classmethod
    def guarded(cls, shield: Shield) -> type[CoalescingHttpToolsProtocol]:
        """This protocol enforcing ``shield``'s limits (one ``Shield`` per listener)."""
        return cast(type[CoalescingHttpToolsProtocol], type("ShieldedHttpToolsProtocol", (cls,), {"shield": shield}))

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.scheme == "https":
            self._tls = tls_scope(transport)
        shield = self.shield
        if shield is None:
            return
        shield.start(self.loop)
        host = self.client[0] if self.client else None
        refusal, self._key = shield.admit(host)
        self._counted = True
        if refusal is not None:
            self._refused = True
            shield.record("refused", refusal, host, open=shield.open)
            self._answer(503, "Service Unavailable", b"retry-after: 1\r\n")
            return
        self._phase, self._since = NEW, self.loop.time()
        shield.watched[self] = None
        shield.waiting[self] = None

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        shield = self.shield
        if shield is not None and self._counted:
            self._counted = False
            shield.release(self._key)
            shield.watched.pop(self, None)
            shield.waiting.pop(self, None)

    def data_received(self, data: bytes) -> None:
        """uvicorn's, with the Shield's refusals in place of its one 400 and the head's size checked."""
        if self._refused:
            return
        self._unset_keepalive_if_required()
        in_head = self._phase is HEAD  # a head already under way: all of this chunk counts towards it
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self._forget()  # the WebSocket protocol takes the transport over: no longer ours to count
                self.handle_websocket_upgrade()
            else:
                self._no_upgrade()
            return
        except httptools.HttpParserError:
            status, reason = self._rejection or (400, "malformed")
            self._reject(status, reason)
            return
        if in_head and self._phase is HEAD and self.shield is not None:
            self._head_bytes += len(data)
            if self._head_bytes > self.shield.limits.max_header_bytes:
                self._reject(*((414, "uri_too_long") if not self._fields else (431, "header_too_large")))

    def _no_upgrade(self) -> None:
        """An Upgrade the server does not speak (h2c, CONNECT): the request is answered as plain HTTP, then the
        connection closes (llhttp reads nothing more after an upgrade: left open, it would never time out)."""
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False
        elif not self.transport.is_closing():
            self.transport.close()

    def _fail(self, status: int, reason: str) -> None:
        self._rejection = (status, reason)
        raise _Rejected(reason)

    # -- parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = self._head_size = self._fields = self._hosts = 0
        self._rejection = None
        shield = self.shield
        if shield is not None:
            if self._phase is not NEW:  # a new connection's head is timed from the connection itself
                self._since = self.loop.time()
            self._phase = HEAD
            shield.watched[self] = None

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_size += len(url)
        if self.shield is not None and self._head_size > self.shield.limits.max_header_bytes:
            self._fail(414, "uri_too_long")

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._fields += 1
        self._head_size += len(name) + len(value) + 4
        if self.headers[-1][0] == b"host":
            self._hosts += 1
        shield = self.shield
        if shield is not None:
            if self._fields > shield.limits.max_headers:
                self._fail(431, "too_many_headers")
            if self._head_size > shield.limits.max_header_bytes:
                self._fail(431, "header_too_large")

    def on_headers_complete(self) -> None:
        if self.shield is not None:
            version = self.parser.get_http_version()
            if version not in ("1.1", "1.0"):
                self._fail(505, "unsupported_version")
            # RFC 9112 3.2: a 1.1 request without a Host, or any with several, is answered 400
            if self._hosts > 1 or (self._hosts == 0 and version == "1.1"):
                self._fail(400, "missing_host" if self._hosts == 0 else "duplicate_host")
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]  # ASGI TLS extension
        super().on_headers_complete()
        cycle = getattr(self, "cycle", None)
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = _CoalescingCycle  # created just now; its ASGI task has not run yet
        shield = self.shield
        if shield is not None:
            self._phase = BODY  # until on_message_complete, at once for a request without a body
            self._window_start, self._window_bytes = self.loop.time(), 0
            shield.waiting.pop(self, None)

    def on_body(self, body: bytes) -> None:
        self._window_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        shield = self.shield
        if shield is not None:
            self._phase = BUSY
            if self._write_paused_at is None:
                shield.watched.pop(self, None)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        shield = self.shield
        if shield is not None and self._phase is BUSY and not self.pipeline and not self.transport.is_closing():
            self._phase = IDLE  # uvicorn's keep-alive timer closes it; it may be shed before that
            shield.waiting[self] = None

    def pause_writing(self) -> None:
        super().pause_writing()
        if self.shield is not None and self._counted:
            self._write_paused_at = self.loop.time()
            self.shield.watched[self] = None

    def resume_writing(self) -> None:
        super().resume_writing()
        if self.shield is not None and self._write_paused_at is not None:
            self._write_paused_at = None
            if self._phase is BUSY or self._phase is IDLE:
                self.shield.watched.pop(self, None)

    # -- Shield Standard (called by the shield's sweep)
    def shield_check(self, now: float) -> str | None:
        """Why this connection must be cut now, or None."""
        shield = self.shield
        if shield is None or self.transport.is_closing():
            return None
        limits = shield.limits
        if self._write_paused_at is not None and now - self._write_paused_at >= limits.send_timeout:
            return "send_timeout"
        phase = self._phase
        if phase is NEW or phase is HEAD:
            if self.flow.read_paused:  # the server is not reading (pipelined requests queued): not the client's time
                self._since += limits.tick
            elif now - self._since >= limits.header_timeout:
                return "header_timeout"
        elif phase is BODY:
            cycle = self.cycle
            if self.flow.read_paused or (cycle is not None and cycle.waiting_for_100_continue):
                self._window_start, self._window_bytes = now, 0  # waiting on the app, not on the client
                return None
            elapsed = now - self._window_start
            if elapsed >= limits.body_timeout:
                if self._window_bytes < max(1.0, limits.body_min_rate * elapsed):
                    return "body_timeout"
                self._window_start, self._window_bytes = now, 0
        return None

    def shield_cut(self, reason: str) -> None:
        """End the connection for ``reason`` (a 408 first when a request head had begun and nothing else is
        being answered on it)."""
        phase = self._phase
        self._record("cut", reason, phase=phase)
        self._forget()  # not counted from now: its descriptor is on its way out
        if phase is HEAD and (self.cycle is None or self.cycle.response_complete):
            self._answer(408, "Request Timeout")
        elif reason == "send_timeout" or phase is BODY:
            self.transport.abort()  # close() would wait to flush what the client is not reading
        else:
            self.transport.close()

    def shield_shed(self) -> None:
        """Close to make room under the total cap (only ever a connection with no request in progress)."""
        self._record("shed", "total_cap", phase=self._phase)
        self._forget()  # released now, so that one new connection sheds one old one
        self.transport.close()

    def _record(self, kind: str, reason: str, **facts: Any) -> None:
        if self.shield is not None:
            self.shield.record(kind, reason, self.client[0] if self.client else None, **facts)

    def _forget_lists(self) -> None:
        if self.shield is not None:
            self.shield.watched.pop(self, None)
            self.shield.waiting.pop(self, None)

    def _forget(self) -> None:
        """Stop counting this connection (handed over to another protocol)."""
        self._forget_lists()
        if self.shield is not None and self._counted:
            self._counted = False
            self.shield.release(self._key)

    def _reject(self, status: int, reason: str) -> None:
        """Answer a request refused before it reached the app, and close (its contents are not logged)."""
        self._record("rejected", reason, status=status)
        self._forget_lists()
        self._answer(status, _REASONS.get(status, "Bad Request"))

    def _answer(self, status: int, text: str, extra: bytes = b"") -> None:
        body = text.encode()
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.append(b"content-type: text/plain; charset=utf-8\r\ncontent-length: %d\r\n" % len(body))
        content.append(b"connection: close\r\n" + extra + b"\r\n" + body)
        self.transport.write(b"".join(content))
        self.transport.close()


_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


def uvicorn_options(shield: Shield) -> dict[str, Any]:
    """The ``uvicorn.Config`` arguments of a listener guarded by ``shield``: the protocol and the idle timeout."""
    return {
        "http": CoalescingHttpToolsProtocol.guarded(shield),
        "timeout_keep_alive": shield.limits.keepalive_timeout,
    }
