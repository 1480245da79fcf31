"""Attacks: the detection job over the data plane's traffic counts, and ListAttacks / DescribeAttack /
DescribeAttackStatistics.

The job ``shield-detect`` runs once a minute on the server clock, ``SETTLE_SECONDS`` after each minute closes (a
leased scheduler job, so once across nodes; ``POST /_strongroom/clock`` runs it as test-mode time passes). Each run
first adds this node's pending counts (``traffic.TrafficMonitor.flush``; other nodes add theirs every second), then,
for every protected resource, feeds each closed one-minute window since the last run to ``detector.step`` (a window
nobody requested counts 0) and keeps the detector's state in ``shield_detectors``. When a window starts an attack it
records one (vector ``REQUEST_FLOOD``, counters, top contributors by source IP, URL, user agent and referrer) and,
with automatic mitigation enabled, writes the top source addresses into the resource's Shield rule group
(``mitigation.py``); later windows of the attack add to its counters and addresses; when the attack ends its EndTime
is set and the rule group is emptied.

AWS publishes no EventBridge event for Shield Advanced detections (its notifications are the ``DDoSDetected``
CloudWatch metrics and alarms on them); Strongroom logs each start and end on the ``strongroom.shield`` logger.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core import ids
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base import pages
from strongroom.services.shield import errors
from strongroom.services.shield.base import Row
from strongroom.services.shield.detector import END_AFTER, MAX_CATCH_UP, WINDOW_SECONDS, DetectorState, step
from strongroom.services.shield.mitigation import MitigationOperations
from strongroom.services.shield.model import attacks, detectors, protections, traffic
from strongroom.services.shield.traffic import DIMENSIONS, TOP

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

log = logging.getLogger("strongroom.shield")

DETECT_JOB = "shield-detect"
TRAFFIC_RETENTION = 3600  # seconds of per-minute counts kept
TOP_SHOWN = 10  # contributors per property in DescribeAttack
DEFAULT_PAGE = 20
SETTLE_SECONDS = 2  # other nodes add their counts within a second (traffic.FLUSH_SECONDS)
# A source address is mitigated when it sent at least this share of an attack window's requests (and MIN_SOURCE).
SOURCE_SHARE = 0.05
MIN_SOURCE = 10
MAX_SOURCES = 100


def _epoch(when: datetime) -> int:
    return int(when.timestamp())


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def top_sources(requests: int, sources: dict[str, int]) -> list[str]:
    """The source addresses that sent a large share of one window's requests: the ones mitigation blocks."""
    floor = max(MIN_SOURCE, requests * SOURCE_SHARE)
    ranked = sorted(sources.items(), key=lambda kv: (-kv[1], kv[0]))
    return [address for address, n in ranked if n >= floor][:MAX_SOURCES]


