"""Log streams: create, delete, describe (by name or by last event time, either direction, paged)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.logs.base import LogsBase, Row, now_ms, stream_arn
from strongroom.services.logs.errors import InvalidParameterException, ResourceAlreadyExistsException
from strongroom.services.logs.model import events, streams

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_LIMIT = 50


def sequence_token(sequence: int) -> str:
    """uploadSequenceToken / nextSequenceToken: 56 digits, as AWS's look (ignored on input, as AWS now does)."""
    return str(10**55 + sequence)


def _bad_token() -> AwsError:
    return InvalidParameterException("The specified nextToken is invalid.")


class StreamOperations(LogsBase):
    def create_log_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        try:
            with self.runtime.store.write() as conn:
                group = self.require_group(conn, ctx, request["logGroupName"])
                exists = conn.execute(
                    select(streams.c.name).where(
                        streams.c.group_arn == group.arn, streams.c.name == request["logStreamName"]
                    )
                ).first()
                if exists is not None:
                    raise ResourceAlreadyExistsException("The specified log stream already exists")
                conn.execute(
                    insert(streams).values(
                        group_arn=group.arn,
                        name=request["logStreamName"],
                        created_ms=now_ms(),
                        stored_bytes=0,
                        sequence=1,
                    )
                )
        except IntegrityError:
            raise ResourceAlreadyExistsException("The specified log stream already exists") from None

    def delete_log_stream(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            group = self.require_group(conn, ctx, request["logGroupName"])
            stream = self.require_stream(conn, group, request["logStreamName"])
            conn.execute(delete(events).where(events.c.group_arn == group.arn, events.c.stream_name == stream.name))
            conn.execute(delete(streams).where(streams.c.group_arn == group.arn, streams.c.name == stream.name))

    def describe_log_streams(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        order = request.get("orderBy") or "LogStreamName"
        prefix = request.get("logStreamNamePrefix")
        if order == "LastEventTime" and prefix is not None:
            raise InvalidParameterException("Cannot order by LastEventTime with a logStreamNamePrefix.")
        with self.runtime.store.read() as conn:
            group = self.require_group(conn, ctx, self.group_name(ctx, request))
            stmt = select(streams).where(streams.c.group_arn == group.arn)
            rows = [r for r in conn.execute(stmt).all() if prefix is None or r.name.startswith(prefix)]
        if order == "LastEventTime":
            rows.sort(key=lambda r: (r.last_event_ms or 0, r.name), reverse=bool(request.get("descending")))
        else:
            rows.sort(key=lambda r: r.name, reverse=bool(request.get("descending")))
        limit = int(request.get("limit") or DEFAULT_LIMIT)
        page, token = pages.offset_page(rows, request.get("nextToken"), limit, _bad_token)
        out: dict[str, Any] = {"logStreams": [self.stream_shape(group, r) for r in page]}
        if token:
            out["nextToken"] = token
        return out

    @staticmethod
    def stream_shape(group: Row, row: Row) -> dict[str, Any]:
        shape: dict[str, Any] = {"logStreamName": row.name, "creationTime": row.created_ms}
        if row.first_event_ms is not None:
            shape["firstEventTimestamp"] = row.first_event_ms
        if row.last_event_ms is not None:
            shape["lastEventTimestamp"] = row.last_event_ms
        if row.last_ingestion_ms is not None:
            shape["lastIngestionTime"] = row.last_ingestion_ms
        shape["uploadSequenceToken"] = sequence_token(row.sequence)
        shape["arn"] = stream_arn(group.arn, row.name)
        shape["storedBytes"] = 0  # "no longer supported for log streams, and is always reported as zero"
        return shape
