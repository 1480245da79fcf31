"""Log groups: create, delete, describe; retention (enforced by a scheduled job); KMS key association."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import Connection, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.base import pages
from strongroom.services.logs.base import (
    RETENTION_DAYS,
    RETENTION_JOB,
    LogsBase,
    Row,
    group_arn,
    now_ms,
    parse_group_arn,
)
from strongroom.services.logs.errors import (
    InvalidParameterException,
    OperationAbortedException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
)
from strongroom.services.logs.keys import NewKey
from strongroom.services.logs.model import data_keys, events, groups, streams, tags
from strongroom.services.logs.tagging import check_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_LIMIT = 50
RETENTION_SWEEP = timedelta(hours=1)  # how often a group with a retention policy is swept
_KMS_ARN_PREFIX = "arn:aws:kms:"
_PATTERN_FIELDS = frozenset({"logGroupName", "creationTime", "arn"})


def _bad_token() -> AwsError:
    return InvalidParameterException("The specified nextToken is invalid.")


def check_kms_key(key: str) -> str:
    """AWS takes the KMS key's ARN here (no key ids, no aliases)."""
    if not key.startswith(_KMS_ARN_PREFIX) or ":key/" not in key:
        raise InvalidParameterException(f"Specified KMS key ARN is invalid: {key}")
    return key


def retention_job_key(arn: str) -> str:
    """A group's retention job key: a digest of its ARN (up to ~560 characters; job ids hold 200)."""
    return hashlib.sha256(arn.encode()).hexdigest()


def retention_cutoff_ms(days: int, now: int) -> int:
    return now - days * 86_400_000


