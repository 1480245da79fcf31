"""Rate-based rule counters: a pluggable store, and an in-memory sliding window.

The store only needs ``hit``: record one request for (rule, key) at ``now`` and answer how many requests the
key made in the last ``window`` seconds. The database-backed store shared by several nodes is
``strongroom.services.wafv2.ratecounters`` (the engine holds no storage).

Keys can be header or cookie values (a client chooses them, up to kilobytes each, and they may carry secrets), so
both stores keep a digest of the key, never the key.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, deque
from typing import Protocol


class RateCounterStore(Protocol):
    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int: ...


def key_digest(key: str) -> bytes:
    """16 bytes for any key however long; ``surrogatepass`` so every ``str`` the engine builds encodes."""
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).digest()


class InMemoryRateCounter:
    """Sliding window of timestamps per key, keeping at most ``limit + 1`` of them.

    Only "is the count above the limit" matters, and the most recent ``limit + 1`` timestamps decide that
    exactly, so memory per key is bounded by the limit however fast a client sends. Keys are evicted
    least-recently-used beyond ``max_keys``.
    """

    def __init__(self, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._keys: OrderedDict[tuple[str, bytes], deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int:
        slot = (rule, key_digest(key))
        with self._lock:
            stamps = self._keys.get(slot)
            if stamps is None:
                stamps = deque(maxlen=limit + 1)
                self._keys[slot] = stamps
                while len(self._keys) > self._max_keys:
                    self._keys.popitem(last=False)
            else:
                self._keys.move_to_end(slot)
                if stamps.maxlen != limit + 1:  # the rule's limit changed (the store outlives evaluators)
                    stamps = self._keys[slot] = deque(stamps, maxlen=limit + 1)
            stamps.append(now)
            horizon = now - window
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            return len(stamps)

    def count(self, rule: str, key: str, now: float, window: int) -> int:
        with self._lock:
            stamps = self._keys.get((rule, key_digest(key)), deque())
            return sum(1 for s in stamps if s > now - window)
