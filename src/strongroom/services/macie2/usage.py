"""Usage: GetUsageTotals and GetUsageStatistics, from what was really classified.

Every classification job run and every automated discovery pass records the bytes the engine classified (the
uncompressed bytes it read from objects it could analyse; skipped objects count nothing, as AWS bills) in
``macie2_usage`` (``base.record_usage``). The answers sum those rows over the time range (``MONTH_TO_DATE``: from
the first of the server clock's month, ``PAST_30_DAYS``) per account; an administrator sees itself and its enabled
members, anyone else its own account.

AWS answers only an ``estimatedCost`` per usage type, so the quantity is reported as a cost:
``SENSITIVE_DATA_DISCOVERY`` (jobs) and ``AUTOMATED_SENSITIVE_DATA_DISCOVERY`` (automated discovery) are the bytes
classified times ``PRICE_PER_GB`` (AWS's published first-tier list price for data inspection, USD 1.00 per GB,
1 GB = 2^30 bytes), as a decimal string with up to 10 decimals. ``DATA_INVENTORY_EVALUATION`` and
``AUTOMATED_OBJECT_MONITORING`` (buckets and objects monitored, prorated daily on AWS) answer "0": Strongroom does
not meter monitoring over time, and charges nothing for it. None of this is a bill.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.macie2.base import MacieBase, max_results
from strongroom.services.macie2.errors import validation
from strongroom.services.macie2.model import sessions, usage

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

TYPES = (
    "DATA_INVENTORY_EVALUATION",
    "SENSITIVE_DATA_DISCOVERY",
    "AUTOMATED_SENSITIVE_DATA_DISCOVERY",
    "AUTOMATED_OBJECT_MONITORING",
)
METERED = ("SENSITIVE_DATA_DISCOVERY", "AUTOMATED_SENSITIVE_DATA_DISCOVERY")
PRICE_PER_GB = 1.00
GB = 1024**3
QUOTA_TB = 5  # AWS's default monthly sensitive data discovery quota per account
TIME_RANGES = ("MONTH_TO_DATE", "PAST_30_DAYS")


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def cost(size: int) -> str:
    text = f"{size / GB * PRICE_PER_GB:.10f}".rstrip("0").rstrip(".")
    return text or "0"


def since(time_range: str, now: datetime) -> datetime:
    if time_range == "PAST_30_DAYS":
        return now - timedelta(days=30)
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _compare(value: Any, comparator: str, wanted: list[Any]) -> bool:
    if comparator == "EQ":
        return value in wanted
    if comparator == "NE":
        return value not in wanted
    if comparator == "CONTAINS":
        return any(str(w) in str(value) for w in wanted)
    bound = wanted[0]
    return bool({"GT": value > bound, "GTE": value >= bound, "LT": value < bound, "LTE": value <= bound}[comparator])


class UsageOperations(MacieBase):
    def _time_range(self, value: str | None) -> str:
        value = value or "MONTH_TO_DATE"
        if value not in TIME_RANGES:
            raise validation(f"The timeRange must be one of {', '.join(TIME_RANGES)}.")
        return value

    def _bytes(self, accounts: list[str], region: str, start: datetime) -> dict[tuple[str, str], int]:
        query = (
            select(usage.c.account_id, usage.c.usage_type, func.sum(usage.c.bytes))
            .where(usage.c.account_id.in_(accounts), usage.c.region == region, usage.c.at >= start)
            .group_by(usage.c.account_id, usage.c.usage_type)
        )
        with self.runtime.store.read() as conn:
            return {(r[0], r[1]): int(r[2] or 0) for r in conn.execute(query)}

    def get_usage_totals(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        time_range = self._time_range(request.get("timeRange"))
        accounts = [ctx.account_id, *self.member_accounts(ctx.account_id, ctx.region)]
        sums = self._bytes(accounts, ctx.region, since(time_range, clock.now()))
        totals = []
        for kind in TYPES:
            size = sum(v for (_, t), v in sums.items() if t == kind)
            totals.append({"currency": "USD", "estimatedCost": cost(size), "type": kind})
        return {"timeRange": time_range, "usageTotals": totals}

    def get_usage_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        size = max_results(request, default=50, ceiling=1000)
        time_range = self._time_range(request.get("timeRange"))
        accounts = [ctx.account_id, *self.member_accounts(ctx.account_id, ctx.region)]
        sums = self._bytes(accounts, ctx.region, since(time_range, clock.now()))
        with self.runtime.store.read() as conn:
            started = {
                r.account_id: r.created_at
                for r in conn.execute(
                    select(sessions.c.account_id, sessions.c.created_at).where(
                        sessions.c.account_id.in_(accounts), sessions.c.region == ctx.region
                    )
                )
            }
        records = []
        quota = QUOTA_TB * 1024**4
        for account in accounts:
            discovery = self.setting(account, ctx.region, "discovery_config") or {}
            rows = []
            for kind in TYPES:
                item: dict[str, Any] = {
                    "currency": "USD",
                    "estimatedCost": cost(sums.get((account, kind), 0)),
                    "type": kind,
                }
                if kind == "SENSITIVE_DATA_DISCOVERY":
                    limited = sums.get((account, kind), 0) >= quota
                    item["serviceLimit"] = {"isServiceLimited": limited, "unit": "TERABYTES", "value": QUOTA_TB}
                rows.append(item)
            record: dict[str, Any] = {"accountId": account, "usage": rows}
            if account in started:
                record["freeTrialStartDate"] = started[account]
            if discovery.get("firstEnabledAt"):
                first = datetime.fromisoformat(discovery["firstEnabledAt"])
                record["automatedDiscoveryFreeTrialStartDate"] = _aware(first)
            records.append(record)
        records = [r for r in records if all(self._matches(r, f) for f in request.get("filterBy") or [])]
        sort = request.get("sortBy") or {}
        key = sort.get("key") or "accountId"
        records.sort(key=lambda r: self._sort_value(r, key), reverse=sort.get("orderBy") == "DESC")
        page, token = pages.offset_page(records, request.get("nextToken"), size, _bad_token)
        return {"records": page, "timeRange": time_range, **({"nextToken": token} if token else {})}

    @staticmethod
    def _total(record: dict[str, Any]) -> float:
        return sum(float(u["estimatedCost"]) for u in record["usage"])

    def _sort_value(self, record: dict[str, Any], key: str) -> Any:
        if key == "total":
            return self._total(record)
        if key == "serviceLimitValue":
            return QUOTA_TB
        if key == "freeTrialStartDate":
            return (record.get("freeTrialStartDate") is None, record.get("freeTrialStartDate") or clock.now())
        return record["accountId"]

    def _matches(self, record: dict[str, Any], term: dict[str, Any]) -> bool:
        key, comparator, values = term.get("key"), term.get("comparator") or "EQ", list(term.get("values") or [])
        if not values:
            raise validation("Each filterBy condition needs at least one value.")
        if key in ("total", "freeTrialStartDate") and comparator in ("GT", "GTE", "LT", "LTE") and len(values) != 1:
            raise validation("A GT, GTE, LT or LTE condition takes one value.")
        try:
            if key == "accountId":
                return _compare(record["accountId"], comparator, values)
            if key == "serviceLimit":
                limited = any(u.get("serviceLimit", {}).get("isServiceLimited") for u in record["usage"])
                return _compare(str(limited).lower(), comparator, [v.lower() for v in values])
            if key == "total":
                return _compare(self._total(record), comparator, [float(v) for v in values])
            if key == "freeTrialStartDate":
                start = record.get("freeTrialStartDate")
                wanted = [_aware(datetime.fromisoformat(v.replace("Z", "+00:00"))) for v in values]
                return start is not None and _compare(start, comparator, wanted)
        except (ValueError, TypeError):
            raise validation(f"The values for {key} aren't valid.") from None
        raise validation(f"The filterBy key {key} isn't supported.")
