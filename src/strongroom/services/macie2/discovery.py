"""Automated sensitive data discovery: while it is enabled, a daily pass (the ``macie2-discovery`` scheduler job,
on the server clock, first run when it is enabled) picks in every bucket of the account the classification scope
does not exclude up to ``PER_BUCKET`` objects it has not analysed yet (in an order fixed by a hash of bucket, key
and ETag: a sample spread over the bucket, as AWS's "representative sample"), classifies them with what the
sensitivity inspection template selects (``scopes.py``: the recommended managed data identifiers less its excludes
plus its includes, its custom data identifiers and allow lists), stores findings with ``originType:
AUTOMATED_SENSITIVE_DATA_DISCOVERY`` and updates the bucket's sensitivity score.

What was analysed is kept per bucket (``settings`` row ``discovered``: for each object ``key@etag``, its result
status, bytes classified and detection counts by identifier id), so each day reads new objects until the bucket is
covered, and the resource profiles (``profiles.py``) answer from it. The score (``score``): 1 when no analysed
object holds sensitive data, else 51–100 by the share of analysed objects that do — counting only the identifiers
not suppressed in the bucket's profile (UpdateResourceProfileDetections); an override (UpdateResourceProfile)
replaces it (``base.bucket_scores``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select

from strongroom.core.clock import clock
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.sensitive import build_classifier
from strongroom.sensitive.contract import AllowList, ObjectResult, ScanConfig
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import DISCOVERY_JOB, iso
from strongroom.services.macie2.buckets import bucket_facts
from strongroom.services.macie2.identifiers import custom_of
from strongroom.services.macie2.model import allow_lists, custom_identifiers, sessions
from strongroom.services.macie2.runner import RunnerOperations
from strongroom.services.macie2.scopes import ScopeOperations, template_ids

PER_BUCKET = 100  # objects analysed per bucket and day
ORIGIN = "AUTOMATED_SENSITIVE_DATA_DISCOVERY"


def entry(value: Any) -> dict[str, Any]:
    """One analysed object's record; older records were a bare "had sensitive data" flag."""
    if isinstance(value, dict):
        return value
    return {"status": "COMPLETE", "bytes": 0, "detections": {"UNKNOWN": 1} if value else {}}


def _record(result: ObjectResult) -> dict[str, Any]:
    detections: dict[str, int] = {}
    for d in result.detections:
        detections[d.type] = detections.get(d.type, 0) + int(d.count)
    out: dict[str, Any] = {
        "status": result.status,
        "bytes": int(result.size_classified),
        "detections": detections,
        "at": iso(clock.now()),
    }
    if result.reason:
        out["reason"] = result.reason
    return out


def score(seen: dict[str, Any], suppressed: set[str]) -> int | None:
    """A bucket's sensitivity score from its analysed objects (None: nothing analysed yet)."""
    if not seen:
        return None
    entries = [entry(v) for v in seen.values()]
    sensitive = sum(1 for e in entries if set(e["detections"]) - suppressed)
    return 1 if not sensitive else 51 + round(49 * sensitive / len(entries))


def _order(bucket: str, item: dict[str, Any]) -> str:
    return hashlib.sha256(f"{bucket}/{item['Key']}/{item.get('ETag')}".encode()).hexdigest()


class DiscoveryOperations(RunnerOperations, ScopeOperations):
    scheduled_jobs = {DISCOVERY_JOB: "run_discovery"}

    def run_discovery(self, job: JobContext) -> JobResult | None:
        account_id, _, region = job.key.partition(":")
        with self.runtime.store.read() as conn:
            session = conn.execute(
                select(sessions).where(sessions.c.account_id == account_id, sessions.c.region == region)
            ).first()
        if session is None or not self.setting(account_id, region, "discovery"):
            return None  # Macie, or automated discovery, was disabled: the job ends
        if session.status == "ENABLED":
            self.discover(account_id, region)
        return JobResult.again(job.now + timedelta(days=1))

    def discovery_config(self, account_id: str, region: str) -> ScanConfig:
        """What the sensitivity inspection template selects, as the engine's configuration. Deleted custom
        identifiers are left out; an allow list Macie cannot read is ignored, as in jobs."""
        managed, custom_ids, list_ids = template_ids(self.inspection_template(account_id, region))
        with self.runtime.store.read() as conn:
            customs = [
                custom_of(r)
                for r in conn.execute(
                    select(custom_identifiers).where(
                        custom_identifiers.c.identifier_id.in_(custom_ids),
                        custom_identifiers.c.account_id == account_id,
                        custom_identifiers.c.deleted.is_(False),
                    )
                )
            ]
            list_rows = conn.execute(
                select(allow_lists).where(allow_lists.c.list_id.in_(list_ids), allow_lists.c.account_id == account_id)
            ).all()
        lists: list[AllowList] = []
        for lr in list_rows:
            _, _, allow = self.read_allow_list(account_id, region, json.loads(lr.criteria))
            if allow is not None:
                lists.append(AllowList(id=lr.list_id, words=allow.words, regex=allow.regex))
        return ScanConfig(
            managed_selector="INCLUDE", managed_ids=managed, custom=tuple(customs), allow_lists=tuple(lists)
        )

    def discover(self, account_id: str, region: str) -> None:
        ctx = s3read.as_service(self.runtime, account_id, region, "UpdateAutomatedDiscoveryConfiguration")
        config = self.discovery_config(account_id, region)
        classifier = build_classifier(config)
        customs = {c.id: c for c in config.custom}
        excluded = set(self.excluded_buckets(account_id, region))
        done: dict[str, dict[str, Any]] = self.setting(account_id, region, "discovered") or {}
        account_bpa = self.account_bpa(ctx)
        row = SimpleNamespace(account_id=account_id, region=region, job_id=None)
        size = objects = 0
        for bucket in self.bucket_list(ctx):
            name = bucket["Name"]
            if name in excluded:
                continue  # the classification scope leaves it out
            seen = done.setdefault(name, {})
            items = [i for i in self._objects(ctx, name, None) if f"{i['Key']}@{i.get('ETag')}" not in seen]
            if not items:
                continue
            facts = {
                **bucket_facts(ctx, name, account_bpa),
                "created": bucket.get("CreationDate"),
                "account": account_id,
            }
            for item in sorted(items, key=lambda i: _order(name, i))[:PER_BUCKET]:
                _, result = self._classify(ctx, row, facts, item, classifier, customs, None, origin=ORIGIN)  # type: ignore[arg-type]
                seen[f"{item['Key']}@{item.get('ETag')}"] = _record(result)
                size += result.size_classified
                objects += 1 if result.status != "SKIPPED" else 0
        self.record_usage(account_id, region, "AUTOMATED_SENSITIVE_DATA_DISCOVERY", size, objects)
        with self.runtime.store.write() as conn:
            self.put_setting(conn, account_id, region, "discovered", done)
            self.rescore(conn, account_id, region, done)

    def rescore(self, conn: Connection, account_id: str, region: str, done: dict[str, dict[str, Any]]) -> None:
        """Recompute the scores of the buckets automated discovery analysed (after a pass, or a change of the
        detections a profile suppresses)."""
        profiles = self.setting(account_id, region, "profiles", conn) or {}
        scores = self.setting(account_id, region, "scores", conn) or {}
        for name, seen in done.items():
            suppressed = {s["id"] for s in (profiles.get(name) or {}).get("suppressed") or []}
            value = score(seen, suppressed)
            if value is not None:
                scores[name] = value
        self.put_setting(conn, account_id, region, "scores", scores)
