"""Tags of custom data identifiers, allow lists, classification jobs and findings filters (TagResource & co.)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from strongroom.services.macie2.base import MacieBase
from strongroom.services.macie2.errors import not_found, validation
from strongroom.services.macie2.model import allow_lists, custom_identifiers, filters, jobs, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TAGS = 50
_ARN = re.compile(
    r"^arn:aws[a-z-]*:macie2:([a-z0-9-]+):(\d{12}):"
    r"(custom-data-identifier|allow-list|classification-job|findings-filter)/([A-Za-z0-9-]+)$"
)
_TABLES = {
    "custom-data-identifier": (custom_identifiers, "identifier_id"),
    "allow-list": (allow_lists, "list_id"),
    "classification-job": (jobs, "job_id"),
    "findings-filter": (filters, "filter_id"),
}


class TaggingOperations(MacieBase):
    def _resource(self, ctx: RequestContext, resource_arn: str) -> str:
        found = _ARN.match(resource_arn)
        if found is None:
            raise validation("The resourceArn isn't valid.")
        region, account_id, kind, resource_id = found.groups()
        if account_id != ctx.account_id or region != ctx.region:
            raise not_found()
        table, column = _TABLES[kind]
        self.one(select(table.c[column]).where(table.c[column] == resource_id, table.c.account_id == account_id))
        return resource_arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        resource = self._resource(ctx, request["resourceArn"])
        with self.runtime.store.write() as conn:
            self.write_tags(conn, resource, request["tags"])
            count = conn.execute(select(func.count()).select_from(tags).where(tags.c.arn == resource)).scalar_one()
            if count > MAX_TAGS:
                raise validation(f"A resource can have as many as {MAX_TAGS} tags.")
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        resource = self._resource(ctx, request["resourceArn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.arn == resource, tags.c.key.in_(request["tagKeys"])))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        return {"tags": self.tags_of(self._resource(ctx, request["resourceArn"]))}
