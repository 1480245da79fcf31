"""Rate-based rule counters: a pluggable store, and an in-memory sliding window.

The store only needs ``hit``: record one request for (rule, key) at ``now`` and answer how many requests the
key made in the last ``window`` seconds. A database-backed store shared by several processes implements the
same protocol later.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Protocol


class RateCounterStore(Protocol):
    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int: ...


class InMemoryRateCounter:
    """Sliding window of timestamps per key, keeping at most ``limit + 1`` of them.

    Only "is the count above the limit" matters, and the most recent ``limit + 1`` timestamps decide that
    exactly, so memory per key is bounded by the limit however fast a client sends. Keys are evicted
    least-recently-used beyond ``max_keys``.
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._keys: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int:
        with self._lock:
            slot = (rule, key)
            stamps = self._keys.get(slot)
            if stamps is None:
                stamps = deque(maxlen=limit + 1)
                self._keys[slot] = stamps
                while len(self._keys) > self._max_keys:
                    self._keys.popitem(last=False)
            else:
                self._keys.move_to_end(slot)
            stamps.append(now)
            horizon = now - window
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            return len(stamps)

    def count(self, rule: str, key: str, now: float, window: int) -> int:
        with self._lock:
            stamps = self._keys.get((rule, key), deque())
            return sum(1 for s in stamps if s > now - window)
