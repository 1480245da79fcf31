"""S3 Lifecycle on the server clock: expiration of current versions, removal of noncurrent versions and of expired
object delete markers, and aborting of incomplete multipart uploads, by the rules PutBucketLifecycleConfiguration
stored (``configs.py``, document kind ``lifecycle``).

How AWS computes the moments (S3 User Guide, "Lifecycle configuration elements"): an action ``Days`` after an
object's creation (its last-modified time) happens at the midnight UTC that follows creation + Days; a noncurrent
version's days count from the creation of its successor, rounded the same way; a ``Date`` is itself a midnight.

One job per bucket (``s3-lifecycle:<bucket>``) runs when the configuration changes and then every day at 00:00 UTC
server time. A pass walks the bucket's keys in order, a batch of keys per transaction, and then its multipart
uploads; it yields (rescheduling itself at once with its cursor in the payload) every few seconds, so no run holds
the scheduler lease long and a bucket of any size is never loaded whole. Every batch re-reads the rows it acts on
inside its own write transaction and decides from them alone, so running a batch twice (a crash before the cursor
moved, a retry) acts once. A job finding no bucket or no configuration ends: deleting either cancels it.

Object Lock: lifecycle still places delete markers over locked current versions, but never removes a version under
retention or a legal hold ("a locked version of an object cannot be deleted by a S3 Lifecycle expiration policy").

What is told: EventBridge gets AWS's ``Object Deleted`` (reason ``Lifecycle Expiration``) for every version removed
or delete marker added, routed in the transaction that acted; aborted uploads send nothing, as on AWS. AWS keeps
lifecycle actions out of CloudTrail (they use internal endpoints; server access logs show them as
``S3.EXPIRE.OBJECT`` and the like); Strongroom has no access logs, so each batch that acted is recorded as one
AwsServiceEvent ``LifecycleExpiration`` naming those operations instead.

Transitions (``Transitions``, ``NoncurrentVersionTransitions``) are stored and returned but do nothing: Strongroom
has a single storage class, so there is nothing to move an object to.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sqlalchemy import Connection, and_, delete, or_, select

from strongroom.core.clock import clock
from strongroom.events import bus
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.s3 import versions
from strongroom.services.s3.base import NULL_VERSION, Bucket, Row, S3Base, loads
from strongroom.services.s3.model import objects, parts, uploads

if TYPE_CHECKING:
    from strongroom.scheduler.jobs import Scheduler

LIFECYCLE_JOB = "s3-lifecycle"
LIFECYCLE_REQUESTER = "s3.amazonaws.com"
_DAY = timedelta(days=1)
_KEYS_PER_BATCH = 100
_UPLOADS_PER_BATCH = 100
_SLICE_SECONDS = 5.0  # well inside the scheduler's 60 s lease
_ACTIONS_LISTED = 50  # per audit record; the counts are always complete
_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"  # the ETag AWS reports for a delete marker

ActionKind = Literal["expire", "remove", "remove_marker"]


# -- time ------------------------------------------------------------------------------------------------------------


def next_midnight(moment: datetime) -> datetime:
    """The first 00:00 UTC strictly after ``moment``."""
    day = moment.astimezone(UTC).date() + _DAY
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def after_days(moment: datetime, days: int) -> datetime:
    """AWS's rounding: ``moment`` + ``days``, rounded to the next day's midnight UTC (10:30 on the 15th + 3 days
    is 00:00 on the 19th)."""
    return next_midnight(moment + timedelta(days=days))


def _moment(value: Any) -> datetime | None:
    """A stored ``Date`` (a datetime, or the ``str()`` of one once the document went through JSON)."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and value:
        try:
            found = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def _count(value: Any, minimum: int = 1) -> int | None:
    """A positive (or at least ``minimum``) integer member, None when absent or not valid."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        number = int(value)
    except ValueError:
        return None
    return number if number >= minimum else None


def is_locked(lock_mode: str | None, lock_until: datetime | None, legal_hold: bool, now: datetime) -> bool:
    """Object Lock: a version under a legal hold or an unexpired retention (either mode) is never removed by
    lifecycle; governance bypass is a caller's permission, and lifecycle has no caller."""
    return bool(legal_hold) or (bool(lock_mode) and lock_until is not None and lock_until > now)


