"""Trail delivery: gzip log files and hourly signed digests, laid out exactly as CloudTrail's S3 keys.

A trail's S3BucketName is a directory: ``<trails base>/<bucket>/<S3 key>``, where the base is
``DATA_DIR/trails`` unless ``audit_trails_dir`` is set in strongroom.toml (or ``STRONGROOM_AUDIT_TRAILS_DIR``).
The key holds the caller's S3KeyPrefix, so keys are mapped to paths by ``core.paths.key_parts`` (``..`` segments
escaped) and written through ``core.paths``, which never leaves the base.
The S3 object metadata CloudTrail puts on each digest (``signature``, ``signature-algorithm``) lives next to it in
``<digest key>.metadata.json``, since a directory has no object metadata.

Delivery runs on the scheduler every five minutes of server time, and on flush (shutdown). Each trail keeps a
cursor (the last ``audit_events.seq`` it considered); a record is delivered once it is ``GRACE_SECONDS`` old, so a
batch still committing on another node is not skipped. Files are written (fsynced, renamed) before the cursor
moves; a conditional update makes a second node's concurrent delivery lose and remove its files.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import secrets
import string
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Row, and_, select, update

from strongroom.audit import model
from strongroom.audit.keys import ALGORITHM, SigningKeys
from strongroom.core import paths
from strongroom.core.clock import clock
from strongroom.core.config import Config
from strongroom.scheduler.jobs import JobResult

if TYPE_CHECKING:
    from strongroom.audit.runtime import AuditRuntime
    from strongroom.scheduler.jobs import JobContext

log = logging.getLogger("strongroom.audit.trails")

DELIVERY_JOB = "audit-delivery"
DIGEST_JOB = "audit-digest"
DELIVERY_INTERVAL = timedelta(minutes=5)
DIGEST_INTERVAL = timedelta(hours=1)
GRACE_SECONDS = 5.0
BATCH = 5000
# Records of these services go into every trail that includes global service events, as on AWS.
GLOBAL_SOURCES = frozenset({"iam.amazonaws.com", "sts.amazonaws.com"})
_RANDOM = string.ascii_letters + string.digits
DEFAULT_SELECTORS: list[dict[str, Any]] = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [], "ExcludeManagementEventSources": []}
]


def trails_base(config: Config) -> Path:
    configured = os.environ.get("STRONGROOM_AUDIT_TRAILS_DIR") or config.extra.get("audit_trails_dir")
    return Path(configured) if configured else config.data_dir / "trails"


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _prefix(trail: Row[Any]) -> str:
    return f"{trail.s3_key_prefix}/" if trail.s3_key_prefix else ""


def log_key(trail: Row[Any], region: str, at: datetime) -> str:
    acct = trail.account_id
    name = f"{acct}_CloudTrail_{region}_{at:%Y%m%dT%H%MZ}_{''.join(secrets.choice(_RANDOM) for _ in range(16))}"
    return f"{_prefix(trail)}AWSLogs/{acct}/CloudTrail/{region}/{at:%Y/%m/%d}/{name}.json.gz"


def digest_key(trail: Row[Any], region: str, at: datetime) -> str:
    acct = trail.account_id
    name = f"{acct}_CloudTrail-Digest_{region}_{trail.name}_{trail.region}_{at:%Y%m%dT%H%M%SZ}"
    return f"{_prefix(trail)}AWSLogs/{acct}/CloudTrail-Digest/{region}/{at:%Y/%m/%d}/{name}.json.gz"


def signing_string(digest: dict[str, Any], content: bytes) -> bytes:
    """AWS's "data signing string" for a digest file, byte for byte."""
    previous = digest.get("previousDigestSignature") or "null"
    return (
        f"{digest['digestEndTime']}\n{digest['digestS3Bucket']}/{digest['digestS3Object']}\n"
        f"{hashlib.sha256(content).hexdigest()}\n{previous}"
    ).encode()


def selected(record: dict[str, Any], trail: Row[Any]) -> bool:
    """Whether the trail's event selectors take this (management) record."""
    if trail.advanced_event_selectors:
        return any(_advanced_match(s, record) for s in json.loads(trail.advanced_event_selectors))
    selectors = json.loads(trail.event_selectors) if trail.event_selectors else DEFAULT_SELECTORS
    read_only = bool(record.get("readOnly"))
    for sel in selectors:
        if not sel.get("IncludeManagementEvents", True):
            continue
        if record.get("eventSource") in (sel.get("ExcludeManagementEventSources") or []):
            continue
        kind = sel.get("ReadWriteType", "All")
        if kind == "All" or (kind == "ReadOnly") == read_only:
            return True
    return False


