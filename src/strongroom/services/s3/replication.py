"""S3 replication (same- and cross-Region, same- and cross-account): PutBucketReplication, GetBucketReplication,
DeleteBucketReplication, the durable queue that eligible writes feed, and the job that copies.

* **Queue.** A write that creates a version (PutObject, CopyObject, CompleteMultipartUpload, a delete marker) calls
  :meth:`ReplicationOperations.queue_replication` inside its own transaction: one ``s3_replication_queue`` row per
  destination bucket the version replicates to (``replication_rules.choose``), the version's status set to PENDING
  and a scheduler job ``s3-replication:<bucket>/<version>`` scheduled — all committed with the version, so a crash
  loses no replication and a rolled-back write queues none. Tag, retention and legal-hold changes queue a metadata
  replication (:meth:`queue_metadata_replication`) for the destinations that hold the version.
* **Job.** A leased scheduler job per version (one node runs it; a crashed node's lease expires and another takes
  over) replicates each PENDING row as the configuration's IAM role: a session of that role (as Lambda's execution
  role, ``sts.provider.issue_service_role_session``) once the role's trust policy admits ``s3.amazonaws.com``; S3
  permissions checked for that session with the buckets' policies and owners (``access.checks``: a destination in
  another account needs its bucket policy to grant the role); KMS called in-process as that session (``ctx.call``,
  so KMS's key policies decide and its audit records name the role session, ``invokedBy: s3.amazonaws.com``).
* **Copy.** The source's plaintext streams segment by segment from its blob into a new blob under a fresh data key
  (never whole in memory): SSE-S3 stays SSE-S3 under a new sealed key; SSE-KMS / DSSE-KMS are wrapped with KMS
  ``Encrypt`` under ``ReplicaKmsKeyID`` in the destination's Region (the permission AWS documents, "kms:Encrypt
  permissions for the AWS KMS key used to encrypt the object replica"); SSE-C bodies, which S3 cannot open without
  the customer's key, are copied as ciphertext with their wrapped key, so the same customer key reads the replica.
  The replica keeps the version id, ETag, checksums, Last-Modified, metadata, tags and Object Lock settings, and
  reports REPLICA.
* **Outcome.** A row either completes (deleted; counted in ``s3_replication_metrics``), fails (FAILED with AWS's
  failure reason, kept for ``strongroom s3 replication redrive``), or meets a temporary error and stays PENDING,
  retried with the scheduler's backoff. The version reports the aggregate (``replication_rules.aggregate``).

Metrics (pending/failed operations and bytes from the queue, completed ones from the counters) are not part of
GetBucketReplication, as on AWS; ``strongroom s3 replication status`` shows them (``replication_state.metrics``).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete, exists, insert, select, update

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.core.context import Principal
from strongroom.core.context import RequestContext as _Context
from strongroom.core.errors import AwsError
from strongroom.iam.authorize import CallerPolicies, evaluate_check, global_context, load_caller
from strongroom.iam.directory import Directory
from strongroom.iam.policy import Decision, EvaluationResult
from strongroom.services.s3 import access, bodies, encryption
from strongroom.services.s3.base import Bucket, Row, S3Base, loads, new_blob_id, segments_of
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import objects, replication_queue
from strongroom.services.s3.replication_rules import (
    COMPLETED,
    DELETE_MARKER,
    FAILED,
    METADATA,
    OBJECT,
    PENDING,
    REPLICA,
    S3_SERVICE,
    ReplicationFailure,
    Rule,
    aggregate,
    destinations,
    kms_failure,
    mrk_in_region,
    rules_of,
    trusts_s3,
    validate,
)
from strongroom.services.s3.replication_state import (
    CONFIG,
    KMS_MODES,
    REPLICATION_JOB,
    chosen_for,
    count,
    enqueue,
    same_row,
)
from strongroom.services.sts.provider import issue_service_role_session

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.scheduler.jobs import JobContext, JobResult
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger(__name__)

SESSION_NAME = "s3-replication"
SESSION_SECONDS = 3600
SESSION_REFRESH = timedelta(minutes=20)  # reuse a role session while it has at least this long to live
BOUND_TO = "bound_to"  # segment member: the blob id an SSE-C copy's chunks stay bound to (bodies.read_segments)
_PIECE = 1024 * 1024


@dataclass(slots=True)
class _Session:
    role_id: str
    principal: Principal
    expires: datetime


class ReplicationOperations(S3Base):
    scheduled_jobs: ClassVar[dict[str, str]] = {REPLICATION_JOB: "replication_job"}

    # -- the configuration ----------------------------------------------------------------------------------------

    def put_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        bucket = self.read_bucket(name)
        self.expected_owner(ctx, bucket, params)
        if bucket.versioning != "Enabled":
            raise error(
                "InvalidRequest",
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
                BucketName=name,
            )
        document = validate(params.get("ReplicationConfiguration"), name)
        with self.runtime.store.write() as conn:
            # "Both the source and destination buckets must be versioning-enabled when you configure replication."
            for destination in destinations(document):
                found = self.find_bucket(conn, destination)
                if found is None:
                    raise error("InvalidRequest", "Destination bucket must exist.")
                if found.versioning != "Enabled":
                    raise error("InvalidRequest", "Destination bucket must have versioning enabled.")
            self.put_config(conn, name, CONFIG, document)
        return {}

    def get_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            document = self.get_config(conn, bucket.name, CONFIG)
        if document is None:
            raise error(
                "ReplicationConfigurationNotFoundError",
                "The replication configuration was not found",
                BucketName=bucket.name,
            )
        return {"ReplicationConfiguration": document}

    def delete_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            self.delete_config(conn, bucket.name, CONFIG)
        return {}

    # -- what writes call, in their own transaction ----------------------------------------------------------------

    def queue_replication(self, conn: Connection, bucket: Bucket, row: Row) -> None:
        """A new version or delete marker was written: queue it for every destination a rule replicates it to.

        Replicas are never replicated again ("Objects in the source bucket that are replicas that were created by
        another replication rule" are not replicated); a version deleted by id never reaches here (its deletion is
        not replicated: "This protects data from malicious deletions").
        """
        config = self.get_config(conn, bucket.name, CONFIG)
        if not config or bucket.versioning != "Enabled" or row.get("replication_status") == REPLICA:
            return
        chosen = chosen_for(config, row)
        operation = DELETE_MARKER if row.get("delete_marker") else OBJECT
        if enqueue(conn, bucket.name, row, chosen, operation, COMPLETED, clock.now()):
            row["replication_status"] = PENDING

    def queue_metadata_replication(self, conn: Connection, bucket: Bucket, row: Row) -> None:
        """Tags, retention or a legal hold of a version changed (``row`` holds the new values): replicate the change
        to the destinations that hold the version. A replica's changes go back only where the chosen rule enables
        ReplicaModifications ("replica modification sync"); a version never replicated stays so (tags added after
        the upload do not make it eligible)."""
        config = self.get_config(conn, bucket.name, CONFIG)
        status = row.get("replication_status")
        if not config or row.get("delete_marker") or status is None:
            return
        replica = status == REPLICA
        held = {
            destination: rule
            for destination, rule in chosen_for(config, row, replica=replica).items()
            if self.object_row(conn, destination, str(row["key"]), str(row["version_id"])) is not None
        }
        enqueue(conn, bucket.name, row, held, METADATA, REPLICA if replica else COMPLETED, clock.now())

    # -- the job ----------------------------------------------------------------------------------------------------

    def replication_job(self, job: JobContext) -> JobResult | None:
        """Replicate every PENDING destination of one version; raise (the scheduler backs off and retries) when one
        met a temporary error, after settling the others."""
        bucket, _, version_id = job.key.partition("/")
        with self.runtime.store.read() as conn:
            items = [
                dict(r)
                for r in conn.execute(
                    select(replication_queue).where(
                        replication_queue.c.bucket == bucket,
                        replication_queue.c.version_id == version_id,
                        replication_queue.c.status == PENDING,
                    )
                ).mappings()
            ]
        temporary: Exception | None = None
        for item in items:
            try:
                moved = self._replicate(item)
            except ReplicationFailure as failure:
                log.info("replication failed", extra={"bucket": bucket, "version": version_id, "reason": str(failure)})
                self._settle(item, FAILED, reason=str(failure))
            except Exception as exc:
                temporary = exc
                self._note(item, exc)
            else:
                self._settle(item, COMPLETED if moved is not None else None, moved=moved or 0)
        if temporary is not None:
            raise temporary
        return None

    def _note(self, item: Row, exc: Exception) -> None:
        """A temporary error: the row stays PENDING ("For temporary failures ... replication status will not
        transition to FAILED") with the error kept for ``strongroom s3 replication status``."""
        with self.runtime.store.write() as conn:
            conn.execute(
                update(replication_queue)
                .where(*same_row(item))
                .values(attempts=replication_queue.c.attempts + 1, reason=f"temporary: {type(exc).__name__}: {exc}")
            )

    def _settle(self, item: Row, status: str | None, *, reason: str | None = None, moved: int = 0) -> None:
        """Record one destination's outcome (``status`` None: the source version is gone, nothing to report) and the
        version's aggregate status. A row queued again while this ran (a newer generation) is left for that run."""
        now = clock.now()
        with self.runtime.store.write() as conn:
            if status == FAILED:
                changed = conn.execute(
                    update(replication_queue)
                    .where(*same_row(item))
                    .values(status=FAILED, reason=reason, updated_at=now)
                ).rowcount
            else:
                changed = conn.execute(delete(replication_queue).where(*same_row(item))).rowcount
            if not changed:
                return
            if status is not None:
                count(conn, item, status, moved)
            remaining = [
                r.status
                for r in conn.execute(
                    select(replication_queue.c.status).where(
                        replication_queue.c.bucket == item["bucket"],
                        replication_queue.c.version_id == item["version_id"],
                    )
                )
            ]
            if status is None and not remaining:
                return
            conn.execute(
                update(objects)
                .where(
                    objects.c.bucket == item["bucket"],
                    objects.c.key == item["key"],
                    objects.c.version_id == item["version_id"],
                )
                .values(replication_status=aggregate(remaining, item["origin"] or COMPLETED))
            )

    # -- one replication ----------------------------------------------------------------------------------------

    def _replicate(self, item: Row) -> int | None:
        """Replicate one queued version to one destination; the bytes copied, or None when the source version no
        longer exists (deleted before it replicated). Raises ReplicationFailure, or anything temporary."""
        with self.runtime.store.read() as conn:
            source_bucket = self.find_bucket(conn, item["bucket"])
            source = self.object_row(conn, item["bucket"], item["key"], item["version_id"])
            config = self.get_config(conn, item["bucket"], CONFIG)
            target = self.find_bucket(conn, item["destination"])
        if source_bucket is None or source is None:
            return None
        if config is None:
            raise ReplicationFailure("SrcBucketReplicationConfigMissing", "the source bucket has no replication rules")
        rule = self._rule_for(config, item, source)
        if target is None:
            raise ReplicationFailure("DstBucketNotFound", f"the bucket {item['destination']} does not exist")
        if target.versioning != "Enabled":
            raise ReplicationFailure("DstBucketUnversioned", f"versioning is not enabled on {target.name}")
        guard = _Guard(self, self._role_principal(str(config["Role"]), source_bucket), source_bucket, target, source)
        if item["operation"] == DELETE_MARKER:
            guard.require("dst", "s3:ReplicateDelete", "DstDelObjNotPermitted")
            return self._write_marker(source, target)
        if item["operation"] == METADATA:
            return self._sync_metadata(guard, source, target)
        return self._copy_object(guard, rule, source_bucket, source, target)

    @staticmethod
    def _rule_for(config: dict[str, Any], item: Row, source: Row) -> Rule:
        """The rule the row was queued by, or — the configuration changed since — the one that now replicates the
        version to that destination."""
        for rule in rules_of(config):
            if rule.id == item["rule_id"] and rule.destination == item["destination"] and rule.enabled:
                return rule
        found = chosen_for(config, source, replica=item["origin"] == REPLICA).get(item["destination"])
        if found is None:
            raise ReplicationFailure(
                "SrcObjectNotEligible", f"no enabled rule replicates this version to {item['destination']}"
            )
        return found

    def _role_principal(self, role_arn: str, source: Bucket) -> Principal:
        """A session of the configuration's role, as S3 assumes it (reused while it has 20 minutes to live)."""
        role = Directory(self.runtime.store).role_by_arn(role_arn)
        if role is None:
            raise ReplicationFailure("AssumeRoleNotPermitted", f"the role {role_arn} does not exist")
        if not trusts_s3(role, source.account_id, source.arn):
            raise ReplicationFailure(
                "AssumeRoleNotPermitted", f"the trust policy of {role_arn} does not let {S3_SERVICE} assume it"
            )
        now = clock.now()
        cache: dict[str, _Session] = self.__dict__.setdefault("_replication_sessions", {})
        lock: threading.Lock = self.__dict__.setdefault("_replication_lock", threading.Lock())
        with lock:
            cached = cache.get(role.arn)
            if cached is not None and cached.role_id == role.role_id and cached.expires - now > SESSION_REFRESH:
                return cached.principal
        creds = issue_service_role_session(self.runtime, role, SESSION_NAME, SESSION_SECONDS)
        principal = Principal(
            "AssumedRole",
            role.account_id,
            f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{SESSION_NAME}",
            f"{role.role_id}:{SESSION_NAME}",
            creds["AccessKeyId"],
        )
        with lock:
            cache[role.arn] = _Session(role.role_id, principal, creds["Expiration"])
        return principal

    def _copy_object(self, guard: _Guard, rule: Rule, source_bucket: Bucket, source: Row, target: Bucket) -> int:
        guard.require("src", "s3:GetObjectVersionForReplication", "SrcGetObjectNotPermitted")
        tags = loads(source["tags"])
        # "If Amazon S3 doesn't have these permissions, it replicates the objects, but not the object tags"; a
        # destination owner who does not want the tags denies s3:ReplicateTags (s3:ReplicateObject implies it).
        if tags and (
            not guard.allows("src", "s3:GetObjectVersionTagging")
            or guard.decision("dst", "s3:ReplicateTags") is Decision.EXPLICIT_DENY
        ):
            tags = {}
        if source["lock_mode"]:
            guard.require("src", "s3:GetObjectRetention", "SrcGetRetentionNotPermitted")
        if source["legal_hold"]:
            guard.require("src", "s3:GetObjectLegalHold", "SrcGetLegalHoldNotPermitted")
        if source_bucket.object_lock and not target.object_lock:
            raise ReplicationFailure("DstBucketObjectLockConfigMissing", f"Object Lock is not enabled on {target.name}")
        enc = encryption.Encryption.of_row(source)
        guard.require(
            "dst",
            "s3:ReplicateObject",
            "DstPutObjectNotPermitted",
            ServerSideEncryption=enc.mode if enc.mode != encryption.SSE_C else None,
            SSEKMSKeyId=rule.replica_kms_key_id if enc.mode in KMS_MODES else None,
        )
        if rule.owner_override:
            guard.require("dst", "s3:ObjectOwnerOverrideToBucketOwner", "DstPutObjectNotPermitted")
        if source["lock_mode"]:
            guard.require("dst", "s3:PutObjectRetention", "DstPutRetentionNotPermitted")
        if source["legal_hold"]:
            guard.require("dst", "s3:PutObjectLegalHold", "DstPutLegalHoldNotPermitted")
        size = int(source["size"])
        with self.runtime.store.read() as conn:
            if self.object_row(conn, target.name, source["key"], source["version_id"]) is not None:
                return size  # replicated before a crash let the row be settled
            blocks_sse_c = _blocks_sse_c(self.get_config(conn, target.name, "encryption"))
        if enc.mode == encryption.SSE_C and blocks_sse_c:
            raise ReplicationFailure("DstPutObjectNotPermitted", f"{target.name} blocks SSE-C (BlockedEncryptionTypes)")
        replica_arn = f"arn:aws:s3:::{target.name}/{source['key']}"
        written: list[str] = []
        try:
            if enc.mode == encryption.SSE_C:
                # The customer's key wraps the data key and S3 never keeps it: the ciphertext and its wrap move as
                # they are, the chunks still bound to the blob they were written to.
                replica_enc = encryption.Encryption(encryption.SSE_C, enc.kid, enc.wrapped, arn=replica_arn)
                segments = [self._copy_sealed(s, written) for s in segments_of(source)]
            else:
                source_key = guard.open_source_key(enc)
                replica_enc, replica_key = self._replica_key(guard, rule, enc, target, replica_arn)
                segments = [self._copy_plain(s, source_key, replica_key, written) for s in segments_of(source)]
            self._insert_replica(source, target, rule, replica_enc, segments, tags, written)
        except BaseException:
            for blob in written:
                self.runtime.blobs.delete(blob)
            raise
        return size

    def _replica_key(
        self, guard: _Guard, rule: Rule, enc: encryption.Encryption, target: Bucket, arn: str
    ) -> tuple[encryption.Encryption, bytes]:
        """A fresh data key for the replica: sealed (SSE-S3), or wrapped with KMS Encrypt as the role under the
        replica key in the destination's Region (SSE-KMS, DSSE-KMS)."""
        if enc.mode == encryption.SSE_S3:
            return encryption.new_key(
                guard.ctx("dst"),
                self.runtime,
                arn=arn,
                owner=target.account_id,
                mode=encryption.SSE_S3,
                kms_key_id=None,
                bucket_key=False,
                context={},
                customer=None,
            )
        key_id = (mrk_in_region(enc.kms_key_id, target.region) if rule.use_source_mrk else None) or (
            rule.replica_kms_key_id
        )
        if not key_id:
            raise ReplicationFailure("DstKmsKeyNotFound", "the rule names no ReplicaKmsKeyID")
        data_key = os.urandom(64 if enc.mode == encryption.DSSE_KMS else 32)
        replica = encryption.Encryption(enc.mode, secrets.token_hex(16), b"", None, enc.bucket_key, enc.context, arn)
        try:
            out = guard.ctx("dst").call(
                "kms",
                "Encrypt",
                {"KeyId": key_id, "Plaintext": data_key, "EncryptionContext": replica.kms_context()},
                via="s3",
            )
        except AwsError as exc:
            raise kms_failure("Dst", exc) or exc from None
        replica.wrapped = out["CiphertextBlob"]
        replica.kms_key_id = out["KeyId"]
        return replica, data_key

    def _copy_plain(self, segment: dict[str, Any], source_key: bytes, replica_key: bytes, written: list[str]) -> Row:
        blob = new_blob_id()
        written.append(blob)
        size = int(segment["size"])
        plaintext = bodies.read_segments(self.runtime.blobs, source_key, [segment], 0, size)
        done = bodies.write_body(self.runtime.blobs, blob, replica_key, plaintext)
        if done.size != size:
            raise RuntimeError(f"segment {segment['blob']} read {done.size} bytes, expected {size}")
        copied = {k: v for k, v in segment.items() if k != BOUND_TO}
        return {**copied, "blob": blob}

    def _copy_sealed(self, segment: dict[str, Any], written: list[str]) -> Row:
        blob = new_blob_id()
        written.append(blob)
        reader = self.runtime.blobs.open_reader(str(segment["blob"]))
        try:
            total = reader.size()

            def pieces() -> Iterator[bytes]:
                for offset in range(0, total, _PIECE):
                    yield reader.read_at(offset, min(_PIECE, total - offset))

            self.runtime.blobs.write(blob, pieces())
        finally:
            reader.close()
        return {**segment, "blob": blob, BOUND_TO: segment.get(BOUND_TO) or segment["blob"]}

    def _insert_replica(
        self,
        source: Row,
        target: Bucket,
        rule: Rule,
        enc: encryption.Encryption,
        segments: list[Row],
        tags: dict[str, str],
        written: list[str],
    ) -> None:
        """The replica version: the source's id, ETag, checksums, Last-Modified ("creation time of the replica
        remains the same as the corresponding object in the source bucket"), owned by the destination's owner with
        the owner override or BucketOwnerEnforced, and latest unless the destination holds a newer version."""
        with self.runtime.store.write() as conn:
            current = self.find_bucket(conn, target.name)
            if current is None or current.versioning != "Enabled":
                raise ReplicationFailure("DstBucketNotFound", f"the bucket {target.name} changed while replicating")
            if self.object_row(conn, target.name, source["key"], source["version_id"]) is not None:
                self.orphan(conn, list(written))
                written.clear()
                return
            if source["lock_mode"] or source["legal_hold"]:
                lock = {k: source[k] for k in ("lock_mode", "lock_until", "legal_hold")}
            else:
                lock = self.lock_for_write(conn, current, {})  # the destination's default retention applies
            latest = _take_latest(conn, target.name, source)
            owned = rule.owner_override or current.ownership == "BucketOwnerEnforced"
            conn.execute(
                insert(objects).values(
                    bucket=target.name,
                    key=source["key"],
                    version_id=source["version_id"],
                    sequence=self.next_sequence(conn, target.name),
                    is_latest=latest,
                    delete_marker=False,
                    size=source["size"],
                    etag=source["etag"],
                    last_modified=source["last_modified"],
                    owner=current.account_id if owned else source["owner"],
                    storage_class=rule.storage_class or source["storage_class"],
                    headers=source["headers"],
                    **enc.columns(),
                    segments=json.dumps(segments),
                    checksum=source["checksum"],
                    tags=json.dumps(tags),
                    replication_status=REPLICA,
                    **lock,
                )
            )
            written.clear()  # committed: the blobs belong to the replica now

    def _write_marker(self, source: Row, target: Bucket) -> int:
        """A delete marker with the source marker's version id; it hides the key only if nothing newer exists."""
        with self.runtime.store.write() as conn:
            if self.object_row(conn, target.name, source["key"], source["version_id"]) is not None:
                return 0
            latest = _take_latest(conn, target.name, source)
            conn.execute(
                insert(objects).values(
                    bucket=target.name,
                    key=source["key"],
                    version_id=source["version_id"],
                    sequence=self.next_sequence(conn, target.name),
                    is_latest=latest,
                    delete_marker=True,
                    size=0,
                    etag="",
                    last_modified=source["last_modified"],
                    owner=target.account_id,
                    replication_status=REPLICA,
                )
            )
        return 0

    def _sync_metadata(self, guard: _Guard, source: Row, target: Bucket) -> int:
        """What changed of the tags, retention and legal hold of a version the destination already holds, each with
        the permissions its failure reason names (tags: s3:GetObjectVersionTagging at the source, s3:ReplicateTags
        or s3:ReplicateObject at the destination; Object Lock: s3:GetObjectRetention / s3:GetObjectLegalHold and
        s3:PutObjectRetention / s3:PutObjectLegalHold)."""
        guard.require("src", "s3:GetObjectVersionForReplication", "SrcGetObjectNotPermitted")
        with self.runtime.store.read() as conn:
            held = self.object_row(conn, target.name, source["key"], source["version_id"])
        if held is None:
            raise ReplicationFailure("DstVersionNotFound", f"{target.name} does not hold this version")
        values: dict[str, Any] = {}
        if loads(held["tags"]) != loads(source["tags"]):
            guard.require("src", "s3:GetObjectVersionTagging", "SrcGetTaggingNotPermitted")
            tagging = guard.decision("dst", "s3:ReplicateTags")
            if tagging is Decision.EXPLICIT_DENY or (
                tagging is not Decision.ALLOW and not guard.allows("dst", "s3:ReplicateObject")
            ):
                raise ReplicationFailure("DstPutTaggingNotPermitted", guard.last_message)
            values["tags"] = source["tags"]
        if target.object_lock and (held["lock_mode"], held["lock_until"]) != (
            source["lock_mode"],
            source["lock_until"],
        ):
            guard.require("src", "s3:GetObjectRetention", "SrcGetRetentionNotPermitted")
            guard.require("dst", "s3:PutObjectRetention", "DstPutRetentionNotPermitted")
            values.update(lock_mode=source["lock_mode"], lock_until=source["lock_until"])
        if target.object_lock and bool(held["legal_hold"]) != bool(source["legal_hold"]):
            guard.require("src", "s3:GetObjectLegalHold", "SrcGetLegalHoldNotPermitted")
            guard.require("dst", "s3:PutObjectLegalHold", "DstPutLegalHoldNotPermitted")
            values["legal_hold"] = bool(source["legal_hold"])
        if values:
            with self.runtime.store.write() as conn:
                conn.execute(update(objects).where(objects.c.id == held["id"]).values(**values))
        return 0


class _Guard:
    """Permission checks and KMS calls as the replication role's session, on the source or destination side."""

    def __init__(self, family: S3Base, principal: Principal, source: Bucket, target: Bucket, row: Row) -> None:
        self.family = family
        self.principal = principal
        self.buckets = {"src": source, "dst": target}
        self.row = row
        self.contexts: dict[str, RequestContext] = {}
        self.caller: CallerPolicies = load_caller(Directory(family.runtime.store), principal)
        self.last_message = ""

    def ctx(self, side: str) -> RequestContext:
        """A request context of the role session in that side's bucket's Region (KMS keys are regional)."""
        if side not in self.contexts:
            self.contexts[side] = _Context(
                runtime=self.family.runtime,
                request_id=ids.request_id(),
                service="s3",
                operation="ReplicateObject",
                region=self.buckets[side].region,
                principal=self.principal,
                source_ip=S3_SERVICE,
                user_agent=S3_SERVICE,
            )
        return self.contexts[side]

    def evaluate(self, side: str, action: str, **conditions: Any) -> EvaluationResult:
        """``action`` on this version's ARN in that side's bucket, with the bucket's policy, owner and Block Public
        Access exactly as S3 authorizes an object request there (``access.checks`` of a GetObject / PutObject)."""
        bucket = self.buckets[side]
        template = "GetObject" if side == "src" else "PutObject"
        params: dict[str, Any] = {"Bucket": bucket.name, "Key": self.row["key"]}
        if side == "src":
            params["VersionId"] = self.row["version_id"]
        params.update({k: v for k, v in conditions.items() if v is not None})
        ctx = replace(self.ctx(side), operation=template)
        found = access.checks(ctx, params)
        if not found:
            raise ReplicationFailure(
                "SrcBucketNotFound" if side == "src" else "DstBucketNotFound", f"the bucket {bucket.name} is gone"
            )
        base = global_context(ctx, self.caller)
        base["aws:SecureTransport"] = "true"  # S3's own requests never leave AWS in the clear
        result = evaluate_check(self.caller, replace(found[0], action=action), base)
        self.last_message = result.message() if not result.allowed else ""
        return result

    def decision(self, side: str, action: str) -> Decision:
        return self.evaluate(side, action).decision

    def allows(self, side: str, action: str) -> bool:
        return self.evaluate(side, action).allowed

    def require(self, side: str, action: str, reason: str, **conditions: Any) -> None:
        result = self.evaluate(side, action, **conditions)
        if not result.allowed:
            raise ReplicationFailure(reason, result.message())

    def open_source_key(self, enc: encryption.Encryption) -> bytes:
        try:
            return encryption.open_key(self.ctx("src"), self.family.runtime, enc, None)
        except AwsError as exc:
            raise kms_failure("Src", exc) or exc from None


def _take_latest(conn: Connection, bucket: str, source: Row) -> bool:
    """Whether a replica of ``source`` becomes the latest version of its key in ``bucket`` (nothing there is newer:
    versions may replicate out of order, a re-driven one long after); if so the current latest steps down."""
    newer = conn.execute(
        select(
            exists().where(
                objects.c.bucket == bucket,
                objects.c.key == source["key"],
                objects.c.last_modified > source["last_modified"],
            )
        )
    ).scalar()
    if newer:
        return False
    conn.execute(
        update(objects)
        .where(objects.c.bucket == bucket, objects.c.key == source["key"], objects.c.is_latest.is_(True))
        .values(is_latest=False)
    )
    return True


def _blocks_sse_c(document: Any) -> bool:
    """Does a bucket's default encryption block SSE-C (``BlockedEncryptionTypes``, SSE-C by default since 2026)?"""
    rules = (document or {}).get("Rules") or [{}]
    blocked = (rules[0].get("BlockedEncryptionTypes") or {}).get("EncryptionType") or ["SSE-C"]
    return "SSE-C" in blocked
