"""Prometheus metrics, one registry per server so tests can run several in one process."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from strongroom.audit.store import HOOK_LAG_BUCKETS

_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "strongroom_requests", "API requests served", ["service", "operation", "status"], registry=self.registry
        )
        self.errors = Counter(
            "strongroom_errors",
            "API requests answered with an error",
            ["service", "operation", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "strongroom_request_seconds",
            "API request latency",
            ["service", "operation"],
            buckets=_BUCKETS,
            registry=self.registry,
        )

        # label lookups (tuple building, validation, a lock) cost more than the increments: keep the children
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, service: str, operation: str, status: int, seconds: float, error_code: str | None) -> None:
        key = (service, operation, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(service, operation, str(status)), self.latency.labels(service, operation))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)
        if error_code:
            self.errors.labels(service, operation, error_code).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class GuardDutyLiveCollector:
    """``strongroom_guardduty_*``: what the live detector (services/guardduty/live.py) was handed by the audit log,
    analysed, skipped and lost, its backlog and its lag (a batch committed -> analysed). Every series carries the
    process id: with ``--workers N`` each process feeds its own records and a scrape reaches one of them."""

    def __init__(self, audit: Any, live: Callable[[], Any]) -> None:
        self.audit = audit  # strongroom.audit.store.AuditLog
        self.live = live  # -> the LiveDetector, or None when GuardDuty is not loaded

    def collect(self) -> Iterator[Any]:
        pid = str(os.getpid())  # read per scrape: a collector built before workers fork serves in each of them
        hooks = self.audit.hooks
        live = self.live()
        records = CounterMetricFamily(
            "strongroom_guardduty_records",
            "Audit records handed to GuardDuty's live detector, by what became of them",
            labels=["state", "pid"],
        )
        records.add_metric(["analysed", pid], getattr(live, "records", 0))
        records.add_metric(["skipped", pid], getattr(live, "skipped", 0))
        records.add_metric(["dropped", pid], hooks.records_dropped)
        yield records
        fed = CounterMetricFamily(
            "strongroom_guardduty_records_fed",
            "Audit records handed to the live detector's thread (analysed + skipped + backlog)",
            labels=["pid"],
        )
        fed.add_metric([pid], hooks.records_done + hooks.records_queued)
        yield fed
        dropped = CounterMetricFamily(
            "strongroom_guardduty_batches_dropped",
            "Committed batches of audit records not handed to the live detector (too far behind)",
            labels=["pid"],
        )
        dropped.add_metric([pid], self.audit.record_batches_dropped)
        yield dropped
        backlog = GaugeMetricFamily(
            "strongroom_guardduty_backlog_records",
            "Audit records committed and not yet analysed by the live detector",
            labels=["pid"],
        )
        backlog.add_metric([pid], hooks.records_queued)
        yield backlog
        batches = GaugeMetricFamily(
            "strongroom_guardduty_backlog_batches", "Committed batches waiting for the live detector", labels=["pid"]
        )
        batches.add_metric([pid], self.audit.record_batches_queued)
        yield batches
        lag = HistogramMetricFamily(
            "strongroom_guardduty_lag_seconds",
            "Per record: its batch committed -> the live detector done with it",
            labels=["pid"],
        )
        cumulative, buckets = 0, []
        for bound, count in zip((*HOOK_LAG_BUCKETS, float("inf")), list(hooks.lag_buckets), strict=True):
            cumulative += count
            buckets.append((str(bound) if bound != float("inf") else "+Inf", cumulative))
        lag.add_metric([pid], buckets, hooks.lag_sum)
        yield lag
        busy = CounterMetricFamily(
            "strongroom_guardduty_analysis_seconds", "Wall time the live detector spent on batches", labels=["pid"]
        )
        busy.add_metric([pid], getattr(live, "seconds", 0.0))
        yield busy
