"""Object Lock: the bucket's configuration (default retention), per-version retention and legal holds.

AWS's rules: a COMPLIANCE retention can be extended but never shortened, removed or turned into GOVERNANCE, by
anyone; a GOVERNANCE retention can be shortened or removed only with ``x-amz-bypass-governance-retention: true``
and the ``s3:BypassGovernanceRetention`` permission; a version under retention or a legal hold cannot be
deleted (deleting without a version id still adds a delete marker, which is not protected).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, update

from strongroom.core.clock import clock
from strongroom.services.s3 import access
from strongroom.services.s3.base import Bucket, Row, S3Base
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import buckets, objects

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_MODES = ("GOVERNANCE", "COMPLIANCE")
_NOT_LOCKED = "Bucket is missing Object Lock Configuration"
_PROTECTED = "Access Denied because object protected by object lock."


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


class LockOperations(S3Base):
    # -- shared with writes and deletes ---------------------------------------------------------------------------

    def lock_for_write(self, conn: Connection, bucket: Bucket, params: dict[str, Any]) -> dict[str, Any]:
        """The lock columns of a new object: the request's headers, else the bucket's default retention."""
        mode = params.get("ObjectLockMode")
        until = params.get("ObjectLockRetainUntilDate")
        hold = params.get("ObjectLockLegalHoldStatus")
        if (mode or until or hold) and not bucket.object_lock:
            raise error("InvalidRequest", _NOT_LOCKED)
        if (mode is None) != (until is None):
            raise error(
                "InvalidArgument",
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
                ArgumentName="x-amz-object-lock-mode",
            )
        if mode is not None and mode not in _MODES:
            raise error(
                "InvalidArgument",
                "Unknown wormMode directive.",
                ArgumentName="x-amz-object-lock-mode",
                ArgumentValue=str(mode),
            )
        if until is not None and until <= clock.now():
            raise error(
                "InvalidArgument",
                "The retain until date must be in the future!",
                ArgumentName="x-amz-object-lock-retain-until-date",
            )
        if mode is None and bucket.object_lock:
            rule = (self.get_config(conn, bucket.name, "object_lock") or {}).get("Rule") or {}
            default = rule.get("DefaultRetention") or {}
            if default.get("Mode"):
                mode = default["Mode"]
                days = int(default.get("Days") or 0) + 365 * int(default.get("Years") or 0)
                until = clock.now().astimezone(UTC) + timedelta(days=days)
        return {"lock_mode": mode, "lock_until": until, "legal_hold": hold == "ON"}

    def lock_columns(self, stored: dict[str, Any]) -> dict[str, Any]:
        """Lock columns kept as JSON on a multipart upload, back as columns."""
        return {
            "lock_mode": stored.get("lock_mode"),
            "lock_until": _as_datetime(stored.get("lock_until")),
            "legal_hold": bool(stored.get("legal_hold")),
        }

    def check_lock_allows_delete(self, ctx: RequestContext, row: Row, params: dict[str, Any]) -> None:
        if row["legal_hold"]:
            raise error("AccessDenied", _PROTECTED)
        until = row["lock_until"]
        if not row["lock_mode"] or until is None or until <= clock.now():
            return
        if row["lock_mode"] == "COMPLIANCE" or not params.get("BypassGovernanceRetention"):
            raise error("AccessDenied", _PROTECTED)
        self.authorize_as(ctx, "BypassGovernanceRetention", {"Bucket": row["bucket"], "Key": row["key"]})

    # -- bucket configuration -------------------------------------------------------------------------------------

    def put_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("ObjectLockConfiguration") or {}
        if config.get("ObjectLockEnabled") != "Enabled":
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        rule = config.get("Rule")
        if rule is not None:
            default = rule.get("DefaultRetention") or {}
            if default.get("Mode") not in _MODES:
                raise error(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                )
            days, years = default.get("Days"), default.get("Years")
            if (days is None) == (years is None):
                raise error(
                    "MalformedXML",
                    "The XML you provided was not well-formed or did not validate against our published schema",
                )
            if int(days if days is not None else years or 0) <= 0:
                raise error("InvalidRetentionPeriod", "Default retention period must be a positive integer value.")
        with self.runtime.store.write() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            if not bucket.object_lock:
                if bucket.versioning != "Enabled":
                    raise error(
                        "InvalidBucketState",
                        "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
                    )
                conn.execute(update(buckets).where(buckets.c.name == bucket.name).values(object_lock=True))
            self.put_config(conn, bucket.name, "object_lock", config)
        access.forget(self.runtime.store, bucket.name)  # object_lock is a column of the bucket row
        return {}

    def get_object_lock_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            bucket = self.bucket(conn, params["Bucket"])
            self.expected_owner(ctx, bucket, params)
            config = self.get_config(conn, bucket.name, "object_lock")
        if not bucket.object_lock or config is None:
            raise error(
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
                BucketName=bucket.name,
            )
        return {"ObjectLockConfiguration": config}

    # -- per version --------------------------------------------------------------------------------------------

    def _locked_target(self, ctx: RequestContext, conn: Connection, params: dict[str, Any]) -> Row:
        bucket = self.bucket(conn, params["Bucket"])
        self.expected_owner(ctx, bucket, params)
        if not bucket.object_lock:
            raise error("InvalidRequest", _NOT_LOCKED)
        return self.live_object(conn, bucket.name, params["Key"], params.get("VersionId"))

    def put_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        retention = params.get("Retention") or {}
        mode, until = retention.get("Mode"), retention.get("RetainUntilDate")
        if mode is not None and mode not in _MODES:
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        if until is not None and until <= clock.now():
            raise error(
                "InvalidArgument", "The retain until date must be in the future!", ArgumentName="RetainUntilDate"
            )
        with self.runtime.store.write() as conn:
            row = self._locked_target(ctx, conn, params)
            current_until = row["lock_until"]
            active = bool(row["lock_mode"]) and current_until is not None and current_until > clock.now()
            if active:
                weaker = until is None or until < current_until or (mode != row["lock_mode"])
                if row["lock_mode"] == "COMPLIANCE" and weaker:
                    raise error("AccessDenied", _PROTECTED)
                if row["lock_mode"] == "GOVERNANCE" and weaker and mode != "COMPLIANCE":
                    if not params.get("BypassGovernanceRetention"):
                        raise error("AccessDenied", _PROTECTED)
                    self.authorize_as(ctx, "BypassGovernanceRetention", {"Bucket": row["bucket"], "Key": row["key"]})
            conn.execute(update(objects).where(objects.c.id == row["id"]).values(lock_mode=mode, lock_until=until))
            bucket = self.bucket(conn, params["Bucket"])
            self.queue_metadata_replication(conn, bucket, {**row, "lock_mode": mode, "lock_until": until})
        return {}

    def get_object_retention(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            row = self._locked_target(ctx, conn, params)
        if not row["lock_mode"]:
            raise error(
                "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration"
            )
        return {"Retention": {"Mode": row["lock_mode"], "RetainUntilDate": row["lock_until"]}}

    def put_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in ("ON", "OFF"):
            raise error(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        with self.runtime.store.write() as conn:
            row = self._locked_target(ctx, conn, params)
            conn.execute(update(objects).where(objects.c.id == row["id"]).values(legal_hold=status == "ON"))
            bucket = self.bucket(conn, params["Bucket"])
            self.queue_metadata_replication(conn, bucket, {**row, "legal_hold": status == "ON"})
        return {}

    def get_object_legal_hold(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            row = self._locked_target(ctx, conn, params)
        return {"LegalHold": {"Status": "ON" if row["legal_hold"] else "OFF"}}
