"""Every operation of every wired service, called by botocore with random inputs shaped by the model: whatever the
server answers, it is never a 500.

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


@pytest.mark.parametrize("service", WIRED_SERVICES)
def test_random_inputs_never_get_a_500(random_server: ServerProcess, service: str) -> None:
    model = default_catalog().service(service)
    config = botocore.config.Config(
        parameter_validation=False, inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30
    )
    client = random_server.client(service, config=config)
    client.meta.events.register("before-send", _loopback_only)
    wrong: list[str] = []
    answered = 0
    try:
        for name in model.operation_names:
            if (service, name) in SKIPPED:
                continue
            operation = model.operation_model(name)
            for seed in SEEDS:
                try:
                    getattr(client, snake_case(name))(**operation_input(operation, seed))
                    answered += 1
                except ClientError as exc:
                    answered += 1
                    status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                    code = exc.response.get("Error", {}).get("Code", "")
                    if status >= 500 and (status, code) != (501, "NotImplemented"):
                        wrong.append(f"{name} (seed {seed}): {status} {code}: {exc}"[:300])
                except (BotoCoreError, ValueError, TypeError, _Elsewhere):
                    pass  # botocore could not serialize the random value (or parse a refusal): nothing reached us
    finally:
        client.close()
    assert answered, f"no {service} call reached the server"
    assert not wrong, "\n".join(wrong)
    assert '"internal error"' not in random_server.logs()
