"""The AWS ``query`` protocol (IAM, STS): form-encoded requests, XML responses.

Requests are the inverse of botocore's ``QuerySerializer``: flat ``A.B.member.1`` keys in a form body (or the URL
query string, for presigned/GET calls) are folded into a tree and walked along the operation's input shape.
Responses are built so that botocore's ``QueryParser`` reads back exactly the output dict.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core.errors import AwsError
from strongroom.protocol.http import HttpRequest, HttpResponse

# AWS's common errors for query services: a syntax error in the query string is documented with HTTP 404.
MALFORMED_QUERY = "MalformedQueryString"
INVALID_VALUE = "InvalidParameterValue"

_INTEGER = re.compile(r"[+-]?[0-9]{1,40}")
_ISO8601 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|z|[+-]\d{2}:?\d{2})?"
)
_EPOCH = re.compile(r"[+-]?\d{1,12}(?:\.\d{1,9})?")
# XML 1.0 cannot carry these code points even as character references; AWS never sends them either.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def error_code_and_status(service: ServiceModel, shape_name: str) -> tuple[str, int]:
    """The wire code and HTTP status of an error shape (``NoSuchEntityException`` -> ``NoSuchEntity``, 404)."""
    try:
        shape = service.shape_for(shape_name)
    except Exception:
        return shape_name, 400
    meta = shape.metadata.get("error") or {}
    return str(meta.get("code", shape_name)), int(meta.get("httpStatusCode", 400))


def _invalid(message: str) -> AwsError:
    return AwsError(message, code=INVALID_VALUE, status=400)


# --------------------------------------------------------------------------------------------------- decoding


class _Node:
    """One dotted segment of the form keys: ``value`` is set when the exact key was sent."""

    __slots__ = ("children", "value")

    def __init__(self) -> None:
        self.value: str | None = None
        self.children: dict[str, _Node] = {}


def _build_tree(params: list[tuple[str, str]]) -> _Node:
    root = _Node()
    for key, value in params:
        node = root
        for part in key.split("."):
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = _Node()
            node = child
        node.value = value
    return root


def _indexed(node: _Node) -> list[_Node]:
    """The ``.1``, ``.2``, ... children of a list/map node in index order (gaps tolerated)."""
    items: list[tuple[int, _Node]] = []
    for key, child in node.children.items():
        if key.isdigit() and len(key) < 10:
            items.append((int(key), child))
    items.sort(key=lambda kv: kv[0])
    return [child for _, child in items]


def parse_query_timestamp(text: str) -> datetime:
    """ISO 8601 (what botocore sends), epoch seconds or RFC 822, as an aware UTC datetime."""
    text = text.strip()
    try:
        m = _ISO8601.fullmatch(text)
        if m:
            year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
            micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
            dt = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
            zone = m.group(8)
            if zone and zone not in ("Z", "z"):
                sign = 1 if zone[0] == "+" else -1
                digits = zone[1:].replace(":", "")
                offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
                dt -= timedelta(minutes=offset)
            return dt
        if _EPOCH.fullmatch(text):
            return datetime.fromtimestamp(float(text), UTC)
        dt = parsedate_to_datetime(text)
        return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError, TypeError, IndexError) as exc:
        raise _invalid(f"Invalid timestamp value: {text[:64]!r}") from exc


class _Decoder:
    """Walks the key tree along the input shape; ``path`` is only for error messages."""

    def value(self, shape: Shape, node: _Node, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, node, path)
        if kind == "list":
            return self.list(shape, node, path)
        if kind == "map":
            return self.map(shape, node, path)
        text = node.value
        if text is None:
            return None
        return self.scalar(shape, text, path)

    def structure(self, shape: Any, node: _Node, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                key = member.member.serialization.get("name", key)
            child = node.children.get(key)
            if child is None:
                continue
            value = self.value(member, child, f"{path}.{key}" if path else key)
            if value is not None:
                out[name] = value
        return out

    def list(self, shape: Any, node: _Node, path: str) -> list[Any] | None:
        if shape.serialization.get("flattened"):
            items_node: _Node | None = node
        else:
            items_node = node.children.get(shape.member.serialization.get("name", "member"))
        if items_node is None or not items_node.children:
            # botocore sends ``Name=`` for an empty list
            return [] if node.value is not None else None
        out = []
        for child in _indexed(items_node):
            value = self.value(shape.member, child, path)
            if value is not None:
                out.append(value)
        return out

    def map(self, shape: Any, node: _Node, path: str) -> dict[str, Any] | None:
        entries = node if shape.serialization.get("flattened") else node.children.get("entry")
        if entries is None:
            return {} if node.value is not None else None
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        out: dict[str, Any] = {}
        for entry in _indexed(entries):
            key_node = entry.children.get(key_name)
            if key_node is None or key_node.value is None:
                continue
            val_node = entry.children.get(value_name)
            value = None if val_node is None else self.value(shape.value, val_node, path)
            if value is not None:
                out[key_node.value] = value
        return out

    def scalar(self, shape: Shape, text: str, path: str) -> Any:
        kind = shape.type_name
        if kind in ("string", "character"):
            return text
        if kind in ("integer", "long", "short", "byte"):
            if not _INTEGER.fullmatch(text.strip()):
                raise _invalid(f"Value {text[:64]!r} for parameter {path} is not a valid integer")
            return int(text.strip())  # str.strip also drops \x1c-\x1f, which int() refuses
        if kind in ("float", "double"):
            try:
                number = float(text)
            except ValueError:
                raise _invalid(f"Value {text[:64]!r} for parameter {path} is not a valid number") from None
            return number
        if kind == "boolean":
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise _invalid(f"Value {text[:64]!r} for parameter {path} is not a valid boolean")
            return lowered == "true"
        if kind == "timestamp":
            return parse_query_timestamp(text)
        if kind == "blob":
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise _invalid(f"Value for parameter {path} is not valid base64") from None
        return text


# --------------------------------------------------------------------------------------------------- encoding


def _escape(text: str) -> str:
    """Escape for XML text; ``\\r`` as a reference because XML parsers fold bare CR into LF."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    return _XML_INVALID.sub("\ufffd", text)


