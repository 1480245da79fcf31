"""Log group tags: TagResource / UntagResource / ListTagsForResource (by ARN) and the legacy TagLogGroup & co."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select

from strongroom.services.logs.base import LogsBase, Row, parse_group_arn
from strongroom.services.logs.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    TooManyTagsException,
)
from strongroom.services.logs.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50


def check_tags(items: dict[str, str]) -> None:
    for key in items:
        if key.lower().startswith("aws:"):
            raise InvalidParameterException(f"Tag key {key} is invalid: the prefix 'aws:' is reserved for AWS use.")


class TaggingOperations(LogsBase):
    def _by_arn(self, conn: Connection, ctx: RequestContext, arn: str) -> Row:
        parsed = parse_group_arn(arn)
        if parsed is None:
            raise InvalidParameterException(f"Invalid resource ARN: {arn}")
        region, account, name = parsed
        if (region, account) != (ctx.region, ctx.account_id):
            raise ResourceNotFoundException("The specified resource does not exist.")
        row = self.find_group(conn, ctx, name)
        if row is None:
            raise ResourceNotFoundException("The specified resource does not exist.")
        return row

    @staticmethod
    def _write(conn: Connection, row: Row, items: dict[str, str]) -> None:
        check_tags(items)
        for key, value in items.items():
            conn.execute(delete(tags).where(tags.c.group_arn == row.arn, tags.c.key == key))
            conn.execute(insert(tags).values(group_arn=row.arn, key=key, value=value))
        count = conn.execute(select(func.count()).select_from(tags).where(tags.c.group_arn == row.arn)).scalar_one()
        if count > MAX_TAGS:
            raise TooManyTagsException(f"A resource can have no more than {MAX_TAGS} tags.", resourceName=row.arn)

    @staticmethod
    def _remove(conn: Connection, row: Row, keys: list[str]) -> None:
        if keys:
            conn.execute(delete(tags).where(tags.c.group_arn == row.arn, tags.c.key.in_(keys)))

    @staticmethod
    def tag_map(conn: Connection, row: Row) -> dict[str, str]:
        rows = conn.execute(select(tags.c.key, tags.c.value).where(tags.c.group_arn == row.arn)).all()
        return {r.key: r.value for r in sorted(rows)}

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            self._write(conn, self._by_arn(conn, ctx, request["resourceArn"]), request["tags"])

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            self._remove(conn, self._by_arn(conn, ctx, request["resourceArn"]), request["tagKeys"])

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return {"tags": self.tag_map(conn, self._by_arn(conn, ctx, request["resourceArn"]))}

    def tag_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            self._write(conn, self.require_group(conn, ctx, request["logGroupName"]), request["tags"])

    def untag_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        with self.runtime.store.write() as conn:
            self._remove(conn, self.require_group(conn, ctx, request["logGroupName"]), request["tags"])

    def list_tags_log_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return {"tags": self.tag_map(conn, self.require_group(conn, ctx, request["logGroupName"]))}