class AttackOperations(MitigationOperations):
    scheduled_jobs = {DETECT_JOB: "_run_detection"}

    def __init__(self, runtime: ServiceRuntime) -> None:
        super().__init__(runtime)
        try:
            if runtime.scheduler.get_job(DETECT_JOB, "all") is None:
                now = _epoch(self.now())
                first = now - now % WINDOW_SECONDS + WINDOW_SECONDS + SETTLE_SECONDS
                runtime.scheduler.schedule(DETECT_JOB, "all", _at(first))
        except Exception:  # the store may not be migrated yet in tooling that builds providers
            log.warning("could not schedule Shield's detection job", exc_info=True)

    # -- detection ------------------------------------------------------------------------------------------------

    def _run_detection(self, job: JobContext) -> JobResult:
        # Every window closed by now, not just the one the job was due for: after a long stop (or a big test-mode
        # clock jump) one run catches up (``MAX_CATCH_UP`` windows at most) instead of running once per minute missed.
        # A window is judged SETTLE_SECONDS after it closes, when every node's counts of it are in the database.
        due = max(_epoch(job.due_at), _epoch(job.now)) - SETTLE_SECONDS
        due -= due % WINDOW_SECONDS
        self.traffic.flush()
        with self.runtime.store.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(protections)).all()]
        for row in rows:
            try:
                self._judge(row, due)
            except Exception:
                log.exception("Shield detection failed for %s", row["resource_arn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(traffic).where(traffic.c.window < due - TRAFFIC_RETENTION))
        return JobResult.again(_at(due + WINDOW_SECONDS + SETTLE_SECONDS))

    def _judge(self, row: Row, due: int) -> None:
        arn = row["resource_arn"]
        with self.runtime.store.read() as conn:
            found = conn.execute(select(detectors).where(detectors.c.resource_arn == arn)).one_or_none()
        if found is None:
            created = _epoch(row["created_at"])
            first = created - created % WINDOW_SECONDS + WINDOW_SECONDS  # the first whole window protected
            stored: dict[str, Any] = {
                "next_window": first,
                "baseline": 0.0,
                "learned": 0,
                "quiet": 0,
                "attack_id": None,
            }
            with self.runtime.store.write() as conn:
                conn.execute(detectors.insert().values(resource_arn=arn, **stored))
        else:
            stored = dict(found._mapping)
        window = max(int(stored["next_window"]), due - MAX_CATCH_UP * WINDOW_SECONDS)
        if window + WINDOW_SECONDS > due:
            return
        state = DetectorState(stored["baseline"], stored["learned"], stored["attack_id"] is not None, stored["quiet"])
        attack_id: str | None = stored["attack_id"]
        with self.runtime.store.read() as conn:
            counted = {
                r.window: r
                for r in conn.execute(
                    select(traffic).where(
                        traffic.c.resource_arn == arn, traffic.c.window >= window, traffic.c.window < due
                    )
                ).all()
            }
        while window + WINDOW_SECONDS <= due:
            seen = counted.get(window)
            requests = int(seen.requests) if seen is not None else 0
            contributors = json.loads(seen.contributors) if seen is not None else {}
            peak = int(seen.peak_rps) if seen is not None else 0
            result = step(state, requests)
            if result.started:
                attack_id = self._start_attack(row, window, requests, peak, contributors, state.threshold)
            elif result.state.attacking and result.state.quiet == 0 and attack_id is not None:
                self._continue_attack(row, attack_id, requests, peak, contributors)
            elif result.ended and attack_id is not None:
                self._end_attack(row, attack_id, window - (END_AFTER - 1) * WINDOW_SECONDS)
                attack_id = None
            state = result.state
            window += WINDOW_SECONDS
        with self.runtime.store.write() as conn:
            conn.execute(
                update(detectors)
                .where(detectors.c.resource_arn == arn)
                .values(
                    next_window=window,
                    baseline=state.baseline,
                    learned=state.learned,
                    quiet=state.quiet,
                    attack_id=attack_id,
                )
            )

    def _start_attack(
        self, row: Row, window: int, requests: int, peak: int, contributors: dict[str, Any], threshold: float
    ) -> str:
        attack_id = ids.uuid4()
        document = {
            "Requests": requests,
            "PeakRps": peak,
            "Windows": 1,
            "Contributors": contributors,
            "Mitigations": [],
        }
        with self.runtime.store.write() as conn:
            conn.execute(
                attacks.insert().values(
                    id=attack_id,
                    account_id=row["account_id"],
                    resource_arn=row["resource_arn"],
                    start_time=_at(window),
                    end_time=None,
                    document=json.dumps(document),
                )
            )
        log.warning(
            "Shield: attack %s on %s started (%d requests in a minute, threshold %.0f)",
            attack_id,
            row["resource_arn"],
            requests,
            threshold,
        )
        self._mitigate(row, attack_id, requests, contributors)
        return attack_id

    def _continue_attack(
        self, row: Row, attack_id: str, requests: int, peak: int, contributors: dict[str, Any]
    ) -> None:
        with self.runtime.store.write() as conn:
            found = conn.execute(select(attacks.c.document).where(attacks.c.id == attack_id)).scalar_one_or_none()
            if found is None:
                return
            document = json.loads(found)
            document["Requests"] += requests
            document["PeakRps"] = max(document["PeakRps"], peak)
            document["Windows"] += 1
            merged: dict[str, dict[str, int]] = {}
            for dimension in DIMENSIONS:
                total: Counter[str] = Counter(document["Contributors"].get(dimension, {}))
                total.update(contributors.get(dimension, {}))
                merged[dimension] = dict(total.most_common(TOP))
            document["Contributors"] = merged
            conn.execute(update(attacks).where(attacks.c.id == attack_id).values(document=json.dumps(document)))
        self._mitigate(row, attack_id, requests, contributors)

    def _mitigate(self, row: Row, attack_id: str, requests: int, contributors: dict[str, Any]) -> None:
        sources = top_sources(requests, contributors.get("SOURCE_IP_ADDRESS", {}))
        with self.runtime.store.read() as conn:
            current = conn.execute(select(protections).where(protections.c.id == row["id"])).one_or_none()
        if current is None or not sources:
            return
        fresh = dict(current._mapping)
        config = self.auto_response(fresh) or {}
        addresses = sorted(set(config.get("Mitigating") or []) | {self._cidr(a) for a in sources})
        if addresses == config.get("Mitigating"):
            return
        try:
            name = self.mitigate(fresh, addresses)
        except Exception:
            log.exception("Shield could not place its mitigation for %s", row["resource_arn"])
            return
        if name is None:
            return
        with self.runtime.store.write() as conn:
            found = conn.execute(select(attacks.c.document).where(attacks.c.id == attack_id)).scalar_one_or_none()
            if found is not None:
                document = json.loads(found)
                if name not in document["Mitigations"]:
                    document["Mitigations"].append(name)
                    conn.execute(update(attacks).where(attacks.c.id == attack_id).values(document=json.dumps(document)))

    @staticmethod
    def _cidr(address: str) -> str:
        return address + ("/128" if ":" in address else "/32")

    def _end_attack(self, row: Row, attack_id: str, ended: int) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(update(attacks).where(attacks.c.id == attack_id).values(end_time=_at(ended)))
        log.warning("Shield: attack %s on %s ended", attack_id, row["resource_arn"])
        with self.runtime.store.read() as conn:
            current = conn.execute(select(protections).where(protections.c.id == row["id"])).one_or_none()
        if current is not None:
            try:
                self.stand_down(dict(current._mapping))
            except Exception:
                log.exception("Shield could not withdraw its mitigation for %s", row["resource_arn"])

    # -- the API --------------------------------------------------------------------------------------------------

    def _attacks(self, account_id: str) -> list[Row]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(attacks).where(attacks.c.account_id == account_id)).all()
        return sorted((dict(r._mapping) for r in rows), key=lambda r: (r["start_time"], r["id"]), reverse=True)

    @staticmethod
    def _in_range(when: datetime | None, spec: dict[str, Any] | None) -> bool:
        if not spec:
            return True
        if when is None:
            return spec.get("ToExclusive") is None  # an ongoing attack has no end yet
        start, end = spec.get("FromInclusive"), spec.get("ToExclusive")
        return (start is None or when >= start) and (end is None or when < end)

    def list_attacks(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows = self._attacks(ctx.account_id)
        arns = request.get("ResourceArns")
        if arns:
            rows = [r for r in rows if r["resource_arn"] in arns]
        rows = [
            r
            for r in rows
            if self._in_range(r["start_time"], request.get("StartTime"))
            and (not request.get("EndTime") or self._in_range(r["end_time"], request.get("EndTime")))
        ]
        size = int(request.get("MaxResults") or DEFAULT_PAGE)
        page, token = pages.offset_page(
            rows,
            request.get("NextToken"),
            size,
            lambda: errors.InvalidParameterException("Invalid NextToken.", reason="OTHER"),
        )
        summaries = []
        for r in page:
            summary: dict[str, Any] = {
                "AttackId": r["id"],
                "ResourceArn": r["resource_arn"],
                "StartTime": r["start_time"],
            }
            if r["end_time"] is not None:
                summary["EndTime"] = r["end_time"]
            summary["AttackVectors"] = [{"VectorType": "REQUEST_FLOOD"}]
            summaries.append(summary)
        out: dict[str, Any] = {"AttackSummaries": summaries}
        if token:
            out["NextToken"] = token
        return out

    def describe_attack(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            found = conn.execute(select(attacks).where(attacks.c.id == request["AttackId"])).one_or_none()
        if found is None or found.account_id != ctx.account_id:
            raise errors.AccessDeniedException("You don't have access to the attack, or it does not exist.")
        document = json.loads(found.document)
        windows = max(1, int(document["Windows"]))
        requests = int(document["Requests"])
        counter = {
            "Name": "REQUESTS",
            "Max": float(document["PeakRps"]),
            "Average": requests / (windows * WINDOW_SECONDS),
            "Sum": float(requests),
            "N": windows,
            "Unit": "Requests",
        }
        properties = []
        for dimension in DIMENSIONS:
            values = document["Contributors"].get(dimension, {})
            if not values:
                continue
            ranked = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SHOWN]
            properties.append(
                {
                    "AttackLayer": "APPLICATION",
                    "AttackPropertyIdentifier": dimension,
                    "TopContributors": [{"Name": k, "Value": int(v)} for k, v in ranked],
                    "Unit": "REQUESTS",
                    "Total": requests,
                }
            )
        urls = document["Contributors"].get("DESTINATION_URL", {})
        sub_resources = [
            {
                "Type": "URL",
                "Id": url,
                "AttackVectors": [{"VectorType": "REQUEST_FLOOD", "VectorCounters": [{**counter, "Sum": float(n)}]}],
                "Counters": [],
            }
            for url, n in sorted(urls.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_SHOWN]
        ]
        detail: dict[str, Any] = {
            "AttackId": found.id,
            "ResourceArn": found.resource_arn,
            "SubResources": sub_resources,
            "StartTime": found.start_time,
        }
        if found.end_time is not None:
            detail["EndTime"] = found.end_time
        detail["AttackCounters"] = [counter]
        detail["AttackProperties"] = properties
        detail["Mitigations"] = [{"MitigationName": m} for m in document["Mitigations"]]
        return {"Attack": detail}

    def describe_attack_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        since = now - timedelta(days=365)
        rows = [r for r in self._attacks(ctx.account_id) if r["start_time"] >= since]
        item: dict[str, Any] = {"AttackCount": len(rows)}
        if rows:
            peak = max(json.loads(r["document"])["PeakRps"] for r in rows)
            item = {"AttackVolume": {"RequestsPerSecond": {"Max": float(peak)}}, "AttackCount": len(rows)}
        return {"TimeRange": {"FromInclusive": since, "ToExclusive": now}, "DataItems": [item]}
