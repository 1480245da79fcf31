"""Prometheus metrics, one registry per server so tests can run several in one process."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

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
