"""The integration stages: request mapping, the call (MOCK, HTTP, HTTP_PROXY, AWS_PROXY and AWS to Lambda), and
the integration response (selection, templates, parameters).

HTTP calls go out through one urllib3 pool without retries or redirects; ``timeoutInMillis`` (default 29,000) bounds
the connection and every read: past it 504 "Endpoint request timed out"; a connection that fails is 500 "Internal
server error" (the execution log keeps why). Header names and values are checked before they are sent: a value a
template or a client made with CR, LF or NUL is dropped, never written into the backend request.
"""

from __future__ import annotations

import re
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import orjson
import urllib3

from strongroom.services.apigateway.dataplane import lambda_proxy, vtl
from strongroom.services.apigateway.dataplane.chain import GatewayContext, context_variables, params_of
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse
from strongroom.services.apigateway.invoke import lambdas
from strongroom.services.apigateway.invoke.security import method_arn, state_of
from strongroom.services.apigateway.invoke.state import GatewayParts

DEFAULT_TIMEOUT_MS = 29_000
MAX_RESPONSE = 10 * 1024 * 1024  # AWS's payload quota, for what comes back from a backend too
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\r\n\x00]")


@dataclass
class Prepared:
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)
    path: dict[str, str] = field(default_factory=dict)


@dataclass
class Result:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    error_message: str | None = None  # a Lambda function's errorMessage, for selectionPattern


