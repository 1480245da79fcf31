"""What the data plane tells Shield: requests to protected resources, counted per one-minute window.

The API Gateway stage ``server/shield_gateway.py`` calls ``TrafficMonitor.observe`` for every request to a stage
(or custom domain) that some account protects — the set of protected resource ARNs is polled at most once per
``POLL_SECONDS``, so an unprotected API pays one set lookup. Counts are kept in memory per (resource, window): the
requests, the requests of each second (for the peak rate) and the top contributors by source IP, URL, user agent
and referrer; a daemon thread adds them into ``shield_traffic`` every ``FLUSH_SECONDS`` (summing what several
nodes saw), and the detection job flushes this node's counts before it reads, so a window it judges holds every
request this node answered in it.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.services.shield.detector import WINDOW_SECONDS
from strongroom.services.shield.model import protections, traffic

if TYPE_CHECKING:
    from collections.abc import Iterable

    from strongroom.store.engine import Store

log = logging.getLogger("strongroom.shield")

POLL_SECONDS = 1.0
FLUSH_SECONDS = 1.0
TOP = 100  # contributors kept per dimension and window
MAX_VALUE = 512  # characters of a URL / user agent / referrer kept
DIMENSIONS = ("SOURCE_IP_ADDRESS", "DESTINATION_URL", "SOURCE_USER_AGENT", "REFERRER")


@dataclass
class Window:
    requests: int = 0
    seconds: Counter[int] = field(default_factory=Counter)
    contributors: dict[str, Counter[str]] = field(default_factory=lambda: {d: Counter() for d in DIMENSIONS})

    @property
    def peak(self) -> int:
        return max(self.seconds.values(), default=0)


def merge_contributors(stored: dict[str, dict[str, int]], seen: dict[str, Counter[str]]) -> dict[str, dict[str, int]]:
    """Add a node's counts to the stored ones, keeping the ``TOP`` largest per dimension."""
    out: dict[str, dict[str, int]] = {}
    for dimension in DIMENSIONS:
        total: Counter[str] = Counter(stored.get(dimension, {}))
        total.update(seen.get(dimension, Counter()))
        out[dimension] = dict(total.most_common(TOP))
    return out


class TrafficMonitor:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: dict[tuple[str, int], Window] = {}
        self._protected: frozenset[str] = frozenset()
        self._checked = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the data plane -----------------------------------------------------------------------------------------

    def protected(self, resource_arns: Iterable[str]) -> list[str]:
        """Which of ``resource_arns`` some account protects (polled at most once per ``POLL_SECONDS``)."""
        now = time.monotonic()
        if now - self._checked >= POLL_SECONDS:
            with self.store.read() as conn:
                rows = conn.execute(select(protections.c.resource_arn)).all()
            self._protected = frozenset(r.resource_arn for r in rows)
            self._checked = now
        return [a for a in resource_arns if a in self._protected]

    def observe(
        self,
        resource_arns: Iterable[str],
        *,
        source_ip: str,
        url: str,
        user_agent: str | None,
        referrer: str | None,
        at: float | None = None,
    ) -> None:
        arns = self.protected(resource_arns)
        if not arns:
            return
        moment = clock.time() if at is None else at
        window = int(moment // WINDOW_SECONDS) * WINDOW_SECONDS
        second = int(moment)
        values = {
            "SOURCE_IP_ADDRESS": source_ip,
            "DESTINATION_URL": url[:MAX_VALUE],
            "SOURCE_USER_AGENT": (user_agent or "")[:MAX_VALUE],
            "REFERRER": (referrer or "")[:MAX_VALUE],
        }
        with self._lock:
            for arn in arns:
                counts = self._pending.setdefault((arn, window), Window())
                counts.requests += 1
                counts.seconds[second] += 1
                for dimension, value in values.items():
                    if value:
                        counts.contributors[dimension][value] += 1
        self._start()

    # -- to the database ----------------------------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="shield-traffic", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:
                log.exception("Shield traffic counts not recorded")

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            for (arn, window), counts in sorted(pending.items()):
                try:
                    self._add(arn, window, counts)
                except IntegrityError:  # another node inserted the window's row first: add to it
                    self._add(arn, window, counts)

    def _add(self, arn: str, window: int, counts: Window) -> None:
        with self.store.write() as conn:
            row = conn.execute(
                select(traffic).where(traffic.c.resource_arn == arn, traffic.c.window == window).with_for_update()
            ).one_or_none()
            if row is None:
                conn.execute(
                    traffic.insert().values(
                        resource_arn=arn,
                        window=window,
                        requests=counts.requests,
                        peak_rps=counts.peak,
                        contributors=json.dumps(merge_contributors({}, counts.contributors)),
                    )
                )
                return
            conn.execute(
                update(traffic)
                .where(traffic.c.resource_arn == arn, traffic.c.window == window)
                .values(
                    requests=row.requests + counts.requests,
                    peak_rps=max(row.peak_rps, counts.peak),
                    contributors=json.dumps(merge_contributors(json.loads(row.contributors), counts.contributors)),
                )
            )
