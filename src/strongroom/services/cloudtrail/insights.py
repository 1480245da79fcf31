"""CloudTrail Insights: baselines per API over the server clock, Insights events when a rate leaves its baseline,
and the Insights reads (ListInsightsData, ListInsightsMetricData). See docs/cloudtrail.md.

A trail with insight selectors has a scheduler job (``cloudtrail-insights:<trail ARN>``) that runs every minute of
the server clock. Each run compares, per API (eventSource, eventName, and errorCode for ApiErrorRateInsight), the
calls of the last minute with the baseline: the average calls per minute over the previous 7 days (or since
Insights were enabled, once at least an hour of history has been learned). A rate of at least ``MIN_CALLS`` and
``FACTOR`` times the baseline starts an Insight: an Insights event with ``state: Start``; the first minute back
under the threshold ends it (``state: End``, same sharedEventID, the insight's duration and average). Each
event is recorded in the audit trail (delivered to the trail, shown by LookupEvents with EventCategory=insight)
and put on the default bus as ``AWS Insight via CloudTrail``. Open insights live in the job's payload.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from sqlalchemy import select

from strongroom.audit import model as audit_model
from strongroom.audit.lake import call_counts, insight_records
from strongroom.audit.records import iso_time
from strongroom.core.clock import clock
from strongroom.events.bus import publish
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base.family import ServiceBase
from strongroom.services.cloudtrail.errors import InvalidParameterException, InvalidTrailNameException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

INSIGHTS_JOB = "cloudtrail-insights"
EVERY = timedelta(minutes=1)
BASELINE_WINDOW = timedelta(days=7)
LEARNING = timedelta(hours=1)  # history needed before a baseline is trusted
MIN_CALLS = 10  # calls in a minute below which nothing is unusual
FACTOR = 3.0  # times the baseline (at least one call a minute) that is unusual
DETAIL_TYPE = "AWS Insight via CloudTrail"


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _threshold(baseline: float) -> float:
    return max(float(MIN_CALLS), FACTOR * max(baseline, 1.0))


def insight_record(
    account_id: str,
    region: str,
    now: datetime,
    key: tuple[str, str, str, str],
    state: str,
    shared_id: str,
    baseline: float,
    average: float,
    baseline_minutes: int,
    duration: int | None = None,
) -> dict[str, Any]:
    """An Insights event in AWS's record format (CloudTrail User Guide, "Insights events record contents")."""
    kind, source, name, code = key
    statistics: dict[str, Any] = {
        "baseline": {"average": round(baseline, 6)},
        "insight": {"average": round(average, 6)},
    }
    if duration is not None:
        statistics["insightDuration"] = duration
    statistics["baselineDuration"] = baseline_minutes
    details: dict[str, Any] = {
        "state": state,
        "eventSource": source,
        "eventName": name,
        "insightType": kind,
    }
    if code:
        details["errorCode"] = code
    details["insightContext"] = {"statistics": statistics}
    return {
        "eventVersion": "1.08",
        "eventTime": iso_time(now),
        "awsRegion": region,
        "eventID": str(uuid.uuid4()),
        "eventType": audit_model.INSIGHT_EVENT_TYPE,
        "recipientAccountId": account_id,
        "sharedEventID": shared_id,
        "insightDetails": details,
        "eventCategory": "Insight",
    }


