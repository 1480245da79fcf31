"""AWS Security Token Service. GetCallerIdentity now; sessions arrive with access control."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from strongroom.server.context import RequestContext
    from strongroom.server.runtime import Runtime


class Provider:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def get_caller_identity(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        p = ctx.principal
        return {"UserId": p.principal_id, "Account": p.account_id, "Arn": p.arn}
