"""A function is untrusted code: it cannot read the server's secrets, it needs iam:PassRole for its role, and it
runs within its MemorySize and Timeout, with boto3 and without the server's own packages."""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from strongroom.server.runtime import Runtime
from strongroom.services.lambda_.sandbox import _untraversable_ancestor
from tests.e2e.access_support import allow, client_for, make_user
from tests.e2e.test_lambda_functions import create, make_role, make_zip
from tests.e2e.test_lambda_invoke import processes_with
from tests.support.errors import error_of
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the uid sandbox needs a server running as root")

SNOOP_FN = """
import os
def attempt(action):
    try:
        action()
        return "READ"
    except Exception as exc:
        return type(exc).__name__
def read(path):
    with open(path, "rb") as f:
        return f.read(16)
def mem(pid):
    with open(f"/proc/{pid}/mem", "rb") as f:
        f.seek(0x400000)
        return f.read(16)
def handler(event, context):
    out = {}
    for name in event["files"]:
        out[name] = attempt(lambda: read(os.path.join(event["data_dir"], name)))
    out["listdir"] = attempt(lambda: os.listdir(event["data_dir"]))
    pid = event["server_pid"]
    out["environ"] = attempt(lambda: read(f"/proc/{pid}/environ"))
    out["cmdline"] = attempt(lambda: read(f"/proc/{pid}/cmdline"))
    out["mem"] = attempt(lambda: mem(pid))
    out["write_code"] = attempt(lambda: open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "x"), "w").close())
    for module in ("strongroom", "sqlalchemy", "cryptography"):
        out["import " + module] = attempt(lambda: __import__(module))
    import boto3
    out["boto3"] = boto3.__version__
    import getpass
    try:
        out["user"] = getpass.getuser()
    except KeyError:  # no passwd entry: only inside the namespaces does the uid get one
        out["user"] = None
    out["uid"] = os.getuid()
    out["groups"] = os.getgroups()
    out["env"] = dict(os.environ)
    return out
"""


@pytest.fixture(scope="module")
def role(server: ServerProcess) -> str:
    return make_role(server)


def _payload(response: dict[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


def test_function_cannot_read_the_servers_secrets(server: ServerProcess, role: str) -> None:
    assert server.proc is not None
    data_dir = server.data_dir.resolve()
    files = sorted(p.name for p in data_dir.iterdir() if p.is_file())
    assert {"root.key", "credentials"} <= set(files)
    assert any(name.endswith(".db") for name in files) or server.database_url
    fn = create(server, role, SNOOP_FN, Timeout=30, MemorySize=256, Environment={"Variables": {"MINE": "yes"}})
    event = {"data_dir": str(data_dir), "files": files, "server_pid": server.proc.pid}
    out = server.client("lambda").invoke(FunctionName=fn["FunctionName"], Payload=json.dumps(event))
    assert "FunctionError" not in out, out["Payload"].read()
    result = _payload(out)
    for name in [*files, "listdir", "environ", "cmdline", "mem", "write_code"]:
        assert result[name] != "READ", (name, result)
    assert result["import strongroom"] == "ModuleNotFoundError"
    assert result["import sqlalchemy"] == "ModuleNotFoundError"
    assert result["import cryptography"] == "ModuleNotFoundError"
    assert result["boto3"] == "1.44.8"  # the runtime's boto3, the release of the server's botocore
    assert result["uid"] != 0 and result["groups"] == [] and result["user"].startswith("sbx_user")
    env = result["env"]
    assert env["MINE"] == "yes" and env["AWS_ACCESS_KEY_ID"].startswith("ASIA")
    allowed = {"PATH", "LANG", "TZ", "HOME", "TMPDIR", "SECRETS_MANAGER_ENDPOINT", "MINE", "_HANDLER"}
    leaked = {k for k in env if k not in allowed and not k.startswith(("AWS_", "LAMBDA_"))}
    assert not leaked, leaked  # nothing of the server's own environment (STRONGROOM_*, PYTEST_*, ...)
    text = json.dumps(result)
    assert server.secret_key not in text and server.access_key not in text
    assert (data_dir.stat().st_mode & 0o777) == 0o700
    assert ((data_dir / "root.key").stat().st_mode & 0o777) == 0o600


def test_import_boto3_works(server: ServerProcess, role: str) -> None:
    source = (
        "import boto3, botocore\n"
        "def handler(e, c):\n"
        "    return [boto3.__version__, botocore.__version__,"
        " boto3.client('sts').get_caller_identity()['Arn']]\n"
    )
    fn = create(server, role, source, Timeout=30)
    boto3_version, botocore_version, arn = _payload(server.client("lambda").invoke(FunctionName=fn["FunctionName"]))
    assert boto3_version == botocore_version == "1.44.8"
    assert arn.endswith(f"/{fn['FunctionName']}") and ":assumed-role/" in arn


def test_memory_size_is_enforced(server: ServerProcess, role: str) -> None:
    source = "def handler(e, c):\n    block = bytearray(e['mb'] * 1024 * 1024)\n    return len(block) // 2**20\n"
    fn = create(server, role, source, MemorySize=128, Timeout=30)
    lam = server.client("lambda")
    out = lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps({"mb": 512}), LogType="Tail")
    assert out["FunctionError"] == "Unhandled"
    error = _payload(out)
    request_id = out["ResponseMetadata"]["RequestId"]
    assert error == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
    }
    log = base64.b64decode(out["LogResult"]).decode()
    assert "Status: error\tError Type: Runtime.OutOfMemory" in log and "Max Memory Used: 128 MB" in log
    ok = lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps({"mb": 16}))
    assert "FunctionError" not in ok and _payload(ok) == 16
    lam.update_function_configuration(FunctionName=fn["FunctionName"], MemorySize=1024)
    big = lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps({"mb": 512}))
    assert "FunctionError" not in big and _payload(big) == 512


