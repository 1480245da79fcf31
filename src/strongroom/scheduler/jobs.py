"""Time-driven jobs (key deletion, rotations, expiries, schedules) that run once across all nodes.

A job is one row of ``scheduler_jobs`` keyed ``"{kind}:{key}"``, so scheduling the same logical job again
replaces it. A node runs a due job only after taking its lease with a conditional UPDATE that succeeds for
exactly one node; a crashed node's lease simply expires and another node takes the job over. Handlers run
outside any transaction (they call providers, which open their own), so after a crash between a handler's
effect and the job's removal the job runs again: handlers must be idempotent.

``lease_until`` means "nobody may take this job before then": while a node runs the job it is the end of the
lease (``lease_owner`` set), after a failure it is the retry time (``lease_owner`` NULL). Keeping the retry
time there leaves ``due_at`` untouched, so a recurring handler computes its next run from the moment the job
was due, not from when a retry finally succeeded.

Time is ``core.clock`` only. In test mode ``advance_clock`` moves the clock offset stored in ``settings``;
every node's loop copies that offset into its clock, so advancing one node advances them all.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, delete, exists, or_, select, update

from strongroom.core.clock import clock
from strongroom.scheduler.model import jobs
from strongroom.store.engine import Store, upsert_insert
from strongroom.store.settings import settings

log = logging.getLogger(__name__)

CLOCK_OFFSET_SETTING = "clock_offset"
CLOCK_SIGNAL = "clock"  # bumped after the stored offset changes (``ClockFollower``)
_MAX_ERROR_CHARS = 2000
_DRAIN_MAX_ROUNDS = 10_000

# The loop's "read stored offset, set clock" must not interleave with advance_clock's "store offset, set
# clock": a stale read applied after the advance would move this node's clock backwards.
_clock_sync_lock = threading.Lock()


@dataclass(frozen=True)
class JobContext:
    """What a handler learns about the job it runs."""

    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    attempts: int  # failed attempts before this one
    now: datetime
    node_id: str
    store: Store

    @property
    def job_id(self) -> str:
        return job_id_for(self.kind, self.key)


@dataclass(frozen=True)
class JobResult:
    """Returned by a handler that wants to run again (recurring jobs); returning None finishes the job."""

    reschedule_at: datetime | None = None
    payload: dict[str, Any] | None = None  # None keeps the current payload

    @classmethod
    def again(cls, at: datetime, payload: dict[str, Any] | None = None) -> JobResult:
        return cls(reschedule_at=at, payload=payload)


Handler = Callable[[JobContext], JobResult | None]


@dataclass(frozen=True)
class JobInfo:
    """A job row as read back, for status pages and tests."""

    job_id: str
    kind: str
    key: str
    due_at: datetime
    payload: dict[str, Any]
    lease_owner: str | None
    lease_until: datetime | None
    attempts: int
    last_error: str | None


def job_id_for(kind: str, key: str) -> str:
    return f"{kind}:{key}"


def _check_job(kind: str, key: str, due_at: datetime) -> str:
    if not kind or ":" in kind or len(kind) > jobs.c.kind.type.length:  # type: ignore[attr-defined]
        raise ValueError(f"bad job kind {kind!r}: 1-64 characters, no ':'")
    job_id = job_id_for(kind, key)
    if len(job_id) > jobs.c.job_id.type.length:  # type: ignore[attr-defined]
        raise ValueError(f"job id too long: {job_id!r}")
    if due_at.tzinfo is None:
        raise ValueError("due_at must be timezone-aware")
    return job_id


def schedule_job(conn: Connection, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None) -> str:
    """Insert or replace a job inside the caller's transaction; a replaced job starts afresh (no lease, no errors).

    Clearing the lease on replace also means a handler that re-schedules its own job wins over the running
    node's finishing step, which only touches the row while it still holds the lease it took.
    """
    job_id = _check_job(kind, key, due_at)
    values: dict[str, Any] = {
        "job_id": job_id,
        "kind": kind,
        "due_at": due_at,
        "payload": json.dumps(payload or {}, sort_keys=True, separators=(",", ":")),
        "lease_owner": None,
        "lease_until": None,
        "attempts": 0,
        "last_error": None,
    }
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        # A native upsert: two nodes scheduling the same job at once must not collide on the primary key.
        stmt = upsert_insert(dialect)(jobs).values(**values)
        replace = {name: stmt.excluded[name] for name in values if name != "job_id"}
        conn.execute(stmt.on_conflict_do_update(index_elements=[jobs.c.job_id], set_=replace))
    else:
        changed = conn.execute(update(jobs).where(jobs.c.job_id == job_id).values(**values)).rowcount
        if not changed:
            conn.execute(jobs.insert().values(**values))
    return job_id


def cancel_job(conn: Connection, kind: str, key: str) -> bool:
    """Remove a job inside the caller's transaction; True if there was one."""
    return bool(conn.execute(delete(jobs).where(jobs.c.job_id == job_id_for(kind, key))).rowcount)