# -- rules -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One lifecycle rule as it acts: its filter and the actions this server carries out."""

    id: str
    enabled: bool = True
    prefix: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    size_greater_than: int | None = None
    size_less_than: int | None = None
    expiration_days: int | None = None
    expiration_date: datetime | None = None
    expired_object_delete_marker: bool = False
    noncurrent_days: int | None = None
    newer_noncurrent_versions: int | None = None
    abort_days: int | None = None

    @property
    def acts_on_objects(self) -> bool:
        return self.enabled and (
            self.expiration_days is not None
            or self.expiration_date is not None
            or self.expired_object_delete_marker
            or self.noncurrent_days is not None
            or self.newer_noncurrent_versions is not None
        )

    @property
    def acts_on_uploads(self) -> bool:
        return self.enabled and self.abort_days is not None

    def matches(self, key: str, size: int, tags: Mapping[str, str]) -> bool:
        """The filter: the prefix, every tag (key and value exactly; more tags on the object do not matter), and the
        size bounds, both strict, all ANDed."""
        if not key.startswith(self.prefix):
            return False
        if any(tags.get(k) != v for k, v in self.tags.items()):
            return False
        if self.size_greater_than is not None and not size > self.size_greater_than:
            return False
        return self.size_less_than is None or size < self.size_less_than

    def matches_marker(self, key: str) -> bool:
        """A delete marker has no tags and no size: a tag filter never matches it (AWS refuses
        ExpiredObjectDeleteMarker with a tag or size filter), a size filter is not applied to it."""
        return key.startswith(self.prefix) and not self.tags

    def current_due(self, last_modified: datetime) -> datetime | None:
        """When ``Expiration`` (Days or Date) expires a current version created at ``last_modified``."""
        found = [d for d in (self.expiration_date,) if d is not None]
        if self.expiration_days is not None:
            found.append(after_days(last_modified, self.expiration_days))
        return min(found) if found else None

    def noncurrent_due(self, since: datetime) -> datetime | None:
        """When a version noncurrent since ``since`` has been noncurrent for ``NoncurrentDays``."""
        return None if self.noncurrent_days is None else after_days(since, self.noncurrent_days)

    def abort_due(self, initiated: datetime) -> datetime | None:
        return None if self.abort_days is None else after_days(initiated, self.abort_days)


def parse_rules(document: Any) -> list[Rule]:
    """The rules of a stored configuration, in order. A member this server cannot act on (a non-positive Days, a
    Date that does not parse) is ignored rather than guessed at: PutBucketLifecycleConfiguration validates."""
    rules: list[Rule] = []
    raw = document.get("Rules") if isinstance(document, dict) else None
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if isinstance(item, dict):
            rules.append(_rule(item, index))
    return rules


def _member(parent: Any, name: str) -> dict[str, Any]:
    value = parent.get(name) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _rule(item: dict[str, Any], index: int) -> Rule:
    filt = _member(item, "Filter")
    both = _member(filt, "And") or filt  # And wraps several conditions; alone, they sit in Filter itself
    pairs = list(both.get("Tags") or []) + ([filt["Tag"]] if isinstance(filt.get("Tag"), dict) else [])
    expiration = _member(item, "Expiration")
    noncurrent = _member(item, "NoncurrentVersionExpiration")
    return Rule(
        id=str(item.get("ID") or f"rule-{index + 1}"),
        enabled=item.get("Status") == "Enabled",
        prefix=str(both.get("Prefix") or filt.get("Prefix") or item.get("Prefix") or ""),  # the last: legacy
        tags={str(t.get("Key", "")): str(t.get("Value", "")) for t in pairs if isinstance(t, dict)},
        size_greater_than=_count(both.get("ObjectSizeGreaterThan"), 0),
        size_less_than=_count(both.get("ObjectSizeLessThan"), 0),
        expiration_days=_count(expiration.get("Days")),
        expiration_date=_moment(expiration.get("Date")),
        expired_object_delete_marker=expiration.get("ExpiredObjectDeleteMarker") is True,
        noncurrent_days=_count(noncurrent.get("NoncurrentDays")),
        newer_noncurrent_versions=_count(noncurrent.get("NewerNoncurrentVersions")),
        abort_days=_count(_member(item, "AbortIncompleteMultipartUpload").get("DaysAfterInitiation")),
    )


