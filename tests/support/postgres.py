"""A private, throwaway PostgreSQL server for tests.

The suite must run on PostgreSQL as well as SQLite without anyone setting up a server first, so tests start
their own: a fresh cluster in a temp directory, on a free port of 127.0.0.1, with durability switched off for
speed. PostgreSQL refuses to run as root, so when tests run as root the server runs as an unprivileged user
(``postgres`` from the Debian package, else ``nobody``) that owns the temp directory.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SUPERUSER = "strongroom"
DEFAULT_DATABASE = "strongroom_test"
_PG_ROOT = Path("/usr/lib/postgresql")


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def find_pg_bin() -> Path | None:
    """The newest PostgreSQL ``bin`` directory holding ``initdb`` and ``pg_ctl``, or None.

    ``STRONGROOM_PG_BIN`` overrides the search (for non-Debian layouts); ``PATH`` is the last resort because
    Debian only puts client wrappers there.
    """
    override = os.environ.get("STRONGROOM_PG_BIN")
    if override:
        path = Path(override)
        return path if (path / "initdb").exists() and (path / "pg_ctl").exists() else None
    candidates: list[tuple[tuple[int, ...], Path]] = []
    if _PG_ROOT.is_dir():
        for version_dir in _PG_ROOT.iterdir():
            bin_dir = version_dir / "bin"
            if (bin_dir / "initdb").exists() and (bin_dir / "pg_ctl").exists():
                version = tuple(int(part) for part in re.findall(r"\d+", version_dir.name)) or (0,)
                candidates.append((version, bin_dir))
    if candidates:
        return max(candidates)[1]
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    return None


def require_pg_bin() -> Path:
    bin_dir = find_pg_bin()
    if bin_dir is None:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin, $STRONGROOM_PG_BIN and "
            "$PATH); install them with `apt-get install -y postgresql` or set STRONGROOM_TEST_POSTGRES_URL"
        )
    return bin_dir


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unprivileged_user() -> pwd.struct_passwd | None:
    """The account to run the server as, or None when we are not root (then we run it ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PostgresUnavailable("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresServer:
    """One running cluster; ``url`` points at its ``strongroom_test`` database."""

    bin_dir: Path
    base_dir: Path
    port: int
    user: pwd.struct_passwd | None
    url: str = ""
    _running: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, Any] = {}
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        if self.user is not None:
            # subprocess drops privileges itself: no dependency on runuser/su being installed.
            kwargs.update(user=self.user.pw_uid, group=self.user.pw_gid, extra_groups=[])
            env["HOME"] = str(self.base_dir)
            env["USER"] = env["LOGNAME"] = self.user.pw_name
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.base_dir,
            check=False,
            **kwargs,
        )

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def init(self) -> None:
        result = self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-sync",
        )
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def start(self) -> None:
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.base_dir}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=300",
                "-c shared_buffers=32MB",
            ]
        )
        result = self._run(
            "pg_ctl", "start", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60", "-o", options
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"pg_ctl start failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                f"--- server log ---\n{self._log_tail()}"
            )
        self._running = True
        self._wait_ready()
        admin_url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"
        _create_database(admin_url, DEFAULT_DATABASE)
        self.url = f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DEFAULT_DATABASE}"

    def _wait_ready(self, timeout: float = 30.0) -> None:
        """Connect until it works: ``pg_ctl -w`` can return before TCP accepts on slow machines."""
        import psycopg

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with psycopg.connect(
                    host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", connect_timeout=2
                ):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        raise RuntimeError(f"PostgreSQL on port {self.port} not ready after {timeout}s: {last}\n{self._log_tail()}")

    def stop(self) -> None:
        if self._running:
            self._run("pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w", "-t", "30")
            self._running = False
        shutil.rmtree(self.base_dir, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a private server; the caller must ``stop()`` it (prefer ``running_postgres()``)."""
    bin_dir = require_pg_bin()
    user = _unprivileged_user()
    last_error: Exception | None = None
    # A free port can be taken between probing and binding; a couple of retries make that race harmless.
    for _attempt in range(3):
        base_dir = Path(tempfile.mkdtemp(prefix="strongroom-pg-"))
        if user is not None:
            os.chown(base_dir, user.pw_uid, user.pw_gid)
        server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=free_port(), user=user)
        try:
            server.init()
            server.start()
            return server
        except Exception as exc:
            last_error = exc
            server.stop()
    raise RuntimeError(f"could not start a private PostgreSQL server: {last_error}")


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yield ``postgresql://strongroom@127.0.0.1:PORT/strongroom_test``; stop and delete it afterwards."""
    server = start_postgres()
    try:
        yield server.url
    finally:
        server.stop()


def _create_database(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fresh_database(url: str) -> str:
    """Create an empty database with a unique name on the server of ``url`` and return its URL."""
    parts = urlsplit(url)
    name = f"sr_{uuid.uuid4().hex[:16]}"
    admin_url = urlunsplit((parts.scheme.replace("+psycopg", ""), parts.netloc, "/postgres", parts.query, ""))
    _create_database(admin_url, name)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))
