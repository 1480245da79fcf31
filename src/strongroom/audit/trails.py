"""Trail delivery: gzip log files and hourly signed digests, laid out exactly as CloudTrail's S3 keys.

Where files go: when the trail's S3BucketName is an S3 bucket of this server, into that bucket as objects, put
in-process as CloudTrail's service principal (``objects.TrailObjectSink``, wired by the server): the bucket policy
must let ``cloudtrail.amazonaws.com`` put them, log files are SSE-KMS under the trail's KmsKeyId when it has one
(else the bucket's default encryption), digests SSE-S3 ("Digest files are encrypted with Amazon S3-managed
encryption keys (SSE-S3)"), and a digest's signature is its object metadata (``x-amz-meta-signature``,
``x-amz-meta-signature-algorithm``), as on AWS.

Otherwise (no such bucket: the documented fallback) the S3BucketName is a directory: ``<trails base>/<bucket>/<S3
key>``, where the base is ``DATA_DIR/trails`` unless ``audit_trails_dir`` is set in strongroom.toml (or
``STRONGROOM_AUDIT_TRAILS_DIR``). The key holds the caller's S3KeyPrefix, so keys are mapped to paths by
``core.paths.key_parts`` (``..`` segments escaped) and written through ``core.paths``, which never leaves the base.
The digest metadata lives next to the digest in ``<digest key>.metadata.json``, since a directory has none.

Delivery runs on the scheduler every five minutes of server time, and on flush (shutdown). Each trail keeps a
cursor (the last ``audit_events.seq`` it considered); a record is delivered once it is ``GRACE_SECONDS`` old, so a
batch still committing on another node is not skipped. Files are written (fsynced, renamed; or put) before the
cursor moves; a conditional update makes a second node's concurrent delivery lose and remove its files. Which
records a trail takes is ``selectors.matches`` (management and data events).
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

from strongroom.audit import model, selectors
from strongroom.audit.keys import ALGORITHM, SigningKeys
from strongroom.audit.objects import DIGEST, LOG, TrailObject, TrailObjectSink
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
DEFAULT_SELECTORS = selectors.DEFAULT_SELECTORS


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
    """Whether the trail's event selectors take this record (management or data event)."""
    basic = json.loads(trail.event_selectors) if trail.event_selectors else None
    advanced = json.loads(trail.advanced_event_selectors) if trail.advanced_event_selectors else None
    return takes(record, trail, basic, advanced)


def takes(record: dict[str, Any], trail: Row[Any], basic: Any, advanced: Any) -> bool:
    """Event selectors decide for API calls; an Insights event goes to the trails whose insight selectors name
    its type (they are the trails whose call rates it describes)."""
    if record.get("eventType") == model.INSIGHT_EVENT_TYPE:
        wanted = json.loads(trail.insight_selectors) if trail.insight_selectors else []
        kind = (record.get("insightDetails") or {}).get("insightType")
        return any(s.get("InsightType") == kind for s in wanted)
    return selectors.matches(record, basic, advanced)


def _error_name(exc: BaseException) -> str:
    """LatestDeliveryError: the S3 or KMS error code when the bucket refused the object, else the exception's name."""
    code = getattr(exc, "code", None)
    return str(code) if isinstance(code, str) and code else type(exc).__name__


class TrailDelivery:
    def __init__(self, runtime: AuditRuntime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.base = trails_base(runtime.config)
        self.keys = SigningKeys(runtime.store, runtime.seal)
        self.sink: TrailObjectSink | None = None  # the server's S3 (``objects.py``); None: directories only

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
        """Store the file ``key`` of the directory ``bucket``; core.paths keeps it under the base whatever the key
        holds."""
        return paths.write_atomic(self.base, bucket, *paths.key_parts(key), data=data)

    def _store(self, obj: TrailObject) -> TrailObject | None:
        """Deliver one file: into the S3 bucket when there is one (returns the object, for ``_unstore``), else into
        the trail directory (returns None). A bucket that refuses the object raises."""
        sink = self.sink
        if sink is not None and sink.put(obj):
            return obj
        self._write(obj.bucket, obj.key, obj.body)
        if obj.metadata:
            self._write(obj.bucket, obj.key + ".metadata.json", orjson.dumps(obj.metadata))
        return None

    def _unstore(self, obj: TrailObject, stored: TrailObject | None) -> None:
        """Remove a file ``_store`` delivered (best effort: it is only ever a duplicate of records delivered
        elsewhere)."""
        try:
            if stored is not None and self.sink is not None:
                self.sink.delete(stored)
            else:
                paths.remove(self.base, obj.bucket, *paths.key_parts(obj.key))
        except Exception:
            log.exception("could not remove %s from %s", obj.key, obj.bucket)

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
                        .values(latest_delivery_error=_error_name(exc))
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
        basic = json.loads(trail.event_selectors) if trail.event_selectors else None
        advanced = json.loads(trail.advanced_event_selectors) if trail.advanced_event_selectors else None
        for row in events:
            global_event = trail.include_global_service_events and row.event_source in GLOBAL_SOURCES
            if not trail.is_multi_region_trail and row.region != trail.region and not global_event:
                continue
            if takes(orjson.loads(row.record), trail, basic, advanced):
                by_region[row.region if trail.is_multi_region_trail else trail.region].append(row)
        files: list[dict[str, Any]] = []
        written: list[tuple[TrailObject, TrailObject | None]] = []
        try:
            for region, rows in sorted(by_region.items()):
                key = log_key(trail, region, now)
                content = b'{"Records":[' + b",".join(r.record.encode() for r in rows) + b"]}"
                obj = self._object(trail, key, gzip.compress(content, mtime=0), LOG)
                written.append((obj, self._store(obj)))
                files.append(_log_file(trail, key, region, now, content, rows))
        except BaseException:
            for obj, stored in written:  # the same records go out again next time, in new files
                self._unstore(obj, stored)
            raise
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
            for obj, stored in written:  # another node delivered these records first
                self._unstore(obj, stored)
            return 0
        if len(events) == BATCH:
            with self.store.read() as conn:
                fresh = conn.execute(select(model.trails).where(model.trails.c.arn == trail.arn)).one()
            return len(files) + self._deliver_trail(fresh, grace_seconds)
        return len(files)

    @staticmethod
    def _object(
        trail: Row[Any], key: str, body: bytes, kind: str, metadata: dict[str, str] | None = None
    ) -> TrailObject:
        return TrailObject(
            trail_arn=trail.arn,
            account_id=trail.account_id,
            region=trail.region,
            bucket=trail.s3_bucket_name,
            key=key,
            body=body,
            kind=kind,
            kms_key_id=trail.kms_key_id if kind == LOG else None,
            metadata=metadata or {},
        )

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
        meta = {"signature": signature.hex(), "signature-algorithm": ALGORITHM}
        self._store(self._object(trail, key, gzip.compress(content, mtime=0), DIGEST, meta))
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


def _log_file(trail: Row[Any], key: str, region: str, now: datetime, content: bytes, rows: list[Any]) -> dict[str, Any]:
    """The audit_trail_files row of a delivered log file."""
    return {
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
