"""Filters: CreateFilter / UpdateFilter / ListFilters / DeleteFilter.

A ``SUPPRESS`` filter is a suppression rule: matching findings become SUPPRESSED at once (and when found later),
and go back to ACTIVE when the rule is deleted or changed so that it no longer matches them, as AWS describes.
``NONE`` filters are saved views and change nothing. Names are unique per account and Region.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from strongroom.core.clock import clock
from strongroom.services.base import pages
from strongroom.services.inspector2.base import InspectorBase, iso, revive
from strongroom.services.inspector2.errors import BadRequestException, bad_token, not_found, validation
from strongroom.services.inspector2.model import filters, findings

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

_NOT_FOUND = "The filter was not found."


class FilterOperations(InspectorBase):
    def _filter(self, conn: Connection, ctx: RequestContext, arn: str) -> Row[Any]:
        row = conn.execute(
            select(filters).where(
                filters.c.arn == arn, filters.c.account_id == ctx.account_id, filters.c.region == ctx.region
            )
        ).first()
        if row is None:
            raise not_found(_NOT_FOUND)
        return row

    @staticmethod
    def _check_criteria(value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or not any(value.values()):
            raise validation("filterCriteria must contain at least one filter.")
        return value

    def create_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = self._check_criteria(request["filterCriteria"])
        now = clock.now()
        with self.runtime.store.write() as conn:
            taken = conn.execute(
                select(filters.c.arn).where(
                    filters.c.account_id == ctx.account_id,
                    filters.c.region == ctx.region,
                    filters.c.name == request["name"],
                )
            ).first()
            if taken is not None:
                raise BadRequestException(f"A filter with the name {request['name']} already exists.")
            arn = self.filter_arn(ctx.account_id, ctx.region)
            conn.execute(
                filters.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    action=request["action"],
                    description=request.get("description"),
                    reason=request.get("reason"),
                    criteria=json.dumps(wanted, default=_iso_default),
                    tags=json.dumps(request.get("tags") or {}),
                    created_at=now,
                    updated_at=now,
                )
            )
            self.resuppress(conn, ctx.account_id, ctx.region, now)
        return {"arn": arn}

    def update_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        with self.runtime.store.write() as conn:
            row = self._filter(conn, ctx, request["filterArn"])
            values: dict[str, Any] = {"updated_at": now}
            if request.get("filterCriteria") is not None:
                values["criteria"] = json.dumps(self._check_criteria(request["filterCriteria"]), default=_iso_default)
            for member in ("action", "description", "reason", "name"):
                if request.get(member) is not None:
                    values[member] = request[member]
            if "name" in values and values["name"] != row.name:
                clash = conn.execute(
                    select(filters.c.arn).where(
                        filters.c.account_id == ctx.account_id,
                        filters.c.region == ctx.region,
                        filters.c.name == values["name"],
                    )
                ).first()
                if clash is not None:
                    raise BadRequestException(f"A filter with the name {values['name']} already exists.")
            conn.execute(update(filters).where(filters.c.arn == row.arn).values(**values))
            self.resuppress(conn, ctx.account_id, ctx.region, now)
        return {"arn": row.arn}

    def delete_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        with self.runtime.store.write() as conn:
            row = self._filter(conn, ctx, request["arn"])
            conn.execute(delete(filters).where(filters.c.arn == row.arn))
            self.resuppress(conn, ctx.account_id, ctx.region, now)
        return {"arn": row.arn}

    def list_filters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        query = select(filters).where(filters.c.account_id == ctx.account_id, filters.c.region == ctx.region)
        if request.get("arns"):
            query = query.where(filters.c.arn.in_(request["arns"]))
        if request.get("action"):
            query = query.where(filters.c.action == request["action"])
        with self.runtime.store.read() as conn:
            rows = conn.execute(query.order_by(filters.c.created_at, filters.c.arn)).all()
        page, token = pages.offset_page(rows, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        shape = self.runtime.catalog.service("inspector2").shape_for("FilterCriteria")
        items = []
        for r in page:
            item: dict[str, Any] = {
                "arn": r.arn,
                "ownerId": r.account_id,
                "name": r.name,
                "criteria": revive(shape, json.loads(r.criteria)),
                "action": r.action,
                "createdAt": r.created_at,
                "updatedAt": r.updated_at,
                "tags": json.loads(r.tags or "{}"),
            }
            for member in ("description", "reason"):
                if getattr(r, member):
                    item[member] = getattr(r, member)
            items.append(item)
        out: dict[str, Any] = {"filters": items}
        if token:
            out["nextToken"] = token
        return out

    def resuppress(self, conn: Connection, account_id: str, region: str, now: datetime) -> None:
        """Apply the account's suppression rules to its open findings (ACTIVE <-> SUPPRESSED)."""
        rules = self.suppression_rules(conn, account_id, region)
        rows = conn.execute(
            select(findings).where(
                findings.c.account_id == account_id, findings.c.region == region, findings.c.status != "CLOSED"
            )
        ).all()
        for row in rows:
            body = json.loads(row.body)
            status = "SUPPRESSED" if self.suppressed(body, rules) else "ACTIVE"
            if status == row.status:
                continue
            body["status"] = status
            body["updatedAt"] = iso(now)
            conn.execute(
                update(findings)
                .where(findings.c.finding_arn == row.finding_arn)
                .values(status=status, body=json.dumps(body), updated_at=now)
            )
            if status == "ACTIVE":  # a finding coming out of suppression is announced as AWS does a new one
                self.send_event(conn, account_id, region, "Inspector2 Finding", body, [row.resource_id], now)


def _iso_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
