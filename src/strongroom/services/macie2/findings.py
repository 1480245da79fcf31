"""Findings: ListFindings, GetFindings, GetFindingStatistics; findings filters (suppression rules with ARCHIVE,
saved views with NOOP): Create/Get/List/Update/DeleteFindingsFilter.

A filter created or updated with ARCHIVE archives the stored findings its criteria match too (and, through
``base.store_finding``, every new one), as Macie's suppression rules do; archived findings are listed only when the
criteria ask for them (``archived: eq ["true"]``), as the console and API do by default.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.macie2 import criteria
from strongroom.services.macie2.base import MacieBase, arn
from strongroom.services.macie2.errors import validation
from strongroom.services.macie2.model import filters, findings

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

_GROUP_BY = {
    "resourcesAffected.s3Bucket.name",
    "type",
    "classificationDetails.jobId",
    "severity.description",
}


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


class FindingOperations(MacieBase):
    def _bodies(
        self, ctx: RequestContext, request: dict[str, Any], conn: Connection | None = None
    ) -> list[dict[str, Any]]:
        criterion = (request.get("findingCriteria") or {}).get("criterion") or {}
        rule = criteria.compile_criteria(criterion)
        accounts = [ctx.account_id, *self.member_accounts(ctx.account_id, ctx.region)]
        query = select(findings.c.body).where(findings.c.account_id.in_(accounts), findings.c.region == ctx.region)
        if "archived" not in criterion:
            query = query.where(findings.c.archived.is_(False))
        return [body for body in (json.loads(r.body) for r in self.rows(query, conn)) if rule(body)]

    def list_findings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        size = request.get("maxResults") or 50
        if not 1 <= size <= 50:
            raise validation("maxResults must be between 1 and 50.")
        bodies = criteria.ordered(self._bodies(ctx, request), request.get("sortCriteria"))
        page, token = pages.offset_page([b["id"] for b in bodies], request.get("nextToken"), size, _bad_token)
        return {"findingIds": page, **({"nextToken": token} if token else {})}

    def get_findings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        ids = request["findingIds"]
        if len(ids) > 50:
            raise validation("Specify up to 50 finding ids.")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(findings.c.body).where(
                    findings.c.finding_id.in_(ids),
                    findings.c.account_id.in_([ctx.account_id, *self.member_accounts(ctx.account_id, ctx.region)]),
                    findings.c.region == ctx.region,
                )
            ).all()
        bodies = [json.loads(r.body) for r in rows]
        if request.get("sortCriteria"):
            bodies = criteria.ordered(bodies, request["sortCriteria"])
        else:
            position = {finding_id: i for i, finding_id in enumerate(ids)}
            bodies.sort(key=lambda b: position[b["id"]])
        return {"findings": bodies}

    def get_finding_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        group = request["groupBy"]
        if group not in _GROUP_BY:
            raise validation(f"The groupBy {group} isn't supported.")
        counts: Counter[str] = Counter()
        for body in self._bodies(ctx, request):
            for value in criteria.values_at(body, group)[:1] or ["unknown"]:
                counts[str(value)] += 1
        sort = request.get("sortCriteria") or {}
        attribute = sort.get("attributeName") or "groupKey"
        items = [{"count": c, "groupKey": k} for k, c in counts.items()]
        items.sort(key=lambda i: (i[attribute], i["groupKey"]), reverse=sort.get("orderBy") == "DESC")
        size = request.get("size")
        if size:
            items = items[:size]
        return {"countsByGroup": items}

    # -- findings filters -------------------------------------------------------------------------------------

    def _filter(self, ctx: RequestContext, filter_id: str, conn: Connection | None = None) -> Row[Any]:
        return self.owned(ctx, filters, "filter_id", filter_id, conn)

    @staticmethod
    def _check_name(conn: Connection, ctx: RequestContext, name: str, own_id: str | None) -> None:
        if not 3 <= len(name) <= 64:
            raise validation("The filter name must be 3-64 characters long.")
        taken = conn.execute(
            select(filters.c.filter_id).where(
                filters.c.account_id == ctx.account_id, filters.c.region == ctx.region, filters.c.name == name
            )
        ).scalar()
        if taken is not None and taken != own_id:
            raise validation(f"A findings filter named {name} already exists.")

    def _archive_matching(self, conn: Connection, ctx: RequestContext, finding_criteria: dict[str, Any]) -> None:
        rule = criteria.compile_criteria(finding_criteria.get("criterion"))
        rows = conn.execute(
            select(findings.c.finding_id, findings.c.body).where(
                findings.c.account_id == ctx.account_id,
                findings.c.region == ctx.region,
                findings.c.archived.is_(False),
            )
        ).all()
        for row in rows:
            body = json.loads(row.body)
            if rule(body):
                body["archived"] = True
                conn.execute(
                    findings.update()
                    .where(findings.c.finding_id == row.finding_id)
                    .values(archived=True, body=json.dumps(body))
                )

    def create_findings_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        finding_criteria = request["findingCriteria"]
        criteria.compile_criteria(finding_criteria.get("criterion"))
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            token = request.get("clientToken")
            if token:
                same = conn.execute(
                    select(filters.c.filter_id).where(
                        filters.c.account_id == ctx.account_id,
                        filters.c.region == ctx.region,
                        filters.c.client_token == token,
                    )
                ).scalar()
                if same is not None:
                    return {"arn": arn(ctx.region, ctx.account_id, "findings-filter", same), "id": same}
            self._check_name(conn, ctx, request["name"], None)
            filter_id = str(uuid.uuid4())
            position = request.get("position")
            if position is None:
                count = len(
                    conn.execute(
                        select(filters.c.filter_id).where(
                            filters.c.account_id == ctx.account_id, filters.c.region == ctx.region
                        )
                    ).all()
                )
                position = count + 1
            conn.execute(
                filters.insert().values(
                    filter_id=filter_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    description=request.get("description"),
                    action=request["action"],
                    position=position,
                    criteria=json.dumps(finding_criteria),
                    client_token=token,
                )
            )
            resource = arn(ctx.region, ctx.account_id, "findings-filter", filter_id)
            self.write_tags(conn, resource, request.get("tags"))
            if request["action"] == "ARCHIVE":
                self._archive_matching(conn, ctx, finding_criteria)
        return {"arn": resource, "id": filter_id}

    def get_findings_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        row = self._filter(ctx, request["id"])
        resource = arn(row.region, row.account_id, "findings-filter", row.filter_id)
        return {
            "action": row.action,
            "arn": resource,
            "description": row.description,
            "findingCriteria": json.loads(row.criteria),
            "id": row.filter_id,
            "name": row.name,
            "position": row.position,
            "tags": self.tags_of(resource),
        }

    def list_findings_filters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(filters)
                .where(filters.c.account_id == ctx.account_id, filters.c.region == ctx.region)
                .order_by(filters.c.position, filters.c.name)
            ).all()
        page, token = pages.offset_page(rows, request.get("nextToken"), request.get("maxResults") or 25, _bad_token)
        items = []
        for r in page:
            resource = arn(r.region, r.account_id, "findings-filter", r.filter_id)
            items.append(
                {"action": r.action, "arn": resource, "id": r.filter_id, "name": r.name, "tags": self.tags_of(resource)}
            )
        return {"findingsFilterListItems": items, **({"nextToken": token} if token else {})}

    def update_findings_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("findingCriteria") is not None:
            criteria.compile_criteria(request["findingCriteria"].get("criterion"))
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            row = self._filter(ctx, request["id"], conn)
            values: dict[str, Any] = {}
            if request.get("name") is not None:
                self._check_name(conn, ctx, request["name"], row.filter_id)
                values["name"] = request["name"]
            for member, column in (("description", "description"), ("action", "action"), ("position", "position")):
                if request.get(member) is not None:
                    values[column] = request[member]
            if request.get("findingCriteria") is not None:
                values["criteria"] = json.dumps(request["findingCriteria"])
            if values:
                conn.execute(filters.update().where(filters.c.filter_id == row.filter_id).values(**values))
            if values.get("action", row.action) == "ARCHIVE":
                self._archive_matching(conn, ctx, json.loads(values.get("criteria", row.criteria)))
        return {"arn": arn(row.region, row.account_id, "findings-filter", row.filter_id), "id": row.filter_id}

    def delete_findings_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            row = self._filter(ctx, request["id"], conn)
            conn.execute(filters.delete().where(filters.c.filter_id == row.filter_id))
            self.drop_tags(conn, arn(row.region, row.account_id, "findings-filter", row.filter_id))
        return {}
