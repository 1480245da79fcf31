"""Gateway responses: what API Gateway answers when a request fails before, or instead of, its integration.

Each response type has AWS's default status code ("Gateway response types for API Gateway"), the default body
template `{"message":$context.error.messageString}`, the message AWS puts in `$context.error.message` and the
`x-amzn-ErrorType` header AWS sends. A REST API may customize a type (PutGatewayResponse: `statusCode`,
`responseParameters` `gatewayresponse.header.NAME`, `responseTemplates`); a customized DEFAULT_4XX / DEFAULT_5XX
applies to every 4XX / 5XX type that is not customized itself, and a DEFAULT_4XX/5XX without a status code keeps
each type's own status.

Sources for the messages and error types: the response-types page for the statuses; observed responses of real APIs
for "Missing Authentication Token" (MissingAuthenticationTokenException), "Forbidden" (ForbiddenException),
"Too Many Requests" (TooManyRequestsException), "Limit Exceeded", `{"message": null}` for authorizer configuration
errors (AuthorizerConfigurationException), "Endpoint request timed out", "Internal server error". Where no real
answer was found the value follows AWS's naming of the others (noted in docs/apigateway-dataplane.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.services.apigateway.dataplane import vtl
from strongroom.services.apigateway.dataplane.vtl_sandbox import java_str

DEFAULT_TEMPLATE = '{"message":$context.error.messageString}'
DEFAULT_TEMPLATES = {"application/json": DEFAULT_TEMPLATE}


@dataclass(frozen=True)
class ResponseType:
    name: str
    status: int | None  # None: DEFAULT_4XX / DEFAULT_5XX, whose status is the failing type's
    message: str | None  # $context.error.message when the caller has nothing more precise
    error_type: str | None  # x-amzn-ErrorType


_TYPES = (
    ResponseType("ACCESS_DENIED", 403, "User is not authorized to access this resource", "AccessDeniedException"),
    ResponseType("API_CONFIGURATION_ERROR", 500, "Internal server error", "InternalServerErrorException"),
    ResponseType("AUTHORIZER_CONFIGURATION_ERROR", 500, None, "AuthorizerConfigurationException"),
    ResponseType("AUTHORIZER_FAILURE", 500, None, "AuthorizerFailureException"),
    ResponseType("BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters", "BadRequestException"),
    ResponseType("BAD_REQUEST_BODY", 400, "Invalid request body", "BadRequestException"),
    ResponseType("DEFAULT_4XX", None, "Bad Request", "BadRequestException"),
    ResponseType("DEFAULT_5XX", None, "Internal server error", "InternalServerErrorException"),
    ResponseType(
        "EXPIRED_TOKEN", 403, "The security token included in the request is expired", "ExpiredTokenException"
    ),
    ResponseType("INTEGRATION_FAILURE", 504, "Internal server error", "InternalServerErrorException"),
    ResponseType("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", "InternalServerErrorException"),
    ResponseType("INVALID_API_KEY", 403, "Forbidden", "ForbiddenException"),
    ResponseType(
        "INVALID_SIGNATURE",
        403,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.",
        "InvalidSignatureException",
    ),
    ResponseType(
        "MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", "MissingAuthenticationTokenException"
    ),
    ResponseType("QUOTA_EXCEEDED", 429, "Limit Exceeded", "LimitExceededException"),
    ResponseType("REQUEST_TOO_LARGE", 413, "Request Too Long", "RequestTooLongException"),
    ResponseType("RESOURCE_NOT_FOUND", 404, "Not Found", "NotFoundException"),
    ResponseType("THROTTLED", 429, "Too Many Requests", "TooManyRequestsException"),
    ResponseType("UNAUTHORIZED", 401, "Unauthorized", "UnauthorizedException"),
    ResponseType("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    ResponseType("WAF_FILTERED", 403, "Forbidden", "ForbiddenException"),
)
RESPONSE_TYPES: Mapping[str, ResponseType] = {t.name: t for t in _TYPES}

_UNSET: Any = object()


@dataclass(frozen=True)
class GatewayResponse:
    """An HTTP answer: headers as (name, value) pairs, repeated names allowed."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    is_base64: bool = False

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return value
        return None


