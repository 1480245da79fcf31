"""What every family of Firewall Manager operations shares: the caller's organization and administrator, ARNs,
tags, pages and the identity FMS acts as in member accounts.

The organization is read through Organizations' in-process read API (``services/organizations/effective.py``), never
its tables. The administrator is per organization; every policy, list, resource set and notification channel
belongs to the administrator's account and the region of the call, as at AWS.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Connection, delete, select

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.fms.errors import AccessDeniedException, InvalidInputException, ResourceNotFoundException
from strongroom.services.fms.model import admins, tags
from strongroom.services.organizations import effective

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


class Org(Protocol):
    """What FMS reads of an organization (``effective.org_of_account``'s answer)."""

    @property
    def org_id(self) -> str: ...
    @property
    def management(self) -> str: ...


PAGE_SIZE = 100
SERVICE_HOST = "fms"  # ctx.call(..., via=...): invokedBy fms.amazonaws.com
_BASE62 = string.ascii_letters + string.digits


def new_id() -> str:
    """Policy, apps list and protocols list ids: 36 characters (a UUID), as AWS issues them."""
    return ids.uuid4()


def new_set_id() -> str:
    """Resource set ids: 22 base62 characters (the model's Base62Id)."""
    return "".join(secrets.choice(_BASE62) for _ in range(22))


def new_token() -> str:
    return secrets.token_hex(16)


def bad_token() -> AwsError:
    return InvalidInputException("The NextToken is not valid.")


def page(items: list[Any], request: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    size = int(request.get("MaxResults") or PAGE_SIZE)
    got, token = pages.offset_page(items, request.get("NextToken"), size, bad_token)
    return got, ({"NextToken": token} if token else {})


def only_admin(operation: str) -> AwsError:
    return AccessDeniedException(
        f"Operation: {operation} is only available to Administration account in AWS Firewall Manager."
    )


class FmsBase(ServiceBase):
    """Shared helpers; each family module adds its operations."""

    def now(self) -> datetime:
        return clock.now()

    # -- the organization and its administrator ------------------------------------------------------------------

    def org_of(self, account_id: str) -> Org | None:
        return effective.org_of_account(self.runtime.store, account_id)

    def admin_of(self, org_id: str) -> str | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(admins.c.account_id).where(admins.c.org_id == org_id)).first()
        return None if row is None else str(row.account_id)

    def admin(self, ctx: RequestContext) -> Org:
        """The caller's organization, when the caller is its Firewall Manager administrator."""
        org = self.org_of(ctx.account_id)
        if org is None or self.admin_of(org.org_id) != ctx.account_id:
            raise only_admin(ctx.operation)
        return org

    def members(self, org: Org) -> list[effective.MemberAccount]:
        return effective.members(self.runtime.store, org.org_id)

    # -- what one family provides to the others (Provider lists every family; these come last in its MRO) --

    def remove_managed_acl(self, account: str, region: str, web_acl_arn: str, *, delete_acl: bool) -> None:
        raise NotImplementedError  # remediation.py (RemediationJobs)

    # -- ARNs and tags ---------------------------------------------------------------------------------------------

    @staticmethod
    def arn(ctx: RequestContext, kind: str, resource_id: str, *, account: str | None = None) -> str:
        return ctx.arn("fms", f"{kind}/{resource_id}", account=account)

    @staticmethod
    def write_tags(conn: Connection, arn: str, items: list[Mapping[str, Any]]) -> None:
        for tag in items:
            if str(tag["Key"]).lower().startswith("aws:"):
                raise InvalidInputException("Tag keys starting with aws: are reserved.")
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key == tag["Key"]))
            conn.execute(tags.insert().values(arn=arn, key=tag["Key"], value=tag["Value"]))
        if len(conn.execute(select(tags.c.key).where(tags.c.arn == arn)).all()) > 50:
            raise InvalidInputException("A resource can have at most 50 tags.")

    @staticmethod
    def drop_tags(conn: Connection, arn: str) -> None:
        conn.execute(delete(tags).where(tags.c.arn == arn))

    # -- resources ---------------------------------------------------------------------------------------------

    @staticmethod
    def stages(ctx: RequestContext) -> list[Stage]:
        """The account's API Gateway stages in the region, with their tags, as API Gateway lists them to the
        account (GetRestApis / GetStages through the pipeline, ``invokedBy: fms.amazonaws.com``)."""
        out: list[Stage] = []
        position: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500, **({"position": position} if position else {})}
            apis = ctx.call("apigateway", "GetRestApis", params, via=SERVICE_HOST)
            for api in apis.get("items") or []:
                listed = ctx.call("apigateway", "GetStages", {"restApiId": api["id"]}, via=SERVICE_HOST)
                for stage in listed.get("item") or []:
                    arn = stage_arn(ctx.region, api["id"], stage["stageName"])
                    out.append(
                        Stage(arn, f"{api.get('name', api['id'])}/{stage['stageName']}", dict(stage.get("tags") or {}))
                    )
            position = apis.get("position")
            if not position:
                return out

    # -- acting in member accounts ---------------------------------------------------------------------------------

    def as_account(self, account_id: str, region: str, operation: str) -> RequestContext:
        """The identity Firewall Manager's remediation calls other services with in ``account_id``.

        AWS uses the service-linked role ``AWSServiceRoleForFMS`` in each member account; Strongroom has no
        service-linked roles, so the account itself acts (as ACM's and WAF's own calls do), every call marked
        ``invokedBy: fms.amazonaws.com`` in the member account's trail and, like the role, bounded by no SCP or RCP.
        """
        return context.service_context(self.runtime, "fms", operation, region, account_id)


@dataclass(frozen=True, slots=True)
class Stage:
    arn: str
    name: str  # <API name>/<stage name>
    tags: dict[str, str]


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def not_found(message: str = "The specified resource was not found.") -> AwsError:
    return ResourceNotFoundException(message)


def dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