def _runnable(now: datetime) -> ColumnElement[bool]:
    return and_(jobs.c.due_at <= now, or_(jobs.c.lease_until.is_(None), jobs.c.lease_until <= now))


def _info(row: Row[Any]) -> JobInfo:
    return JobInfo(
        job_id=row.job_id,
        kind=row.kind,
        key=row.job_id[len(row.kind) + 1 :],
        due_at=row.due_at,
        payload=json.loads(row.payload or "{}"),
        lease_owner=row.lease_owner,
        lease_until=row.lease_until,
        attempts=row.attempts,
        last_error=row.last_error,
    )


class Scheduler:
    """Runs the due jobs of the kinds registered on this node; one per server process."""

    def __init__(
        self,
        store: Store,
        node_id: str,
        *,
        lease_seconds: float = 60.0,
        interval: float = 1.0,
        retry_base: float = 5.0,
        retry_cap: float = 3600.0,
        batch_size: int = 100,
    ) -> None:
        self.store = store
        self.node_id = node_id
        self.lease_seconds = lease_seconds
        self.interval = interval
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.batch_size = batch_size
        self._handlers: dict[str, Handler] = {}
        self._run_lock = threading.Lock()  # one batch at a time per node keeps this node's runs in due order
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- registration and scheduling -------------------------------------------------------------------

    def register(self, kind: str, handler: Handler) -> None:
        _check_job(kind, "", clock.now())
        self._handlers[kind] = handler

    def schedule(
        self,
        kind: str,
        key: str,
        due_at: datetime,
        payload: dict[str, Any] | None = None,
        conn: Connection | None = None,
    ) -> str:
        """Upsert job ``kind:key``; pass ``conn`` to make it part of the caller's transaction."""
        if conn is not None:
            return schedule_job(conn, kind, key, due_at, payload)
        with self.store.write() as own:
            return schedule_job(own, kind, key, due_at, payload)

    def cancel(self, kind: str, key: str, conn: Connection | None = None) -> bool:
        if conn is not None:
            return cancel_job(conn, kind, key)
        with self.store.write() as own:
            return cancel_job(own, kind, key)

    def get_job(self, kind: str, key: str) -> JobInfo | None:
        with self.store.read() as conn:
            row = conn.execute(select(jobs).where(jobs.c.job_id == job_id_for(kind, key))).one_or_none()
        return None if row is None else _info(row)

    def list_jobs(self, kind: str | None = None) -> list[JobInfo]:
        query = select(jobs).order_by(jobs.c.due_at, jobs.c.job_id)
        if kind is not None:
            query = query.where(jobs.c.kind == kind)
        with self.store.read() as conn:
            return [_info(row) for row in conn.execute(query)]

    # -- running ---------------------------------------------------------------------------------------

    def run_due(self, now: datetime | None = None, *, limit: int | None = None) -> int:
        """Run the jobs due at ``now`` (default: the clock) that this node wins; returns how many it ran.

        Failed runs count too: they were attempted and are now backed off.
        """
        return self._run_due(now, limit)[0]

    def _run_due(self, now: datetime | None, limit: int | None) -> tuple[int, int]:
        """(jobs run, jobs another node leased first)."""
        kinds = list(self._handlers)
        if not kinds:
            return 0, 0
        with self._run_lock:
            at = now or clock.now()
            query = (
                select(jobs.c.job_id)
                .where(_runnable(at), jobs.c.kind.in_(kinds))
                .order_by(jobs.c.due_at, jobs.c.job_id)
                .limit(limit or self.batch_size)
            )
            with self.store.read() as conn:
                candidates: Sequence[str] = conn.execute(query).scalars().all()
            ran = lost = 0
            for job_id in candidates:
                leased = self._lease(job_id, at)
                if leased is None:
                    lost += 1
                    continue
                self._execute(*leased, at)
                ran += 1
            return ran, lost

    def _lease(self, job_id: str, now: datetime) -> tuple[Row[Any], str] | None:
        """Take the job if its lease is free; the UPDATE's rowcount is what makes this exclusive across nodes."""
        token = f"{self.node_id[:40]}#{secrets.token_hex(8)}"
        until = max(now, clock.now()) + timedelta(seconds=self.lease_seconds)
        with self.store.write() as conn:
            taken = conn.execute(
                update(jobs).where(jobs.c.job_id == job_id, _runnable(now)).values(lease_owner=token, lease_until=until)
            ).rowcount
            if taken != 1:
                return None
            row = conn.execute(select(jobs).where(jobs.c.job_id == job_id)).one()
        return row, token

    def _execute(self, row: Row[Any], token: str, now: datetime) -> None:
        try:
            handler = self._handlers[row.kind]
            ctx = JobContext(
                kind=row.kind,
                key=row.job_id[len(row.kind) + 1 :],
                due_at=row.due_at,
                payload=json.loads(row.payload or "{}"),
                attempts=row.attempts,
                now=clock.now(),
                node_id=self.node_id,
                store=self.store,
            )
            result = handler(ctx)
        except Exception as exc:
            log.warning("job %s failed (attempt %d)", row.job_id, row.attempts + 1, exc_info=True)
            self._record_failure(row, token, exc, now)
            return
        try:
            self._finish(row, token, result)
        except Exception:
            # The lease expires and the job runs again elsewhere; the loop itself must survive.
            log.exception("could not finish job %s", row.job_id)

    def _finish(self, row: Row[Any], token: str, result: JobResult | None) -> None:
        mine = and_(jobs.c.job_id == row.job_id, jobs.c.lease_owner == token)
        with self.store.write() as conn:
            if result is None or result.reschedule_at is None:
                changed = conn.execute(delete(jobs).where(mine)).rowcount
            else:
                values: dict[str, Any] = {
                    "due_at": result.reschedule_at,
                    "lease_owner": None,
                    "lease_until": None,
                    "attempts": 0,
                    "last_error": None,
                }
                if result.payload is not None:
                    values["payload"] = json.dumps(result.payload, sort_keys=True, separators=(",", ":"))
                changed = conn.execute(update(jobs).where(mine).values(**values)).rowcount
        if not changed:
            log.info("job %s was replaced or taken over while it ran; leaving the new state alone", row.job_id)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th consecutive failure: exponential, capped."""
        return float(min(self.retry_base * 2 ** max(attempts - 1, 0), self.retry_cap))

    def _record_failure(self, row: Row[Any], token: str, exc: Exception, now: datetime) -> None:
        attempts = row.attempts + 1
        retry_at = max(now, clock.now()) + timedelta(seconds=self.backoff(attempts))
        message = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
        try:
            with self.store.write() as conn:
                conn.execute(
                    update(jobs)
                    .where(jobs.c.job_id == row.job_id, jobs.c.lease_owner == token)
                    .values(lease_owner=None, lease_until=retry_at, attempts=attempts, last_error=message)
                )
        except Exception:
            log.exception("could not record the failure of job %s", row.job_id)

    def drain(self) -> int:
        """Run due jobs one at a time in due order until none is due; returns how many this node ran.

        One at a time so a recurring job re-scheduled into the past runs before later jobs. Due jobs another
        node is running are waited for (up to one lease), so that afterwards every due job has run.
        """
        total = 0
        deadline = time.monotonic() + self.lease_seconds
        for _round in range(_DRAIN_MAX_ROUNDS):
            ran, lost = self._run_due(None, 1)
            total += ran
            if ran or lost:
                continue
            if not self._due_elsewhere() or time.monotonic() > deadline:
                return total
            time.sleep(0.02)
        log.error("drain stopped after %d rounds: a handler keeps re-scheduling into the past", _DRAIN_MAX_ROUNDS)
        return total

    def _due_elsewhere(self) -> bool:
        if not self._handlers:
            return False
        now = clock.now()
        in_flight = and_(
            jobs.c.kind.in_(list(self._handlers)),
            jobs.c.due_at <= now,
            jobs.c.lease_owner.is_not(None),
            jobs.c.lease_until > now,
        )
        with self.store.read() as conn:
            return bool(conn.execute(select(exists().where(in_flight))).scalar())

    # -- background loop -------------------------------------------------------------------------------

    def refresh_clock(self) -> None:
        """Adopt the cluster-wide clock offset (test mode), so one node's advance moves every node."""
        adopt_clock(self.store)

    def tick(self) -> int:
        """One loop iteration: sync the clock, run a batch. Returns jobs run plus jobs lost to other nodes."""
        self.refresh_clock()
        ran, lost = self._run_due(None, None)
        return ran + lost

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=f"scheduler-{self.node_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the job in hand; a job left unfinished is picked up again when its lease expires."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            busy = False
            try:
                # A full batch means more jobs are probably waiting: go again without sleeping.
                busy = self.tick() >= self.batch_size
            except Exception:
                log.exception("scheduler tick failed on node %s", self.node_id)
            if not busy:
                self._stopping.wait(self.interval)


