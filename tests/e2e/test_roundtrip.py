"""Every operation of every wired service, through real botocore clients and real HTTP.

An echo provider stands in for every operation: it records what the server decoded and answers a
random output. Inputs must decode to what the client sent; outputs must parse in botocore to what the
server encoded. Random values come from the models (tests/support/shapegen.py).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError
from botocore.handlers import json_decode_policies

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import WIRED_SERVICES, default_catalog
from strongroom.server.runtime import Runtime
from strongroom.services.registry import snake_case
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess
from tests.support.shapegen import operation_input, operation_output

SEEDS = (1, 2)
# S3 is left out: its request plane checks what random inputs cannot satisfy (checksum and Content-MD5 headers against
# the body, one checksum per request, botocore's own S3 parameter rules), so an echo cannot stand in for it. Its codec
# round trip, every operation through botocore's own rest-xml serializer and parser, is
# tests/unit/test_protocol_codecs_restxml.py; its behaviour, tests/e2e/test_s3_*.py.
SERVICES = tuple(s for s in WIRED_SERVICES if s not in ("s3", "s3control"))  # S3 Control signs as S3: the same plane


class Echo:
    def __init__(self) -> None:
        self.received: dict[str, Any] | None = None
        self.reply: dict[str, Any] = {}
        self.raise_error: AwsError | None = None

    def __call__(self, ctx: Any, request: dict[str, Any]) -> dict[str, Any]:
        self.received = request
        if self.raise_error is not None:
            raise self.raise_error
        return self.reply


@pytest.fixture(scope="module")
def echo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Runtime, Echo]]:
    echo = Echo()
    with inprocess_server(tmp_path_factory.mktemp("echo")) as (handle, runtime, app):
        # shapegen ignores regex patterns; validation has its own sweep over every operation
        app.pipeline.validate_input = False
        runtime.providers.handler = lambda service, operation: echo  # type: ignore[method-assign]
        yield handle, runtime, echo


def normalize(value: Any, lossy: bool = False) -> Any:
    """Forms that are equal on the wire: datetimes at second precision, empty containers dropped.

    ``lossy``: the query protocol cannot send an empty structure at all, not even as a list element.
    """
    if isinstance(value, dict):
        out = {k: normalize(v, lossy) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        items = [normalize(v, lossy) for v in value]
        return [v for v in items if v != {}] if lossy else items
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "read"):
        return normalize(value.read())
    return value


def _cases() -> list[tuple[str, str]]:
    catalog = default_catalog()
    return [(s, op) for s in SERVICES for op in catalog.service(s).operation_names]


def _skip_reason(operation: Any) -> str | None:
    if operation.has_event_stream_input or operation.has_event_stream_output:
        return "event streams are not part of the protocol layer"
    for shape in (operation.input_shape, operation.output_shape):
        if shape is None:
            continue
        for member in shape.members.values():
            if member.serialization.get("streaming") or (
                getattr(member, "type_name", "") == "blob" and member.metadata.get("streaming")
            ):
                return "streaming members"
    return None


def _client(handle: ServerProcess, service: str, clients: dict[str, Any]) -> Any:
    if service not in clients:
        cfg = botocore.config.Config(
            parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30
        )
        clients[service] = handle.client(service, config=cfg)
    return clients[service]


@pytest.fixture(scope="module")
def clients() -> dict[str, Any]:
    return {}


@pytest.mark.parametrize(("service", "operation_name"), _cases())
def test_operation_round_trip(
    echo_server: tuple[ServerProcess, Runtime, Echo], clients: dict[str, Any], service: str, operation_name: str
) -> None:
    handle, _, echo = echo_server
    operation = default_catalog().service(service).operation_model(operation_name)
    reason = _skip_reason(operation)
    if reason:
        pytest.skip(reason)
    client = _client(handle, service, clients)
    for seed in SEEDS:
        params = operation_input(operation, seed)
        if (service, operation_name) == ("events", "PutEvents"):
            params.pop("EndpointId", None)  # global endpoints need SigV4a (awscrt); not served here
        reply = operation_output(operation, seed + 100)
        echo.received, echo.reply, echo.raise_error = None, reply, None
        response = getattr(client, snake_case(operation_name))(**params)
        response.pop("ResponseMetadata", None)
        assert echo.received is not None
        received = dict(echo.received)
        if (service, operation_name) == ("apigateway", "GetExport") and "accepts" not in params:
            received.pop("accepts", None)  # botocore sends Accept: application/json when the caller names none
        for name in set(received) - set(params):
            # botocore fills idempotency tokens the caller left out
            assert operation.input_shape.members[name].metadata.get("idempotencyToken"), name
            del received[name]
        lossy = default_catalog().service(service).metadata["protocol"] == "query"
        assert normalize(received, lossy) == normalize(params, lossy)
        expected = copy.deepcopy(reply)
        if service == "iam":
            # botocore url-decodes and JSON-parses IAM policy documents; do the same to what we sent
            json_decode_policies(expected, operation)
        for name, member in operation.output_shape.members.items() if operation.output_shape else ():
            if member.serialization.get("location") == "statusCode" and name not in reply:
                response.pop(name, None)  # the HTTP status is always there
            header = str(member.serialization.get("name", "")).lower()
            if member.serialization.get("location") == "header" and header == "content-type" and name not in reply:
                response.pop(name, None)  # a body always has a type (API Gateway's GetExport models the header)
            if operation.output_shape.serialization.get("payload") == name and name not in reply:
                body = response.pop(name, b"")
                assert (body.read() if hasattr(body, "read") else body) in (b"", None)  # absent payload: empty body
        assert normalize(response) == normalize(expected)


@pytest.mark.parametrize("service", SERVICES)
def test_modeled_errors_round_trip(
    echo_server: tuple[ServerProcess, Runtime, Echo], clients: dict[str, Any], service: str
) -> None:
    handle, _, echo = echo_server
    model = default_catalog().service(service)
    client = _client(handle, service, clients)
    operation = next(
        model.operation_model(op)
        for op in model.operation_names
        if model.operation_model(op).error_shapes and not _skip_reason(model.operation_model(op))
    )
    for shape in operation.error_shapes[:5]:
        code = shape.error_code or shape.name
        status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
        echo.reply, echo.raise_error = {}, AwsError("it went wrong: <&>", code=code, status=status)
        with pytest.raises(ClientError) as exc:
            getattr(client, snake_case(operation.name))(**operation_input(operation, 7))
        err = exc.value.response["Error"]
        assert err["Code"] == code
        assert err["Message"] == "it went wrong: <&>"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
