"""uvicorn's httptools protocol, with a response's head and first body piece written to the socket at once.

ASGI hands a response over as two messages (``http.response.start``, then ``http.response.body``) and uvicorn
writes each to the transport as it comes: two ``send`` syscalls for a small answer, two TCP segments, two wake-ups
of the client. On loopback the first write also runs the receiver's side of the stack inline; profiled, it was a
seventh of a small S3 GET's time. Here the head is held until the first body message, and both go in one write.
Nothing else changes: uvicorn still validates and frames the response (this only intercepts its writes).

The cycle's transport is swapped only for the duration of one ``send`` that cannot yield (flow control is
drained first, as uvicorn would), so no other coroutine ever sees the swap. uvicorn is pinned in pyproject.toml;
``tests/unit/test_server_httpproto.py`` checks the framing and that one write carries a small response.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

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


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """``uvicorn.Config(http=...)``: uvicorn's httptools protocol whose request cycles coalesce their writes.

    On HTTPS it also gives every request ``scope["extensions"]["tls"]`` (``server/tls_facts.py``: SNI name, TLS
    version, the verified client certificate as API Gateway's ``clientCert``), computed once per connection.
    """

    _tls: dict[str, Any] | None = None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        if self.scheme == "https":
            self._tls = tls_scope(transport)

    def on_headers_complete(self) -> None:
        if self._tls is not None:
            self.scope["extensions"] = {"tls": self._tls}  # type: ignore[dict-item]  # ASGI TLS extension
        super().on_headers_complete()
        cycle = getattr(self, "cycle", None)
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = _CoalescingCycle  # created just now; its ASGI task has not run yet
