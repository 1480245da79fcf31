"""Where and as whom a function runs: the isolation model of Strongroom's Lambda (see docs/lambda.md).

A function is code the caller uploaded; it must not read what makes the server the root of trust — the data
dir (``root.key``, ``credentials``, the database, PKCS#11 token files), the server's environment or its memory.

* ``uid`` — the server runs as root: each invocation runs as its own unprivileged uid (one of a pool no
  account on the host uses; never two invocations at once on one uid), without supplementary groups. The
  bootstrap starts as root only to enter private mount, PID and IPC namespaces (a fresh ``/proc`` that shows
  only the function, private ``/tmp`` and ``/dev/shm``, the data dir covered) and then drops to that uid
  before it reads anything the function controls. Without the privilege for namespaces it still drops.
* ``unsandboxed`` — the server is not root: it cannot switch users, so functions run as the server's own
  user and could read everything the server can. This mode runs only when the operator opted in with
  ``--lambda-unsandboxed``; otherwise every invocation is refused with :data:`REFUSED`.

Every mode gives the function a clean environment (only what Lambda sets, plus the function's variables),
the standard library, ``boto3`` (as AWS's Python runtimes) and ``psycopg`` (the built-in PostgreSQL rotation
templates use it) — and not the server's other packages.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

# uids (and gids) of the pool: far above what distributions hand out, and checked against the passwd database.
UID_BASE = 1_600_000_000
UID_SLOTS = 64  # concurrent invocations per server process
# Distributions the function may import: boto3 and what it needs, and psycopg for the rotation templates.
RUNTIME_DISTRIBUTIONS = ("boto3", "psycopg", "psycopg-binary")
REFUSED = (
    "Strongroom cannot isolate this function from the server: the server does not run as root, so it cannot run "
    "functions as another user. Run the server as root, or start it with --lambda-unsandboxed to run functions "
    "as the server's own user (they can then read the server's data directory and keys)."
)


@dataclass(frozen=True, slots=True)
class Identity:
    uid: int
    gid: int


class Sandbox:
    """The mode, the uid pool and the directory functions can read (their code and the runtime's packages).

    That directory lives outside the data dir (which stays 0700): ``/tmp/strongroom-lambda-PID-XXXX`` (0711, so
    nobody can list the per-package directories, whose names are the packages' SHA-256).
    """

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.data_dir = runtime.config.data_dir.resolve()
        self.is_root = os.geteuid() == 0
        self.unsandboxed_allowed = runtime.config.lambda_unsandboxed
        self.mode = "uid" if self.is_root else "unsandboxed"
        self._free = list(range(_uid_base(), _uid_base() + UID_SLOTS))
        self._cond = threading.Condition()
        self._root: Path | None = None
        self.namespaces: bool | None = None  # None: not probed yet
        self.problem: str | None = None  # why this server cannot isolate functions, if it cannot
        self._root_lock = threading.Lock()
        if self.is_root:
            self.protect_data_dir()

    # --- refusing ----------------------------------------------------------------------------------------

    def refusal(self, python: str, bootstrap: Path) -> str | None:
        """Why functions cannot run here, or None. Probed once: can the bootstrap enter namespaces (root
        without CAP_SYS_ADMIN, e.g. in a default container, cannot), and if not, can the function's uid reach
        the interpreter and the runtime's packages without them?"""
        if self.mode == "unsandboxed":
            return None if self.unsandboxed_allowed else REFUSED
        if self.namespaces is None:
            probe = subprocess.run(
                [python, "-I", "-S", str(bootstrap), "--probe"], capture_output=True, timeout=30, env={}, check=False
            )
            self.namespaces = probe.returncode == 0
        if not self.namespaces and self.problem is None:
            blocked = sorted({b for p in self.readable_paths() if (b := _untraversable_ancestor(p)) is not None})
            if blocked:
                self.problem = (
                    "Strongroom cannot run functions here: without the privilege to create namespaces, the "
                    f"function's user cannot reach the Python runtime under {', '.join(blocked)} "
                    "(install Python where every user can read it, or give the server CAP_SYS_ADMIN)."
                )
        return None if self.namespaces else self.problem

    # --- the data dir ------------------------------------------------------------------------------------

    def protect_data_dir(self) -> None:
        """The data dir 0700 and its secrets 0600: the function's uid must not even traverse it."""
        try:
            os.chmod(self.data_dir, 0o700)
            for name in ("root.key", "credentials"):
                path = self.data_dir / name
                if path.is_file() and not path.is_symlink():
                    os.chmod(path, 0o600)
        except OSError:  # pragma: no cover - a data dir the server cannot chmod is one it does not own
            pass

    # --- the readable directory --------------------------------------------------------------------------

    @property
    def root(self) -> Path:
        if self._root is None:
            with self._root_lock:
                if self._root is None:
                    _remove_stale_roots()
                    root = Path(tempfile.mkdtemp(prefix=f"strongroom-lambda-{os.getpid()}-")).resolve()
                    os.chmod(root, 0o711)
                    (root / "code").mkdir(mode=0o711)
                    (root / "tmp").mkdir(mode=0o711)
                    build_runtime_layer(root / "runtime")
                    atexit.register(shutil.rmtree, root, True)
                    self._root = root
        return self._root

    @property
    def runtime_layer(self) -> Path:
        return self.root / "runtime"

    # --- the uid pool ------------------------------------------------------------------------------------

    def acquire(self) -> Identity | None:
        """A uid of the pool for one invocation (None when functions run as the server's user)."""
        if self.mode != "uid":
            return None
        with self._cond:
            while not self._free:
                self._cond.wait()
            uid = self._free.pop()
        return Identity(uid, uid)

    def release(self, identity: Identity | None) -> None:
        if identity is None:
            return
        kill_processes_of(identity.uid)  # anything that outlived its process group must not meet the next user
        with self._cond:
            self._free.append(identity.uid)
            self._cond.notify()

    # --- what the bootstrap exposes or hides -------------------------------------------------------------

    def readable_paths(self) -> list[str]:
        """Directories the function's uid must reach: the interpreter, the runtime's packages, this root."""
        paths = {os.path.realpath(sys.base_prefix), str(self.root)}
        for target in self.runtime_layer.iterdir():
            paths.add(os.path.dirname(os.path.realpath(target)))
        return sorted(paths)

    def hidden_paths(self) -> list[str]:
        """Directories covered with an empty filesystem in the function's mount namespace."""
        covers = {"/tmp", "/var/tmp", "/dev/shm", str(self.data_dir)}
        for path in self.readable_paths():
            blocked = _untraversable_ancestor(path)
            if blocked is not None:
                covers.add(blocked)
        # the bootstrap skips a cover inside another (the data dir under /tmp is hidden with /tmp)
        return sorted(c for c in covers if os.path.isdir(c))


def _remove_stale_roots() -> None:
    """Readable directories of servers that are gone: uvicorn ends on SIGTERM by re-raising the signal, so
    ``atexit`` does not always run; the next server to start cleans up after it."""
    base = Path(tempfile.gettempdir())
    for entry in base.glob("strongroom-lambda-*-*"):
        match = re.fullmatch(r"strongroom-lambda-(\d+)-\w+", entry.name)
        try:
            if match is None or entry.is_symlink() or entry.stat().st_uid != os.geteuid():
                continue
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(entry, ignore_errors=True)
        except (OSError, ValueError):
            continue


def _uid_base() -> int:
    """Each server process (``--workers``) its own band of the pool, so two nodes never share a uid."""
    return UID_BASE + (os.getpid() % 4096) * UID_SLOTS


def _untraversable_ancestor(path: str) -> str | None:
    """The highest directory on ``path`` that others cannot traverse (``/root`` for a pyenv under it)."""
    current = "/"
    for part in Path(path).parts[1:]:
        current = os.path.join(current, part)
        try:
            mode = os.stat(current).st_mode
        except OSError:
            return None
        if stat.S_ISDIR(mode) and not mode & stat.S_IXOTH:
            return current
    return None


def _requirements(name: str, seen: set[str]) -> None:
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        return
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return
    seen.add(key)
    for req in dist.requires or []:
        # Environment markers are not evaluated: a requirement for another platform is simply not installed.
        if "extra ==" not in req:
            _requirements(re.split(r"[\s\[<>=!~;(]", req, maxsplit=1)[0], seen)


def runtime_modules() -> dict[str, Path]:
    """Top-level importable names of :data:`RUNTIME_DISTRIBUTIONS` and their dependencies -> their paths."""
    seen: set[str] = set()
    for name in RUNTIME_DISTRIBUTIONS:
        _requirements(name, seen)
    out: dict[str, Path] = {}
    for key in seen:
        dist = importlib.metadata.distribution(key)
        for file in dist.files or []:
            parts = file.parts
            # the packages and their .dist-info (importlib.metadata answers their versions, as on AWS)
            if not parts or parts[0].endswith(".data") or parts[0] in ("..", "__pycache__"):
                continue
            top = parts[0]
            if len(parts) == 1 and not top.endswith((".py", ".so")):
                continue
            located = Path(str(dist.locate_file(top)))
            if located.exists():
                out[top] = located
    return out


def build_runtime_layer(target: Path) -> None:
    """A directory of symlinks to the runtime's packages: the function's ``sys.path`` holds it, not the
    server's site-packages (which also holds Strongroom, SQLAlchemy, the PKCS#11 binding ...)."""
    target.mkdir(mode=0o755)
    for name, path in runtime_modules().items():
        os.symlink(path, target / name)


def kill_processes_of(uid: int) -> None:
    """SIGKILL every process whose real uid is ``uid`` (a function's daemonised leftovers)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status", encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            os.kill(int(entry), 9)
                        break
        except (OSError, ValueError):
            continue
