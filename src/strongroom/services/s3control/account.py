"""The account's Block Public Access (Put/Get/DeletePublicAccessBlock), kept by S3 (``services/s3/account.py``).

A caller may name only its own account (``x-amz-account-id``); another account's id is AccessDenied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.services.base.family import ServiceBase
from strongroom.services.s3 import account as s3_account

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def _own_account(ctx: RequestContext, params: dict[str, Any]) -> str:
    account = str(params.get("AccountId") or "")
    if account != ctx.account_id:
        raise AwsError("Access Denied", code="AccessDenied", status=403)
    return account


class AccountOperations(ServiceBase):
    def put_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("PublicAccessBlockConfiguration") or {}
        s3_account.put_public_access_block(self.runtime.store, _own_account(ctx, params), config)
        return {}

    def get_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        account = _own_account(ctx, params)
        found = s3_account.get_public_access_block(self.runtime.store, account)
        if found is None:
            raise AwsError(
                "The public access block configuration was not found",
                code="NoSuchPublicAccessBlockConfiguration",
                status=404,
                AccountId=account,
            )
        return {"PublicAccessBlockConfiguration": found}

    def delete_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        s3_account.delete_public_access_block(self.runtime.store, _own_account(ctx, params))
        return {}
