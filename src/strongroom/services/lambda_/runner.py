"""Runs one invocation in its own process: never in the server's, and never able to read the server's secrets.

Each invocation is a fresh ``python -I -S bootstrap.py`` in a new session (process group), isolated as
``sandbox.py`` describes (its own unprivileged uid and namespaces when the server is root), with the function's
package unpacked (once per node, per SHA-256) in the sandbox's readable directory, an environment like AWS's —
the function's variables, the region, the execution role's temporary credentials and this server as
``AWS_ENDPOINT_URL`` / ``SECRETS_MANAGER_ENDPOINT`` — MemorySize as its memory limit and a deadline after
which the whole group is killed. Output (stdout and stderr together) is kept only as a bounded tail for
``LogType: Tail``; the result comes back on a pipe, bounded too.
"""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.context import Principal
from strongroom.iam.directory import Directory
from strongroom.services.lambda_ import model
from strongroom.services.lambda_.code_url import endpoint
from strongroom.services.lambda_.errors import InvalidParameterValueException, InvalidRuntimeException, ServiceException
from strongroom.services.lambda_.records import FunctionRecord
from strongroom.services.lambda_.sandbox import Identity, Sandbox, kill_processes_of
from strongroom.services.lambda_.validation import ROLE_NOT_ASSUMABLE
from strongroom.services.sts.provider import issue_service_role_session

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
LOG_KEEP = 64 * 1024  # bytes of output kept per invocation (LogResult shows the last 4 KB)
SESSION_SECONDS = 3600
SESSION_REFRESH = timedelta(minutes=20)  # reuse a role session while it has at least this long to live
_KILL_GRACE = 5.0
RESPONSE_MAX = 6 * 1024 * 1024  # AWS's limit on a synchronous response payload
_RESULT_READ_MAX = 4 * RESPONSE_MAX + 65536  # the result's JSON escapes the payload's text
EPHEMERAL_MB = 512  # the function's private /tmp, AWS's default EphemeralStorage


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: the response payload, the function error kind if any, and the log."""

    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log: str
    duration_ms: float
    log_stream: str = ""  # the CloudWatch Logs stream of the invocation's execution environment


class Runner:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        # the server's private files of an invocation (spec, event): under the data dir, which functions cannot read
        self.root = runtime.config.data_dir.resolve() / "lambda"
        self.sandbox = Sandbox(runtime)
        self._creds: dict[tuple[str, str], dict[str, Any]] = {}
        self._principals: dict[str, Principal] = {}  # access key id -> the execution-role session
        self._lock = threading.Lock()
        self._unpack_lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._creds.clear()
            self._principals.clear()

    def forget_function(self, arn: str) -> None:
        with self._lock:
            for key in [k for k in self._creds if k[1] == arn]:
                self._principals.pop(self._creds.pop(key)["AccessKeyId"], None)

    # --- package cache ---------------------------------------------------------------------------------

    def code_dir(self, digest: str) -> Path:
        """The unpacked package, extracted once per node; a half-extracted directory is never visible."""
        target = self.sandbox.root / "code" / digest
        if target.is_dir():
            return target
        with self._unpack_lock:
            if target.is_dir():
                return target
            with self.runtime.store.read() as conn:
                data = conn.execute(select(model.code.c.zip).where(model.code.c.sha256 == digest)).scalar()
            if data is None:
                raise ServiceException("The function's deployment package is missing.")
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
            try:
                with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
                    archive.extractall(staging)  # extractall drops absolute paths and ".." components
                _readable_by_all(staging)  # the function's uid reads it; the parent directory is not listable
                os.replace(staging, target)
            except OSError:
                shutil.rmtree(staging, ignore_errors=True)
                if not target.is_dir():
                    raise
        return target

    # --- credentials -----------------------------------------------------------------------------------

    def credentials(self, record: FunctionRecord) -> dict[str, Any]:
        """The execution role's temporary credentials, session name = function name, as Lambda assumes it."""
        key = (record.role, record.arn)
        now = clock.now()
        with self._lock:
            cached = self._creds.get(key)
        if cached is not None and cached["Expiration"] - now > SESSION_REFRESH:
            return cached
        role = Directory(self.runtime.store).role_by_arn(record.role)
        if role is None:
            raise InvalidParameterValueException(ROLE_NOT_ASSUMABLE)
        creds = issue_service_role_session(self.runtime, role, record.name, SESSION_SECONDS)
        principal = Principal(
            "AssumedRole",
            role.account_id,
            f"arn:aws:sts::{role.account_id}:assumed-role/{role.name}/{record.name}",
            f"{role.role_id}:{record.name}",
            creds["AccessKeyId"],
        )
        with self._lock:
            self._creds[key] = creds
            self._principals[creds["AccessKeyId"]] = principal
        return creds

    def role_principal(self, record: FunctionRecord) -> Principal | None:
        """The execution-role session the function ran as (Lambda writes its logs as that session)."""
        creds = self.credentials(record)
        with self._lock:
            return self._principals.get(creds["AccessKeyId"])

    # --- running ---------------------------------------------------------------------------------------

    def environment(
        self, record: FunctionRecord, task_root: Path, creds: dict[str, Any], stream: str
    ) -> dict[str, str]:
        """Only what Lambda sets, and the function's variables: nothing of the server's own environment.
        (HOME and TMPDIR, the function's private /tmp, are set by the bootstrap.)"""
        url = endpoint(self.runtime)
        env = {
            "PATH": _PATH,
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_ENDPOINT_URL": url,
            "SECRETS_MANAGER_ENDPOINT": url,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.update(record.environment or {})
        env.update(
            {
                "_HANDLER": record.handler,
                "AWS_REGION": record.region,
                "AWS_DEFAULT_REGION": record.region,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{record.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": record.name,
                "AWS_LAMBDA_FUNCTION_VERSION": record.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(record.memory_size),
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{record.name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": stream,
                "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
                "AWS_SESSION_TOKEN": creds["SessionToken"],
                "LAMBDA_TASK_ROOT": str(task_root),
                "LAMBDA_RUNTIME_DIR": str(self.sandbox.runtime_layer),
            }
        )
        return env

    def invoke(self, record: FunctionRecord, payload: bytes, request_id: str, invoked_arn: str) -> Outcome:
        refusal = self.sandbox.refusal(_python(), BOOTSTRAP)
        if refusal is not None:
            raise InvalidRuntimeException(refusal)
        task_root = self.code_dir(record.code_sha256)
        creds = self.credentials(record)
        stream = f"{clock.now():%Y/%m/%d}/[{record.version}]{request_id.replace('-', '')}"
        (self.root / "run").mkdir(mode=0o700, parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(dir=self.root / "run", prefix="inv-"))
        identity = self.sandbox.acquire()
        tmp = Path(tempfile.mkdtemp(dir=self.sandbox.root / "tmp", prefix="inv-"))
        try:
            if identity is not None:
                os.chown(tmp, identity.uid, identity.gid)
            outcome = self._run(
                record, payload, request_id, invoked_arn, task_root, private, tmp, identity, creds, stream
            )
            return replace(outcome, log_stream=stream)
        finally:
            self.sandbox.release(identity)
            shutil.rmtree(tmp, ignore_errors=True)  # rmtree does not follow the function's symlinks
            shutil.rmtree(private, ignore_errors=True)

    def _spec(
        self,
        record: FunctionRecord,
        request_id: str,
        invoked_arn: str,
        task_root: Path,
        private: Path,
        tmp: Path,
        identity: Identity | None,
        env: dict[str, str],
    ) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "env": env,
            "event": str(private / "event.json"),
            "tmp": str(tmp),
            "memory_mb": record.memory_size,
            "ephemeral_mb": EPHEMERAL_MB,
            "runtime_layer": str(self.sandbox.runtime_layer),
            "request_id": request_id,
            "invoked_arn": invoked_arn,
            "deadline_ms": int(time.time() * 1000) + record.timeout * 1000,
        }
        if identity is not None:
            spec.update(
                uid=identity.uid,
                gid=identity.gid,
                readable=self.sandbox.readable_paths(),
                passwd=self._passwd(private, identity),
                hidden=self.sandbox.hidden_paths(),
                namespaces=bool(self.sandbox.namespaces),
            )
        return spec

    @staticmethod
    def _passwd(private: Path, identity: Identity) -> dict[str, str]:
        """``/etc/passwd`` and ``/etc/group`` naming the function's uid (as AWS's ``sbx_user1051``): libpq, getpass
        and others look the current user up."""
        out = {}
        for name, line in (
            ("passwd", f"sbx_user{identity.uid}:x:{identity.uid}:{identity.gid}::/tmp:/usr/sbin/nologin\n"),
            ("group", f"sbx_user{identity.uid}:x:{identity.gid}:\n"),
        ):
            try:
                host = Path("/etc", name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                host = ""
            path = private / name
            path.write_text(host + ("" if host.endswith("\n") or not host else "\n") + line, encoding="utf-8")
            os.chmod(path, 0o644)
            out[f"/etc/{name}"] = str(path)
        return out

    def _run(
        self,
        record: FunctionRecord,
        payload: bytes,
        request_id: str,
        invoked_arn: str,
        task_root: Path,
        private: Path,
        tmp: Path,
        identity: Identity | None,
        creds: dict[str, Any],
        stream: str,
    ) -> Outcome:
        (private / "event.json").write_bytes(payload)
        env = self.environment(record, task_root, creds, stream)
        spec = self._spec(record, request_id, invoked_arn, task_root, private, tmp, identity, env)
        spec_path = private / "spec.json"
        fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # holds the session's credentials
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(spec, f)
        started = time.monotonic()
        result_r, result_w = os.pipe()
        try:
            proc = subprocess.Popen(
                [_python(), "-I", "-S", "-B", "-u", str(BOOTSTRAP), str(spec_path), str(result_w)],
                cwd=task_root,
                env={"PATH": _PATH, "LANG": "C.UTF-8"},  # the function's own environment is in the spec
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a timeout kills everything it started
                close_fds=True,
                pass_fds=(result_w,),
            )
        finally:
            os.close(result_w)
        tail = _Tail(proc.stdout)
        reply = _Reader(result_r)
        timed_out = False
        try:
            proc.wait(timeout=record.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
            if identity is not None:  # what escaped the group (setsid) holds the pipes open: it goes too
                kill_processes_of(identity.uid)
        tail.join(_KILL_GRACE)
        reply.join(_KILL_GRACE)
        elapsed_ms = (time.monotonic() - started) * 1000
        output = tail.text()
        result: dict[str, Any] | None = None
        if not timed_out:
            result = reply.result()
        return self._outcome(record, request_id, output, result, timed_out, proc.returncode, elapsed_ms)

    def _outcome(
        self,
        record: FunctionRecord,
        request_id: str,
        output: str,
        result: dict[str, Any] | None,
        timed_out: bool,
        returncode: int | None,
        elapsed_ms: float,
    ) -> Outcome:
        status = ""
        error: dict[str, Any] | None = None
        body: bytes = b""
        if timed_out:
            error = {
                "errorType": "Sandbox.Timedout",
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after {record.timeout:.2f} seconds",
            }
            output += f"{_stamp()} {request_id} Task timed out after {record.timeout:.2f} seconds\n"
            status = "\tStatus: timeout"
        elif result is None:
            error = {
                "errorType": "Runtime.ExitError",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: exit status {returncode}",
            }
            output += f"RequestId: {request_id} Error: Runtime exited with error: exit status {returncode}\n"
            status = "\tStatus: error\tError Type: Runtime.ExitError"
        elif result.get("oom"):
            error = {
                "errorType": "Runtime.OutOfMemory",
                "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: signal: killed",
            }
            output += f"RequestId: {request_id} Error: Runtime exited with error: signal: killed\n"
            status = "\tStatus: error\tError Type: Runtime.OutOfMemory"
            result = None
        elif result.get("too_large") or len(str(result.get("ok", ""))) > RESPONSE_MAX:
            error = {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({RESPONSE_MAX} bytes).",
            }
            result = None
        elif "error" in result:
            error = dict(result["error"])
            error = {
                "errorMessage": error.get("errorMessage", ""),
                "errorType": error.get("errorType", "Exception"),
                "requestId": request_id,
                "stackTrace": error.get("stackTrace", []),
            }
        else:
            body = str(result["ok"]).encode()
        if error is not None:
            body = json.dumps(error).encode()
        used = max(1, int((result or {}).get("maxrss_kb", 0)) // 1024) if result else record.memory_size
        log = (
            f"START RequestId: {request_id} Version: {record.version}\n"
            f"{output}"
            f"END RequestId: {request_id}\n"
            f"REPORT RequestId: {request_id}\tDuration: {elapsed_ms:.2f} ms\t"
            f"Billed Duration: {math.ceil(elapsed_ms)} ms\tMemory Size: {record.memory_size} MB\t"
            f"Max Memory Used: {used} MB{status}\t\n"
        )
        return Outcome(body, "Unhandled" if error is not None else None, log, elapsed_ms)


_PATH = "/usr/local/bin:/usr/bin:/bin"


def _python() -> str:
    """The interpreter itself, not the server's virtualenv: the function gets the standard library, and the
    runtime's packages through the sandbox's layer (``-S`` keeps every site-packages off its path)."""
    candidate = getattr(sys, "_base_executable", None) or sys.executable
    return os.path.realpath(candidate) if os.path.exists(candidate) else sys.executable


def _readable_by_all(top: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(top):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, (os.stat(path).st_mode & 0o1777) | 0o444)  # no setuid/setgid bits


def _stamp() -> str:
    moment: datetime = clock.now()
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the invocation's whole process group: a timed-out handler and anything it left running."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(_KILL_GRACE)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
        pass


class _Tail:
    """Drains a pipe in a thread, keeping only the last ``LOG_KEEP`` bytes (a chatty function cannot fill memory)."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._thread = threading.Thread(target=self._drain, name="lambda-output", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := self._stream.read1(65536):
                self._buf += chunk
                if len(self._buf) > 2 * LOG_KEEP:
                    del self._buf[: len(self._buf) - LOG_KEEP]
        except (OSError, ValueError):
            pass
        finally:
            self._stream.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def text(self) -> str:
        return bytes(self._buf[-LOG_KEEP:]).decode("utf-8", "replace")


class _Reader:
    """Reads the result pipe in a thread, up to a bound: a function cannot make the server hold more."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buf = bytearray()
        self._too_large = False
        self._thread = threading.Thread(target=self._drain, name="lambda-result", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while chunk := os.read(self._fd, 65536):
                if len(self._buf) + len(chunk) > _RESULT_READ_MAX:
                    self._too_large = True
                    continue  # drain and drop, so the function is never blocked on a full pipe
                self._buf += chunk
        except OSError:
            pass
        finally:
            os.close(self._fd)

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def result(self) -> dict[str, Any] | None:
        if self._too_large:
            return {"too_large": True}
        try:
            value = json.loads(bytes(self._buf))
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
