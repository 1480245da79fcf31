"""Shield Standard's pure pieces (``server/shield.py``) and the guarded protocol's decisions (``server/httpproto.py``)
driven with a fake transport and a fake clock: no sockets, no waiting."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from uvicorn.server import ServerState

from strongroom.core.config import Config
from strongroom.server.httpproto import CoalescingHttpToolsProtocol, uvicorn_options
from strongroom.server.shield import (
    BODY,
    BUSY,
    HEAD,
    IDLE,
    NEW,
    Exemptions,
    Shield,
    ShieldLimits,
    add_arguments,
    auto_max_connections,
    source_key,
)


def limits(**overrides: Any) -> ShieldLimits:
    return ShieldLimits.from_values(argparse.Namespace(**overrides))


# -- pure pieces


def test_limits_default_to_the_configuration_and_are_validated() -> None:
    got = limits()
    config = Config()
    assert got.header_timeout == config.header_timeout == 10.0
    assert got.max_connections_per_ip == 256 and got.max_header_bytes == 65536 and got.max_connections == 0
    assert limits(header_timeout=3, max_connections=7).header_timeout == 3
    assert got.problems() == []
    assert limits(header_timeout=0, max_connections=-1, max_headers=-2).problems() == [
        "--header-timeout must be more than 0",
        "--max-connections must be 0 (automatic) or more",
        "--max-headers must be more than 0",
    ]
    assert got.tick == 1.0 and limits(header_timeout=1).tick == 0.2 and limits(send_timeout=0.01).tick == 0.05


def test_the_options_are_the_configuration_fields() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--header-timeout", "2.5", "--max-connections-per-ip", "9"])
    got = ShieldLimits.from_values(args)
    assert got.header_timeout == 2.5 and got.max_connections_per_ip == 9 and got.body_timeout == 20.0
    assert "(default 10.0)" in " ".join(parser.format_help().split())


def test_sources_are_addresses_and_ipv6_64s() -> None:
    assert source_key("192.0.2.7") == "192.0.2.7"
    assert source_key("2001:db8:1:2:aaaa::1") == source_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert source_key("2001:db8:1:3::1") != source_key("2001:db8:1:2::1")
    assert source_key("::ffff:192.0.2.7") == "192.0.2.7"
    assert source_key("fe80::1%eth0") == "fe80::/64"
    assert source_key("not-an-address:x") == "not-an-address:x"


def test_exemptions_are_the_trusted_proxies() -> None:
    some = Exemptions("10.0.5.0/24, ::1, junk")
    assert "10.0.5.9" in some and "::1" in some and "10.0.6.1" not in some and "junk" not in some
    assert "anything" in Exemptions("*")
    assert "127.0.0.1" not in Exemptions(None)


def test_automatic_total_cap_leaves_descriptors_for_the_rest() -> None:
    assert auto_max_connections(1024) == 384
    assert auto_max_connections(65536) == 20_000
    assert auto_max_connections(100) == 64


class Conn:
    """What the shield sees of a connection."""

    def __init__(self, shield: Shield, reason: str | None = None) -> None:
        self.shield, self.reason, self.shed = shield, reason, False

    def shield_check(self, now: float) -> str | None:
        return self.reason

    def shield_cut(self, reason: str) -> None:
        self.shield.watched.pop(self, None)
        self.shield.record("cut", reason, "192.0.2.1")

    def shield_shed(self) -> None:
        self.shed = True
        self.shield.waiting.pop(self, None)


def test_admission_per_source_and_in_all_sheds_the_oldest_waiting() -> None:
    shield = Shield(limits(max_connections_per_ip=2, max_connections=2), exempt="10.0.0.1")
    assert shield.admit("192.0.2.1") == (None, "192.0.2.1")
    assert shield.admit("192.0.2.1") == (None, "192.0.2.1")
    assert shield.admit("192.0.2.1") == ("per_ip_cap", "192.0.2.1")  # counted until released
    shield.release("192.0.2.1")
    oldest, newer = Conn(shield), Conn(shield)
    shield.waiting[oldest] = shield.waiting[newer] = None
    assert shield.admit("10.0.0.1")[0] is None  # the trusted proxy: no per-source cap; but the 3rd in all
    assert oldest.shed and not newer.shed
    shield.waiting.clear()
    assert shield.admit("10.0.0.1")[0] == "total_cap"  # nothing left to shed
    for key in ("192.0.2.1", "192.0.2.1", "10.0.0.1", "10.0.0.1"):  # the shed one is released by its protocol
        shield.release(key)
    assert shield.open == 0 and not shield.per_source


def test_the_sweep_cuts_what_its_connections_say(monkeypatch: pytest.MonkeyPatch) -> None:
    async def run() -> None:
        shield = Shield(limits(header_timeout=0.1), fd_limit=1024)
        slow, fine = Conn(shield, "header_timeout"), Conn(shield)
        shield.watched[slow] = shield.watched[fine] = None
        shield.start(asyncio.get_running_loop())
        await asyncio.sleep(0.1)
        shield.stop()
        assert list(shield.watched) == [fine]
        assert shield.events[("cut", "header_timeout")] == 1

    asyncio.run(run())


def test_logging_is_bounded_and_summarised(caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    import strongroom.server.shield as module

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    shield = Shield(limits(), fd_limit=1024)
    with caplog.at_level(logging.WARNING, logger="strongroom.shield"):
        for n in range(50):
            shield.record("cut", "header_timeout", f"192.0.2.{n % 3}")
        shield.record("rejected", "missing_host", "192.0.2.9", status=400)
        assert len(caplog.records) == 21  # 20 cuts, and the other kind still has its own budget
        assert caplog.records[-1].getMessage() == "shield: request rejected"
        clock[0] += 11
        shield.record("cut", "body_timeout", "192.0.2.1")
    summary = caplog.records[-2]
    assert summary.getMessage() == "shield: more connection events than logged one by one"
    assert summary.events == {"cut:header_timeout": 30}  # type: ignore[attr-defined]
    assert sum(summary.top_sources.values()) == 30  # type: ignore[attr-defined]
    assert caplog.records[-1].reason == "body_timeout"  # type: ignore[attr-defined]  # a new window
    assert shield.events[("cut", "header_timeout")] == 50


def test_metrics() -> None:
    shield = Shield(limits(max_connections=5))
    shield.record("refused", "per_ip_cap", "192.0.2.1")
    shield.admit("192.0.2.1")
    registry = CollectorRegistry()
    registry.register(shield)
    text = generate_latest(registry).decode()
    assert 'strongroom_shield_events_total{kind="refused",reason="per_ip_cap"} 1.0' in text
    assert "strongroom_shield_connections_open 1.0" in text and "strongroom_shield_connections_limit 5.0" in text


# -- the guarded protocol


class Transport:
    def __init__(self, peer: str = "192.0.2.1") -> None:
        self.peer = peer
        self.written = b""
        self.closed = self.aborted = self.reading_paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": (self.peer, 40000), "sockname": ("127.0.0.1", 4566)}.get(name, default)

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.reading_paused = True

    def resume_reading(self) -> None:
        self.reading_paused = False

    def set_protocol(self, protocol: Any) -> None: ...


class Loop:
    """Enough of an event loop for a protocol: a settable clock, tasks run later by hand."""

    def __init__(self) -> None:
        self.now = 100.0
        self.tasks: list[Any] = []

    def time(self) -> float:
        return self.now

    def call_later(self, delay: float, callback: Any, *args: Any) -> Any:
        return _Task()  # never run: the tests move the clock and ask the protocol themselves

    def create_task(self, coro: Any, **_: Any) -> Any:
        coro.close()  # the app is not under test here
        return _Task()


class _Task:
    def add_done_callback(self, fn: Any) -> None: ...

    def cancel(self) -> None: ...


async def _app(scope: Any, receive: Any, send: Any) -> None: ...


@pytest.fixture
def make() -> Iterator[Any]:
    made: list[tuple[Any, Transport]] = []

    def factory(shield: Shield | None = None, peer: str = "192.0.2.1", loop: Loop | None = None) -> Any:
        shield = shield or Shield(limits(header_timeout=5, body_timeout=2, body_min_rate=100, max_headers=5))
        config = uvicorn.Config(_app, log_config=None, **uvicorn_options(shield))
        config.load()
        cls = config.http_protocol_class
        protocol = cls(config=config, server_state=ServerState(), app_state={}, _loop=loop or Loop())
        protocol.shield._loop = protocol.loop  # no real sweep in these tests
        transport = Transport(peer)
        protocol.connection_made(transport)
        made.append((protocol, transport))
        return protocol, transport

    yield factory


def status(transport: Transport) -> int:
    return int(transport.written[9:12]) if transport.written.startswith(b"HTTP/1.1 ") else 0


@pytest.mark.parametrize(
    ("data", "expected", "reason"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", 400, "missing_host"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "duplicate_host"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", 431, "too_many_headers"),
        (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "unsupported_version"),
        (b"GET /\r\n\r\n", 505, "unsupported_version"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 400, "malformed"),
        (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n", 414, "uri_too_long"),
        (b"GET / HTTP/1.1\r\nHost: a\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", 431, "header_too_large"),
    ],
)
def test_requests_refused_before_the_app(make: Any, data: bytes, expected: int, reason: str) -> None:
    protocol, transport = make()
    protocol.data_received(data)
    assert status(transport) == expected and transport.closed
    assert protocol.shield.events[("rejected", reason)] == 1
    assert protocol.cycle is None  # no request cycle: the app never saw it


def test_http_1_0_needs_no_host(make: Any) -> None:
    protocol, transport = make()
    protocol.data_received(b"GET / HTTP/1.0\r\n\r\n")
    assert transport.written == b"" and protocol.cycle is not None and protocol._phase is BUSY


def test_a_head_dribbled_past_the_size_limit_is_refused(make: Any) -> None:
    protocol, transport = make()
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: a\r\nX: ")
    for _ in range(70):  # one header value that never ends: llhttp buffers it, the shield counts the bytes
        protocol.data_received(b"a" * 1024)
        if transport.closed:
            break
    assert status(transport) == 431


def test_phases_and_the_header_timeout(make: Any) -> None:
    loop = Loop()
    protocol, transport = make(loop=loop)
    shield = protocol.shield
    assert protocol._phase is NEW and protocol in shield.waiting and protocol in shield.watched
    loop.now += 4.9
    assert protocol.shield_check(loop.now) is None
    protocol.data_received(b"GET / HTTP/1.1\r\n")
    assert protocol._phase is HEAD
    loop.now += 0.2  # 5.1 s after the connection: the head's clock started there
    assert protocol.shield_check(loop.now) == "header_timeout"
    protocol.shield_cut("header_timeout")
    assert status(transport) == 408 and transport.closed and protocol not in shield.watched
    assert shield.open == 0  # released at once; connection_lost does not release it twice
    protocol.connection_lost(None)
    assert shield.open == 0 and not shield.per_source


def test_a_silent_connection_is_closed_without_an_answer(make: Any) -> None:
    loop = Loop()
    protocol, transport = make(loop=loop)
    loop.now += 5
    assert protocol.shield_check(loop.now) == "header_timeout"
    protocol.shield_cut("header_timeout")
    assert transport.written == b"" and transport.closed


def test_a_kept_alive_connection_times_its_next_head_from_its_first_byte(make: Any) -> None:
    loop = Loop()
    protocol, _ = make(loop=loop)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    assert protocol._phase is BUSY and protocol not in protocol.shield.watched
    protocol.cycle.response_complete = True
    protocol.on_response_complete()
    assert protocol._phase is IDLE and protocol in protocol.shield.waiting
    loop.now += 60  # idle time is uvicorn's keep-alive timer's business
    protocol.data_received(b"GET / HT")
    assert protocol._phase is HEAD and protocol.shield_check(loop.now + 4.9) is None
    assert protocol.shield_check(loop.now + 5) == "header_timeout"


def test_reading_paused_by_the_server_does_not_count(make: Any) -> None:
    loop = Loop()
    protocol, _ = make(loop=loop)
    protocol.data_received(b"GET / HTTP/1.1\r\n")
    protocol.flow.pause_reading()  # e.g. pipelined requests queued behind a slow one
    for _ in range(20):
        loop.now += 1
        assert protocol.shield_check(loop.now) is None


def test_a_body_must_keep_its_minimum_rate(make: Any) -> None:
    loop = Loop()
    protocol, transport = make(loop=loop)
    protocol.data_received(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000\r\n\r\n")
    assert protocol._phase is BODY and protocol not in protocol.shield.waiting
    loop.now += 1
    protocol.data_received(b"x" * 300)
    loop.now += 1
    assert protocol.shield_check(loop.now) is None  # 300 bytes in 2 s: over 100 a second
    loop.now += 1
    protocol.data_received(b"x" * 50)
    loop.now += 1
    assert protocol.shield_check(loop.now) == "body_timeout"  # 50 bytes in the next 2 s
    protocol.shield_cut("body_timeout")
    assert transport.aborted and transport.written == b""


def test_a_body_owed_a_100_continue_is_not_the_clients_fault(make: Any) -> None:
    loop = Loop()
    protocol, _ = make(loop=loop)
    protocol.data_received(b"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 9\r\n\r\n")
    loop.now += 10
    assert protocol.shield_check(loop.now) is None
    protocol.data_received(b"123456789")
    assert protocol._phase is BUSY


def test_a_response_left_unread_ends_the_connection(make: Any) -> None:
    loop = Loop()
    protocol, transport = make(loop=loop)
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
    protocol.pause_writing()
    assert protocol in protocol.shield.watched
    loop.now += 59
    assert protocol.shield_check(loop.now) is None
    protocol.resume_writing()
    assert protocol not in protocol.shield.watched
    protocol.pause_writing()
    loop.now += 60
    assert protocol.shield_check(loop.now) == "send_timeout"
    protocol.shield_cut("send_timeout")
    assert transport.aborted


def test_over_the_per_source_cap_is_answered_503(make: Any) -> None:
    shield = Shield(limits(max_connections_per_ip=1))
    first, _ = make(shield)
    second, transport = make(shield)
    assert status(transport) == 503 and transport.closed and b"retry-after: 1" in transport.written
    second.data_received(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")  # ignored
    assert second.cycle is None
    second.connection_lost(None)
    assert shield.open == 1
    first.connection_lost(None)
    assert shield.open == 0


def test_an_unsupported_upgrade_is_answered_then_closed(make: Any) -> None:
    protocol, transport = make()
    protocol.data_received(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\nPRI *")
    assert protocol.cycle is not None and protocol.cycle.keep_alive is False and not transport.closed


def test_the_unguarded_protocol_is_uvicorns() -> None:
    assert CoalescingHttpToolsProtocol.shield is None
    guarded = CoalescingHttpToolsProtocol.guarded(Shield(limits()))
    assert issubclass(guarded, CoalescingHttpToolsProtocol) and guarded.shield is not None
