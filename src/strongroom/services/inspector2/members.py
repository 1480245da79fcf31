"""The delegated administrator and its members, through AWS Organizations (read in-process with
``organizations.effective``, as GuardDuty does).

The organization's management account names the delegated administrator per Region (EnableDelegatedAdminAccount);
the administrator associates accounts of the organization as members (AssociateMember), enables and disables their
scanning (Enable / Disable with ``accountIds``), reads their status (BatchGetAccountStatus) and sees their coverage
and findings with its own. UpdateOrganizationConfiguration's ``autoEnable`` applies to accounts as they are
associated, as AWS applies it to accounts that join. Inspector has no invitations: membership is by organization.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from strongroom.core.clock import clock
from strongroom.services.base import pages
from strongroom.services.inspector2.base import SCAN_JOB, SCAN_TYPES, STATUS_MEMBERS, InspectorBase
from strongroom.services.inspector2.errors import access_denied, bad_token, conflict, not_found, validation
from strongroom.services.inspector2.model import members, org_admins
from strongroom.services.organizations.effective import org_of_account

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

_AUTO_DEFAULT = {"ec2": False, "ecr": False, "lambda": False, "lambdaCode": False, "codeRepository": False}
_NOT_MANAGEMENT = "Only the management account of an organization can perform this operation."
_NOT_ADMIN = "Only the delegated administrator of the organization can perform this operation."


class MemberOperations(InspectorBase):
    def _management_org(self, ctx: RequestContext) -> str:
        org = org_of_account(self.runtime.store, ctx.account_id)
        if org is None or org.management != ctx.account_id:
            raise access_denied(_NOT_MANAGEMENT)
        return str(org.org_id)

    def _admin_row(self, conn: Connection, org_id: str, region: str) -> Row[Any] | None:
        return conn.execute(
            select(org_admins).where(org_admins.c.org_id == org_id, org_admins.c.region == region)
        ).first()

    def _as_admin(self, conn: Connection, ctx: RequestContext) -> Row[Any]:
        org = org_of_account(self.runtime.store, ctx.account_id)
        row = self._admin_row(conn, org.org_id, ctx.region) if org is not None else None
        if row is None or row.admin_account != ctx.account_id:
            raise access_denied(_NOT_ADMIN)
        return row

    def enable_delegated_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        admin = request["delegatedAdminAccountId"]
        target = org_of_account(self.runtime.store, admin)
        if target is None or target.org_id != org_id:
            raise validation("The account is not a member of the organization.")
        with self.runtime.store.write() as conn:
            current = self._admin_row(conn, org_id, ctx.region)
            if current is not None and current.admin_account != admin:
                raise conflict(
                    "The organization already has a delegated administrator.", current.admin_account, "ACCOUNT"
                )
            if current is None:
                conn.execute(
                    org_admins.insert().values(
                        org_id=org_id,
                        region=ctx.region,
                        admin_account=admin,
                        auto_enable=json.dumps(_AUTO_DEFAULT),
                        updated_at=clock.now(),
                    )
                )
        return {"delegatedAdminAccountId": admin}

    def disable_delegated_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        admin = request["delegatedAdminAccountId"]
        with self.runtime.store.write() as conn:
            current = self._admin_row(conn, org_id, ctx.region)
            if current is None or current.admin_account != admin:
                raise not_found("The account is not the delegated administrator of the organization.")
            conn.execute(delete(org_admins).where(org_admins.c.org_id == org_id, org_admins.c.region == ctx.region))
            conn.execute(delete(members).where(members.c.admin_account == admin, members.c.region == ctx.region))
        return {"delegatedAdminAccountId": admin}

    def get_delegated_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        del request
        org = org_of_account(self.runtime.store, ctx.account_id)
        if org is None:
            raise access_denied("The account is not a member of an organization.")
        with self.runtime.store.read() as conn:
            row = self._admin_row(conn, org.org_id, ctx.region)
        if row is None:
            return {}
        return {"delegatedAdmin": {"accountId": row.admin_account, "relationshipStatus": "ENABLED"}}

    def list_delegated_admin_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(org_admins.c.admin_account).where(org_admins.c.org_id == org_id)).all()
        items = [{"accountId": a, "status": "ENABLED"} for a in sorted({r.admin_account for r in rows})]
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        return {"delegatedAdminAccounts": page, **({"nextToken": token} if token else {})}

    def associate_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account = request["accountId"]
        if account == ctx.account_id:
            raise validation("The delegated administrator cannot be its own member.")
        now = clock.now()
        with self.runtime.store.write() as conn:
            admin = self._as_admin(conn, ctx)
            target = org_of_account(self.runtime.store, account)
            if target is None or target.org_id != admin.org_id:
                raise validation("The account is not a member of the organization.")
            existing = conn.execute(
                select(members.c.admin_account).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == account,
                )
            ).first()
            if existing is None:
                conn.execute(
                    members.insert().values(
                        admin_account=ctx.account_id,
                        region=ctx.region,
                        account_id=account,
                        status="ENABLED",
                        updated_at=now,
                    )
                )
                auto = json.loads(admin.auto_enable or "{}")
                for kind, member in STATUS_MEMBERS.items():
                    if auto.get(member):
                        self.set_state(conn, account, ctx.region, kind, "ENABLED", now)
                if any(auto.get(STATUS_MEMBERS[kind]) for kind in SCAN_TYPES):
                    self.runtime.scheduler.schedule(SCAN_JOB, f"{account}:{ctx.region}", now, conn=conn)
        return {"accountId": account}

    def disassociate_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        account = request["accountId"]
        with self.runtime.store.write() as conn:
            self._as_admin(conn, ctx)
            done = conn.execute(
                delete(members).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == account,
                )
            )
            if done.rowcount == 0:
                raise validation("The account is not a member of the delegated administrator.")
        return {"accountId": account}

    def _member(self, row: Row[Any]) -> dict[str, Any]:
        return {
            "accountId": row.account_id,
            "relationshipStatus": row.status,
            "delegatedAdminAccountId": row.admin_account,
            "updatedAt": row.updated_at,
        }

    def get_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(members).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == request["accountId"],
                )
            ).first()
        if row is None:
            raise not_found("The member was not found.")
        return {"member": self._member(row)}

    def list_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(members)
                .where(members.c.admin_account == ctx.account_id, members.c.region == ctx.region)
                .order_by(members.c.account_id)
            ).all()
        items = [self._member(r) for r in rows]
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 50, bad_token)
        return {"members": page, **({"nextToken": token} if token else {})}

    def describe_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        del request
        with self.runtime.store.read() as conn:
            admin = self._as_admin(conn, ctx)
        return {
            "autoEnable": {**_AUTO_DEFAULT, **json.loads(admin.auto_enable or "{}")},
            "maxAccountLimitReached": False,
        }

    def update_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        auto = {**_AUTO_DEFAULT, **request["autoEnable"]}
        if auto.get("lambdaCode") and not auto.get("lambda"):
            raise validation("Lambda code scanning requires Lambda standard scanning to be enabled.")
        with self.runtime.store.write() as conn:
            admin = self._as_admin(conn, ctx)
            conn.execute(
                update(org_admins)
                .where(org_admins.c.org_id == admin.org_id, org_admins.c.region == ctx.region)
                .values(auto_enable=json.dumps(auto), updated_at=clock.now())
            )
        return {"autoEnable": auto}
