"""What every family of Organizations operations shares: the caller's organization, who may do what, wire shapes.

Organizations is global: a call signed for any region reads and writes the same rows (none has a region). Who may
call what is AWS's rule, applied after IAM allowed the action: most operations only the management account; the
read calls a delegated administrator of any service too (``reader``); DescribeOrganization, LeaveOrganization and
the invited account's handshake calls any member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.organizations import names
from strongroom.services.organizations.errors import (
    AccessDeniedException,
    AWSOrganizationsNotInUseException,
    InvalidInputException,
)
from strongroom.services.organizations.model import attachments, delegated_admins, members, nodes, organizations
from strongroom.services.organizations.model import policy_types as policy_types_table

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

Row = dict[str, Any]
PAGE_SIZE = 20  # MaxResults' default and AWS's largest page for most list calls

NOT_IN_USE = "Your account is not a member of an organization."
DENIED = "You don't have permissions to access this resource."


@dataclass(frozen=True, slots=True)
class Org:
    org_id: str
    management: str
    root_id: str
    feature_set: str
    created_at: datetime

    @property
    def arn(self) -> str:
        return names.org_arn(self.management, self.org_id)


def org_of_account(conn: Connection, account_id: str) -> Org | None:
    """The organization ``account_id`` belongs to (as its management account or a member), or None."""
    row = conn.execute(
        select(organizations)
        .join(members, members.c.org_id == organizations.c.org_id)
        .where(members.c.account_id == account_id)
    ).first()
    if row is None:
        return None
    return Org(row.org_id, row.management_account_id, row.root_id, row.feature_set, row.created_at)


def enabled_types(conn: Connection, org_id: str) -> list[str]:
    rows = conn.execute(select(policy_types_table.c.type).where(policy_types_table.c.org_id == org_id)).all()
    return sorted(r.type for r in rows)


def attach_defaults(conn: Connection, org: Org, target_id: str, now: datetime) -> None:
    """A new OU or account gets the managed policy of every enabled type (FullAWSAccess, RCPFullAWSAccess)."""
    for policy_type in enabled_types(conn, org.org_id):
        conn.execute(
            attachments.insert().values(
                org_id=org.org_id,
                policy_id=names.DEFAULT_POLICY[policy_type],
                target_id=target_id,
                policy_type=policy_type,
                attached_at=now,
            )
        )


def bad_token() -> AwsError:
    return InvalidInputException("The specified value for NextToken is not valid.", Reason="INVALID_NEXT_TOKEN")


def page(items: list[Any], request: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and the NextToken member (if any) for the output."""
    size = int(request.get("MaxResults") or PAGE_SIZE)
    got, token = pages.offset_page(items, request.get("NextToken"), size, bad_token)
    return got, ({"NextToken": token} if token else {})


class OrganizationsBase(ServiceBase):
    """Shared helpers; each family module adds its operations."""

    # -- the caller's organization and role in it ------------------------------------------------------------

    def org(self, ctx: RequestContext) -> Org:
        with self.runtime.store.read() as conn:
            org = org_of_account(conn, ctx.account_id)
        if org is None:
            raise AWSOrganizationsNotInUseException(NOT_IN_USE)
        return org

    def management(self, ctx: RequestContext) -> Org:
        """The caller's organization, when the caller is its management account."""
        org = self.org(ctx)
        if org.management != ctx.account_id:
            raise AccessDeniedException(DENIED)
        return org

    def reader(self, ctx: RequestContext) -> Org:
        """The caller's organization, when the caller is its management account or a delegated administrator."""
        org = self.org(ctx)
        if org.management != ctx.account_id:
            with self.runtime.store.read() as conn:
                delegated = conn.execute(
                    select(delegated_admins.c.account_id).where(
                        delegated_admins.c.org_id == org.org_id, delegated_admins.c.account_id == ctx.account_id
                    )
                ).first()
            if delegated is None:
                raise AccessDeniedException(DENIED)
        return org

    # -- wire shapes ---------------------------------------------------------------------------------------------

    @staticmethod
    def account_wire(org: Org, row: Any) -> dict[str, Any]:
        return {
            "Id": row.account_id,
            "Arn": names.account_arn(org.management, org.org_id, row.account_id),
            "Email": row.email,
            "Name": row.name,
            "Status": "ACTIVE",
            "State": "ACTIVE",
            "JoinedMethod": row.joined_method,
            "JoinedTimestamp": row.joined_at,
        }

    @staticmethod
    def root_wire(conn: Connection, org: Org) -> dict[str, Any]:
        return {
            "Id": org.root_id,
            "Arn": names.root_arn(org.management, org.org_id, org.root_id),
            "Name": "Root",
            "PolicyTypes": [{"Type": t, "Status": "ENABLED"} for t in enabled_types(conn, org.org_id)],
        }

    @staticmethod
    def ou_wire(conn: Connection, org: Org, row: Any) -> dict[str, Any]:
        return {
            "Id": row.node_id,
            "Arn": names.ou_arn(org.management, org.org_id, row.node_id),
            "Name": row.name,
            "Path": node_path(conn, org, row.node_id),
        }

    # -- the tree --------------------------------------------------------------------------------------------

    @staticmethod
    def node(conn: Connection, org: Org, node_id: str) -> Any:
        return conn.execute(select(nodes).where(nodes.c.org_id == org.org_id, nodes.c.node_id == node_id)).first()

    @staticmethod
    def member(conn: Connection, org: Org, account_id: str) -> Any:
        return conn.execute(
            select(members).where(members.c.org_id == org.org_id, members.c.account_id == account_id)
        ).first()


def node_path(conn: Connection, org: Org, node_id: str) -> str:
    """``o-…/r-…/ou-…/…/`` down to ``node_id`` (a root or OU), as aws:PrincipalOrgPaths spells it."""
    chain: list[str] = []
    current: str | None = node_id
    while current is not None:
        chain.append(current)
        current = conn.execute(
            select(nodes.c.parent_id).where(nodes.c.org_id == org.org_id, nodes.c.node_id == current)
        ).scalar_one_or_none()
    return "/".join([org.org_id, *reversed(chain)]) + "/"
