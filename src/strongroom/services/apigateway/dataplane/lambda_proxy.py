"""Proxy integrations as pure conversions: the AWS_PROXY (Lambda) event and response, and HTTP_PROXY rewriting.

AWS_PROXY, REST APIs, payload format 1.0 ("Input format of a Lambda function for proxy integration"): single-value
`headers` / `queryStringParameters` hold the last value of a repeated name, the `multiValue*` maps hold all of them;
maps with nothing in them are null; `body` is the text of the payload, or its base64 with `isBase64Encoded` when the
Content-Type is one of the API's `binaryMediaTypes`. `requestContext.path` carries the stage, the top-level `path`
does not.

The function's answer ("Output format"): an object with only `statusCode`, `headers`, `multiValueHeaders`, `body`
(a string) and `isBase64Encoded`. Anything else — not JSON, not an object, no status, another key, a body that is not
a string — is what AWS logs as "Malformed Lambda proxy response" and answers 502 `{"message": "Internal server
error"}`; a function error is answered the same way. When a name is in both header maps the multi-value one wins.

HTTP_PROXY: the integration URI with `{name}` path parameters (`{proxy}` for a greedy one) and
`${stageVariables.x}` substituted; the query string passed on; the request headers minus the ones API Gateway never
forwards (hop-by-hop and a few more), Host set to the upstream's, `X-Forwarded-For` with the client address
appended; `.`/`..` segments and `/` inside a path parameter are percent-encoded, so a request path cannot climb out
of the integration's base path. The upstream's Connection, Content-Length, Date and x-amzn-RequestId come back as
`x-amzn-Remapped-*`.
"""

from __future__ import annotations

import base64
import fnmatch
import re
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from strongroom.services.apigateway.dataplane.chain import GatewayContext, context_variables
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse

MALFORMED = "Execution failed due to configuration error: Malformed Lambda proxy response"
_RESPONSE_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})

# Never forwarded to an integration, proxy or not.
DROPPED_REQUEST_HEADERS = frozenset(
    h.lower()
    for h in (
        "Connection",
        "Content-Length",
        "Content-MD5",
        "Expect",
        "Keep-Alive",
        "Max-Forwards",
        "Proxy-Authenticate",
        "Proxy-Authorization",
        "Proxy-Connection",
        "Server",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "WWW-Authenticate",
    )
)
REMAPPED_RESPONSE_HEADERS = frozenset({"connection", "content-length", "date", "server", "x-amzn-requestid"})
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding", "content-encoding", "via"})


def _single(pairs: Iterable[tuple[str, str]]) -> dict[str, str] | None:
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = value
    return out or None


def _multi(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]] | None:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out or None


def is_binary(content_type: str | None, binary_media_types: Iterable[str]) -> bool:
    """Whether a Content-Type is one of the API's binaryMediaTypes (which may use `*` wildcards)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return any(fnmatch.fnmatchcase(media, pattern.strip().lower()) for pattern in binary_media_types)


def proxy_event(ctx: GatewayContext, binary_media_types: Iterable[str] = ()) -> dict[str, Any]:
    """The AWS_PROXY event (payload format 1.0) for the request in `ctx`."""
    request = ctx.request
    variables = context_variables(ctx)
    # The event's identity has the API key fields only when a key was used.
    identity = {k: v for k, v in variables["identity"].items() if v is not None or k not in ("apiKey", "apiKeyId")}
    request_context: dict[str, Any] = {
        "resourceId": ctx.resource_id,
        "resourcePath": ctx.resource_path,
        "httpMethod": request.method.upper(),
        "extendedRequestId": variables["extendedRequestId"],
        "requestTime": variables["requestTime"],
        "path": variables["path"],
        "accountId": ctx.account_id,
        "protocol": request.protocol,
        "stage": ctx.stage,
        "domainPrefix": variables["domainPrefix"],
        "requestTimeEpoch": variables["requestTimeEpoch"],
        "requestId": ctx.request_id,
        "identity": identity,
        "domainName": variables["domainName"],
        "apiId": ctx.api_id,
    }
    if ctx.authorizer:
        request_context["authorizer"] = dict(ctx.authorizer)
    body: str | None = None
    encoded = False
    if request.body:
        if is_binary(request.header("Content-Type"), binary_media_types):
            body, encoded = base64.b64encode(request.body).decode(), True
        else:
            body = request.body.decode("utf-8", errors="replace")
    return {
        "resource": ctx.resource_path,
        "path": ctx.path or "/",
        "httpMethod": request.method.upper(),
        "headers": _single(request.headers),
        "multiValueHeaders": _multi(request.headers),
        "queryStringParameters": _single(request.query),
        "multiValueQueryStringParameters": _multi(request.query),
        "pathParameters": dict(ctx.path_parameters) or None,
        "stageVariables": dict(ctx.stage_variables) or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": encoded,
    }


def _malformed(detail: str) -> GatewayError:
    return GatewayError("DEFAULT_5XX", "Internal server error", status=502, log_reason=f"{MALFORMED}: {detail}")


def function_error(detail: str = "") -> GatewayError:
    """A Lambda function that raised (or timed out): AWS answers it as a malformed proxy response."""
    return _malformed(detail or "function error")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ValueError("header value is not a scalar")


def proxy_response(payload: bytes | str) -> GatewayResponse:
    """The client's response from a Lambda proxy answer; `GatewayError` (502) when it is malformed."""
    try:
        answer = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise _malformed("not JSON") from None
    if not isinstance(answer, dict):
        raise _malformed("not a JSON object")
    extra = set(answer) - _RESPONSE_KEYS
    if extra:
        raise _malformed(f"unexpected keys {sorted(extra)}")
    status = answer.get("statusCode")
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise _malformed("statusCode missing or invalid")
    headers: list[tuple[str, str]] = []
    try:
        multi = answer.get("multiValueHeaders")
        single = answer.get("headers")
        multi = {} if multi is None else multi
        single = {} if single is None else single
        if not isinstance(multi, dict) or not isinstance(single, dict):
            raise ValueError("headers are not objects")
        multi_lower = {str(k).lower() for k in multi}
        for key, value in single.items():
            if str(key).lower() not in multi_lower:
                headers.append((str(key), _scalar(value)))
        for key, values in multi.items():
            if not isinstance(values, list):
                raise ValueError("multiValueHeaders values are not lists")
            headers.extend((str(key), _scalar(v)) for v in values)
    except ValueError as exc:
        raise _malformed(str(exc)) from None
    body = answer.get("body")
    if body is not None and not isinstance(body, str):
        raise _malformed("body is not a string")
    encoded = answer.get("isBase64Encoded", False)
    if not isinstance(encoded, bool):
        raise _malformed("isBase64Encoded is not a boolean")
    raw = b""
    if body:
        if encoded:
            try:
                raw = base64.b64decode(body, validate=True)
            except ValueError:
                raise _malformed("body is not valid base64") from None
        else:
            raw = body.encode()
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/json"))
    return GatewayResponse(status, headers, raw, is_base64=encoded)


