"""AssociateWebACL / DisassociateWebACL / GetWebACLForResource / ListResourcesForWebACL.

Strongroom protects API Gateway REST API stages (``arn:aws:apigateway:REGION::/restapis/ID/stages/NAME``); the
stage must exist, which this service asks API Gateway through ``ctx.call`` (as the account, invoked by WAF, the way
AWS checks with its service role: the caller's own permission is ``apigateway:SetWebACL``, see access.py). The
other resource types AWS WAF protects (ALB, AppSync, Cognito, App Runner, Verified Access) are recognised and
answered WAFUnavailableEntityException: Strongroom has none of them. CloudFront distributions name their web ACL
in the distribution, never through AssociateWebACL (AWS: WAFInvalidParameterException). One web ACL per resource.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core import context
from strongroom.core.errors import AwsError
from strongroom.services.wafv2 import errors
from strongroom.services.wafv2.base import WafBase
from strongroom.services.wafv2.model import associations, logging_configs, rate_keys, samples

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

STAGE_ARN = re.compile(r"^arn:aws:apigateway:([a-z0-9-]+)::/restapis/([A-Za-z0-9]+)/stages/([A-Za-z0-9_\-]+)$")
# Resource types AWS WAF protects that Strongroom does not host: ARN service -> ListResourcesForWebACL type.
_OTHER_TYPES = {
    "elasticloadbalancing": "APPLICATION_LOAD_BALANCER",
    "appsync": "APPSYNC",
    "cognito-idp": "COGNITO_USER_POOL",
    "apprunner": "APP_RUNNER_SERVICE",
    "ec2": "VERIFIED_ACCESS_INSTANCE",
    "amplify": "AMPLIFY",
}


class AssociationOperations(WafBase):
    def stage_exists(self, ctx: RequestContext, resource_arn: str) -> None:
        """The stage ``resource_arn`` names exists in the caller's account and region, else AWS's error."""
        match = STAGE_ARN.match(resource_arn)
        if match is None:
            service = resource_arn.split(":")[2] if resource_arn.count(":") >= 5 else ""
            if service in _OTHER_TYPES:
                raise errors.unavailable()
            raise errors.invalid("RESOURCE_ARN", resource_arn, errors.BAD_REFERENCE)
        region, api_id, stage = match.groups()
        if region != ctx.region:
            raise errors.invalid("RESOURCE_ARN", resource_arn, "The resource is in another Region.")
        service_ctx = context.service_context(self.runtime, "wafv2", ctx.operation, ctx.region, ctx.account_id)
        try:
            service_ctx.call("apigateway", "GetStage", {"restApiId": api_id, "stageName": stage})
        except AwsError as exc:
            if exc.code == "NotFoundException":
                raise errors.nonexistent() from None
            raise

    def associate_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acl = self.own_by_arn(ctx, request["WebACLArn"], ("webacl",))
        resource = str(request["ResourceArn"])
        if acl["scope"] != "REGIONAL":
            raise errors.invalid("RESOURCE_ARN", resource, "A CloudFront web ACL is associated in the distribution.")
        self.stage_exists(ctx, resource)
        with self.runtime.store.write() as conn:
            conn.execute(delete(associations).where(associations.c.resource_arn == resource))
            conn.execute(
                associations.insert().values(resource_arn=resource, web_acl_arn=acl["arn"], created_at=self.now())
            )
        return {}

    def disassociate_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        resource = str(request["ResourceArn"])
        with self.runtime.store.read() as conn:
            found = conn.execute(
                select(associations.c.web_acl_arn).where(associations.c.resource_arn == resource)
            ).scalar_one_or_none()
        if found is None:
            self.stage_exists(ctx, resource)  # AWS: an unassociated existing resource is a success
            return {}
        with self.runtime.store.write() as conn:
            conn.execute(delete(associations).where(associations.c.resource_arn == resource))
        return {}

    def get_web_acl_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        resource = str(request["ResourceArn"])
        with self.runtime.store.read() as conn:
            found = conn.execute(
                select(associations.c.web_acl_arn).where(associations.c.resource_arn == resource)
            ).scalar_one_or_none()
        if found is None:
            self.stage_exists(ctx, resource)
            return {}
        row = self.by_arn(found)
        if row is None:
            return {}
        return {"WebACL": self.web_acl_shape(row)}

    def list_resources_for_web_acl(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        acl = self.own_by_arn(ctx, request["WebACLArn"], ("webacl",))
        # AWS: without a ResourceType the call lists Application Load Balancers.
        kind = request.get("ResourceType") or "APPLICATION_LOAD_BALANCER"
        arns = [a for a in self.associated_resources(acl["arn"]) if kind == "API_GATEWAY" and STAGE_ARN.match(a)]
        return {"ResourceArns": arns}

    def associated_resources(self, web_acl_arn: str) -> list[str]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(associations.c.resource_arn)
                .where(associations.c.web_acl_arn == web_acl_arn)
                .order_by(associations.c.resource_arn)
            ).all()
        return [r.resource_arn for r in rows]

    def drop_web_acl_state(self, web_acl_arn: str) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(delete(logging_configs).where(logging_configs.c.web_acl_arn == web_acl_arn))
            conn.execute(delete(samples).where(samples.c.web_acl_arn == web_acl_arn))
            conn.execute(delete(rate_keys).where(rate_keys.c.web_acl_arn == web_acl_arn))
