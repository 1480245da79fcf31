"""Durable, fail-closed storage of event records with group commit.

Request threads hand their records to one writer thread and (for calls that changed something) wait until the
batch holding theirs has committed; a mutating call is never acknowledged without its record. The writer takes
whatever is queued each time it is free, so a mutation on an idle server is committed at once (no added delay)
and a busy server commits many records per transaction — one fsync instead of one per call.

Read-only calls (Encrypt, GetParameter, ...) do not wait for their records. While only such records are
queued the writer lingers up to ``LINGER_SECONDS`` to gather more of them into one transaction: a transaction
costs ~400 µs of CPU whatever its size, a record ~30 µs, so this is most of what recording a read costs. A
record somebody waits for ends the lingering at once. The price: a read-only call's record becomes durable
up to ``LINGER_SECONDS`` after the reply (kill -9 in that window loses it), and reaches LookupEvents on
another process that much later (``drain`` makes this node's own records visible first).
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from strongroom.audit import model
from strongroom.audit.data_events import DataEvents, minimal_data_record
from strongroom.audit.objects import TrailObjectSink
from strongroom.audit.records import (
    CallFacts,
    build_records,
    minimal_record,
    record_json,
    service_event_record,
    username_of,
)
from strongroom.audit.trails import TrailDelivery
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.store.bulk import BulkInsert
from strongroom.store.engine import Store

if TYPE_CHECKING:
    from strongroom.audit.runtime import AuditRuntime

log = logging.getLogger("strongroom.audit")

WAIT_SECONDS = 30.0
MAX_BATCH = 1000
MAX_QUEUE = 2 * MAX_BATCH  # beyond this, callers wait for the writer (backpressure)
LINGER_SECONDS = 0.05
MAX_RECORD_BATCHES_QUEUED = 10_000
# Upper bounds (seconds) of the record hooks' lag buckets: commit -> every hook done with the batch.
HOOK_LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

# The "internal error" each service answers when its audit record cannot be stored (AWS's own 500s).
_INTERNAL_ERRORS = {
    "kms": ("KMSInternalException", "An internal error occurred. Please try again."),
    "secretsmanager": ("InternalServiceError", "An error occurred on the server side."),
    "ssm": ("InternalServerError", "An error occurred on the server side."),
    "events": ("InternalException", "An internal error occurred. Please try again."),
    "iam": ("ServiceFailure", "The request processing has failed because of an unknown error."),
}


class AuditUnavailable(Exception):
    """The record could not be stored; the call it describes must fail."""


def internal_error(service: str) -> AwsError:
    code, message = _INTERNAL_ERRORS.get(service, ("InternalFailure", "We encountered an internal error."))
    return AwsError(message, code=code, status=500, sender_fault=False)


@dataclass(slots=True)
class Ticket:
    """One submission to the writer; ``wait`` returns once it is durable or raises ``AuditUnavailable``."""

    events: list[dict[str, Any]]
    resources: list[dict[str, Any]]
    records: list[dict[str, Any]]
    announce: bool = False
    awaited: bool = True  # someone waits for it: the writer commits without lingering
    done: threading.Event | None = None  # only what is awaited gets one: most records are read-only calls
    error: BaseException | None = None

    def __post_init__(self) -> None:
        if self.awaited and self.done is None:
            self.done = threading.Event()

    def wait(self, timeout: float = WAIT_SECONDS) -> None:
        if self.done is None:
            raise RuntimeError("nobody waits for this ticket: it was submitted with awaited=False")
        if not self.done.wait(timeout):
            raise AuditUnavailable("the audit record was not stored in time")
        if self.error is not None:
            raise AuditUnavailable(f"the audit record could not be stored: {type(self.error).__name__}")

    @property
    def event_id(self) -> str:
        return str(self.records[0]["eventID"])


def rows_for(
    records: Iterable[dict[str, Any]], at: datetime | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The audit_events and audit_event_resources rows of some records (``recorded_at`` set at commit).

    ``at`` is the precise event time (eventTime itself is to the second), which orders delivery around
    StartLogging/StopLogging.
    """
    events: list[dict[str, Any]] = []
    resources: list[dict[str, Any]] = []
    for record in records:
        identity = record.get("userIdentity") or {}
        account = _column(record.get("recipientAccountId"), 12)
        event_time = at or datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))
        events.append(
            {
                "event_id": record["eventID"],
                "account_id": account,
                # Every column is cut to its width: a client-chosen value (a credential scope's region, a key
                # id) must not make PostgreSQL refuse the whole batch of records.
                "region": _column(record.get("awsRegion"), 32) or "us-east-1",
                "event_time": event_time,
                "event_name": _column(record.get("eventName"), 128) or "",
                "event_source": _column(record.get("eventSource"), 128) or "",
                "event_type": _column(record.get("eventType"), 32) or "AwsApiCall",
                "read_only": bool(record.get("readOnly")),
                "username": _column(username_of(identity), 256),
                "access_key_id": _column(identity.get("accessKeyId"), 128),
                "record": record_json(record),
            }
        )
        for position, res in enumerate(record.get("resources") or []):
            resources.append(
                {
                    "event_id": record["eventID"],
                    "position": position,
                    "account_id": account,
                    "resource_type": _column(res.get("type"), 128),
                    "resource_name": _column(res.get("ARN"), 1024) or "",
                    "event_time": event_time,
                }
            )
    return events, resources


