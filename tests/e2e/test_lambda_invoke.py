"""Invoke: functions run in their own processes with the role's credentials, errors, timeouts, logs, Event."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.test_lambda_functions import create, make_role
from tests.support.server import ServerProcess

CONTEXT_FN = """
import os, sys
def handler(event, context):
    print("hello from the function")
    return {
        "event": event,
        "name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "group": context.log_group_name,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
                "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "MY_VAR", "AWS_ENDPOINT_URL",
                "SECRETS_MANAGER_ENDPOINT")},
        "has_session": bool(os.environ.get("AWS_SESSION_TOKEN")),
        "pid": os.getpid(),
    }
"""

CALLBACK_FN = """
import os, boto3
def handler(event, context):
    sts = boto3.client("sts", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    return sts.get_caller_identity()["Arn"]
"""

RAISING_FN = """
def handler(event, context):
    helper(event)

def helper(event):
    raise ValueError("boom: " + event["why"])
"""

SLEEPING_FN = """
import os, subprocess, time
def handler(event, context):
    subprocess.Popen(["sleep", os.environ["MARKER"]])
    print("about to sleep", flush=True)
    time.sleep(60)
"""

# Functions run sandboxed (they cannot write the test's files): they report to a Collector over HTTP.
EVENT_FN = """
import json, os, urllib.request
def handler(event, context):
    body = json.dumps({"event": event, "request_id": context.aws_request_id}).encode()
    urllib.request.urlopen(urllib.request.Request(os.environ["REPORT_URL"] + "/" + event["id"], data=body)).read()
"""


class Collector:
    """A small HTTP server on loopback that keeps what functions POST to it, by path."""

    def __init__(self) -> None:
        posts: dict[str, bytes] = {}

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                posts[self.path.strip("/")] = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.posts = posts
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def wait(self, *keys: str, timeout: float = 20) -> dict[str, bytes]:
        deadline = time.monotonic() + timeout
        while not all(k in self.posts for k in keys) and time.monotonic() < deadline:
            time.sleep(0.1)
        return {k: self.posts[k] for k in keys if k in self.posts}

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.close()


@pytest.fixture(scope="module")
def role(server: ServerProcess) -> str:
    return make_role(server)


def _payload(response: dict[str, object]) -> object:
    return json.loads(response["Payload"].read())  # type: ignore[attr-defined]


def test_request_response_context_and_environment(server: ServerProcess, role: str) -> None:
    fn = create(server, role, CONTEXT_FN, MemorySize=256, Environment={"Variables": {"MY_VAR": "mine"}})
    lam = server.client("lambda")
    out = lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps({"x": [1, 2]}))
    assert out["StatusCode"] == 200 and "FunctionError" not in out and out["ExecutedVersion"] == "$LATEST"
    body = _payload(out)
    assert isinstance(body, dict)
    assert body["event"] == {"x": [1, 2]} and body["name"] == fn["FunctionName"] and body["version"] == "$LATEST"
    assert body["arn"] == fn["FunctionArn"] and body["memory"] == "256"
    assert body["group"] == f"/aws/lambda/{fn['FunctionName']}" and 0 < body["remaining"] <= 3000
    assert body["env"] == {
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_NAME": fn["FunctionName"],
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "MY_VAR": "mine",
        "AWS_ENDPOINT_URL": server.endpoint,
        "SECRETS_MANAGER_ENDPOINT": server.endpoint,
    }
    assert body["has_session"] and body["pid"] != server.proc.pid  # type: ignore[union-attr]
    assert body["request_id"] == out["ResponseMetadata"]["RequestId"]
    empty = lam.invoke(FunctionName=fn["FunctionArn"])
    assert _payload(empty)["event"] == {}  # type: ignore[index]


def test_function_calls_back_with_the_execution_roles_credentials(server: ServerProcess, role: str) -> None:
    fn = create(server, role, CALLBACK_FN, Timeout=30)
    started = time.monotonic()
    out = server.client("lambda").invoke(FunctionName=fn["FunctionName"])
    assert "FunctionError" not in out, out["Payload"].read()
    role_name = role.rsplit("/", 1)[-1]
    account = role.split(":")[4]
    assert _payload(out) == f"arn:aws:sts::{account}:assumed-role/{role_name}/{fn['FunctionName']}"
    assert time.monotonic() - started < 20


def test_handler_exception_is_an_unhandled_function_error(server: ServerProcess, role: str) -> None:
    fn = create(server, role, RAISING_FN)
    out = server.client("lambda").invoke(
        FunctionName=fn["FunctionName"], Payload=b'{"why": "bad input"}', LogType="Tail"
    )
    assert out["StatusCode"] == 200 and out["FunctionError"] == "Unhandled"
    error = _payload(out)
    assert isinstance(error, dict)
    assert error["errorMessage"] == "boom: bad input" and error["errorType"] == "ValueError"
    assert any("in helper" in line for line in error["stackTrace"]) and error["requestId"]
    log = base64.b64decode(out["LogResult"]).decode()
    assert "[ERROR] ValueError: boom: bad input" in log


def test_import_and_handler_errors(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    broken = create(server, role, "import no_such_module_xyz\n")
    error = _payload(lam.invoke(FunctionName=broken["FunctionName"]))
    assert error["errorType"] == "Runtime.ImportModuleError"  # type: ignore[index]
    missing = create(server, role, Handler="index.nothing")
    error = _payload(lam.invoke(FunctionName=missing["FunctionName"]))
    assert error["errorType"] == "Runtime.HandlerNotFound"  # type: ignore[index]
    unmarshallable = create(server, role, "def handler(e, c):\n    return {1, 2}\n")
    error = _payload(lam.invoke(FunctionName=unmarshallable["FunctionName"]))
    assert error["errorType"] == "Runtime.MarshalError"  # type: ignore[index]


def test_timeout_kills_the_process_group(server: ServerProcess, role: str) -> None:
    marker = f"60.{uuid.uuid4().int % 10**9:09d}"  # `sleep 60.NNN`: this test's child, found by its arguments
    fn = create(server, role, SLEEPING_FN, Timeout=1, Environment={"Variables": {"MARKER": marker}})
    started = time.monotonic()
    out = server.client("lambda").invoke(FunctionName=fn["FunctionName"], LogType="Tail")
    assert time.monotonic() - started < 10
    assert out["FunctionError"] == "Unhandled"
    error = _payload(out)
    assert "Task timed out after 1.00 seconds" in error["errorMessage"]  # type: ignore[index]
    log = base64.b64decode(out["LogResult"]).decode()
    assert "about to sleep" in log and "Status: timeout" in log
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not processes_with(marker)


def processes_with(argument: str) -> list[int]:
    """Live processes (not zombies) with ``argument`` on their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            arguments = (entry / "cmdline").read_bytes().split(b"\0")
            if argument.encode() in arguments and (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_log_tail_is_the_last_4kb(server: ServerProcess, role: str) -> None:
    source = "def handler(e, c):\n    for i in range(2000):\n        print('line', i)\n    return 'done'\n"
    fn = create(server, role, source)
    out = server.client("lambda").invoke(FunctionName=fn["FunctionName"], LogType="Tail")
    raw = base64.b64decode(out["LogResult"])
    assert len(raw) == 4096
    log = raw.decode()
    assert "line 1999" in log and "line 5\n" not in log
    assert f"END RequestId: {out['ResponseMetadata']['RequestId']}" in log and "REPORT RequestId:" in log
    assert "LogResult" not in server.client("lambda").invoke(FunctionName=fn["FunctionName"])


def test_event_invocations_run_in_the_background(server: ServerProcess, role: str, collector: Collector) -> None:
    fn = create(server, role, EVENT_FN, Environment={"Variables": {"REPORT_URL": collector.url}})
    lam = server.client("lambda")
    for i in range(3):
        out = lam.invoke(FunctionName=fn["FunctionName"], InvocationType="Event", Payload=json.dumps({"id": f"e{i}"}))
        assert out["StatusCode"] == 202 and out["Payload"].read() == b""
    posts = collector.wait("e0", "e1", "e2")
    results = [json.loads(posts[f"e{i}"]) for i in range(3)]
    assert [r["event"]["id"] for r in results] == ["e0", "e1", "e2"]


def test_dry_run_and_bad_requests(server: ServerProcess, role: str) -> None:
    fn = create(server, role)
    lam = server.client("lambda")
    out = lam.invoke(FunctionName=fn["FunctionName"], InvocationType="DryRun")
    assert out["StatusCode"] == 204
    for payload in (b"{not json", b"[" * 5_000 + b"]" * 5_000):  # nested past the parser: unparseable too
        with pytest.raises(ClientError) as exc:
            lam.invoke(FunctionName=fn["FunctionName"], Payload=payload)
        assert exc.value.response["Error"]["Code"] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=fn["FunctionName"], InvocationType="Event", Payload=b'"' + b"x" * (1024 * 1024) + b'"')
    assert exc.value.response["Error"]["Code"] == "RequestTooLargeException"
    raw = server.client("lambda", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        raw.invoke(FunctionName=fn["FunctionName"], Qualifier="7")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        raw.invoke(FunctionName=f"arn:aws:lambda:eu-west-1:123456789012:function:{fn['FunctionName']}")
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_published_version_runs_its_own_code(server: ServerProcess, role: str) -> None:
    lam = server.client("lambda")
    fn = create(server, role, "def handler(e, c):\n    return 'one'\n", Publish=True)
    from tests.e2e.test_lambda_functions import make_zip

    lam.update_function_code(
        FunctionName=fn["FunctionName"], ZipFile=make_zip("def handler(e, c):\n    return 'two'\n")
    )
    assert _payload(lam.invoke(FunctionName=fn["FunctionName"])) == "two"
    first = lam.invoke(FunctionName=fn["FunctionName"], Qualifier="1")
    assert _payload(first) == "one" and first["ExecutedVersion"] == "1"
