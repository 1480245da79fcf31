"""The Lambda Python runtime's bootstrap, run as ``python bootstrap.py`` in each invocation's own process.

Standalone on purpose (standard library only, nothing from Strongroom): it imports the handler from the
unpacked package in ``LAMBDA_TASK_ROOT``, builds a context object like AWS's, calls ``handler(event, context)``
and writes ``{"ok": <json text>}`` or ``{"error": {...}}`` to the result file the server named. Whatever the
function prints is the invocation's log.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import sys
import time
import traceback
from typing import Any


class LambdaContext:
    """The attributes and method AWS's Python runtime gives handlers."""

    def __init__(self, request_id: str, invoked_arn: str, deadline_ms: int) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.invoked_function_arn = invoked_arn
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.aws_request_id = request_id
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(self._deadline_ms - int(time.time() * 1000), 0)


def _write(path: str, result: dict[str, Any]) -> None:
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f)
    os.replace(tmp, path)  # a killed process never leaves half a result behind


def _error(kind: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"errorMessage": message, "errorType": kind, "stackTrace": stack or []}}


def main() -> int:
    result_path = os.environ.pop("_STRONGROOM_RESULT")
    event_path = os.environ.pop("_STRONGROOM_EVENT")
    request_id = os.environ.pop("_STRONGROOM_REQUEST_ID")
    invoked_arn = os.environ.pop("_STRONGROOM_INVOKED_ARN")
    deadline_ms = int(os.environ.pop("_STRONGROOM_DEADLINE_MS"))
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, task_root)
    with open(event_path, "rb") as f:
        raw = f.read()
    event = json.loads(raw) if raw.strip() else {}
    module_name, _, func_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:  # any import failure is the function's, reported as AWS does
        message = f"Unable to import module '{module_name}': {exc}"
        print(f"[ERROR] Runtime.ImportModuleError: {message}", flush=True)
        _write(result_path, _error("Runtime.ImportModuleError", message))
        return 0
    handler = getattr(module, func_name, None) if func_name else None
    if not callable(handler):
        message = f"Handler '{func_name}' missing on module '{module_name}'"
        print(f"[ERROR] Runtime.HandlerNotFound: {message}", flush=True)
        _write(result_path, _error("Runtime.HandlerNotFound", message))
        return 0
    context = LambdaContext(request_id, invoked_arn, deadline_ms)
    try:
        value = handler(event, context)
    except Exception as exc:  # the function's error becomes FunctionError "Unhandled"
        frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this bootstrap's own frame
        stack = traceback.format_list(frames)
        print(f"[ERROR] {type(exc).__name__}: {exc}", flush=True)
        print("Traceback (most recent call last):\n" + "".join(stack), end="", flush=True)
        _write(result_path, _error(type(exc).__name__, str(exc), stack))
        return 0
    try:
        body = json.dumps(value)
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        print(f"[ERROR] Runtime.MarshalError: {message}", flush=True)
        _write(result_path, _error("Runtime.MarshalError", message))
        return 0
    _write(result_path, {"ok": body})
    return 0


if __name__ == "__main__":
    sys.exit(main())
