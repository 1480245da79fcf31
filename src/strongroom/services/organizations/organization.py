"""The organization itself: CreateOrganization, DescribeOrganization, DeleteOrganization, ListRoots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, enabled_types, org_of_account, page
from strongroom.services.organizations.errors import AlreadyInOrganizationException, OrganizationNotEmptyException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Strongroom accounts have no e-mail address; the organization's records need one (Account.Email).
EMAIL_DOMAIN = "accounts.strongroom.invalid"


def account_email(account_id: str) -> str:
    return f"{account_id}@{EMAIL_DOMAIN}"


# Every table holding an organization's rows, for DeleteOrganization.
_ORG_TABLES = (
    model.tags,
    model.service_access,
    model.delegated_admins,
    model.attachments,
    model.policy_types,
    model.policies,
    model.handshakes,
    model.create_statuses,
    model.members,
    model.nodes,
)


class OrganizationOperations(OrganizationsBase):
    def create_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return self._create_organization(ctx, request.get("FeatureSet") or "ALL")
        except IntegrityError:  # a concurrent CreateOrganization (or join) of the same account won
            raise AlreadyInOrganizationException("The AWS account is already a member of an organization.") from None

    def _create_organization(self, ctx: RequestContext, feature_set: str) -> dict[str, Any]:
        now = ctx.now()
        with self.runtime.store.write() as conn:
            if org_of_account(conn, ctx.account_id) is not None:
                raise AlreadyInOrganizationException("The AWS account is already a member of an organization.")
            org = Org(names.new_org_id(), ctx.account_id, names.new_root_id(), feature_set, now)
            conn.execute(
                model.organizations.insert().values(
                    org_id=org.org_id,
                    management_account_id=org.management,
                    root_id=org.root_id,
                    feature_set=feature_set,
                    created_at=now,
                )
            )
            conn.execute(
                model.nodes.insert().values(
                    node_id=org.root_id, org_id=org.org_id, kind="ROOT", name="Root", parent_id=None, created_at=now
                )
            )
            conn.execute(
                model.members.insert().values(
                    account_id=ctx.account_id,
                    org_id=org.org_id,
                    parent_id=org.root_id,
                    name=ctx.account_id,
                    email=account_email(ctx.account_id),
                    joined_method="INVITED",
                    joined_at=now,
                )
            )
            return {"Organization": self.organization_wire(conn, org)}

    def describe_organization(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.org(ctx)  # any member may describe its organization
        with self.runtime.store.read() as conn:
            return {"Organization": self.organization_wire(conn, org)}

    def delete_organization(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        with self.runtime.store.write() as conn:
            count = conn.execute(
                select(func.count()).select_from(model.members).where(model.members.c.org_id == org.org_id)
            ).scalar_one()
            if count > 1:
                raise OrganizationNotEmptyException(
                    "To delete an organization you must first remove all member accounts (except the master)."
                )
            for table in _ORG_TABLES:
                conn.execute(delete(table).where(table.c.org_id == org.org_id))
            conn.execute(delete(model.organizations).where(model.organizations.c.org_id == org.org_id))

    def list_roots(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            roots, token = page([self.root_wire(conn, org)], request)
        return {"Roots": roots, **token}

    @staticmethod
    def organization_wire(conn: Any, org: Org) -> dict[str, Any]:
        return {
            "Id": org.org_id,
            "Arn": org.arn,
            "FeatureSet": org.feature_set,
            "MasterAccountArn": names.account_arn(org.management, org.org_id, org.management),
            "MasterAccountId": org.management,
            "MasterAccountEmail": account_email(org.management),
            # deprecated by AWS in favour of ListRoots' PolicyTypes, still answered
            "AvailablePolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in enabled_types(conn, org.org_id)],
        }
