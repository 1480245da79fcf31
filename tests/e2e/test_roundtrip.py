"""Every operation of every wired service, through real botocore clients and real HTTP.

An echo provider stands in for every operation: it records what the server decoded and answers a
random output. Inputs must decode to what the client sent; outputs must parse in botocore to what the
server encoded. Random values come from the models (tests/support/shapegen.py).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError

from strongroom.core.errors import AwsError
from strongroom.protocol.catalog import WIRED_SERVICES, default_catalog
from strongroom.server.runtime import Runtime
from strongroom.services.registry import snake_case
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess
from tests.support.shapegen import operation_input, operation_output

SEEDS = (1, 2)


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
    with inprocess_server(tmp_path_factory.mktemp("echo")) as (handle, runtime):
        runtime.providers.handler = lambda service, operation: echo  # type: ignore[method-assign]
        yield handle, runtime, echo


def normalize(value: Any, shape: Any = None) -> Any:
    """Forms that are equal on the wire: datetimes at second precision, empty containers dropped."""
    if isinstance(value, dict):
        out = {k: normalize(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v is not None and v != {} and v != []}
    if isinstance(value, list):
        return [normalize(v) for v in value]
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
    return [(s, op) for s in WIRED_SERVICES for op in catalog.service(s).operation_names]


def _skip_reason(operation: Any) -> str | None:
    if operation.has_event_stream_input or operation.has_event_stream_output:
        return "event streams are not part of the protocol layer"
    for shape in (operation.input_shape, operation.output_shape):
        if shape is None:
            continue
        for member in shape.members.values():
            if member.serialization.get("streaming") or getattr(member, "type_name", "") == "blob" and member.metadata.get("streaming"):
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
        reply = operation_output(operation, seed + 100)
        echo.received, echo.reply, echo.raise_error = None, reply, None
        response = getattr(client, snake_case(operation_name))(**params)
        response.pop("ResponseMetadata", None)
        assert echo.received is not None
        received = dict(echo.received)
        for name in set(received) - set(params):
            # botocore fills idempotency tokens the caller left out
            assert operation.input_shape.members[name].metadata.get("idempotencyToken"), name
            del received[name]
        assert normalize(received) == normalize(params)
        assert normalize(response) == normalize(reply)


@pytest.mark.parametrize("service", WIRED_SERVICES)
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
