"""TagResource, UntagResource and GetTags on API Gateway ARNs (``arn:aws:apigateway:REGION::/restapis/ID``, its
``/stages/NAME``, ``/apikeys/ID``, ``/usageplans/ID``, ``/clientcertificates/ID``, ``/domainnames/NAME``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.services.apigateway.base import ApiGatewayBase
from strongroom.services.apigateway.errors import BadRequestException, NotFoundException
from strongroom.services.apigateway.model import (
    api_keys,
    client_certificates,
    domain_names,
    rest_apis,
    stages,
    tags,
    usage_plans,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

_ARN = re.compile(
    r"^arn:aws[a-z-]*:apigateway:(?P<region>[a-z0-9-]+)::/"
    r"(?:restapis/(?P<api>[a-z0-9]+)(?:/stages/(?P<stage>[^/]+))?|apikeys/(?P<key>[a-z0-9]+)"
    r"|usageplans/(?P<plan>[a-z0-9]+)|clientcertificates/(?P<cert>[a-z0-9]+)|domainnames/(?P<domain>[^/]+))$"
)
MAX_TAGS = 50


class TaggingOperations(ApiGatewayBase):
    def _resource(self, conn: Connection, ctx: RequestContext, arn: str) -> str:
        match = _ARN.match(arn)
        if match is None:
            raise BadRequestException(f"Invalid ARN specified in the request: {arn}")
        if match["region"] != ctx.region:
            raise NotFoundException("Invalid resource identifier specified")
        owner: str | None = None
        if match["api"]:
            owner = conn.execute(select(rest_apis.c.account_id).where(rest_apis.c.id == match["api"])).scalar()
            if owner == ctx.account_id and match["stage"]:
                found = conn.execute(
                    select(stages.c.name).where(stages.c.api_id == match["api"], stages.c.name == match["stage"])
                ).first()
                owner = owner if found is not None else None
        elif match["key"]:
            owner = conn.execute(select(api_keys.c.account_id).where(api_keys.c.id == match["key"])).scalar()
        elif match["plan"]:
            owner = conn.execute(select(usage_plans.c.account_id).where(usage_plans.c.id == match["plan"])).scalar()
        elif match["cert"]:
            owner = conn.execute(
                select(client_certificates.c.account_id).where(client_certificates.c.id == match["cert"])
            ).scalar()
        else:
            owner = conn.execute(
                select(domain_names.c.account_id).where(
                    domain_names.c.region == ctx.region, domain_names.c.name == match["domain"]
                )
            ).scalar()
        if owner != ctx.account_id:
            raise NotFoundException("Invalid resource identifier specified")
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.check_tags(request["tags"])
        with self.runtime.store.write() as conn:
            arn = self._resource(conn, ctx, request["resourceArn"])
            self.set_tags(conn, arn, request["tags"])
            if len(self.tags_of(conn, arn)) > MAX_TAGS:
                raise BadRequestException(f"A resource can have at most {MAX_TAGS} tags")
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            arn = self._resource(conn, ctx, request["resourceArn"])
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key.in_(list(request["tagKeys"]))))
        return {}

    def get_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            arn = self._resource(conn, ctx, request["resourceArn"])
            return {"tags": self.tags_of(conn, arn)}
