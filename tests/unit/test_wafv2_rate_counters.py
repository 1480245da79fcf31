"""Rate-based rule counters shared across nodes: two Store objects on one database count the same keys."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from strongroom.core.config import sqlite_url
from strongroom.services.wafv2.model import rate_counters
from strongroom.services.wafv2.ratecounters import SharedRateCounter, counter_id, rate_store_for, sweep
from strongroom.store.engine import Store
from strongroom.waf.engine import WebAclEvaluator
from strongroom.waf.ratelimit import InMemoryRateCounter
from strongroom.waf.request import WafRequest
from tests.support.postgres import fresh_database

ACL = "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/acl/1"
RULE = "awswaf:000000000000:webacl:acl:rate"
T0 = 1_800_000_000.0  # a multiple of 60, 120 and 300: a bucket starts here


@pytest.fixture(params=["sqlite", "postgres"])
def nodes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two nodes' stores on one database (two engines, two connection pools)."""
    sqlite = request.param == "sqlite"
    url = sqlite_url(tmp_path) if sqlite else fresh_database(request.getfixturevalue("postgres_url"))
    a, b = Store(url), Store(url)
    a.migrate()
    yield a, b
    a.dispose()
    b.dispose()


def _rows(store: Store) -> list[tuple[str, int, int]]:
    with store.read() as conn:
        return [
            tuple(r)
            for r in conn.execute(select(rate_counters.c.counter, rate_counters.c.bucket, rate_counters.c.hits))
        ]


def test_two_nodes_reach_the_limit_together(nodes: tuple[Store, Store]) -> None:
    a, b = (SharedRateCounter(s, ACL) for s in nodes)
    counts = [(a if i % 2 else b).hit(RULE, "203.0.113.9", T0 + i, 60, 10) for i in range(12)]
    assert counts == list(range(1, 13))  # each node sees the other's hits: the 11th request is over the limit
    assert b.hit(RULE, "198.51.100.1", T0 + 12, 60, 10) == 1  # another key, its own counter


def test_the_window_slides_and_expires(nodes: tuple[Store, Store]) -> None:
    a, b = (SharedRateCounter(s, ACL) for s in nodes)
    for i in range(20):
        a.hit(RULE, "k", T0 + i, 60, 10)  # 20 hits early in bucket [T0, T0+60)
    # half-way through the next bucket the previous one weighs one half: 20 * 0.5 + this hit
    assert b.hit(RULE, "k", T0 + 90, 60, 10) == 11
    # three quarters through: 20 * 0.25 + 2
    assert a.hit(RULE, "k", T0 + 105, 60, 10) == 7
    # two windows later nothing of it counts
    assert b.hit(RULE, "k", T0 + 180, 60, 10) == 1
    assert sweep(nodes[0], T0 + 121) == 1  # [T0, T0+60) expired at T0+120
    assert sorted(bucket for _, bucket, _ in _rows(nodes[0])) == [T0 + 60, T0 + 180]


def test_windows_and_scopes_are_separate_counters(nodes: tuple[Store, Store]) -> None:
    a = SharedRateCounter(nodes[0], ACL)
    other_region = SharedRateCounter(nodes[1], ACL.replace("us-east-1", "eu-west-1"))
    assert [a.hit(RULE, "k", T0, 60, 10), a.hit(RULE, "k", T0, 120, 10)] == [1, 1]
    assert other_region.hit(RULE, "k", T0, 60, 10) == 1
    assert len(_rows(nodes[0])) == 3


def test_huge_and_odd_keys_are_hashed_never_stored(nodes: tuple[Store, Store]) -> None:
    a, b = (SharedRateCounter(s, ACL) for s in nodes)
    secret = "Bearer " + "s3cr3t-" * 1500  # a 10 KB header value carrying a credential
    odd = "\udcff\x00caf\xe9\u202e"  # a lone surrogate (undecodable byte), NUL, Latin-1, bidi control
    assert a.hit(RULE, secret, T0, 60, 10) == 1
    assert b.hit(RULE, secret, T0 + 1, 60, 10) == 2
    assert a.hit(RULE, odd, T0, 60, 10) == 1
    assert b.hit(RULE, odd, T0 + 1, 60, 10) == 2
    rows = _rows(nodes[0])
    assert {c for c, _, _ in rows} == {counter_id(ACL, RULE, 60, secret), counter_id(ACL, RULE, 60, odd)}
    assert all(len(c) == 64 and "s3cr3t" not in c for c, _, _ in rows)


