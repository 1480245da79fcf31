"""API Gateway mapping templates: AWS's template variables over the hardened Velocity engine (`vtl_sandbox`).

The variables are those of "Variables for data transformations for API Gateway" (the mapping template and access
logging variable reference): `$input` (`body`, `json(path)`, `path(path)`, `params()`, `params(name)`), `$util`
(`escapeJavaScript`, `parseJson`, `urlEncode`, `urlDecode`, `base64Encode`, `base64Decode`), `$context` (a plain
dict the caller builds, see `chain.context_variables`) and `$stageVariables`. In a response template
`$context.responseOverride.status` and `$context.responseOverride.header.NAME` may be `#set`; in a request template
`$context.requestOverride.header|path|querystring.NAME`.

Template selection follows the integration's `passthroughBehavior`: WHEN_NO_MATCH passes an unmatched body through,
WHEN_NO_TEMPLATES passes it through only when the integration has no templates, NEVER never does; the rest answer
415 "Unsupported Media Type". A template that fails answers 500 "Internal server error" with the reason kept for the
execution log (`TemplateFailure.log_reason`); a request body that `$input.json`/`$input.path` cannot parse answers
400 as AWS does ("Could not parse request body into json: ...").
"""

from __future__ import annotations

import base64
import copy
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.services.apigateway.dataplane import jsonpath
from strongroom.services.apigateway.dataplane.vtl_sandbox import (
    DEFAULT_LIMITS,
    Limits,
    VtlError,
    VtlObject,
    budget_steps,
    charged,
    evaluate,
    java_str,
)

DEFAULT_CONTENT_TYPE = "application/json"
PASSTHROUGH_BEHAVIORS = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")


class TemplateFailure(Exception):
    """What the client is answered when templating fails, and why (`log_reason`, for the execution log only)."""

    def __init__(self, status: int, message: str, response_type: str, log_reason: str) -> None:
        super().__init__(log_reason)
        self.status = status
        self.message = message
        self.response_type = response_type
        self.log_reason = log_reason


def unsupported_media_type(content_type: str) -> TemplateFailure:
    return TemplateFailure(
        415,
        "Unsupported Media Type",
        "UNSUPPORTED_MEDIA_TYPE",
        f"Request body does not match any mapping template for content type {content_type}",
    )


class _BodyNotJson(VtlError):
    pass


@dataclass(frozen=True)
class Params:
    """The request parameters `$input.params` sees: one value per name (the last one a multi-valued name had)."""

    path: Mapping[str, str] = field(default_factory=dict)
    querystring: Mapping[str, str] = field(default_factory=dict)
    header: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """A rendered template and the overrides it `#set`."""

    body: str
    status_override: int | None = None
    header_overrides: Mapping[str, str] = field(default_factory=dict)
    request_overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


