"""The AWS ``rest-json`` protocol (restJson1): members spread over the URI path, query string, headers and
a JSON (or raw payload) body; the response status comes from the model.

Defaults follow botocore and Smithy: URI/query timestamps iso8601, header timestamps rfc822 (http-date),
body timestamps epoch seconds; header lists comma-separated; ``jsonvalue`` headers base64-encoded JSON.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import UriTemplate, compile_uri
from strongroom.protocol.codecs import values
from strongroom.protocol.codecs.json import (
    JsonDecoder,
    JsonEncoder,
    dump_json,
    error_body,
    error_shape,
    load_json,
    serialization_error,
    timestamp_format,
)
from strongroom.protocol.http import HttpRequest, HttpResponse

_NO_BODY_STATUS = frozenset({204, 205, 304})


@lru_cache(maxsize=4096)
def _template(operation: OperationModel) -> UriTemplate:
    return compile_uri(operation)


def _literal_query_keys(operation: OperationModel) -> frozenset[str]:
    """Keys fixed by the ``requestUri`` itself (``?List=ALL``): never members, never map entries."""
    return frozenset(name for name, _ in _template(operation).required_query)


def split_header_list(text: str) -> list[str]:
    """Split a comma-separated header, honouring the double quotes botocore adds around items with commas."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    was_quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text):
                current.append(text[i + 1])
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif was_quoted and ch != ",":
            pass  # whitespace between a closing quote and the next comma
        elif ch == '"' and not "".join(current).strip():
            quoted = True
            was_quoted = True
            current = []
        elif ch == ",":
            item = "".join(current)
            items.append(item if was_quoted else item.strip())
            current = []
            was_quoted = False
        else:
            current.append(ch)
        i += 1
    item = "".join(current)
    items.append(item if was_quoted else item.strip())
    return items


def _escape_header_item(value: str) -> str:
    if '"' in value or "," in value:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


