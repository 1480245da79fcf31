"""What every family of S3 operations shares: the runtime (with its blob store), buckets and their configuration
documents, object rows, and the names S3 validates."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

import orjson
from sqlalchemy import Connection, bindparam, delete, insert, select, update

from strongroom.core.clock import clock
from strongroom.events import bus
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base.family import ServiceBase
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import account_configs, bucket_configs, buckets, objects, orphans
from strongroom.services.s3.runtime import S3Runtime
from strongroom.store.prepared import Prepared

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext
    from strongroom.services.s3.encryption import CustomerKey, Encryption

Row = dict[str, Any]

ORPHAN_JOB = "s3-orphans"
BUCKET_SEEN = "s3.bucket"  # ctx.extras: the bucket row this request's authorization read
MAX_KEY_BYTES = 1024
NULL_VERSION = "null"
S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
# Reserved by AWS for its own features (general purpose bucket naming rules).
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    account_id: str
    region: str
    created_at: datetime
    versioning: str | None
    object_lock: bool
    ownership: str

    @property
    def arn(self) -> str:
        return f"arn:aws:s3:::{self.name}"


def bucket_of(row: Any) -> Bucket:
    return Bucket(
        row.name, row.account_id, row.region, row.created_at, row.versioning, bool(row.object_lock), row.ownership
    )


def bucket_of_mapping(row: Row) -> Bucket:
    return Bucket(
        row["name"],
        row["account_id"],
        row["region"],
        row["created_at"],
        row["versioning"],
        bool(row["object_lock"]),
        row["ownership"],
    )


# The reads every object request makes, built once (building a statement per call cost more than running it).
BUCKET_ROW = select(buckets).where(buckets.c.name == bindparam("name"))
LATEST_OBJECT = (
    select(objects)
    .where(objects.c.bucket == bindparam("bucket"), objects.c.key == bindparam("key"), objects.c.is_latest.is_(True))
    .limit(1)
)
OBJECT_VERSION = (
    select(objects)
    .where(
        objects.c.bucket == bindparam("bucket"),
        objects.c.key == bindparam("key"),
        objects.c.version_id == bindparam("version_id"),
    )
    .limit(1)
)


# The same reads for the hot paths outside a transaction (GetObject, HeadObject, authorization): on the driver.
BUCKET_READ = Prepared(BUCKET_ROW)
LATEST_READ = Prepared(LATEST_OBJECT)
VERSION_READ = Prepared(OBJECT_VERSION)


def valid_bucket_name(name: str) -> bool:
    """AWS's naming rules for general purpose buckets."""
    if not _BUCKET_NAME.match(name) or ".." in name:
        return False
    if name.startswith(_RESERVED_PREFIXES) or name.endswith(_RESERVED_SUFFIXES):
        return False
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return True
    return False


def check_key(key: str) -> None:
    if len(key.encode("utf-8")) > MAX_KEY_BYTES:
        raise error("KeyTooLongError", "Your key is too long", Size=str(len(key.encode())), MaxSizeAllowed="1024")


def new_version_id() -> str:
    """32 URL-safe characters, the length of AWS's version ids."""
    return secrets.token_urlsafe(24)


def new_blob_id() -> str:
    return secrets.token_hex(16)


def now_seconds() -> datetime:
    """S3 reports Last-Modified to the second in headers; storing it so keeps headers and listings equal."""
    return clock.now().astimezone(UTC).replace(microsecond=0)


def quote_etag(value: str) -> str:
    return f'"{value}"'


