"""Lambda authorizers (TOKEN and REQUEST): invoke, parse the answer, evaluate its policy, cache it.

The function is invoked as API Gateway (``lambdas.invoke``, source ARN ``...:API/authorizers/ID``). Its answer must
be an object with ``principalId`` and a ``policyDocument``, which is evaluated by the IAM evaluator as the caller's
identity policy for ``execute-api:Invoke`` on the method ARN; ``context`` (string, number and boolean values) and
``principalId`` reach ``$context.authorizer`` and the Lambda proxy event; ``usageIdentifierKey`` is the API key of an
API whose apiKeySource is AUTHORIZER. Answers are cached by authorizer and identity source values for
``authorizerResultTtlInSeconds`` (the whole policy: each request evaluates it against its own method ARN, as AWS does).

AWS's answers: no identity (missing header, ``identityValidationExpression`` not matched) 401 Unauthorized without
invoking; a function raising ``Unauthorized`` 401; a Deny 403 "User is not authorized to access this resource with
an explicit deny"; no Allow 403 "User is not authorized to access this resource"; a malformed answer or a failed
invocation 500 ``{"message": null}`` (AuthorizerConfigurationException).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.iam.authorize import CallerPolicies, Check, evaluate_check
from strongroom.iam.policy import (
    Decision,
    MalformedPolicyDocumentError,
    PolicyDocument,
    PolicyKind,
    PrincipalInfo,
    PrincipalType,
    parse_policy,
)
from strongroom.services.apigateway.dataplane.chain import GatewayContext
from strongroom.services.apigateway.dataplane.lambda_proxy import proxy_event
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse
from strongroom.services.apigateway.invoke import lambdas, security
from strongroom.services.apigateway.invoke.security import condition_context, method_arn, state_of
from strongroom.services.apigateway.invoke.state import GatewayParts

_SOURCE = re.compile(r"^method\.request\.(header|querystring)\.(.+)$", re.IGNORECASE)
_STAGE_VARIABLE = re.compile(r"^stageVariables\.(.+)$")
_CONTEXT = re.compile(r"^context\.(.+)$")


@dataclass(frozen=True)
class Answer:
    principal_id: str
    policy: PolicyDocument
    context: dict[str, Any] = field(default_factory=dict)
    usage_identifier: str | None = None


def _config_error(reason: str) -> GatewayError:
    return GatewayError("AUTHORIZER_CONFIGURATION_ERROR", None, log_reason=reason)


def identity_values(ctx: GatewayContext, authorizer: dict[str, Any]) -> list[str] | None:
    """The identity sources' values, or None when one is missing (401 without invoking, as AWS does)."""
    sources = [s.strip() for s in str(authorizer.get("identitySource") or "").split(",") if s.strip()]
    if not sources and authorizer.get("type") == "TOKEN":
        sources = ["method.request.header.Authorization"]
    values: list[str] = []
    for source in sources:
        value: str | None = None
        if match := _SOURCE.match(source):
            where, name = match.groups()
            if where.lower() == "header":
                value = ctx.request.header(name)
            else:
                found = ctx.request.query_values(name)
                value = found[-1] if found else None
        elif match := _STAGE_VARIABLE.match(source):
            value = ctx.stage_variables.get(match.group(1))
        elif match := _CONTEXT.match(source):
            value = str(getattr(ctx, match.group(1), "") or "") or None
        if not value:
            return None
        values.append(value)
    return values


