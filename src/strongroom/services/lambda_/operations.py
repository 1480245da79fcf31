"""Lambda's operations table: per implemented operation, the request member naming the function (None: "*"),
the IAM action where it is not ``lambda:<Operation>``, and the largest request body.

Authorization reads ``access.py`` (asked on the function's ARN, qualified when a version is named; CreateFunction
and UpdateFunctionConfiguration also check iam:PassRole on the role). Read-only and on-loop follow CloudTrail's
prefix rule. Body limits are ``server/limits.py``'s: deployment packages and the Invoke payload are large, every
other Lambda operation takes a small JSON document (1 MiB, not the service's largest).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

_SMALL = 1024 * 1024  # server/limits.py DEFAULT_BODY_LIMIT
_PACKAGE = 70_167_211  # a 50 MB .zip, base64-encoded, inside the JSON request

OPERATIONS: Mapping[str, Operation] = operations(
    # functions.py
    Operation("CreateFunction", resource="FunctionName", body_limit=_PACKAGE),
    Operation("GetFunction", resource="FunctionName", body_limit=_SMALL),
    Operation("GetFunctionConfiguration", resource="FunctionName", body_limit=_SMALL),
    Operation("ListFunctions", body_limit=_SMALL),
    Operation("UpdateFunctionCode", resource="FunctionName", body_limit=_PACKAGE),
    Operation("UpdateFunctionConfiguration", resource="FunctionName", body_limit=_SMALL),
    Operation("PublishVersion", resource="FunctionName", body_limit=_SMALL),
    Operation("DeleteFunction", resource="FunctionName", body_limit=_SMALL),
    # invoke.py
    Operation("Invoke", resource="FunctionName", actions=("lambda:InvokeFunction",), body_limit=6_291_456),
    # permissions.py
    Operation("AddPermission", resource="FunctionName", body_limit=_SMALL),
    Operation("RemovePermission", resource="FunctionName", body_limit=_SMALL),
    Operation("GetPolicy", resource="FunctionName", body_limit=_SMALL),
)