def _column(value: Any, width: int) -> str | None:
    """A value for a text column of ``width``: text, cut to fit, without the NUL PostgreSQL cannot store."""
    if value is None or value == "":
        return None
    text = value if isinstance(value, str) else str(value)
    return text.replace("\x00", "")[:width]


def _unrecorded() -> Ticket:
    """The ticket of a call that is not recorded (audit disabled for benchmarking): nothing stored, nobody waits."""
    return _NOT_RECORDED


# Shared by every call that is not recorded (a data event no trail selects: most S3 GETs): nothing in it changes.
_NOT_RECORDED = Ticket([], [], [{}], awaited=False)


_EVENTS = BulkInsert(model.events)
_RESOURCES = BulkInsert(model.event_resources)


class GroupCommitWriter:
    """One thread that commits queued records in batches."""

    def __init__(
        self, store: Store, on_committed: Any = None, linger: float = LINGER_SECONDS, on_batch: Any = None
    ) -> None:
        self.store = store
        self.on_committed = on_committed
        self.on_batch = on_batch  # called with every committed batch's tickets (AuditLog.on_records)
        self.linger = linger
        self._queue: list[Ticket] = []
        self._awaited = 0  # queued tickets somebody waits for
        lock = threading.Lock()
        self._cond = threading.Condition(lock)  # the writer: something to commit
        self._room = threading.Condition(lock)  # callers: the queue has room again
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.records = 0
        self.failures = 0

    def start(self) -> None:
        with self._cond:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._loop, name="audit-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            self._thread = None

    def submit(self, ticket: Ticket) -> Ticket:
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._stopping = False
                self._thread = threading.Thread(target=self._loop, name="audit-writer", daemon=True)
                self._thread.start()
            # Request threads make records faster than one writer thread, starved of the GIL by them, stores them:
            # unbounded, the queue grew by ~3 KB per request under load (and the process kept the memory).
            # Waiting here hands the writer the GIL and keeps the queue, and the process, small.
            deadline = time.monotonic() + WAIT_SECONDS
            while len(self._queue) >= MAX_QUEUE and not self._stopping:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AuditUnavailable("the audit writer is not keeping up")
                self._room.wait(remaining)
            self._queue.append(ticket)
            if ticket.awaited:
                self._awaited += 1
            # Waking the writer for every read-only record would undo the lingering: only the first of a
            # batch, a record somebody waits for, or a full batch wakes it.
            if ticket.awaited or len(self._queue) == 1 or len(self._queue) >= MAX_BATCH:
                self._cond.notify()
        return ticket

    def drain(self) -> None:
        """Return once every record queued so far on this node is stored (or its commit failed)."""
        marker = self.submit(Ticket([], [], [{}]))
        if marker.done is not None:
            marker.done.wait(WAIT_SECONDS)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                deadline = time.monotonic() + self.linger
                while not self._awaited and not self._stopping and len(self._queue) < MAX_BATCH:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                batch = self._queue[:MAX_BATCH]
                del self._queue[:MAX_BATCH]
                self._awaited -= sum(1 for t in batch if t.awaited)
                self._room.notify_all()
            self._commit(batch)

    def _commit(self, batch: list[Ticket]) -> None:
        now = clock.now()
        events = [dict(row, recorded_at=now) for t in batch for row in t.events]
        resources = [row for t in batch for row in t.resources]
        if not events and not resources:  # only drain() markers
            _release(batch)
            return
        try:
            self._insert(events, resources)
        except Exception as exc:
            if len(batch) == 1:
                self._failed(batch[0], exc)
                _release(batch)
                return
            # One record the database refuses must not take the others of its batch down with it: store them
            # one by one, so only the calls whose own record failed are refused.
            log.warning(
                "audit batch of %d records failed (%s); storing them one by one", len(events), type(exc).__name__
            )
            stored: list[Ticket] = []
            for ticket in batch:
                try:
                    rows = [dict(row, recorded_at=now) for row in ticket.events]
                    if rows or ticket.resources:
                        self._insert(rows, ticket.resources)
                    stored.append(ticket)
                except Exception as single:
                    self._failed(ticket, single)
            self.records += sum(len(t.events) for t in stored)
            _release(batch)
            if self.on_batch is not None and stored:
                self.on_batch(stored)
            for ticket in stored:
                if ticket.announce and self.on_committed is not None:
                    self.on_committed(ticket)
            return
        self.batches += 1
        self.records += len(events)
        _release(batch)
        if self.on_batch is not None:
            self.on_batch(batch)
        if self.on_committed is not None:
            for ticket in batch:
                if ticket.announce:
                    self.on_committed(ticket)

    def _insert(self, events: list[dict[str, Any]], resources: list[dict[str, Any]]) -> None:
        memo: dict[tuple[Any, Any], Any] = {}  # recorded_at once per batch, each event's time once per record
        with self.store.write() as conn:
            _EVENTS.execute(conn, events, memo=memo)
            _RESOURCES.execute(conn, resources, memo=memo)

    def _failed(self, ticket: Ticket, exc: BaseException) -> None:
        """A record that could not be stored: its call is refused, and the record goes to the server log.

        The record holds no secrets (they are left out or hidden when it is built), so the log is its last place.
        """
        self.failures += 1
        ticket.error = exc
        for record in ticket.records:
            if record:
                log.error(
                    "audit record not stored (%s): %s", type(exc).__name__, record_json(record), extra={"audit": True}
                )


