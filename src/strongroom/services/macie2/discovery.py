"""Automated sensitive data discovery: while it is enabled, a daily pass (the ``macie2-discovery`` scheduler job,
on the server clock, first run when it is enabled) picks in every bucket of the account up to ``PER_BUCKET``
objects it has not analysed yet (in an order fixed by a hash of bucket, key and ETag: a sample spread over the
bucket, as AWS's "representative sample"), classifies them with the recommended managed data identifiers, stores
findings with ``originType: AUTOMATED_SENSITIVE_DATA_DISCOVERY`` and updates the bucket's sensitivity score (1:
nothing found so far; 51–100: the share of analysed objects with sensitive data). What was analysed is kept per
bucket (``settings`` row ``discovered``), so each day reads new objects until the bucket is covered.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.sensitive import build_classifier
from strongroom.sensitive.contract import ScanConfig
from strongroom.services.macie2 import s3read
from strongroom.services.macie2.base import DISCOVERY_JOB
from strongroom.services.macie2.buckets import bucket_facts
from strongroom.services.macie2.model import sessions
from strongroom.services.macie2.runner import RunnerOperations

PER_BUCKET = 100  # objects analysed per bucket and day
ORIGIN = "AUTOMATED_SENSITIVE_DATA_DISCOVERY"


def _order(bucket: str, item: dict[str, Any]) -> str:
    return hashlib.sha256(f"{bucket}/{item['Key']}/{item.get('ETag')}".encode()).hexdigest()


class DiscoveryOperations(RunnerOperations):
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

    def discover(self, account_id: str, region: str) -> None:
        ctx = s3read.as_service(self.runtime, account_id, region, "UpdateAutomatedDiscoveryConfiguration")
        classifier = build_classifier(ScanConfig(managed_selector="RECOMMENDED"))
        done: dict[str, dict[str, bool]] = self.setting(account_id, region, "discovered") or {}
        account_bpa = self.account_bpa(ctx)
        row = SimpleNamespace(account_id=account_id, region=region, job_id=None)
        for bucket in self.bucket_list(ctx):
            name = bucket["Name"]
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
                found = self._classify(ctx, row, facts, item, classifier, {}, None, origin=ORIGIN)  # type: ignore[arg-type]
                seen[f"{item['Key']}@{item.get('ETag')}"] = found
        scores = self.setting(account_id, region, "scores") or {}
        for name, seen in done.items():
            if seen:
                sensitive = sum(1 for v in seen.values() if v)
                scores[name] = 1 if not sensitive else 51 + round(49 * sensitive / len(seen))
        with self.runtime.store.write() as conn:
            self.put_setting(conn, account_id, region, "discovered", done)
            self.put_setting(conn, account_id, region, "scores", scores)
