"""Tags of roots, OUs, accounts and policies: TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, select

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, page
from strongroom.services.organizations.errors import (
    ConstraintViolationException,
    InvalidInputException,
    TargetNotFoundException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50
TARGET_NOT_FOUND = "We can't find a root, OU, account, or policy with the TargetId that you specified."


def check_tags(items: list[dict[str, Any]]) -> None:
    keys = [t["Key"] for t in items]
    if len(set(keys)) != len(keys):
        raise InvalidInputException("You specified a duplicate tag key.", Reason="DUPLICATE_TAG_KEY")
    if any(k.lower().startswith("aws:") for k in keys):
        raise InvalidInputException(
            "You specified a tag key that starts with the reserved prefix aws:.", Reason="INVALID_SYSTEM_TAGS_PARAMETER"
        )


def write_tags(conn: Connection, org: Org, resource_id: str, items: list[dict[str, Any]]) -> None:
    check_tags(items)
    for tag in items:
        t = model.tags.c
        conn.execute(
            delete(model.tags).where(t.org_id == org.org_id, t.resource_id == resource_id, t.key == tag["Key"])
        )
        conn.execute(
            model.tags.insert().values(org_id=org.org_id, resource_id=resource_id, key=tag["Key"], value=tag["Value"])
        )
    count = conn.execute(
        select(func.count())
        .select_from(model.tags)
        .where(model.tags.c.org_id == org.org_id, model.tags.c.resource_id == resource_id)
    ).scalar_one()
    if count > MAX_TAGS:
        raise ConstraintViolationException(
            "You have exceeded the maximum number of tags allowed on this resource.", Reason="MAX_TAG_LIMIT_EXCEEDED"
        )


def drop_tags(conn: Connection, org: Org, resource_id: str) -> None:
    conn.execute(delete(model.tags).where(model.tags.c.org_id == org.org_id, model.tags.c.resource_id == resource_id))


class TaggingOperations(OrganizationsBase):
    def _tag_target(self, conn: Connection, org: Org, resource_id: str) -> None:
        """The resource must be this organization's root, OU, account or customer managed policy."""
        kind = names.target_kind(resource_id)
        found: Any = None
        if kind in ("ROOT", "ORGANIZATIONAL_UNIT"):
            found = self.node(conn, org, resource_id)
        elif kind == "ACCOUNT":
            found = self.member(conn, org, resource_id)
        elif names.POLICY_ID.match(resource_id) and resource_id not in names.MANAGED_POLICIES:
            found = conn.execute(
                select(model.policies.c.policy_id).where(
                    model.policies.c.org_id == org.org_id, model.policies.c.policy_id == resource_id
                )
            ).first()
        if found is None:
            raise TargetNotFoundException(TARGET_NOT_FOUND)

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            self._tag_target(conn, org, request["ResourceId"])
            write_tags(conn, org, request["ResourceId"], request["Tags"])

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            self._tag_target(conn, org, request["ResourceId"])
            t = model.tags.c
            conn.execute(
                delete(model.tags).where(
                    t.org_id == org.org_id, t.resource_id == request["ResourceId"], t.key.in_(request["TagKeys"])
                )
            )

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            self._tag_target(conn, org, request["ResourceId"])
            rows = conn.execute(
                select(model.tags)
                .where(model.tags.c.org_id == org.org_id, model.tags.c.resource_id == request["ResourceId"])
                .order_by(model.tags.c.key)
            ).all()
        items, token = page([{"Key": r.key, "Value": r.value} for r in rows], request)
        return {"Tags": items, **token}
