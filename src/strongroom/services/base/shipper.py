"""A background batching shipper: items queued from request threads, sent in batches per destination.

Used where a request produces something to deliver elsewhere that must never slow the request down or fail it
(API Gateway access log lines, WAF log records and sampled requests): ``put`` only enqueues (a full queue drops the
item and says so), one daemon thread wakes every ``flush_seconds``, groups what is queued by destination and calls
``send(destination, items)`` with at most ``max_batch`` items at a time. A failing ``send`` is logged and the
thread goes on; ``close`` stops the thread and flushes what is left.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


class BatchShipper(Generic[K, T]):
    def __init__(
        self,
        name: str,
        send: Callable[[K, list[T]], None],
        *,
        flush_seconds: float,
        max_queued: int = 10_000,
        max_batch: int = 1_000,
        log: logging.Logger | None = None,
    ) -> None:
        self.name = name
        self.flush_seconds = flush_seconds
        self._send = send
        self._max_batch = max_batch
        self._log = log or logging.getLogger("strongroom.shipper")
        self._queue: queue.Queue[tuple[K, T]] = queue.Queue(max_queued)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()

    def put(self, destination: K, item: T) -> bool:
        """Queue one item; False (and a warning) when the queue is full and the item was dropped."""
        try:
            self._queue.put_nowait((destination, item))
        except queue.Full:
            self._log.warning("%s queue full; item dropped", self.name)
            return False
        self._start()
        return True

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            self.flush()

    def flush(self) -> None:
        with self._flush_lock:  # the thread and close() may both flush; batches go out in order
            batches: dict[K, list[T]] = defaultdict(list)
            while True:
                try:
                    destination, item = self._queue.get_nowait()
                except queue.Empty:
                    break
                batches[destination].append(item)
            for destination, items in batches.items():
                for start in range(0, len(items), self._max_batch):
                    try:
                        self._send(destination, items[start : start + self._max_batch])
                    except Exception:
                        self._log.exception("%s delivery failed", self.name)
