"""Member accounts: CreateAccount (a real new Strongroom account), describing and listing them, moving them
between parents, removing them and leaving.

CreateAccount answers IN_PROGRESS as AWS does, but the account is ready when the call returns: the request's
status (DescribeCreateAccountStatus) already says SUCCEEDED with the new account's id. The new account gets the
role ``OrganizationAccountAccessRole`` (or RoleName) trusting the management account, with an inline
``AdministratorAccess`` policy (Strongroom has no AWS managed IAM policies), created through IAM in-process as
the new account's root user, so the role and its audit records are IAM's own.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core import context
from strongroom.core.errors import AwsError
from strongroom.services.organizations import model, names
from strongroom.services.organizations.base import Org, OrganizationsBase, attach_defaults, page
from strongroom.services.organizations.errors import (
    AccountNotFoundException,
    ConstraintViolationException,
    CreateAccountStatusNotFoundException,
    DestinationParentNotFoundException,
    DuplicateAccountException,
    MasterCannotLeaveOrganizationException,
    ParentNotFoundException,
    SourceParentNotFoundException,
)
from strongroom.services.organizations.tagging import check_tags, drop_tags, write_tags

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from strongroom.services.base.runtime import RequestContext

DEFAULT_ROLE = "OrganizationAccountAccessRole"
ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, indent=4
)
ACCOUNT_NOT_FOUND = "You specified an account that doesn't exist."
PARENT_NOT_FOUND = "We can't find a root or OU with the ParentId that you specified."
MASTER_CANNOT_LEAVE = (
    "You can't remove the management account from an organization. If you want the management account to become a "
    "member account in another organization, you must first delete the current organization."
)


def trust_policy(management: str) -> str:
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{management}:root"}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def status_wire(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Id": row.request_id,
        "AccountName": row.account_name,
        "State": row.state,
        "RequestedTimestamp": row.requested_at,
    }
    if row.completed_at is not None:
        out["CompletedTimestamp"] = row.completed_at
    if row.account_id:
        out["AccountId"] = row.account_id
    if row.failure_reason:
        out["FailureReason"] = row.failure_reason
    return out


def remove_member(conn: Connection, org: Org, account_id: str) -> None:
    """The account's rows in the organization: membership, attachments, tags, delegations."""
    conn.execute(delete(model.members).where(model.members.c.account_id == account_id))
    conn.execute(
        delete(model.attachments).where(
            model.attachments.c.org_id == org.org_id, model.attachments.c.target_id == account_id
        )
    )
    conn.execute(
        delete(model.delegated_admins).where(
            model.delegated_admins.c.org_id == org.org_id, model.delegated_admins.c.account_id == account_id
        )
    )
    drop_tags(conn, org, account_id)


