"""The request body as a worker thread reads it from the event loop (``server/app.py::_BodyReceiver``)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from strongroom.server.app import ClientGone, _BodyReceiver


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


def receiver(loop: asyncio.AbstractEventLoop, pieces: list[bytes], *, gone: bool = False) -> _BodyReceiver:
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": p, "more_body": i < len(pieces) - 1 or gone} for i, p in enumerate(pieces)
    ]
    if gone:
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    return _BodyReceiver(receive, loop)


def test_pieces_come_back_whole_and_in_order(loop: asyncio.AbstractEventLoop) -> None:
    pieces = [b"a" * 70_000, b"", b"b" * 10, b"c" * 300_000]
    body = receiver(loop, pieces)
    got = []
    while chunk := body.read(1 << 20):
        got.append(chunk)
    assert got == [p for p in pieces if p]  # handed over as delivered: no copy, no join
    assert body.finished and body.read(5) == b""


@pytest.mark.parametrize("size", [1, 7, 4096, 65_536, 100_000])
def test_short_reads_reassemble_the_body(loop: asyncio.AbstractEventLoop, size: int) -> None:
    pieces = [bytes([i]) * n for i, n in enumerate((5, 70_000, 3, 200_000, 1))]
    body = receiver(loop, pieces)
    out = bytearray()
    while chunk := body.read(size):
        assert 0 < len(chunk) <= size
        out += chunk
    assert bytes(out) == b"".join(pieces)


def test_read_all(loop: asyncio.AbstractEventLoop) -> None:
    pieces = [b"x" * 3, b"y" * 2_000_000, b"z"]
    body = receiver(loop, pieces)
    assert body.read(2) == b"xx"
    assert body.read() == b"x" + b"y" * 2_000_000 + b"z"
    assert body.read() == b""


def test_a_client_gone_mid_body_is_an_error(loop: asyncio.AbstractEventLoop) -> None:
    body = receiver(loop, [b"a" * 10], gone=True)
    with pytest.raises(ClientGone):  # the body cannot be whole: nothing of it is worth keeping
        body.read(10)
