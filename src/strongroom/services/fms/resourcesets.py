"""Resource sets: PutResourceSet, GetResourceSet, ListResourceSets, DeleteResourceSet, BatchAssociateResource,
BatchDisassociateResource, ListResourceSetResources, and ListDiscoveredResources (what may go in a set).

Stored as AWS keeps them. A policy may name resource sets (``ResourceSetIds``, checked to exist); Strongroom's scope
computation does not read them yet (docs/firewall-manager.md). Items are resource ARNs: one that is not an ARN
fails with ``NOT_VALID_ARN``, of another partition ``NOT_VALID_PARTITION``, of another region
``NOT_VALID_REGION``, of a type outside the set's ``ResourceTypeList`` (API Gateway stages only here)
``NOT_VALID_RESOURCE_TYPE``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.services.fms import scope
from strongroom.services.fms.base import FmsBase, dumps, new_set_id, new_token, not_found, page
from strongroom.services.fms.errors import InvalidInputException, InvalidOperationException
from strongroom.services.fms.model import resource_set_items, resource_sets

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_STAGE = re.compile(r"^arn:aws:apigateway:([a-z0-9-]+)::/restapis/[A-Za-z0-9]+/stages/[A-Za-z0-9_\-]+$")
MAX_ITEMS = 100  # AWS: BatchAssociateResource takes at most 100 items per call (LimitExceededException beyond)


class ResourceSetOperations(FmsBase):
    def _set_row(self, conn: Any, ctx: RequestContext, set_id: str) -> Any:
        row = conn.execute(
            select(resource_sets).where(
                resource_sets.c.set_id == set_id,
                resource_sets.c.account_id == ctx.account_id,
                resource_sets.c.region == ctx.region,
            )
        ).first()
        if row is None:
            raise not_found("The specified resource set was not found.")
        return row

    @staticmethod
    def _set_shape(row: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"Id": row.set_id, "Name": row.name}
        if row.description is not None:
            out["Description"] = row.description
        out.update(
            {
                "UpdateToken": row.update_token,
                "ResourceTypeList": json.loads(row.resource_types),
                "LastUpdateTime": row.updated_at,
                "ResourceSetStatus": "ACTIVE",
            }
        )
        return out

    def put_resource_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        spec = dict(request["ResourceSet"])
        types = list(spec["ResourceTypeList"])
        if not types:
            raise InvalidInputException("ResourceTypeList must name at least one resource type.")
        now, token = self.now(), new_token()
        with self.runtime.store.write() as conn:
            if spec.get("Id"):
                row = self._set_row(conn, ctx, spec["Id"])
                if spec.get("UpdateToken") != row.update_token:
                    raise InvalidOperationException("The UpdateToken does not match the current version.")
                set_id = row.set_id
                conn.execute(
                    update(resource_sets)
                    .where(resource_sets.c.set_id == set_id)
                    .values(
                        name=spec["Name"],
                        description=spec.get("Description"),
                        resource_types=dumps(types),
                        update_token=token,
                        updated_at=now,
                    )
                )
            else:
                set_id = new_set_id()
                conn.execute(
                    resource_sets.insert().values(
                        set_id=set_id,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        name=spec["Name"],
                        description=spec.get("Description"),
                        resource_types=dumps(types),
                        update_token=token,
                        updated_at=now,
                    )
                )
            arn = self.arn(ctx, "resource-set", set_id)
            if request.get("TagList"):
                self.write_tags(conn, arn, request["TagList"])
            row = self._set_row(conn, ctx, set_id)
        return {"ResourceSet": self._set_shape(row), "ResourceSetArn": arn}

    def get_resource_set(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        with self.runtime.store.read() as conn:
            row = self._set_row(conn, ctx, request["Identifier"])
        return {"ResourceSet": self._set_shape(row), "ResourceSetArn": self.arn(ctx, "resource-set", row.set_id)}

    def list_resource_sets(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(resource_sets)
                .where(resource_sets.c.account_id == ctx.account_id, resource_sets.c.region == ctx.region)
                .order_by(resource_sets.c.name, resource_sets.c.set_id)
            ).all()
        items = []
        for r in rows:
            item = {k: v for k, v in self._set_shape(r).items() if k not in ("UpdateToken", "ResourceTypeList")}
            items.append(item)
        got, token = page(items, request)
        return {"ResourceSets": got, **token}

    def delete_resource_set(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self.admin(ctx)
        with self.runtime.store.write() as conn:
            row = self._set_row(conn, ctx, request["Identifier"])
            conn.execute(delete(resource_set_items).where(resource_set_items.c.set_id == row.set_id))
            conn.execute(delete(resource_sets).where(resource_sets.c.set_id == row.set_id))
            self.drop_tags(conn, self.arn(ctx, "resource-set", row.set_id))

    def _set_of(self, ctx: RequestContext, identifier: str) -> Any:
        """A resource set named by id or ARN."""
        set_id = identifier.rsplit("/", 1)[-1]
        with self.runtime.store.read() as conn:
            return self._set_row(conn, ctx, set_id)

    @staticmethod
    def _item_failure(ctx: RequestContext, uri: str, types: list[str]) -> str | None:
        parts = uri.split(":")
        if len(parts) < 6 or parts[0] != "arn":
            return "NOT_VALID_ARN"
        if parts[1] != "aws":
            return "NOT_VALID_PARTITION"
        match = _STAGE.match(uri)
        if match is None or scope.STAGE not in types:
            return "NOT_VALID_RESOURCE_TYPE"
        if match.group(1) != ctx.region:
            return "NOT_VALID_REGION"
        return None

    def batch_associate_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        row = self._set_of(ctx, request["ResourceSetIdentifier"])
        items = list(request["Items"])
        if len(items) > MAX_ITEMS:
            raise InvalidInputException(f"At most {MAX_ITEMS} items can be associated in one call.")
        types = json.loads(row.resource_types)
        failed = []
        with self.runtime.store.write() as conn:
            for uri in items:
                reason = self._item_failure(ctx, uri, types)
                if reason is not None:
                    failed.append({"URI": uri, "Reason": reason})
                    continue
                conn.execute(
                    delete(resource_set_items).where(
                        resource_set_items.c.set_id == row.set_id, resource_set_items.c.uri == uri
                    )
                )
                conn.execute(resource_set_items.insert().values(set_id=row.set_id, uri=uri, account_id=None))
        return {"ResourceSetIdentifier": request["ResourceSetIdentifier"], "FailedItems": failed}

    def batch_disassociate_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        row = self._set_of(ctx, request["ResourceSetIdentifier"])
        with self.runtime.store.write() as conn:
            for uri in request["Items"]:
                conn.execute(
                    delete(resource_set_items).where(
                        resource_set_items.c.set_id == row.set_id, resource_set_items.c.uri == uri
                    )
                )
        return {"ResourceSetIdentifier": request["ResourceSetIdentifier"], "FailedItems": []}

    def list_discovered_resources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The resources of the given accounts of the organization that a resource set may hold: API Gateway stages
        (listed as each account, in the call's region); other types have none in Strongroom."""
        org = self.admin(ctx)
        members = {m.account_id for m in self.members(org)}
        accounts = list(dict.fromkeys(request["MemberAccountIds"]))
        outside = [a for a in accounts if a not in members]
        if outside:
            raise InvalidInputException(f"Account {outside[0]} is not a member of the organization.")
        items: list[dict[str, Any]] = []
        if request["ResourceType"] == scope.STAGE:
            for account in accounts:
                found = self.stages(self.as_account(account, ctx.region, ctx.operation))
                items.extend({"URI": s.arn, "AccountId": account, "Type": scope.STAGE, "Name": s.name} for s in found)
        got, token = page(items, request)
        return {"Items": got, **token}

    def list_resource_set_resources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        row = self._set_of(ctx, request["Identifier"])
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(resource_set_items)
                .where(resource_set_items.c.set_id == row.set_id)
                .order_by(resource_set_items.c.uri)
            ).all()
        items = [{"URI": r.uri, **({"AccountId": r.account_id} if r.account_id else {})} for r in rows]
        got, token = page(items, request)
        return {"Items": got, **token}
