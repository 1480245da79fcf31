"""The AWS ``json`` protocol (awsJson1_0 / awsJson1_1): one JSON document each way, the operation named
by ``X-Amz-Target``.

The shape-driven body walkers here are shared with rest-json, whose bodies follow the same rules
(wire names from ``locationName``, epoch-number timestamps, base64 blobs).
"""

from __future__ import annotations

from typing import Any

import orjson
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core.errors import AwsError, SerializationError
from strongroom.protocol.codecs import values
from strongroom.protocol.http import HttpRequest, HttpResponse

_MISSING = object()


def serialization_error(message: str) -> AwsError:
    return SerializationError(message, status=400)


def load_json(body: bytes) -> Any:
    """Parse a request body; any failure is the client's ``SerializationException``."""
    try:
        return orjson.loads(body)
    except (orjson.JSONDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise serialization_error(f"Malformed JSON request body: {exc}") from None


def dump_json(value: Any) -> bytes:
    return orjson.dumps(value)


def timestamp_format(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("timestampFormat") or default)


def wire_name(name: str, shape: Shape) -> str:
    return str(shape.serialization.get("name", name))


class JsonDecoder:
    """Wire JSON value -> model value for a shape. Wrong JSON types raise ``SerializationException``."""

    def __init__(self, default_timestamp_format: str = values.UNIX) -> None:
        self.default_timestamp_format = default_timestamp_format

    def decode(self, shape: Shape, value: Any, path: str = "") -> Any:
        try:
            return self._decode(shape, value, path)
        except RecursionError:
            raise serialization_error("Request body is nested too deeply") from None

    def decode_members(self, shape: Shape, value: Any, skip_located: bool) -> dict[str, Any]:
        """Decode a structure's body members; rest-json passes ``skip_located`` for header/uri members."""
        try:
            return self._structure(shape, value, "", skip_located)
        except RecursionError:
            raise serialization_error("Request body is nested too deeply") from None

    def _decode(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                return value
            return self._structure(shape, value, path, False)
        if kind == "list":
            if not isinstance(value, list):
                raise self._wrong(shape, value, path, "a list")
            member = shape.member
            return [
                None if item is None else self._decode(member, item, f"{path}[{i}]") for i, item in enumerate(value)
            ]
        if kind == "map":
            if not isinstance(value, dict):
                raise self._wrong(shape, value, path, "a map")
            value_shape = shape.value
            return {
                str(k): (None if v is None else self._decode(value_shape, v, f"{path}.{k}")) for k, v in value.items()
            }
        return self._scalar(shape, value, path)

    def _structure(self, shape: Shape, value: Any, path: str, skip_located: bool) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self._wrong(shape, value, path, "a structure")
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            if skip_located and "location" in member.serialization:
                continue
            raw = value.get(wire_name(name, member), _MISSING)
            if raw is _MISSING or raw is None:
                continue
            out[name] = self._decode(member, raw, f"{path}.{name}" if path else name)
        return out

    def _scalar(self, shape: Shape, value: Any, path: str) -> Any:
        kind = shape.type_name
        try:
            if kind == "string":
                if not isinstance(value, str):
                    raise ValueError
                return value
            if kind == "boolean":
                if not isinstance(value, bool):
                    raise ValueError
                return value
            if kind in ("integer", "long", "short", "byte"):
                if isinstance(value, str):
                    raise ValueError
                return values.parse_int(value)
            if kind in ("float", "double"):
                return values.parse_float(value)
            if kind == "blob":
                return values.decode_blob(value)
            if kind == "timestamp":
                if isinstance(value, bool) or not isinstance(value, int | float | str):
                    raise ValueError
                return values.parse_timestamp(value, timestamp_format(shape, self.default_timestamp_format))
        except ValueError:
            raise self._wrong(shape, value, path, f"a {kind}") from None
        return value

    @staticmethod
    def _wrong(shape: Shape, value: Any, path: str, expected: str) -> AwsError:
        got = type(value).__name__ if value is not None else "null"
        where = f" at '{path}'" if path else ""
        return serialization_error(f"Expected {expected}{where} but found {got} ({shape.name})")


class JsonEncoder:
    """Model value -> JSON-ready value for a shape: what botocore's JSON parsers read back."""

    def __init__(self, default_timestamp_format: str = values.UNIX) -> None:
        self.default_timestamp_format = default_timestamp_format

    def encode(self, shape: Shape, value: Any) -> Any:
        kind = shape.type_name
        if kind == "structure":
            if shape.is_document_type:
                return plain(value)
            return self.encode_members(shape, value, skip_located=False)
        if kind == "list":
            member = shape.member
            return [None if item is None else self.encode(member, item) for item in value]
        if kind == "map":
            value_shape = shape.value
            return {str(k): (None if v is None else self.encode(value_shape, v)) for k, v in value.items()}
        if kind == "timestamp":
            return values.format_timestamp(value, timestamp_format(shape, self.default_timestamp_format))
        if kind == "blob":
            return values.encode_blob(value)
        if kind in ("float", "double"):
            return values.format_float(value)
        if kind in ("integer", "long", "short", "byte"):
            return int(value)
        return value

    def encode_members(self, shape: Shape, value: dict[str, Any], skip_located: bool) -> dict[str, Any]:
        """Members the model does not know are dropped: the wire carries only what clients can parse."""
        out: dict[str, Any] = {}
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is None or item is None:
                continue
            if skip_located and "location" in member.serialization:
                continue
            out[wire_name(name, member)] = self.encode(member, item)
        return out


def plain(value: Any) -> Any:
    """Make an unmodeled value (documents, extra error fields) JSON-ready."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bytes | bytearray | memoryview):
        return values.encode_blob(value)
    if hasattr(value, "isoformat"):
        return values.format_timestamp(value, values.UNIX)
    if isinstance(value, float):
        return values.format_float(value)
    return value


def error_body(service: ServiceModel, err: AwsError, encoder: JsonEncoder, skip_located: bool) -> dict[str, Any]:
    """``{"__type": code, "message": ...}`` plus the error shape's modeled members from ``err.fields``."""
    body: dict[str, Any] = {"__type": err.code}
    shape = error_shape(service, err.code)
    fields = dict(err.fields)
    if shape is not None:
        for name in shape.members:
            if name.lower() == "message" and name not in fields and err.message:
                fields[name] = err.message
        body.update(encoder.encode_members(shape, fields, skip_located))
        known = set(shape.members)
        fields = {k: v for k, v in fields.items() if k not in known}
    for key, item in fields.items():
        if item is not None:
            body.setdefault(key, plain(item))
    if err.message:
        # AWS omits the member for errors it sends without text (KMS's InvalidCiphertextException,
        # KMSInvalidSignatureException, ...); botocore reads an absent message as "".
        body["message"] = err.message
    return body


def error_shape(service: ServiceModel, code: str) -> Shape | None:
    try:
        shape = service.shape_for_error_code(code)
    except Exception:  # a broken model must not turn an error response into a 500
        return None
    return shape if shape is not None and shape.type_name == "structure" else None


class JsonCodec:
    """awsJson 1.0/1.1: body in, body out; errors as ``__type`` + ``message``."""

    def __init__(self) -> None:
        self._decoder = JsonDecoder()
        self._encoder = JsonEncoder()

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        body = request.body.strip()
        if not body:
            return {}
        data = load_json(body)
        if shape is None or data is None:
            return {}
        result = self._decoder.decode(shape, data)
        return result if isinstance(result, dict) else {}

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        shape = operation.output_shape
        payload = {} if shape is None else self._encoder.encode_members(shape, output or {}, skip_located=False)
        return HttpResponse(200, self._headers(operation.service_model, request_id), dump_json(payload))

    def encode_error(
        self, service: ServiceModel, operation: OperationModel | None, err: AwsError, request_id: str
    ) -> HttpResponse:
        body = error_body(service, err, self._encoder, skip_located=False)
        headers = self._headers(service, request_id)
        headers.append(("x-amzn-ErrorType", err.code))
        return HttpResponse(err.status, headers, dump_json(body))

    @staticmethod
    def _headers(service: ServiceModel, request_id: str) -> list[tuple[str, str]]:
        version = service.metadata.get("jsonVersion") or "1.0"
        return [("x-amzn-RequestId", request_id), ("Content-Type", f"application/x-amz-json-{version}")]