class InsightOperations(ServiceBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {INSIGHTS_JOB: "run_insights"}

    def _emit(self, record: dict[str, Any], account_id: str, region: str) -> None:
        self.runtime.audit.record_insight(record)
        publish(self.runtime, account_id, region, "aws.cloudtrail", DETAIL_TYPE, record, [])

    def run_insights(self, job: JobContext) -> JobResult | None:
        with job.store.read() as conn:
            trail = conn.execute(select(audit_model.trails).where(audit_model.trails.c.arn == job.key)).one_or_none()
        if trail is None or not trail.insight_selectors:
            return None  # the trail is gone or Insights were turned off: the job ends
        payload = dict(job.payload)
        since = _parse(str(payload.get("since") or iso_time(job.now)))
        opened: dict[str, dict[str, Any]] = dict(payload.get("open") or {})
        now = job.now
        # The interval measured is the one since the previous run (a minute, unless the clock jumped), so no call
        # falls between two runs; its count is scaled to calls per minute.
        last = payload.get("last")
        minute = _parse(last) if last else now - EVERY
        span = max((now - minute).total_seconds() / 60.0, 1.0)
        learn_from = max(now - BASELINE_WINDOW, since)
        if minute - learn_from >= LEARNING:
            minutes = max(int((minute - learn_from).total_seconds() // 60), 1)
            kinds = [s.get("InsightType") for s in json.loads(trail.insight_selectors)]
            for kind in kinds:
                errors = kind == "ApiErrorRateInsight"
                counted = call_counts(job.store, trail.account_id, trail.region, minute, now, errors)
                recent = {k: v / span for k, v in counted.items()}
                history = call_counts(job.store, trail.account_id, trail.region, learn_from, minute, errors)
                self._compare(trail, str(kind), recent, history, minutes, opened, now)
        state = {"since": payload.get("since") or iso_time(now), "open": opened, "last": now.isoformat()}
        return JobResult.again(now + EVERY, state)

    def _compare(
        self,
        trail: Any,
        kind: str,
        recent: dict[tuple[str, str, str], float],
        history: dict[tuple[str, str, str], int],
        minutes: int,
        opened: dict[str, dict[str, Any]],
        now: datetime,
    ) -> None:
        for (source, name, code), rate in sorted(recent.items()):
            key = (kind, source, name, code)
            name_key = "|".join(key)
            baseline = history.get((source, name, code), 0) / minutes
            if name_key in opened or rate < _threshold(baseline):
                if name_key in opened and rate >= _threshold(opened[name_key]["baseline"]):
                    opened[name_key]["calls"] += rate
                    opened[name_key]["minutes"] += 1
                continue
            shared = str(uuid.uuid4())
            record = insight_record(trail.account_id, trail.region, now, key, "Start", shared, baseline, rate, minutes)
            self._emit(record, trail.account_id, trail.region)
            opened[name_key] = {"shared": shared, "baseline": baseline, "calls": rate, "minutes": 1, "base": minutes}
        for name_key in [k for k in opened if k.startswith(kind + "|")]:
            kind_, source, name, code = name_key.split("|", 3)
            state = opened[name_key]
            if recent.get((source, name, code), 0) >= _threshold(state["baseline"]):
                continue
            record = insight_record(
                trail.account_id,
                trail.region,
                now,
                (kind_, source, name, code),
                "End",
                state["shared"],
                state["baseline"],
                state["calls"] / state["minutes"],
                state["base"],
                duration=state["minutes"],
            )
            self._emit(record, trail.account_id, trail.region)
            del opened[name_key]

    # -- reads ---------------------------------------------------------------------------------------------

    def list_insights_data(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request["DataType"] != "InsightsEvents":
            raise InvalidParameterException("DataType must be InsightsEvents.")
        self.runtime.audit.drain()
        now = clock.now()
        start = request.get("StartTime") or now - timedelta(days=90)
        end = request.get("EndTime") or now
        dimensions = request.get("Dimensions") or {}
        events = []
        for raw in insight_records(self.runtime.store, ctx.account_id, ctx.region, start, end):
            record = orjson.loads(raw)
            details = record.get("insightDetails") or {}
            if dimensions.get("EventName") and details.get("eventName") != dimensions["EventName"]:
                continue
            if dimensions.get("EventSource") and details.get("eventSource") != dimensions["EventSource"]:
                continue
            events.append(
                {
                    "EventId": record["eventID"],
                    "EventName": details.get("eventName"),
                    "ReadOnly": "false",
                    "EventTime": datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00")),
                    "EventSource": details.get("eventSource"),
                    "Resources": [],
                    "CloudTrailEvent": raw,
                }
            )
        return {"Events": events[: request.get("MaxResults") or 50]}

    def list_insights_metric_data(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The API's calls (or errors) per Period seconds, from the audit trail, as Insights measure them."""
        trail_arn = None
        if request.get("TrailName"):
            with self.runtime.store.read() as conn:
                trail = conn.execute(
                    select(audit_model.trails).where(
                        audit_model.trails.c.account_id == ctx.account_id,
                        (audit_model.trails.c.name == request["TrailName"])
                        | (audit_model.trails.c.arn == request["TrailName"]),
                    )
                ).first()
            if trail is None:
                raise InvalidTrailNameException(f"Trail {request['TrailName']} does not exist.")
            trail_arn = trail.arn
        period = request.get("Period") or 3600
        now = clock.now()
        end = request.get("EndTime") or now
        start = request.get("StartTime") or end - timedelta(days=1)
        if start >= end:
            raise InvalidParameterException("StartTime must be before EndTime.")
        errors = request["InsightType"] == "ApiErrorRateInsight"
        key = (request["EventSource"], request["EventName"], request.get("ErrorCode") or "")
        stamps: list[datetime] = []
        values: list[float] = []
        cursor = start
        while cursor < end and len(stamps) < (request.get("MaxResults") or 21600):
            upto = min(cursor + timedelta(seconds=period), end)
            counts = call_counts(self.runtime.store, ctx.account_id, ctx.region, cursor, upto, errors)
            if errors and not key[2]:
                value = sum(v for (s, n, _), v in counts.items() if (s, n) == key[:2])
            else:
                value = counts.get(key, 0)
            if value or request.get("DataType") != "NonZeroData":
                stamps.append(cursor)
                values.append(float(value))
            cursor = upto
        out: dict[str, Any] = {
            "EventSource": key[0],
            "EventName": key[1],
            "InsightType": request["InsightType"],
            "Timestamps": stamps,
            "Values": values,
        }
        if trail_arn:
            out["TrailARN"] = trail_arn
        if key[2]:
            out["ErrorCode"] = key[2]
        return out
