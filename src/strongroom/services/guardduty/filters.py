"""Filters (suppression rules): CreateFilter, GetFilter, UpdateFilter, DeleteFilter, ListFilters.

A filter with action ARCHIVE archives each new finding it matches on arrival (``base.ingest``); NOOP only saves the
criteria. Existing findings are left alone, as on AWS.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from strongroom.core.clock import clock
from strongroom.services.base import pages
from strongroom.services.guardduty import criteria
from strongroom.services.guardduty.base import GuardDutyBase
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.model import filters

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

MAX_FILTERS = 100  # AWS quota: filters per detector


def _arn(detector: Row[Any], name: str) -> str:
    return f"arn:aws:guardduty:{detector.region}:{detector.account_id}:detector/{detector.detector_id}/filter/{name}"


class FilterOperations(GuardDutyBase):
    def _filter(self, conn: Connection, detector_id: str, name: str) -> Row[Any]:
        row = conn.execute(select(filters).where(filters.c.detector_id == detector_id, filters.c.name == name)).first()
        if row is None:
            raise bad_request(
                f"The request is rejected because the input filterName {name} is not found.", "ResourceNotFound"
            )
        return row

    def _check_criteria(self, value: dict[str, Any]) -> str:
        criterion = value.get("Criterion") or {}
        if not criterion:
            raise bad_request("The request is rejected because the findingCriteria is empty.")
        criteria.check(criterion, self.finding_shape)
        return json.dumps(value)

    def create_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        text = self._check_criteria(request["FindingCriteria"])
        now = clock.now()
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            name = request["Name"]
            if conn.execute(
                select(filters.c.name).where(filters.c.detector_id == detector.detector_id, filters.c.name == name)
            ).first():
                raise bad_request(f"The request is rejected because a filter with the name {name} already exists.")
            count = conn.execute(
                select(func.count()).select_from(filters).where(filters.c.detector_id == detector.detector_id)
            ).scalar_one()
            if count >= MAX_FILTERS:
                raise bad_request("The request is rejected because the number of filters exceeds the limit.")
            conn.execute(
                filters.insert().values(
                    detector_id=detector.detector_id,
                    name=name,
                    description=request.get("Description"),
                    action=request.get("Action") or "NOOP",
                    rank=request.get("Rank") or count + 1,
                    criteria=text,
                    created_at=now,
                    updated_at=now,
                )
            )
            self.write_tags(conn, _arn(detector, name), request.get("Tags"))
        return {"Name": name}

    def get_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._filter(conn, detector.detector_id, request["FilterName"])
            tags = self.tags_of(_arn(detector, row.name), conn)
        return {
            "Name": row.name,
            **({"Description": row.description} if row.description else {}),
            "Action": row.action,
            "Rank": row.rank,
            "FindingCriteria": json.loads(row.criteria),
            "Tags": tags,
            "CreatedAt": row.created_at,
            "UpdatedAt": row.updated_at,
        }

    def update_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"updated_at": clock.now()}
        if "FindingCriteria" in request:
            values["criteria"] = self._check_criteria(request["FindingCriteria"])
        for member, column in (("Description", "description"), ("Action", "action"), ("Rank", "rank")):
            if member in request:
                values[column] = request[member]
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._filter(conn, detector.detector_id, request["FilterName"])
            conn.execute(
                filters.update()
                .where(filters.c.detector_id == detector.detector_id, filters.c.name == row.name)
                .values(**values)
            )
        return {"Name": row.name}

    def delete_filter(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._filter(conn, detector.detector_id, request["FilterName"])
            conn.execute(
                delete(filters).where(filters.c.detector_id == detector.detector_id, filters.c.name == row.name)
            )
            self.drop_tags(conn, _arn(detector, row.name), exact=True)
        return {}

    def list_filters(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            names = list(
                conn.execute(
                    select(filters.c.name).where(filters.c.detector_id == detector.detector_id).order_by(filters.c.rank)
                ).scalars()
            )
        page, token = pages.offset_page(names, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"FilterNames": page, **({"NextToken": token} if token else {})}