# -- what to do with one key -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Version:
    """What the rules look at in one version of a key (delete markers included)."""

    version_id: str
    is_latest: bool
    delete_marker: bool
    last_modified: datetime
    size: int = 0
    tags: Mapping[str, str] = field(default_factory=dict)
    lock_mode: str | None = None
    lock_until: datetime | None = None
    legal_hold: bool = False
    fresh: bool = False  # a delete marker this pass adds: nothing else happens to it in the same pass


@dataclass(frozen=True, slots=True)
class Action:
    """``expire``: the current version (delete marker on a versioned bucket, permanent removal otherwise);
    ``remove``: a noncurrent version, for good; ``remove_marker``: an expired object delete marker."""

    kind: ActionKind
    version_id: str
    rule_id: str


def plan_key(
    rules: Sequence[Rule], key: str, history: Sequence[Version], versioning: str | None, now: datetime
) -> list[Action]:
    """The actions due at ``now`` on one key, whose versions ``history`` lists newest first.

    1. The current version, if it is not a delete marker and an Expiration is due: expired.
    2. Noncurrent versions, newest first: removed when a NoncurrentVersionExpiration rule matching the version is
       due (counted from its successor's creation) and at least NewerNoncurrentVersions newer noncurrent versions
       (delete markers not counted) remain; never when locked.
    3. Then a delete marker left as the only version: removed by a rule with ExpiredObjectDeleteMarker, or with an
       Expiration whose Days (from the marker's creation) or Date have come.
    """
    active = [r for r in rules if r.acts_on_objects]
    if not active or not history:
        return []
    actions: list[Action] = []
    remaining = list(history)
    current = remaining[0] if remaining[0].is_latest else None
    if current is not None and not current.delete_marker:
        due = _first_due(
            (r, r.current_due(current.last_modified)) for r in active if r.matches(key, current.size, current.tags)
        )
        if due is not None and due[1] <= now:
            actions.append(Action("expire", current.version_id, due[0].id))
            if versioning is None:
                return actions  # never versioned: the only version is gone, nothing else to look at
            marker = Version(NULL_VERSION if versioning != "Enabled" else "", True, True, now, fresh=True)
            rest = [v for v in remaining if versioning == "Enabled" or v.version_id != NULL_VERSION]
            remaining = [marker] + [replace(v, is_latest=False) for v in rest]
    if versioning is None:
        return actions
    kept: list[Version] = [remaining[0]]
    newer_kept = 0  # noncurrent versions that stay, delete markers excepted (NewerNoncurrentVersions counts these)
    for successor, version in itertools.pairwise(remaining):
        rule = _noncurrent_rule(active, key, version, successor.last_modified, newer_kept, now)
        if rule is not None:
            actions.append(Action("remove", version.version_id, rule.id))
            continue
        kept.append(version)
        if not version.delete_marker:
            newer_kept += 1
    sole = kept[0] if len(kept) == 1 else None
    if sole is not None and sole.delete_marker and sole.is_latest and not sole.fresh:
        for rule in active:
            if not rule.matches_marker(key):
                continue
            marker_due = rule.current_due(sole.last_modified)
            if rule.expired_object_delete_marker or (marker_due is not None and marker_due <= now):
                actions.append(Action("remove_marker", sole.version_id, rule.id))
                break
    return actions


def _first_due(candidates: Iterable[tuple[Rule, datetime | None]]) -> tuple[Rule, datetime] | None:
    """The earliest due moment among the rules (the first rule on a tie), as S3 applies the earliest action."""
    best: tuple[Rule, datetime] | None = None
    for rule, due in candidates:
        if due is not None and (best is None or due < best[1]):
            best = (rule, due)
    return best


