"""The Macie session: EnableMacie, GetMacieSession, UpdateMacieSession, DisableMacie.

Disabling Macie deletes the account's Macie resources in the Region — findings, jobs (their scheduled runs
cancelled), custom data identifiers, allow lists, filters, settings and its members — as AWS documents; suspending it
(``status: PAUSED``) keeps them and holds every job until it is enabled again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.core.clock import clock
from strongroom.services.macie2.base import DISCOVERY_JOB, MacieBase
from strongroom.services.macie2.buckets import INVENTORY_JOB
from strongroom.services.macie2.errors import conflict
from strongroom.services.macie2.model import (
    allow_lists,
    custom_identifiers,
    filters,
    findings,
    invitations,
    jobs,
    members,
    sessions,
    settings,
    tags,
    usage,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

JOB_KIND = "macie2-job"  # the scheduler's job kind for classification runs (jobs.py registers it)


def service_role(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/aws-service-role/macie.amazonaws.com/AWSServiceRoleForAmazonMacie"


class SessionOperations(MacieBase):
    def enable_macie(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        with self.runtime.store.write() as conn:
            existing = conn.execute(
                select(sessions).where(sessions.c.account_id == ctx.account_id, sessions.c.region == ctx.region)
            ).first()
            if existing is not None:
                raise conflict("Macie is already enabled.")
            conn.execute(
                sessions.insert().values(
                    account_id=ctx.account_id,
                    region=ctx.region,
                    status=request.get("status") or "ENABLED",
                    frequency=request.get("findingPublishingFrequency") or "SIX_HOURS",
                    created_at=now,
                    updated_at=now,
                )
            )
            # The bucket inventory's first pass (policy findings) runs now, then hourly (buckets.py).
            self.runtime.scheduler.schedule(INVENTORY_JOB, f"{ctx.account_id}:{ctx.region}", now, conn=conn)
        return {}

    def get_macie_session(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.session(ctx)
        return {
            "createdAt": row.created_at,
            "findingPublishingFrequency": row.frequency,
            "serviceRole": service_role(row.account_id),
            "status": row.status,
            "updatedAt": row.updated_at,
        }

    def update_macie_session(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            values: dict[str, Any] = {"updated_at": clock.now()}
            if request.get("status"):
                values["status"] = request["status"]
            if request.get("findingPublishingFrequency"):
                values["frequency"] = request["findingPublishingFrequency"]
            conn.execute(
                sessions.update()
                .where(sessions.c.account_id == ctx.account_id, sessions.c.region == ctx.region)
                .values(**values)
            )
        return {}

    def disable_macie(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            mine = {"account_id": ctx.account_id, "region": ctx.region}
            prefix = f"arn:aws:macie2:{ctx.region}:{ctx.account_id}:"
            for job_id in conn.execute(select(jobs.c.job_id).where(*(jobs.c[k] == v for k, v in mine.items()))):
                self.runtime.scheduler.cancel(JOB_KIND, job_id[0], conn=conn)
            self.runtime.scheduler.cancel(INVENTORY_JOB, f"{ctx.account_id}:{ctx.region}", conn=conn)
            self.runtime.scheduler.cancel(DISCOVERY_JOB, f"{ctx.account_id}:{ctx.region}", conn=conn)
            # usage: what this account classified; invitations: those it received (its pending membership offers).
            owned = (findings, jobs, custom_identifiers, allow_lists, filters, settings, sessions, usage, invitations)
            for table in owned:
                conn.execute(delete(table).where(*(table.c[k] == v for k, v in mine.items())))
            conn.execute(delete(tags).where(tags.c.arn.startswith(prefix, autoescape=True)))
            conn.execute(
                delete(members).where(members.c.admin_account == ctx.account_id, members.c.region == ctx.region)
            )
            conn.execute(
                delete(invitations).where(
                    invitations.c.admin_account == ctx.account_id, invitations.c.region == ctx.region
                )
            )
        return {}
