"""Smithy RPC v2 CBOR (ACM PCA, Shield, FMS): ``POST /service/{prefix}/operation/{Op}``, CBOR bodies.

cbor2 does the byte-level work both ways. Decoding is locked down to what botocore's ``RpcV2CBORSerializer`` can
produce (only tag 1 epoch timestamps; text/byte-string map keys; bounded depth) because cbor2 otherwise builds
regexes, MIME messages, shared/cyclic references and the like from semantic tags. The decoded value is then
walked along the input shape so that type mismatches become ``SerializationException`` rather than surprises
in a provider. Encoding emits only what botocore's hand-written CBOR parser understands: definite lengths,
tag 1 for timestamps, floats, byte strings, text strings.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core.errors import AwsError, SerializationError
from strongroom.protocol.http import HttpRequest, HttpResponse

CONTENT_TYPE = "application/cbor"
MAX_DEPTH = 64

# Every semantic tag cbor2 decodes natively, apart from tag 1 (epoch time) and 55799 (self-described CBOR).
_CBOR2_SEMANTIC_TAGS = (0, 2, 3, 4, 5, 25, 28, 29, 30, 35, 36, 37, 52, 54, 100, 256, 258, 260, 261, 1004, 43000)


def _reject_tag(*args: Any) -> Any:
    raise ValueError("unsupported CBOR tag")


_SEMANTIC_DECODERS: dict[int, Any] = dict.fromkeys(_CBOR2_SEMANTIC_TAGS, _reject_tag)


def _bad(message: str) -> AwsError:
    return SerializationError(message)


def _epoch_to_datetime(value: int | float) -> datetime:
    try:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(value)
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise _bad(f"Invalid timestamp value: {value!r}") from exc


def _type_name(value: Any) -> str:
    return type(value).__name__


class _Reader:
    """Checks the cbor2 output against the input shape and converts it into the codec's value types."""

    def value(self, shape: Shape, node: Any, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            if not isinstance(node, dict):
                raise _bad(f"Expected a structure at {path or 'the top level'}, got {_type_name(node)}")
            return self.structure(shape, node, path)
        if kind == "list":
            if not isinstance(node, list):
                raise _bad(f"Expected a list at {path}, got {_type_name(node)}")
            member = shape.member
            return [self.value(member, item, f"{path}[{i}]") for i, item in enumerate(node) if item is not None]
        if kind == "map":
            if not isinstance(node, dict):
                raise _bad(f"Expected a map at {path}, got {_type_name(node)}")
            out: dict[str, Any] = {}
            for key, item in node.items():
                if not isinstance(key, str):
                    raise _bad(f"Expected string map keys at {path}")
                if item is not None:
                    out[key] = self.value(shape.value, item, f"{path}.{key}")
            return out
        return self.scalar(shape, node, path)

    def structure(self, shape: Any, node: dict[Any, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            item = node.get(key)
            if item is None and key != name:
                item = node.get(name)
            if item is not None:
                out[name] = self.value(member, item, f"{path}.{name}" if path else name)
        return out

    def scalar(self, shape: Shape, node: Any, path: str) -> Any:
        kind = shape.type_name
        if kind in ("string", "character"):
            if isinstance(node, str):
                return node
        elif kind in ("integer", "long", "short", "byte", "bigInteger"):
            if isinstance(node, int) and not isinstance(node, bool):
                return node
            # Smithy allows any numeric encoding as long as the value fits the target type
            if isinstance(node, float) and node.is_integer():
                return int(node)
        elif kind in ("float", "double", "bigDecimal"):
            if isinstance(node, (int, float)) and not isinstance(node, bool):
                return float(node)
        elif kind == "boolean":
            if isinstance(node, bool):
                return node
        elif kind == "blob":
            if isinstance(node, (bytes, bytearray)):
                return bytes(node)
        elif kind == "timestamp":
            if isinstance(node, datetime):
                return node if node.tzinfo else node.replace(tzinfo=UTC)
            if isinstance(node, (int, float)) and not isinstance(node, bool):
                return _epoch_to_datetime(node)
        else:
            return node
        raise _bad(f"Expected {kind} at {path}, got {_type_name(node)}")


def _timestamp_tag(value: Any) -> cbor2.CBORTag:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        seconds = calendar.timegm(aware.astimezone(UTC).timetuple())
        micros = aware.microsecond
        epoch: int | float = seconds if not micros else (seconds * 10**6 + micros) / 10**6
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        epoch = value
    else:
        raise TypeError(f"not a timestamp: {value!r}")
    return cbor2.CBORTag(1, epoch)


def _to_wire(shape: Shape | None, value: Any) -> Any:
    """Output dict -> plain cbor2-encodable values; member names are the keys botocore's parser looks up."""
    if value is None:
        return None
    if shape is None:
        return _loose(value)
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        out: dict[str, Any] = {}
        for name, item in value.items():
            if item is None:
                continue
            member = members.get(name)
            # unmodeled keys never leave the server: clients would drop them anyway
            if member is not None:
                out[name] = _to_wire(member, item)
        return out
    if kind == "list":
        return [_to_wire(shape.member, item) for item in value if item is not None]
    if kind == "map":
        return {str(k): _to_wire(shape.value, v) for k, v in value.items() if v is not None}
    if kind == "timestamp":
        return _timestamp_tag(value)
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind in ("float", "double"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean":
        return bool(value)
    return value


def _loose(value: Any) -> Any:
    """Values without a model shape (extra error fields): keep their natural CBOR types."""
    if isinstance(value, dict):
        return {str(k): _loose(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_loose(v) for v in value if v is not None]
    if isinstance(value, datetime):
        return _timestamp_tag(value)
    if isinstance(value, (str, bytes, bool, int, float)):
        return value
    return str(value)


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", CONTENT_TYPE),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-RequestId", request_id),
    ]


def _error_shape(service: ServiceModel, code: str) -> Any:
    try:
        return service.shape_for_error_code(code)
    except Exception:
        return None


class CborCodec:
    """Codec for the ``smithy-rpc-v2-cbor`` protocol."""

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        shape = operation.input_shape
        if not request.body:
            return {}
        try:
            node = cbor2.loads(
                request.body,
                semantic_decoders=_SEMANTIC_DECODERS,
                tag_hook=_reject_tag,
                max_depth=MAX_DEPTH,
                strict_hashable_types=True,
            )
        except Exception as exc:  # cbor2 signals malformed input with several exception types
            raise _bad("The request body is not valid CBOR") from exc
        if shape is None:
            if isinstance(node, dict):
                return {}
            raise _bad(f"Expected a structure at the top level, got {_type_name(node)}")
        try:
            result: dict[str, Any] = _Reader().value(shape, node, "")
        except RecursionError:
            raise _bad("The request body is nested too deeply") from None
        return result

    def encode(self, operation: OperationModel, output: dict[str, Any], request_id: str) -> HttpResponse:
        shape = operation.output_shape
        # botocore reads no body for a Unit output but needs a map for any modeled one, even an empty one
        body = b"" if shape is None else cbor2.dumps(_to_wire(shape, output or {}))
        return HttpResponse(status=200, headers=_headers(request_id), body=body)

    def encode_error(
        self, service: ServiceModel, operation: OperationModel | None, err: AwsError, request_id: str
    ) -> HttpResponse:
        shape = _error_shape(service, err.code)
        payload: dict[str, Any] = {}
        members = shape.members if shape is not None else {}
        for name, value in err.fields.items():
            if value is not None:
                member = members.get(name)
                payload[name] = _to_wire(member, value) if member is not None else _loose(value)
        payload["__type"] = err.code
        payload["message"] = err.message
        if shape is not None:
            # FMS models its member as ``Message``; the modeled-error parse reads members by their exact name
            for name in shape.members:
                if name.lower() == "message":
                    payload[name] = err.message
        headers = _headers(request_id)
        if service.is_query_compatible:
            headers.append(("x-amzn-query-error", f"{err.code};{'Sender' if err.sender_fault else 'Receiver'}"))
        return HttpResponse(status=err.status, headers=headers, body=cbor2.dumps(payload))
