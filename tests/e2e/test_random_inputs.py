"""Every operation of every wired service, called by botocore with random inputs shaped by the model, then with one
member at a time past what the model allows (``HOSTILE``): whatever the server answers, it is never a 500.

Inputs come from tests/support/shapegen.py (lengths, ranges and enums respected, patterns not), sent with botocore's
parameter validation off, so most are refused (malformed, not found, wrong state) and each refusal must be the
service's own 4xx error. The one 5xx allowed is 501 ``NotImplemented`` for an operation Strongroom has no handler
for (listed in each service's docs). A server of its own: random calls create random resources, which tests sharing
the session's server must not see.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

import botocore.config
import pytest
from botocore.exceptions import BotoCoreError, ClientError

from strongroom.protocol.catalog import WIRED_SERVICES, default_catalog
from strongroom.services.registry import snake_case
from tests.support.server import ServerProcess
from tests.support.shapegen import operation_input

SEEDS = (1, 2, 3)


class _Elsewhere(Exception):
    """botocore's endpoint rules sent a random input to a host that is not this server (an Outposts or access-point
    ARN names AWS's own endpoints): never sent, not even resolved."""


def _loopback_only(request: Any, **_: Any) -> None:
    if urlsplit(request.url).hostname != "127.0.0.1":
        raise _Elsewhere(request.url)


# Lambda's invocations run the random function code they were given (the sandbox has its own tests).
SKIPPED = {("lambda", "Invoke"), ("lambda", "InvokeAsync"), ("lambda", "InvokeWithResponseStream")}


@pytest.fixture(scope="module")
def random_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    data_dir: Path = tmp_path_factory.mktemp("random-inputs")
    srv = ServerProcess(data_dir, None, ["--test-mode"])
    srv.init()
    srv.start()
    yield srv
    srv.stop()


# One top-level member at a time replaced by a value past what the model allows: integers past 64 bits, negative
# counts, 70 KB strings (a header that long is refused by the HTTP layer), path-like names, 2,000-item lists and
# maps, a 300 KB blob, NaN.
HOSTILE: dict[str, tuple[Any, ...]] = {
    "integer": (2**70, -1),
    "long": (2**70, -(2**70)),
    "string": ("x" * 70_000, "../../etc/passwd"),
    "list": (["a"] * 2_000,),
    "map": ({str(i): "v" for i in range(2_000)},),
    "blob": (b"\x00" * 300_000,),
    "double": (float("nan"),),
    "timestamp": (2**40,),
}


def _client(server: ServerProcess, service: str) -> Any:
    config = botocore.config.Config(
        parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30
    )
    client = server.client(service, config=config)
    client.meta.events.register("before-send", _loopback_only)
    return client


def _calls(service: str, hostile: bool) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(operation, what was sent, parameters) of every call the sweep makes for ``service``."""
    model = default_catalog().service(service)
    for name in model.operation_names:
        if (service, name) in SKIPPED:
            continue
        operation = model.operation_model(name)
        if not hostile:
            for seed in SEEDS:
                yield name, f"seed {seed}", operation_input(operation, seed)
            continue
        if operation.input_shape is None:
            continue
        base = operation_input(operation, SEEDS[0])
        for member, shape in operation.input_shape.members.items():
            for value in HOSTILE.get(shape.type_name, ()):
                yield name, f"{member}={str(value)[:20]}", {**base, member: value}


def _sweep(server: ServerProcess, service: str, hostile: bool) -> None:
    client = _client(server, service)
    wrong: list[str] = []
    answered = 0
    try:
        for name, sent, params in _calls(service, hostile):
            try:
                getattr(client, snake_case(name))(**params)
                answered += 1
            except ClientError as exc:
                answered += 1
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                code = exc.response.get("Error", {}).get("Code", "")
                if status >= 500 and (status, code) != (501, "NotImplemented"):
                    wrong.append(f"{name} ({sent}): {status} {code}: {exc}"[:300])
            except (BotoCoreError, ValueError, TypeError, AttributeError, OverflowError, ParseError, _Elsewhere):
                # botocore could not serialize the value (a string where it builds a structure, NaN in XML) or
                # parse a refusal (GetBucketLocation's own XML parser meets the HTTP layer's plain-text 431)
                pass
    finally:
        client.close()
    assert answered, f"no {service} call reached the server"
    assert not wrong, "\n".join(wrong)
    assert '"internal error"' not in server.logs()


@pytest.mark.parametrize("service", WIRED_SERVICES)
def test_random_inputs_never_get_a_500(random_server: ServerProcess, service: str) -> None:
    _sweep(random_server, service, hostile=False)


@pytest.mark.parametrize("service", WIRED_SERVICES)
def test_hostile_values_never_get_a_500(random_server: ServerProcess, service: str) -> None:
    _sweep(random_server, service, hostile=True)