class GroupOperations(LogsBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {RETENTION_JOB: "retention_job"}

    def _store_key(self, conn: Connection, arn: str, key: NewKey) -> None:
        conn.execute(
            insert(data_keys).values(
                key_id=key.key_id,
                group_arn=arn,
                kms_key_id=key.kms_key_id,
                sealed_key=key.sealed_key,
                kms_blob=key.kms_blob,
                created_at=clock.now(),
            )
        )

    def create_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        name = request["logGroupName"]
        arn = group_arn(ctx.region, ctx.account_id, name)
        kms_key_id = request.get("kmsKeyId")
        if kms_key_id is not None:
            check_kms_key(kms_key_id)
        check_tags(request.get("tags") or {})
        with self.runtime.store.read() as conn:
            if self.find_group(conn, ctx, name) is not None:
                raise ResourceAlreadyExistsException("The specified log group already exists")
        key = self.keys.create(ctx, arn, kms_key_id)  # a KMS key the service may not use fails here
        try:
            with self.runtime.store.write() as conn:
                conn.execute(
                    insert(groups).values(
                        arn=arn,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        name=name,
                        created_ms=now_ms(),
                        retention_days=None,
                        kms_key_id=kms_key_id,
                        log_group_class=request.get("logGroupClass") or "STANDARD",
                        deletion_protection=bool(request.get("deletionProtectionEnabled")),
                        data_key_id=key.key_id,
                    )
                )
                self._store_key(conn, arn, key)
                for k, v in (request.get("tags") or {}).items():
                    conn.execute(insert(tags).values(group_arn=arn, key=k, value=v))
        except IntegrityError:
            raise ResourceAlreadyExistsException("The specified log group already exists") from None

    def delete_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            row = self.require_group(conn, ctx, request["logGroupName"])
            if row.deletion_protection:
                raise OperationAbortedException("Log group deletion is blocked by deletion protection.")
            for table, column in (
                (events, events.c.group_arn),
                (streams, streams.c.group_arn),
                (data_keys, data_keys.c.group_arn),
                (tags, tags.c.group_arn),
            ):
                conn.execute(delete(table).where(column == row.arn))
            conn.execute(delete(groups).where(groups.c.arn == row.arn))
            self.runtime.scheduler.cancel(RETENTION_JOB, retention_job_key(row.arn), conn=conn)

    def describe_log_groups(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("logGroupNamePrefix")
        pattern = request.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise InvalidParameterException(
                "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters."
            )
        wanted_class = request.get("logGroupClass")
        identifiers = request.get("logGroupIdentifiers")
        stmt = select(groups).where(groups.c.account_id == ctx.account_id, groups.c.region == ctx.region)
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
            mine = select(groups.c.arn).where(groups.c.account_id == ctx.account_id, groups.c.region == ctx.region)
            sizes: dict[str, int] = {
                arn: int(size or 0)
                for arn, size in conn.execute(
                    select(streams.c.group_arn, func.sum(streams.c.stored_bytes))
                    .where(streams.c.group_arn.in_(mine))
                    .group_by(streams.c.group_arn)
                ).all()
            }
        found = []
        for row in rows:
            if prefix is not None and not row.name.startswith(prefix):
                continue
            if pattern is not None and pattern not in row.name:
                continue
            if wanted_class is not None and row.log_group_class != wanted_class:
                continue
            if identifiers is not None and not {row.name, row.arn, f"{row.arn}:*"} & set(identifiers):
                continue
            found.append(row)
        page, token = pages.after_page(
            found, request.get("nextToken"), int(request.get("limit") or DEFAULT_LIMIT), lambda r: r.name, _bad_token
        )
        shapes = [self.group_shape(r, sizes.get(r.arn, 0)) for r in page]
        if pattern is not None:  # "then only arn, creationTime, and logGroupName are included in the response"
            shapes = [{k: v for k, v in shape.items() if k in _PATTERN_FIELDS} for shape in shapes]
        out: dict[str, Any] = {"logGroups": shapes}
        if token:
            out["nextToken"] = token
        return out

    @staticmethod
    def group_shape(row: Row, stored_bytes: int) -> dict[str, Any]:
        shape: dict[str, Any] = {"logGroupName": row.name, "creationTime": row.created_ms}
        if row.retention_days is not None:
            shape["retentionInDays"] = row.retention_days
        shape["metricFilterCount"] = 0
        shape["arn"] = f"{row.arn}:*"
        shape["storedBytes"] = stored_bytes
        if row.kms_key_id:
            shape["kmsKeyId"] = row.kms_key_id
        shape["logGroupClass"] = row.log_group_class
        shape["logGroupArn"] = row.arn
        shape["deletionProtectionEnabled"] = bool(row.deletion_protection)
        return shape

    # -- retention -----------------------------------------------------------------------------------------

    def put_retention_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        days = request["retentionInDays"]
        if days not in RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in RETENTION_DAYS)
            raise InvalidParameterException(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{allowed}]"
            )
        with self.runtime.store.write() as conn:
            row = self.require_group(conn, ctx, request["logGroupName"])
            conn.execute(update(groups).where(groups.c.arn == row.arn).values(retention_days=days))
            self.runtime.scheduler.schedule(
                RETENTION_JOB, retention_job_key(row.arn), clock.now() + RETENTION_SWEEP, {"arn": row.arn}, conn=conn
            )

    def delete_retention_policy(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            row = self.require_group(conn, ctx, request["logGroupName"])
            conn.execute(update(groups).where(groups.c.arn == row.arn).values(retention_days=None))
            self.runtime.scheduler.cancel(RETENTION_JOB, retention_job_key(row.arn), conn=conn)

    def retention_job(self, job: JobContext) -> JobResult | None:
        """Delete the group's events older than its retention; again in an hour while the policy lasts."""
        with self.runtime.store.write() as conn:
            row = conn.execute(select(groups).where(groups.c.arn == job.payload.get("arn"))).first()
            if row is None or row.retention_days is None:
                return None
            cutoff = retention_cutoff_ms(row.retention_days, int(job.now.timestamp() * 1000))
            self.expire(conn, row.arn, cutoff)
        return JobResult.again(job.now + RETENTION_SWEEP)

    @staticmethod
    def expire(conn: Connection, arn: str, cutoff: int) -> None:
        """Drop the events of group ``arn`` older than ``cutoff`` and bring its streams' figures up to date."""
        old = events.c.timestamp_ms < cutoff
        gone = conn.execute(
            select(events.c.stream_name, func.sum(events.c.size))
            .where(events.c.group_arn == arn, old)
            .group_by(events.c.stream_name)
        ).all()
        if not gone:
            return
        conn.execute(delete(events).where(events.c.group_arn == arn, old))
        for stream, _size in gone:
            size, first = conn.execute(
                select(func.sum(events.c.size), func.min(events.c.timestamp_ms)).where(
                    events.c.group_arn == arn, events.c.stream_name == stream
                )
            ).one()
            conn.execute(
                update(streams)
                .where(streams.c.group_arn == arn, streams.c.name == stream)
                .values(stored_bytes=int(size or 0), first_event_ms=first)
            )

    # -- KMS -------------------------------------------------------------------------------------------------

    def _resource_group(self, ctx: RequestContext, request: dict[str, Any]) -> str:
        name = request.get("logGroupName")
        resource = request.get("resourceIdentifier")
        if name is not None and resource is not None:
            raise InvalidParameterException("logGroupName and resourceIdentifier are mutually exclusive parameters.")
        if name is None and resource is None:
            raise InvalidParameterException("Either logGroupName or resourceIdentifier must be specified.")
        if name is not None:
            return str(name)
        parsed = parse_group_arn(str(resource))
        if parsed is None:
            raise InvalidParameterException(f"Invalid resourceIdentifier: {resource}")
        if parsed[:2] != (ctx.region, ctx.account_id):
            raise ResourceNotFoundException("The specified log group does not exist.")
        return parsed[2]

    def associate_kms_key(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        kms_key_id = check_kms_key(request["kmsKeyId"])
        name = self._resource_group(ctx, request)
        with self.runtime.store.read() as conn:
            row = self.require_group(conn, ctx, name)
        key = self.keys.create(ctx, row.arn, kms_key_id)
        with self.runtime.store.write() as conn:
            self.require_group(conn, ctx, name)
            self._store_key(conn, row.arn, key)
            conn.execute(
                update(groups).where(groups.c.arn == row.arn).values(kms_key_id=kms_key_id, data_key_id=key.key_id)
            )

    def disassociate_kms_key(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        """New events go back under a sealed key; events written under the KMS key still need it to be read."""
        name = self._resource_group(ctx, request)
        with self.runtime.store.read() as conn:
            row = self.require_group(conn, ctx, name)
        if not row.kms_key_id:
            return
        key = self.keys.create(ctx, row.arn, None)
        with self.runtime.store.write() as conn:
            self.require_group(conn, ctx, name)
            self._store_key(conn, row.arn, key)
            conn.execute(update(groups).where(groups.c.arn == row.arn).values(kms_key_id=None, data_key_id=key.key_id))
