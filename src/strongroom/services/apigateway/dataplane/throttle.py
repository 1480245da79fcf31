"""Request throttling (token buckets) and usage-plan quota arithmetic, as API Gateway applies them.

Throttling ("Throttle requests to your REST APIs for better throughput in API Gateway"): a request must find a token
in every bucket that applies to it, checked in AWS's order —

1. the API key's usage plan: the plan's method-level throttle for `resourcePath/httpMethod` on that API stage
   (`apiStages[].throttle`), else the plan's throttle (per API key: each key has its own bucket);
2. the stage's method-level setting (`methodSettings["/pets/GET"]`, AWS's `~1pets/GET` spelling too), else the
   stage default (`methodSettings["*/*"]`), one bucket per method;
3. the account: 10,000 requests/s, burst 5,000 per Region.

Tokens are taken only when every bucket has one, so a request throttled by the account does not also drain its
plan's bucket. Any of them empty: 429 "Too Many Requests" (THROTTLED).

Memory is bounded: a bucket idle long enough to have refilled is indistinguishable from a new one and is dropped by a
periodic sweep; past `max_buckets` the least recently used goes (a partly drained bucket forgotten that way only
makes the limit more lenient for that key). Time is injected (`clock`, seconds) so tests are deterministic.

Quotas: the counter is the caller's (durable); this module gives the period a time falls in (UTC: DAY from
midnight, WEEK from Monday midnight, MONTH from the 1st) and what remains given the count, subtracting `offset` in
the initial period (QuotaSettings: "the number of requests subtracted from the given limit in the initial time
period"). Quota exhausted: 429 "Limit Exceeded" (QUOTA_EXCEEDED).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT_RATE = 10_000.0
ACCOUNT_BURST = 5_000
STAGE_DEFAULT_KEY = "*/*"


@dataclass(frozen=True)
class Limit:
    """A token bucket's shape: `rate` tokens per second refill a bucket holding at most `burst`."""

    rate: float
    burst: int

    @classmethod
    def of(cls, rate: Any, burst: Any) -> Limit | None:
        if rate is None and burst is None:
            return None
        r = float(rate) if rate is not None else ACCOUNT_RATE
        b = int(burst) if burst is not None else ACCOUNT_BURST
        return cls(max(r, 0.0), max(b, 0))


ACCOUNT_LIMIT = Limit(ACCOUNT_RATE, ACCOUNT_BURST)


class _Bucket:
    __slots__ = ("limit", "stamp", "tokens")

    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.stamp = now

    def refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(float(self.limit.burst), self.tokens + (now - self.stamp) * self.limit.rate)
        self.stamp = max(self.stamp, now)

    def full_since(self, now: float) -> bool:
        if self.limit.rate <= 0:
            return self.tokens >= self.limit.burst
        return self.tokens + (now - self.stamp) * self.limit.rate >= self.limit.burst


def method_setting_key(resource_path: str, http_method: str) -> str:
    """`/pets/{id}`, `GET` -> `/pets/{id}/GET`, the key `methodSettings` and `apiStages[].throttle` use."""
    return f"{resource_path.rstrip('/')}/{http_method.upper()}"


def _normalize_key(key: str) -> str:
    # Settings keys come as `/pets/GET`, `~1pets/GET` (the patch-path escape) or `~1/GET` for the root resource.
    key = key.replace("~1", "/")
    return "/" + key.lstrip("/")


def _setting_for(settings: Mapping[str, Any] | None, resource_path: str, http_method: str) -> Any:
    if not settings:
        return None
    wanted = _normalize_key(method_setting_key(resource_path, http_method))
    for key, value in settings.items():
        if key != STAGE_DEFAULT_KEY and _normalize_key(key) == wanted:
            return value
    return None


@dataclass(frozen=True)
class Rule:
    """One bucket a request draws from: its key (what shares it) and its limit."""

    key: Hashable
    limit: Limit
    scope: str  # "usage-plan" | "method" | "account", for the execution log


def rules_for(
    *,
    account_id: str,
    api_id: str,
    stage: str,
    resource_path: str,
    http_method: str,
    method_settings: Mapping[str, Mapping[str, Any]] | None = None,
    usage_plan: Mapping[str, Any] | None = None,
    api_key_id: str | None = None,
    account_limit: Limit = ACCOUNT_LIMIT,
) -> list[Rule]:
    """The buckets for a request, most specific first (GetStage `methodSettings`, GetUsagePlan output)."""
    rules: list[Rule] = []
    if usage_plan is not None and api_key_id is not None:
        plan_id = str(usage_plan.get("id", ""))
        method_limit = None
        for api_stage in usage_plan.get("apiStages") or []:
            if api_stage.get("apiId") == api_id and api_stage.get("stage") == stage:
                throttle = _setting_for(api_stage.get("throttle"), resource_path, http_method)
                if throttle:
                    method_limit = Limit.of(throttle.get("rateLimit"), throttle.get("burstLimit"))
        if method_limit is not None:
            key: Hashable = ("plan-method", plan_id, api_key_id, api_id, stage, resource_path, http_method)
            rules.append(Rule(key, method_limit, "usage-plan"))
        elif (throttle := usage_plan.get("throttle")) and (limit := _plan_limit(throttle)) is not None:
            rules.append(Rule(("plan", plan_id, api_key_id), limit, "usage-plan"))
    setting = _setting_for(method_settings, resource_path, http_method)
    stage_limit = _stage_limit(setting)
    if stage_limit is None and method_settings:
        stage_limit = _stage_limit(method_settings.get(STAGE_DEFAULT_KEY))
    if stage_limit is not None:
        rules.append(Rule(("method", api_id, stage, resource_path, http_method), stage_limit, "method"))
    rules.append(Rule(("account", account_id), account_limit, "account"))
    return rules


