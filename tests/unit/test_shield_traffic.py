"""Shield's traffic counting: only protected resources are counted, per one-minute window, summed across flushes
(as several nodes' would be), with the busiest second and the top contributors; the gateway stage names the stage
and, through a custom domain, the domain."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from strongroom.server.shield_gateway import shield_stage
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest
from strongroom.services.shield.model import protections, traffic
from strongroom.services.shield.traffic import TrafficMonitor
from strongroom.store.engine import Store

STAGE = "arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod"


def protect(store: Store, arn: str) -> None:
    with store.write() as conn:
        conn.execute(
            protections.insert().values(
                id="p-" + arn[-6:],
                account_id="123456789012",
                name="p",
                resource_arn=arn,
                arn="arn:aws:shield::123456789012:protection/x",
                health_checks="[]",
                auto_response=None,
                created_at=datetime.now(UTC),
            )
        )


def rows(store: Store) -> list[Any]:
    with store.read() as conn:
        return list(conn.execute(select(traffic).order_by(traffic.c.window)).all())


def test_protected_resources_are_counted_per_window_and_flushes_add_up(store: Store) -> None:
    protect(store, STAGE)
    monitor = TrafficMonitor(store)
    try:
        for i in range(5):
            monitor.observe(
                [STAGE, "arn:other"],
                source_ip="192.0.2.1",
                url="/prod/a",
                user_agent="ua",
                referrer=None,
                at=120.0 + i * 0.1,
            )
        monitor.observe([STAGE], source_ip="192.0.2.2", url="/prod/b", user_agent=None, referrer="r", at=125.0)
        monitor.observe([STAGE], source_ip="192.0.2.2", url="/prod/b", user_agent=None, referrer="r", at=185.0)
        monitor.flush()
        monitor.observe([STAGE], source_ip="192.0.2.3", url="/prod/a", user_agent="ua", referrer=None, at=130.0)
        monitor.flush()
    finally:
        monitor.close()
    first, second = rows(store)
    assert (first.window, first.requests, first.peak_rps) == (120, 7, 5)
    counts = json.loads(first.contributors)
    assert counts["SOURCE_IP_ADDRESS"] == {"192.0.2.1": 5, "192.0.2.2": 1, "192.0.2.3": 1}
    assert counts["DESTINATION_URL"] == {"/prod/a": 6, "/prod/b": 1}
    assert counts["REFERRER"] == {"r": 1} and counts["SOURCE_USER_AGENT"] == {"ua": 6}
    assert (second.window, second.requests) == (180, 1)


def test_unprotected_resources_cost_nothing(store: Store) -> None:
    monitor = TrafficMonitor(store)
    monitor.observe([STAGE], source_ip="192.0.2.1", url="/", user_agent=None, referrer=None, at=60.0)
    monitor.flush()
    assert rows(store) == []


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[list[str], dict[str, Any]]] = []

    def observe(self, arns: list[str], **facts: Any) -> None:
        self.seen.append((list(arns), facts))


def test_the_stage_names_the_stage_and_the_custom_domain() -> None:
    recorder = Recorder()
    request = GatewayRequest(
        "GET",
        "/restapis/abc123/prod/_user_request_/pets",
        [("User-Agent", "curl"), ("Referer", "x")],
        source_ip="192.0.2.9",
    )
    ctx = GatewayContext(request=request, request_id="r", api_id="abc123", stage="prod")
    ctx.attributes["gateway"] = SimpleNamespace(region="us-east-1", via_domain=False)
    assert shield_stage(recorder, ctx) is None  # type: ignore[arg-type]
    ctx2 = GatewayContext(request=GatewayRequest("GET", "/pets"), request_id="r", api_id="abc123", stage="prod")
    ctx2.domain_name = "api.example.com"
    ctx2.attributes["gateway"] = SimpleNamespace(region="us-east-1", via_domain=True)
    shield_stage(recorder, ctx2)  # type: ignore[arg-type]
    (arns, facts), (arns2, facts2) = recorder.seen
    assert arns == [STAGE] and facts == {
        "source_ip": "192.0.2.9",
        "url": "/prod/pets",
        "user_agent": "curl",
        "referrer": "x",
    }
    assert arns2 == [STAGE, "arn:aws:apigateway:us-east-1::/domainnames/api.example.com"] and facts2["url"] == "/pets"
    # a broken monitor never fails the request
    assert shield_stage(None, ctx) is None  # type: ignore[arg-type]
