"""Protection groups: Create / Describe / Update / Delete / ListProtectionGroups, ListResourcesInProtectionGroup.

Patterns as AWS defines them: ``ALL`` (every protected resource of the account), ``BY_RESOURCE_TYPE`` (protected
resources of one ProtectedResourceType — none of which Strongroom hosts, so such a group is empty) and ``ARBITRARY``
(the ``Members`` given, resource ARNs). ``ResourceType`` only with BY_RESOURCE_TYPE and ``Members`` only with
ARBITRARY, as AWS validates. The aggregation (SUM / MEAN / MAX) is stored and answered; detection here is per
resource.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from strongroom.services.base import pages
from strongroom.services.shield import errors
from strongroom.services.shield.base import Row, ShieldBase
from strongroom.services.shield.model import groups, tags
from strongroom.services.shield.protections import DEFAULT_PAGE, bad_token

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_GROUPS = 50
MAX_MEMBERS = 10_000


class GroupOperations(ShieldBase):
    @staticmethod
    def _validated(request: dict[str, Any]) -> dict[str, Any]:
        pattern = request["Pattern"]
        resource_type = request.get("ResourceType")
        members = request.get("Members")
        if pattern == "BY_RESOURCE_TYPE" and not resource_type:
            raise errors.InvalidParameterException(
                "ResourceType is required when Pattern is BY_RESOURCE_TYPE.", reason="OTHER", fields=[]
            )
        if pattern != "BY_RESOURCE_TYPE" and resource_type:
            raise errors.InvalidParameterException(
                "ResourceType is only valid when Pattern is BY_RESOURCE_TYPE.", reason="OTHER"
            )
        if pattern == "ARBITRARY" and members is None:
            raise errors.InvalidParameterException("Members is required when Pattern is ARBITRARY.", reason="OTHER")
        if pattern != "ARBITRARY" and members:
            raise errors.InvalidParameterException("Members is only valid when Pattern is ARBITRARY.", reason="OTHER")
        if members is not None and len(members) > MAX_MEMBERS:
            raise errors.LimitsExceededException(
                "A protection group can have at most 10000 members.", Type="MEMBERS", Limit=MAX_MEMBERS
            )
        return {
            "aggregation": request["Aggregation"],
            "pattern": pattern,
            "resource_type": resource_type,
            "members": json.dumps(sorted(set(members or [])) if pattern == "ARBITRARY" else []),
        }

    def _group(self, ctx: RequestContext, group_id: str) -> Row:
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(groups).where(groups.c.account_id == ctx.account_id, groups.c.group_id == group_id)
            ).one_or_none()
        if row is None:
            raise errors.ResourceNotFoundException(
                "The referenced protection group does not exist.", resourceType="protection-group"
            )
        return dict(row._mapping)

    def _members(self, row: Row) -> list[str]:
        if row["pattern"] == "ARBITRARY":
            return list(json.loads(row["members"]))
        if row["pattern"] == "ALL":
            return sorted(r["resource_arn"] for r in self.account_protections(row["account_id"]))
        return []  # BY_RESOURCE_TYPE: no protected resource here is one of AWS's ProtectedResourceType values

    def _shape(self, row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ProtectionGroupId": row["group_id"],
            "Aggregation": row["aggregation"],
            "Pattern": row["pattern"],
        }
        if row["resource_type"]:
            out["ResourceType"] = row["resource_type"]
        out["Members"] = self._members(row)
        out["ProtectionGroupArn"] = row["arn"]
        return out

    def create_protection_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        values = self._validated(request)
        group_id = str(request["ProtectionGroupId"])
        arn = self.shield_arn(ctx.account_id, f"protection-group/{group_id}")
        with self.runtime.store.write() as conn:
            existing = conn.execute(
                select(groups.c.group_id).where(groups.c.account_id == ctx.account_id, groups.c.group_id == group_id)
            ).one_or_none()
            if existing is not None:
                raise errors.ResourceAlreadyExistsException(
                    "The referenced protection group already exists.", resourceType="protection-group"
                )
            count = conn.execute(
                select(func.count()).select_from(groups).where(groups.c.account_id == ctx.account_id)
            ).scalar_one()
            if count >= MAX_GROUPS:
                raise errors.LimitsExceededException(
                    "You have reached the protection group limit.", Type="PROTECTION_GROUPS", Limit=MAX_GROUPS
                )
            conn.execute(groups.insert().values(account_id=ctx.account_id, group_id=group_id, arn=arn, **values))
            if request.get("Tags"):
                self.write_tags(conn, arn, request["Tags"])
        return {}

    def describe_protection_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        return {"ProtectionGroup": self._shape(self._group(ctx, str(request["ProtectionGroupId"])))}

    def update_protection_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        row = self._group(ctx, str(request["ProtectionGroupId"]))
        values = self._validated(request)
        with self.runtime.store.write() as conn:
            conn.execute(
                update(groups)
                .where(groups.c.account_id == ctx.account_id, groups.c.group_id == row["group_id"])
                .values(**values)
            )
        return {}

    def delete_protection_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        row = self._group(ctx, str(request["ProtectionGroupId"]))
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(groups).where(groups.c.account_id == ctx.account_id, groups.c.group_id == row["group_id"])
            )
            conn.execute(delete(tags).where(tags.c.arn == row["arn"]))
        return {}

    def list_protection_groups(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        with self.runtime.store.read() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(groups).where(groups.c.account_id == ctx.account_id))]
        filters = request.get("InclusionFilters") or {}
        for key, column in (
            ("ProtectionGroupIds", "group_id"),
            ("Patterns", "pattern"),
            ("ResourceTypes", "resource_type"),
            ("Aggregations", "aggregation"),
        ):
            if filters.get(key):
                rows = [r for r in rows if r[column] in filters[key]]
        page, token = pages.after_page(
            rows,
            request.get("NextToken"),
            int(request.get("MaxResults") or DEFAULT_PAGE),
            lambda r: str(r["group_id"]),
            bad_token,
        )
        out: dict[str, Any] = {"ProtectionGroups": [self._shape(r) for r in page]}
        if token:
            out["NextToken"] = token
        return out

    def list_resources_in_protection_group(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        row = self._group(ctx, str(request["ProtectionGroupId"]))
        page, token = pages.offset_page(
            self._members(row), request.get("NextToken"), int(request.get("MaxResults") or DEFAULT_PAGE), bad_token
        )
        out: dict[str, Any] = {"ResourceArns": page}
        if token:
            out["NextToken"] = token
        return out
