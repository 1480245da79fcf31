"""Tags on KMS keys: TagResource, UntagResource, ListResourceTags (and the checks CreateKey shares)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select

from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, check_state
from strongroom.services.kms.errors import LimitExceededException, TagException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# AWS KMS quotas: 50 tags per KMS key. ListResourceTags pages hold at most 50 and default to 50.
MAX_TAGS_PER_KEY = 50
DEFAULT_TAG_PAGE = 50
_MARKER_KIND = "tags"


def check_tag_keys(keys: list[str]) -> None:
    """``aws:`` belongs to AWS (in any case): users can neither set nor remove such tags."""
    for key in keys:
        if key.lower().startswith("aws:"):
            raise TagException("Tags beginning with aws: are reserved")


def check_tags(tags: list[dict[str, str]]) -> None:
    """What TagResource, CreateKey and ReplicateKey reject before touching the key, in AWS's order and words:
    repeated keys, more tags in one request than a key may hold, reserved keys."""
    keys = [t["TagKey"] for t in tags]
    if len(set(keys)) != len(keys):
        raise TagException("Duplicate tag keys")
    if len(keys) > MAX_TAGS_PER_KEY:
        raise TagException("Too many tags")
    check_tag_keys(keys)


def write_tags(conn: Connection, key_arn: str, tags: list[dict[str, str]]) -> None:
    """Upsert: a tag key that exists gets the new value, as TagResource documents."""
    if not tags:
        return
    keys = [t["TagKey"] for t in tags]
    conn.execute(delete(model.tags).where(model.tags.c.key_arn == key_arn, model.tags.c.tag_key.in_(keys)))
    conn.execute(
        model.tags.insert(), [{"key_arn": key_arn, "tag_key": t["TagKey"], "tag_value": t["TagValue"]} for t in tags]
    )
    count = conn.execute(select(func.count()).where(model.tags.c.key_arn == key_arn)).scalar_one()
    if count > MAX_TAGS_PER_KEY:
        # Raising inside the transaction rolls the write back: nothing half-written.
        raise LimitExceededException(f"A KMS key can have at most {MAX_TAGS_PER_KEY} tags.")


class TagOperations(KmsBase):
    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        tags = request.get("Tags") or []
        check_tags(tags)
        with self.runtime.store.write() as conn:
            write_tags(conn, record.arn, tags)
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        keys = request.get("TagKeys") or []
        check_tag_keys(keys)
        if keys:
            with self.runtime.store.write() as conn:
                conn.execute(
                    delete(model.tags).where(model.tags.c.key_arn == record.arn, model.tags.c.tag_key.in_(keys))
                )
        return {}

    def list_resource_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        limit = min(request.get("Limit") or DEFAULT_TAG_PAGE, DEFAULT_TAG_PAGE)
        stmt = (
            select(model.tags.c.tag_key, model.tags.c.tag_value)
            .where(model.tags.c.key_arn == record.arn)
            .order_by(model.tags.c.tag_key)
            .limit(limit + 1)
        )
        marker = request.get("Marker")
        if marker:
            stmt = stmt.where(model.tags.c.tag_key > self.decode_marker(_MARKER_KIND, marker))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:limit]
        out: dict[str, Any] = {"Tags": [{"TagKey": r.tag_key, "TagValue": r.tag_value} for r in page]}
        out["Truncated"] = len(rows) > limit
        if out["Truncated"]:
            out["NextMarker"] = self.encode_marker(_MARKER_KIND, page[-1].tag_key)
        return out
