"""S3 replication's durable state: the queue (``s3_replication_queue``: one row per source version and destination
bucket still PENDING or FAILED) and the per-rule counters (``s3_replication_metrics``) — filled by writes in their
own transaction, settled by the replication job, re-driven and reported by ``strongroom s3 replication``.

The CLI works on the database directly (as ``strongroom acm approve`` does): a re-drive only puts rows back to
PENDING and schedules their jobs, which the running server's scheduler then takes like any other.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, insert, or_, select, update

from strongroom.core.clock import clock
from strongroom.scheduler.jobs import schedule_job
from strongroom.services.s3 import encryption
from strongroom.services.s3.base import NULL_VERSION, Row, loads
from strongroom.services.s3.model import bucket_configs, buckets, objects, replication_metrics, replication_queue
from strongroom.services.s3.replication_rules import (
    COMPLETED,
    FAILED,
    METADATA,
    OBJECT,
    PENDING,
    REPLICA,
    Rule,
    choose,
    rules_of,
)

if TYPE_CHECKING:
    from strongroom.store.engine import Store

REPLICATION_JOB = "s3-replication"
CONFIG = "replication"  # the kind of the bucket configuration document
KMS_MODES = (encryption.SSE_KMS, encryption.DSSE_KMS)
NONE = "NONE"  # Batch Replication's name for versions that have no replication status


@dataclass(frozen=True, slots=True)
class Target:
    """One queued replication: a source version and a destination bucket (what the re-drive CLI follows)."""

    bucket: str
    key: str
    version_id: str
    destination: str


@dataclass(slots=True)
class Outcome:
    """Where a set of targets stands: completed, failed (with their reasons), still pending."""

    completed: int = 0
    failed: list[tuple[Target, str]] = field(default_factory=list)
    pending: int = 0


def job_key(bucket: str, version_id: str) -> str:
    """The replication job of one source version (``s3-replication:<bucket>/<version id>``)."""
    return f"{bucket}/{version_id}"


def chosen_for(config: dict[str, Any], row: Row, *, replica: bool = False) -> dict[str, Rule]:
    """The rule, per destination bucket, that replicates this object row (``replication_rules.choose``)."""
    return choose(
        rules_of(config),
        key=str(row["key"]),
        tags=loads(row.get("tags")),
        delete_marker=bool(row.get("delete_marker")),
        kms=loads(row.get("encryption")).get("mode") in KMS_MODES,
        replica=replica,
    )


def enqueue(
    conn: Connection, bucket: str, row: Row, chosen: dict[str, Rule], operation: str, origin: str, now: datetime
) -> list[Target]:
    """Queue ``row`` for each chosen destination in the caller's transaction; the version becomes PENDING and its job
    is scheduled. A pending object copy is never downgraded to a metadata sync (the copy carries the metadata), and
    every queuing moves the row's generation on, so a job run that started before does not settle it."""
    out = []
    for destination, rule in chosen.items():
        pk = (
            (replication_queue.c.bucket == bucket)
            & (replication_queue.c.version_id == row["version_id"])
            & (replication_queue.c.destination == destination)
        )
        existing = conn.execute(select(replication_queue.c.operation).where(pk)).first()
        kept = operation if existing is None or operation != METADATA else str(existing.operation)
        values: dict[str, Any] = {
            "rule_id": rule.id,
            "operation": kept,
            "size": int(row.get("size") or 0) if kept == OBJECT else 0,
            "origin": origin,
            "status": PENDING,
            "attempts": 0,
            "reason": None,
            "updated_at": now,
        }
        if existing is None:
            conn.execute(
                insert(replication_queue).values(
                    bucket=bucket,
                    version_id=row["version_id"],
                    destination=destination,
                    key=row["key"],
                    generation=1,
                    queued_at=now,
                    **values,
                )
            )
        else:
            conn.execute(
                update(replication_queue).where(pk).values(generation=replication_queue.c.generation + 1, **values)
            )
        out.append(Target(bucket, str(row["key"]), str(row["version_id"]), destination))
    if out:
        conn.execute(
            update(objects)
            .where(objects.c.bucket == bucket, objects.c.key == row["key"], objects.c.version_id == row["version_id"])
            .values(replication_status=PENDING)
        )
        schedule_job(conn, REPLICATION_JOB, job_key(bucket, str(row["version_id"])), now)
    return out


