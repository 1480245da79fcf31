"""The one source of time.

Everything that expires, schedules or timestamps reads ``clock.now()``. In test mode the clock can be
moved forward; the offset is shared across nodes through the store (see ``store.settings``), so
advancing on one node advances all.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def time(self) -> float:
        """Epoch seconds, as the server sees them."""
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def later(self, **delta: float) -> datetime:
        return self.now() + timedelta(**delta)


clock = Clock()


def wall_time() -> float:
    """Real time; only for judging client signatures, which are made with real time."""
    return time.time()