def authorize(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    kind = str(ctx.method.get("authorizationType") or "NONE")
    try:
        if kind == "AWS_IAM":
            security.aws_iam(gw, ctx)
        elif kind == "CUSTOM":
            custom(gw, ctx)
        elif kind != "NONE":
            raise GatewayError(
                "AUTHORIZER_CONFIGURATION_ERROR", None, log_reason=f"authorization type {kind} is not supported"
            )
    except security.Denied as denied:
        return denied.response
    state = security.state_of(ctx)
    if ctx.method.get("apiKeyRequired") and str(state.config.api.doc.get("apiKeySource") or "HEADER") == "AUTHORIZER":
        security.check_key(gw, ctx, state.usage_identifier)
    return None


def custom(gw: GatewayParts, ctx: GatewayContext) -> None:
    state = state_of(ctx)
    authorizer_id = str(ctx.method.get("authorizerId") or "")
    authorizer = state.compiled.authorizers.get(authorizer_id)
    if authorizer is None:
        raise _config_error(f"authorizer {authorizer_id} not in the deployment")
    kind = str(authorizer.get("type") or "TOKEN")
    if kind not in ("TOKEN", "REQUEST"):
        raise _config_error(f"authorizer type {kind} is not supported")
    values = identity_values(ctx, authorizer)
    if values is None:
        raise GatewayError("UNAUTHORIZED", log_reason="identity source missing")
    expression = authorizer.get("identityValidationExpression")
    if kind == "TOKEN" and expression:
        try:
            valid = re.fullmatch(str(expression), values[0]) is not None
        except re.error:
            raise _config_error("identityValidationExpression is not a valid regular expression") from None
        if not valid:
            raise GatewayError("UNAUTHORIZED", log_reason="identityValidationExpression not matched")
    ttl = int(authorizer.get("authorizerResultTtlInSeconds", 300) or 0)
    cache_key = (ctx.api_id, ctx.stage, authorizer_id, tuple(values))
    answer = gw.authorizer_answers.peek(cache_key) if ttl > 0 else None
    if answer is None:
        answer = _invoke(gw, ctx, authorizer, kind, values[0])
        if ttl > 0:
            gw.authorizer_answers.put(cache_key, answer, ttl)
    arn = method_arn(ctx)
    caller = CallerPolicies(
        PrincipalInfo(
            arn=f"arn:aws:iam::{ctx.account_id}:user/authorizer", account=ctx.account_id, type=PrincipalType.IAM_USER
        ),
        identity=(answer.policy,),
    )
    result = evaluate_check(
        caller, Check("execute-api:Invoke", arn, lookup_resource_policy=False), condition_context(ctx)
    )
    if not result.allowed:
        explicit = result.decision is Decision.EXPLICIT_DENY
        message = "User is not authorized to access this resource" + (" with an explicit deny" if explicit else "")
        raise security.Denied(security.access_denied(message))
    ctx.authorizer = {"principalId": answer.principal_id, **answer.context}
    ctx.identity.caller = ctx.identity.caller or None
    state.usage_identifier = answer.usage_identifier


def _invoke(gw: GatewayParts, ctx: GatewayContext, authorizer: dict[str, Any], kind: str, token: str) -> Answer:
    state = state_of(ctx)
    function = lambdas.function_of(_substitute(str(authorizer.get("authorizerUri") or ""), ctx.stage_variables))
    if function is None:
        raise _config_error("authorizerUri names no Lambda function")
    arn = method_arn(ctx)
    if kind == "TOKEN":
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": arn}
    else:
        event = {"type": "REQUEST", "methodArn": arn, **proxy_event(ctx)}
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
    source_arn = f"arn:aws:execute-api:{state.region}:{ctx.account_id}:{ctx.api_id}/authorizers/{authorizer.get('id')}"
    try:
        result = lambdas.invoke(gw.runtime, ctx.account_id, state.region, function, orjson.dumps(event), source_arn)
    except lambdas.InvokeFailed as exc:
        raise _config_error(f"authorizer invocation failed: {exc.code}") from None
    if result.function_error:
        try:
            error = orjson.loads(result.payload)
        except orjson.JSONDecodeError:
            error = {}
        if isinstance(error, dict) and error.get("errorMessage") == "Unauthorized":
            raise GatewayError("UNAUTHORIZED", log_reason="authorizer answered Unauthorized")
        raise _config_error("authorizer function error")
    return parse_answer(result.payload)


def parse_answer(payload: bytes) -> Answer:
    """An authorizer's answer, or AUTHORIZER_CONFIGURATION_ERROR when it is not the documented shape."""
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise _config_error("authorizer answer is not JSON") from None
    if not isinstance(answer, dict):
        raise _config_error("authorizer answer is not an object")
    principal = answer.get("principalId")
    document = answer.get("policyDocument")
    if not isinstance(principal, str | int) or not isinstance(document, dict):
        raise _config_error("authorizer answer lacks principalId or policyDocument")
    try:
        policy = parse_policy(orjson.dumps(document).decode(), PolicyKind.IDENTITY)
    except MalformedPolicyDocumentError as exc:
        raise _config_error(f"authorizer policy is malformed: {exc}") from None
    raw_context = answer.get("context") or {}
    if not isinstance(raw_context, dict):
        raise _config_error("authorizer context is not an object")
    context: dict[str, Any] = {}
    for key, value in raw_context.items():
        if isinstance(value, dict | list):  # AWS: only strings, numbers and booleans may be context values
            raise _config_error("authorizer context values must be strings, numbers or booleans")
        context[str(key)] = value
    usage = answer.get("usageIdentifierKey")
    return Answer(str(principal), policy, context, str(usage) if isinstance(usage, str) else None)


def _substitute(uri: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: variables.get(m.group(1), ""), uri)
