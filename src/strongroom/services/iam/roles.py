"""Roles: trust policies, max session duration, descriptions, boundaries and tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam.model import roles
from strongroom.services.iam import documents
from strongroom.services.iam.base import (
    IamBase,
    Locate,
    boundary_shape,
    check_new_tags,
    drop_all_tags,
    entity_arn,
    instance_profiles_of_role,
    list_entity_tags,
    page,
    put_tags,
    refuse_if_policies_remain,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, UnmodifiableEntity

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_MAX_SESSION = 3600


def check_trust_policy(document: str) -> None:
    documents.check_policy_grammar(document, "trust")
    if documents.size(document) > documents.TRUST_POLICY_MAX:
        raise LimitExceeded(f"Cannot exceed quota for ACLSizePerRole: {documents.TRUST_POLICY_MAX}")


def role_shape(role: d.RoleRecord, *, tags_: dict[str, str] | None = None, full: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": documents.encode(role.assume_role_policy),
        "Description": role.description,
        "MaxSessionDuration": role.max_session_duration,
    }
    if full:
        out["PermissionsBoundary"] = boundary_shape(role.permissions_boundary)
        out["Tags"] = tag_list(tags_ or {}) or None
        last: dict[str, Any] = {}
        if role.last_used_at is not None:
            last = {"LastUsedDate": role.last_used_at, "Region": role.last_used_region}
        out["RoleLastUsed"] = last
    return out


class RoleOperations(IamBase):
    def create_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["RoleName"]
        path = request.get("Path", "/")
        trust = request["AssumeRolePolicyDocument"]
        check_trust_policy(trust)
        new_tags = check_new_tags(request.get("Tags"))
        with self.runtime.store.write() as conn:
            if d.get_role(conn, ctx.account_id, name) is not None:
                raise EntityAlreadyExists(f"Role with name {name} already exists.")
            boundary = request.get("PermissionsBoundary")
            if boundary:
                self.require_attachable(conn, ctx, boundary)
            conn.execute(
                insert(roles).values(
                    account_id=ctx.account_id,
                    name_key=name.lower(),
                    name=name,
                    role_id=ids.unique_id("AROA"),
                    path=path,
                    arn=entity_arn(ctx.account_id, "role", path, name),
                    created_at=ctx.now(),
                    assume_role_policy=trust,
                    description=request.get("Description"),
                    max_session_duration=request.get("MaxSessionDuration", DEFAULT_MAX_SESSION),
                    permissions_boundary=boundary,
                )
            )
            put_tags(conn, ctx.account_id, "role", name.lower(), new_tags)
            role = self.require_role(conn, ctx, name)
        shape = role_shape(role, tags_=new_tags, full=True)
        shape.pop("RoleLastUsed")
        return {"Role": shape}

    def get_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            role = self.require_role(conn, ctx, request["RoleName"])
            tags_ = d.entity_tags(conn, ctx.account_id, "role", role.name.lower())
        return {"Role": role_shape(role, tags_=tags_, full=True)}

    def list_roles(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(roles)
                .where(roles.c.account_id == ctx.account_id, roles.c.path.startswith(prefix, autoescape=True))
                .order_by(roles.c.name_key)
            ).all()
        return page(request, [role_shape(d._role(r)) for r in rows], "Roles")

    def _update(self, ctx: RequestContext, name: str, **values: Any) -> d.RoleRecord:
        with self.runtime.store.write() as conn:
            role = self.require_role(conn, ctx, name)
            if values:
                conn.execute(
                    update(roles)
                    .where(roles.c.account_id == ctx.account_id, roles.c.name_key == role.name.lower())
                    .values(**values)
                )
            return self.require_role(conn, ctx, name)

    def update_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "Description" in request:
            values["description"] = request["Description"]
        if "MaxSessionDuration" in request:
            values["max_session_duration"] = request["MaxSessionDuration"]
        self._update(ctx, request["RoleName"], **values)
        return {}

    def update_role_description(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        role = self._update(ctx, request["RoleName"], description=request["Description"])
        with self.runtime.store.read() as conn:
            tags_ = d.entity_tags(conn, ctx.account_id, "role", role.name.lower())
        return {"Role": role_shape(role, tags_=tags_, full=True)}

    def update_assume_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        check_trust_policy(request["PolicyDocument"])
        self._update(ctx, request["RoleName"], assume_role_policy=request["PolicyDocument"])
        return {}

    def put_role_permissions_boundary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            self.require_role(conn, ctx, request["RoleName"])
            self.require_attachable(conn, ctx, request["PermissionsBoundary"])
        self._update(ctx, request["RoleName"], permissions_boundary=request["PermissionsBoundary"])
        return {}

    def delete_role_permissions_boundary(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._update(ctx, request["RoleName"], permissions_boundary=None)
        return {}

    def delete_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acct = ctx.account_id
        with self.runtime.store.write() as conn:
            role = self.require_role(conn, ctx, request["RoleName"])
            key = role.name.lower()
            if role.path.startswith("/aws-service-role/"):
                raise UnmodifiableEntity(
                    f"Cannot perform the operation on the protected role '{role.name}' - this role is only "
                    "modifiable by AWS"
                )
            if instance_profiles_of_role(conn, acct, key):
                raise DeleteConflict("Cannot delete entity, must remove roles from instance profile first.")
            refuse_if_policies_remain(conn, acct, "role", key)
            drop_all_tags(conn, acct, "role", key)
            conn.execute(delete(roles).where(roles.c.account_id == acct, roles.c.name_key == key))
        self.runtime.accounts.forget()  # the role's sessions stop authenticating at once (bound to its id)
        return {}

    def tag_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        tag_entity(self.runtime.store, ctx.account_id, "role", self._role_key(ctx, request), request["Tags"])
        return {}

    def untag_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        untag_entity(self.runtime.store, ctx.account_id, "role", self._role_key(ctx, request), request["TagKeys"])
        return {}

    def list_role_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return list_entity_tags(self.runtime.store, ctx.account_id, "role", self._role_key(ctx, request), request)

    def _role_key(self, ctx: RequestContext, request: dict[str, Any]) -> Locate:
        """The role the request names, as its tags are keyed (raising NoSuchEntity if there is none)."""
        return lambda conn: self.require_role(conn, ctx, request["RoleName"]).name.lower()