class RestJsonCodec:
    """restJson1, driven by each member's ``location`` in the botocore model."""

    def __init__(self) -> None:
        self._decoder = JsonDecoder()
        self._encoder = JsonEncoder()

    # ---- requests -------------------------------------------------------------------------------------

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if shape is None:
            return {}
        out: dict[str, Any] = {}
        labels = self._labels(operation, request.path)
        query = request.query_params()
        literal = _literal_query_keys(operation)
        claimed = set(literal)
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "querystring" and member.type_name != "map":
                claimed.add(member.serialization.get("name", name))
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            key = member.serialization.get("name", name)
            if location == "uri":
                if key in labels:
                    out[name] = self._text_value(member, labels[key], values.ISO8601, name)
            elif location == "querystring":
                found = self._query_member(member, key, query, claimed, name)
                if found is not None:
                    out[name] = found
            elif location == "header":
                raw = request.headers.get(key.lower())
                if raw is not None:
                    out[name] = self._header_value(member, raw, name)
            elif location == "headers":
                prefix = key.lower()
                out[name] = {h[len(prefix) :]: v for h, v in request.headers.items() if h.startswith(prefix)}
        out.update(self._decode_body(shape, request.body))
        return out

    def _labels(self, operation: OperationModel, path: str) -> dict[str, str]:
        template = _template(operation)
        m = template.regex.fullmatch(path)
        if m is None:
            return {}
        return {label: unquote(m.group(i + 1)) for i, label in enumerate(template.labels)}

    def _query_member(self, member: Shape, key: str, query: list[tuple[str, str]], claimed: set[str], name: str) -> Any:
        if member.type_name == "map":
            value_shape: Shape = member.value
            result: dict[str, Any] = {}
            for k, v in query:
                if k in claimed:
                    continue
                if value_shape.type_name == "list":
                    item = self._text_value(value_shape.member, v, values.ISO8601, name)
                    result.setdefault(k, []).append(item)
                else:
                    result.setdefault(k, self._text_value(value_shape, v, values.ISO8601, name))
            return result or None
        matches = [v for k, v in query if k == key]
        if not matches:
            return None
        if member.type_name == "list":
            item_shape: Shape = member.member
            return [self._text_value(item_shape, v, values.ISO8601, name) for v in matches]
        return self._text_value(member, matches[0], values.ISO8601, name)

    def _header_value(self, member: Shape, raw: str, name: str) -> Any:
        if member.type_name == "list":
            item_shape: Shape = member.member
            return [self._text_value(item_shape, item, values.RFC822, name) for item in split_header_list(raw)]
        if member.type_name == "string" and member.serialization.get("jsonvalue"):
            try:
                return orjson.loads(base64.b64decode(raw.strip(), validate=True))
            except (binascii.Error, ValueError, orjson.JSONDecodeError, RecursionError):
                raise serialization_error(f"Header for '{name}' is not base64-encoded JSON") from None
        return self._text_value(member, raw.strip(), values.RFC822, name)

    def _text_value(self, shape: Shape, text: str, default_ts: str, name: str) -> Any:
        """A scalar carried as text (URI label, query value, header)."""
        kind = shape.type_name
        try:
            if kind == "string":
                return text
            if kind in ("integer", "long", "short", "byte"):
                return values.parse_int(text)
            if kind in ("float", "double"):
                return values.parse_float(text)
            if kind == "boolean":
                return values.parse_bool(text)
            if kind == "timestamp":
                return values.parse_timestamp(text, timestamp_format(shape, default_ts))
            if kind == "blob":
                return values.decode_blob(text)
        except ValueError:
            raise serialization_error(f"Value '{text}' for '{name}' is not a valid {kind}") from None
        raise serialization_error(f"'{name}' of type {kind} cannot be carried outside the body")

    def _decode_body(self, shape: Shape, body: bytes) -> dict[str, Any]:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            if member.type_name == "blob":
                return {payload: bytes(body)} if body else {}
            if member.type_name == "string":
                if not body:
                    return {}
                try:
                    return {payload: body.decode("utf-8")}
                except UnicodeDecodeError:
                    raise serialization_error("Request payload is not valid UTF-8") from None
            if not body.strip():
                return {}
            data = load_json(body)
            return {} if data is None else {payload: self._decoder.decode(member, data, payload)}
        if not any("location" not in m.serialization for m in shape.members.values()):
            return {}
        if not body.strip():
            return {}
        data = load_json(body)
        if data is None:
            return {}
        return self._decoder.decode_members(shape, data, skip_located=True)

    # ---- responses ------------------------------------------------------------------------------------

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        shape = operation.output_shape
        output = output or {}
        status = int(operation.http.get("responseCode", 200))
        headers = [("x-amzn-RequestId", request_id)]
        body = b"{}"
        content_type: str | None = "application/json"
        if shape is not None:
            status = self._status(shape, output, status)
            headers.extend(self._located_headers(shape, output))
            body, content_type = self._encode_body(shape, output)
        if status in _NO_BODY_STATUS:
            body, content_type = b"", None
        # a member may itself be modeled as Content-Type (lambda's ResponseStreamContentType); it wins
        if content_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", content_type))
        return HttpResponse(status, headers, body)

    @staticmethod
    def _status(shape: Shape, output: dict[str, Any], default: int) -> int:
        for name, member in shape.members.items():
            if member.serialization.get("location") == "statusCode" and output.get(name) is not None:
                status = int(output[name])
                # a provider bug must not produce an unparseable HTTP status line
                return status if 100 <= status <= 599 else default
        return default

    def _located_headers(self, shape: Shape, data: dict[str, Any]) -> list[tuple[str, str]]:
        headers: list[tuple[str, str]] = []
        for name, member in shape.members.items():
            value = data.get(name)
            if value is None:
                continue
            location = member.serialization.get("location")
            key = member.serialization.get("name", name)
            if location == "header":
                if member.type_name == "list" and not value:
                    continue
                headers.append((key, self._header_text(member, value)))
            elif location == "headers":
                value_shape: Shape = member.value
                headers.extend((key + k, self._header_text(value_shape, v)) for k, v in value.items())
        return headers

    def _header_text(self, shape: Shape, value: Any) -> str:
        kind = shape.type_name
        if kind == "list":
            item_shape: Shape = shape.member
            if item_shape.type_name == "string":
                return ",".join(_escape_header_item(str(v)) for v in value if v is not None)
            return ",".join(self._header_text(item_shape, v) for v in value if v is not None)
        if kind == "string" and shape.serialization.get("jsonvalue"):
            return base64.b64encode(orjson.dumps(value)).decode("ascii")
        if kind == "timestamp":
            return str(values.format_timestamp(value, timestamp_format(shape, values.RFC822)))
        if kind == "boolean":
            return "true" if value else "false"
        if kind in ("float", "double"):
            return values.text_float(value)
        if kind == "blob":
            return values.encode_blob(value)
        return str(value)

    def _encode_body(self, shape: Shape, output: dict[str, Any]) -> tuple[bytes, str | None]:
        payload = shape.serialization.get("payload")
        if payload is not None:
            member = shape.members[payload]
            value = output.get(payload)
            if member.type_name == "blob":
                raw = b"" if value is None else (value.encode("utf-8") if isinstance(value, str) else bytes(value))
                return raw, "application/octet-stream"
            if member.type_name == "string":
                return (b"" if value is None else str(value).encode("utf-8")), "text/plain"
            if value is None:
                return b"{}", "application/json"
            return dump_json(self._encoder.encode(member, value)), "application/json"
        return dump_json(self._encoder.encode_members(shape, output, skip_located=True)), "application/json"

    def encode_error(
        self, service: ServiceModel, operation: OperationModel | None, err: AwsError, request_id: str
    ) -> HttpResponse:
        body = error_body(service, err, self._encoder, skip_located=True)
        headers = [
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", err.code),
            ("Content-Type", "application/json"),
        ]
        shape = error_shape(service, err.code) if err.fields else None
        if shape is not None:
            headers.extend(self._located_headers(shape, err.fields))
        return HttpResponse(err.status, headers, dump_json(body))