def safe_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers fit to send: a name that is not an HTTP token or a value with CR/LF/NUL is dropped."""
    return [(k, v) for k, v in headers if _TOKEN.match(k) and not _BAD_VALUE.search(v)]


def _integration(ctx: GatewayContext) -> dict[str, Any]:
    integration = ctx.method.get("methodIntegration")
    if not isinstance(integration, dict):
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason="No integration defined for method")
    return integration


def _failure(failure: vtl.TemplateFailure) -> GatewayError:
    response_type = failure.response_type if failure.response_type else "DEFAULT_5XX"
    return GatewayError(response_type, failure.message, status=failure.status, log_reason=failure.log_reason)


def _parameter(expr: str, ctx: GatewayContext, result: Result | None = None) -> str | None:
    """A requestParameters / responseParameters source: 'static', method.request.*, stageVariables.*, context.*,
    integration.response.header.*, integration.response.body."""
    expr = expr.strip()
    if len(expr) >= 2 and expr[0] == expr[-1] == "'":
        return expr[1:-1]
    request = ctx.request
    if expr.startswith("method.request."):
        source, _, name = expr[len("method.request.") :].partition(".")
        if source == "header":
            return request.header(name)
        if source == "querystring":
            found = request.query_values(name)
            return found[-1] if found else None
        if source == "path":
            return ctx.path_parameters.get(name)
        return None
    if expr.startswith("stageVariables."):
        return ctx.stage_variables.get(expr[len("stageVariables.") :])
    if expr.startswith("context."):
        node: Any = context_variables(ctx)
        for part in expr[len("context.") :].split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return None if node is None else str(node)
    if result is not None and expr.startswith("integration.response.header."):
        name = expr[len("integration.response.header.") :].lower()
        return next((v for k, v in reversed(result.headers) if k.lower() == name), None)
    if result is not None and expr == "integration.response.body":
        return result.body.decode("utf-8", errors="replace")
    return None


def integration_request(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    integration = _integration(ctx)
    kind = str(integration.get("type") or "")
    if kind in ("HTTP_PROXY", "AWS_PROXY"):
        return None
    request = ctx.request
    try:
        template = vtl.select_request_template(
            integration.get("requestTemplates"),
            request.header("Content-Type"),
            integration.get("passthroughBehavior"),
        )
        prepared = Prepared(request.body)
        if template is not None:
            rendered = vtl.render(
                template,
                body=request.body,
                params=params_of(ctx),
                context=context_variables(ctx),
                stage_variables=ctx.stage_variables,
            )
            prepared = Prepared(rendered.body.encode())
            overrides = rendered.request_overrides
            prepared.headers.update(overrides.get("header", {}))
            prepared.query.update(overrides.get("querystring", {}))
            prepared.path.update(overrides.get("path", {}))
    except vtl.TemplateFailure as failure:
        raise _failure(failure) from None
    for target, source in (integration.get("requestParameters") or {}).items():
        value = _parameter(str(source), ctx)
        if value is None:
            continue
        where, _, name = str(target).removeprefix("integration.request.").partition(".")
        {"header": prepared.headers, "querystring": prepared.query, "path": prepared.path}.get(where, {}).setdefault(
            name, value
        )
    state_of(ctx).integration_request = prepared
    return None


def integration(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    integration = _integration(ctx)
    kind = str(integration.get("type") or "")
    started = time.perf_counter()
    try:
        if kind == "MOCK":
            state_of(ctx).integration_result = _mock(ctx)
            return None
        if kind == "HTTP_PROXY":
            proxy = lambda_proxy.http_proxy_request(ctx, integration)
            status, headers, body = _send(gw, proxy.method, proxy.url, proxy.headers, proxy.body, integration)
            ctx.integration["status"] = status
            return lambda_proxy.http_proxy_response(status, headers, body)
        if kind == "HTTP":
            state_of(ctx).integration_result = _http(gw, ctx, integration)
            return None
        if kind == "AWS_PROXY":
            result = _lambda(gw, ctx, integration, orjson.dumps(lambda_proxy.proxy_event(ctx, _binary(ctx))))
            if result.error_message is not None:
                raise lambda_proxy.function_error(result.error_message)
            return lambda_proxy.proxy_response(result.body)
        if kind == "AWS":
            prepared = state_of(ctx).integration_request
            state_of(ctx).integration_result = _lambda(gw, ctx, integration, prepared.body)
            return None
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason=f"integration type {kind} is not supported")
    finally:
        ctx.integration["latency"] = int((time.perf_counter() - started) * 1000)


def _binary(ctx: GatewayContext) -> list[str]:
    return list(state_of(ctx).config.api.doc.get("binaryMediaTypes") or [])


def _mock(ctx: GatewayContext) -> Result:
    prepared = state_of(ctx).integration_request
    status = 200
    try:
        document = orjson.loads(prepared.body) if prepared.body.strip() else {}
        if isinstance(document, dict) and document.get("statusCode") is not None:
            status = int(document["statusCode"])
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason="MOCK request template gave no statusCode") from None
    return Result(status, b"")


def _http(gw: GatewayParts, ctx: GatewayContext, integration: dict[str, Any]) -> Result:
    prepared: Prepared = state_of(ctx).integration_request
    params = {**ctx.path_parameters, **prepared.path}
    url = lambda_proxy.render_uri(str(integration.get("uri") or ""), params, ctx.stage_variables)
    if prepared.query:
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url += separator + urllib.parse.urlencode(prepared.query, quote_via=urllib.parse.quote)
    method = str(integration.get("httpMethod") or "ANY").upper()
    if method == "ANY":
        method = ctx.request.method.upper()
    headers = [("Content-Type", ctx.request.header("Content-Type") or "application/json")]
    headers += [(k, v) for k, v in prepared.headers.items()]
    headers.append(("User-Agent", f"AmazonAPIGateway_{ctx.api_id}"))
    status, out_headers, body = _send(gw, method, url, headers, prepared.body, integration)
    ctx.integration["status"] = status
    return Result(status, body, out_headers)


def _send(
    gw: GatewayParts, method: str, url: str, headers: list[tuple[str, str]], body: bytes, integration: dict[str, Any]
) -> tuple[int, list[tuple[str, str]], bytes]:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason=f"integration URI scheme {scheme!r} not allowed")
    seconds = int(integration.get("timeoutInMillis") or DEFAULT_TIMEOUT_MS) / 1000
    pairs = urllib3.HTTPHeaderDict()
    for key, value in safe_headers(headers):
        pairs.add(key, value)
    try:
        response = gw.http.request(
            method,
            url,
            body=body or None,
            headers=pairs,
            timeout=urllib3.Timeout(connect=seconds, read=seconds),
            retries=False,
            redirect=False,
            preload_content=False,
        )
        try:
            data = response.read(MAX_RESPONSE + 1)
        finally:
            response.release_conn()
    except urllib3.exceptions.NewConnectionError as exc:  # (a ConnectTimeoutError subclass, for history's sake)
        raise GatewayError(
            "DEFAULT_5XX", "Internal server error", status=500, log_reason=f"Execution failed: {type(exc).__name__}"
        ) from None
    except urllib3.exceptions.TimeoutError:
        raise GatewayError("INTEGRATION_TIMEOUT", log_reason="Execution failed due to a timeout error") from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise GatewayError(
            "DEFAULT_5XX", "Internal server error", status=500, log_reason=f"Execution failed: {type(exc).__name__}"
        ) from None
    if len(data) > MAX_RESPONSE:
        raise GatewayError("DEFAULT_5XX", status=502, log_reason="integration response larger than 10 MB")
    return response.status, list(response.headers.items()), data


def _lambda(gw: GatewayParts, ctx: GatewayContext, integration: dict[str, Any], payload: bytes) -> Result:
    state = state_of(ctx)
    uri = lambda_proxy.render_uri(str(integration.get("uri") or ""), {}, ctx.stage_variables)
    function = lambdas.function_of(uri)
    if function is None:
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason="integration URI names no Lambda function")
    try:
        result = lambdas.invoke(gw.runtime, ctx.account_id, state.region, function, payload, method_arn(ctx))
    except lambdas.InvokeFailed as exc:
        # AWS: "Execution failed due to configuration error: Invalid permissions on Lambda function" (500)
        raise GatewayError("API_CONFIGURATION_ERROR", log_reason=f"Lambda invocation failed: {exc.code}") from None
    ctx.integration["status"] = 200
    if result.function_error:
        message = ""
        try:
            error = orjson.loads(result.payload)
            if isinstance(error, dict):
                message = str(error.get("errorMessage") or "")
        except orjson.JSONDecodeError:
            pass
        ctx.integration["error"] = message
        return Result(200, result.payload, error_message=message)
    return Result(200, result.payload)


def integration_response(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    """Select the integration response (selectionPattern against the status, or a Lambda errorMessage), then map."""
    integration = _integration(ctx)
    result: Result | None = state_of(ctx).integration_result
    if result is None:
        raise GatewayError("DEFAULT_5XX", log_reason="integration produced no result")
    responses = integration.get("integrationResponses") or {}
    subject = result.error_message if result.error_message is not None else str(result.status)
    chosen: dict[str, Any] | None = None
    default: dict[str, Any] | None = None
    for status, response in sorted(responses.items()):
        pattern = response.get("selectionPattern")
        if not pattern:
            default = default or {**response, "statusCode": status}
            continue
        try:
            if re.fullmatch(str(pattern), subject, re.DOTALL):
                chosen = {**response, "statusCode": status}
                break
        except re.error:
            continue
    chosen = chosen or default
    if chosen is None:
        raise GatewayError(
            "API_CONFIGURATION_ERROR",
            log_reason="Execution failed due to configuration error: No match for output mapping and no default output "
            "mapping configured",
        )
    status = int(chosen["statusCode"])
    headers: list[tuple[str, str]] = []
    body = result.body
    templates = chosen.get("responseTemplates") or {}
    content_type = "application/json"
    template = vtl.select_response_template(templates, ctx.request.header("Accept")) if templates else None
    if template is not None:
        try:
            rendered = vtl.render(
                template,
                body=result.body,
                params=params_of(ctx),
                context=context_variables(ctx),
                stage_variables=ctx.stage_variables,
                response=True,
            )
        except vtl.TemplateFailure as failure:
            raise _failure(failure) from None
        body = rendered.body.encode()
        if rendered.status_override is not None:
            status = rendered.status_override
        headers.extend(rendered.header_overrides.items())
        content_type = next((k for k, v in templates.items() if v == template), content_type)
    for target, source in (chosen.get("responseParameters") or {}).items():
        if str(target).startswith("method.response.header."):
            value = _parameter(str(source), ctx, result)
            if value is not None:
                headers.append((str(target)[len("method.response.header.") :], value))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", content_type))
    return GatewayResponse(status, safe_headers(headers), body)