class S3Base(ServiceBase):
    """Shared helpers; each family (buckets, objects, ...) derives from this."""

    runtime: S3Runtime
    scheduled_jobs: ClassVar[dict[str, str]] = {ORPHAN_JOB: "orphan_job"}

    # -- buckets --------------------------------------------------------------------------------------------------

    def find_bucket(self, conn: Connection, name: str) -> Bucket | None:
        row = conn.execute(BUCKET_ROW, {"name": name}).first()
        return bucket_of(row) if row is not None else None

    def bucket(self, conn: Connection, name: str) -> Bucket:
        found = self.find_bucket(conn, name)
        if found is None:
            raise error("NoSuchBucket", "The specified bucket does not exist", BucketName=name)
        return found

    def known_bucket(self, ctx: RequestContext, conn: Connection | None, name: str) -> Bucket:
        """The bucket as this request's authorization just read it (one query fewer on every object read), else
        read now (``conn`` None: on its own)."""
        seen = ctx.extras.get(BUCKET_SEEN)
        if isinstance(seen, Bucket) and seen.name == name:
            return seen
        if conn is not None:
            return self.bucket(conn, name)
        row = self.runtime.store.first(BUCKET_READ, {"name": name})
        if row is None:
            raise error("NoSuchBucket", "The specified bucket does not exist", BucketName=name)
        return bucket_of_mapping(row)

    def read_bucket(self, name: str) -> Bucket:
        with self.runtime.store.read() as conn:
            return self.bucket(conn, name)

    @staticmethod
    def expected_owner(ctx: RequestContext, bucket: Bucket, params: dict[str, Any]) -> None:
        """``x-amz-expected-bucket-owner``: S3 answers 403 when the bucket belongs to someone else."""
        expected = params.get("ExpectedBucketOwner")
        if expected is not None and expected != bucket.account_id:
            raise error("AccessDenied", "Access Denied")

    # -- configuration documents -----------------------------------------------------------------------------------

    @staticmethod
    def get_config(conn: Connection, bucket: str, kind: str) -> Any:
        text = conn.execute(
            select(bucket_configs.c.document).where(bucket_configs.c.bucket == bucket, bucket_configs.c.kind == kind)
        ).scalar()
        return None if text is None else json.loads(text)

    @staticmethod
    def put_config(conn: Connection, bucket: str, kind: str, document: Any) -> None:
        text = json.dumps(document, default=str)
        found = conn.execute(
            update(bucket_configs)
            .where(bucket_configs.c.bucket == bucket, bucket_configs.c.kind == kind)
            .values(document=text)
        ).rowcount
        if not found:
            conn.execute(insert(bucket_configs).values(bucket=bucket, kind=kind, document=text))

    @staticmethod
    def delete_config(conn: Connection, bucket: str, kind: str) -> None:
        conn.execute(delete(bucket_configs).where(bucket_configs.c.bucket == bucket, bucket_configs.c.kind == kind))

    @staticmethod
    def get_account_config(conn: Connection, account: str, kind: str) -> Any:
        text = conn.execute(
            select(account_configs.c.document).where(
                account_configs.c.account_id == account, account_configs.c.kind == kind
            )
        ).scalar()
        return None if text is None else json.loads(text)

    @staticmethod
    def put_account_config(conn: Connection, account: str, kind: str, document: Any) -> None:
        text = json.dumps(document)
        found = conn.execute(
            update(account_configs)
            .where(account_configs.c.account_id == account, account_configs.c.kind == kind)
            .values(document=text)
        ).rowcount
        if not found:
            conn.execute(insert(account_configs).values(account_id=account, kind=kind, document=text))

    # -- what one family provides to the others (Provider lists every family; these stubs come last in its MRO) --

    def write_key(
        self, ctx: RequestContext, conn: Connection, bucket: Bucket, key: str, params: dict[str, Any]
    ) -> tuple[Encryption, bytes, CustomerKey | None]:
        """objects.py: the encryption of a new object or upload, and its plaintext data key."""
        raise NotImplementedError

    def lock_for_write(self, conn: Connection, bucket: Bucket, params: dict[str, Any]) -> dict[str, Any]:
        """locking.py: the Object Lock columns of a new object."""
        raise NotImplementedError

    def lock_columns(self, stored: dict[str, Any]) -> dict[str, Any]:
        """locking.py: lock columns kept as JSON on a multipart upload, back as columns."""
        raise NotImplementedError

    def check_lock_allows_delete(self, ctx: RequestContext, row: Row, params: dict[str, Any]) -> None:
        """locking.py: refuse to delete a version under retention or legal hold."""
        raise NotImplementedError

    def queue_replication(self, conn: Connection, bucket: Bucket, row: Row) -> None:
        """replication.py: queue a new version or delete marker for replication, in the transaction that wrote it."""
        raise NotImplementedError

    def queue_metadata_replication(self, conn: Connection, bucket: Bucket, row: Row) -> None:
        """replication.py: queue a version's changed tags, retention or legal hold for replication."""
        raise NotImplementedError

    # -- objects ----------------------------------------------------------------------------------------------------

    @staticmethod
    def next_sequence(conn: Connection, bucket: str) -> int:
        """A number larger than every earlier write's in the bucket: orders versions of a key."""
        conn.execute(update(buckets).where(buckets.c.name == bucket).values(next_sequence=buckets.c.next_sequence + 1))
        return int(conn.execute(select(buckets.c.next_sequence).where(buckets.c.name == bucket)).scalar_one())

    @staticmethod
    def object_row(conn: Connection, bucket: str, key: str, version_id: str | None) -> Row | None:
        """The latest version (``version_id`` None) or the named one, delete markers included."""
        if version_id is None:
            found = conn.execute(LATEST_OBJECT, {"bucket": bucket, "key": key})
        else:
            found = conn.execute(OBJECT_VERSION, {"bucket": bucket, "key": key, "version_id": version_id})
        row = found.mappings().first()
        return dict(row) if row is not None else None

    def live_object(self, conn: Connection | None, bucket: str, key: str, version_id: str | None) -> Row:
        """The object a read names, or S3's error: NoSuchKey, NoSuchVersion, or a delete marker's 404/405.

        ``conn`` None: read on its own, a prepared point read (GetObject's and HeadObject's hot path)."""
        if conn is not None:
            row = self.object_row(conn, bucket, key, version_id)
        elif version_id is None:
            row = self.runtime.store.first(LATEST_READ, {"bucket": bucket, "key": key})
        else:
            row = self.runtime.store.first(VERSION_READ, {"bucket": bucket, "key": key, "version_id": version_id})
        if row is None:
            if version_id is not None:
                if version_id != NULL_VERSION and not _plausible_version(version_id):
                    raise error(
                        "InvalidArgument",
                        "Invalid version id specified",
                        ArgumentName="versionId",
                        ArgumentValue=version_id,
                    )
                raise error("NoSuchVersion", "The specified version does not exist.", Key=key, VersionId=version_id)
            raise error("NoSuchKey", "The specified key does not exist.", Key=key)
        if row["delete_marker"]:
            if version_id is None:
                exc = error("NoSuchKey", "The specified key does not exist.", Key=key)
            else:
                exc = error(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    Method="GET",
                    ResourceType="DeleteMarker",
                )
            exc.headers = {"x-amz-delete-marker": "true", "x-amz-version-id": row["version_id"]}  # type: ignore[attr-defined]
            raise exc
        return row

    def authorize_as(self, ctx: RequestContext, operation: str, params: dict[str, Any]) -> None:
        """Authorize ``operation`` for this request's caller (DeleteObjects per key; the governance bypass)."""
        self.runtime.authorize(replace(ctx, operation=operation, spec=None), None, params)

    def object_event(
        self,
        ctx: RequestContext,
        bucket: Bucket,
        detail_type: str,
        key: str,
        row: Row,
        *,
        reason: str,
        deletion_type: str | None = None,
    ) -> None:
        """``Object Created`` / ``Object Deleted`` on the owner's default bus, when the bucket sends to EventBridge."""
        with self.runtime.store.read() as conn:
            if "EventBridgeConfiguration" not in (self.get_config(conn, bucket.name, "notification") or {}):
                return
        obj: dict[str, Any] = {"key": key, "sequencer": f"{int(row.get('sequence') or 0):016X}"}
        if row.get("size") is not None and detail_type == "Object Created":
            obj["size"] = int(row["size"])
            obj["etag"] = str(row.get("etag", "")).strip('"')
        if row.get("version_id") and row.get("version_id") != NULL_VERSION:
            obj["version-id"] = row["version_id"]
        detail: dict[str, Any] = {
            "version": "0",
            "bucket": {"name": bucket.name},
            "object": obj,
            "request-id": ctx.request_id,
            "requester": ctx.account_id,
            "source-ip-address": ctx.source_ip,
            "reason": reason,
        }
        if deletion_type is not None:
            detail["deletion-type"] = deletion_type
        bus.publish(self.runtime, bucket.account_id, bucket.region, "aws.s3", detail_type, detail, [bucket.arn])

    def orphan(self, conn: Connection, blobs: list[str]) -> None:
        """Queue blobs for deletion once this transaction commits (see ``model.orphans``): the collecting job is
        scheduled in the same transaction, so it runs only if the rows that named the blobs are really gone."""
        if not blobs:
            return
        moment = clock.now()
        for blob in blobs:
            conn.execute(insert(orphans).values(blob=blob, since=moment))
        self.runtime.scheduler.schedule(ORPHAN_JOB, "all", moment, conn=conn)

    def orphan_job(self, job: JobContext) -> JobResult | None:
        """Delete the blobs no row names any more, a batch at a time; safe on any node, at any time."""
        with self.runtime.store.read() as conn:
            found = [r.blob for r in conn.execute(select(orphans.c.blob).limit(1000))]
        for blob in found:
            self.runtime.blobs.delete(blob)
            with self.runtime.store.write() as conn:
                conn.execute(delete(orphans).where(orphans.c.blob == blob))
        return JobResult.again(job.now) if len(found) == 1000 else None


def _plausible_version(version_id: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9._\-]{1,64}", version_id))


def segments_of(row: Row) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], orjson.loads(row["segments"] or "[]"))


def loads(text: str | None) -> dict[str, Any]:
    """A JSON column of an object row (orjson: every GET reads several)."""
    return cast(dict[str, Any], orjson.loads(text)) if text else {}
