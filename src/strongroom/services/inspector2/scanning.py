"""Scanning on its own: each enabled account's Lambda functions, reconciled by a scheduler job.

One ``inspector2-scan`` job per (account, Region) runs when LAMBDA / LAMBDA_CODE is enabled and then every
``RECONCILE_SECONDS`` of the server clock. It compares each function's CodeSha256 (the package and its layers: a
layer change changes the function's code hash here) with the one its coverage row last scanned, and the loaded
database version with the one the package scan used; a function that is new, whose code changed, or (package scans)
whose database changed is scanned again. A scheduler job rather than a hook in Lambda's write path: the comparison
is robust across workers and restarts (a missed change is seen at the next run, the lease makes each run happen
once), and Lambda stays unaware of Inspector.

A scan reads the deployment package in-process from Lambda's code store, as the service (``lambda_/inventory.py``),
runs the engine (``strongroom.vulnscan``), and reconciles the function's findings: a new (vulnerability, package) or
(rule, file, line) becomes an ACTIVE finding — SUPPRESSED when a suppression filter matches it — one still present is
updated (``lastObservedAt``), one no longer present is CLOSED (fixed). A deleted function's coverage goes and its
findings close.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import Connection, delete, select, update

from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.inspector2 import advisories, findingjson
from strongroom.services.inspector2.base import (
    LAMBDA_RESOURCE,
    RECONCILE_SECONDS,
    SCAN_JOB,
    SCAN_TYPES,
    InspectorBase,
    iso,
)
from strongroom.services.inspector2.model import coverage, findings
from strongroom.services.lambda_.inventory import FunctionInfo, code_zip, functions_of
from strongroom.vulnscan.contract import inventory, match, scan_code

# Runtimes Inspector scans (AWS's "supported runtimes"): packages for these, code for Python and Node.js.
_PACKAGE_RUNTIMES = ("python", "nodejs", "java", "go", "ruby", "provided", "dotnet")
_CODE_RUNTIMES = ("python", "nodejs")
_MAX_UNZIPPED = 512 * 1024 * 1024  # Lambda's own unzipped limit is 250 MB; past this, do not inflate


class _EmptySource:
    """Before ``update-db``: no advisories (package scans find nothing; they run again once a database loads)."""

    version = "none"

    def advisories_for(self, ecosystem: str, name: str) -> list[Any]:
        del ecosystem, name
        return []


def unzip(data: bytes) -> dict[str, bytes] | None:
    """The members of a deployment package, or None when it is not a zip or inflates past the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > _MAX_UNZIPPED:
                return None
            return {i.filename: archive.read(i) for i in infos}
    except (zipfile.BadZipFile, OSError, ValueError):
        return None


