"""TagResource / UntagResource / ListTagsForResource on protections and protection groups (their Shield ARNs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.services.shield import errors
from strongroom.services.shield.base import ShieldBase
from strongroom.services.shield.model import groups, protections, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


class TaggingOperations(ShieldBase):
    def _taggable(self, ctx: RequestContext, arn: str) -> str:
        prefix = f"arn:aws:shield::{ctx.account_id}:"
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "shield" or not parts[5].startswith(("protection/", "protection-group/")):
            raise errors.InvalidResourceException("The resource ARN is not valid.")
        with self.runtime.store.read() as conn:
            found = arn.startswith(prefix) and (
                conn.execute(select(protections.c.id).where(protections.c.arn == arn)).first() is not None
                or conn.execute(select(groups.c.group_id).where(groups.c.arn == arn)).first() is not None
            )
        if not found:
            raise errors.ResourceNotFoundException("The referenced resource does not exist.")
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        arn = self._taggable(ctx, str(request["ResourceARN"]))
        with self.runtime.store.write() as conn:
            self.write_tags(conn, arn, request["Tags"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        arn = self._taggable(ctx, str(request["ResourceARN"]))
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key.in_(list(request["TagKeys"]))))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        arn = self._taggable(ctx, str(request["ResourceARN"]))
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(tags).where(tags.c.arn == arn).order_by(tags.c.key)).all()
        return {"Tags": [{"Key": r.key, "Value": r.value} for r in rows]}