def same_row(item: Row) -> tuple[Any, ...]:
    """The queue row ``item`` was read as, unless it was queued again since (its generation moved on)."""
    return (
        replication_queue.c.bucket == item["bucket"],
        replication_queue.c.version_id == item["version_id"],
        replication_queue.c.destination == item["destination"],
        replication_queue.c.generation == item["generation"],
    )


def count(conn: Connection, item: Row, status: str, moved: int) -> None:
    """Add one settled operation to its rule's counters."""
    key = (replication_metrics.c.bucket == item["bucket"]) & (replication_metrics.c.rule_id == item["rule_id"])
    if status == COMPLETED:
        values: dict[str, Any] = {
            "completed_operations": replication_metrics.c.completed_operations + 1,
            "completed_bytes": replication_metrics.c.completed_bytes + moved,
        }
        initial = {"completed_operations": 1, "completed_bytes": moved, "failed_operations": 0}
    else:
        values = {"failed_operations": replication_metrics.c.failed_operations + 1}
        initial = {"completed_operations": 0, "completed_bytes": 0, "failed_operations": 1}
    if not conn.execute(update(replication_metrics).where(key).values(**values)).rowcount:
        conn.execute(insert(replication_metrics).values(bucket=item["bucket"], rule_id=item["rule_id"], **initial))


# -- what the CLI uses (``strongroom s3 replication``) ---------------------------------------------------------------


def config_of(conn: Connection, bucket: str) -> dict[str, Any]:
    """The bucket's replication configuration; LookupError (with what is missing) when there is none."""
    if conn.execute(select(buckets.c.name).where(buckets.c.name == bucket)).first() is None:
        raise LookupError(f"no bucket named {bucket}")
    text = conn.execute(
        select(bucket_configs.c.document).where(bucket_configs.c.bucket == bucket, bucket_configs.c.kind == CONFIG)
    ).scalar()
    if text is None:
        raise LookupError(f"{bucket} has no replication configuration")
    document: dict[str, Any] = json.loads(text)
    return document


def redrive(store: Store, bucket: str, *, prefix: str = "", statuses: Iterable[str] = (FAILED,)) -> list[Target]:
    """S3 Batch Replication's selection, queued for the replication job: versions of ``bucket`` under ``prefix``
    whose replication status is one of ``statuses`` — FAILED (their failed destinations, again), NONE (never
    replicated: objects older than the configuration), COMPLETED (replicated before, e.g. to a destination added
    since) or REPLICA (replicas, for chains) — replicated by the current configuration. Returns what was queued."""
    wanted = {s.upper() for s in statuses}
    now = clock.now()
    out: list[Target] = []
    with store.write() as conn:
        config = config_of(conn, bucket)
        if FAILED in wanted:
            failed = [
                dict(r)
                for r in conn.execute(
                    select(replication_queue).where(
                        replication_queue.c.bucket == bucket,
                        replication_queue.c.status == FAILED,
                        replication_queue.c.key.startswith(prefix, autoescape=True),
                    )
                ).mappings()
            ]
            versions: dict[str, str] = {}
            for row in failed:
                conn.execute(
                    update(replication_queue)
                    .where(*same_row(row))
                    .values(
                        status=PENDING,
                        attempts=0,
                        reason=None,
                        generation=replication_queue.c.generation + 1,
                        updated_at=now,
                    )
                )
                versions[row["version_id"]] = row["key"]
                out.append(Target(bucket, row["key"], row["version_id"], row["destination"]))
            for version_id, key in versions.items():
                conn.execute(
                    update(objects)
                    .where(objects.c.bucket == bucket, objects.c.key == key, objects.c.version_id == version_id)
                    .values(replication_status=PENDING)
                )
                schedule_job(conn, REPLICATION_JOB, job_key(bucket, version_id), now)
        others = [s for s in wanted if s in (COMPLETED, REPLICA)]
        if others or NONE in wanted:
            status = objects.c.replication_status
            selected = or_(status.in_(others), status.is_(None)) if NONE in wanted else status.in_(others)
            rows = [
                dict(r)
                for r in conn.execute(
                    select(objects).where(
                        objects.c.bucket == bucket,
                        objects.c.key.startswith(prefix, autoescape=True),
                        objects.c.delete_marker.is_(False),
                        # A replica keeps its source's version id; a "null" version has none to keep.
                        objects.c.version_id != NULL_VERSION,
                        selected,
                    )
                ).mappings()
            ]
            for row in rows:
                origin = REPLICA if row["replication_status"] == REPLICA else COMPLETED
                out += enqueue(conn, bucket, row, chosen_for(config, row), OBJECT, origin, now)
    return out