def _advanced_match(selector: dict[str, Any], record: dict[str, Any]) -> bool:
    values = {
        "eventCategory": record.get("eventCategory", "Management"),
        "readOnly": "true" if record.get("readOnly") else "false",
        "eventSource": record.get("eventSource", ""),
        "eventName": record.get("eventName", ""),
        "eventType": record.get("eventType", ""),
    }
    for field in selector.get("FieldSelectors", []):
        value = values.get(field.get("Field", ""))
        if value is None:
            continue  # data-event fields never match management records' absence
        if "Equals" in field and value not in field["Equals"]:
            return False
        if "NotEquals" in field and value in field["NotEquals"]:
            return False
        if "StartsWith" in field and not any(value.startswith(p) for p in field["StartsWith"]):
            return False
        if "NotStartsWith" in field and any(value.startswith(p) for p in field["NotStartsWith"]):
            return False
    return True


class TrailDelivery:
    def __init__(self, runtime: AuditRuntime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.base = trails_base(runtime.config)
        self.keys = SigningKeys(runtime.store, runtime.seal)

    # -- scheduling -------------------------------------------------------------------------------------------

    def register(self) -> None:
        scheduler = self.runtime.scheduler
        scheduler.register(DELIVERY_JOB, self._delivery_job)
        scheduler.register(DIGEST_JOB, self._digest_job)
        now = clock.now()
        if scheduler.get_job(DELIVERY_JOB, "all") is None:
            scheduler.schedule(DELIVERY_JOB, "all", now + DELIVERY_INTERVAL)
        if scheduler.get_job(DIGEST_JOB, "all") is None:
            scheduler.schedule(DIGEST_JOB, "all", now + DIGEST_INTERVAL)

    def _delivery_job(self, ctx: JobContext) -> JobResult:
        self.deliver()
        return JobResult.again(max(ctx.due_at + DELIVERY_INTERVAL, ctx.now - DELIVERY_INTERVAL))

    def _digest_job(self, ctx: JobContext) -> JobResult:
        self.deliver()
        self.digest()
        return JobResult.again(max(ctx.due_at + DIGEST_INTERVAL, ctx.now - DIGEST_INTERVAL))

    # -- log files --------------------------------------------------------------------------------------------

    def _write(self, bucket: str, key: str, data: bytes) -> Path:
        """Store the object ``key`` of ``bucket``; core.paths keeps it under the base whatever the key holds."""
        return paths.write_atomic(self.base, bucket, *paths.key_parts(key), data=data)

    def deliver(self, grace_seconds: float = GRACE_SECONDS) -> int:
        """Write every trail's new records into log files; returns how many files were written."""
        with self.store.read() as conn:
            rows = conn.execute(select(model.trails)).all()
        written = 0
        for trail in rows:
            if not trail.is_logging and trail.stop_logging_time is None:
                continue
            try:
                written += self._deliver_trail(trail, grace_seconds)
            except Exception as exc:
                log.exception("delivery to trail %s failed", trail.arn)
                with self.store.write() as conn:
                    conn.execute(
                        update(model.trails)
                        .where(model.trails.c.arn == trail.arn)
                        .values(latest_delivery_error=type(exc).__name__)
                    )
        return written

    def _deliver_trail(self, trail: Row[Any], grace_seconds: float) -> int:
        now = clock.now()
        cutoff = now - timedelta(seconds=grace_seconds)
        ev = model.events
        query = (
            select(ev.c.seq, ev.c.region, ev.c.event_time, ev.c.record, ev.c.event_source)
            .where(ev.c.account_id == trail.account_id, ev.c.seq > trail.cursor_seq, ev.c.recorded_at <= cutoff)
            .order_by(ev.c.seq)
            .limit(BATCH)
        )
        if not trail.is_logging:
            query = query.where(ev.c.event_time <= trail.stop_logging_time)
        with self.store.read() as conn:
            events = conn.execute(query).all()
        if not events:
            return 0
        by_region: dict[str, list[Any]] = defaultdict(list)
        for row in events:
            global_event = trail.include_global_service_events and row.event_source in GLOBAL_SOURCES
            if not trail.is_multi_region_trail and row.region != trail.region and not global_event:
                continue
            record = orjson.loads(row.record)
            if selected(record, trail):
                by_region[row.region if trail.is_multi_region_trail else trail.region].append(row)
        files: list[dict[str, Any]] = []
        written: list[str] = []
        for region, rows in sorted(by_region.items()):
            key = log_key(trail, region, now)
            content = b'{"Records":[' + b",".join(r.record.encode() for r in rows) + b"]}"
            self._write(trail.s3_bucket_name, key, gzip.compress(content, mtime=0))
            written.append(key)
            files.append(
                {
                    "trail_arn": trail.arn,
                    "s3_object": key,
                    "kind": "log",
                    "region": region,
                    "delivered_at": now,
                    "hash_value": hashlib.sha256(content).hexdigest(),
                    "signature": None,
                    "oldest_event_time": min(r.event_time for r in rows),
                    "newest_event_time": max(r.event_time for r in rows),
                    "digested": False,
                }
            )
        last = events[-1].seq
        with self.store.write() as conn:
            moved = conn.execute(
                update(model.trails)
                .where(model.trails.c.arn == trail.arn, model.trails.c.cursor_seq == trail.cursor_seq)
                .values(
                    cursor_seq=last,
                    latest_delivery_error=None,
                    **({"latest_delivery_time": now} if files else {}),
                )
            ).rowcount
            if moved and files:
                conn.execute(model.trail_files.insert(), files)
        if not moved:
            for key in written:  # another node delivered these records first
                paths.remove(self.base, trail.s3_bucket_name, *paths.key_parts(key))
            return 0
        if len(events) == BATCH:
            with self.store.read() as conn:
                fresh = conn.execute(select(model.trails).where(model.trails.c.arn == trail.arn)).one()
            return len(files) + self._deliver_trail(fresh, grace_seconds)
        return len(files)

    # -- digests ----------------------------------------------------------------------------------------------

    def digest(self) -> int:
        """Write the hourly digest of every validating trail (one chain per region); returns how many."""
        now = clock.now()
        tf = model.trail_files
        with self.store.read() as conn:
            rows = conn.execute(select(model.trails).where(model.trails.c.log_file_validation_enabled.is_(True))).all()
        made = 0
        for trail in rows:
            with self.store.read() as conn:
                pending = conn.execute(
                    select(tf).where(tf.c.trail_arn == trail.arn, tf.c.kind == "log", tf.c.digested.is_(False))
                ).all()
                chained = conn.execute(
                    select(tf.c.region).where(tf.c.trail_arn == trail.arn, tf.c.kind == "digest").distinct()
                ).scalars()
                regions = {p.region for p in pending} | (set(chained) if trail.is_logging else set())
            if trail.is_logging:
                regions.add(trail.region)
            for region in sorted(regions):
                try:
                    made += self._digest_region(trail, region, [p for p in pending if p.region == region], now)
                except Exception:
                    log.exception("digest of trail %s in %s failed", trail.arn, region)
        return made

    def _digest_region(self, trail: Row[Any], region: str, logs: list[Row[Any]], now: datetime) -> int:
        tf = model.trail_files
        with self.store.read() as conn:
            previous = conn.execute(
                select(tf)
                .where(tf.c.trail_arn == trail.arn, tf.c.kind == "digest", tf.c.region == region)
                .order_by(tf.c.delivered_at.desc())
                .limit(1)
            ).first()
        if previous is not None and previous.delivered_at > now - timedelta(minutes=1):
            return 0  # a catch-up run at the same moment: one digest per end time
        start = previous.delivered_at if previous is not None else (trail.start_logging_time or trail.created_at)
        key = digest_key(trail, region, now)
        bucket = trail.s3_bucket_name
        fingerprint, _ = self.keys.current()
        logs = sorted(logs, key=lambda r: (r.delivered_at, r.s3_object))
        digest: dict[str, Any] = {
            "awsAccountId": trail.account_id,
            "digestStartTime": stamp(start),
            "digestEndTime": stamp(now),
            "digestS3Bucket": bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": fingerprint,
            "digestSignatureAlgorithm": ALGORITHM,
            "newestEventTime": stamp(max(r.newest_event_time for r in logs)) if logs else None,
            "oldestEventTime": stamp(min(r.oldest_event_time for r in logs)) if logs else None,
            "previousDigestS3Bucket": bucket if previous is not None else None,
            "previousDigestS3Object": previous.s3_object if previous is not None else None,
            "previousDigestHashValue": previous.hash_value if previous is not None else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous is not None else None,
            "previousDigestSignature": previous.signature if previous is not None else None,
            "logFiles": [
                {
                    "s3Bucket": bucket,
                    "s3Object": r.s3_object,
                    "hashValue": r.hash_value,
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": stamp(r.newest_event_time),
                    "oldestEventTime": stamp(r.oldest_event_time),
                }
                for r in logs
            ],
        }
        content = orjson.dumps(digest)
        fingerprint, signature = self.keys.sign(signing_string(digest, content))
        self._write(bucket, key, gzip.compress(content, mtime=0))
        meta = {"signature": signature.hex(), "signature-algorithm": ALGORITHM}
        self._write(bucket, key + ".metadata.json", orjson.dumps(meta))
        with self.store.write() as conn:
            conn.execute(
                tf.insert().values(
                    trail_arn=trail.arn,
                    s3_object=key,
                    kind="digest",
                    region=region,
                    delivered_at=now,
                    hash_value=hashlib.sha256(content).hexdigest(),
                    signature=signature.hex(),
                    oldest_event_time=None,
                    newest_event_time=None,
                    digested=True,
                )
            )
            if logs:
                conn.execute(
                    update(tf)
                    .where(and_(tf.c.trail_arn == trail.arn, tf.c.s3_object.in_([r.s3_object for r in logs])))
                    .values(digested=True)
                )
            conn.execute(
                update(model.trails).where(model.trails.c.arn == trail.arn).values(latest_digest_delivery_time=now)
            )
        return 1