def format_query_timestamp(value: Any, fmt: str | None = None) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = datetime.fromtimestamp(value, UTC)
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if fmt == "unixTimestamp":
        return str(int(value.timestamp())) if not value.microsecond else repr(value.timestamp())
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar_text(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        return format_query_timestamp(value, shape.serialization.get("timestampFormat"))
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind in ("float", "double"):
        number = float(value)
        if math.isnan(number):
            return "NaN"
        if math.isinf(number):
            return "Infinity" if number > 0 else "-Infinity"
        return repr(number)
    if kind in ("integer", "long", "short", "byte"):
        return str(int(value))
    return str(value)


class _Encoder:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def element(self, name: str, shape: Shape, value: Any) -> None:
        """Write ``<name>value</name>`` (or the repeated elements of a flattened list/map)."""
        kind = shape.type_name
        if kind == "list":
            self.list(name, shape, value)
        elif kind == "map":
            self.map(name, shape, value)
        elif kind == "structure":
            self.parts.append(f"<{name}>")
            self.members(shape, value)
            self.parts.append(f"</{name}>")
        else:
            self.parts.append(f"<{name}>{_escape(_scalar_text(shape, value))}</{name}>")

    def members(self, shape: Any, value: dict[str, Any]) -> None:
        for name, member in shape.members.items():
            member_value = value.get(name)
            if member_value is None:
                continue
            tag = member.serialization.get("name", name)
            if member.type_name == "list" and member.serialization.get("flattened"):
                tag = member.member.serialization.get("name", tag)
            self.element(tag, member, member_value)

    def list(self, name: str, shape: Any, value: list[Any]) -> None:
        items = [item for item in value if item is not None]
        if shape.serialization.get("flattened"):
            for item in items:
                self.element(name, shape.member, item)
            return
        item_tag = shape.member.serialization.get("name", "member")
        self.parts.append(f"<{name}>")
        for item in items:
            self.element(item_tag, shape.member, item)
        self.parts.append(f"</{name}>")

    def map(self, name: str, shape: Any, value: dict[str, Any]) -> None:
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        flattened = shape.serialization.get("flattened")
        if not flattened:
            self.parts.append(f"<{name}>")
        entry_tag = name if flattened else "entry"
        for key, item in value.items():
            if item is None:
                continue
            self.parts.append(f"<{entry_tag}>")
            self.element(key_tag, shape.key, key)
            self.element(value_tag, shape.value, item)
            self.parts.append(f"</{entry_tag}>")
        if not flattened:
            self.parts.append(f"</{name}>")

    def loose(self, name: str, value: Any) -> None:
        """Write a field that has no model shape (extra error fields) as best-effort text/elements."""
        if isinstance(value, dict):
            self.parts.append(f"<{name}>")
            for key, item in value.items():
                self.loose(str(key), item)
            self.parts.append(f"</{name}>")
        elif isinstance(value, (list, tuple)):
            self.parts.append(f"<{name}>")
            for item in value:
                self.loose("member", item)
            self.parts.append(f"</{name}>")
        elif isinstance(value, bool):
            self.parts.append(f"<{name}>{'true' if value else 'false'}</{name}>")
        elif isinstance(value, datetime):
            self.parts.append(f"<{name}>{format_query_timestamp(value)}</{name}>")
        elif isinstance(value, (bytes, bytearray)):
            self.parts.append(f"<{name}>{base64.b64encode(bytes(value)).decode('ascii')}</{name}>")
        elif value is not None:
            self.parts.append(f"<{name}>{_escape(str(value))}</{name}>")


def _namespace(service: ServiceModel) -> str:
    ns = service.metadata.get("xmlNamespace")
    if isinstance(ns, dict):
        ns = ns.get("uri")
    if ns:
        return str(ns)
    prefix = service.metadata.get("endpointPrefix", service.service_name)
    return f"https://{prefix}.amazonaws.com/doc/{service.api_version}/"


def _xml_response(status: int, body: str, request_id: str) -> HttpResponse:
    return HttpResponse(
        status=status,
        headers=[("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)],
        body=body.encode("utf-8"),
    )


class QueryCodec:
    """Codec for the ``query`` protocol."""

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        params = self._params(request)
        shape = operation.input_shape
        if shape is None:
            return {}
        tree = _build_tree(params)
        try:
            return _Decoder().structure(shape, tree, "")
        except AwsError:
            raise
        except RecursionError:
            raise AwsError("The query string is nested too deeply", code=MALFORMED_QUERY, status=404) from None

    @staticmethod
    def _params(request: HttpRequest) -> list[tuple[str, str]]:
        """URL query parameters first, then the form body; later keys override earlier ones."""
        try:
            params = parse_qsl(request.query_string, keep_blank_values=True, errors="strict")
            if request.body:
                text = request.body.decode("utf-8")
                params += parse_qsl(text, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise AwsError(
                "The query string contains a syntax error: it is not valid UTF-8 form data",
                code=MALFORMED_QUERY,
                status=404,
            ) from exc
        return params

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        service = operation.service_model
        op = operation.name
        enc = _Encoder()
        shape = operation.output_shape
        enc.parts.append(f'<{op}Response xmlns="{_escape(_namespace(service))}">')
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper")
            if wrapper:
                enc.parts.append(f"<{wrapper}>")
            enc.members(shape, output or {})
            if wrapper:
                enc.parts.append(f"</{wrapper}>")
        enc.parts.append(f"<ResponseMetadata><RequestId>{_escape(request_id)}</RequestId></ResponseMetadata>")
        enc.parts.append(f"</{op}Response>")
        return _xml_response(200, "".join(enc.parts), request_id)

    def encode_error(
        self, service: ServiceModel, operation: OperationModel | None, err: AwsError, request_id: str
    ) -> HttpResponse:
        enc = _Encoder()
        enc.parts.append(f'<ErrorResponse xmlns="{_escape(_namespace(service))}"><Error>')
        enc.parts.append(f"<Type>{'Sender' if err.sender_fault else 'Receiver'}</Type>")
        enc.parts.append(f"<Code>{_escape(err.code)}</Code>")
        enc.parts.append(f"<Message>{_escape(err.message)}</Message>")
        if err.fields:
            shape = _error_shape(service, err.code)
            members = shape.members if shape is not None else {}
            for name, value in err.fields.items():
                if value is None or name in ("Type", "Code", "Message", "message"):
                    continue
                member = members.get(name)
                if member is not None:
                    enc.element(member.serialization.get("name", name), member, value)
                else:
                    enc.loose(name, value)
        enc.parts.append(f"</Error><RequestId>{_escape(request_id)}</RequestId></ErrorResponse>")
        return _xml_response(err.status, "".join(enc.parts), request_id)


def _error_shape(service: ServiceModel, code: str) -> Any:
    try:
        return service.shape_for_error_code(code)
    except Exception:
        return None
