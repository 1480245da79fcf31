"""Group commit: many records per transaction under load, every ticket released, failures reported."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from strongroom.audit import model
from strongroom.audit.store import AuditUnavailable, GroupCommitWriter, Ticket, rows_for
from strongroom.store.engine import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'a.db'}")
    s.migrate()
    yield s
    s.dispose()


def _ticket() -> Ticket:
    record = {"eventID": str(uuid.uuid4()), "eventTime": "2025-01-01T00:00:00Z", "recipientAccountId": "111122223333"}
    events, resources = rows_for([record])
    return Ticket(events, resources, [record])


def test_concurrent_records_share_commits(store: Store) -> None:
    writer = GroupCommitWriter(store)
    writer.start()

    def submit() -> None:
        for _ in range(25):
            writer.submit(_ticket()).wait()

    threads = [threading.Thread(target=submit) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.stop()
    with store.read() as conn:
        assert conn.execute(select(func.count()).select_from(model.events)).scalar_one() == 400
    assert writer.records == 400
    assert writer.batches < 400  # several records per transaction


def test_a_failed_commit_fails_every_waiter(store: Store) -> None:
    writer = GroupCommitWriter(store)
    first = _ticket()
    duplicate = Ticket(first.events, first.resources, first.records)  # same eventID: the unique key refuses it
    writer.submit(first).wait()
    with pytest.raises(AuditUnavailable):
        writer.submit(duplicate).wait()
    assert writer.failures == 1
    writer.stop()


def _stored(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(model.events)).scalar_one())


def test_read_only_records_linger_into_one_transaction_until_someone_waits(store: Store) -> None:
    writer = GroupCommitWriter(store, linger=30.0)  # longer than the test: only a waiter can end the lingering
    writer.start()
    for _ in range(50):
        ticket = _ticket()
        ticket.awaited = False
        writer.submit(ticket)
    writer.submit(_ticket()).wait()  # a mutation's record: committed at once, with everything queued before it
    assert writer.batches == 1
    assert _stored(store) == 51
    writer.stop()


def _lingering(store: Store) -> tuple[GroupCommitWriter, Ticket]:
    """A writer that would linger longer than any test, holding one read-only record."""
    writer = GroupCommitWriter(store, linger=30.0)
    writer.start()
    read_only = _ticket()
    read_only.awaited = False
    writer.submit(read_only)
    return writer, read_only


def test_drain_stores_lingering_records(store: Store) -> None:
    writer, read_only = _lingering(store)
    writer.drain()
    assert read_only.done.is_set()
    assert _stored(store) == 1
    writer.stop()


def test_stopping_stores_lingering_records(store: Store) -> None:
    writer, _ = _lingering(store)
    writer.stop()
    assert _stored(store) == 1


def test_callers_wait_when_the_writer_falls_behind(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Backpressure: the queue never grows past MAX_QUEUE, so neither does the process."""
    from strongroom.audit import store as audit_store

    monkeypatch.setattr(audit_store, "MAX_QUEUE", 4)
    gate = threading.Event()
    writer = GroupCommitWriter(store, linger=0.0)
    real_commit = writer._commit

    def slow_commit(batch: list[Ticket]) -> None:
        gate.wait(30)
        real_commit(batch)

    monkeypatch.setattr(writer, "_commit", slow_commit)
    writer.start()
    writer.submit(_ticket())  # taken by the writer, which now hangs in its commit
    deadline = time.monotonic() + 10
    while writer._queue:
        assert time.monotonic() < deadline, "the writer never took the ticket"
        time.sleep(0.001)
    for _ in range(4):
        ticket = _ticket()
        ticket.awaited = False
        writer.submit(ticket)
    extra = threading.Thread(target=lambda: writer.submit(_ticket()).wait())
    extra.start()
    extra.join(0.3)
    assert extra.is_alive()  # the fifth queued record waits for room
    gate.set()
    extra.join(30)
    assert not extra.is_alive()
    writer.stop()
    assert _stored(store) == 6


def test_bulk_insert_stores_what_sqlalchemy_stores(store: Store) -> None:
    """The multi-row INSERT goes around SQLAlchemy's execution path but not around its type processing."""
    from strongroom.store.bulk import BulkInsert, _chunk_sizes

    def rows(n: int) -> list[dict[str, Any]]:
        records = [
            {
                "eventID": str(uuid.uuid4()),
                "eventTime": "2025-01-01T00:00:00Z",
                "recipientAccountId": "111122223333",
                "readOnly": i % 2 == 0,
                "eventName": "Encrypt",
                "userIdentity": {"type": "Root", "accountId": "111122223333"},
            }
            for i in range(n)
        ]
        events, _ = rows_for(records, datetime(2025, 1, 1, 12, 30, 45, 123456, tzinfo=UTC))
        return [dict(e, recorded_at=datetime(2025, 1, 2, tzinfo=UTC)) for e in events]

    bulk, plain = rows(3), rows(3)
    with store.write() as conn:
        BulkInsert(model.events).execute(conn, bulk)
        conn.execute(model.events.insert(), plain)
    with store.read() as conn:
        raw = {
            r[0]: tuple(r[1:])
            for r in conn.exec_driver_sql(
                "SELECT event_id, event_time, recorded_at, read_only, record FROM audit_events"
            )
        }
    for mine, theirs in zip(bulk, plain, strict=True):
        assert raw[mine["event_id"]][:3] == raw[theirs["event_id"]][:3]
    many = rows(2500)  # more than one statement's worth on old SQLite limits, several chunk sizes
    with store.write() as conn:
        BulkInsert(model.events).execute(conn, many)
    assert _stored(store) == 2506
    assert _chunk_sizes(2500, 2730) == [1024, 1024, 256, 128, 64, 4]
    assert _chunk_sizes(5, 1) == [1, 1, 1, 1, 1]


def test_every_committed_batch_reaches_on_batch_reads_included(store: Store) -> None:
    """GuardDuty's live detector sees every record (not only mutations), once, in committed batches."""
    batches: list[list[Ticket]] = []
    writer = GroupCommitWriter(store, on_batch=batches.append)
    read = _ticket()
    read.awaited, read.done = False, None  # a read-only call: nobody waits for it
    writer.submit(read)
    writer.submit(_ticket()).wait()
    writer.drain()
    writer.stop()
    seen = [t.records[0]["eventID"] for batch in batches for t in batch if t.records[0]]
    assert read.records[0]["eventID"] in seen and len(seen) == 2
