"""Shield Standard: connection and request sanity limits on every HTTP listener (the server, ``waf proxy``).

An event-loop server does not run out of threads under a slowloris flood; it runs out of file descriptors and
memory, and a connection that never finishes its request head holds both for ever (uvicorn arms no timer until
a first response has gone out). So every connection is watched through its life:

* **new / head**: the whole request head must arrive within ``header_timeout`` seconds of the connection (or,
  on a kept-alive connection, of the request's first byte): nginx's ``client_header_timeout``; a head larger than
  ``max_header_bytes`` (request line and headers) or with more than ``max_headers`` fields is refused (414 / 431);
* **body**: while the server is waiting on the client (reading not paused by flow control, no ``100 Continue``
  still owed), each ``body_timeout``-second window must bring ``body_min_rate`` bytes a second (at least one
  byte): Apache's ``mod_reqtimeout`` ``MinRate``;
* **idle**: a kept-alive connection with no request is closed after ``keepalive_timeout`` (uvicorn's own timer);
* **slow reader**: a response the client does not read for ``send_timeout`` seconds (the transport's buffer stays
  above its high-water mark) ends the connection: nginx's ``send_timeout``.

Connections are counted per source (an IPv4 address; an IPv6 /64, what one host usually holds): beyond
``max_connections_per_ip`` a new one is answered 503 and closed. Peers named in ``forwarded_allow_ips`` (a load
balancer in front) are exempt: they carry many clients. Beyond ``max_connections`` in all, the connection that
has waited longest without a request in progress (a silent new one, a slow head, an idle keep-alive) is shed to
make room; only when every connection is busy with a request is the new one refused.

One sweep per event loop checks the deadlines (a few times a second, never per request), so the per-request cost
is a few attribute writes. Events are counted (``strongroom_shield_*`` metrics) and logged without anything of the
request but the peer's address, at most ``_LOG_BURST`` lines of each kind per ``_LOG_WINDOW`` seconds, then as one
summary.
The protocol side (the parser callbacks, the 400s) is in ``server/httpproto.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import logging
import resource
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, Protocol

from strongroom.core.config import Config

log = logging.getLogger("strongroom.shield")

_LOG_BURST = 20  # individual event lines per window, then a summary
_LOG_WINDOW = 10.0
_MAX_AUTO_CONNECTIONS = 20_000
_FD_RESERVE = 256  # descriptors kept for the store, blob files, Lambda pipes, the proxy's upstream connections


@dataclass(frozen=True, slots=True)
class ShieldLimits:
    """The limits one listener enforces; the defaults are ``core.config.Config``'s (docs/shield-standard.md)."""

    header_timeout: float
    body_timeout: float
    body_min_rate: int
    keepalive_timeout: float
    send_timeout: float
    max_connections: int  # 0: from the descriptor limit (``auto_max_connections``)
    max_connections_per_ip: int
    max_header_bytes: int
    max_headers: int

    @staticmethod
    def from_values(values: Any) -> ShieldLimits:
        """From anything with these attribute names (a ``Config``, an ``argparse.Namespace``); a missing or None
        attribute takes ``Config``'s default."""
        defaults = Config()
        picked = {}
        for f in fields(ShieldLimits):
            value = getattr(values, f.name, None)
            picked[f.name] = getattr(defaults, f.name) if value is None else value
        return ShieldLimits(**picked)

    def problems(self) -> list[str]:
        """What is wrong with these values (an empty list when they can be enforced)."""
        out = []
        for f in fields(ShieldLimits):
            value = getattr(self, f.name)
            if f.name == "max_connections":
                if value < 0:
                    out.append("--max-connections must be 0 (automatic) or more")
            elif value <= 0:
                out.append(f"--{f.name.replace('_', '-')} must be more than 0")
        return out

    @property
    def tick(self) -> float:
        """Seconds between sweeps: a fifth of the shortest timeout, between 50 ms and 1 s."""
        shortest = min(self.header_timeout, self.body_timeout, self.send_timeout)
        return min(1.0, max(0.05, shortest / 5))