def test_write_behind_counts_locally_and_flushes_in_one_transaction(nodes: tuple[Store, Store]) -> None:
    a = SharedRateCounter(nodes[0], ACL, flush_interval=3600)  # the thread will not flush during the test
    b = SharedRateCounter(nodes[1], ACL, flush_interval=3600)
    try:
        assert [a.hit(RULE, "k", T0 + i / 100, 60, 10) for i in range(50)] == list(range(1, 51))  # local view
        assert _rows(nodes[0]) == []  # nothing written in the request path
        assert b.hit(RULE, "k", T0 + 0.5, 60, 10) == 1  # b cannot see a's unwritten hits
        a.flush()
        b.flush()
        assert _rows(nodes[0])[0][2] == 51
        assert a.hit(RULE, "k", T0 + 1.5, 60, 10) == 51  # a flushed first: b's hit reaches it at its next flush
        assert b.hit(RULE, "k", T0 + 1.5, 60, 10) == 52  # b's total includes a's fifty
        a.flush()
        assert a.hit(RULE, "k", T0 + 2, 60, 10) == 53  # now a has b's first hit too (b's second is unwritten)
    finally:
        a.close()
        b.close()
    assert _rows(nodes[0])[0][2] == 54  # close() writes what was left


def test_write_behind_thread_flushes_by_itself(nodes: tuple[Store, Store]) -> None:
    a = SharedRateCounter(nodes[0], ACL, flush_interval=0.05)
    try:
        for i in range(5):
            a.hit(RULE, "k", T0 + i, 60, 10)
        deadline = time.monotonic() + 10
        while not _rows(nodes[0]) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows(nodes[0])[0][2] == 5
    finally:
        a.close()


def test_rolled_over_buckets_keep_their_unwritten_hits(nodes: tuple[Store, Store]) -> None:
    a = SharedRateCounter(nodes[0], ACL, flush_interval=3600, max_keys=2)
    try:
        for i in range(4):
            a.hit(RULE, "k", T0 + i, 60, 10)
        assert a.hit(RULE, "k", T0 + 61, 60, 10) == 1 + 4 * 59 // 60  # the next bucket: 4 x (1 - 1/60) + 1
        for key in ("x", "y", "z"):  # evicts "k" from the bounded slots
            a.hit(RULE, key, T0 + 62, 60, 10)
        a.flush()
        cid = counter_id(ACL, RULE, 60, "k")
        assert sorted((b, h) for c, b, h in _rows(nodes[0]) if c == cid) == [(T0, 4), (T0 + 60, 1)]
    finally:
        a.close()


def test_rate_based_rule_blocks_across_nodes_through_the_engine(nodes: tuple[Store, Store]) -> None:
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    rate = {"RateBasedStatement": {"Limit": 10, "EvaluationWindowSec": 60, "AggregateKeyType": "IP"}}
    acl = {
        "Name": "acl",
        "ARN": ACL,
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": vis,
        "Rules": [{"Name": "rate", "Priority": 0, "Statement": rate, "Action": {"Block": {}}, "VisibilityConfig": vis}],
    }
    pg = SimpleNamespace(store=nodes[0], config=SimpleNamespace(workers=2))  # two workers: shared even on SQLite
    one, two = (
        WebAclEvaluator(acl, rate_store=rate_store_for(pg, ACL, flush_interval=0)),
        WebAclEvaluator(acl, rate_store=SharedRateCounter(nodes[1], ACL)),
    )
    req = WafRequest(method="GET", uri_path="/", source_ip="203.0.113.9")
    actions = [(one if i % 2 else two).evaluate(req, T0 + i).action for i in range(11)]
    assert actions == ["ALLOW"] * 10 + ["BLOCK"]
    assert one.evaluate(req, T0 + 200).action == "ALLOW"  # recovered two windows later


def test_factory_picks_the_store(tmp_path: Path) -> None:
    lite = Store(sqlite_url(tmp_path))
    try:
        single = rate_store_for(lite, ACL)
        assert isinstance(single, InMemoryRateCounter)
        assert rate_store_for(lite, ACL) is single  # kept across evaluator rebuilds
        assert rate_store_for(lite, ACL + "x") is not single
        workers = SimpleNamespace(store=Store(sqlite_url(tmp_path)), config=SimpleNamespace(workers=4))
        assert isinstance(rate_store_for(workers, ACL), SharedRateCounter)
        workers.store.dispose()
        with pytest.raises(TypeError):
            rate_store_for(object(), ACL)
    finally:
        lite.dispose()


