"""Administrator and member accounts, by invitation or through AWS Organizations.

By invitation: the administrator's CreateMembers (``Created``), InviteMembers (``Invited``; the member sees it in
ListInvitations / GetInvitationsCount), the member's AcceptAdministratorInvitation (``Enabled``) or
DeclineInvitations / DeleteInvitations, and either side ending it (DisassociateMembers / DeleteMembers;
DisassociateFromAdministratorAccount, ``Resigned``). The legacy "master" spellings answer the same.

Through Organizations (read in-process with ``organizations.effective``): the management account's
EnableOrganizationAdminAccount names the delegated administrator (an account of its organization) per Region;
that administrator's UpdateOrganizationConfiguration sets auto-enable — ``ALL`` enables GuardDuty (a detector and
an ``Enabled`` membership) for every account of the organization at once, ``NEW`` for each account as it is first
seen by the live detector (``live.py``), as AWS enables accounts that join.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, and_, delete, select, update

from strongroom.core.clock import clock
from strongroom.detection.findings import iso
from strongroom.services.base import pages
from strongroom.services.guardduty.base import GuardDutyBase, new_id
from strongroom.services.guardduty.errors import bad_request
from strongroom.services.guardduty.model import detectors, members, org_admins
from strongroom.services.organizations.effective import org_accounts, org_of_account

if TYPE_CHECKING:
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

ASSOCIATED = ("Invited", "Enabled")


def _unprocessed(account_id: str, result: str) -> dict[str, str]:
    return {"AccountId": account_id, "Result": result}


class MemberOperations(GuardDutyBase):
    def _member_view(self, conn: Connection, row: Row[Any]) -> dict[str, Any]:
        detector_id = conn.execute(
            select(detectors.c.detector_id).where(
                detectors.c.account_id == row.account_id, detectors.c.region == row.region
            )
        ).scalar()
        return {
            "AccountId": row.account_id,
            **({"DetectorId": detector_id} if detector_id else {}),
            "MasterId": row.admin_account,
            "AdministratorId": row.admin_account,
            "Email": row.email or "",
            "RelationshipStatus": row.status,
            **({"InvitedAt": iso(row.invited_at)} if row.invited_at else {}),
            "UpdatedAt": iso(row.updated_at),
        }

    def _admin_of(self, conn: Connection, account_id: str, region: str) -> Row[Any] | None:
        return conn.execute(
            select(members).where(
                members.c.account_id == account_id, members.c.region == region, members.c.status.in_(ASSOCIATED)
            )
        ).first()

    # -- the administrator's side ----------------------------------------------------------------------------

    def create_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        unprocessed: list[dict[str, str]] = []
        now = clock.now()
        org = org_of_account(self.runtime.store, ctx.account_id)
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            delegated = org is not None and self._org_admin_row(conn, org.org_id, ctx.region, ctx.account_id)
            for item in request["AccountDetails"]:
                account = item["AccountId"]
                if account == ctx.account_id:
                    unprocessed.append(
                        _unprocessed(
                            account, "The request is rejected because the current account cannot be its own member."
                        )
                    )
                    continue
                other = self._admin_of(conn, account, ctx.region)
                if other is not None and other.admin_account != ctx.account_id:
                    unprocessed.append(
                        _unprocessed(
                            account,
                            "The request is rejected because the account is already a member of another "
                            "administrator account.",
                        )
                    )
                    continue
                in_org = False
                if delegated and org is not None:
                    member_org = org_of_account(self.runtime.store, account)
                    in_org = member_org is not None and member_org.org_id == org.org_id
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
                        admin_detector_id=detector.detector_id,
                        email=item.get("Email"),
                        status="Enabled" if in_org else "Created",
                        invitation_id=None,
                        invited_at=None,
                        updated_at=now,
                        by_organization=in_org,
                    )
                )
        return {"UnprocessedAccounts": unprocessed}

    def _mine(
        self, conn: Connection, ctx: RequestContext, accounts: list[str]
    ) -> tuple[dict[str, Row[Any]], list[dict[str, str]]]:
        rows = {
            r.account_id: r
            for r in conn.execute(
                select(members).where(
                    members.c.admin_account == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.account_id.in_(accounts),
                )
            )
        }
        missing = [
            _unprocessed(
                a, "The request is rejected because the input account ID is not associated with the current account."
            )
            for a in accounts
            if a not in rows
        ]
        return rows, missing

    def invite_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        with self.runtime.store.write() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            rows, unprocessed = self._mine(conn, ctx, request["AccountIds"])
            for account, row in rows.items():
                if row.status == "Enabled":
                    continue
                conn.execute(
                    update(members)
                    .where(
                        members.c.admin_account == ctx.account_id,
                        members.c.region == ctx.region,
                        members.c.account_id == account,
                    )
                    .values(status="Invited", invitation_id=new_id(), invited_at=now, updated_at=now)
                )
        return {"UnprocessedAccounts": unprocessed}

    def get_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            rows, unprocessed = self._mine(conn, ctx, request["AccountIds"])
            return {"Members": [self._member_view(conn, r) for r in rows.values()], "UnprocessedAccounts": unprocessed}

    def list_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        only = str(request.get("OnlyAssociated") or "true").lower() != "false"
        with self.runtime.store.read() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            query = select(members).where(members.c.admin_account == ctx.account_id, members.c.region == ctx.region)
            if only:
                query = query.where(members.c.status.in_(ASSOCIATED))
            items = [self._member_view(conn, r) for r in conn.execute(query.order_by(members.c.account_id))]
        page, token = pages.offset_page(items, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"Members": page, **({"NextToken": token} if token else {})}

    def disassociate_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            rows, unprocessed = self._mine(conn, ctx, request["AccountIds"])
            for account in rows:
                conn.execute(
                    update(members)
                    .where(
                        members.c.admin_account == ctx.account_id,
                        members.c.region == ctx.region,
                        members.c.account_id == account,
                    )
                    .values(status="Removed", updated_at=clock.now())
                )
        return {"UnprocessedAccounts": unprocessed}

    def delete_members(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            rows, unprocessed = self._mine(conn, ctx, request["AccountIds"])
            for account in rows:
                conn.execute(
                    delete(members).where(
                        members.c.admin_account == ctx.account_id,
                        members.c.region == ctx.region,
                        members.c.account_id == account,
                    )
                )
        return {"UnprocessedAccounts": unprocessed}

    # -- the member's side -----------------------------------------------------------------------------------

    def list_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(members).where(members.c.account_id == ctx.account_id, members.c.status == "Invited")
            ).all()
        items = [
            {
                "AccountId": r.admin_account,
                "InvitationId": r.invitation_id,
                "RelationshipStatus": "Invited",
                "InvitedAt": iso(r.invited_at),
            }
            for r in rows
        ]
        page, token = pages.offset_page(items, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"Invitations": page, **({"NextToken": token} if token else {})}

    def get_invitations_count(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"InvitationsCount": len(self.list_invitations(ctx, {"MaxResults": 10**6})["Invitations"])}

    def _accept(self, ctx: RequestContext, detector_id: str, admin: str, invitation_id: str) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.detector(ctx, detector_id, conn)
            found = conn.execute(
                update(members)
                .where(
                    members.c.admin_account == admin,
                    members.c.region == ctx.region,
                    members.c.account_id == ctx.account_id,
                    members.c.invitation_id == invitation_id,
                    members.c.status == "Invited",
                )
                .values(status="Enabled", updated_at=clock.now())
            ).rowcount
        if not found:
            raise bad_request("The request is rejected because the input invitationId is not valid.")
        return {}

    def accept_administrator_invitation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._accept(ctx, request["DetectorId"], request["AdministratorId"], request["InvitationId"])

    def accept_invitation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._accept(ctx, request["DetectorId"], request["MasterId"], request["InvitationId"])

    def _drop_invitations(self, ctx: RequestContext, accounts: list[str]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            for admin in accounts:
                conn.execute(
                    update(members)
                    .where(
                        members.c.admin_account == admin,
                        members.c.account_id == ctx.account_id,
                        members.c.status == "Invited",
                    )
                    .values(status="Removed", updated_at=clock.now())
                )
        return {"UnprocessedAccounts": []}

    def decline_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._drop_invitations(ctx, request["AccountIds"])

    def delete_invitations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._drop_invitations(ctx, request["AccountIds"])

    def _administrator(self, ctx: RequestContext, detector_id: str) -> dict[str, Any] | None:
        with self.runtime.store.read() as conn:
            self.detector(ctx, detector_id, conn)
            row = self._admin_of(conn, ctx.account_id, ctx.region)
        if row is None:
            return None
        return {
            "AccountId": row.admin_account,
            **({"InvitationId": row.invitation_id} if row.invitation_id else {}),
            "RelationshipStatus": row.status,
            **({"InvitedAt": iso(row.invited_at)} if row.invited_at else {}),
        }

    def get_administrator_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self._administrator(ctx, request["DetectorId"])
        return {"Administrator": found} if found else {}

    def get_master_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self._administrator(ctx, request["DetectorId"])
        return {"Master": found} if found else {}

    def _resign(self, ctx: RequestContext, detector_id: str) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            self.detector(ctx, detector_id, conn)
            row = self._admin_of(conn, ctx.account_id, ctx.region)
            if row is not None and row.by_organization:
                raise bad_request(
                    "The request is rejected because the member account is managed by the organization's administrator."
                )
            conn.execute(
                update(members)
                .where(
                    members.c.account_id == ctx.account_id,
                    members.c.region == ctx.region,
                    members.c.status.in_(ASSOCIATED),
                )
                .values(status="Resigned", updated_at=clock.now())
            )
        return {}

    def disassociate_from_administrator_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._resign(ctx, request["DetectorId"])

    def disassociate_from_master_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._resign(ctx, request["DetectorId"])

    # -- the organization ------------------------------------------------------------------------------------

    def _org_admin_row(self, conn: Connection, org_id: str, region: str, account: str | None = None) -> Row[Any] | None:
        query = select(org_admins).where(org_admins.c.org_id == org_id, org_admins.c.region == region)
        if account is not None:
            query = query.where(org_admins.c.admin_account == account)
        return conn.execute(query).first()

    def _management_org(self, ctx: RequestContext) -> str:
        org = org_of_account(self.runtime.store, ctx.account_id)
        if org is None or org.management != ctx.account_id:
            raise bad_request(
                "The request failed because you must be the management account of an organization to perform "
                "this action.",
            )
        return org.org_id

    def enable_organization_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        admin = request["AdminAccountId"]
        target = org_of_account(self.runtime.store, admin)
        if target is None or target.org_id != org_id:
            raise bad_request("The request failed because the account is not a member of the organization.")
        with self.runtime.store.write() as conn:
            current = self._org_admin_row(conn, org_id, ctx.region)
            if current is not None:
                if current.admin_account == admin:
                    return {}
                raise bad_request("The request failed because the organization already has a delegated administrator.")
            conn.execute(
                org_admins.insert().values(
                    org_id=org_id,
                    region=ctx.region,
                    admin_account=admin,
                    status="ENABLED",
                    auto_enable="NONE",
                    features="{}",
                )
            )
        return {}

    def disable_organization_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        with self.runtime.store.write() as conn:
            current = self._org_admin_row(conn, org_id, ctx.region, request["AdminAccountId"])
            if current is None:
                raise bad_request("The request failed because the account is not the delegated administrator.")
            conn.execute(
                delete(org_admins).where(and_(org_admins.c.org_id == org_id, org_admins.c.region == ctx.region))
            )
            conn.execute(
                delete(members).where(
                    members.c.admin_account == current.admin_account,
                    members.c.region == ctx.region,
                    members.c.by_organization.is_(True),
                )
            )
        return {}

    def list_organization_admin_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org_id = self._management_org(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(org_admins).where(org_admins.c.org_id == org_id)).all()
        items = sorted({(r.admin_account, r.status) for r in rows})
        listed = [{"AdminAccountId": a, "AdminStatus": s} for a, s in items]
        page, token = pages.offset_page(listed, request.get("NextToken"), request.get("MaxResults") or 50, bad_request)
        return {"AdminAccounts": page, **({"NextToken": token} if token else {})}

    def _delegated(self, ctx: RequestContext, conn: Connection) -> Row[Any]:
        org = org_of_account(self.runtime.store, ctx.account_id)
        row = None if org is None else self._org_admin_row(conn, org.org_id, ctx.region, ctx.account_id)
        if row is None:
            raise bad_request(
                "The request is rejected because the current account is not the delegated administrator of "
                "the organization."
            )
        return row

    def describe_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            self.detector(ctx, request["DetectorId"], conn)
            row = self._delegated(ctx, conn)
        features = json.loads(row.features)
        s3 = features.get("S3_DATA_EVENTS", row.auto_enable)
        return {
            "AutoEnable": row.auto_enable != "NONE",
            "AutoEnableOrganizationMembers": row.auto_enable,
            "MemberAccountLimitReached": False,
            "DataSources": {"S3Logs": {"AutoEnable": s3 != "NONE"}},
            "Features": [{"Name": "S3_DATA_EVENTS", "AutoEnable": s3}],
        }

    def update_organization_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        mode = request.get("AutoEnableOrganizationMembers")
        if mode is None and "AutoEnable" in request:
            mode = "NEW" if request["AutoEnable"] else "NONE"
        if mode is None:
            raise bad_request(
                "The request is rejected because either autoEnable or autoEnableOrganizationMembers is required."
            )
        features: dict[str, str] = {}
        for item in request.get("Features") or ():
            if item.get("Name") != "S3_DATA_EVENTS" and item.get("AutoEnable", "NONE") != "NONE":
                raise bad_request(
                    f"The request is rejected because the feature {item.get('Name')} is not available in this Region."
                )
            if item.get("Name") == "S3_DATA_EVENTS":
                features["S3_DATA_EVENTS"] = item.get("AutoEnable", "NONE")
        with self.runtime.store.write() as conn:
            detector = self.detector(ctx, request["DetectorId"], conn)
            row = self._delegated(ctx, conn)
            conn.execute(
                update(org_admins)
                .where(org_admins.c.org_id == row.org_id, org_admins.c.region == ctx.region)
                .values(auto_enable=mode, features=json.dumps(features))
            )
            if mode == "ALL":
                for account, email in org_accounts(self.runtime.store, row.org_id):
                    if account != ctx.account_id:
                        self.enroll(conn, row.admin_account, detector.detector_id, account, ctx.region, email)
        return {}

    def enroll(
        self, conn: Connection, admin: str, admin_detector: str, account: str, region: str, email: str | None
    ) -> None:
        """Enable GuardDuty for an organization account (auto-enable): its detector and an Enabled membership."""
        has = conn.execute(
            select(detectors.c.detector_id).where(detectors.c.account_id == account, detectors.c.region == region)
        ).first()
        if has is None:
            self.insert_detector(conn, account, region)
        existing = conn.execute(
            select(members).where(
                members.c.account_id == account, members.c.region == region, members.c.status.in_(ASSOCIATED)
            )
        ).first()
        if existing is not None:
            return
        conn.execute(
            delete(members).where(
                members.c.admin_account == admin, members.c.region == region, members.c.account_id == account
            )
        )
        conn.execute(
            members.insert().values(
                admin_account=admin,
                region=region,
                account_id=account,
                admin_detector_id=admin_detector,
                email=email,
                status="Enabled",
                invitation_id=None,
                invited_at=None,
                updated_at=clock.now(),
                by_organization=True,
            )
        )
