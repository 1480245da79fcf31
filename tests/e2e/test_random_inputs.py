"""Every operation of every wired service, called by botocore with random inputs shaped by the model, then with one
member at a time past what the model allows (``HOSTILE``): whatever the server answers, it is never a 500.

Inputs come from tests/support/shapegen.py (lengths, ranges and enums respected, patterns not), sent with botocore's
parameter validation off, so most are refused (malformed, not found, wrong state) and each refusal must be the
service's own 4xx error. The one 5xx allowed is 501 ``NotImplemented`` for an operation Strongroom has no handler
for (listed in each service's docs). A server of its own: random calls create random resources, which tests sharing
the session's server must not see.

The third sweep reaches further: each operation of the core services is called on resources that exist (a key, a
secret, a parameter, a bucket and object, a user and role, a bus and rule, a log group and stream), with one member
at a time, nested ones included, replaced by a hostile value.
"""

from __future__ import annotations

import copy
import json
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
from tests.support.inprocess import inprocess_server
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
# counts, 70 KB strings (a header that long is refused by the HTTP layer), path-like names, JSON nested 5,000 deep
# (policies, patterns and payloads are JSON in a string), 2,000-item lists and maps, a 300 KB blob, NaN.
HOSTILE: dict[str, tuple[Any, ...]] = {
    "integer": (2**70, -1),
    "long": (2**70, -(2**70)),
    "string": ("x" * 70_000, "../../etc/passwd", "[" * 5_000 + "]" * 5_000),
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


def _calls(service: str, hostile: bool, ids: dict[str, Any] | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(operation, what was sent, parameters) of every call the sweep makes for ``service``; with ``ids`` (member ->
    a real resource's identifier) the hostile values go into nested members too."""
    model = default_catalog().service(service)
    for name in model.operation_names:
        if (service, name) in SKIPPED or (ids is not None and name.startswith(_KEEPS_RESOURCES)):
            continue
        operation = model.operation_model(name)
        if not hostile:
            for seed in SEEDS:
                yield name, f"seed {seed}", operation_input(operation, seed)
            continue
        if operation.input_shape is None:
            continue
        base = operation_input(operation, SEEDS[0])
        base.update({k: v for k, v in (ids or {}).items() if k in operation.input_shape.members})
        for path, shape in _paths(operation.input_shape, nested=ids is not None):
            if ids is not None and path[0] in ids:
                continue
            for value in HOSTILE.get(shape.type_name, ()):
                params = copy.deepcopy(base)
                if _put(params, path, value):
                    yield name, f"{'/'.join(map(str, path))}={str(value)[:20]}", params


_KEEPS_RESOURCES = ("Delete", "ScheduleKeyDeletion", "Remove", "Disable")


def _paths(
    shape: Any, *, nested: bool, prefix: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every member of a structure, and (``nested``) those of its structures and of its lists' first structure,
    three levels deep."""
    for member, inner in shape.members.items():
        path = (*prefix, member)
        yield path, inner
        if not nested or len(prefix) >= 4:
            continue
        if inner.type_name == "structure":
            yield from _paths(inner, nested=True, prefix=path)
        elif inner.type_name == "list" and inner.member.type_name == "structure":
            yield from _paths(inner.member, nested=True, prefix=(*path, 0))


def _put(params: dict[str, Any], path: tuple[str | int, ...], value: Any) -> bool:
    """``value`` at ``path`` in ``params``; False when the random input has nothing there to replace."""
    here: Any = params
    for step in path[:-1]:
        if isinstance(step, int):
            if not isinstance(here, list) or not here:
                return False
            here = here[0]
        elif isinstance(here, dict) and step in here:
            here = here[step]
        else:
            return False
    if not isinstance(here, dict):
        return False
    here[path[-1]] = value
    return True


def _sweep(server: ServerProcess, service: str, hostile: bool, ids: dict[str, Any] | None = None) -> None:
    client = _client(server, service)
    wrong: list[str] = []
    answered = 0
    try:
        for name, sent, params in _calls(service, hostile, ids):
            try:
                getattr(client, snake_case(name))(**params)
                answered += 1
            except ClientError as exc:
                answered += 1
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                code = exc.response.get("Error", {}).get("Code", "")
                if status >= 500 and (status, code) != (501, "NotImplemented"):
                    wrong.append(f"{name} ({sent}): {status} {code}: {exc}"[:300])
            except (
                BotoCoreError,
                ValueError,
                TypeError,
                AttributeError,
                OverflowError,
                ParseError,
                KeyError,
                _Elsewhere,
            ):
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


TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture(scope="module")
def resources(random_server: ServerProcess) -> dict[str, dict[str, Any]]:
    """Per service, the request members that name a resource that exists, and its identifier."""
    srv = random_server
    key = srv.client("kms").create_key()["KeyMetadata"]["KeyId"]
    secret = srv.client("secretsmanager").create_secret(Name="random-secret", SecretString="s")["ARN"]
    srv.client("ssm").put_parameter(Name="/random/param", Value="v", Type="SecureString")
    s3 = srv.client("s3")
    s3.create_bucket(Bucket="random-bucket")
    s3.put_object(Bucket="random-bucket", Key="object", Body=b"hello")
    iam = srv.client("iam")
    iam.create_user(UserName="random-user")
    iam.create_role(RoleName="random-role", AssumeRolePolicyDocument=TRUST)
    events = srv.client("events")
    events.create_event_bus(Name="random-bus")
    events.put_rule(Name="random-rule", EventPattern='{"source":["x"]}', EventBusName="random-bus")
    logs = srv.client("logs")
    logs.create_log_group(logGroupName="random-group")
    logs.create_log_stream(logGroupName="random-group", logStreamName="random-stream")
    return {
        "kms": {"KeyId": key, "DestinationKeyId": key, "SourceKeyId": key, "TargetKeyId": key},
        "secretsmanager": {"SecretId": secret},
        "ssm": {"Name": "/random/param", "Names": ["/random/param"]},
        "s3": {"Bucket": "random-bucket", "Key": "object"},
        "iam": {"UserName": "random-user", "RoleName": "random-role"},
        "events": {"EventBusName": "random-bus", "Name": "random-rule", "Rule": "random-rule"},
        "logs": {
            "logGroupName": "random-group",
            "logStreamName": "random-stream",
            "logGroupIdentifier": "random-group",
        },
    }


@pytest.mark.parametrize("service", ["kms", "secretsmanager", "ssm", "s3", "iam", "events", "logs"])
def test_hostile_values_on_real_resources_never_get_a_500(
    random_server: ServerProcess, resources: dict[str, dict[str, Any]], service: str
) -> None:
    _sweep(random_server, service, hostile=True, ids=resources[service])


def test_input_nested_past_any_parser_is_the_callers_error(tmp_path: Path) -> None:
    """Whatever parser meets input nested too deeply (a RecursionError from any provider), the answer is the
    service's validation error, 400 — as the model's own constraint failures are answered."""
    with inprocess_server(tmp_path / "srv") as (handle, runtime, _app):
        real = runtime.providers.handler

        def nested(service: str, operation: str) -> Any:
            def handler(ctx: Any, params: dict[str, Any]) -> dict[str, Any]:
                raise RecursionError("maximum recursion depth exceeded while decoding a JSON array")

            return handler if operation in ("ListKeys", "DescribeLogGroups", "ListUsers") else real(service, operation)

        runtime.providers.handler = nested  # type: ignore[method-assign]
        calls = (
            ("kms", "list_keys", {}, "ValidationException"),
            ("logs", "describe_log_groups", {}, "InvalidParameterException"),
            ("iam", "list_users", {}, "ValidationError"),
        )
        for service, method, params, code in calls:
            with pytest.raises(ClientError) as exc:
                getattr(handle.client(service), method)(**params)
            assert exc.value.response["Error"]["Code"] == code
            assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
