"""Responses written in one piece (``server/httpproto.py``): the same bytes on the wire, fewer writes."""

from __future__ import annotations

import asyncio
import http.client
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from strongroom.server.httpproto import CoalescingHttpToolsProtocol, _CoalescingCycle

BIG = 3 * 1024 * 1024


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def cycle(method: str = "GET", keep_alive: bool = True) -> tuple[_CoalescingCycle, FakeTransport]:
    transport = FakeTransport()
    c = RequestResponseCycle(
        scope={"type": "http", "method": method, "path": "/", "http_version": "1.1"},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("t"),
        access_logger=logging.getLogger("t"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=keep_alive,
        on_response=lambda: None,
    )
    c.__class__ = _CoalescingCycle
    assert isinstance(c, _CoalescingCycle)
    return c, transport


def start(length: int | None = None) -> dict[str, Any]:
    headers = [(b"content-type", b"text/plain")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {"type": "http.response.start", "status": 200, "headers": headers}


def test_a_small_response_is_one_write() -> None:
    c, t = cycle()
    asyncio.run(c.send(start(5)))
    assert t.writes == []
    asyncio.run(c.send({"type": "http.response.body", "body": b"hello"}))
    assert len(t.writes) == 1
    assert t.writes[0].startswith(b"HTTP/1.1 200 OK\r\n") and t.writes[0].endswith(b"\r\n\r\nhello")


def test_head_and_a_closing_connection_still_send_the_head_first() -> None:
    c, t = cycle("HEAD", keep_alive=False)
    asyncio.run(c.send(start(5)))
    asyncio.run(c.send({"type": "http.response.body", "body": b""}))
    assert len(t.writes) == 1 and t.writes[0].endswith(b"\r\n\r\n") and b"connection: close" in t.writes[0]
    assert t.closed


def test_a_large_body_is_not_copied_onto_the_head() -> None:
    c, t = cycle()
    asyncio.run(c.send(start(BIG + 1)))
    asyncio.run(c.send({"type": "http.response.body", "body": b"x" * BIG, "more_body": True}))
    asyncio.run(c.send({"type": "http.response.body", "body": b"y"}))
    assert [len(w) for w in t.writes[1:]] == [BIG, 1] and t.writes[0].endswith(b"\r\n\r\n")


def test_chunked_framing_is_uvicorns() -> None:
    c, t = cycle()
    asyncio.run(c.send(start()))
    asyncio.run(c.send({"type": "http.response.body", "body": b"abc", "more_body": True}))
    asyncio.run(c.send({"type": "http.response.body", "body": b""}))
    wire = b"".join(t.writes)
    assert b"transfer-encoding: chunked" in wire and wire.endswith(b"\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert len(t.writes) == 2


# -- a real uvicorn server ----------------------------------------------------------------------------------


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(BIG).encode())]})
        for _ in range(3):
            await send({"type": "http.response.body", "body": b"z" * (BIG // 3), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    if path == "/empty":
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        return
    out = b"echo:" + body
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(out)).encode())]})
    await send({"type": "http.response.body", "body": out})


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = int(s.getsockname()[1])
    config = uvicorn.Config(
        app, host="127.0.0.1", port=free, http=CoalescingHttpToolsProtocol, log_config=None, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    yield free
    server.should_exit = True
    thread.join(10)


def test_keep_alive_requests_and_bodies_round_trip(port: int) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for i in range(20):
        conn.request("POST", "/echo", body=b"p%d" % i)
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"echo:p%d" % i
    conn.request("HEAD", "/echo")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.read() == b""
    conn.request("GET", "/empty")
    resp = conn.getresponse()
    assert resp.status == 204 and resp.read() == b""
    conn.request("GET", "/stream")
    resp = conn.getresponse()
    assert resp.read() == b"z" * BIG
    conn.request("GET", "/echo", headers={"Connection": "close"})
    resp = conn.getresponse()
    assert resp.read() == b"echo:" and resp.getheader("connection") == "close"
    conn.close()


def test_expect_100_continue_still_answered_first(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        first = s.recv(1024)
        assert first.startswith(b"HTTP/1.1 100 Continue"), first
        s.sendall(b"abc")
        rest = b""
        while not rest.endswith(b"echo:abc"):
            chunk = s.recv(1024)
            assert chunk
            rest += chunk
        assert b"HTTP/1.1 200 OK" in rest