class InputVariable(VtlObject):
    """`$input`: the payload (`body`, `json`, `path`) and the request parameters (`params`)."""

    vtl_members = frozenset({"body", "json", "path", "params"})

    def __init__(self, body: str, params: Params) -> None:
        self.body = body
        self._params = params
        # Two parses of the body: `path` hands its document to the template, which may change it (`put`, `add`,
        # even make it hold itself); `json` serializes only the other, which no template ever sees. Neither is
        # copied per call, so `#foreach` cannot multiply the cost of a large body.
        self._documents: tuple[Any, Any] | None = None

    def __str__(self) -> str:
        return "input"

    def _document(self, shared: bool) -> Any:
        if self._documents is None:
            if not self.body.strip():
                self._documents = ({}, {})  # AWS treats an empty payload as an empty object
            else:
                try:
                    self._documents = (orjson.loads(self.body), orjson.loads(self.body))
                except orjson.JSONDecodeError as exc:
                    raise _BodyNotJson(f"Could not parse request body into json: {exc}") from None
        return self._documents[1 if shared else 0]

    def _select(self, path: Any, shared: bool) -> Any:
        try:
            return jsonpath.evaluate(self._document(shared), java_path(path))
        except jsonpath.JsonPathError as exc:
            raise VtlError(str(exc)) from None

    def json(self, path: Any) -> str:
        """The JSON text of what `path` selects (an empty string when nothing is there)."""
        value = self._select(path, shared=False)
        if value is jsonpath.MISSING:
            return ""
        return charged(orjson.dumps(value).decode())

    def path(self, path: Any) -> Any:
        """The object `path` selects (a map, list, string, number), or null."""
        value = self._select(path, shared=True)
        return None if value is jsonpath.MISSING else value

    def params(self, name: Any = None) -> Any:
        """All parameters (`{path, querystring, header}`), or one by name: path first, then query string, header."""
        if name is None:
            budget_steps((len(self._params.path) + len(self._params.querystring) + len(self._params.header)) // 64)
            return {
                "path": dict(self._params.path),
                "querystring": dict(self._params.querystring),
                "header": dict(self._params.header),
            }
        key = str(name)
        for source in (self._params.path, self._params.querystring):
            if key in source:
                return source[key]
        lowered = key.lower()
        for header, value in self._params.header.items():
            if header.lower() == lowered:
                return value
        return ""


def java_path(path: Any) -> str:
    return path if isinstance(path, str) else str(path)


def escape_javascript(value: str) -> str:
    """Apache Commons Lang's `StringEscapeUtils.escapeJavaScript`, which `$util.escapeJavaScript` is."""
    out: list[str] = []
    data = value.encode("utf-16-be")
    for i in range(0, len(data), 2):  # Java strings are UTF-16: astral characters escape as two surrogates
        code = (data[i] << 8) | data[i + 1]
        ch = chr(code)
        if code > 0x7F:
            out.append(f"\\u{code:04X}")
        elif code < 32:
            out.append({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"}.get(code) or f"\\u{code:04X}")
        elif ch in "'\"\\/":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


class UtilVariable(VtlObject):
    """`$util`."""

    vtl_members = frozenset({"escapeJavaScript", "parseJson", "urlEncode", "urlDecode", "base64Encode", "base64Decode"})

    def __str__(self) -> str:
        return "util"

    def escapeJavaScript(self, value: Any) -> str:
        return charged(escape_javascript(_text(value)))

    def parseJson(self, value: Any) -> Any:
        try:
            return orjson.loads(_text(value))
        except orjson.JSONDecodeError as exc:
            raise VtlError(f"Unable to parse JSON: {exc}") from None

    def urlEncode(self, value: Any) -> str:
        # Java's URLEncoder: space as '+', only [A-Za-z0-9.*_-] left as they are (Python also keeps '~').
        return charged(urllib.parse.quote_plus(_text(value), safe="*").replace("~", "%7E"))

    def urlDecode(self, value: Any) -> str:
        return charged(urllib.parse.unquote_plus(_text(value)))

    def base64Encode(self, value: Any) -> str:
        return charged(base64.b64encode(_text(value).encode()).decode())

    def base64Decode(self, value: Any) -> str:
        try:
            raw = base64.b64decode(_text(value), validate=False)
        except ValueError as exc:
            raise VtlError(f"Invalid base64: {exc}") from None
        return charged(raw.decode("utf-8", errors="replace"))


def _text(value: Any) -> str:
    return java_str(value)


def media_type(content_type: str | None) -> str:
    """`text/plain; charset=utf-8` -> `text/plain`; no Content-Type means application/json, as AWS assumes."""
    if not content_type or not content_type.strip():
        return DEFAULT_CONTENT_TYPE
    return content_type.split(";", 1)[0].strip().lower()


def select_request_template(
    templates: Mapping[str, str] | None, content_type: str | None, passthrough_behavior: str | None
) -> str | None:
    """The request template for `content_type`, or None to pass the body through; 415 per `passthroughBehavior`."""
    templates = templates or {}
    wanted = media_type(content_type)
    for key, template in templates.items():
        if media_type(key) == wanted:
            return template
    behavior = (passthrough_behavior or "WHEN_NO_MATCH").upper()
    if behavior == "WHEN_NO_MATCH" or (behavior == "WHEN_NO_TEMPLATES" and not templates):
        return None
    raise unsupported_media_type(wanted)


def select_response_template(templates: Mapping[str, str] | None, accept: str | None) -> str | None:
    """The integration response template for the method request's Accept, or None to pass the body through.

    The first Accept media type with a template wins; otherwise application/json's template, else the first one.
    """
    if not templates:
        return None
    by_type = {media_type(k): v for k, v in templates.items()}
    for item in (accept or "").split(","):
        wanted = media_type(item) if item.strip() else ""
        if wanted and wanted != "*/*" and wanted in by_type:
            return by_type[wanted]
    if DEFAULT_CONTENT_TYPE in by_type:
        return by_type[DEFAULT_CONTENT_TYPE]
    return next(iter(templates.values()))


def render(
    template: str,
    *,
    body: bytes | str,
    params: Params | None = None,
    context: Mapping[str, Any] | None = None,
    stage_variables: Mapping[str, str] | None = None,
    response: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> Rendered:
    """Render a mapping template (request or integration response) as AWS does; failures are `TemplateFailure`."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    ctx: dict[str, Any] = copy.deepcopy(dict(context or {}))  # #set must not reach the caller's dict
    if response:
        ctx["responseOverride"] = {"status": None, "header": {}}
    else:
        ctx["requestOverride"] = {"header": {}, "path": {}, "querystring": {}}
    namespace: dict[str, Any] = {
        "input": InputVariable(text, params or Params()),
        "util": UtilVariable(),
        "context": ctx,
        "stageVariables": dict(stage_variables or {}),
    }
    where = "response" if response else "request"
    try:
        out = evaluate(template, namespace, limits)
    except _BodyNotJson as exc:
        if response:
            raise _internal(f"Unable to transform {where}: {exc.reason}") from None
        raise TemplateFailure(400, exc.reason, "BAD_REQUEST_BODY", exc.reason) from None
    except VtlError as exc:
        raise _internal(f"Unable to transform {where}: {exc.reason}") from None
    return _rendered(out, ctx, response)


def _internal(reason: str) -> TemplateFailure:
    return TemplateFailure(
        500,
        "Internal server error",
        "API_CONFIGURATION_ERROR",
        f"Execution failed due to configuration error: {reason}",
    )


def _rendered(out: str, ctx: dict[str, Any], response: bool) -> Rendered:
    if not response:
        overrides = ctx.get("requestOverride")
        request_overrides: dict[str, dict[str, str]] = {}
        if isinstance(overrides, dict):
            for part in ("header", "path", "querystring"):
                values = overrides.get(part)
                if isinstance(values, dict) and values:
                    request_overrides[part] = {str(k): _text(v) for k, v in values.items()}
        return Rendered(out, request_overrides=request_overrides)
    override = ctx.get("responseOverride")
    status: int | None = None
    headers: dict[str, str] = {}
    if isinstance(override, dict):
        raw = override.get("status")
        if raw is not None:
            try:
                status = int(_text(raw))
            except ValueError:
                raise _internal(f"Invalid responseOverride.status {_text(raw)!r}") from None
            if not 100 <= status <= 599:
                raise _internal(f"Invalid responseOverride.status {status}")
        values = override.get("header")
        if isinstance(values, dict):
            headers = {str(k): _text(v) for k, v in values.items()}
    return Rendered(out, status_override=status, header_overrides=headers)
