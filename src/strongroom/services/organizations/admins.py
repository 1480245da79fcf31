"""Trusted access (Enable/DisableAWSServiceAccess, ListAWSServiceAccessForOrganization) and delegated administrators
(Register/DeregisterDelegatedAdministrator, ListDelegatedAdministrators, ListDelegatedServicesForAccount).

A delegated administrator is registered for a service that has trusted access (AWS's SERVICE_ACCESS_NOT_ENABLED
otherwise); disabling trusted access deregisters the service's delegated administrators, as AWS does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, page
from strongroom.services.organizations.errors import (
    AccountAlreadyRegisteredException,
    AccountNotFoundException,
    AccountNotRegisteredException,
    ConstraintViolationException,
    InvalidInputException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def check_principal(principal: str) -> None:
    if principal not in names.SERVICE_PRINCIPALS:
        raise InvalidInputException(
            "You specified an unrecognized service principal.", Reason="UNRECOGNIZED_SERVICE_PRINCIPAL"
        )


def access_enabled(conn: Connection, org: Org, principal: str) -> bool:
    s = model.service_access.c
    row = conn.execute(select(s.org_id).where(s.org_id == org.org_id, s.service_principal == principal)).first()
    return row is not None


class AdminOperations(OrganizationsBase):
    # -- trusted access --------------------------------------------------------------------------------------

    def enable_aws_service_access(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        principal = request["ServicePrincipal"]
        check_principal(principal)
        with self.runtime.store.write() as conn:
            if not access_enabled(conn, org, principal):  # enabling twice is not an error at AWS
                conn.execute(
                    model.service_access.insert().values(
                        org_id=org.org_id, service_principal=principal, enabled_at=ctx.now()
                    )
                )

    def disable_aws_service_access(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        principal = request["ServicePrincipal"]
        check_principal(principal)
        s, d = model.service_access.c, model.delegated_admins.c
        with self.runtime.store.write() as conn:
            conn.execute(delete(model.service_access).where(s.org_id == org.org_id, s.service_principal == principal))
            conn.execute(delete(model.delegated_admins).where(d.org_id == org.org_id, d.service_principal == principal))

    def list_aws_service_access_for_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        s = model.service_access.c
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.service_access).where(s.org_id == org.org_id).order_by(s.service_principal)
            ).all()
        items = [{"ServicePrincipal": r.service_principal, "DateEnabled": r.enabled_at} for r in rows]
        got, token = page(items, request)
        return {"EnabledServicePrincipals": got, **token}

    # -- delegated administrators ----------------------------------------------------------------------------

    def register_delegated_administrator(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        account_id, principal = request["AccountId"], request["ServicePrincipal"]
        check_principal(principal)
        d = model.delegated_admins.c
        with self.runtime.store.write() as conn:
            if self.member(conn, org, account_id) is None:
                raise AccountNotFoundException("You specified an account that doesn't exist.")
            if account_id == org.management:
                raise ConstraintViolationException(
                    "You cannot register the management account of the organization as a delegated administrator "
                    "for an AWS service integrated with Organizations.",
                    Reason="CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
                )
            if not access_enabled(conn, org, principal):
                raise ConstraintViolationException(
                    "You attempted to register a delegated administrator for a service that doesn't have trusted "
                    "access enabled.",
                    Reason="SERVICE_ACCESS_NOT_ENABLED",
                )
            existing = conn.execute(
                select(d.account_id).where(
                    d.org_id == org.org_id, d.account_id == account_id, d.service_principal == principal
                )
            ).first()
            if existing is not None:
                raise AccountAlreadyRegisteredException(
                    "The provided account is already a delegated administrator for your organization."
                )
            conn.execute(
                model.delegated_admins.insert().values(
                    org_id=org.org_id, account_id=account_id, service_principal=principal, enabled_at=ctx.now()
                )
            )

    def deregister_delegated_administrator(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        account_id, principal = request["AccountId"], request["ServicePrincipal"]
        check_principal(principal)
        d = model.delegated_admins.c
        with self.runtime.store.write() as conn:
            if self.member(conn, org, account_id) is None:
                raise AccountNotFoundException("You specified an account that doesn't exist.")
            gone = conn.execute(
                delete(model.delegated_admins).where(
                    d.org_id == org.org_id, d.account_id == account_id, d.service_principal == principal
                )
            )
            if gone.rowcount == 0:
                raise AccountNotRegisteredException(
                    "The provided account is not a registered delegated administrator for your organization."
                )

    def list_delegated_administrators(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        d = model.delegated_admins.c
        stmt = select(model.delegated_admins).where(d.org_id == org.org_id)
        if request.get("ServicePrincipal"):
            check_principal(request["ServicePrincipal"])
            stmt = stmt.where(d.service_principal == request["ServicePrincipal"])
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt.order_by(d.enabled_at, d.account_id)).all()
            first: dict[str, Any] = {}
            for r in rows:  # one entry per account, delegated since its first service
                first.setdefault(r.account_id, r.enabled_at)
            items = []
            for account_id, since in first.items():
                member = self.member(conn, org, account_id)
                if member is not None:
                    items.append({**self.account_wire(org, member), "DelegationEnabledDate": since})
        got, token = page(items, request)
        return {"DelegatedAdministrators": got, **token}

    def list_delegated_services_for_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        d = model.delegated_admins.c
        with self.runtime.store.read() as conn:
            if self.member(conn, org, request["AccountId"]) is None:
                raise AccountNotFoundException("You specified an account that doesn't exist.")
            rows = conn.execute(
                select(model.delegated_admins)
                .where(d.org_id == org.org_id, d.account_id == request["AccountId"])
                .order_by(d.service_principal)
            ).all()
        if not rows:
            raise AccountNotRegisteredException(
                "The provided account is not a registered delegated administrator for your organization."
            )
        items = [{"ServicePrincipal": r.service_principal, "DelegationEnabledDate": r.enabled_at} for r in rows]
        got, token = page(items, request)
        return {"DelegatedServices": got, **token}
