"""CreateProtection / DescribeProtection / ListProtections / DeleteProtection, health check associations.

Strongroom hosts API Gateway, so a protection names an API Gateway REST API stage
(``arn:aws:apigateway:REGION::/restapis/ID/stages/NAME``) or custom domain name
(``arn:aws:apigateway:REGION::/domainnames/NAME``). The resource must exist in the caller's account: Shield asks
API Gateway through ``ctx.call`` (GetStage / GetDomainName as the account, invoked by Shield), the way WAF's
AssociateWebACL checks stages. Anything else (another service's ARN, a malformed one, a resource that does not
exist or belongs to another account) is InvalidResourceException, as AWS answers a resource it cannot protect.
Health checks are stored by id (Route 53 is not hosted here); AWS allows one per protection.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from strongroom.core import ids
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.shield import errors
from strongroom.services.shield.base import DOMAIN_ARN, MAX_PROTECTIONS, STAGE_ARN, ShieldBase
from strongroom.services.shield.model import attacks, detectors, protections, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_PAGE = 20
_HEALTH_CHECK = "arn:aws:route53:::healthcheck/"


def bad_token() -> AwsError:
    return errors.InvalidPaginationTokenException("The pagination token is not valid.")


class ProtectionOperations(ShieldBase):
    def resource_exists(self, ctx: RequestContext, resource_arn: str) -> None:
        stage = STAGE_ARN.match(resource_arn)
        domain = DOMAIN_ARN.match(resource_arn)
        if stage is not None:
            region = stage.group(1)
            operation, params = "GetStage", {"restApiId": stage.group(2), "stageName": stage.group(3)}
        elif domain is not None:
            region = domain.group(1)
            operation, params = "GetDomainName", {"domainName": domain.group(2)}
        else:
            raise errors.InvalidResourceException("The resource type is not supported.")
        try:
            self.acting_as(ctx.account_id, region, ctx.operation).call("apigateway", operation, params)
        except AwsError as exc:
            if exc.code in ("NotFoundException", "BadRequestException"):
                raise errors.InvalidResourceException("Unable to find the resource: " + resource_arn) from None
            raise

    def create_protection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        resource = str(request["ResourceArn"])
        self.resource_exists(ctx, resource)
        protection_id = ids.uuid4()
        arn = self.shield_arn(ctx.account_id, f"protection/{protection_id}")
        with self.runtime.store.write() as conn:
            found = conn.execute(
                select(protections.c.id).where(
                    protections.c.account_id == ctx.account_id, protections.c.resource_arn == resource
                )
            ).one_or_none()
            if found is not None:
                raise errors.ResourceAlreadyExistsException(
                    "The referenced protection already exists.", resourceType="protection"
                )
            count = conn.execute(
                select(func.count()).select_from(protections).where(protections.c.account_id == ctx.account_id)
            ).scalar_one()
            if count >= MAX_PROTECTIONS:
                raise errors.LimitsExceededException(
                    "You have reached the protection limit.", Type="PROTECTIONS", Limit=MAX_PROTECTIONS
                )
            conn.execute(
                protections.insert().values(
                    id=protection_id,
                    account_id=ctx.account_id,
                    name=request["Name"],
                    resource_arn=resource,
                    arn=arn,
                    health_checks="[]",
                    auto_response=None,
                    created_at=self.now(),
                )
            )
            if request.get("Tags"):
                self.write_tags(conn, arn, request["Tags"])
        return {"ProtectionId": protection_id}

    def describe_protection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        by_id, by_arn = request.get("ProtectionId"), request.get("ResourceArn")
        if (by_id is None) == (by_arn is None):
            raise errors.InvalidParameterException(
                "Exactly one of ProtectionId or ResourceArn is required.", reason="OTHER"
            )
        row = self.protection_row(ctx, protection_id=by_id, resource_arn=by_arn)
        return {"Protection": self.protection_shape(row)}

    def list_protections(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        rows = self.account_protections(ctx.account_id)
        filters = request.get("InclusionFilters") or {}
        if filters.get("ProtectionNames"):
            rows = [r for r in rows if r["name"] in filters["ProtectionNames"]]
        if filters.get("ResourceArns"):
            rows = [r for r in rows if r["resource_arn"] in filters["ResourceArns"]]
        if filters.get("ResourceTypes"):
            rows = []  # API Gateway is none of the ProtectedResourceType values
        page, token = pages.after_page(
            rows, request.get("NextToken"), int(request.get("MaxResults") or DEFAULT_PAGE), lambda r: r["id"], bad_token
        )
        out: dict[str, Any] = {"Protections": [self.protection_shape(r) for r in page]}
        if token:
            out["NextToken"] = token
        return out

    def delete_protection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        row = self.protection_row(ctx, protection_id=request["ProtectionId"])
        config = self.auto_response(row)
        if config is not None and config.get("Status") == "ENABLED":
            self.remove_mitigation(row)  # AWS takes its rule group out of the web ACL with the protection
        with self.runtime.store.write() as conn:
            ongoing = conn.execute(
                select(detectors.c.attack_id).where(detectors.c.resource_arn == row["resource_arn"])
            ).scalar_one_or_none()
            if ongoing is not None:  # nothing watches the resource any more: its attack ends with the protection
                conn.execute(update(attacks).where(attacks.c.id == ongoing).values(end_time=self.now()))
            conn.execute(delete(protections).where(protections.c.id == row["id"]))
            conn.execute(delete(tags).where(tags.c.arn == row["arn"]))
            conn.execute(delete(detectors).where(detectors.c.resource_arn == row["resource_arn"]))
        return {}

    # -- health checks ------------------------------------------------------------------------------------------

    @staticmethod
    def _health_check_id(arn: str) -> str:
        if not arn.startswith(_HEALTH_CHECK) or not arn[len(_HEALTH_CHECK) :]:
            raise errors.InvalidResourceException("The health check ARN is not valid.")
        return arn[len(_HEALTH_CHECK) :]

    def associate_health_check(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        check = self._health_check_id(str(request["HealthCheckArn"]))
        row = self.protection_row(ctx, protection_id=request["ProtectionId"])
        current = list(json.loads(row["health_checks"]))
        if check in current:
            return {}
        if current:
            raise errors.LimitsExceededException(
                "A protection can have one health check.", Type="HEALTH_CHECKS", Limit=1
            )
        with self.runtime.store.write() as conn:
            conn.execute(
                update(protections).where(protections.c.id == row["id"]).values(health_checks=json.dumps([check]))
            )
        return {}

    def disassociate_health_check(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        check = self._health_check_id(str(request["HealthCheckArn"]))
        row = self.protection_row(ctx, protection_id=request["ProtectionId"])
        current = [c for c in json.loads(row["health_checks"]) if c != check]
        with self.runtime.store.write() as conn:
            conn.execute(
                update(protections).where(protections.c.id == row["id"]).values(health_checks=json.dumps(current))
            )
        return {}