def _noncurrent_rule(
    rules: Sequence[Rule], key: str, version: Version, since: datetime, newer_kept: int, now: datetime
) -> Rule | None:
    if is_locked(version.lock_mode, version.lock_until, version.legal_hold, now):
        return None
    for rule in rules:
        if rule.noncurrent_days is None and rule.newer_noncurrent_versions is None:
            continue
        if version.delete_marker:
            if not rule.matches_marker(key):
                continue
        elif not rule.matches(key, version.size, version.tags):
            continue
        due = rule.noncurrent_due(since)
        if due is not None and due > now:
            continue
        if rule.newer_noncurrent_versions is not None and newer_kept < rule.newer_noncurrent_versions:
            continue
        return rule
    return None


def plan_upload(rules: Sequence[Rule], key: str, initiated: datetime, now: datetime) -> Rule | None:
    """The rule that aborts an upload of ``key`` initiated at ``initiated``, if one is due. Only the prefix
    selects uploads (AWS refuses AbortIncompleteMultipartUpload with a tag filter; an upload has no size yet)."""
    due = _first_due((r, r.abort_due(initiated)) for r in rules if r.acts_on_uploads and key.startswith(r.prefix))
    return due[0] if due is not None and due[1] <= now else None


# -- response headers other operations may add -----------------------------------------------------------------------


def expiration_header(rules: Sequence[Rule], key: str, size: int, tags: Mapping[str, str], created: datetime) -> str:
    """``x-amz-expiration`` of a current version (HeadObject, GetObject, PutObject...), "" when no rule expires it:
    ``expiry-date="Fri, 23 Dec 2012 00:00:00 GMT", rule-id="picture-deletion-rule"``."""
    due = _first_due((r, r.current_due(created)) for r in rules if r.enabled and r.matches(key, size, tags))
    if due is None:
        return ""
    return f'expiry-date="{format_datetime(due[1], usegmt=True)}", rule-id="{due[0].id}"'


def abort_rule(rules: Sequence[Rule], key: str, initiated: datetime) -> tuple[datetime, str] | None:
    """CreateMultipartUpload's / ListParts' ``AbortDate`` and ``AbortRuleId`` for an upload of ``key``."""
    due = _first_due((r, r.abort_due(initiated)) for r in rules if r.acts_on_uploads and key.startswith(r.prefix))
    return None if due is None else (due[1], due[0].id)


# -- scheduling ------------------------------------------------------------------------------------------------------


def schedule_lifecycle(scheduler: Scheduler, bucket: str, conn: Connection | None = None) -> None:
    """Run the bucket's lifecycle pass now (its configuration changed), from the start; it then runs daily."""
    scheduler.schedule(LIFECYCLE_JOB, bucket, clock.now(), conn=conn)


def cancel_lifecycle(scheduler: Scheduler, bucket: str, conn: Connection | None = None) -> None:
    """Stop the bucket's lifecycle job (its configuration was deleted); a job left behind would end by itself."""
    scheduler.cancel(LIFECYCLE_JOB, bucket, conn=conn)


# Server access log operation names (S3 User Guide, "Lifecycle and logging"), reused in the audit record.
_EXPIRE_OBJECT = "S3.EXPIRE.OBJECT"
_CREATE_DELETE_MARKER = "S3.CREATE.DELETEMARKER"
_DELETE_UPLOAD = "S3.DELETE.UPLOAD"
_COUNTED = {  # CloudTrail's serviceEventDetails keys are camelCase
    _EXPIRE_OBJECT: "objectsExpired",
    _CREATE_DELETE_MARKER: "deleteMarkersCreated",
    _DELETE_UPLOAD: "uploadsAborted",
}


@dataclass
class _Batch:
    """What one transaction did, for its audit record."""

    counts: dict[str, int] = field(default_factory=dict)
    listed: list[dict[str, Any]] = field(default_factory=list)

    def add(self, operation: str, key: str, rule_id: str, **ids: str | None) -> None:
        counted = _COUNTED[operation]
        self.counts[counted] = self.counts.get(counted, 0) + 1
        if len(self.listed) < _ACTIONS_LISTED:
            entry = {"operation": operation, "key": key, "ruleId": rule_id}
            entry.update({k: v for k, v in ids.items() if v and v != NULL_VERSION})
            self.listed.append(entry)


