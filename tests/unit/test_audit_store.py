"""Group commit: many records per transaction under load, every ticket released, failures reported."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

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


def test_drain_stores_lingering_records(store: Store) -> None:
    writer = GroupCommitWriter(store, linger=30.0)
    writer.start()
    read_only = _ticket()
    read_only.awaited = False
    writer.submit(read_only)
    writer.drain()
    assert read_only.done.is_set()
    assert _stored(store) == 1
    writer.stop()


def test_stopping_stores_lingering_records(store: Store) -> None:
    writer = GroupCommitWriter(store, linger=30.0)
    writer.start()
    read_only = _ticket()
    read_only.awaited = False
    writer.submit(read_only)
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
    while writer._queue:
        pass
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
