"""The scheduler: upsert/cancel, leases, retries, takeover, clock advance, and two live nodes on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text, update

from strongroom.core.clock import clock
from strongroom.scheduler.jobs import (
    CLOCK_OFFSET_SETTING,
    JobContext,
    JobResult,
    Scheduler,
    advance_clock,
)
from strongroom.scheduler.model import jobs
from strongroom.store.engine import Store
from strongroom.store.settings import get_setting
from tests.conftest import BACKENDS
from tests.support.postgres import fresh_database
from tests.support.scheduler_node import PROBE_KIND, PROBE_TABLE_DDL

# ``postgres_url`` comes from tests/support/fixtures_pg.py, loaded by tests/conftest.py.
REPO_ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.set_offset(0.0)
    yield
    clock.set_offset(0.0)


class Recorder:
    """A handler that remembers what it ran and can be told to fail."""

    def __init__(self, fail_times: int = 0) -> None:
        self.calls: list[JobContext] = []
        self.fail_times = fail_times

    def __call__(self, ctx: JobContext) -> JobResult | None:
        self.calls.append(ctx)
        if self.fail_times > 0:
            self.fail_times -= 1
            raise RuntimeError("backend unavailable")
        return None

    @property
    def keys(self) -> list[str]:
        return [ctx.key for ctx in self.calls]


def test_schedule_upserts_and_cancel_removes(store: Store) -> None:
    sched = Scheduler(store, "n1")
    due = clock.later(hours=1)
    assert sched.schedule("kms-delete", "key-1", due, {"a": 1}) == "kms-delete:key-1"
    sched.schedule("kms-delete", "key-1", due + timedelta(days=1), {"a": 2})
    [job] = sched.list_jobs()
    assert (job.key, job.due_at, job.payload) == ("key-1", due + timedelta(days=1), {"a": 2})

    assert sched.cancel("kms-delete", "key-1") is True
    assert sched.cancel("kms-delete", "key-1") is False
    assert sched.get_job("kms-delete", "key-1") is None


def test_schedule_joins_the_callers_transaction(store: Store) -> None:
    sched = Scheduler(store, "n1")
    with pytest.raises(RuntimeError), store.write() as conn:
        sched.schedule("kind", "rolled-back", clock.now(), conn=conn)
        raise RuntimeError("provider failed after scheduling")
    assert sched.get_job("kind", "rolled-back") is None

    with store.write() as conn:
        sched.schedule("kind", "kept", clock.now(), conn=conn)
        assert sched.cancel("kind", "missing", conn=conn) is False
    assert sched.get_job("kind", "kept") is not None


def test_bad_jobs_are_rejected(store: Store) -> None:
    sched = Scheduler(store, "n1")
    with pytest.raises(ValueError):
        sched.schedule("a:b", "k", clock.now())
    with pytest.raises(ValueError):
        sched.schedule("kind", "k", datetime(2030, 1, 1))  # naive


def test_run_due_runs_due_jobs_once_in_due_order(store: Store) -> None:
    sched = Scheduler(store, "n1")
    rec = Recorder()
    sched.register("work", rec)
    now = clock.now()
    sched.schedule("work", "third", now - timedelta(seconds=1), {"n": 3})
    sched.schedule("work", "first", now - timedelta(minutes=5), {"n": 1})
    sched.schedule("work", "second", now - timedelta(minutes=1), {"n": 2})
    sched.schedule("work", "future", now + timedelta(hours=1))
    sched.schedule("unhandled", "x", now - timedelta(hours=1))  # no handler here: left for another node

    assert sched.run_due() == 3
    assert rec.keys == ["first", "second", "third"]
    assert [ctx.payload["n"] for ctx in rec.calls] == [1, 2, 3]
    assert sched.run_due() == 0
    assert {job.job_id for job in sched.list_jobs()} == {"work:future", "unhandled:x"}

    assert sched.run_due(now + timedelta(hours=1)) == 1
    assert rec.keys[-1] == "future"
    assert sched.get_job("work", "future") is None


def test_failing_handler_backs_off_and_records_the_error(store: Store) -> None:
    sched = Scheduler(store, "n1", retry_base=5, retry_cap=60)
    rec = Recorder(fail_times=2)
    sched.register("flaky", rec)
    due = clock.now() - timedelta(seconds=1)
    sched.schedule("flaky", "k", due)

    assert sched.run_due() == 1
    job = sched.get_job("flaky", "k")
    assert job is not None and job.attempts == 1 and job.lease_owner is None
    assert job.last_error == "RuntimeError: backend unavailable"
    assert job.due_at == due  # a retry keeps the original due time
    assert job.lease_until is not None and job.lease_until > clock.later(seconds=4)

    assert sched.run_due() == 0  # backed off
    clock.advance(5.5)
    assert sched.run_due() == 1
    job = sched.get_job("flaky", "k")
    assert job is not None and job.attempts == 2
    assert job.lease_until is not None and job.lease_until > clock.later(seconds=9)  # 5 s, then 10 s

    clock.advance(10.5)
    assert sched.run_due() == 1
    assert sched.get_job("flaky", "k") is None
    assert [ctx.attempts for ctx in rec.calls] == [0, 1, 2]
    assert [sched.backoff(n) for n in (1, 2, 3, 4, 5, 50)] == [5, 10, 20, 40, 60, 60]


def test_handler_can_reschedule_itself(store: Store) -> None:
    sched = Scheduler(store, "n1")

    def renew(ctx: JobContext) -> JobResult:
        return JobResult.again(ctx.due_at + timedelta(days=30), {"round": ctx.payload["round"] + 1})

    sched.register("renew", renew)
    due = clock.now()
    sched.schedule("renew", "cert", due, {"round": 1})
    assert sched.run_due() == 1
    job = sched.get_job("renew", "cert")
    assert job is not None
    assert (job.due_at, job.payload, job.lease_owner, job.lease_until) == (
        due + timedelta(days=30),
        {"round": 2},
        None,
        None,
    )


def test_a_replacement_scheduled_while_running_survives(store: Store) -> None:
    sched = Scheduler(store, "n1")
    later = clock.later(days=7)

    def replace_self(ctx: JobContext) -> None:
        sched.schedule(ctx.kind, ctx.key, later, {"replaced": True})

    sched.register("self", replace_self)
    sched.schedule("self", "k", clock.now())
    assert sched.run_due() == 1
    job = sched.get_job("self", "k")
    assert job is not None and job.due_at == later and job.payload == {"replaced": True}


def test_expired_lease_of_a_crashed_node_is_taken_over(store: Store) -> None:
    crashed = Scheduler(store, "crashed", lease_seconds=60)
    crashed.register("work", Recorder())
    survivor = Scheduler(store, "survivor", lease_seconds=60)
    rec = Recorder()
    survivor.register("work", rec)
    sched_id = survivor.schedule("work", "k", clock.now())

    leased = crashed._lease(sched_id, clock.now())  # the crashed node took the job and never finished it
    assert leased is not None
    row, token = leased
    assert survivor.run_due() == 0
    clock.advance(30)
    assert survivor.run_due() == 0

    clock.advance(31)
    assert survivor.run_due() == 1
    assert rec.keys == ["k"]
    assert survivor.get_job("work", "k") is None
    crashed._finish(row, token, None)  # a late finish from the old lease holder changes nothing
    assert survivor.run_due() == 0


def test_only_one_node_wins_a_lease(store: Store) -> None:
    a, b = Scheduler(store, "a"), Scheduler(store, "b")
    job_id = a.schedule("work", "k", clock.now())
    now = clock.now()
    assert a._lease(job_id, now) is not None
    assert b._lease(job_id, now) is None
    with store.write() as conn:
        conn.execute(update(jobs).values(lease_until=now - timedelta(seconds=1)))
    assert b._lease(job_id, now) is not None


def test_advance_clock_fires_a_daily_job_once_per_day(store: Store) -> None:
    sched = Scheduler(store, "n1")
    fired: list[datetime] = []

    def daily(ctx: JobContext) -> JobResult:
        fired.append(ctx.due_at)
        return JobResult.again(ctx.due_at + timedelta(days=1))

    sched.register("daily", daily)
    first = clock.later(hours=1)
    sched.schedule("daily", "rotate", first)
    other = clock.later(days=2, hours=2)
    sched.schedule("daily", "other", other)

    advance_clock(store, sched, 3 * DAY)
    # Each run at its own due moment, both keys interleaved in due order; the next "rotate" (+73 h) is not due.
    assert fired == [first, first + timedelta(days=1), first + timedelta(days=2), other]
    assert float(get_setting(store, CLOCK_OFFSET_SETTING) or 0) == pytest.approx(3 * DAY)

    for _day in range(2):
        advance_clock(store, sched, DAY)
    assert len(fired) == 8

    # Another node adopts the shared offset on its next tick.
    clock.set_offset(0.0)
    Scheduler(store, "n2").refresh_clock()
    assert clock.offset == pytest.approx(5 * DAY)


def test_background_loop_runs_jobs_and_survives_failures(store: Store) -> None:
    sched = Scheduler(store, "n1", interval=0.02, retry_base=0.05, retry_cap=0.05)
    rec = Recorder(fail_times=1)
    sched.register("bg", rec)
    sched.start()
    try:
        sched.schedule("bg", "k", clock.now())
        deadline = time.monotonic() + 10
        while sched.get_job("bg", "k") is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sched.get_job("bg", "k") is None
        assert rec.keys == ["k", "k"]
        assert sched.running
    finally:
        sched.stop()
    assert not sched.running


@pytest.mark.skipif("postgres" not in BACKENDS, reason="PostgreSQL backend deselected by STRONGROOM_TEST_BACKENDS")
def test_two_processes_run_each_job_exactly_once(request: pytest.FixtureRequest) -> None:
    url = fresh_database(request.getfixturevalue("postgres_url"))
    db = Store(url)
    db.migrate()
    with db.write() as conn:
        conn.execute(text(PROBE_TABLE_DDL))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    nodes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.scheduler_node", url, f"node-{n}"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in (1, 2)
    ]
    try:
        for node in nodes:
            assert node.stdout is not None and node.stdout.readline().strip() == "ready"
        sched = Scheduler(db, "test")
        due = clock.later(seconds=0.5)  # both loops are live before anything is due
        with db.write() as conn:
            for i in range(50):
                sched.schedule(PROBE_KIND, f"job-{i:02d}", due, {"i": i}, conn=conn)

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with db.read() as conn:
                if conn.execute(select(func.count()).select_from(jobs)).scalar() == 0:
                    break
            time.sleep(0.05)
    finally:
        for node in nodes:
            assert node.stdin is not None
            node.stdin.close()
        codes = [node.wait(timeout=30) for node in nodes]

    assert codes == [0, 0]
    with db.read() as conn:
        rows: list[Any] = list(conn.execute(text("SELECT job_id, node_id FROM sched_probe")))
        left = conn.execute(select(func.count()).select_from(jobs)).scalar()
    db.dispose()
    assert left == 0
    assert sorted(job_id for job_id, _ in rows) == [f"probe:job-{i:02d}" for i in range(50)]
    assert {node_id for _, node_id in rows} == {"node-1", "node-2"}  # both nodes really competed