class LifecycleOperations(S3Base):
    """The lifecycle job; Put/Get/DeleteBucketLifecycleConfiguration are ``configs.py``'s."""

    scheduled_jobs: ClassVar[dict[str, str]] = {LIFECYCLE_JOB: "lifecycle_job"}

    def lifecycle_job(self, job: JobContext) -> JobResult | None:
        """One slice of a pass over the bucket; ``payload`` = ``{"phase": "objects"|"uploads", "after": cursor}``."""
        with self.runtime.store.read() as conn:
            bucket = self.find_bucket(conn, job.key)
            document = None if bucket is None else self.get_config(conn, job.key, "lifecycle")
        if bucket is None or document is None:
            return None
        rules = parse_rules(document)
        phase = str(job.payload.get("phase") or "objects")
        after: Any = job.payload.get("after")
        deadline = time.monotonic() + _SLICE_SECONDS
        while time.monotonic() < deadline:
            if phase == "objects":
                done, after = self._objects_batch(job.key, rules, after, job.now)
                phase, after = ("uploads", None) if done else (phase, after)
            else:
                done, after = self._uploads_batch(job.key, rules, after, job.now)
                if done:
                    return JobResult.again(next_midnight(job.now), {})
        return JobResult.again(job.now, {"phase": phase, "after": after})

    # -- objects ------------------------------------------------------------------------------------------------

    def _objects_batch(self, name: str, rules: list[Rule], after: str | None, now: datetime) -> tuple[bool, str | None]:
        """Apply the rules to the next batch of keys after ``after``; returns (pass over keys done, new cursor)."""
        active = [r for r in rules if r.acts_on_objects]
        if not active:
            return True, None
        batch = _Batch()
        with self.runtime.store.write() as conn:
            bucket = self.find_bucket(conn, name)
            if bucket is None:
                return True, after
            query = select(objects.c.key).where(objects.c.bucket == name)
            if after is not None:
                query = query.where(objects.c.key > after)
            prefixes = {r.prefix for r in active}
            if "" not in prefixes:  # a coarse pre-filter only: plan_key decides (LIKE may ignore case)
                query = query.where(or_(*(objects.c.key.startswith(p, autoescape=True) for p in sorted(prefixes))))
            keys = list(
                conn.execute(query.group_by(objects.c.key).order_by(objects.c.key).limit(_KEYS_PER_BATCH)).scalars()
            )
            if not keys:
                return True, after
            rows = conn.execute(
                select(objects)
                .where(objects.c.bucket == name, objects.c.key.in_(keys))
                .order_by(objects.c.key, objects.c.sequence.desc())
                .with_for_update()
            ).mappings()
            by_key: dict[str, list[Row]] = {}
            for row in rows:
                by_key.setdefault(row["key"], []).append(dict(row))
            sends = "EventBridgeConfiguration" in (self.get_config(conn, name, "notification") or {})
            for key in keys:
                history = by_key.get(key, [])
                for action in plan_key(active, key, [_version(r) for r in history], bucket.versioning, now):
                    self._apply(conn, bucket, key, action, batch, sends)
        self._audit(bucket, batch, now)
        return len(keys) < _KEYS_PER_BATCH, keys[-1]

    def _apply(self, conn: Connection, bucket: Bucket, key: str, action: Action, batch: _Batch, sends: bool) -> None:
        """Carry out one action with the same code paths as DeleteObject (``versions.py``)."""
        if action.kind == "expire" and bucket.versioning is not None:
            marker = versions.add_delete_marker(self, conn, bucket, key)
            batch.add(_CREATE_DELETE_MARKER, key, action.rule_id, versionId=marker["version_id"])
            if sends:
                lifecycle_event(conn, bucket, key, marker, "Delete Marker Created")
            return
        removed = versions.remove_version(self, conn, bucket.name, key, action.version_id)
        if removed is None:
            return
        batch.add(_EXPIRE_OBJECT, key, action.rule_id, versionId=action.version_id)
        if sends:
            lifecycle_event(conn, bucket, key, removed, "Permanently Deleted")

    # -- multipart uploads --------------------------------------------------------------------------------------

    def _uploads_batch(
        self, name: str, rules: list[Rule], after: list[str] | None, now: datetime
    ) -> tuple[bool, list[str] | None]:
        """Abort the due uploads among the next batch after ``after`` = [key, upload id]."""
        if not any(r.acts_on_uploads for r in rules):
            return True, None
        batch = _Batch()
        with self.runtime.store.write() as conn:
            bucket = self.find_bucket(conn, name)
            if bucket is None:
                return True, after
            query = select(uploads.c.upload_id, uploads.c.key, uploads.c.initiated).where(uploads.c.bucket == name)
            if after:
                key, upload_id = after
                query = query.where(
                    or_(uploads.c.key > key, and_(uploads.c.key == key, uploads.c.upload_id > upload_id))
                )
            found = conn.execute(
                query.order_by(uploads.c.key, uploads.c.upload_id).limit(_UPLOADS_PER_BATCH).with_for_update()
            ).all()
            for upload in found:
                rule = plan_upload(rules, upload.key, upload.initiated, now)
                if rule is None:
                    continue
                blobs = [
                    r.blob for r in conn.execute(select(parts.c.blob).where(parts.c.upload_id == upload.upload_id))
                ]
                self.orphan(conn, blobs)
                conn.execute(delete(parts).where(parts.c.upload_id == upload.upload_id))
                conn.execute(delete(uploads).where(uploads.c.upload_id == upload.upload_id))
                batch.add(_DELETE_UPLOAD, upload.key, rule.id, uploadId=upload.upload_id)
        self._audit(bucket, batch, now)
        cursor = [found[-1].key, found[-1].upload_id] if found else after
        return len(found) < _UPLOADS_PER_BATCH, cursor

    # -- what is recorded -----------------------------------------------------------------------------------------

    def _audit(self, bucket: Bucket | None, batch: _Batch, now: datetime) -> None:
        """One AwsServiceEvent per batch that did something, once its transaction has committed."""
        if bucket is None or not batch.counts:
            return
        details: dict[str, Any] = {"bucketName": bucket.name, "counts": batch.counts, "actions": batch.listed}
        if sum(batch.counts.values()) > len(batch.listed):
            details["actionsTruncated"] = True
        self.runtime.audit.service_event(
            "s3", "LifecycleExpiration", bucket.account_id, bucket.region, [bucket.arn], details, at=now
        )


