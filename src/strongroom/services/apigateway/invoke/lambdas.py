"""Invoking Lambda functions for the data plane: as API Gateway itself (``apigateway.amazonaws.com``).

AWS lets API Gateway invoke a function when the function's resource policy allows the service principal with
``aws:SourceArn`` the execute-api ARN of the method (``lambda add-permission --principal apigateway.amazonaws.com
--source-arn arn:aws:execute-api:REGION:ACCOUNT:API/*``); Strongroom asks the same question through the pipeline
(``ctx.call``), so the function's policy is evaluated by the IAM evaluator and the call is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strongroom.core import context, ids
from strongroom.core.errors import AwsError

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

SERVICE_PRINCIPAL = "apigateway.amazonaws.com"
# arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
_LAMBDA_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[^:]*:lambda:path/[^/]+/functions/(.+)/invocations$")


def function_of(uri: str) -> str | None:
    """The function ARN (or name) an integration / authorizer URI names; None when it names no Lambda function."""
    match = _LAMBDA_URI.match(uri)
    return match.group(1) if match else None


@dataclass(frozen=True)
class InvokeResult:
    payload: bytes
    function_error: str | None


class InvokeFailed(Exception):
    """The function could not be invoked (not found, not allowed, throttled): ``code`` is Lambda's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


def invoke(
    runtime: ServiceRuntime, account: str, region: str, function: str, payload: bytes, source_arn: str
) -> InvokeResult:
    principal = context.Principal("AWSService", account, SERVICE_PRINCIPAL, SERVICE_PRINCIPAL)
    ctx: context.RequestContext[Any] = context.RequestContext(
        runtime,
        ids.request_id(),
        "apigateway",
        "Invoke",
        region,
        principal,
        source_ip=SERVICE_PRINCIPAL,
        user_agent=SERVICE_PRINCIPAL,
        extras={"source_arn": source_arn, "source_account": account},
    )
    try:
        out = ctx.call(
            "lambda",
            "Invoke",
            {"FunctionName": function, "InvocationType": "RequestResponse", "Payload": payload},
            via="apigateway",
        )
    except AwsError as exc:
        raise InvokeFailed(exc.code, exc.message) from None
    body = out.get("Payload") or b""
    if hasattr(body, "read"):
        body = body.read()
    return InvokeResult(bytes(body) if not isinstance(body, str) else body.encode(), out.get("FunctionError"))