class AccountOperations(OrganizationsBase):
    def create_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.management(ctx)
        check_tags(request.get("Tags") or [])
        request_id, now = names.new_create_request_id(), ctx.now()
        email, name = request["Email"], request["AccountName"]
        with self.runtime.store.read() as conn:
            taken = conn.execute(select(model.members.c.account_id).where(model.members.c.email == email)).first()
        row = {
            "request_id": request_id,
            "org_id": org.org_id,
            "account_name": name,
            "email": email,
            "requested_at": now,
        }
        if taken is not None:
            with self.runtime.store.write() as conn:
                conn.execute(
                    model.create_statuses.insert().values(
                        **row, state="FAILED", failure_reason="EMAIL_ALREADY_EXISTS", completed_at=now
                    )
                )
        else:
            account_id = self.runtime.accounts.create_account(name=name[:64])  # Strongroom keeps 64 characters
            self._access_role(ctx, org, account_id, request.get("RoleName") or DEFAULT_ROLE)
            with self.runtime.store.write() as conn:
                conn.execute(
                    model.members.insert().values(
                        account_id=account_id,
                        org_id=org.org_id,
                        parent_id=org.root_id,
                        name=name,
                        email=email,
                        joined_method="CREATED",
                        joined_at=now,
                    )
                )
                attach_defaults(conn, org, account_id, now)
                write_tags(conn, org, account_id, request.get("Tags") or [])
                conn.execute(
                    model.create_statuses.insert().values(
                        **row, state="SUCCEEDED", account_id=account_id, completed_at=ctx.now()
                    )
                )
        # As AWS answers: the request is accepted; its outcome is DescribeCreateAccountStatus's.
        return {
            "CreateAccountStatus": {
                "Id": request_id,
                "AccountName": name,
                "State": "IN_PROGRESS",
                "RequestedTimestamp": now,
            }
        }

    def _access_role(self, ctx: RequestContext, org: Org, account_id: str, role_name: str) -> None:
        """The new account's administrator role, created by IAM as the new account's root user."""
        as_root = context.service_context(
            self.runtime, "organizations", ctx.operation, ctx.region, account_id, request_id=ctx.request_id
        )
        try:
            as_root.call(
                "iam",
                "CreateRole",
                {"RoleName": role_name, "AssumeRolePolicyDocument": trust_policy(org.management)},
                via="organizations",
            )
            as_root.call(
                "iam",
                "PutRolePolicy",
                {"RoleName": role_name, "PolicyName": "AdministratorAccess", "PolicyDocument": ADMIN_POLICY},
                via="organizations",
            )
        except AwsError as exc:  # e.g. a RoleName IAM refuses; the model's pattern lets few through
            raise ConstraintViolationException(exc.message) from None

    def describe_create_account_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(model.create_statuses).where(
                    model.create_statuses.c.org_id == org.org_id,
                    model.create_statuses.c.request_id == request["CreateAccountRequestId"],
                )
            ).first()
        if row is None:
            raise CreateAccountStatusNotFoundException(
                "We can't find an create account request with the CreateAccountRequestId that you specified."
            )
        return {"CreateAccountStatus": status_wire(row)}

    def list_create_account_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        stmt = select(model.create_statuses).where(model.create_statuses.c.org_id == org.org_id)
        if request.get("States"):
            stmt = stmt.where(model.create_statuses.c.state.in_(request["States"]))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt.order_by(model.create_statuses.c.requested_at)).all()
        items, token = page([status_wire(r) for r in rows], request)
        return {"CreateAccountStatuses": items, **token}

    def describe_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            row = self.member(conn, org, request["AccountId"])
        if row is None:
            raise AccountNotFoundException(ACCOUNT_NOT_FOUND)
        return {"Account": self.account_wire(org, row)}

    def list_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.members).where(model.members.c.org_id == org.org_id).order_by(model.members.c.joined_at)
            ).all()
        items, token = page([self.account_wire(org, r) for r in rows], request)
        return {"Accounts": items, **token}

    def list_accounts_for_parent(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        org = self.reader(ctx)
        with self.runtime.store.read() as conn:
            if self.node(conn, org, request["ParentId"]) is None:
                raise ParentNotFoundException(PARENT_NOT_FOUND)
            rows = conn.execute(
                select(model.members)
                .where(model.members.c.org_id == org.org_id, model.members.c.parent_id == request["ParentId"])
                .order_by(model.members.c.joined_at)
            ).all()
        items, token = page([self.account_wire(org, r) for r in rows], request)
        return {"Accounts": items, **token}

    def move_account(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        account_id, source, destination = (
            request["AccountId"],
            request["SourceParentId"],
            request["DestinationParentId"],
        )
        with self.runtime.store.write() as conn:
            if self.node(conn, org, source) is None:
                raise SourceParentNotFoundException(
                    "We can't find a source root or OU with the ParentId that you specified."
                )
            if self.node(conn, org, destination) is None:
                raise DestinationParentNotFoundException(
                    "We can't find a destination root or OU with the ParentId that you specified."
                )
            row = self.member(conn, org, account_id)
            if row is None or row.parent_id not in (source, destination):
                raise AccountNotFoundException(ACCOUNT_NOT_FOUND)
            if row.parent_id == destination:
                raise DuplicateAccountException("That account is already present in the specified destination.")
            conn.execute(
                update(model.members).where(model.members.c.account_id == account_id).values(parent_id=destination)
            )

    def remove_account_from_organization(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        org = self.management(ctx)
        self._remove(org, request["AccountId"])

    def leave_organization(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self._remove(self.org(ctx), ctx.account_id)

    def _remove(self, org: Org, account_id: str) -> None:
        if account_id == org.management:
            raise MasterCannotLeaveOrganizationException(MASTER_CANNOT_LEAVE)
        with self.runtime.store.write() as conn:
            if self.member(conn, org, account_id) is None:
                raise AccountNotFoundException(ACCOUNT_NOT_FOUND)
            delegated = conn.execute(
                select(model.delegated_admins.c.account_id).where(
                    model.delegated_admins.c.org_id == org.org_id, model.delegated_admins.c.account_id == account_id
                )
            ).first()
            if delegated is not None:
                raise ConstraintViolationException(
                    "You can't remove an account that is a delegated administrator for a service. Deregister it first.",
                    Reason="CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG",
                )
            remove_member(conn, org, account_id)