class GatewayError(Exception):
    """Raised by a chain stage (or anything under it) to answer with a gateway response.

    `message` is `$context.error.message` (`_UNSET`: the type's default; None renders `{"message": null}`);
    `log_reason` is for the execution log only; `status` overrides the type's default status (e.g. 502 for a
    malformed Lambda proxy answer, which AWS sends as a DEFAULT_5XX with that status).
    """

    def __init__(
        self,
        response_type: str,
        message: str | None = _UNSET,
        *,
        log_reason: str | None = None,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if response_type not in RESPONSE_TYPES:
            raise ValueError(f"Unknown gateway response type {response_type!r}")
        kind = RESPONSE_TYPES[response_type]
        self.response_type = response_type
        self.message = kind.message if message is _UNSET else message
        self.log_reason = log_reason or (self.message or response_type)
        self.status = status
        self.headers = dict(headers or {})
        super().__init__(self.log_reason)


def default_status(error: GatewayError) -> int:
    kind = RESPONSE_TYPES[error.response_type]
    if error.status is not None:
        return error.status
    if kind.status is not None:
        return kind.status
    return 500 if error.response_type == "DEFAULT_5XX" else 400


def effective_response(
    response_type: str, status: int, configured: Mapping[str, Mapping[str, Any]] | None
) -> Mapping[str, Any]:
    """The GetGatewayResponse-shaped settings a type answers with: its own, else DEFAULT_4XX/5XX's, else AWS's."""
    configured = configured or {}
    own = configured.get(response_type)
    if own:
        return own
    fallback = configured.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
    if fallback:
        return fallback
    return {"responseTemplates": DEFAULT_TEMPLATES, "responseParameters": {}}


def error_context(error: GatewayError) -> dict[str, Any]:
    """`$context.error.*`: message, messageString (the message as a JSON string literal), responseType."""
    return {
        "message": error.message,
        "messageString": orjson.dumps(error.message).decode(),
        "responseType": error.response_type,
        "validationErrorString": "",
    }


def _parameter_value(expr: str, params: vtl.Params, context: Mapping[str, Any], stage_vars: Mapping[str, str]) -> str:
    """A responseParameters value: `'static'`, `method.request.header|querystring|path.NAME`,
    `stageVariables.NAME` or `context.a.b`."""
    expr = expr.strip()
    if len(expr) >= 2 and expr[0] == expr[-1] == "'":
        return expr[1:-1]
    if expr.startswith("method.request."):
        source, _, name = expr[len("method.request.") :].partition(".")
        values: Mapping[str, str] = getattr(params, source, None) or {}
        if source == "header":
            return next((v for k, v in values.items() if k.lower() == name.lower()), "")
        return values.get(name, "")
    if expr.startswith("stageVariables."):
        return stage_vars.get(expr[len("stageVariables.") :], "")
    if expr.startswith("context."):
        node: Any = context
        for part in expr[len("context.") :].split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        return "" if node is None else java_str(node)
    return ""


def render(
    error: GatewayError,
    *,
    configured: Mapping[str, Mapping[str, Any]] | None = None,
    context: Mapping[str, Any] | None = None,
    params: vtl.Params | None = None,
    stage_variables: Mapping[str, str] | None = None,
    accept: str | None = None,
) -> GatewayResponse:
    """The gateway response for `error`, with the API's customizations (GetGatewayResponses items by type)."""
    status = default_status(error)
    settings = effective_response(error.response_type, status, configured)
    if settings.get("statusCode"):
        try:
            status = int(settings["statusCode"])
        except (TypeError, ValueError):
            pass
    ctx = dict(context or {})
    ctx["error"] = error_context(error)
    params = params or vtl.Params()
    stage_vars = dict(stage_variables or {})
    templates = settings.get("responseTemplates") or DEFAULT_TEMPLATES
    template = vtl.select_response_template(templates, accept) or DEFAULT_TEMPLATE
    try:
        body = vtl.render(template, body="", params=params, context=ctx, stage_variables=stage_vars, response=True)
        text = body.body
    except vtl.TemplateFailure:
        # A broken customization must not hide the error: AWS's default body instead.
        text = '{"message":' + ctx["error"]["messageString"] + "}"
    headers: list[tuple[str, str]] = [("Content-Type", "application/json")]
    kind = RESPONSE_TYPES[error.response_type]
    if kind.error_type:
        headers.append(("x-amzn-ErrorType", kind.error_type))
    for name, value in error.headers.items():
        headers.append((name, value))
    for key, expr in (settings.get("responseParameters") or {}).items():
        if key.startswith("gatewayresponse.header."):
            name = key[len("gatewayresponse.header.") :]
            value = _parameter_value(str(expr), params, ctx, stage_vars)
            headers = [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
    return GatewayResponse(status, headers, text.encode())