def _release(batch: list[Ticket]) -> None:
    for ticket in batch:
        if ticket.done is not None:
            ticket.done.set()


@dataclass
class RecordHookStats:
    """What the record hooks (``AuditLog.on_records``) were handed and how far behind they run, for the metrics.
    Changed under the audit log's lock; read without it (a scrape tolerates a torn read of two counters)."""

    records_queued: int = 0  # handed to the hooks' thread and not yet done with (the backlog, in records)
    records_done: int = 0
    records_dropped: int = 0  # in batches dropped because the hooks were too far behind
    lag_buckets: list[int] = field(default_factory=lambda: [0] * (len(HOOK_LAG_BUCKETS) + 1))  # per batch record
    lag_sum: float = 0.0  # seconds, summed per record

    def done(self, records: int, lag: float) -> None:
        self.records_queued -= records
        self.records_done += records
        self.lag_sum += lag * records
        self.lag_buckets[bisect.bisect_left(HOOK_LAG_BUCKETS, lag)] += records


class AuditLog:
    """``runtime.audit``: records calls and service events, and owns trail delivery."""

    def __init__(self, runtime: AuditRuntime) -> None:
        self.runtime = runtime
        self.writer = GroupCommitWriter(runtime.store, on_committed=self._announce, on_batch=self._batch_committed)
        self._announcer: ThreadPoolExecutor | None = None
        self._announcer_lock = threading.Lock()
        self._api_call_hooks: list[Callable[[dict[str, Any]], Any]] = []
        self._record_hooks: list[Callable[[list[dict[str, Any]]], Any]] = []
        self._recorder: ThreadPoolExecutor | None = None
        self._record_batches_queued = 0  # handed to the record hooks' thread and not yet run
        self.record_batches_dropped = 0
        self.hooks = RecordHookStats()
        self._trails: TrailDelivery | None = None
        self.data_events = DataEvents(runtime.store)

    @property
    def trails(self) -> TrailDelivery:
        if self._trails is None:
            self._trails = TrailDelivery(self.runtime)
        return self._trails

    @property
    def object_sink(self) -> TrailObjectSink | None:
        """The server's S3 as trail files' destination (``objects.py``); None: trail directories only."""
        return self.trails.sink

    @object_sink.setter
    def object_sink(self, sink: TrailObjectSink | None) -> None:
        self.trails.sink = sink

    @property
    def disabled(self) -> bool:
        """STRONGROOM_BENCH_DISABLE_AUDIT: only to measure what the audit trail costs (bench/)."""
        return bool(self.runtime.config.bench_disable_audit)

    def start(self) -> None:
        if self.disabled:
            log.warning("AUDIT DISABLED (bench_disable_audit): a benchmarking aid; no call is being recorded")
        self.writer.start()
        self.trails.register()

    def stop(self) -> None:
        self.writer.stop()
        try:
            self.trails.deliver(grace_seconds=0.0)
        except Exception:
            log.exception("final trail delivery failed")
        # Taken out under the lock, waited for outside it: a batch still running takes the lock when it finishes
        # (``_run_record_hooks``), so waiting while holding it never returned (a stop right after a request hung).
        with self._announcer_lock:
            executors = [e for e in (self._announcer, self._recorder) if e is not None]
            self._announcer = self._recorder = None
        for executor in executors:
            executor.shutdown(wait=True)

    def flush(self) -> int:
        """Deliver every stored record to the trails now; returns the number of log files written."""
        self.drain()
        return self.trails.deliver(grace_seconds=0.0)

    def drain(self) -> None:
        """Make every record queued on this node so far durable (LookupEvents reads its own node's calls)."""
        if not self.disabled:
            self.writer.drain()

    # -- recording ------------------------------------------------------------------------------------------

    def record_call(self, facts: CallFacts) -> Ticket:
        """Queue the record(s) of one API call; the caller waits on the ticket when ``ticket.awaited``.

        A successful call that changed something is acknowledged only once its record is durable.
        """
        if self.disabled:
            return _unrecorded()
        spec = facts.spec
        if spec is not None and spec.data_event and facts.principal is not None:
            return self._record_data_event(facts)
        # Building the record and its rows never fails the call: anything the full record cannot hold falls back
        # to the minimal record (who, what, when, the outcome), which is built from pipeline facts alone.
        try:
            records = build_records(facts)
            events, resources = rows_for(records, facts.event_time)
        except Exception:
            log.exception("could not build the audit record of %s:%s", facts.service_name, facts.event_name)
            records = [minimal_record(facts)]
            events, resources = rows_for(records, facts.event_time)
        first = records[0]
        changed = facts.error_code is None and first.get("readOnly") is False
        announce = changed and bool(first.get("recipientAccountId"))
        return self.writer.submit(Ticket(events, resources, records, announce=announce, awaited=changed))

    def _record_data_event(self, facts: CallFacts) -> Ticket:
        """An S3 object call: recorded only for the accounts whose trails select it (``data_events.py``), and
        stored so that event history leaves it out. As for every call, a change is acknowledged only once durable.

        (A request that failed authentication has no principal: it is recorded as such calls are everywhere, for
        the claimed key's account.)
        """
        try:
            records = self.data_events.records(facts)
        except Exception:
            log.exception("could not build the data event of %s:%s", facts.service_name, facts.event_name)
            records = [minimal_data_record(facts)]
        if not records:
            return _NOT_RECORDED
        events, resources = rows_for(records, facts.event_time)
        for row in events:
            row["event_type"] = model.DATA_EVENT_ROW_TYPE
        first = records[0]
        changed = facts.error_code is None and first.get("readOnly") is False
        announce = changed and bool(first.get("recipientAccountId"))
        return self.writer.submit(Ticket(events, resources, records, announce=announce, awaited=changed))

    def service_event(
        self,
        service: str,
        event_name: str,
        account_id: str,
        region: str,
        resources: Iterable[str] = (),
        details: dict[str, Any] | None = None,
        *,
        at: datetime | None = None,
        read_only: bool = False,
        wait: bool = True,
    ) -> str:
        """Record an AwsServiceEvent (the server's own scheduled action); returns its eventID.

        ``service`` is the short name (``kms``); with ``wait`` (the default) this returns only once the record is
        durable and raises ``AuditUnavailable`` otherwise, so a scheduled job retries instead of acting unrecorded.
        """
        moment = at or clock.now()
        if self.disabled:
            return ""
        record = service_event_record(service, event_name, account_id, region, resources, details, moment, read_only)
        events, res = rows_for([record], moment)
        ticket = self.writer.submit(Ticket(events, res, [record], announce=not read_only, awaited=wait))
        if wait:
            ticket.wait()
        return str(record["eventID"])

    def record_sign_in(self, record: dict[str, Any]) -> None:
        """Record a console sign-in (``records.console_login_record``), durable when this returns: a session is
        handed out only once its ConsoleLogin is on record. Announced like a changing call (EventBridge's
        "AWS Console Sign In via CloudTrail")."""
        if self.disabled:
            return
        events, res = rows_for([record], clock.now())
        self.writer.submit(Ticket(events, res, [record], announce=True, awaited=True)).wait()

    def record_insight(self, record: dict[str, Any]) -> None:
        """Record a CloudTrail Insights event (``eventCategory: Insight``), durable when this returns.

        It is not announced as an API call; trails deliver it only when their insight selectors ask for its type
        (``trails.takes``), LookupEvents shows it only for ``EventCategory=insight``.
        """
        if self.disabled:
            return
        events, res = rows_for([record], clock.now())
        self.writer.submit(Ticket(events, res, [record], announce=False, awaited=True)).wait()

    def on_api_call(self, hook: Callable[[dict[str, Any]], Any]) -> None:
        """Call ``hook(record)`` for each durable record of a call that changed something, off the request path.

        The server registers EventBridge's "AWS API Call via CloudTrail" here (``events.bus.publish_api_call_event``);
        ``audit/`` does not import ``events/``.
        """
        self._api_call_hooks.append(hook)

    def on_records(self, hook: Callable[[list[dict[str, Any]]], Any]) -> None:
        """Call ``hook(records)`` with every committed batch of records — reads, failures and data events included —
        on one thread of its own, off the request path and off the writer's (the server registers GuardDuty's
        live detector here). One call per committed batch, records in commit order, so a hook does its per-batch
        work (a query, a transaction) once per batch, not per request.

        A hook that falls more than ``MAX_RECORD_BATCHES_QUEUED`` batches behind loses the newest ones (counted in
        ``record_batches_dropped``, logged): recording calls never waits for a hook.
        """
        self._record_hooks.append(hook)

    def _batch_committed(self, batch: list[Ticket]) -> None:
        if not self._record_hooks:
            return
        records = [record for ticket in batch for record in ticket.records if record]
        if not records:
            return
        with self._announcer_lock:
            if self._record_batches_queued >= MAX_RECORD_BATCHES_QUEUED:
                self.record_batches_dropped += 1
                self.hooks.records_dropped += len(records)
                log.warning(
                    "audit record hooks are %d batches behind; a batch was not handed to them",
                    self._record_batches_queued,
                )
                return
            if self._recorder is None:
                self._recorder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-records")
            self._record_batches_queued += 1
            self.hooks.records_queued += len(records)
            executor = self._recorder
        executor.submit(self._run_record_hooks, records, time.monotonic())

    def _run_record_hooks(self, records: list[dict[str, Any]], committed: float) -> None:
        try:
            for hook in self._record_hooks:
                try:
                    hook(records)
                except Exception:
                    log.exception("an audit record hook failed on a batch of %d records", len(records))
        finally:
            lag = time.monotonic() - committed
            with self._announcer_lock:
                self._record_batches_queued -= 1
                self.hooks.done(len(records), lag)

    @property
    def record_batches_queued(self) -> int:
        """Batches handed to the record hooks and not yet done with (the backlog)."""
        return self._record_batches_queued

    def _announce(self, ticket: Ticket) -> None:
        """Hand a committed ticket's first record to the hooks, after the record is durable."""
        if not self._api_call_hooks:
            return
        with self._announcer_lock:
            if self._announcer is None:
                self._announcer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-events")
            executor = self._announcer
        for record in ticket.records[:1]:
            for hook in self._api_call_hooks:
                executor.submit(self._publish, hook, record)

    def _publish(self, hook: Callable[[dict[str, Any]], Any], record: dict[str, Any]) -> None:
        try:
            hook(record)
        except Exception:
            log.exception("could not publish the API call event of %s", record.get("eventName"))