def progress(store: Store, targets: list[Target]) -> Outcome:
    """Where queued targets stand: a row gone is completed, FAILED is failed (with its reason), else pending."""
    outcome = Outcome()
    by_bucket: dict[str, list[Target]] = {}
    for target in targets:
        by_bucket.setdefault(target.bucket, []).append(target)
    with store.read() as conn:
        for bucket, group in by_bucket.items():
            rows = {
                (r.version_id, r.destination): r
                for r in conn.execute(
                    select(
                        replication_queue.c.version_id,
                        replication_queue.c.destination,
                        replication_queue.c.status,
                        replication_queue.c.reason,
                    ).where(
                        replication_queue.c.bucket == bucket,
                        replication_queue.c.version_id.in_({t.version_id for t in group}),
                    )
                )
            }
            for target in group:
                row = rows.get((target.version_id, target.destination))
                if row is None:
                    outcome.completed += 1
                elif row.status == FAILED:
                    outcome.failed.append((target, str(row.reason or FAILED)))
                else:
                    outcome.pending += 1
    return outcome


def metrics(store: Store, bucket: str, *, failures: int = 20) -> dict[str, Any]:
    """Per rule: operations and bytes pending and failed (from the queue) and completed (counters kept since the
    rule first replicated); plus the first ``failures`` failed replications with their reasons. S3's replication
    metrics are CloudWatch's (Operations/Bytes Pending Replication, Operations Failed Replication), never part of
    GetBucketReplication; this is where Strongroom shows them."""
    empty = {f"{s}_{m}": 0 for s in ("pending", "failed", "completed") for m in ("operations", "bytes")}
    with store.read() as conn:
        config = config_of(conn, bucket)
        rules: dict[str, dict[str, Any]] = {
            rule.id: {"destination": rule.destination, "status": "Enabled" if rule.enabled else "Disabled", **empty}
            for rule in rules_of(config)
        }

        def entry(rule_id: str) -> dict[str, Any]:
            return rules.setdefault(rule_id, {"destination": "", "status": "removed", **empty})

        for row in conn.execute(
            select(replication_queue.c.rule_id, replication_queue.c.status, replication_queue.c.size).where(
                replication_queue.c.bucket == bucket
            )
        ):
            name = "pending" if row.status == PENDING else "failed"
            entry(row.rule_id)[f"{name}_operations"] += 1
            entry(row.rule_id)[f"{name}_bytes"] += int(row.size or 0)
        for row in conn.execute(select(replication_metrics).where(replication_metrics.c.bucket == bucket)):
            entry(row.rule_id).update(
                completed_operations=int(row.completed_operations),
                completed_bytes=int(row.completed_bytes),
                failures_recorded=int(row.failed_operations),
            )
        failed = [
            {
                "key": r.key,
                "version_id": r.version_id,
                "destination": r.destination,
                "rule_id": r.rule_id,
                "reason": r.reason,
            }
            for r in conn.execute(
                select(replication_queue)
                .where(replication_queue.c.bucket == bucket, replication_queue.c.status == FAILED)
                .order_by(replication_queue.c.key)
                .limit(failures)
            )
        ]
    return {"bucket": bucket, "role": config.get("Role"), "rules": rules, "failures": failed}
