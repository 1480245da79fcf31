"""GetAccountAuthorizationDetails, and the policy simulator's entry points."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam import directory as d
from strongroom.iam.model import (
    attachments,
    group_members,
    groups,
    inline_policies,
    policies,
    policy_versions,
    roles,
    users,
)
from strongroom.services.iam import documents
from strongroom.services.iam.base import IamBase, boundary_shape, instance_profiles_of_role, page, tag_list
from strongroom.services.iam.policies import policy_shape, version_shape

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

_ALL = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


class DetailOperations(IamBase):
    def get_account_authorization_details(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = set(request.get("Filter") or _ALL)
        acct = ctx.account_id
        items: list[tuple[str, dict[str, Any]]] = []
        with self.runtime.store.read() as conn:
            if "User" in wanted:
                for row in conn.execute(select(users).where(users.c.account_id == acct).order_by(users.c.name_key)):
                    items.append(("UserDetailList", self._user_detail(conn, d._user(row))))
            if "Group" in wanted:
                for row in conn.execute(select(groups).where(groups.c.account_id == acct).order_by(groups.c.name_key)):
                    group = d._group(row)
                    items.append(
                        (
                            "GroupDetailList",
                            {
                                "Path": group.path,
                                "GroupName": group.name,
                                "GroupId": group.group_id,
                                "Arn": group.arn,
                                "CreateDate": group.created_at,
                                "GroupPolicyList": _inline(conn, acct, "group", group.name),
                                "AttachedManagedPolicies": _attached(conn, acct, "group", group.name),
                            },
                        )
                    )
            if "Role" in wanted:
                for row in conn.execute(select(roles).where(roles.c.account_id == acct).order_by(roles.c.name_key)):
                    role = d._role(row)
                    last: dict[str, Any] = {}
                    if role.last_used_at is not None:
                        last = {"LastUsedDate": role.last_used_at, "Region": role.last_used_region}
                    items.append(
                        (
                            "RoleDetailList",
                            {
                                "Path": role.path,
                                "RoleName": role.name,
                                "RoleId": role.role_id,
                                "Arn": role.arn,
                                "CreateDate": role.created_at,
                                "AssumeRolePolicyDocument": documents.encode(role.assume_role_policy),
                                "InstanceProfileList": _instance_profiles(conn, acct, role),
                                "RolePolicyList": _inline(conn, acct, "role", role.name),
                                "AttachedManagedPolicies": _attached(conn, acct, "role", role.name),
                                "PermissionsBoundary": boundary_shape(role.permissions_boundary),
                                "Tags": tag_list(d.entity_tags(conn, acct, "role", role.name.lower())),
                                "RoleLastUsed": last,
                            },
                        )
                    )
            if "LocalManagedPolicy" in wanted:
                for row in conn.execute(
                    select(policies).where(policies.c.account_id == acct).order_by(policies.c.name_key)
                ):
                    policy = d._policy(row)
                    shape = policy_shape(conn, policy, description=True)
                    shape["PolicyVersionList"] = [
                        version_shape(v, policy.default_version, document=True)
                        for v in conn.execute(
                            select(policy_versions)
                            .where(policy_versions.c.policy_arn == policy.arn)
                            .order_by(policy_versions.c.seq.desc())
                        )
                    ]
                    items.append(("Policies", shape))
        paged = page(request, items, "_items")
        out: dict[str, Any] = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        for key, item in paged.pop("_items"):
            out[key].append(item)
        out.update(paged)
        return out

    @staticmethod
    def _user_detail(conn: Connection, user: d.UserRecord) -> dict[str, Any]:
        acct = user.account_id
        group_names = conn.execute(
            select(groups.c.name)
            .select_from(
                group_members.join(
                    groups,
                    (groups.c.account_id == group_members.c.account_id)
                    & (groups.c.name_key == group_members.c.group_key),
                )
            )
            .where(group_members.c.account_id == acct, group_members.c.user_key == user.name.lower())
            .order_by(groups.c.name_key)
        ).scalars()
        return {
            "Path": user.path,
            "UserName": user.name,
            "UserId": user.user_id,
            "Arn": user.arn,
            "CreateDate": user.created_at,
            "UserPolicyList": _inline(conn, acct, "user", user.name),
            "GroupList": list(group_names),
            "AttachedManagedPolicies": _attached(conn, acct, "user", user.name),
            "PermissionsBoundary": boundary_shape(user.permissions_boundary),
            "Tags": tag_list(d.entity_tags(conn, acct, "user", user.name.lower())),
        }


def _inline(conn: Connection, account_id: str, kind: str, name: str) -> list[dict[str, str]]:
    rows = conn.execute(
        select(inline_policies.c.policy_name, inline_policies.c.document)
        .where(
            inline_policies.c.account_id == account_id,
            inline_policies.c.entity_type == kind,
            inline_policies.c.entity_key == name.lower(),
        )
        .order_by(inline_policies.c.policy_name)
    )
    return [{"PolicyName": r.policy_name, "PolicyDocument": documents.encode(r.document)} for r in rows]


def _attached(conn: Connection, account_id: str, kind: str, name: str) -> list[dict[str, str]]:
    rows = conn.execute(
        select(policies.c.name, policies.c.arn)
        .select_from(attachments.join(policies, policies.c.arn == attachments.c.policy_arn))
        .where(
            attachments.c.account_id == account_id,
            attachments.c.entity_type == kind,
            attachments.c.entity_key == name.lower(),
        )
        .order_by(policies.c.name_key)
    )
    return [{"PolicyName": r.name, "PolicyArn": r.arn} for r in rows]


def _instance_profiles(conn: Connection, account_id: str, role: d.RoleRecord) -> list[dict[str, Any]]:
    """The instance profiles holding the role, as RoleDetailList shows them (each with its role)."""
    out = []
    for found in instance_profiles_of_role(conn, account_id, role.name.lower()):
        data = found.data
        out.append(
            {
                "Path": data["path"],
                "InstanceProfileName": data["name"],
                "InstanceProfileId": data["id"],
                "Arn": data["arn"],
                "CreateDate": found.created_at,
                "Roles": [
                    {
                        "Path": role.path,
                        "RoleName": role.name,
                        "RoleId": role.role_id,
                        "Arn": role.arn,
                        "CreateDate": role.created_at,
                        "AssumeRolePolicyDocument": documents.encode(role.assume_role_policy),
                    }
                ],
            }
        )
    return out