def test_postgres_gets_the_shared_store(postgres_url: str) -> None:
    store = Store(fresh_database(postgres_url))
    try:
        assert isinstance(rate_store_for(store, ACL), SharedRateCounter)
    finally:
        store.dispose()


def test_in_memory_counter_hashes_keys_and_follows_limit_changes() -> None:
    mem = InMemoryRateCounter()
    key = "x" * 10_000
    assert [mem.hit(RULE, key, T0, 60, 10) for _ in range(12)][-1] == 11  # at most limit + 1 kept
    assert all(len(k[1]) == 16 for k in mem._keys)
    assert mem.hit(RULE, key, T0, 60, 100) == 12  # the limit went up: the history is kept, not capped at 11


def test_per_hit_cost(nodes: tuple[Store, Store], capsys: pytest.CaptureFixture[str]) -> None:
    """Not a benchmark: prints what one hit costs on this backend (docs/waf-engine.md quotes the figures)."""
    direct = SharedRateCounter(nodes[0], ACL)
    batched = SharedRateCounter(nodes[0], ACL, flush_interval=3600)
    n = 200
    started = time.perf_counter()
    for i in range(n):
        direct.hit(RULE, f"d{i % 10}", T0 + i / n, 60, 10_000)
    per_write = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for i in range(n):
        batched.hit(RULE, f"b{i % 10}", T0 + i / n, 60, 10_000)
    per_batched = (time.perf_counter() - started) / n
    with capsys.disabled():
        name = nodes[0].engine.dialect.name
        print(f"\n{name}: {per_write * 1e6:.0f} µs/hit written, {per_batched * 1e6:.1f} µs batched")
    assert per_batched < per_write
    started = time.perf_counter()
    batched.close()
    print(f"one flush of 10 counters: {(time.perf_counter() - started) * 1e3:.1f} ms")
    with nodes[0].read() as conn:
        assert conn.execute(select(func.count()).select_from(rate_counters)).scalar_one() == 20


def test_the_server_sweeps_expired_buckets_every_minute(tmp_path: Path) -> None:
    from datetime import timedelta

    from strongroom.core.clock import clock
    from strongroom.core.config import load_config
    from strongroom.server.runtime import Runtime
    from strongroom.services.wafv2.ratecounters import SWEEP_JOB
    from tests.support.server import ServerProcess

    ServerProcess(tmp_path).init()
    runtime = Runtime.open(load_config(tmp_path, test_mode=True))
    try:
        assert runtime.providers.provider("wafv2") is not None  # it scheduled the sweep when it started
        job = runtime.scheduler.get_job(SWEEP_JOB, "all")
        assert job is not None
        now = clock.now()  # the scheduler's clock: an earlier test in this process may have moved it
        old = SharedRateCounter(runtime.store, ACL)
        old.hit(RULE, "k", now.timestamp() - 1000, 60, 10)  # a bucket long expired
        old.hit(RULE, "k", now.timestamp(), 60, 10)
        assert runtime.scheduler.run_due(now + timedelta(minutes=2)) >= 1
        assert [b for _, b, _ in _rows(runtime.store)] == [int(now.timestamp() // 60) * 60]
        again = runtime.scheduler.get_job(SWEEP_JOB, "all")
        assert again is not None and again.due_at > now  # and again a minute later
    finally:
        runtime.close()


def test_shutdown_writes_what_write_behind_holds(postgres_url: str) -> None:
    from strongroom.services.wafv2.ratecounters import close_rate_stores

    store = Store(fresh_database(postgres_url))
    store.migrate()
    try:
        counter = rate_store_for(store, ACL, flush_interval=3600)
        for i in range(3):
            counter.hit(RULE, "k", T0 + i, 60, 10)
        assert _rows(store) == []
        close_rate_stores(store)
        assert [h for _, _, h in _rows(store)] == [3]
        assert rate_store_for(store, ACL) is not counter  # a new one after shutdown
        close_rate_stores(store)
    finally:
        store.dispose()