class ScanningOperations(InspectorBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {SCAN_JOB: "scan_job"}

    def scan_job(self, job: JobContext) -> JobResult | None:
        account_id, _, region = job.key.partition(":")
        with self.runtime.store.read() as conn:
            states = self.statuses(conn, account_id, region)
        enabled = [SCAN_TYPES[k] for k in SCAN_TYPES if states[k] == "ENABLED"]
        if not enabled:
            return None
        self.reconcile(account_id, region, enabled, job.now)
        return JobResult.again(job.now + timedelta(seconds=RECONCILE_SECONDS))

    def reconcile(self, account_id: str, region: str, scan_types: list[str], now: datetime) -> int:
        """Scan what changed; returns the number of scans run."""
        source: Any = advisories.source(self.runtime.store) or _EmptySource()
        functions = functions_of(self.runtime.store, account_id, region)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(coverage).where(coverage.c.account_id == account_id, coverage.c.region == region)
            ).all()
        covered = {(r.resource_id, r.scan_type): r for r in rows}
        scans = 0
        live = {fn.arn for fn in functions}
        for fn in functions:
            due = []
            for scan_type in scan_types:
                row = covered.get((fn.arn, scan_type))
                if (
                    row is None
                    or row.code_sha256 != fn.code_sha256
                    or (scan_type == "PACKAGE" and row.db_version != source.version)
                ):
                    due.append(scan_type)
            if due:
                self.scan_function(account_id, region, fn, due, source, now)
                scans += 1
        gone = {arn for arn, _ in covered if arn not in live}
        if gone:
            self._resource_gone(account_id, region, gone, now)
        return scans

    def scan_function(
        self, account_id: str, region: str, fn: FunctionInfo, scan_types: list[str], source: Any, now: datetime
    ) -> None:
        data = code_zip(self.runtime.store, fn.code_sha256)
        files = unzip(data) if data is not None else None
        runtime = fn.runtime or ""
        results: dict[str, tuple[str, dict[str, dict[str, Any]]]] = {}
        for scan_type in scan_types:
            supported = _CODE_RUNTIMES if scan_type == "CODE" else _PACKAGE_RUNTIMES
            if files is None:
                results[scan_type] = ("UNSUPPORTED_CODE_ARTIFACTS", {})
            elif not runtime.startswith(supported):
                results[scan_type] = ("UNSUPPORTED_RUNTIME", {})
            elif scan_type == "PACKAGE":
                drafts = {
                    findingjson.package_key(m): findingjson.package_finding(
                        m, fn, account_id, region, source.version, now
                    )
                    for m in match(inventory(files), source)
                }
                results[scan_type] = ("SUCCESSFUL", drafts)
            else:
                drafts = {
                    findingjson.code_key(m): findingjson.code_finding(m, fn, account_id, region, now)
                    for m in scan_code(files)
                }
                results[scan_type] = ("SUCCESSFUL", drafts)
        with self.runtime.store.write() as conn:
            rules = self.suppression_rules(conn, account_id, region)
            for scan_type, (reason, drafts) in results.items():
                finding_type = "PACKAGE_VULNERABILITY" if scan_type == "PACKAGE" else "CODE_VULNERABILITY"
                counts = self._apply(conn, account_id, region, fn.arn, finding_type, drafts, rules, now)
                self._cover(conn, account_id, region, fn, scan_type, reason, source.version, now)
                self.send_event(
                    conn,
                    account_id,
                    region,
                    "Inspector2 Scan",
                    {
                        "scan-status": "INITIAL_SCAN_COMPLETE" if reason == "SUCCESSFUL" else "SCAN_FAILED",
                        "scan-status-reason": reason,
                        "resource-type": LAMBDA_RESOURCE,
                        "scan-type": scan_type,
                        "function-name": fn.name,
                        "code-sha256": fn.code_sha256,
                        "finding-severity-counts": counts,
                    },
                    [fn.arn],
                    now,
                )

    def _apply(
        self,
        conn: Connection,
        account_id: str,
        region: str,
        resource_id: str,
        finding_type: str,
        drafts: dict[str, dict[str, Any]],
        rules: list[dict[str, Any]],
        now: datetime,
    ) -> dict[str, int]:
        """Reconcile the resource's findings of one type with ``drafts`` (dedup key -> finding); answers the
        severity counts of what is open."""
        existing = {
            r.dedup_key: r
            for r in conn.execute(
                select(findings).where(
                    findings.c.account_id == account_id,
                    findings.c.region == region,
                    findings.c.resource_id == resource_id,
                    findings.c.type == finding_type,
                )
            ).all()
        }
        counts = {"CRITICAL": 0, "HIGH": 0, "MEDIUM": 0, "TOTAL": 0}
        for key, body in drafts.items():
            row = existing.get(key)
            if row is not None:
                old = json.loads(row.body)
                body["findingArn"] = row.finding_arn
                body["firstObservedAt"] = old.get("firstObservedAt", body["firstObservedAt"])
            else:
                body["findingArn"] = self.finding_arn(account_id, region)
            body["status"] = "SUPPRESSED" if self.suppressed(body, rules) else "ACTIVE"
            if body["status"] == "ACTIVE":
                counts["TOTAL"] += 1
                if body["severity"] in counts:
                    counts[body["severity"]] += 1
            values = {
                "status": body["status"],
                "severity": body["severity"],
                "inspector_score": body.get("inspectorScore"),
                "body": json.dumps(body),
                "updated_at": now,
            }
            if row is None:
                conn.execute(
                    findings.insert().values(
                        finding_arn=body["findingArn"],
                        account_id=account_id,
                        region=region,
                        resource_id=resource_id,
                        dedup_key=key[:512],
                        type=finding_type,
                        first_observed_at=now,
                        **values,
                    )
                )
            else:
                conn.execute(update(findings).where(findings.c.finding_arn == row.finding_arn).values(**values))
            if body["status"] == "ACTIVE" and (row is None or row.status != "ACTIVE"):
                self.send_event(conn, account_id, region, "Inspector2 Finding", body, [resource_id], now)
        for key, row in existing.items():
            if key not in drafts and row.status != "CLOSED":
                self._close(conn, row, now)
        return counts

    def _close(self, conn: Connection, row: Any, now: datetime) -> None:
        body = json.loads(row.body)
        body["status"] = "CLOSED"
        body["updatedAt"] = iso(now)
        conn.execute(
            update(findings)
            .where(findings.c.finding_arn == row.finding_arn)
            .values(status="CLOSED", body=json.dumps(body), updated_at=now)
        )
        if row.status == "ACTIVE":  # AWS sends the change to CLOSED; suppressed findings were never announced
            self.send_event(conn, row.account_id, row.region, "Inspector2 Finding", body, [row.resource_id], now)

    def _cover(
        self,
        conn: Connection,
        account_id: str,
        region: str,
        fn: FunctionInfo,
        scan_type: str,
        reason: str,
        db_version: str,
        now: datetime,
    ) -> None:
        status = "ACTIVE" if reason == "SUCCESSFUL" else "INACTIVE"
        metadata = {"functionName": fn.name, "runtime": fn.runtime, "functionTags": fn.tags, "layers": []}
        key = (
            (coverage.c.account_id == account_id)
            & (coverage.c.region == region)
            & (coverage.c.resource_id == fn.arn)
            & (coverage.c.scan_type == scan_type)
        )
        old = conn.execute(select(coverage.c.status_code, coverage.c.reason).where(key)).first()
        values = {
            "resource_type": LAMBDA_RESOURCE,
            "status_code": status,
            "reason": reason,
            "code_sha256": fn.code_sha256,
            "db_version": db_version,
            "metadata": json.dumps(metadata),
            "last_scanned_at": now,
        }
        if old is None:
            conn.execute(
                coverage.insert().values(
                    account_id=account_id, region=region, resource_id=fn.arn, scan_type=scan_type, **values
                )
            )
        else:
            conn.execute(update(coverage).where(key).values(**values))
        if old is None or (old.status_code, old.reason) != (status, reason):
            self.send_event(
                conn,
                account_id,
                region,
                "Inspector2 Coverage",
                {
                    "scanStatus": {
                        "statusCodeValue": status,
                        "reason": reason,
                        "oldStatusCodeValue": old.status_code if old is not None else None,
                        "oldReason": old.reason if old is not None else None,
                    },
                    "eventTimestamp": iso(now),
                    "resourceType": LAMBDA_RESOURCE,
                    "scanType": scan_type,
                },
                [fn.arn],
                now,
            )

    def _resource_gone(self, account_id: str, region: str, arns: set[str], now: datetime) -> None:
        with self.runtime.store.write() as conn:
            for arn in arns:
                conn.execute(
                    delete(coverage).where(
                        coverage.c.account_id == account_id, coverage.c.region == region, coverage.c.resource_id == arn
                    )
                )
                open_rows = conn.execute(
                    select(findings).where(
                        findings.c.account_id == account_id,
                        findings.c.region == region,
                        findings.c.resource_id == arn,
                        findings.c.status != "CLOSED",
                    )
                ).all()
                for row in open_rows:
                    self._close(conn, row, now)