def adopt_clock(store: Store) -> None:
    """Set this process's clock offset to the stored one (none stored: left as it is)."""
    with _clock_sync_lock:
        with store.read() as conn:
            value = conn.execute(
                select(settings.c.value).where(settings.c.name == CLOCK_OFFSET_SETTING)
            ).scalar_one_or_none()
        if value is not None:
            clock.set_offset(float(value))


def announce_clock(store: Store) -> None:
    """After the stored offset changed (committed): tell the other processes on this SQLite database at once."""
    signal = store.signal(CLOCK_SIGNAL)
    if signal is not None:
        signal.bump()


class ClockFollower:
    """Test mode, SQLite: the stored clock offset adopted before every request, exactly, at a memory read's cost.

    The scheduler's tick adopts it within a second on every node; between processes on one SQLite database (the
    ``--workers``) a test that advances the clock through one worker and asks another right after must see the
    same clock. ``announce_clock`` bumps a change signal (``store/signals.py``) after each change; ``follow``
    compares it with the value noted before the last read, and reads the stored offset again only when it moved.
    PostgreSQL nodes (maybe on other hosts: no shared signal) keep the scheduler's one-second adoption.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.signal = store.signal(CLOCK_SIGNAL)
        self._seen: bytes | None = None

    def follow(self) -> None:
        if self.signal is None:
            return
        now = self.signal.value()  # noted before the read: a change committed after it bumps it again
        if now != self._seen:
            adopt_clock(self.store)
            self._seen = now


def advance_clock(store: Store, scheduler: Scheduler | None, seconds: float) -> datetime:
    """Test mode: move every node's clock forward, then run every job that became due; returns the new now.

    Handlers of recurring jobs compute the next run from ``ctx.due_at``, so advancing three days fires a daily
    job three times.
    """
    if seconds < 0:
        raise ValueError("the clock only moves forward")
    with _clock_sync_lock:
        with store.write() as conn:
            # FOR UPDATE (a no-op on SQLite, whose writes are serialised anyway) so concurrent advances add up.
            stored = conn.execute(
                select(settings.c.value).where(settings.c.name == CLOCK_OFFSET_SETTING).with_for_update()
            ).scalar_one_or_none()
            offset = (float(stored) if stored is not None else clock.offset) + seconds
            if stored is None:
                conn.execute(settings.insert().values(name=CLOCK_OFFSET_SETTING, value=repr(offset)))
            else:
                conn.execute(update(settings).where(settings.c.name == CLOCK_OFFSET_SETTING).values(value=repr(offset)))
        clock.set_offset(offset)
    announce_clock(store)
    if scheduler is not None:
        scheduler.drain()
    return clock.now()
