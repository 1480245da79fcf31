"""Tags of detectors, filters, IP sets, threat-intel sets and publishing destinations (TagResource & co.)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from strongroom.services.guardduty.base import GuardDutyBase
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.model import destinations, detectors, filters, lists, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50
_ARN = re.compile(
    r"^arn:aws[a-z-]*:guardduty:([a-z0-9-]+):(\d{12}):detector/([0-9a-f]{32})"
    r"(?:/(filter|ipset|threatintelset|publishingDestination)/([^/]+))?$"
)


class TaggingOperations(GuardDutyBase):
    def _resource(self, ctx: RequestContext, arn: str) -> str:
        """``arn`` when it names an existing resource of the caller, else AWS's BadRequestException."""
        found = _ARN.match(arn)
        if found is None or found.group(2) != ctx.account_id:
            raise bad_request("The request is rejected because the input resourceArn is invalid.")
        region, _, detector_id, kind, name = found.groups()
        with self.runtime.store.read() as conn:
            exists = conn.execute(
                select(detectors.c.detector_id).where(
                    detectors.c.detector_id == detector_id,
                    detectors.c.account_id == ctx.account_id,
                    detectors.c.region == region,
                )
            ).first()
            if exists is not None and kind == "filter":
                exists = conn.execute(
                    select(filters.c.name).where(filters.c.detector_id == detector_id, filters.c.name == name)
                ).first()
            elif exists is not None and kind in ("ipset", "threatintelset"):
                exists = conn.execute(
                    select(lists.c.list_id).where(lists.c.detector_id == detector_id, lists.c.list_id == name)
                ).first()
            elif exists is not None and kind == "publishingDestination":
                exists = conn.execute(
                    select(destinations.c.destination_id).where(
                        destinations.c.detector_id == detector_id, destinations.c.destination_id == name
                    )
                ).first()
        if exists is None:
            raise bad_request("The request is rejected because the resource is not found.", "ResourceNotFound")
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(ctx, request["ResourceArn"])
        with self.runtime.store.write() as conn:
            self.write_tags(conn, arn, request["Tags"])
            count = conn.execute(select(func.count()).select_from(tags).where(tags.c.arn == arn)).scalar_one()
            if count > MAX_TAGS:
                raise bad_request(f"The request is rejected because the resource would have more than {MAX_TAGS} tags.")
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(ctx, request["ResourceArn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key.in_(request["TagKeys"])))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self.tags_of(self._resource(ctx, request["ResourceArn"]))}