def test_timeout_answers_awss_error(server: ServerProcess, role: str) -> None:
    fn = create(server, role, "import time\ndef handler(e, c):\n    time.sleep(30)\n", Timeout=1)
    out = server.client("lambda").invoke(FunctionName=fn["FunctionName"])
    assert out["FunctionError"] == "Unhandled"
    request_id = out["ResponseMetadata"]["RequestId"]
    assert _payload(out) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after 1.00 seconds",
    }


def test_daemonised_leftovers_are_killed(server: ServerProcess, role: str) -> None:
    marker = f"61.{uuid.uuid4().int % 10**9:09d}"
    source = (
        "import os, subprocess\n"
        "def handler(e, c):\n"
        f"    subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        "    return 'left one behind'\n"
    )
    fn = create(server, role, source)
    assert _payload(server.client("lambda").invoke(FunctionName=fn["FunctionName"])) == "left one behind"
    assert not processes_with(marker)


def test_pass_role_is_required(server: ServerProcess, role: str) -> None:
    iam = server.client("iam")
    other_role = make_role(server)
    user = make_user(iam, allow("lambda:*"))
    lam = client_for(server, "lambda", user)
    name = f"fn-{uuid.uuid4().hex[:12]}"
    params: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "index.handler",
        "Code": {"ZipFile": make_zip()},
    }
    with pytest.raises(ClientError) as exc:
        lam.create_function(**params)
    assert error_of(exc) == (
        "AccessDeniedException",
        f"User: {user['Arn']} is not authorized to perform: iam:PassRole on resource: {role} "
        "because no identity-based policy allows the iam:PassRole action",
        403,
    )
    with pytest.raises(ClientError) as missing:
        server.client("lambda").get_function(FunctionName=name)
    assert error_of(missing)[0] == "ResourceNotFoundException"  # nothing was created

    # PassRole for another service only does not help
    iam.put_user_policy(
        UserName=user["Name"],
        PolicyName="pass",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    allow(
                        "iam:PassRole",
                        role,
                        Condition={"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                    )
                ],
            }
        ),
    )
    with pytest.raises(ClientError) as exc:
        lam.create_function(**params)
    assert error_of(exc)[0] == "AccessDeniedException" and "iam:PassRole" in error_of(exc)[1]

    iam.put_user_policy(
        UserName=user["Name"],
        PolicyName="pass",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    allow(
                        "iam:PassRole",
                        role,
                        Condition={"StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}},
                    )
                ],
            }
        ),
    )
    assert lam.create_function(**params)["Role"] == role
    # changing the role needs PassRole on the new one; changing anything else needs no PassRole
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Role=other_role)
    assert error_of(exc) == (
        "AccessDeniedException",
        f"User: {user['Arn']} is not authorized to perform: iam:PassRole on resource: {other_role} "
        "because no identity-based policy allows the iam:PassRole action",
        403,
    )
    assert server.client("lambda").get_function_configuration(FunctionName=name)["Role"] == role
    assert lam.update_function_configuration(FunctionName=name, Description="d")["Description"] == "d"
    assert lam.update_function_configuration(FunctionName=name, Role=role)["Role"] == role


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[ServerProcess, Runtime]]:
    with inprocess_server(tmp_path / "node") as (handle, runtime, _):
        yield handle, runtime


def test_without_a_sandbox_functions_are_refused(node: tuple[ServerProcess, Runtime]) -> None:
    """A server that cannot switch users refuses to run functions unless the operator opted in."""
    handle, runtime = node
    fn = create(handle, make_role(handle))
    sandbox = runtime.providers.provider("lambda").runner.sandbox  # type: ignore[attr-defined]
    sandbox.mode = "unsandboxed"  # as on a server that does not run as root
    with pytest.raises(ClientError) as exc:
        handle.client("lambda").invoke(FunctionName=fn["FunctionName"])
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidRuntimeException", 502) and "--lambda-unsandboxed" in message
    sandbox.unsandboxed_allowed = True  # --lambda-unsandboxed
    out = handle.client("lambda").invoke(FunctionName=fn["FunctionName"], Payload=b'{"name": "x"}')
    assert _payload(out) == {"hello": "x"}


def test_without_namespaces_the_uid_alone_keeps_the_data_dir_closed(node: tuple[ServerProcess, Runtime]) -> None:
    """Root without the privilege for namespaces (a default container): the function still runs as its own uid,
    or — when that uid could not even reach the Python runtime — invocations are refused, saying why."""
    handle, runtime = node
    sandbox = runtime.providers.provider("lambda").runner.sandbox  # type: ignore[attr-defined]
    sandbox.namespaces = False  # as if the probe had failed
    fn = create(handle, make_role(handle), SNOOP_FN, Timeout=30, MemorySize=256)
    data_dir = handle.data_dir.resolve()
    files = sorted(p.name for p in data_dir.iterdir() if p.is_file())
    event = {"data_dir": str(data_dir), "files": files, "server_pid": os.getpid()}  # this process is the server
    lam = handle.client("lambda")
    if any(_untraversable_ancestor(p) for p in sandbox.readable_paths()):
        with pytest.raises(ClientError) as exc:
            lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps(event))
        code, message, _ = error_of(exc)
        assert code == "InvalidRuntimeException" and "CAP_SYS_ADMIN" in message
        return
    out = lam.invoke(FunctionName=fn["FunctionName"], Payload=json.dumps(event))
    assert "FunctionError" not in out, out["Payload"].read()
    result = _payload(out)
    for name in [*files, "listdir", "environ", "mem"]:
        assert result[name] == "PermissionError", (name, result)
    assert result["uid"] != 0
