"""Managed policy attachments and inline policies of users, groups and roles, and ListEntitiesForPolicy.

The nine attach/detach/list and twelve inline operations differ only in the entity they name, so each is a
thin method over one generic implementation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select

from strongroom.iam import directory as d
from strongroom.iam.model import attachments, groups, inline_policies, policies, roles, users
from strongroom.services.iam import documents
from strongroom.services.iam.base import ENTITY, MAX_ATTACHED, IamBase, page
from strongroom.services.iam.errors import LimitExceeded, NoSuchEntity

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext


class AttachmentOperations(IamBase):
    # --- managed policy attachments ----------------------------------------------------------------

    def _attach(self, ctx: RequestContext, kind: str, name: str, arn: str) -> dict[str, Any]:
        acct = ctx.account_id
        with self.runtime.store.write() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            self.require_attachable(conn, ctx, arn)
            mine = (
                (attachments.c.account_id == acct)
                & (attachments.c.entity_type == kind)
                & (attachments.c.entity_key == stored.lower())
            )
            if conn.execute(select(attachments.c.policy_arn).where(mine, attachments.c.policy_arn == arn)).first():
                return {}  # attaching twice is a no-op in AWS
            if (conn.execute(select(func.count()).where(mine)).scalar() or 0) >= MAX_ATTACHED:
                raise LimitExceeded(f"Cannot exceed quota for PoliciesPer{ENTITY[kind].quota}: {MAX_ATTACHED}")
            conn.execute(
                insert(attachments).values(
                    account_id=acct, entity_type=kind, entity_key=stored.lower(), policy_arn=arn, attached_at=ctx.now()
                )
            )
        return {}

    def _detach(self, ctx: RequestContext, kind: str, name: str, arn: str) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            result = conn.execute(
                delete(attachments).where(
                    attachments.c.account_id == ctx.account_id,
                    attachments.c.entity_type == kind,
                    attachments.c.entity_key == stored.lower(),
                    attachments.c.policy_arn == arn,
                )
            )
            if not result.rowcount:
                raise NoSuchEntity(f"Policy {arn} was not found.")
        return {}

    def _list_attached(self, ctx: RequestContext, kind: str, request: dict[str, Any], name: str) -> dict[str, Any]:
        prefix = request.get("PathPrefix", "/")
        with self.runtime.store.read() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            rows = conn.execute(
                select(policies.c.name, policies.c.arn)
                .select_from(attachments.join(policies, policies.c.arn == attachments.c.policy_arn))
                .where(
                    attachments.c.account_id == ctx.account_id,
                    attachments.c.entity_type == kind,
                    attachments.c.entity_key == stored.lower(),
                    policies.c.path.startswith(prefix, autoescape=True),
                )
                .order_by(policies.c.name_key)
            ).all()
        return page(request, [{"PolicyName": r.name, "PolicyArn": r.arn} for r in rows], "AttachedPolicies")

    def attach_user_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "user", request["UserName"], request["PolicyArn"])

    def attach_group_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "group", request["GroupName"], request["PolicyArn"])

    def attach_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._attach(ctx, "role", request["RoleName"], request["PolicyArn"])

    def detach_user_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "user", request["UserName"], request["PolicyArn"])

    def detach_group_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "group", request["GroupName"], request["PolicyArn"])

    def detach_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._detach(ctx, "role", request["RoleName"], request["PolicyArn"])

    def list_attached_user_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "user", request, request["UserName"])

    def list_attached_group_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "group", request, request["GroupName"])

    def list_attached_role_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_attached(ctx, "role", request, request["RoleName"])

    # --- inline policies ------------------------------------------------------------------------------

    @staticmethod
    def _inline_where(account_id: str, kind: str, stored: str) -> Any:
        return (
            (inline_policies.c.account_id == account_id)
            & (inline_policies.c.entity_type == kind)
            & (inline_policies.c.entity_key == stored.lower())
        )

    def _put_inline(self, ctx: RequestContext, kind: str, name: str, policy_name: str, doc: str) -> dict[str, Any]:
        documents.check_policy_grammar(doc, "identity")
        with self.runtime.store.write() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            where = self._inline_where(ctx.account_id, kind, stored)
            others = conn.execute(
                select(inline_policies.c.document).where(where, inline_policies.c.policy_name != policy_name)
            ).scalars()
            total = documents.size(doc) + sum(documents.size(other) for other in others)
            limit = documents.INLINE_AGGREGATE_MAX[kind]
            if total > limit:
                raise LimitExceeded(f"Maximum policy size of {limit} bytes exceeded for {kind} {stored}")
            conn.execute(delete(inline_policies).where(where, inline_policies.c.policy_name == policy_name))
            conn.execute(
                insert(inline_policies).values(
                    account_id=ctx.account_id,
                    entity_type=kind,
                    entity_key=stored.lower(),
                    policy_name=policy_name,
                    document=doc,
                )
            )
        return {}

    def _inline_document(self, conn: Connection, ctx: RequestContext, kind: str, stored: str, policy_name: str) -> str:
        doc = conn.execute(
            select(inline_policies.c.document).where(
                self._inline_where(ctx.account_id, kind, stored), inline_policies.c.policy_name == policy_name
            )
        ).scalar()
        if doc is None:
            raise NoSuchEntity(f"The {kind} policy with name {policy_name} cannot be found.")
        return str(doc)

    def _get_inline(self, ctx: RequestContext, kind: str, name: str, policy_name: str) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            doc = self._inline_document(conn, ctx, kind, stored, policy_name)
        label = {"user": "UserName", "group": "GroupName", "role": "RoleName"}[kind]
        return {label: stored, "PolicyName": policy_name, "PolicyDocument": documents.encode(doc)}

    def _delete_inline(self, ctx: RequestContext, kind: str, name: str, policy_name: str) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            self._inline_document(conn, ctx, kind, stored, policy_name)
            conn.execute(
                delete(inline_policies).where(
                    self._inline_where(ctx.account_id, kind, stored), inline_policies.c.policy_name == policy_name
                )
            )
        return {}

    def _list_inline(self, ctx: RequestContext, kind: str, name: str, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            stored = self.require_entity(conn, ctx, kind, name)
            names = list(
                conn.execute(
                    select(inline_policies.c.policy_name)
                    .where(self._inline_where(ctx.account_id, kind, stored))
                    .order_by(inline_policies.c.policy_name)
                ).scalars()
            )
        return page(request, names, "PolicyNames")

    def put_user_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "user", request["UserName"], request["PolicyName"], request["PolicyDocument"])

    def put_group_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "group", request["GroupName"], request["PolicyName"], request["PolicyDocument"])

    def put_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._put_inline(ctx, "role", request["RoleName"], request["PolicyName"], request["PolicyDocument"])

    def get_user_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "user", request["UserName"], request["PolicyName"])

    def get_group_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "group", request["GroupName"], request["PolicyName"])

    def get_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get_inline(ctx, "role", request["RoleName"], request["PolicyName"])

    def delete_user_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "user", request["UserName"], request["PolicyName"])

    def delete_group_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "group", request["GroupName"], request["PolicyName"])

    def delete_role_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._delete_inline(ctx, "role", request["RoleName"], request["PolicyName"])

    def list_user_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "user", request["UserName"], request)

    def list_group_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "group", request["GroupName"], request)

    def list_role_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list_inline(ctx, "role", request["RoleName"], request)

    # --- ListEntitiesForPolicy --------------------------------------------------------------------------

    def list_entities_for_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["PolicyArn"]
        prefix = request.get("PathPrefix", "/")
        wanted = request.get("EntityFilter")
        usage = request.get("PolicyUsageFilter")
        out: dict[str, list[dict[str, str]]] = {"PolicyUsers": [], "PolicyGroups": [], "PolicyRoles": []}
        with self.runtime.store.read() as conn:
            policy = d.get_policy(conn, arn)
            if policy is None or policy.account_id != ctx.account_id:
                raise NoSuchEntity(f"Policy {arn} was not found.")
            specs = (
                ("User", "user", users, "user_id", "PolicyUsers", "UserName", "UserId"),
                ("Group", "group", groups, "group_id", "PolicyGroups", "GroupName", "GroupId"),
                ("Role", "role", roles, "role_id", "PolicyRoles", "RoleName", "RoleId"),
            )
            for filt, kind, table, id_col, key, name_field, id_field in specs:
                if wanted not in (None, filt):
                    continue
                rows: list[Any] = []
                if usage in (None, "PermissionsPolicy"):
                    rows += conn.execute(
                        select(table.c.name, table.c[id_col], table.c.name_key)
                        .select_from(
                            attachments.join(
                                table,
                                (table.c.account_id == attachments.c.account_id)
                                & (table.c.name_key == attachments.c.entity_key),
                            )
                        )
                        .where(
                            attachments.c.policy_arn == arn,
                            attachments.c.entity_type == kind,
                            table.c.path.startswith(prefix, autoescape=True),
                        )
                    ).all()
                if usage == "PermissionsBoundary" and kind != "group":
                    rows += conn.execute(
                        select(table.c.name, table.c[id_col], table.c.name_key).where(
                            table.c.account_id == ctx.account_id,
                            table.c.permissions_boundary == arn,
                            table.c.path.startswith(prefix, autoescape=True),
                        )
                    ).all()
                for row in sorted(rows, key=lambda r: r[2]):
                    out[key].append({name_field: row[0], id_field: row[1]})
        # one Marker over the three lists, walked users -> groups -> roles
        flat = [(k, item) for k in ("PolicyUsers", "PolicyGroups", "PolicyRoles") for item in out[k]]
        paged = page(request, flat, "_items")
        result: dict[str, Any] = {"PolicyUsers": [], "PolicyGroups": [], "PolicyRoles": []}
        for k, item in paged.pop("_items"):
            result[k].append(item)
        result.update(paged)
        return result
