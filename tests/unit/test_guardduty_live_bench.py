"""bench/guardduty_live.py's reading of the server's metrics: the collector's output parsed back, p99 from buckets."""

from __future__ import annotations

from types import SimpleNamespace

from bench.guardduty_live import LiveResults, parse, quantile, render, total
from prometheus_client import CollectorRegistry, generate_latest

from strongroom.audit.store import HOOK_LAG_BUCKETS, RecordHookStats
from strongroom.server.metrics import GuardDutyLiveCollector


def test_the_collector_read_back() -> None:
    hooks = RecordHookStats()
    hooks.records_queued = 300
    hooks.done(100, 0.003)  # 100 records of a batch done 3 ms after its commit
    hooks.done(1, 0.7)
    hooks.records_queued = 40  # what is still waiting
    audit = SimpleNamespace(hooks=hooks, record_batches_dropped=0, record_batches_queued=2)
    live = SimpleNamespace(records=90, skipped=11, seconds=1.5)
    registry = CollectorRegistry()
    registry.register(GuardDutyLiveCollector(audit, lambda: live))
    workers = parse(generate_latest(registry).decode())
    assert len(workers) == 1
    assert total(workers, "strongroom_guardduty_records", "state=analysed") == 90
    assert total(workers, "strongroom_guardduty_records", "state=skipped") == 11
    assert total(workers, "strongroom_guardduty_records", "state=dropped") == 0
    assert total(workers, "strongroom_guardduty_records_fed") == 101 + 40
    assert total(workers, "strongroom_guardduty_backlog_records") == 40
    assert total(workers, "strongroom_guardduty_backlog_batches") == 2
    assert total(workers, "strongroom_guardduty_lag_seconds_count") == 101
    buckets = sorted(
        (float(k[1].split("=")[1].replace("+Inf", "inf")), v)
        for k, v in next(iter(workers.values())).items()
        if k[0] == "strongroom_guardduty_lag_seconds_bucket"
    )
    assert len(buckets) == len(HOOK_LAG_BUCKETS) + 1
    assert quantile(buckets, 0.5) == 0.005 and quantile(buckets, 0.999) == 1.0


def test_render_replaces_its_block() -> None:
    results = LiveResults(encrypt_off=[1000.0], encrypt_on=[900.0], fed=10, analysed=10, backlog_series=[(1.0, 3)])
    doc = render(results, "intro\n<!-- bench-guardduty:end -->\nafter\n")
    assert "| Keeps up | **yes** | yes |" in doc and "1,000 → 900 req/s (-10%)" in doc
    assert doc.index("bench-guardduty-live:begin") > doc.index("bench-guardduty:end") and doc.endswith("after\n")
    again = render(LiveResults(dropped=5), doc)
    assert again.count("bench-guardduty-live:begin") == 1 and "| Keeps up | **no** | yes |" in again
