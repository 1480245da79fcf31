"""Membership by invitation (accounts outside the administrator's organization), and the member's side.

The administrator adds an account with CreateMember (``Created``, members.py), then CreateInvitations makes it
``Invited`` and leaves an invitation for that account (``macie2_invitations``; no email is sent — Strongroom has no
mail, so ``disableEmailNotification`` and ``message`` change nothing). The invited account, once Macie is enabled in
it, lists (ListInvitations, GetInvitationsCount) and accepts (AcceptInvitation, or with the legacy
``masterAccount`` member) the invitation: its member row becomes ``Enabled``, and from then on the administrator's
jobs may read its buckets and its findings queries see the member's findings. An account has one administrator at a
time (ConflictException). DeclineInvitations leaves the invitation declined (no longer listed or counted; the
administrator's member row returns to ``Created``, to be invited again), DeleteInvitations removes invitations.

The member side: DisassociateFromAdministratorAccount (and the legacy DisassociateFromMasterAccount) ends an
association made by invitation (``Resigned``); an organization's member can't leave — its administrator removes it,
as on AWS. UpdateMemberSession: the administrator suspends (``PAUSED``) or re-enables a member's Macie.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.macie2.base import ASSOCIATED, MacieBase, hex_id, max_results
from strongroom.services.macie2.errors import conflict, validation
from strongroom.services.macie2.model import invitations, members, org_admins, sessions
from strongroom.services.organizations.effective import org_of_account

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DECLINED = "declined:"  # an invitation_id prefix marks a declined invitation (kept until DeleteInvitations)


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def _account_ids(request: dict[str, Any]) -> list[str]:
    ids = list(dict.fromkeys(request["accountIds"]))
    if not 1 <= len(ids) <= 50:
        raise validation("Specify 1-50 account ids.")
    return ids


def _unprocessed(account: str, message: str) -> dict[str, str]:
    return {"accountId": account, "errorCode": "ClientError", "errorMessage": message}


class InvitationOperations(MacieBase):
    # -- the administrator ------------------------------------------------------------------------------------

    def create_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        now = clock.now()
        unprocessed = []
        with self.runtime.store.write() as conn:
            for account in _account_ids(request):
                where = (
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id == account,
                )
                status = conn.execute(select(members.c.status).where(*where)).scalar()
                if status is None:
                    unprocessed.append(_unprocessed(account, "The account isn't a member: add it with CreateMember."))
                    continue
                if status in ASSOCIATED:
                    unprocessed.append(_unprocessed(account, "The account is already an associated member."))
                    continue
                conn.execute(update(members).where(*where).values(status="Invited", updated_at=now))
                conn.execute(
                    delete(invitations).where(
                        invitations.c.account_id == account,
                        invitations.c.region == ctx.region,
                        invitations.c.admin_account == ctx.account_id,
                    )
                )
                conn.execute(
                    invitations.insert().values(
                        account_id=account,
                        region=ctx.region,
                        admin_account=ctx.account_id,
                        invitation_id=hex_id(),
                        invited_at=now,
                    )
                )
        return {"unprocessedAccounts": unprocessed}

    def update_member_session(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        account, status = request["id"], request["status"]
        now = clock.now()
        with self.runtime.store.write() as conn:
            where = (
                members.c.admin_account == ctx.account_id,
                members.c.region == ctx.region,
                members.c.account_id == account,
            )
            row = self.one(select(members).where(*where), conn)
            if row.status not in ASSOCIATED:
                raise validation("The account isn't an associated member.")
            conn.execute(
                update(sessions)
                .where(sessions.c.account_id == account, sessions.c.region == ctx.region)
                .values(status=status, updated_at=now)
            )
            relationship = "Paused" if status == "PAUSED" else "Enabled"
            conn.execute(update(members).where(*where).values(status=relationship, updated_at=now))
        return {}

    # -- the invited account ----------------------------------------------------------------------------------

    def _pending(self, ctx: RequestContext) -> Any:
        return select(invitations).where(
            invitations.c.account_id == ctx.account_id,
            invitations.c.region == ctx.region,
            ~invitations.c.invitation_id.startswith(DECLINED),
        )

    def list_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        size = max_results(request)
        with self.runtime.store.read() as conn:
            rows = conn.execute(self._pending(ctx).order_by(invitations.c.invited_at, invitations.c.admin_account))
            items = [
                {
                    "accountId": r.admin_account,
                    "invitationId": r.invitation_id,
                    "invitedAt": r.invited_at,
                    "relationshipStatus": "Invited",
                }
                for r in rows
            ]
        page, token = pages.offset_page(items, request.get("nextToken"), size, _bad_token)
        return {"invitations": page, **({"nextToken": token} if token else {})}

    def get_invitations_count(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        query = select(func.count()).select_from(self._pending(ctx).subquery())
        with self.runtime.store.read() as conn:
            return {"invitationsCount": int(conn.execute(query).scalar() or 0)}

    def accept_invitation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        admin = request.get("administratorAccountId") or request.get("masterAccount")
        if not admin:
            raise validation("Specify the administratorAccountId of the account that sent the invitation.")
        now = clock.now()
        with self.runtime.store.write() as conn:
            self.one(
                self._pending(ctx).where(
                    invitations.c.admin_account == admin, invitations.c.invitation_id == request["invitationId"]
                ),
                conn,
                "The invitation doesn't exist.",
            )
            other = conn.execute(
                select(members.c.admin_account).where(
                    members.c.account_id == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.status.in_(ASSOCIATED),
                    members.c.admin_account != admin,
                )
            ).scalar()
            if other is not None:
                raise conflict("The account is already associated with another Macie administrator account.")
            conn.execute(
                update(members)
                .where(
                    members.c.admin_account == admin,
                    members.c.region == ctx.region,
                    members.c.account_id == ctx.account_id,
                )
                .values(status="Enabled", updated_at=now)
            )
            conn.execute(
                delete(invitations).where(
                    invitations.c.account_id == ctx.account_id,
                    invitations.c.region == ctx.region,
                    invitations.c.admin_account == admin,
                )
            )
        return {}

    def decline_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        unprocessed = []
        with self.runtime.store.write() as conn:
            for admin in _account_ids(request):
                row = conn.execute(self._pending(ctx).where(invitations.c.admin_account == admin)).first()
                if row is None:
                    unprocessed.append(_unprocessed(admin, "There's no invitation from this account."))
                    continue
                conn.execute(
                    update(invitations)
                    .where(
                        invitations.c.account_id == ctx.account_id,
                        invitations.c.region == ctx.region,
                        invitations.c.admin_account == admin,
                    )
                    .values(invitation_id=DECLINED + row.invitation_id[: 32 - len(DECLINED)])
                )
                _uninvited(conn, ctx, admin)
        return {"unprocessedAccounts": unprocessed}

    def delete_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        unprocessed = []
        with self.runtime.store.write() as conn:
            for admin in _account_ids(request):
                where = (
                    invitations.c.account_id == ctx.account_id,
                    invitations.c.region == ctx.region,
                    invitations.c.admin_account == admin,
                )
                if conn.execute(select(invitations.c.invitation_id).where(*where)).first() is None:
                    unprocessed.append(_unprocessed(admin, "There's no invitation from this account."))
                    continue
                conn.execute(delete(invitations).where(*where))
                _uninvited(conn, ctx, admin)
        return {"unprocessedAccounts": unprocessed}

    def disassociate_from_administrator_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.write() as conn:
            row = self.one(
                select(members).where(
                    members.c.account_id == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.status.in_(ASSOCIATED),
                ),
                conn,
                "The account isn't associated with a Macie administrator account.",
            )
            org = org_of_account(self.runtime.store, ctx.account_id)
            if org is not None:
                by_org = conn.execute(
                    select(org_admins.c.admin_account).where(
                        org_admins.c.org_id == org.org_id,
                        org_admins.c.region == ctx.region,
                        org_admins.c.admin_account == row.admin_account,
                    )
                ).first()
                if by_org is not None:
                    raise validation(
                        "An organization's member can't disassociate itself: its Macie administrator removes it."
                    )
            conn.execute(
                update(members)
                .where(
                    members.c.admin_account == row.admin_account,
                    members.c.region == ctx.region,
                    members.c.account_id == ctx.account_id,
                )
                .values(status="Resigned", updated_at=clock.now())
            )
        return {}

    def disassociate_from_master_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The legacy spelling of DisassociateFromAdministratorAccount."""
        return self.disassociate_from_administrator_account(ctx, request)


def _uninvited(conn: Any, ctx: RequestContext, admin: str) -> None:
    """The administrator's member record of this account goes back from Invited to Created (declined or deleted)."""
    conn.execute(
        update(members)
        .where(
            members.c.admin_account == admin,
            members.c.region == ctx.region,
            members.c.account_id == ctx.account_id,
            members.c.status == "Invited",
        )
        .values(status="Created", updated_at=clock.now())
    )
