"""TagResource / UntagResource / ListTagsForResource on filters (the taggable resource implemented here; the
tags live in the filter's row, so CreateFilter's ``tags`` and these agree). Other ARNs answer
ResourceNotFoundException, as for a filter that does not exist."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from strongroom.services.inspector2.base import InspectorBase
from strongroom.services.inspector2.errors import BadRequestException, not_found
from strongroom.services.inspector2.model import filters

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext


class TaggingOperations(InspectorBase):
    def _tags(self, conn: Connection, ctx: RequestContext, arn: str) -> dict[str, str]:
        stored = conn.execute(
            select(filters.c.tags).where(
                filters.c.arn == arn, filters.c.account_id == ctx.account_id, filters.c.region == ctx.region
            )
        ).first()
        if stored is None:
            raise not_found(f"The resource {arn} was not found.")
        out: dict[str, str] = json.loads(stored.tags or "{}")
        return out

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["resourceArn"]
        if any(key.lower().startswith("aws:") for key in request["tags"]):
            raise BadRequestException("Tag keys with the 'aws:' prefix are reserved.")
        with self.runtime.store.write() as conn:
            tags = {**self._tags(conn, ctx, arn), **request["tags"]}
            if len(tags) > 50:
                raise BadRequestException("A resource can have at most 50 tags.")
            conn.execute(update(filters).where(filters.c.arn == arn).values(tags=json.dumps(tags)))
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["resourceArn"]
        with self.runtime.store.write() as conn:
            tags = self._tags(conn, ctx, arn)
            for key in request["tagKeys"]:
                tags.pop(key, None)
            conn.execute(update(filters).where(filters.c.arn == arn).values(tags=json.dumps(tags)))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return {"tags": self._tags(conn, ctx, request["resourceArn"])}
