"""ListCoverage and ListCoverageStatistics: one covered resource per (function, scan type), with its scan status.

A function is covered ACTIVE / SUCCESSFUL once scanned; INACTIVE with UNSUPPORTED_RUNTIME (code scanning of a
runtime other than Python or Node.js, package scanning of a custom one) or UNSUPPORTED_CODE_ARTIFACTS (a package
that is not a readable zip). Until the scanner's first pass a function has no coverage row (AWS lists it
PENDING_INITIAL_SCAN for the moments before; here the first pass runs when scanning is enabled and then every
minute).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.base import pages
from strongroom.services.inspector2 import criteria
from strongroom.services.inspector2.base import InspectorBase
from strongroom.services.inspector2.errors import bad_token
from strongroom.services.inspector2.model import coverage

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

_STRING: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "scanStatusCode": lambda c: c["scanStatus"]["statusCode"],
    "scanStatusReason": lambda c: c["scanStatus"]["reason"],
    "accountId": lambda c: c["accountId"],
    "resourceId": lambda c: c["resourceId"],
    "resourceType": lambda c: c["resourceType"],
    "scanType": lambda c: c["scanType"],
    "lambdaFunctionName": lambda c: c["resourceMetadata"]["lambdaFunction"].get("functionName"),
    "lambdaFunctionRuntime": lambda c: c["resourceMetadata"]["lambdaFunction"].get("runtime"),
    "cloudServerlessFunctionName": lambda c: c["resourceMetadata"]["lambdaFunction"].get("functionName"),
    "cloudServerlessFunctionRuntime": lambda c: c["resourceMetadata"]["lambdaFunction"].get("runtime"),
}
_TAGS = ("lambdaFunctionTags", "cloudServerlessFunctionTags")
_GROUPS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "SCAN_STATUS_CODE": lambda c: c["scanStatus"]["statusCode"],
    "SCAN_STATUS_REASON": lambda c: c["scanStatus"]["reason"],
    "ACCOUNT_ID": lambda c: c["accountId"],
    "RESOURCE_TYPE": lambda c: c["resourceType"],
}


def covered(row: Row[Any]) -> dict[str, Any]:
    meta = json.loads(row.metadata)
    return {
        "resourceType": row.resource_type,
        "resourceId": row.resource_id,
        "accountId": row.account_id,
        "scanType": row.scan_type,
        "scanStatus": {"statusCode": row.status_code, "reason": row.reason},
        "resourceMetadata": {"lambdaFunction": meta},
        "lastScannedAt": row.last_scanned_at,
    }


def _matches(item: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    for name, flts in wanted.items():
        if not flts:
            continue
        if name in _STRING:
            if not criteria.string_field(flts, [_STRING[name](item)]):
                return False
        elif name in _TAGS:
            tags = item["resourceMetadata"]["lambdaFunction"].get("functionTags") or {}
            if not any(f.get("key") in tags and ("value" not in f or tags[f["key"]] == f["value"]) for f in flts):
                return False
        elif name == "lastScannedAt":
            moment = item.get("lastScannedAt")
            ok = False
            for f in flts:
                start, end = criteria.as_datetime(f.get("startInclusive")), criteria.as_datetime(f.get("endInclusive"))
                ok = ok or (
                    moment is not None and (start is None or moment >= start) and (end is None or moment <= end)
                )
            if not ok:
                return False
        elif any(f.get("comparison") != "NOT_EQUALS" for f in flts):
            return False  # EC2 / ECR / code-repository fields: no such resources here
    return True


class CoverageOperations(InspectorBase):
    def covered_resources(self, ctx: RequestContext, wanted: Mapping[str, Any]) -> list[dict[str, Any]]:
        accounts = self.visible_accounts(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(coverage)
                .where(coverage.c.account_id.in_(accounts), coverage.c.region == ctx.region)
                .order_by(coverage.c.resource_id, coverage.c.scan_type)
            ).all()
        items = []
        for row in rows:
            item = covered(row)
            if _matches(item, wanted):
                items.append(item)
        return items

    def list_coverage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = self.covered_resources(ctx, request.get("filterCriteria") or {})
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        out: dict[str, Any] = {"coveredResources": page}
        if token:
            out["nextToken"] = token
        return out

    def list_coverage_statistics(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = self.covered_resources(ctx, request.get("filterCriteria") or {})
        out: dict[str, Any] = {"totalCounts": len(items)}
        group = request.get("groupBy")
        if group:
            key = _GROUPS.get(group)
            counts: dict[str, int] = {}
            if key is not None:
                for item in items:
                    value = str(key(item))
                    counts[value] = counts.get(value, 0) + 1
            groups = [{"groupKey": group, "count": n} for _v, n in sorted(counts.items())]
            page, token = pages.offset_page(groups, request.get("nextToken"), 50, bad_token)
            out["countsByGroup"] = page
            if token:
                out["nextToken"] = token
        return out
