"""Customer managed policies and their versions (v1, v2, ...; at most five; one default), and policy tags."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from strongroom.core import ids
from strongroom.iam import directory as d
from strongroom.iam.model import policies, policy_versions
from strongroom.services.iam import documents
from strongroom.services.iam.base import (
    IamBase,
    Locate,
    attachment_count,
    boundary_count,
    check_new_tags,
    drop_all_tags,
    list_entity_tags,
    page,
    put_tags,
    tag_entity,
    tag_list,
    untag_entity,
)
from strongroom.services.iam.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

MAX_VERSIONS = 5


def policy_arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:policy{path}{name}"


def policy_shape(conn: Connection, policy: d.PolicyRecord, *, description: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version,
        "AttachmentCount": attachment_count(conn, policy.arn),
        "PermissionsBoundaryUsageCount": boundary_count(conn, policy.arn),
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if description:
        out["Description"] = policy.description
    return out


def version_shape(row: Any, default: str, *, document: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VersionId": row.version_id,
        "IsDefaultVersion": row.version_id == default,
        "CreateDate": row.created_at,
    }
    if document:
        out["Document"] = documents.encode(row.document)
    return out


def check_managed_document(document: str) -> None:
    documents.check_policy_grammar(document, "identity")
    documents.check_managed_size(document)


class ManagedPolicyOperations(IamBase):
    def _own_policy(self, conn: Connection, ctx: RequestContext, arn: str) -> d.PolicyRecord:
        policy = d.get_policy(conn, arn)
        if policy is None or policy.account_id != ctx.account_id:
            raise NoSuchEntity(f"Policy {arn} was not found.")
        return policy

    def create_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, path, document = request["PolicyName"], request.get("Path", "/"), request["PolicyDocument"]
        check_managed_document(document)
        new_tags = check_new_tags(request.get("Tags"))
        arn = policy_arn(ctx.account_id, path, name)
        now = ctx.now()
        with self.runtime.store.write() as conn:
            exists = conn.execute(
                select(policies.c.arn).where(
                    policies.c.account_id == ctx.account_id, policies.c.name_key == name.lower()
                )
            ).first()
            if exists is not None:
                raise EntityAlreadyExists(f"A policy called {name} already exists. Duplicate names are not allowed.")
            conn.execute(
                insert(policies).values(
                    arn=arn,
                    account_id=ctx.account_id,
                    name_key=name.lower(),
                    name=name,
                    policy_id=ids.unique_id("ANPA"),
                    path=path,
                    description=request.get("Description"),
                    default_version="v1",
                    next_version=2,
                    created_at=now,
                    updated_at=now,
                )
            )
            conn.execute(
                insert(policy_versions).values(
                    policy_arn=arn, version_id="v1", seq=1, document=document, created_at=now
                )
            )
            put_tags(conn, ctx.account_id, "policy", arn, new_tags)
            shape = policy_shape(conn, self._own_policy(conn, ctx, arn), description=True)
        shape["Tags"] = tag_list(new_tags) or None
        return {"Policy": shape}

    def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            policy = self._own_policy(conn, ctx, request["PolicyArn"])
            shape = policy_shape(conn, policy, description=True)
            shape["Tags"] = tag_list(d.entity_tags(conn, ctx.account_id, "policy", policy.arn)) or None
        return {"Policy": shape}

    def list_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("Scope") == "AWS":
            return page(request, [], "Policies")  # AWS managed policies are not modelled (docs/iam.md)
        prefix = request.get("PathPrefix", "/")
        usage = request.get("PolicyUsageFilter")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(policies)
                .where(policies.c.account_id == ctx.account_id, policies.c.path.startswith(prefix, autoescape=True))
                .order_by(policies.c.name_key)
            ).all()
            items = []
            for row in rows:
                shape = policy_shape(conn, d._policy(row))
                if request.get("OnlyAttached") and shape["AttachmentCount"] == 0:
                    continue
                if usage == "PermissionsPolicy" and shape["AttachmentCount"] == 0:
                    continue
                if usage == "PermissionsBoundary" and shape["PermissionsBoundaryUsageCount"] == 0:
                    continue
                items.append(shape)
        return page(request, items, "Policies")

    def delete_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            policy = self._own_policy(conn, ctx, request["PolicyArn"])
            if attachment_count(conn, policy.arn):
                raise DeleteConflict("Cannot delete a policy attached to entities.")
            if boundary_count(conn, policy.arn):
                raise DeleteConflict("Cannot delete a policy attached to entities as a permissions boundary.")
            versions = conn.execute(select(func.count()).where(policy_versions.c.policy_arn == policy.arn)).scalar()
            if (versions or 0) > 1:
                raise DeleteConflict(
                    "This policy has more than one version. Before you delete a policy, you must delete the "
                    "policy's versions. The default version is deleted with the policy."
                )
            drop_all_tags(conn, ctx.account_id, "policy", policy.arn)
            conn.execute(delete(policy_versions).where(policy_versions.c.policy_arn == policy.arn))
            conn.execute(delete(policies).where(policies.c.arn == policy.arn))
        return {}

    def create_policy_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        document = request["PolicyDocument"]
        check_managed_document(document)
        now = ctx.now()
        with self.runtime.store.write() as conn:
            policy = self._own_policy(conn, ctx, request["PolicyArn"])
            count = conn.execute(select(func.count()).where(policy_versions.c.policy_arn == policy.arn)).scalar()
            if (count or 0) >= MAX_VERSIONS:
                raise LimitExceeded(
                    f"A managed policy can have up to {MAX_VERSIONS} versions. Before you create a new version, "
                    "you must delete an existing version."
                )
            seq = int(conn.execute(select(policies.c.next_version).where(policies.c.arn == policy.arn)).scalar_one())
            version_id = f"v{seq}"
            conn.execute(
                insert(policy_versions).values(
                    policy_arn=policy.arn, version_id=version_id, seq=seq, document=document, created_at=now
                )
            )
            values: dict[str, Any] = {"next_version": seq + 1, "updated_at": now}
            default = policy.default_version
            if request.get("SetAsDefault"):
                values["default_version"] = default = version_id
            conn.execute(update(policies).where(policies.c.arn == policy.arn).values(**values))
        return {
            "PolicyVersion": {"VersionId": version_id, "IsDefaultVersion": version_id == default, "CreateDate": now}
        }

    def get_policy_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn, version_id = request["PolicyArn"], request["VersionId"]
        with self.runtime.store.read() as conn:
            policy = self._own_policy(conn, ctx, arn)
            row = conn.execute(
                select(policy_versions).where(
                    policy_versions.c.policy_arn == arn, policy_versions.c.version_id == version_id
                )
            ).first()
        if row is None:
            raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        return {"PolicyVersion": version_shape(row, policy.default_version, document=True)}

    def list_policy_versions(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            policy = self._own_policy(conn, ctx, request["PolicyArn"])
            rows = conn.execute(
                select(policy_versions)
                .where(policy_versions.c.policy_arn == policy.arn)
                .order_by(policy_versions.c.seq.desc())
            ).all()
        items = [version_shape(r, policy.default_version, document=False) for r in rows]
        return page(request, items, "Versions")

    def delete_policy_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn, version_id = request["PolicyArn"], request["VersionId"]
        with self.runtime.store.write() as conn:
            policy = self._own_policy(conn, ctx, arn)
            if version_id == policy.default_version:
                raise DeleteConflict("Cannot delete the default version of a policy.")
            result = conn.execute(
                delete(policy_versions).where(
                    policy_versions.c.policy_arn == arn, policy_versions.c.version_id == version_id
                )
            )
            if not result.rowcount:
                raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
        return {}

    def set_default_policy_version(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn, version_id = request["PolicyArn"], request["VersionId"]
        with self.runtime.store.write() as conn:
            self._own_policy(conn, ctx, arn)
            row = conn.execute(
                select(policy_versions.c.version_id).where(
                    policy_versions.c.policy_arn == arn, policy_versions.c.version_id == version_id
                )
            ).first()
            if row is None:
                raise NoSuchEntity(f"Policy {arn} version {version_id} does not exist or is not attachable.")
            conn.execute(
                update(policies).where(policies.c.arn == arn).values(default_version=version_id, updated_at=ctx.now())
            )
        return {}

    def tag_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        tag_entity(self.runtime.store, ctx.account_id, "policy", self._policy_key(ctx, request), request["Tags"])
        return {}

    def untag_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        untag_entity(self.runtime.store, ctx.account_id, "policy", self._policy_key(ctx, request), request["TagKeys"])
        return {}

    def list_policy_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return list_entity_tags(self.runtime.store, ctx.account_id, "policy", self._policy_key(ctx, request), request)

    def _policy_key(self, ctx: RequestContext, request: dict[str, Any]) -> Locate:
        """The policy the request names, as its tags are keyed (raising NoSuchEntity if there is none)."""
        return lambda conn: self._own_policy(conn, ctx, request["PolicyArn"]).arn
