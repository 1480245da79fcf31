"""Token buckets with AWS's precedence, bounded memory, and quota period arithmetic."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.services.apigateway.dataplane import throttle
from strongroom.services.apigateway.dataplane.throttle import Limit, Throttler


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rules(**kw: Any) -> list[throttle.Rule]:
    base: dict[str, Any] = {
        "account_id": "111122223333",
        "api_id": "api1",
        "stage": "prod",
        "resource_path": "/pets",
        "http_method": "GET",
    }
    base.update(kw)
    return throttle.rules_for(**base)


def test_bucket_burst_then_rate() -> None:
    clock = Clock()
    t = Throttler(clock)
    r = rules(method_settings={"*/*": {"throttlingRateLimit": 2.0, "throttlingBurstLimit": 3}})
    assert [t.check(r).allowed for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token at 2/s
    assert [t.check(r).allowed for _ in range(2)] == [True, False]
    clock.now += 100  # refills to the burst, never beyond
    assert [t.check(r).allowed for _ in range(4)] == [True, True, True, False]


def test_zero_limits_block_everything() -> None:
    t = Throttler(Clock())
    r = rules(method_settings={"*/*": {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 0}})
    decision = t.check(r)
    assert not decision.allowed and decision.throttled_by is not None and decision.throttled_by.scope == "method"


PLAN = {
    "id": "plan1",
    "throttle": {"rateLimit": 1.0, "burstLimit": 2},
    "apiStages": [{"apiId": "api1", "stage": "prod", "throttle": {"/pets/POST": {"rateLimit": 5.0, "burstLimit": 1}}}],
}


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, [("account", Limit(10_000.0, 5_000))]),
        (
            {"method_settings": {"*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 50}}},
            [("method", Limit(100.0, 50)), ("account", throttle.ACCOUNT_LIMIT)],
        ),
        (  # a method-level setting overrides the stage default
            {
                "method_settings": {
                    "*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 50},
                    "~1pets/GET": {"throttlingRateLimit": 7.0, "throttlingBurstLimit": 3},
                }
            },
            [("method", Limit(7.0, 3)), ("account", throttle.ACCOUNT_LIMIT)],
        ),
        (  # a method inheriting reports -1: the stage default applies
            {
                "method_settings": {
                    "*/*": {"throttlingRateLimit": 100.0, "throttlingBurstLimit": 50},
                    "/pets/GET": {"throttlingRateLimit": -1.0, "throttlingBurstLimit": -1, "metricsEnabled": True},
                }
            },
            [("method", Limit(100.0, 50)), ("account", throttle.ACCOUNT_LIMIT)],
        ),
        (
            {"usage_plan": PLAN, "api_key_id": "key1"},
            [("usage-plan", Limit(1.0, 2)), ("account", throttle.ACCOUNT_LIMIT)],
        ),
        (  # the plan's method-level throttle for that API stage
            {"usage_plan": PLAN, "api_key_id": "key1", "http_method": "POST"},
            [("usage-plan", Limit(5.0, 1)), ("account", throttle.ACCOUNT_LIMIT)],
        ),
        ({"usage_plan": PLAN}, [("account", throttle.ACCOUNT_LIMIT)]),  # no key: no per-client limit
    ],
)
def test_precedence(kw: dict[str, Any], expected: list[tuple[str, Limit]]) -> None:
    assert [(r.scope, r.limit) for r in rules(**kw)] == expected


def test_api_keys_have_their_own_buckets_and_methods_theirs() -> None:
    t = Throttler(Clock())
    a, b = rules(usage_plan=PLAN, api_key_id="a"), rules(usage_plan=PLAN, api_key_id="b")
    assert [t.check(a).allowed for _ in range(3)] == [True, True, False]
    assert t.check(b).allowed
    settings = {"*/*": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1}}
    get, delete = rules(method_settings=settings), rules(method_settings=settings, http_method="DELETE")
    assert t.check(get).allowed and not t.check(get).allowed
    assert t.check(delete).allowed


def test_a_rejection_takes_no_token_from_the_other_buckets() -> None:
    t = Throttler(Clock())
    r = rules(
        usage_plan=PLAN,
        api_key_id="k",
        account_limit=Limit(0.0, 1),
    )
    assert t.check(r).allowed
    decision = t.check(r)
    assert not decision.allowed and decision.throttled_by is not None and decision.throttled_by.scope == "account"
    # The plan's bucket (burst 2) still has its second token: only the account's ran out.
    assert t.check(rules(usage_plan=PLAN, api_key_id="k", account_id="other")).allowed


def test_changed_limits_start_a_new_bucket() -> None:
    t = Throttler(Clock())
    slow = rules(method_settings={"*/*": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 1}})
    assert t.check(slow).allowed and not t.check(slow).allowed
    fast = rules(method_settings={"*/*": {"throttlingRateLimit": 1.0, "throttlingBurstLimit": 5}})
    assert t.check(fast).allowed


def test_memory_is_bounded() -> None:
    clock = Clock()
    t = Throttler(clock, max_buckets=100, sweep_every=50)
    for i in range(1000):
        t.check(rules(account_id=str(i)))
    assert len(t) <= 100
    clock.now += 10
    assert t.sweep() > 0
    assert len(t) == 0


def test_thread_safety_never_grants_more_than_the_burst() -> None:
    t = Throttler(Clock())
    r = rules(method_settings={"*/*": {"throttlingRateLimit": 0.0, "throttlingBurstLimit": 500}})
    granted: list[int] = []
    lock = threading.Lock()

    def hammer() -> None:
        n = sum(t.check(r).allowed for _ in range(400))
        with lock:
            granted.append(n)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(granted) == 500


@given(st.floats(0.1, 1000), st.integers(1, 200), st.lists(st.floats(0, 2), max_size=60))
def test_never_more_than_burst_plus_rate_times_time(rate: float, burst: int, gaps: list[float]) -> None:
    clock = Clock()
    t = Throttler(clock)
    r = [throttle.Rule("k", Limit(rate, burst), "method")]
    allowed = 0
    start = clock.now
    for gap in gaps:
        clock.now += gap
        allowed += t.check(r).allowed
    assert allowed <= burst + rate * (clock.now - start) + 1e-6


# --- quotas ---------------------------------------------------------------------------------------------------------

T = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)  # a Wednesday


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("DAY", datetime(2026, 3, 18, tzinfo=UTC), datetime(2026, 3, 19, tzinfo=UTC)),
        ("WEEK", datetime(2026, 3, 16, tzinfo=UTC), datetime(2026, 3, 23, tzinfo=UTC)),
        ("MONTH", datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)),
    ],
)
def test_periods(period: str, start: datetime, end: datetime) -> None:
    assert throttle.period_start(T, period) == start
    assert throttle.period_end(T, period) == end


def test_periods_are_utc() -> None:
    local = datetime(2026, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=5)))  # still February in UTC
    assert throttle.period_start(local, "MONTH") == datetime(2026, 2, 1, tzinfo=UTC)
    assert throttle.period_end(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), "MONTH") == datetime(2027, 1, 1, tzinfo=UTC)


def test_unknown_period() -> None:
    with pytest.raises(ValueError):
        throttle.period_start(T, "YEAR")


def test_offset_applies_in_the_initial_period_only() -> None:
    quota = {"limit": 100, "offset": 30, "period": "MONTH"}
    created = datetime(2026, 3, 10, tzinfo=UTC)
    assert throttle.quota_limit(quota, T, created) == 70
    assert throttle.quota_remaining(quota, 65, T, created) == 5
    assert throttle.quota_remaining(quota, 80, T, created) == 0
    april = datetime(2026, 4, 2, tzinfo=UTC)
    assert throttle.quota_limit(quota, april, created) == 100
    assert throttle.quota_allows(quota, 99, april, created)
    assert not throttle.quota_allows(quota, 100, april, created)
    assert throttle.quota_allows(None, 10**9, april)


@given(st.datetimes(max_value=datetime(9998, 1, 1), timezones=st.just(UTC)), st.sampled_from(throttle.PERIODS))
def test_period_contains_its_time(at: datetime, period: str) -> None:
    start, end = throttle.period_start(at, period), throttle.period_end(at, period)
    assert start <= at < end
    assert throttle.period_start(end - timedelta(microseconds=1), period) == start