# --- HTTP_PROXY -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProxyRequest:
    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes


def _encode_segment(segment: str) -> str:
    if segment in (".", ".."):
        return segment.replace(".", "%2E")
    return urllib.parse.quote(segment, safe="!$&'()*+,;=:@-._~")


def _encode_parameter(value: str, greedy: bool) -> str:
    if greedy:  # keep the separators of a {proxy+} value, encode each segment on its own
        return "/".join(_encode_segment(s) for s in value.split("/"))
    return _encode_segment(value)


_PLACEHOLDER = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}|\{([A-Za-z0-9._-]+)\}")


def render_uri(
    uri: str, path_parameters: Mapping[str, str], stage_variables: Mapping[str, str], greedy: str = ""
) -> str:
    """The integration URI with stage variables and (encoded) path parameters substituted.

    A `{name}` that is not a path parameter is left as it is (AWS rejects such a deployment before it runs).
    """

    def substitute(match: re.Match[str]) -> str:
        if match.group(1) is not None:
            return stage_variables.get(match.group(1), "")
        name = match.group(2)
        if name in path_parameters:
            return _encode_parameter(path_parameters[name], greedy=name == greedy)
        return match.group(0)

    return _PLACEHOLDER.sub(substitute, uri)


def http_proxy_request(ctx: GatewayContext, integration: Mapping[str, Any]) -> ProxyRequest:
    """The upstream request of an HTTP_PROXY integration (GetIntegration output) for the request in `ctx`."""
    request = ctx.request
    greedy = next((p[1:-2] for p in ctx.resource_path.split("/") if p.startswith("{") and p.endswith("+}")), "")
    url = render_uri(str(integration.get("uri") or ""), ctx.path_parameters, ctx.stage_variables, greedy)
    if request.query:
        separator = "&" if urllib.parse.urlsplit(url).query else "?"
        url += separator + urllib.parse.urlencode(request.query, quote_via=urllib.parse.quote)
    method = str(integration.get("httpMethod") or "ANY").upper()
    if method == "ANY":
        method = request.method.upper()
    host = urllib.parse.urlsplit(url).netloc
    headers: list[tuple[str, str]] = []
    forwarded: list[str] = []
    has_user_agent = False
    for key, value in request.headers:
        lowered = key.lower()
        if lowered in DROPPED_REQUEST_HEADERS or lowered == "host":
            continue
        if lowered == "x-forwarded-for":
            forwarded.append(value)
            continue
        has_user_agent = has_user_agent or lowered == "user-agent"
        headers.append((key, value))
    forwarded.append(request.source_ip)
    headers.append(("Host", host))
    headers.append(("X-Forwarded-For", ", ".join(v for v in forwarded if v)))
    headers.append(("x-amzn-apigateway-api-id", ctx.api_id))
    if not has_user_agent:
        headers.append(("User-Agent", f"AmazonAPIGateway_{ctx.api_id}"))
    return ProxyRequest(method, url, headers, request.body)


def http_proxy_response(status: int, headers: Iterable[tuple[str, str]], body: bytes) -> GatewayResponse:
    """The client's response from an HTTP_PROXY upstream answer (headers API Gateway rewrites, rewritten)."""
    out: list[tuple[str, str]] = []
    for key, value in headers:
        lowered = key.lower()
        if lowered in DROPPED_RESPONSE_HEADERS:
            continue
        if lowered in REMAPPED_RESPONSE_HEADERS:
            out.append((f"x-amzn-Remapped-{key}", value))
            continue
        out.append((key, value))
    return GatewayResponse(status, out, body)