def _version(row: Row) -> Version:
    return Version(
        version_id=row["version_id"],
        is_latest=bool(row["is_latest"]),
        delete_marker=bool(row["delete_marker"]),
        last_modified=row["last_modified"],
        size=int(row["size"] or 0),
        tags={str(k): str(v) for k, v in loads(row["tags"]).items()},
        lock_mode=row["lock_mode"],
        lock_until=row["lock_until"],
        legal_hold=bool(row["legal_hold"]),
    )


def lifecycle_event(conn: Connection, bucket: Bucket, key: str, row: Row, deletion_type: str) -> None:
    """``Object Deleted`` with reason ``Lifecycle Expiration``, routed in the transaction that acted (so it is sent
    exactly when the action commits). AWS's detail for lifecycle has the service as requester and no source IP
    (S3 User Guide, "EventBridge event message structure")."""
    obj: dict[str, Any] = {
        "key": key,
        "etag": str(row.get("etag") or "").strip('"') or _EMPTY_MD5,
        "sequencer": f"{int(row.get('sequence') or 0):016X}",
    }
    if row.get("version_id") and row["version_id"] != NULL_VERSION:
        obj["version-id"] = row["version_id"]
    detail = {
        "version": "0",
        "bucket": {"name": bucket.name},
        "object": obj,
        "request-id": secrets.token_hex(8).upper(),
        "requester": LIFECYCLE_REQUESTER,
        "reason": "Lifecycle Expiration",
        "deletion-type": deletion_type,
    }
    event = bus.build_event(bucket.account_id, bucket.region, "aws.s3", "Object Deleted", detail, [bucket.arn])
    bus.ensure_default_bus(conn, bucket.account_id, bucket.region)
    bus.route(conn, event, bucket.account_id, bucket.region, "default")
