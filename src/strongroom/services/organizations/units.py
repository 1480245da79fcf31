"""Organizational units and the tree: Create/Update/Delete/DescribeOrganizationalUnit, ListOrganizationalUnitsForParent,
ListParents, ListChildren."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, attach_defaults, page
from strongroom.services.organizations.errors import (
    ChildNotFoundException,
    ConstraintViolationException,
    DuplicateOrganizationalUnitException,
    OrganizationalUnitNotEmptyException,
    OrganizationalUnitNotFoundException,
    ParentNotFoundException,
)
from strongroom.services.organizations.tagging import check_tags, drop_tags, write_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

OU_NOT_FOUND = "We can't find an OU with the OrganizationalUnitId that you specified."
PARENT_NOT_FOUND = "We can't find a root or OU with the ParentId that you specified."


def depth(conn: Connection, org: Org, node_id: str) -> int:
    """How many OUs deep ``node_id`` is (the root: 0)."""
    n = 0
    current: str | None = node_id
    while current is not None:
        current = conn.execute(
            select(model.nodes.c.parent_id).where(model.nodes.c.org_id == org.org_id, model.nodes.c.node_id == current)
        ).scalar_one_or_none()
        n += 1
    return n - 1


class UnitOperations(OrganizationsBase):
    def _ou(self, conn: Connection, org: Org, ou_id: str) -> Any:
        row = self.node(conn, org, ou_id)
        if row is None or row.kind != "ORGANIZATIONAL_UNIT":
            raise OrganizationalUnitNotFoundException(OU_NOT_FOUND)
        return row

    def create_organizational_unit(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        parent_id, name = request["ParentId"], request["Name"]
        check_tags(request.get("Tags") or [])
        now = ctx.now()
        with self.runtime.store.write() as conn:
            if self.node(conn, org, parent_id) is None:
                raise ParentNotFoundException(PARENT_NOT_FOUND)
            if depth(conn, org, parent_id) >= names.MAX_OU_DEPTH:
                raise ConstraintViolationException(
                    "You attempted to create an OU tree that is too many levels deep.", Reason="OU_DEPTH_LIMIT_EXCEEDED"
                )
            sibling = conn.execute(
                select(model.nodes.c.node_id).where(
                    model.nodes.c.org_id == org.org_id, model.nodes.c.parent_id == parent_id, model.nodes.c.name == name
                )
            ).first()
            if sibling is not None:
                raise DuplicateOrganizationalUnitException("An OU with the same name already exists.")
            ou_id = names.new_ou_id(org.root_id)
            conn.execute(
                model.nodes.insert().values(
                    node_id=ou_id,
                    org_id=org.org_id,
                    kind="ORGANIZATIONAL_UNIT",
                    name=name,
                    parent_id=parent_id,
                    created_at=now,
                )
            )
            attach_defaults(conn, org, ou_id, now)
            write_tags(conn, org, ou_id, request.get("Tags") or [])
            return {"OrganizationalUnit": self.ou_wire(conn, org, self._ou(conn, org, ou_id))}

    def update_organizational_unit(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            row = self._ou(conn, org, request["OrganizationalUnitId"])
            name = request.get("Name")
            if name and name != row.name:
                sibling = conn.execute(
                    select(model.nodes.c.node_id).where(
                        model.nodes.c.org_id == org.org_id,
                        model.nodes.c.parent_id == row.parent_id,
                        model.nodes.c.name == name,
                    )
                ).first()
                if sibling is not None:
                    raise DuplicateOrganizationalUnitException("An OU with the same name already exists.")
                conn.execute(update(model.nodes).where(model.nodes.c.node_id == row.node_id).values(name=name))
            return {"OrganizationalUnit": self.ou_wire(conn, org, self._ou(conn, org, row.node_id))}

    def delete_organizational_unit(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            row = self._ou(conn, org, request["OrganizationalUnitId"])
            child_ou = conn.execute(select(model.nodes.c.node_id).where(model.nodes.c.parent_id == row.node_id)).first()
            child_account = conn.execute(
                select(model.members.c.account_id).where(model.members.c.parent_id == row.node_id)
            ).first()
            if child_ou is not None or child_account is not None:
                raise OrganizationalUnitNotEmptyException(
                    "The specified organizational unit is not empty. Move all accounts to another root or OU, "
                    "remove all child OUs, and try again."
                )
            conn.execute(delete(model.nodes).where(model.nodes.c.node_id == row.node_id))
            conn.execute(
                delete(model.attachments).where(
                    model.attachments.c.org_id == org.org_id, model.attachments.c.target_id == row.node_id
                )
            )
            drop_tags(conn, org, row.node_id)

    def describe_organizational_unit(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            row = self._ou(conn, org, request["OrganizationalUnitId"])
            return {"OrganizationalUnit": self.ou_wire(conn, org, row)}

    def list_organizational_units_for_parent(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            if self.node(conn, org, request["ParentId"]) is None:
                raise ParentNotFoundException(PARENT_NOT_FOUND)
            rows = conn.execute(
                select(model.nodes)
                .where(model.nodes.c.org_id == org.org_id, model.nodes.c.parent_id == request["ParentId"])
                .order_by(model.nodes.c.created_at, model.nodes.c.node_id)
            ).all()
            items, token = page([self.ou_wire(conn, org, r) for r in rows], request)
        return {"OrganizationalUnits": items, **token}

    def list_parents(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        child = request["ChildId"]
        with self.runtime.store.read() as conn:
            parent_id: str | None = None
            if names.ACCOUNT_ID.match(child):
                member = self.member(conn, org, child)
                parent_id = member.parent_id if member is not None else None
            elif names.OU_ID.match(child):
                node = self.node(conn, org, child)
                parent_id = node.parent_id if node is not None else None
            if parent_id is None:
                raise ChildNotFoundException(
                    "We can't find an organizational unit (OU) or AWS account with the ChildId that you specified."
                )
        kind = "ROOT" if parent_id == org.root_id else "ORGANIZATIONAL_UNIT"
        items, token = page([{"Id": parent_id, "Type": kind}], request)
        return {"Parents": items, **token}

    def list_children(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        parent_id, child_type = request["ParentId"], request["ChildType"]
        with self.runtime.store.read() as conn:
            if self.node(conn, org, parent_id) is None:
                raise ParentNotFoundException(PARENT_NOT_FOUND)
            if child_type == "ACCOUNT":
                ids = conn.execute(
                    select(model.members.c.account_id)
                    .where(model.members.c.org_id == org.org_id, model.members.c.parent_id == parent_id)
                    .order_by(model.members.c.joined_at)
                ).scalars()
            else:
                ids = conn.execute(
                    select(model.nodes.c.node_id)
                    .where(model.nodes.c.org_id == org.org_id, model.nodes.c.parent_id == parent_id)
                    .order_by(model.nodes.c.created_at, model.nodes.c.node_id)
                ).scalars()
            children = [{"Id": i, "Type": child_type} for i in ids]
        items, token = page(children, request)
        return {"Children": items, **token}
