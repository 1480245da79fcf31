"""Runs one invocation in its own process: never in the server's.

Each invocation is a fresh ``python -I bootstrap.py`` in a new session (process group) with the function's
package unpacked (once per node, per SHA-256) under ``DATA_DIR/lambda/code/``, an environment like AWS's —
the function's variables, the region, the execution role's temporary credentials and this server as
``AWS_ENDPOINT_URL`` / ``SECRETS_MANAGER_ENDPOINT`` — and a deadline after which the whole group is killed.
Output (stdout and stderr together) is kept only as a bounded tail for ``LogType: Tail``.
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
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.iam.directory import Directory
from strongroom.services.lambda_ import model
from strongroom.services.lambda_.code_url import endpoint
from strongroom.services.lambda_.errors import InvalidParameterValueException, ServiceException
from strongroom.services.lambda_.records import FunctionRecord
from strongroom.services.lambda_.validation import ROLE_NOT_ASSUMABLE

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")
LOG_KEEP = 64 * 1024  # bytes of output kept per invocation (LogResult shows the last 4 KB)
SESSION_SECONDS = 3600
SESSION_REFRESH = timedelta(minutes=20)  # reuse a role session while it has at least this long to live
_KILL_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an invocation produced: the response payload, the function error kind if any, and the log."""

    payload: bytes
    function_error: str | None  # "Unhandled" or None
    log: str
    duration_ms: float


class Runner:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.root = runtime.config.data_dir.resolve() / "lambda"
        self._creds: dict[tuple[str, str], dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._unpack_lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._creds.clear()

    def forget_function(self, arn: str) -> None:
        with self._lock:
            for key in [k for k in self._creds if k[1] == arn]:
                del self._creds[key]

    # --- package cache ---------------------------------------------------------------------------------

    def code_dir(self, digest: str) -> Path:
        """The unpacked package, extracted once per node; a half-extracted directory is never visible."""
        target = self.root / "code" / digest
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
        from strongroom.services.sts.provider import issue_service_role_session

        creds = issue_service_role_session(self.runtime, role, record.name, SESSION_SECONDS)
        with self._lock:
            self._creds[key] = creds
        return creds

    # --- running ---------------------------------------------------------------------------------------

    def environment(
        self, record: FunctionRecord, task_root: Path, tmp: Path, creds: dict[str, Any], stream: str
    ) -> dict[str, str]:
        url = endpoint(self.runtime)
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "HOME": str(tmp),  # no ~/.aws of the server's user leaks into the function
            "TMPDIR": str(tmp),
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
                "LAMBDA_RUNTIME_DIR": str(BOOTSTRAP.parent),
            }
        )
        return env

    def invoke(self, record: FunctionRecord, payload: bytes, request_id: str, invoked_arn: str) -> Outcome:
        task_root = self.code_dir(record.code_sha256)
        creds = self.credentials(record)
        stream = f"{clock.now():%Y/%m/%d}/[{record.version}]{request_id.replace('-', '')}"
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=self.root / "tmp", prefix="inv-"))
        try:
            return self._run(record, payload, request_id, invoked_arn, task_root, tmp, creds, stream)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _run(
        self,
        record: FunctionRecord,
        payload: bytes,
        request_id: str,
        invoked_arn: str,
        task_root: Path,
        tmp: Path,
        creds: dict[str, Any],
        stream: str,
    ) -> Outcome:
        event_path, result_path = tmp / "event.json", tmp / "result.json"
        event_path.write_bytes(payload)
        env = self.environment(record, task_root, tmp, creds, stream)
        started = time.monotonic()
        env |= {
            "_STRONGROOM_EVENT": str(event_path),
            "_STRONGROOM_RESULT": str(result_path),
            "_STRONGROOM_REQUEST_ID": request_id,
            "_STRONGROOM_INVOKED_ARN": invoked_arn,
            "_STRONGROOM_DEADLINE_MS": str(int(time.time() * 1000) + record.timeout * 1000),
        }
        proc = subprocess.Popen(
            [sys.executable, "-I", "-B", "-u", str(BOOTSTRAP)],
            cwd=task_root,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills everything it started
            close_fds=True,
        )
        tail = _Tail(proc.stdout)
        timed_out = False
        try:
            proc.wait(timeout=record.timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(proc)
        tail.join(_KILL_GRACE)
        elapsed_ms = (time.monotonic() - started) * 1000
        output = tail.text()
        result: dict[str, Any] | None = None
        if not timed_out and result_path.exists():
            try:
                result = json.loads(result_path.read_text(encoding="utf-8"))
            except ValueError:
                result = None
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
