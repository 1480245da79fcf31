"""Groups and membership: CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, Add/RemoveUserToGroup."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam.model import attachments, group_members, groups, inline_policies, users
from strongroom.services.iam.base import IamBase, entity_arn, page, refuse_if_policies_remain
from strongroom.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity
from strongroom.services.iam.users import user_shape

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_GROUPS_PER_USER = 10


def group_shape(group: d.GroupRecord) -> dict[str, Any]:
    return {
        "Path": group.path,
        "GroupName": group.name,
        "GroupId": group.group_id,
        "Arn": group.arn,
        "CreateDate": group.created_at,
    }


class GroupOperations(IamBase):
    def create_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["GroupName"]
        path = request.get("Path", "/")
        with self.runtime.store.write() as conn:
            if d.get_group(conn, ctx.account_id, name) is not None:
                raise EntityAlreadyExists(f"Group with name {name} already exists.")
            conn.execute(
                insert(groups).values(
                    account_id=ctx.account_id,
                    name_key=name.lower(),
                    name=name,
                    group_id=ids.unique_id("AGPA"),
                    path=path,
                    arn=entity_arn(ctx.account_id, "group", path, name),
                    created_at=ctx.now(),
                )
            )
            group = self.require_group(conn, ctx, name)
        return {"Group": group_shape(group)}

    def get_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            group = self.require_group(conn, ctx, request["GroupName"])
            rows = conn.execute(
                select(users)
                .select_from(
                    group_members.join(
                        users,
                        (users.c.account_id == group_members.c.account_id)
                        & (users.c.name_key == group_members.c.user_key),
                    )
                )
                .where(group_members.c.account_id == ctx.account_id, group_members.c.group_key == group.name.lower())
                .order_by(users.c.name_key)
            ).all()
        out = page(request, [user_shape(d._user(r)) for r in rows], "Users")
        out["Group"] = group_shape(group)
        return out

    def list_groups(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(groups)
                .where(groups.c.account_id == ctx.account_id, groups.c.path.startswith(prefix, autoescape=True))
                .order_by(groups.c.name_key)
            ).all()
        return page(request, [group_shape(d._group(r)) for r in rows], "Groups")

    def list_groups_for_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            rows = conn.execute(
                select(groups)
                .select_from(
                    group_members.join(
                        groups,
                        (groups.c.account_id == group_members.c.account_id)
                        & (groups.c.name_key == group_members.c.group_key),
                    )
                )
                .where(group_members.c.account_id == ctx.account_id, group_members.c.user_key == user.name.lower())
                .order_by(groups.c.name_key)
            ).all()
        return page(request, [group_shape(d._group(r)) for r in rows], "Groups")

    def update_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            group = self.require_group(conn, ctx, request["GroupName"])
            new_name = request.get("NewGroupName", group.name)
            new_path = request.get("NewPath", group.path)
            old_key, new_key = group.name.lower(), new_name.lower()
            if new_key != old_key and d.get_group(conn, ctx.account_id, new_name) is not None:
                raise EntityAlreadyExists(f"Group with name {new_name} already exists.")
            conn.execute(
                update(groups)
                .where(groups.c.account_id == ctx.account_id, groups.c.name_key == old_key)
                .values(
                    name_key=new_key,
                    name=new_name,
                    path=new_path,
                    arn=entity_arn(ctx.account_id, "group", new_path, new_name),
                )
            )
            if new_key != old_key:
                conn.execute(
                    update(group_members)
                    .where(group_members.c.account_id == ctx.account_id, group_members.c.group_key == old_key)
                    .values(group_key=new_key)
                )
                for table in (attachments, inline_policies):
                    conn.execute(
                        update(table)
                        .where(
                            table.c.account_id == ctx.account_id,
                            table.c.entity_type == "group",
                            table.c.entity_key == old_key,
                        )
                        .values(entity_key=new_key)
                    )
        return {}

    def delete_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acct = ctx.account_id
        with self.runtime.store.write() as conn:
            group = self.require_group(conn, ctx, request["GroupName"])
            key = group.name.lower()
            if conn.execute(
                select(group_members.c.user_key).where(
                    group_members.c.account_id == acct, group_members.c.group_key == key
                )
            ).first():
                raise DeleteConflict("Cannot delete entity, must remove users from group first.")
            refuse_if_policies_remain(conn, acct, "group", key)
            conn.execute(delete(groups).where(groups.c.account_id == acct, groups.c.name_key == key))
        return {}

    def add_user_to_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acct = ctx.account_id
        with self.runtime.store.write() as conn:
            group = self.require_group(conn, ctx, request["GroupName"])
            user = self.require_user(conn, ctx, request["UserName"])
            member = (group_members.c.account_id == acct) & (group_members.c.user_key == user.name.lower())
            if conn.execute(
                select(group_members.c.user_key).where(member, group_members.c.group_key == group.name.lower())
            ).first():
                return {}  # idempotent, as in AWS
            count = conn.execute(select(func.count()).where(member)).scalar() or 0
            if count >= MAX_GROUPS_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for GroupsPerUser: {MAX_GROUPS_PER_USER}")
            conn.execute(
                insert(group_members).values(
                    account_id=acct, group_key=group.name.lower(), user_key=user.name.lower(), added_at=ctx.now()
                )
            )
        return {}

    def remove_user_from_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acct = ctx.account_id
        with self.runtime.store.write() as conn:
            group = self.require_group(conn, ctx, request["GroupName"])
            user = self.require_user(conn, ctx, request["UserName"])
            result = conn.execute(
                delete(group_members).where(
                    group_members.c.account_id == acct,
                    group_members.c.group_key == group.name.lower(),
                    group_members.c.user_key == user.name.lower(),
                )
            )
            if not result.rowcount:
                raise d_no_member(user.name, group.name)
        return {}


def d_no_member(user: str, group: str) -> Exception:
    return NoSuchEntity(f"The user with name {user} cannot be found in group {group}.")
