"""The AWS ``rest-json`` protocol (restJson1): members spread over the URI path, query string, headers and
a JSON (or raw payload) body; the response status comes from the model.

The members outside the body are read and written by ``located`` (shared with rest-xml); this module has the
body. Body timestamps are epoch seconds unless the model says otherwise.
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.core.errors import AwsError
from strongroom.protocol.codecs.json import (
    JsonDecoder,
    JsonEncoder,
    dump_json,
    error_body,
    error_shape,
    load_json,
    serialization_error,
)
from strongroom.protocol.codecs.located import (
    REST_JSON,
    decode_located,
    located_headers,
    request_plan,
    response_plan,
    response_status,
    shape_plan,
)
from strongroom.protocol.http import HttpRequest, HttpResponse

_NO_BODY_STATUS = frozenset({204, 205, 304})


class RestJsonCodec:
    """restJson1, driven by each member's ``location`` in the botocore model."""

    def __init__(self) -> None:
        self._decoder = JsonDecoder()
        self._encoder = JsonEncoder()

    # ---- requests -------------------------------------------------------------------------------------

    def decode(self, operation: OperationModel, request: HttpRequest) -> dict[str, Any]:
        plan = request_plan(operation, REST_JSON)
        if plan is None:
            return {}
        out = decode_located(plan, request)
        out.update(self._decode_body(operation.input_shape, plan.body_members, request.body))
        return out

    def _decode_body(self, shape: Shape, body_members: bool, body: bytes) -> dict[str, Any]:
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
        if not body_members or not body.strip():
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
        plan = response_plan(operation)
        if plan is not None:
            status = response_status(plan, output, status)
            headers.extend(located_headers(plan, output))
            body, content_type = self._encode_body(shape, output)
        if status in _NO_BODY_STATUS:
            body, content_type = b"", None
        # a member may itself be modeled as Content-Type (lambda's ResponseStreamContentType); it wins
        if content_type is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", content_type))
        return HttpResponse(status, headers, body)

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
            headers.extend(located_headers(shape_plan(shape), err.fields))
        return HttpResponse(err.status, headers, dump_json(body))