def _plan_limit(throttle: Mapping[str, Any]) -> Limit | None:
    return Limit.of(throttle.get("rateLimit"), throttle.get("burstLimit"))


def _stage_limit(setting: Mapping[str, Any] | None) -> Limit | None:
    if not setting:
        return None
    rate, burst = setting.get("throttlingRateLimit"), setting.get("throttlingBurstLimit")
    # AWS reports -1 for "not set" on a method that inherits the stage's values.
    rate = None if rate is not None and float(rate) < 0 else rate
    burst = None if burst is not None and int(burst) < 0 else burst
    return Limit.of(rate, burst)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    throttled_by: Rule | None = None


class Throttler:
    """Token buckets keyed by `Rule.key`; thread-safe, bounded, clocked by `clock` (seconds, monotonic)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        max_buckets: int = 100_000,
        sweep_every: int = 10_000,
    ) -> None:
        self._clock = clock
        self._max = max_buckets
        self._sweep_every = sweep_every
        self._ops = 0
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, rules: list[Rule]) -> Decision:
        """Take one token from every rule's bucket, or none when one of them is empty."""
        now = self._clock()
        with self._lock:
            buckets = [self._bucket(rule, now) for rule in rules]
            for rule, bucket in zip(rules, buckets, strict=True):
                bucket.refill(now)
                if bucket.tokens < 1.0:
                    return Decision(False, rule)
            for bucket in buckets:
                bucket.tokens -= 1.0
            self._ops += 1
            if self._ops % self._sweep_every == 0:
                self._sweep(now)
            return Decision(True)

    def _bucket(self, rule: Rule, now: float) -> _Bucket:
        bucket = self._buckets.get(rule.key)
        if bucket is None or bucket.limit != rule.limit:  # a changed limit starts a fresh bucket
            bucket = _Bucket(rule.limit, now)
            self._buckets[rule.key] = bucket
            while len(self._buckets) > self._max:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(rule.key)
        return bucket

    def _sweep(self, now: float) -> None:
        idle = [key for key, bucket in self._buckets.items() if bucket.full_since(now)]
        for key in idle:
            del self._buckets[key]

    def sweep(self) -> int:
        """Drop every bucket that has refilled; the number dropped."""
        with self._lock:
            before = len(self._buckets)
            self._sweep(self._clock())
            return before - len(self._buckets)


# --- quotas ---------------------------------------------------------------------------------------------------------

PERIODS = ("DAY", "WEEK", "MONTH")


def period_start(at: datetime, period: str) -> datetime:
    """The UTC start of the quota period `at` falls in."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    period = period.upper()
    if period == "DAY":
        return day
    if period == "WEEK":
        return day - timedelta(days=day.weekday())
    if period == "MONTH":
        return day.replace(day=1)
    raise ValueError(f"Unknown quota period {period!r}")


def period_end(at: datetime, period: str) -> datetime:
    """The UTC start of the next period (the instant the quota resets)."""
    start = period_start(at, period)
    period = period.upper()
    if period == "DAY":
        return start + timedelta(days=1)
    if period == "WEEK":
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def quota_limit(quota: Mapping[str, Any], at: datetime, plan_start: datetime | None = None) -> int:
    """The period's limit: `limit`, less `offset` when `at` is in the initial period (the one `plan_start` is in)."""
    limit = int(quota.get("limit") or 0)
    offset = int(quota.get("offset") or 0)
    period = str(quota.get("period") or "DAY")
    if offset and plan_start is not None and period_start(at, period) == period_start(plan_start, period):
        limit -= offset
    return max(limit, 0)


def quota_remaining(quota: Mapping[str, Any], used: int, at: datetime, plan_start: datetime | None = None) -> int:
    """Requests left in the period after `used` (never negative)."""
    return max(quota_limit(quota, at, plan_start) - max(used, 0), 0)


def quota_allows(quota: Mapping[str, Any] | None, used: int, at: datetime, plan_start: datetime | None = None) -> bool:
    """Whether one more request fits (no quota: always)."""
    if not quota:
        return True
    return quota_remaining(quota, used, at, plan_start) > 0
