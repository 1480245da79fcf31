"""Users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser, permissions boundaries and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam.model import access_keys, accounts, attachments, group_members, inline_policies, tags, users
from strongroom.services.iam.base import (
    IamBase,
    Locate,
    boundary_shape,
    check_new_tags,
    drop_all_tags,
    entity_arn,
    list_entity_tags,
    page,
    put_tags,
    refuse_if_credentials_remain,
    refuse_if_policies_remain,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import DeleteConflict, EntityAlreadyExists, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext


def user_shape(user: d.UserRecord, *, tags_: dict[str, str] | None = None, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if full:
        out["PermissionsBoundary"] = boundary_shape(user.permissions_boundary)
        out["Tags"] = tag_list(tags_ or {}) or None
    return out


class UserOperations(IamBase):
    def create_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["UserName"]
        path = request.get("Path", "/")
        new_tags = check_new_tags(request.get("Tags"))
        with self.runtime.store.write() as conn:
            if d.get_user(conn, ctx.account_id, name) is not None:
                raise EntityAlreadyExists(f"User with name {name} already exists.")
            boundary = request.get("PermissionsBoundary")
            if boundary:
                self.require_attachable(conn, ctx, boundary)
            conn.execute(
                insert(users).values(
                    account_id=ctx.account_id,
                    name_key=name.lower(),
                    name=name,
                    user_id=ids.unique_id("AIDA"),
                    path=path,
                    arn=entity_arn(ctx.account_id, "user", path, name),
                    created_at=ctx.now(),
                    permissions_boundary=boundary,
                )
            )
            put_tags(conn, ctx.account_id, "user", name.lower(), new_tags)
            user = self.require_user(conn, ctx, name)
        return {"User": user_shape(user, tags_=new_tags, full=True)}

    def get_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("UserName")
        p = ctx.principal
        if name is None:
            if p.type == "Root":
                # the root user describes itself with the account's id and creation time
                with self.runtime.store.read() as conn:
                    created = conn.execute(
                        select(accounts.c.created_at).where(accounts.c.account_id == p.account_id)
                    ).scalar()
                return {"User": {"UserId": p.account_id, "Arn": p.arn, "CreateDate": created or ctx.now()}}
            if p.type != "IAMUser" or not p.user_name:
                raise ValidationError("Must specify userName when calling with non-User credentials")
            name = p.user_name
        with self.runtime.store.read() as conn:
            user = self.require_user(conn, ctx, name)
            tags_ = d.entity_tags(conn, ctx.account_id, "user", user.name.lower())
        return {"User": user_shape(user, tags_=tags_, full=True)}

    def list_users(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(users)
                .where(users.c.account_id == ctx.account_id, users.c.path.startswith(prefix, autoescape=True))
                .order_by(users.c.name_key)
            ).all()
        return page(request, [user_shape(d._user(r)) for r in rows], "Users")

    def update_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["UserName"]
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, name)
            new_name = request.get("NewUserName", user.name)
            new_path = request.get("NewPath", user.path)
            if new_name.lower() != user.name.lower() and d.get_user(conn, ctx.account_id, new_name) is not None:
                raise EntityAlreadyExists(f"User with name {new_name} already exists.")
            old_key, new_key = user.name.lower(), new_name.lower()
            conn.execute(
                update(users)
                .where(users.c.account_id == ctx.account_id, users.c.name_key == old_key)
                .values(
                    name_key=new_key,
                    name=new_name,
                    path=new_path,
                    arn=entity_arn(ctx.account_id, "user", new_path, new_name),
                )
            )
            if new_key != old_key:
                self._rename_user_refs(conn, ctx.account_id, user.name, new_name)
        self.runtime.accounts.forget()
        return {}

    @staticmethod
    def _rename_user_refs(conn: Connection, account_id: str, old: str, new: str) -> None:
        old_key, new_key = old.lower(), new.lower()
        conn.execute(
            update(group_members)
            .where(group_members.c.account_id == account_id, group_members.c.user_key == old_key)
            .values(user_key=new_key)
        )
        for table in (attachments, inline_policies, tags):
            conn.execute(
                update(table)
                .where(table.c.account_id == account_id, table.c.entity_type == "user", table.c.entity_key == old_key)
                .values(entity_key=new_key)
            )
        conn.execute(
            update(access_keys)
            .where(access_keys.c.account_id == account_id, func.lower(access_keys.c.user_name) == old_key)
            .values(user_name=new)
        )

    def delete_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            key = user.name.lower()
            acct = ctx.account_id
            if conn.execute(
                select(access_keys.c.access_key_id).where(
                    access_keys.c.account_id == acct, func.lower(access_keys.c.user_name) == key
                )
            ).first():
                raise DeleteConflict("Cannot delete entity, must delete access keys first.")
            refuse_if_policies_remain(conn, acct, "user", key)
            if conn.execute(
                select(group_members.c.group_key).where(
                    group_members.c.account_id == acct, group_members.c.user_key == key
                )
            ).first():
                raise DeleteConflict("Cannot delete entity, must remove user from all groups first.")
            refuse_if_credentials_remain(conn, acct, key)
            drop_all_tags(conn, acct, "user", key)
            conn.execute(delete(users).where(users.c.account_id == acct, users.c.name_key == key))
        self.runtime.accounts.forget()  # the user's sessions stop authenticating at once (bound to its id)
        return {}

    def put_user_permissions_boundary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            self.require_attachable(conn, ctx, request["PermissionsBoundary"])
            conn.execute(
                update(users)
                .where(users.c.account_id == ctx.account_id, users.c.name_key == user.name.lower())
                .values(permissions_boundary=request["PermissionsBoundary"])
            )
        return {}

    def delete_user_permissions_boundary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self.require_user(conn, ctx, request["UserName"])
            conn.execute(
                update(users)
                .where(users.c.account_id == ctx.account_id, users.c.name_key == user.name.lower())
                .values(permissions_boundary=None)
            )
        return {}

    def tag_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        tag_entity(self.runtime.store, ctx.account_id, "user", self._user_key(ctx, request), request["Tags"])
        return {}

    def untag_user(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        untag_entity(self.runtime.store, ctx.account_id, "user", self._user_key(ctx, request), request["TagKeys"])
        return {}

    def list_user_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return list_entity_tags(self.runtime.store, ctx.account_id, "user", self._user_key(ctx, request), request)

    def _user_key(self, ctx: RequestContext, request: dict[str, Any]) -> Locate:
        """The user the request names, as its tags are keyed (raising NoSuchEntity if there is none)."""
        return lambda conn: self.require_user(conn, ctx, request["UserName"]).name.lower()
