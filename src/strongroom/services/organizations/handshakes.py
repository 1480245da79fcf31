"""Invitations: InviteAccountToOrganization, Accept/Decline/CancelHandshake, DescribeHandshake, the two lists.

Only an existing Strongroom account invited by its id (Target Type ACCOUNT) can join; an invitation stays OPEN
for 15 days, as AWS's. The invited account accepts or declines; the management account cancels.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select, update

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import (
    DENIED,
    Org,
    OrganizationsBase,
    attach_defaults,
    org_of_account,
    page,
)
from strongroom.services.organizations.errors import (
    AccessDeniedException,
    AccountNotFoundException,
    DuplicateHandshakeException,
    HandshakeAlreadyInStateException,
    HandshakeConstraintViolationException,
    HandshakeNotFoundException,
    InvalidHandshakeTransitionException,
    InvalidInputException,
)
from strongroom.services.organizations.organization import account_email
from strongroom.services.organizations.tagging import check_tags, write_tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

EXPIRY = timedelta(days=15)
NOT_FOUND = "We can't find a handshake with the HandshakeId that you specified."


def state_of(row: Any, now: datetime) -> str:
    """An OPEN handshake past its expiry reads as EXPIRED (nothing rewrites the row)."""
    return "EXPIRED" if row.state == "OPEN" and row.expires_at <= now else str(row.state)


def handshake_wire(org: Org, row: Any, now: datetime) -> dict[str, Any]:
    org_resources = [
        {"Type": "MASTER_EMAIL", "Value": account_email(org.management)},
        {"Type": "MASTER_NAME", "Value": org.management},
        # AWS's documented handshake says FULL for an organization with all features
        {"Type": "ORGANIZATION_FEATURE_SET", "Value": "FULL" if org.feature_set == "ALL" else org.feature_set},
    ]
    resources: list[dict[str, Any]] = [
        {"Type": "ORGANIZATION", "Value": org.org_id, "Resources": org_resources},
        {"Type": "ACCOUNT", "Value": row.target_account_id},
    ]
    if row.notes:
        resources.append({"Type": "NOTES", "Value": row.notes})
    return {
        "Id": row.handshake_id,
        "Arn": names.handshake_arn(org.management, org.org_id, row.handshake_id),
        "Parties": [
            {"Id": org.org_id, "Type": "ORGANIZATION"},
            {"Id": row.target_account_id, "Type": "ACCOUNT"},
        ],
        "State": state_of(row, now),
        "RequestedTimestamp": row.requested_at,
        "ExpirationTimestamp": row.expires_at,
        "Action": row.action,
        "Resources": resources,
    }


class HandshakeOperations(OrganizationsBase):
    def _org_by_id(self, conn: Connection, org_id: str) -> Org:
        row = conn.execute(select(model.organizations).where(model.organizations.c.org_id == org_id)).one()
        return Org(row.org_id, row.management_account_id, row.root_id, row.feature_set, row.created_at)

    def _handshake(self, conn: Connection, ctx: RequestContext, handshake_id: str) -> tuple[Org, Any]:
        """The handshake and its organization, when the caller is one of its parties."""
        row = conn.execute(select(model.handshakes).where(model.handshakes.c.handshake_id == handshake_id)).first()
        if row is None:
            raise HandshakeNotFoundException(NOT_FOUND)
        org = self._org_by_id(conn, row.org_id)
        if ctx.account_id not in (org.management, row.target_account_id):
            raise HandshakeNotFoundException(NOT_FOUND)
        return org, row

    def invite_account_to_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        target = request["Target"]
        if target["Type"] != "ACCOUNT":
            raise InvalidInputException(
                "You provided a value that is not valid for the party type of the target: only ACCOUNT is supported.",
                Reason="INVALID_PARTY_TYPE_TARGET",
            )
        account_id = target["Id"]
        if not names.ACCOUNT_ID.match(account_id) or not self.runtime.accounts.account_exists(account_id):
            raise AccountNotFoundException("You specified an account that doesn't exist.")
        check_tags(request.get("Tags") or [])
        now = ctx.now()
        with self.runtime.store.write() as conn:
            if org_of_account(conn, account_id) is not None:
                raise HandshakeConstraintViolationException(
                    "The account is already a member of an organization.", Reason="ALREADY_IN_AN_ORGANIZATION"
                )
            h = model.handshakes.c
            open_one = conn.execute(
                select(h.handshake_id).where(
                    h.org_id == org.org_id, h.target_account_id == account_id, h.state == "OPEN", h.expires_at > now
                )
            ).first()
            if open_one is not None:
                raise DuplicateHandshakeException("A handshake with the same action and target already exists.")
            handshake_id = names.new_handshake_id()
            conn.execute(
                model.handshakes.insert().values(
                    handshake_id=handshake_id,
                    org_id=org.org_id,
                    target_account_id=account_id,
                    action="INVITE",
                    state="OPEN",
                    notes=request.get("Notes"),
                    requested_at=now,
                    expires_at=now + EXPIRY,
                )
            )
            write_tags(conn, org, handshake_id, request.get("Tags") or [])
            row = conn.execute(select(model.handshakes).where(h.handshake_id == handshake_id)).one()
            return {"Handshake": handshake_wire(org, row, ctx.now())}

    def _transition(self, ctx: RequestContext, handshake_id: str, state: str, *, by_target: bool) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            org, row = self._handshake(conn, ctx, handshake_id)
            is_target = ctx.account_id == row.target_account_id
            if is_target != by_target:
                raise AccessDeniedException(DENIED)
            current = state_of(row, ctx.now())
            if current == state:
                raise HandshakeAlreadyInStateException("The specified handshake is already in the requested state.")
            if current != "OPEN":
                raise InvalidHandshakeTransitionException(
                    "You can't perform the operation on the handshake in its current state."
                )
            if state == "ACCEPTED":
                if org_of_account(conn, row.target_account_id) is not None:
                    raise HandshakeConstraintViolationException(
                        "The account is already a member of an organization.", Reason="ALREADY_IN_AN_ORGANIZATION"
                    )
                now = ctx.now()
                conn.execute(
                    model.members.insert().values(
                        account_id=row.target_account_id,
                        org_id=org.org_id,
                        parent_id=org.root_id,
                        name=row.target_account_id,
                        email=account_email(row.target_account_id),
                        joined_method="INVITED",
                        joined_at=now,
                    )
                )
                attach_defaults(conn, org, row.target_account_id, now)
            conn.execute(
                update(model.handshakes).where(model.handshakes.c.handshake_id == handshake_id).values(state=state)
            )
            row = conn.execute(select(model.handshakes).where(model.handshakes.c.handshake_id == handshake_id)).one()
            return {"Handshake": handshake_wire(org, row, ctx.now())}

    def accept_handshake(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._transition(ctx, request["HandshakeId"], "ACCEPTED", by_target=True)

    def decline_handshake(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._transition(ctx, request["HandshakeId"], "DECLINED", by_target=True)

    def cancel_handshake(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._transition(ctx, request["HandshakeId"], "CANCELED", by_target=False)

    def describe_handshake(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            org, row = self._handshake(conn, ctx, request["HandshakeId"])
            return {"Handshake": handshake_wire(org, row, ctx.now())}

    def list_handshakes_for_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.handshakes)
                .where(model.handshakes.c.target_account_id == ctx.account_id)
                .order_by(model.handshakes.c.requested_at)
            ).all()
            out = [handshake_wire(self._org_by_id(conn, r.org_id), r, ctx.now()) for r in rows]
        return self._filtered(out, request)

    def list_handshakes_for_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.handshakes)
                .where(model.handshakes.c.org_id == org.org_id)
                .order_by(model.handshakes.c.requested_at)
            ).all()
        return self._filtered([handshake_wire(org, r, ctx.now()) for r in rows], request)

    @staticmethod
    def _filtered(items: list[dict[str, Any]], request: dict[str, Any]) -> dict[str, Any]:
        action = (request.get("Filter") or {}).get("ActionType")
        if action:
            items = [h for h in items if h["Action"] == action]
        got, token = page(items, request)
        return {"Handshakes": got, **token}
