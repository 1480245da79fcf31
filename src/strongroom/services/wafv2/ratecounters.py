"""Rate-based rule counters shared by every node on one database: the engine's ``RateCounterStore`` on the store.

The engine (``strongroom.waf``) holds no storage; an enforcement point asks ``rate_store_for(runtime, web_acl_arn)``
for the store its ``WebAclEvaluator`` counts in:

- PostgreSQL, or SQLite with several worker processes: a ``SharedRateCounter`` on ``wafv2_rate_counters``, so a
  client spreading its requests over nodes meets the limit all the same;
- SQLite with one process: the engine's exact ``InMemoryRateCounter``, nothing written.

One store per (database, web ACL ARN) and process, so counters survive the evaluator being rebuilt when the web ACL
changes, and two web ACLs with the same name in different regions never share a counter.

Counting: time is cut into buckets one evaluation window long, aligned on the epoch. A hit adds one to its
counter's current bucket with one atomic upsert (``INSERT ... ON CONFLICT DO UPDATE SET hits = hits + n
RETURNING hits``, PostgreSQL and SQLite alike), and the rate is the sliding-window estimate

    current bucket's hits + previous bucket's hits x (1 - time into the current bucket / window)

which assumes the previous bucket's requests were spread evenly over it: exact for steady traffic, off by at most
the previous bucket's count for bursts at its edges (a burst late in the previous bucket is under-counted, one early
over-counted). AWS documents its own counting as an estimate too. The previous bucket's count is read once per
bucket (and once more after late flushes from other nodes have settled) and kept.

Two modes (``flush_interval``):

- 0, exact: each hit is one transaction in the request's thread (upsert, plus the previous bucket's count when not
  known yet). Every node sees every other node's hits at once; each hit costs a database round trip (measured
  figures in docs/waf-engine.md).
- above 0, write-behind (``rate_store_for``'s default, 1 s): a hit only adds to this node's memory and answers the
  database's total at the last flush plus this node's hits since (a few µs). A background thread writes every
  counter that moved, all in one transaction per interval, and reads back their totals and previous buckets. A
  node sees other nodes' hits up to one interval (plus the write) late, so N nodes together may let through up to
  N-1 intervals' worth of a key's traffic past the limit before each blocks; a single node is never late for its
  own hits. Unwritten hits (at most one interval's) are lost if the process dies.

Keys never reach the database: the counter column is a SHA-256 of (web ACL ARN, rule, window, aggregation key), so
header or cookie values used as keys (which may carry credentials, and may be kilobytes long or not UTF-8) are not
stored. The sweep job deletes buckets two windows old every minute.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import Connection, delete, select, tuple_

from strongroom.core.clock import clock
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.wafv2.base import WafBase
from strongroom.services.wafv2.model import rate_counters
from strongroom.store.engine import Store, upsert_insert
from strongroom.waf.ratelimit import InMemoryRateCounter, RateCounterStore

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

log = logging.getLogger(__name__)

SWEEP_JOB = "wafv2-rate-sweep"
SWEEP_EVERY = timedelta(minutes=1)
DEFAULT_MAX_KEYS = 100_000


def counter_id(scope: str, rule: str, window: int, key: str) -> str:
    """The stored name of a counter: a digest, never the key itself (it may be a secret-bearing header value)."""
    h = hashlib.sha256()
    for part in (scope, rule, str(window)):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0")
    h.update(key.encode("utf-8", "surrogatepass"))  # any str the engine builds encodes, lone surrogates included
    return h.hexdigest()


@dataclass(slots=True, eq=False)
class _Slot:
    counter: str
    bucket: int
    window: int
    shared: int = 0  # the database's count of this bucket at this node's last write (every node's hits)
    inflight: int = 0  # this node's hits being written now
    pending: int = 0  # this node's hits not written yet
    prev: int | None = None  # the previous bucket's count, every node's
    prev_read_at: float = float("-inf")

    def estimate(self, now: float) -> int:
        elapsed = (now - self.bucket) / self.window
        return self.shared + self.inflight + self.pending + int((self.prev or 0) * (1.0 - elapsed))


@dataclass(slots=True)
class _Flush:
    counter: str
    bucket: int
    window: int
    hits: int
    slot: _Slot | None = None  # the live slot to update with the total (None: an evicted or rolled-over one)


_CHUNK = 500  # rows per statement: well under SQLite's 32,766 bound parameters (4 per row)
Bucket = tuple[str, int]  # (counter, bucket)


def _add(conn: Connection, flushes: list[_Flush]) -> dict[Bucket, int]:
    """Add the hits with multi-row upserts (``INSERT ... VALUES (...), (...) ON CONFLICT DO UPDATE SET hits =
    hits + excluded.hits RETURNING``): one statement per 500 counters. The totals after, by (counter, bucket)."""
    hits: dict[Bucket, int] = {}  # one row per (counter, bucket): PostgreSQL refuses to update a row twice
    windows: dict[Bucket, int] = {}
    for f in flushes:
        hits[(f.counter, f.bucket)] = hits.get((f.counter, f.bucket), 0) + f.hits
        windows[(f.counter, f.bucket)] = f.window
    rows = [{"counter": c, "bucket": b, "hits": n, "expires": b + 2 * windows[(c, b)]} for (c, b), n in hits.items()]
    insert = upsert_insert(conn.dialect.name)
    totals: dict[Bucket, int] = {}
    for i in range(0, len(rows), _CHUNK):
        stmt = insert(rate_counters).values(rows[i : i + _CHUNK])
        upsert = stmt.on_conflict_do_update(
            index_elements=[rate_counters.c.counter, rate_counters.c.bucket],
            set_={"hits": rate_counters.c.hits + stmt.excluded.hits},
        ).returning(rate_counters.c.counter, rate_counters.c.bucket, rate_counters.c.hits)
        for r in conn.execute(upsert):
            totals[(r.counter, int(r.bucket))] = int(r.hits)
    return totals


def _read(conn: Connection, wanted: list[Bucket]) -> dict[Bucket, int]:
    """The counts of these (counter, bucket) pairs; absent ones are 0 (read with ``get``)."""
    found: dict[Bucket, int] = {}
    unique = sorted(set(wanted))
    for i in range(0, len(unique), _CHUNK):
        pairs = unique[i : i + _CHUNK]
        stmt = select(rate_counters.c.counter, rate_counters.c.bucket, rate_counters.c.hits).where(
            tuple_(rate_counters.c.counter, rate_counters.c.bucket).in_(pairs)
        )
        for r in conn.execute(stmt):
            found[(r.counter, int(r.bucket))] = int(r.hits)
    return found


class SharedRateCounter:
    """``RateCounterStore`` over ``wafv2_rate_counters`` (see the module docstring). Thread-safe.

    ``flush_interval`` 0: every hit is one database transaction in the request's thread (exact across nodes).
    Above 0: hits only touch this node's memory, and a background thread writes every counter that moved, all in
    one transaction per interval, and reads back the totals (so the request path never waits on the database).
    """

    def __init__(
        self, store: Store, scope: str, *, flush_interval: float = 0.0, max_keys: int = DEFAULT_MAX_KEYS
    ) -> None:
        self.store = store
        self.scope = scope
        self.flush_interval = flush_interval
        # late writes of other nodes to a bucket that just ended land within one interval; re-read after that
        self._settle = flush_interval + 1.0
        self._max_keys = max_keys
        self._slots: OrderedDict[str, _Slot] = OrderedDict()
        self._orphans: list[_Flush] = []  # unwritten hits of rolled-over or evicted slots (background mode)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _slot(self, cid: str, bucket: int, window: int, orphans: list[_Flush]) -> _Slot:
        """This counter's slot for ``bucket`` (lock held); the hits a replaced or evicted slot still owes go to
        ``orphans``."""
        slot = self._slots.get(cid)
        if slot is not None and slot.bucket == bucket and slot.window == window:
            self._slots.move_to_end(cid)
            return slot
        fresh = _Slot(cid, bucket, window)
        if slot is not None:
            if slot.pending:
                orphans.append(_Flush(cid, slot.bucket, slot.window, slot.pending))
            if slot.bucket == bucket - window and slot.window == window:
                fresh.prev = slot.shared + slot.inflight + slot.pending  # a first guess until the database answers
        self._slots[cid] = fresh
        self._slots.move_to_end(cid)
        while len(self._slots) > self._max_keys:
            _, old = self._slots.popitem(last=False)
            if old.pending:
                orphans.append(_Flush(old.counter, old.bucket, old.window, old.pending))
        return fresh

    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int:
        cid = counter_id(self.scope, rule, window, key)
        bucket = int(now // window) * window
        orphans: list[_Flush] = []
        with self._lock:
            slot = self._slot(cid, bucket, window, orphans)
            slot.pending += 1
            if self.flush_interval > 0:
                self._orphans.extend(orphans)
                if self._thread is None:
                    self._start()
                return slot.estimate(now)
            mine, slot.pending = slot.pending, 0
            slot.inflight += mine
            read_prev = slot.prev_read_at == float("-inf") or slot.prev_read_at < bucket + self._settle <= now
            if read_prev:
                slot.prev_read_at = now
        self._sync([*orphans, _Flush(cid, bucket, window, mine, slot)], [slot] if read_prev else [])
        with self._lock:
            return slot.estimate(now)

    def _sync(self, flushes: list[_Flush], prev_reads: list[_Slot]) -> None:
        """One transaction: add the hits, read back the totals and the previous buckets' counts."""
        try:
            with self.store.write() as conn:
                totals = _add(conn, flushes) if flushes else {}
                prevs = _read(conn, [(s.counter, s.bucket - s.window) for s in prev_reads]) if prev_reads else {}
        except Exception:  # the database is away: keep counting locally rather than fail requests
            log.warning("WAF rate counters: cannot reach the database; counting locally", exc_info=True)
            with self._lock:
                for f in flushes:
                    if f.slot is not None:
                        f.slot.inflight -= f.hits
                        f.slot.pending += f.hits
                    else:
                        self._orphans.append(f)
            return
        with self._lock:
            for f in flushes:
                if f.slot is not None:
                    f.slot.inflight -= f.hits
                    f.slot.shared = max(f.slot.shared, totals[(f.counter, f.bucket)])
            for s in prev_reads:
                s.prev = max(s.prev or 0, prevs.get((s.counter, s.bucket - s.window), 0))

    def flush(self) -> None:
        """Write every unwritten hit and refresh those counters' totals (the background thread's step; also at
        shutdown and in tests)."""
        with self._lock:
            flushes, self._orphans = self._orphans, []
            moved: list[_Slot] = []
            for slot in self._slots.values():
                if slot.pending or slot.prev is None:
                    flushes.append(_Flush(slot.counter, slot.bucket, slot.window, slot.pending, slot))
                    slot.inflight += slot.pending
                    slot.pending = 0
                    moved.append(slot)
        if flushes:
            self._sync([f for f in flushes if f.hits], moved)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="waf-rate-flush", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:  # never let the flusher die: the next interval tries again
                log.warning("WAF rate counters: flush failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


def sweep(store: Store, now: float) -> int:
    """Delete the buckets no estimate can use any more; how many rows went."""
    with store.write() as conn:
        return int(conn.execute(delete(rate_counters).where(rate_counters.c.expires < int(now))).rowcount or 0)


_STORES: weakref.WeakKeyDictionary[Store, dict[str, RateCounterStore]] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def rate_store_for(runtime_or_store: object, web_acl_arn: str, *, flush_interval: float = 1.0) -> RateCounterStore:
    """The rate counter store an enforcement point gives the web ACL's evaluator (see the module docstring).

    ``runtime_or_store``: the server ``Runtime`` (its config tells whether several SQLite workers share the
    database) or a ``Store``."""
    store = runtime_or_store if isinstance(runtime_or_store, Store) else getattr(runtime_or_store, "store", None)
    if not isinstance(store, Store):
        raise TypeError("rate_store_for needs the server runtime or a Store")
    config = getattr(runtime_or_store, "config", None)
    workers = int(getattr(config, "workers", 1) or 1)
    with _STORES_LOCK:
        per_store = _STORES.setdefault(store, {})
        found = per_store.get(web_acl_arn)
        if found is None:
            if store.is_sqlite and workers == 1:
                found = InMemoryRateCounter()
            else:
                found = SharedRateCounter(store, web_acl_arn, flush_interval=flush_interval)
            per_store[web_acl_arn] = found
        return found


def forget_rate_stores(store: Store) -> None:
    """Drop this database's counter stores (test-mode reset: the counters' rows are gone with the tables)."""
    with _STORES_LOCK:
        dropped = _STORES.pop(store, {})
    for found in dropped.values():
        if isinstance(found, SharedRateCounter):
            found._stop.set()  # its unwritten hits belong to the state being reset: not written


def close_rate_stores(store: Store) -> None:
    """Stop this database's write-behind threads and write what they hold (the server's shutdown)."""
    with _STORES_LOCK:
        closing = _STORES.pop(store, {})
    for found in closing.values():
        if isinstance(found, SharedRateCounter):
            try:
                found.close()
            except Exception:  # shutting down: the database may be gone already
                log.warning("WAF rate counters: final flush failed", exc_info=True)


class RateCounterJobs(WafBase):
    """The provider family that owns the sweep job (runs once across all nodes, every minute)."""

    scheduled_jobs: ClassVar[dict[str, str]] = {SWEEP_JOB: "sweep_rate_counters"}

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        self._start_sweep()

    def reset(self) -> None:
        parent = getattr(super(), "reset", None)
        if callable(parent):
            parent()
        forget_rate_stores(self.runtime.store)
        self._start_sweep()

    def _start_sweep(self) -> None:
        scheduler = self.runtime.scheduler
        try:
            if scheduler.get_job(SWEEP_JOB, "all") is None:
                scheduler.schedule(SWEEP_JOB, "all", clock.now() + SWEEP_EVERY)
        except Exception:  # the store may not be migrated yet in tooling that builds providers
            log.warning("could not schedule the WAF rate counter sweep", exc_info=True)

    def sweep_rate_counters(self, job: JobContext) -> JobResult | None:
        sweep(job.store, job.now.timestamp())
        return JobResult.again(job.now + SWEEP_EVERY)
