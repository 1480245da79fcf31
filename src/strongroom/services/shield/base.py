"""What every family of Shield operations shares: the subscription, protections, ARNs, tags, the traffic monitor."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from strongroom.core import context
from strongroom.core.clock import clock
from strongroom.services.base.family import ServiceBase
from strongroom.services.shield import errors
from strongroom.services.shield.model import protections, subscriptions, tags
from strongroom.services.shield.traffic import TrafficMonitor

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

Row = dict[str, Any]

STAGE_ARN = re.compile(r"^arn:aws:apigateway:([a-z0-9-]+)::/restapis/([A-Za-z0-9]+)/stages/([A-Za-z0-9_\-]+)$")
DOMAIN_ARN = re.compile(r"^arn:aws:apigateway:([a-z0-9-]+)::/domainnames/([A-Za-z0-9.\-*]+)$")
MAX_PROTECTIONS = 1000  # AWS: protected resources per account
SHIELD_REGION = "us-east-1"
COMMITMENT = timedelta(
    days=365
)  # a subscription's time commitment  # Shield Advanced's API and its ARNs are global (no Region in them)


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def domain_arn(region: str, domain: str) -> str:
    return f"arn:aws:apigateway:{region}::/domainnames/{domain}"


def resource_region(resource_arn: str) -> str:
    match = STAGE_ARN.match(resource_arn) or DOMAIN_ARN.match(resource_arn)
    return match.group(1) if match else SHIELD_REGION


class ShieldBase(ServiceBase):
    """Shared helpers of every Shield family."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.traffic = TrafficMonitor(runtime.store)
        super().__init__(runtime)

    def now(self) -> datetime:
        return clock.now()

    @staticmethod
    def shield_arn(account_id: str, resource: str) -> str:
        return f"arn:aws:shield::{account_id}:{resource}"

    def acting_as(self, account_id: str, region: str, operation: str) -> RequestContext:
        """A context for Shield's own calls to other services (WAF, API Gateway) as the account, invoked by
        Shield, the way AWS uses its service-linked role."""
        return context.service_context(self.runtime, "shield", operation, region, account_id)

    # -- what one family provides to the others -----------------------------------------------------------------

    def remove_mitigation(self, row: Row) -> None:
        raise NotImplementedError  # mitigation.py (MitigationOperations)

    # -- subscription ---------------------------------------------------------------------------------------------

    def subscription_row(self, account_id: str) -> Row | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(subscriptions).where(subscriptions.c.account_id == account_id)).one_or_none()
        if row is None:
            return None
        found = dict(row._mapping)
        now = self.now()
        if found["auto_renew"] == "ENABLED" and found["end_time"] <= now:
            # AutoRenew ENABLED: the subscription renews for another commitment period at each end, as AWS's does
            periods = (now - found["end_time"]) // COMMITMENT + 1
            found["start_time"] = found["end_time"] + (periods - 1) * COMMITMENT
            found["end_time"] += periods * COMMITMENT
        return found

    def subscribed(self, ctx: RequestContext) -> Row:
        """The caller's subscription; AWS answers ResourceNotFoundException without one."""
        row = self.subscription_row(ctx.account_id)
        if row is None or row["end_time"] <= self.now():
            raise errors.ResourceNotFoundException("The subscription does not exist.", resourceType="subscription")
        return row

    # -- protections ----------------------------------------------------------------------------------------------

    def protection_row(
        self, ctx: RequestContext, *, protection_id: str | None = None, resource_arn: str | None = None
    ) -> Row:
        query = select(protections).where(protections.c.account_id == ctx.account_id)
        if protection_id is not None:
            query = query.where(protections.c.id == protection_id)
        else:
            query = query.where(protections.c.resource_arn == resource_arn)
        with self.runtime.store.read() as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            raise errors.ResourceNotFoundException(
                "The referenced protection does not exist.", resourceType="protection"
            )
        return dict(row._mapping)

    def account_protections(self, account_id: str) -> list[Row]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(protections).where(protections.c.account_id == account_id).order_by(protections.c.id)
            ).all()
        return [dict(r._mapping) for r in rows]

    @staticmethod
    def auto_response(row: Mapping[str, Any]) -> dict[str, Any] | None:
        raw = row.get("auto_response")
        return None if not raw else dict(json.loads(raw))

    @classmethod
    def protection_shape(cls, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Id": row["id"],
            "Name": row["name"],
            "ResourceArn": row["resource_arn"],
            "HealthCheckIds": json.loads(row["health_checks"]),
            "ProtectionArn": row["arn"],
        }
        config = cls.auto_response(row)
        if config is not None:
            out["ApplicationLayerAutomaticResponseConfiguration"] = {
                "Status": config["Status"],
                "Action": config["Action"],
            }
        return out

    # -- tags -------------------------------------------------------------------------------------------------------

    @staticmethod
    def write_tags(conn: Connection, arn: str, items: list[Mapping[str, Any]]) -> None:
        for tag in items:
            if str(tag.get("Key", "")).lower().startswith("aws:"):
                raise errors.InvalidParameterException("Tag keys starting with 'aws:' are reserved.", reason="OTHER")
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key == tag["Key"]))
            conn.execute(tags.insert().values(arn=arn, key=tag["Key"], value=tag.get("Value", "")))
        if len(conn.execute(select(tags.c.key).where(tags.c.arn == arn)).all()) > 200:
            raise errors.LimitsExceededException("A resource can have at most 200 tags.", Type="TAGS", Limit=200)
