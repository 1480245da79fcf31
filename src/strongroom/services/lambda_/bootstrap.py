"""The Lambda Python runtime's bootstrap, run as ``python -I -S bootstrap.py SPEC RESULT_FD`` per invocation.

Standalone on purpose (standard library only, nothing from Strongroom). ``SPEC`` is a JSON file the server
wrote in its private directory: the function's environment, its code directory, the event file, the memory
limit and — when the server runs as root — the uid to run as and what to expose and hide. The bootstrap reads
the spec and the event while it may still read them, enters the sandbox (see ``sandbox.py``), drops to the
function's uid, and only then installs the function's environment, imports the handler from
``LAMBDA_TASK_ROOT``, builds a context object like AWS's and calls ``handler(event, context)``. The result —
``{"ok": <json text>}``, ``{"error": {...}}`` or ``{"oom": true}`` — goes to the inherited pipe ``RESULT_FD``;
whatever the function prints is the invocation's log.
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


_RESULT_FD = -1


def _write(result: dict[str, Any]) -> None:
    result["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    data = json.dumps(result).encode()
    view = memoryview(data)
    while view:
        view = view[os.write(_RESULT_FD, view) :]
    os.close(_RESULT_FD)


def _error(kind: str, message: str, stack: list[str] | None = None) -> dict[str, Any]:
    return {"error": {"errorMessage": message, "errorType": kind, "stackTrace": stack or []}}


# --- the sandbox (Linux) ------------------------------------------------------------------------------------

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38


def _libc() -> Any:
    import ctypes

    return ctypes.CDLL(None, use_errno=True)


def _mount(libc: Any, source: str | None, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    enc = [v.encode() if v is not None else None for v in (source, target, fstype, data)]
    if libc.mount(enc[0], enc[1], enc[2], flags, enc[3]) != 0:
        import ctypes

        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _enter_namespaces(spec: dict[str, Any]) -> bool:
    """Private mount, PID and IPC namespaces; False (and nothing changed) without the privilege for them.

    The caller continues as PID 1 of the new PID namespace: a forked child, while this process waits and
    exits with its status (so the server sees one process group and one exit status). When PID 1 dies the
    kernel kills everything else in the namespace, including what the function daemonised.
    """
    libc = _libc()
    if not spec.get("namespaces", True) or libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) != 0:
        return False
    pid = os.fork()
    if pid:
        while True:
            try:
                _, status = os.waitpid(pid, 0)
                break
            except InterruptedError:
                continue
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE, None)  # nothing below propagates back to the host
    readable: list[str] = spec["readable"]
    sources = {path: os.open(path, os.O_PATH | os.O_DIRECTORY) for path in readable}  # before covering them
    files = {target: os.open(source, os.O_PATH) for target, source in spec.get("passwd", {}).items()}
    covered: list[str] = []
    for cover in sorted(spec["hidden"], key=len):
        if any(_under(cover, done) for done in covered) or not os.path.isdir(cover):
            continue
        if cover in ("/tmp", "/var/tmp", "/dev/shm"):
            options = f"mode=1777,size={int(spec['ephemeral_mb'])}m"
        elif any(_under(path, cover) for path in readable):
            options = "mode=0755,size=1m"  # an untraversable ancestor (e.g. /root): only the paths re-bound below
        else:
            options = "mode=0000,size=1m"  # the data dir: an empty directory nobody can enter
        _mount(libc, "tmpfs", cover, "tmpfs", MS_NOSUID | MS_NODEV, options)
        covered.append(cover)
    for path in readable:
        if any(_under(path, cover) for cover in covered):
            os.makedirs(path, mode=0o755, exist_ok=True)
            _mount(libc, f"/proc/self/fd/{sources[path]}", path, None, MS_BIND | MS_REC, None)
            _mount(libc, None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
        os.close(sources[path])
    for target, fd in files.items():  # the function's uid by name, as on AWS
        if os.path.isfile(target):
            _mount(libc, f"/proc/self/fd/{fd}", target, None, MS_BIND, None)
        os.close(fd)
    # a /proc of this namespace: the server's processes (their command lines too) are not in it
    _mount(libc, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
    return True


def _drop(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    libc = _libc()
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid binary can give privileges back
    libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # the function may read its own /proc/self, as on AWS


def _limit_memory(megabytes: int) -> None:
    """MemorySize as the data segment limit (heap and anonymous mappings: what a Python program allocates);
    unlike the address-space limit it does not count shared libraries and thread stacks."""
    limit = megabytes * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def main() -> int:
    global _RESULT_FD
    if sys.argv[1] == "--probe":  # may this server give functions their own namespaces?
        return 0 if _libc().unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC) == 0 else 3
    spec_path, _RESULT_FD = sys.argv[1], int(sys.argv[2])
    with open(spec_path, encoding="utf-8") as f:
        spec: dict[str, Any] = json.load(f)
    with open(spec["event"], "rb") as f:
        raw = f.read()
    tmp = spec["tmp"]
    if spec.get("uid") is not None:
        if _enter_namespaces(spec):
            tmp = "/tmp"
        _limit_memory(int(spec["memory_mb"]))
        _drop(int(spec["uid"]), int(spec["gid"]))
    else:
        _limit_memory(int(spec["memory_mb"]))
    os.environ.clear()
    os.environ.update(spec["env"])
    os.environ.update({"HOME": tmp, "TMPDIR": tmp})
    request_id, invoked_arn, deadline_ms = spec["request_id"], spec["invoked_arn"], int(spec["deadline_ms"])
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    os.chdir(task_root)
    # the function's code first (as /var/task on AWS), then the runtime's packages, then the standard library
    sys.path[:0] = [task_root, spec["runtime_layer"]]
    del spec
    try:
        return _run(raw, request_id, invoked_arn, deadline_ms)
    except MemoryError:
        _write({"oom": True})
        return 0


def _run(raw: bytes, request_id: str, invoked_arn: str, deadline_ms: int) -> int:
    event = json.loads(raw) if raw.strip() else {}
    module_name, _, func_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except MemoryError:
        raise
    except Exception as exc:  # any import failure is the function's, reported as AWS does
        message = f"Unable to import module '{module_name}': {exc}"
        print(f"[ERROR] Runtime.ImportModuleError: {message}", flush=True)
        _write(_error("Runtime.ImportModuleError", message))
        return 0
    handler = getattr(module, func_name, None) if func_name else None
    if not callable(handler):
        message = f"Handler '{func_name}' missing on module '{module_name}'"
        print(f"[ERROR] Runtime.HandlerNotFound: {message}", flush=True)
        _write(_error("Runtime.HandlerNotFound", message))
        return 0
    context = LambdaContext(request_id, invoked_arn, deadline_ms)
    try:
        value = handler(event, context)
    except MemoryError:
        raise
    except Exception as exc:  # the function's error becomes FunctionError "Unhandled"
        frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop this bootstrap's own frame
        stack = traceback.format_list(frames)
        print(f"[ERROR] {type(exc).__name__}: {exc}", flush=True)
        print("Traceback (most recent call last):\n" + "".join(stack), end="", flush=True)
        _write(_error(type(exc).__name__, str(exc), stack))
        return 0
    try:
        body = json.dumps(value)
    except (TypeError, ValueError) as exc:
        message = f"Unable to marshal response: {exc}"
        print(f"[ERROR] Runtime.MarshalError: {message}", flush=True)
        _write(_error("Runtime.MarshalError", message))
        return 0
    _write({"ok": body})
    return 0


if __name__ == "__main__":
    sys.exit(main())