# (flag, Config field, type, help): the same options on `strongroom server` and `strongroom waf proxy`.
OPTIONS: tuple[tuple[str, type, str], ...] = (
    ("header_timeout", float, "seconds for a whole request head to arrive"),
    ("body_timeout", float, "seconds of each window in which a body must progress at --body-min-rate"),
    ("body_min_rate", int, "bytes a second a request body must at least arrive at"),
    ("keepalive_timeout", float, "seconds an idle kept-alive connection stays open"),
    ("send_timeout", float, "seconds a client may leave a response unread before the connection is cut"),
    ("max_connections", int, "open connections in all (0: from the descriptor limit)"),
    ("max_connections_per_ip", int, "open connections from one source address (an IPv6 /64)"),
    ("max_header_bytes", int, "largest request head (request line and headers) in bytes"),
    ("max_headers", int, "most header fields in one request"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The Shield Standard options (default None: the configuration's value, shown in the help)."""
    defaults = Config()
    group = parser.add_argument_group("Shield Standard (connection and request limits, docs/shield-standard.md)")
    for name, kind, text in OPTIONS:
        group.add_argument(
            "--" + name.replace("_", "-"),
            type=kind,
            default=None,
            help=f"{text} (default {getattr(defaults, name)})",
        )


def raise_fd_limit(target: int = 65536) -> int:
    """Lift the soft descriptor limit towards the hard one (as nginx's ``worker_rlimit_nofile``); the soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = target if hard == resource.RLIM_INFINITY else min(hard, target)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
            soft = want
    return int(soft) if soft != resource.RLIM_INFINITY else target


def auto_max_connections(fd_limit: int) -> int:
    """Connections the process can hold without running out of descriptors for everything else."""
    return max(64, min(_MAX_AUTO_CONNECTIONS, (fd_limit - _FD_RESERVE) // 2))


def source_key(host: str) -> str:
    """What connections are counted by: the IPv4 address, or the IPv6 /64 (an IPv4-mapped address: its IPv4)."""
    if ":" not in host:
        return host
    try:
        address = ipaddress.IPv6Address(host.split("%", 1)[0])
    except ValueError:
        return host
    if address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))


class Exemptions:
    """Peers exempt from the per-source cap: ``forwarded_allow_ips``'s addresses and ranges, ``*`` for all."""

    def __init__(self, spec: str | None) -> None:
        parts = [p.strip() for p in (spec or "").split(",") if p.strip()]
        self.everyone = "*" in parts
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for part in parts:
            if part != "*":
                with contextlib.suppress(ValueError):  # uvicorn ignores what it cannot parse too
                    self.networks.append(ipaddress.ip_network(part, strict=False))
        self._seen: dict[str, bool] = {}

    def __contains__(self, host: str) -> bool:
        if self.everyone:
            return True
        if not self.networks:
            return False
        found = self._seen.get(host)
        if found is None:
            try:
                address = ipaddress.ip_address(host.split("%", 1)[0])
            except ValueError:
                found = False
            else:
                found = any(address in n for n in self.networks)
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[host] = found
        return found


class Guarded(Protocol):
    """What the sweep needs of a connection (``httpproto.CoalescingHttpToolsProtocol``)."""

    def shield_check(self, now: float) -> str | None: ...

    def shield_cut(self, reason: str) -> None: ...

    def shield_shed(self) -> None: ...


# Phases a connection is watched in (``Shield.waiting`` holds the ones with no request in progress).
NEW, HEAD, BODY, BUSY, IDLE = "new", "head", "body", "busy", "idle"


class Shield:
    """One listener's limits and the state they need: connections per source, the watch list, the counters."""

    def __init__(self, limits: ShieldLimits, *, exempt: str | None = None, fd_limit: int | None = None) -> None:
        self.limits = limits
        self.exempt = Exemptions(exempt)
        limit = limits.max_connections or auto_max_connections(fd_limit or raise_fd_limit())
        self.max_connections = limit
        self.per_source: Counter[str] = Counter()
        self.open = 0
        self.watched: dict[Guarded, None] = {}  # head, body, slow-reader: what the sweep looks at
        self.waiting: dict[Guarded, None] = {}  # no request in progress, oldest first: what may be shed
        self.events: Counter[tuple[str, str]] = Counter()  # (kind, reason) -> count, for the metrics
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._logged: Counter[str] = Counter()  # lines logged this window, per kind of event
        self._window_start = time.monotonic()
        self._suppressed: Counter[str] = Counter()
        self._suppressed_sources: Counter[str] = Counter()

    # -- admission
    def admit(self, host: str | None) -> tuple[str | None, str]:
        """Count a new connection from ``host``: (None, key) to serve it, else (why it is refused, key). A refused
        connection is still counted until ``release`` (its ``connection_lost``)."""
        key = source_key(host) if host else "-"
        self.open += 1
        self.per_source[key] += 1
        if host and self.per_source[key] > self.limits.max_connections_per_ip and host not in self.exempt:
            return "per_ip_cap", key
        if self.open > self.max_connections and not self._shed_one():
            return "total_cap", key
        return None, key

    def release(self, key: str) -> None:
        self.open -= 1
        left = self.per_source[key] - 1
        if left > 0:
            self.per_source[key] = left
        else:
            del self.per_source[key]

    def _shed_one(self) -> bool:
        """Close the connection waiting longest without a request in progress; False when there is none."""
        for victim in self.waiting:
            victim.shield_shed()  # takes it off the lists and closes it (counted open until connection_lost)
            return True
        return False

    # -- the sweep
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the sweep on ``loop`` (the first connection's)."""
        if self._loop is None:
            self._loop = loop
            self._timer = loop.call_later(self.limits.tick, self._sweep)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = None

    def _sweep(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        try:
            for conn in list(self.watched):
                reason = conn.shield_check(now)
                if reason is not None:
                    conn.shield_cut(reason)
            self._flush_log()
        finally:
            self._timer = self._loop.call_later(self.limits.tick, self._sweep)

    # -- counting and logging
    def record(self, kind: str, reason: str, source: str | None, **facts: Any) -> None:
        """One event (``kind``: refused, cut, shed, rejected): counted, and logged while the budget lasts."""
        self.events[(kind, reason)] += 1
        now = time.monotonic()
        if now - self._window_start >= _LOG_WINDOW:
            self._flush_log(now)
        if self._logged[kind] < _LOG_BURST:
            self._logged[kind] += 1
            message = "shield: request rejected" if kind == "rejected" else f"shield: connection {kind}"
            log.warning(message, extra={"reason": reason, "source": source, **facts})
        else:
            self._suppressed[f"{kind}:{reason}"] += 1
            self._suppressed_sources[source or "-"] += 1

    def _flush_log(self, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        if now - self._window_start < _LOG_WINDOW:
            return
        if self._suppressed:
            log.warning(
                "shield: more connection events than logged one by one",
                extra={
                    "seconds": round(now - self._window_start, 1),
                    "events": dict(self._suppressed),
                    "top_sources": dict(self._suppressed_sources.most_common(5)),
                },
            )
        self._suppressed.clear()
        self._suppressed_sources.clear()
        self._logged.clear()
        self._window_start = now

    def collect(self) -> Iterator[Any]:
        """Prometheus metrics (``Metrics.add_collector``): events by kind and reason, and connections open."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        events = CounterMetricFamily(
            "strongroom_shield_events", "Connections refused, cut, shed; requests rejected", labels=["kind", "reason"]
        )
        for (kind, reason), count in sorted(self.events.items()):
            events.add_metric([kind, reason], count)
        yield events
        yield GaugeMetricFamily("strongroom_shield_connections_open", "Open HTTP connections", value=self.open)
        yield GaugeMetricFamily(
            "strongroom_shield_connections_limit", "Open HTTP connections allowed", value=self.max_connections
        )
