"""The Firewall Manager administrator: AssociateAdminAccount / PutAdminAccount (from the organization's management
account), GetAdminAccount, GetAdminScope, DisassociateAdminAccount, ListAdminAccountsForOrganization,
ListAdminsManagingAccount, ListMemberAccounts.

Strongroom keeps one administrator per organization, the default administrator (``DefaultAdmin`` true, full scope
unless PutAdminAccount gave one; the scope is stored and answered, not enforced). Associating one does what AWS does
in Organizations, as the management account (``invokedBy: fms.amazonaws.com``): trusted access for
``fms.amazonaws.com`` and, for a member account, its registration as the service's delegated administrator.
Disassociating deregisters it and deletes the administrator's policies (their web ACLs stay).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core.errors import AwsError
from strongroom.services.fms.base import FmsBase, Org, dumps, not_found, only_admin, page
from strongroom.services.fms.errors import InvalidInputException, InvalidOperationException
from strongroom.services.fms.model import admins, compliance, managed_acls, policies

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

POLICY_JOB = "fms-policy"
PRINCIPAL = "fms.amazonaws.com"
NO_ADMIN = "No default admin could be found"


class AdminOperations(FmsBase):
    def _management(self, ctx: RequestContext) -> Org:
        org = self.org_of(ctx.account_id)
        if org is None:
            raise InvalidOperationException(
                f"{ctx.account_id} is not a member of an Organization. Only the management account of an "
                "Organization can set the Firewall Manager administrator."
            )
        if org.management != ctx.account_id:
            raise InvalidOperationException(
                f"{ctx.account_id} is not the management account of the Organization but trying to AssociateAdmin, "
                f"Organization management account is {org.management}"
            )
        return org

    def associate_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self._set_admin(ctx, str(request["AdminAccount"]), None)

    def put_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self._set_admin(ctx, str(request["AdminAccount"]), request.get("AdminScope"))

    def _set_admin(self, ctx: RequestContext, account: str, admin_scope: dict[str, Any] | None) -> None:
        org = self._management(ctx)
        if not any(m.account_id == account for m in self.members(org)):
            raise InvalidInputException(f"Account {account} is not a member of the organization {org.org_id}.")
        current = self.admin_of(org.org_id)
        if current is not None and (current != account or ctx.operation == "AssociateAdminAccount"):
            raise InvalidOperationException(
                f"Account {current} is already associated as the Firewall Manager administrator of the organization."
            )
        self._organizations(org, account, register=True)
        with self.runtime.store.write() as conn:
            if current is None:
                conn.execute(
                    admins.insert().values(
                        org_id=org.org_id,
                        account_id=account,
                        scope=dumps(admin_scope) if admin_scope else None,
                        associated_at=self.now(),
                    )
                )
            else:
                conn.execute(
                    update(admins)
                    .where(admins.c.org_id == org.org_id)
                    .values(scope=dumps(admin_scope) if admin_scope else None)
                )

    def _organizations(self, org: Org, account: str, *, register: bool) -> None:
        """Trusted access and the delegated administrator in Organizations, as the management account."""
        ctx = self.as_account(org.management, "us-east-1", "AssociateAdminAccount")
        try:
            if register:
                ctx.call("organizations", "EnableAWSServiceAccess", {"ServicePrincipal": PRINCIPAL}, via="fms")
            if account != org.management:
                operation = "RegisterDelegatedAdministrator" if register else "DeregisterDelegatedAdministrator"
                ctx.call("organizations", operation, {"AccountId": account, "ServicePrincipal": PRINCIPAL}, via="fms")
        except AwsError as exc:
            if exc.code not in ("AccountAlreadyRegisteredException", "AccountNotRegisteredException"):
                raise

    def disassociate_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.org_of(ctx.account_id)
        if org is None:
            raise only_admin(ctx.operation)
        current = self.admin_of(org.org_id)
        if current is None:
            raise not_found(NO_ADMIN)
        if ctx.account_id != current:
            raise only_admin(ctx.operation)
        self._organizations(org, current, register=False)
        with self.runtime.store.write() as conn:
            ids = conn.execute(select(policies.c.policy_id).where(policies.c.account_id == current)).scalars().all()
            for policy_id in ids:
                self.runtime.scheduler.cancel(POLICY_JOB, policy_id, conn)
                conn.execute(delete(compliance).where(compliance.c.policy_id == policy_id))
                conn.execute(delete(managed_acls).where(managed_acls.c.policy_id == policy_id))
            conn.execute(delete(policies).where(policies.c.account_id == current))
            conn.execute(delete(admins).where(admins.c.org_id == org.org_id))

    def get_admin_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.org_of(ctx.account_id)
        current = None if org is None else self.admin_of(org.org_id)
        if org is None or current is None:
            raise not_found(NO_ADMIN)
        if ctx.account_id not in (current, org.management):
            raise InvalidOperationException(f"Account {ctx.account_id} is not the Firewall Manager administrator.")
        return {"AdminAccount": current, "RoleStatus": "READY"}

    def get_admin_scope(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.org_of(ctx.account_id)
        if org is None or ctx.account_id not in (org.management, self.admin_of(org.org_id)):
            raise only_admin(ctx.operation)
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(admins).where(admins.c.org_id == org.org_id, admins.c.account_id == request["AdminAccount"])
            ).first()
        if row is None:
            raise not_found(f"Account {request['AdminAccount']} is not a Firewall Manager administrator.")
        full = {
            "AccountScope": {"Accounts": [], "AllAccountsEnabled": True, "ExcludeSpecifiedAccounts": False},
            "OrganizationalUnitScope": {
                "OrganizationalUnits": [],
                "AllOrganizationalUnitsEnabled": True,
                "ExcludeSpecifiedOrganizationalUnits": False,
            },
            "RegionScope": {"Regions": [], "AllRegionsEnabled": True},
            "PolicyTypeScope": {"PolicyTypes": [], "AllPolicyTypesEnabled": True},
        }
        return {"AdminScope": json.loads(row.scope) if row.scope else full, "Status": "ONBOARDING_COMPLETE"}

    def list_admin_accounts_for_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self._management(ctx)
        current = self.admin_of(org.org_id)
        items = (
            []
            if current is None
            else [{"AdminAccount": current, "DefaultAdmin": True, "Status": "ONBOARDING_COMPLETE"}]
        )
        got, token = page(items, request)
        return {"AdminAccounts": got, **token}

    def list_admins_managing_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.org_of(ctx.account_id)
        current = None if org is None else self.admin_of(org.org_id)
        got, token = page([] if current is None else [current], request)
        return {"AdminAccounts": got, **token}

    def list_member_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """The accounts of the administrator's organization (AWS: the accounts FMS manages)."""
        org = self.admin(ctx)
        accounts = [m.account_id for m in self.members(org)]
        got, token = page(accounts, request)
        return {"MemberAccounts": got, **token}
