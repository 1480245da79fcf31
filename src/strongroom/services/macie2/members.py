"""Administrator and member accounts through AWS Organizations.

The organization's management account names Macie's delegated administrator per Region
(EnableOrganizationAdminAccount, read in-process with ``organizations.effective``); that administrator adds
accounts of the organization as members (CreateMember: ``Enabled`` at once, Macie enabled for the member when it
was not, as AWS does for organization members), lists, removes and disassociates them. ``autoEnable``
(UpdateOrganizationConfiguration) is kept and answered, but accounts that join the organization are not added on
their own: the administrator adds them with CreateMember. An administrator's
classification jobs may name its members' buckets (read as Macie in the member's account) and its findings
queries see its members' findings.

Any other account (outside the administrator's organization, or when the caller is no delegated administrator) is
added by invitation (``invitations.py``): CreateMember answers it ``Created``; CreateInvitations makes it
``Invited``; the account's AcceptInvitation makes it ``Enabled``. UpdateMemberSession pauses (``Paused``) or
re-enables a member's Macie; a paused member stays associated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.macie2.base import ASSOCIATED, MacieBase
from strongroom.services.macie2.errors import conflict, not_found, validation
from strongroom.services.macie2.model import members, org_admins, sessions
from strongroom.services.organizations.effective import org_of_account

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def member_arn(region: str, admin: str, account: str) -> str:
    return f"arn:aws:macie2:{region}:{admin}:member/{account}"


class MemberOperations(MacieBase):
    def _management_org(self, ctx: RequestContext) -> str:
        org = org_of_account(self.runtime.store, ctx.account_id)
        if org is None or org.management != ctx.account_id:
            raise validation("The request failed because you must be the management account of an organization.")
        return str(org.org_id)

    def _admin_org(self, ctx: RequestContext, conn: Connection) -> Row[Any]:
        """The caller's row as its organization's delegated administrator in this Region, else AWS's error."""
        org = org_of_account(self.runtime.store, ctx.account_id)
        row = None
        if org is not None:
            row = conn.execute(
                select(org_admins).where(
                    org_admins.c.org_id == org.org_id,
                    org_admins.c.region == ctx.region,
                    org_admins.c.admin_account == ctx.account_id,
                )
            ).first()
        if row is None:
            raise validation("The request failed because the account isn't the Macie administrator account.")
        return row

    # -- the management account -------------------------------------------------------------------------------

    def enable_organization_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        admin = request["adminAccountId"]
        target = org_of_account(self.runtime.store, admin)
        if target is None or target.org_id != org_id:
            raise validation("The account isn't a member of the organization.")
        with self.runtime.store.write() as conn:
            current = conn.execute(
                select(org_admins).where(org_admins.c.org_id == org_id, org_admins.c.region == ctx.region)
            ).first()
            if current is not None:
                if current.admin_account == admin:
                    return {}
                raise conflict("The organization already has a delegated Macie administrator account.")
            conn.execute(
                org_admins.insert().values(org_id=org_id, region=ctx.region, admin_account=admin, auto_enable=False)
            )
        return {}

    def disable_organization_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        with self.runtime.store.write() as conn:
            where = (org_admins.c.org_id == org_id, org_admins.c.region == ctx.region)
            current = conn.execute(select(org_admins).where(*where)).first()
            if current is None or current.admin_account != request["adminAccountId"]:
                raise not_found("The account isn't the delegated Macie administrator account.")
            conn.execute(delete(org_admins).where(*where))
            conn.execute(
                delete(members).where(members.c.admin_account == current.admin_account, members.c.region == ctx.region)
            )
        return {}

    def list_organization_admin_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(org_admins).where(org_admins.c.org_id == org_id, org_admins.c.region == ctx.region)
            ).all()
        items = [{"accountId": r.admin_account, "status": "ENABLED"} for r in rows]
        page, token = pages.offset_page(items, request.get("nextToken"), request.get("maxResults") or 25, _bad_token)
        return {"adminAccounts": page, **({"nextToken": token} if token else {})}

    # -- the administrator ------------------------------------------------------------------------------------

    def describe_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            row = self._admin_org(ctx, conn)
        return {"autoEnable": bool(row.auto_enable), "maxAccountLimitReached": False}

    def update_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.write() as conn:
            row = self._admin_org(ctx, conn)
            conn.execute(
                org_admins.update()
                .where(org_admins.c.org_id == row.org_id, org_admins.c.region == row.region)
                .values(auto_enable=bool(request["autoEnable"]))
            )
        return {}

    def _admin_or_none(self, ctx: RequestContext, conn: Connection) -> Row[Any] | None:
        try:
            return self._admin_org(ctx, conn)
        except AwsError:
            return None

    def create_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        detail = request["account"]
        account = detail["accountId"]
        if account == ctx.account_id:
            raise validation("You can't add your own account as a member.")
        now = clock.now()
        with self.runtime.store.write() as conn:
            admin = self._admin_or_none(ctx, conn)
            member_org = org_of_account(self.runtime.store, account)
            in_org = admin is not None and member_org is not None and member_org.org_id == admin.org_id
            if not in_org and not detail.get("email"):
                raise validation("An email address is required to add an account by invitation.")
            other = conn.execute(
                select(members.c.admin_account).where(
                    members.c.account_id == account, members.c.region == ctx.region, members.c.status.in_(ASSOCIATED)
                )
            ).scalar()
            if other is not None and other != ctx.account_id:
                raise conflict("The account is already a member of another Macie administrator account.")
            current = conn.execute(
                select(members.c.status).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == account,
                )
            ).scalar()
            # By invitation: Created until invited; a member already associated or invited keeps its status.
            status = "Enabled" if in_org else (current if current in (*ASSOCIATED, "Invited") else "Created")
            conn.execute(
                delete(members).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == account,
                )
            )
            conn.execute(
                members.insert().values(
                    admin_account=ctx.account_id,
                    region=ctx.region,
                    account_id=account,
                    email=detail.get("email"),
                    status=status,
                    updated_at=now,
                )
            )
            has_session = conn.execute(
                select(sessions.c.account_id).where(sessions.c.account_id == account, sessions.c.region == ctx.region)
            ).first()
            if in_org and has_session is None:  # organization members get Macie enabled by their administrator
                conn.execute(
                    sessions.insert().values(
                        account_id=account,
                        region=ctx.region,
                        status="ENABLED",
                        frequency="SIX_HOURS",
                        created_at=now,
                        updated_at=now,
                    )
                )
            resource = member_arn(ctx.region, ctx.account_id, account)
            self.write_tags(conn, resource, request.get("tags"))
        return {"arn": resource}

    def _member(self, ctx: RequestContext, account: str, conn: Connection | None = None) -> Row[Any]:
        query = select(members).where(
            members.c.admin_account == ctx.account_id, members.c.region == ctx.region, members.c.account_id == account
        )
        return self.one(query, conn)

    def _view(self, row: Row[Any]) -> dict[str, Any]:
        resource = member_arn(row.region, row.admin_account, row.account_id)
        return {
            "accountId": row.account_id,
            "administratorAccountId": row.admin_account,
            "masterAccountId": row.admin_account,
            "arn": resource,
            "email": row.email,
            "relationshipStatus": row.status,
            "tags": self.tags_of(resource),
            "updatedAt": row.updated_at,
        }

    def get_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        return self._view(self._member(ctx, request["id"]))

    def list_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        query = select(members).where(members.c.admin_account == ctx.account_id, members.c.region == ctx.region)
        if (request.get("onlyAssociated") or "true").lower() != "false":
            query = query.where(members.c.status.in_(ASSOCIATED))
        with self.runtime.store.read() as conn:
            rows = conn.execute(query.order_by(members.c.account_id)).all()
        page, token = pages.offset_page(rows, request.get("nextToken"), request.get("maxResults") or 25, _bad_token)
        return {"members": [self._view(r) for r in page], **({"nextToken": token} if token else {})}

    def disassociate_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.write() as conn:
            row = self._member(ctx, request["id"], conn)
            conn.execute(
                members.update()
                .where(
                    members.c.admin_account == row.admin_account,
                    members.c.region == row.region,
                    members.c.account_id == row.account_id,
                )
                .values(status="Removed", updated_at=clock.now())
            )
        return {}

    def delete_member(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.write() as conn:
            row = self._member(ctx, request["id"], conn)
            conn.execute(
                delete(members).where(
                    members.c.admin_account == row.admin_account,
                    members.c.region == row.region,
                    members.c.account_id == row.account_id,
                )
            )
            self.drop_tags(conn, member_arn(row.region, row.admin_account, row.account_id))
        return {}

    # -- the member -------------------------------------------------------------------------------------------

    def get_administrator_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(members).where(
                    members.c.account_id == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.status.in_(ASSOCIATED),
                )
            ).first()
        if row is None:
            return {}
        return {"administrator": {"accountId": row.admin_account, "relationshipStatus": row.status}}

    def get_master_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The legacy spelling of GetAdministratorAccount."""
        out = self.get_administrator_account(ctx, request)
        return {"master": out["administrator"]} if out else {}
