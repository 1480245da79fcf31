"""A stage's access log line: `accessLogSettings.format` with its `$context.*` variables substituted.

Access logs are not templates (AWS: "$context variables only", no Velocity): each `$context.a.b` is replaced by the
value at that path of the `$context` map (`chain.context_variables`), and a variable with no value is written `-`,
as AWS writes it. AWS's CLF, JSON, XML and CSV examples render.

Values come from the client (a User-Agent, a path parameter), so control characters are escaped (`\\n`, `\\u0000`)
and no value can start a forged log line; in a JSON format (one starting with `{`) quotes and backslashes are escaped
too, so the line stays parseable. A line is cut at `MAX_LINE` characters (a CloudWatch Logs event holds 256 KB).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from strongroom.services.apigateway.dataplane.vtl_sandbox import java_str

MAX_LINE = 256 * 1024
MISSING = "-"
_VARIABLE = re.compile(r"\$(?:context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_-]+)*)|\{context\.([A-Za-z0-9_.-]+)\})")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

CLF_FORMAT = (
    "$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "
    '"$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength '
    "$context.requestId $context.extendedRequestId"
)
JSON_FORMAT = (
    '{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", '
    '"ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", '
    '"requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", '
    '"resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", '
    '"responseLength":"$context.responseLength" }'
)
XML_FORMAT = (
    '<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> '
    "<ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> "
    "<user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> "
    "<httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> "
    "<status>$context.status</status> <protocol>$context.protocol</protocol> "
    "<responseLength>$context.responseLength</responseLength> </request>"
)
CSV_FORMAT = (
    "$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,"
    "$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,"
    "$context.requestId,$context.extendedRequestId"
)


def _lookup(context: Mapping[str, Any], path: str) -> Any:
    node: Any = context
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _escape_control(text: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL.sub(lambda m: named.get(m.group(0)) or f"\\u{ord(m.group(0)):04x}", text)


def render(log_format: str, context: Mapping[str, Any]) -> str:
    """The access log line for one request."""
    json_like = log_format.lstrip().startswith("{")

    def value_of(match: re.Match[str]) -> str:
        value = _lookup(context, match.group(1) or match.group(2))
        if value is None or value == "" or isinstance(value, Mapping):
            return MISSING
        text = java_str(value)
        if json_like:
            text = text.replace("\\", "\\\\").replace('"', '\\"')
        return _escape_control(text)

    return _VARIABLE.sub(value_of, log_format)[:MAX_LINE]
