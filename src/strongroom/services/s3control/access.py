"""S3 Control's authorization: each operation's action from its row (operations.py) on ``*``; S3's AccessDenied."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check
from strongroom.services.s3control.operations import OPERATIONS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def access_denied(message: str) -> AwsError:
    return AwsError(message or "Access Denied", code="AccessDenied", status=403)


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    row = OPERATIONS.get(ctx.operation)
    if row is None or not row.actions:
        return None
    return [Check(action) for action in row.actions]
