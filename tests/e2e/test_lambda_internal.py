"""Another service invoking a function in-process (ctx.call, as Secrets Manager rotation does), and the
resource-policy hook for the access-control evaluator."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.core.context import Principal, RequestContext
from strongroom.core.errors import AwsError
from strongroom.server.runtime import Runtime
from strongroom.services.lambda_.access import resource_policy
from tests.e2e.test_lambda_functions import create, make_role
from tests.e2e.test_lambda_invoke import Collector
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess

ROTATION_LIKE = """
import os, boto3
def handler(event, context):
    endpoint = os.environ["SECRETS_MANAGER_ENDPOINT"]
    who = boto3.client("sts", endpoint_url=endpoint).get_caller_identity()["Arn"]
    if event.get("Step") == "fail":
        raise RuntimeError("step failed")
    return {"step": event["Step"], "who": who}
"""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Runtime]]:
    with inprocess_server(Path(tmp_path_factory.mktemp("lambda-internal"))) as (handle, runtime, _):
        yield handle, runtime


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.close()


def _caller(runtime: Runtime, handle: ServerProcess) -> RequestContext:
    account = handle.client("sts").get_caller_identity()["Account"]
    return RequestContext(
        runtime=runtime,
        request_id="r-1",
        service="secretsmanager",
        operation="RotateSecret",
        region="us-east-1",
        principal=Principal.root(account, handle.access_key),
    )


def test_invoke_through_ctx_call(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    role = make_role(handle)
    fn = create(handle, role, ROTATION_LIKE, Timeout=30)
    ctx = _caller(runtime, handle)
    started = time.monotonic()
    event = {"Step": "createSecret", "SecretId": "s", "ClientRequestToken": "t", "RotationToken": "r"}
    out = ctx.call("lambda", "Invoke", {"FunctionName": fn["FunctionArn"], "Payload": json.dumps(event).encode()})
    assert time.monotonic() - started < 15
    assert out["StatusCode"] == 200 and "FunctionError" not in out
    body = json.loads(out["Payload"])
    assert body["step"] == "createSecret" and body["who"].endswith(f"/{fn['FunctionName']}")
    failed = ctx.call("lambda", "Invoke", {"FunctionName": fn["FunctionName"], "Payload": b'{"Step": "fail"}'})
    assert failed["FunctionError"] == "Unhandled"
    assert json.loads(failed["Payload"])["errorMessage"] == "step failed"


def test_ctx_call_errors_are_lambdas(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    ctx = _caller(runtime, handle)
    with pytest.raises(AwsError) as exc:
        ctx.call("lambda", "Invoke", {"FunctionName": "no-such-function", "Payload": b"{}"})
    assert exc.value.code == "ResourceNotFoundException"


def test_resource_policy_hook(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    fn = create(handle, make_role(handle), Publish=True)
    lam = handle.client("lambda")
    assert resource_policy(runtime, fn["FunctionArn"]) is None
    lam.add_permission(
        FunctionName=fn["FunctionName"],
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    lam.add_permission(
        FunctionName=fn["FunctionName"], Qualifier="1", StatementId="v1", Action="lambda:InvokeFunction", Principal="*"
    )
    unqualified = fn["FunctionArn"].rsplit(":", 1)[0]
    latest = json.loads(resource_policy(runtime, unqualified) or "{}")
    assert [s["Sid"] for s in latest["Statement"]] == ["sm"]
    version = json.loads(resource_policy(runtime, unqualified + ":1") or "{}")
    assert version["Statement"][0]["Resource"] == unqualified + ":1"
    assert resource_policy(runtime, "arn:aws:lambda:us-east-1:123456789012:function:none") is None
    assert resource_policy(runtime, "not-an-arn") is None


def test_event_invocation_survives_in_the_scheduler(node: tuple[ServerProcess, Runtime], collector: Collector) -> None:
    """A queued invocation whose node never ran it (crash) runs when its job comes due."""
    handle, runtime = node
    source = (
        "import os, urllib.request\ndef handler(e, c):\n"
        "    url = os.environ['REPORT_URL'] + '/' + e['id']\n"
        "    urllib.request.urlopen(urllib.request.Request(url, data=c.aws_request_id.encode())).read()\n"
    )
    fn = create(handle, make_role(handle), source, Environment={"Variables": {"REPORT_URL": collector.url}})
    provider = runtime.providers.provider("lambda")
    submitted: list[object] = []
    pool = provider._pool()  # type: ignore[attr-defined]
    original = pool.submit
    pool.submit = lambda *args, **kw: submitted.append(args)  # the accepting node "crashes" before running it
    try:
        ctx = _caller(runtime, handle)
        out = ctx.call(
            "lambda",
            "Invoke",
            {"FunctionName": fn["FunctionName"], "InvocationType": "Event", "Payload": b'{"id": "late"}'},
        )
    finally:
        pool.submit = original
    assert out["StatusCode"] == 202 and submitted
    assert "late" not in collector.posts
    assert [j for j in runtime.scheduler.list_jobs("lambda-async")]
    handle.advance(3 * 60)
    assert "late" in collector.wait("late")
    deadline = time.monotonic() + 10
    while runtime.scheduler.list_jobs("lambda-async") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert runtime.scheduler.list_jobs("lambda-async") == []
