"""AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for ResourceType Parameter."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.services.ssm import model
from strongroom.services.ssm.base import SsmBase
from strongroom.services.ssm.errors import InvalidResourceId, TooManyTagsError, ValidationException
from strongroom.services.ssm.refs import Ref
from strongroom.services.ssm.rules import MAX_TAGS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


class TagOperations(SsmBase):
    def _tag_target(self, ctx: RequestContext, request: dict[str, Any]) -> Ref:
        """Only parameters are kept here; any other resource type names nothing that exists."""
        if request["ResourceType"] != "Parameter":
            raise InvalidResourceId("")
        ref = self.ref(ctx, request["ResourceId"])
        with self.runtime.store.read() as conn:
            if ref.account_id != ctx.account_id or ref.selector is not None or self.row(conn, ref) is None:
                raise InvalidResourceId("")
        return ref

    def add_tags_to_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self._tag_target(ctx, request)
        wanted = {t["Key"]: t["Value"] for t in request["Tags"]}
        if any(k.lower().startswith("aws:") for k in wanted):
            raise ValidationException("Tag keys beginning with 'aws:' are reserved for AWS use.")
        t = model.tags
        where = [t.c.account_id == ref.account_id, t.c.region == ref.region, t.c.name == ref.name]
        with self.runtime.store.write() as conn:
            existing = {r.tag_key for r in conn.execute(select(t.c.tag_key).where(*where))}
            if len(existing | set(wanted)) > MAX_TAGS:
                raise TooManyTagsError("")
            for key, value in wanted.items():
                if key in existing:
                    conn.execute(update(t).where(*where, t.c.tag_key == key).values(tag_value=value))
                else:
                    conn.execute(
                        t.insert().values(
                            account_id=ref.account_id, region=ref.region, name=ref.name, tag_key=key, tag_value=value
                        )
                    )
        return {}

    def remove_tags_from_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self._tag_target(ctx, request)
        t = model.tags
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(t).where(
                    t.c.account_id == ref.account_id,
                    t.c.region == ref.region,
                    t.c.name == ref.name,
                    t.c.tag_key.in_(request["TagKeys"]),
                )
            )
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        ref = self._tag_target(ctx, request)
        t = model.tags
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(t)
                .where(t.c.account_id == ref.account_id, t.c.region == ref.region, t.c.name == ref.name)
                .order_by(t.c.tag_key)
            )
            return {"TagList": [{"Key": r.tag_key, "Value": r.tag_value} for r in rows]}
