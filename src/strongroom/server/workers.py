"""``strongroom server --workers N``: N full server processes, each with its own socket on the same port.

Every worker binds the port with ``SO_REUSEPORT``, so the kernel spreads *connections* evenly over the
workers (by a hash of the client's address and port). With one shared listening socket, as uvicorn's own
supervisor has it, whichever worker is awake accepts a burst of connections, and a load of long-lived
keep-alive connections could sit on one worker while the other idles.

The parent only supervises and stays small (it never imports the server): it runs the migrations once in a
child process, starts the workers, restarts one that dies, and passes SIGTERM/SIGINT on. Each worker builds
its own ``Runtime`` from the environment (the parent exports its resolved configuration as ``STRONGROOM_*``
variables), so each has its own caches (kept in step through the change logs, as between PostgreSQL nodes),
its own scheduler (jobs run once through leases) and its own audit writer. SQLite serialises the workers'
writes with ``BEGIN IMMEDIATE`` (see store/engine.py).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from strongroom.core.config import Config, load_config
from strongroom.store.revisions import sqlite_at_head

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

log = logging.getLogger("strongroom")

# Exported only when set: a None database URL means "SQLite in the data dir", which the worker derives itself.
_NOT_EXPORTED = {"extra", "data_dir", "workers"}
_QUICK_DEATH_SECONDS = 5.0  # a worker that dies sooner than this after starting did not manage to start
_MAX_QUICK_DEATHS = 5
_STOP_SECONDS = 20.0


def export_config(config: Config) -> None:
    """Put the resolved configuration where the workers' ``load_config()`` finds it first."""
    os.environ["STRONGROOM_DATA_DIR"] = str(config.data_dir.resolve())
    for f in fields(Config):
        if f.name in _NOT_EXPORTED:
            continue
        value = getattr(config, f.name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        os.environ["STRONGROOM_" + f.name.upper()] = str(value)


def proxy_options(config: Config) -> tuple[bool, str]:
    """uvicorn's proxy-header settings: X-Forwarded-For/-Proto believed only from the proxies the operator names.

    uvicorn believes them from 127.0.0.1 unless told otherwise, so any local process (or anything a local proxy
    passes through unfiltered) could choose the caller's address, i.e. ``aws:SourceIp`` and the audit record's
    ``sourceIPAddress``. Off unless ``forwarded_allow_ips`` is set; an explicit value also keeps uvicorn from
    reading its own ``FORWARDED_ALLOW_IPS`` environment variable.
    """
    allowed = (config.forwarded_allow_ips or "").strip()
    return bool(allowed), allowed or "127.0.0.1"


def shield_options(config: Config, runtime: Runtime) -> dict[str, Any]:
    """uvicorn's protocol and idle timeout for Shield Standard (server/shield.py), its metrics on the runtime's
    registry. Peers trusted as proxies (``forwarded_allow_ips``) are exempt from the per-source cap."""
    from strongroom.server.httpproto import uvicorn_options
    from strongroom.server.shield import Shield, ShieldLimits

    shield = Shield(ShieldLimits.from_values(config), exempt=config.forwarded_allow_ips)
    runtime.metrics.registry.register(shield)
    return uvicorn_options(shield)


def _address(host: str, port: int) -> tuple[socket.AddressFamily, tuple[str, int]]:
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    return family, (str(address[0]), int(address[1]))


def _port_is_free(host: str, port: int) -> bool:
    """Bound without SO_REUSEPORT: fails if anything, another Strongroom included, serves the port already."""
    family, address = _address(host, port)
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def serve(config: Config) -> int:
    """The parent: migrate once, then run and watch ``config.workers`` workers until told to stop."""
    if not hasattr(socket, "SO_REUSEPORT"):
        print("--workers needs SO_REUSEPORT (Linux, BSD, macOS)", file=sys.stderr)
        return 2
    if not _port_is_free(config.host, config.port):
        print(f"{config.host}:{config.port} is already in use", file=sys.stderr)
        return 2
    export_config(config)
    # The workers import the server (most of a start) while the migrations are checked; each opens the database
    # only once told to go, so none ever sees an unmigrated one. In sequence, the two cost a start ~1 s more.
    children: list[tuple[subprocess.Popen[bytes], float]] = [_spawn() for _ in range(config.workers)]
    migrated = 0 if _current_sqlite(config) else subprocess.call([sys.executable, "-m", _MODULE, "migrate"])
    for child, _ in children:
        _release(child, go=migrated == 0)
    if migrated != 0:
        for child, _ in children:
            child.wait()
        return migrated
    log.info("starting", extra={"host": config.host, "port": config.port, "workers": config.workers})
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    quick_deaths = 0
    while not stopping:
        time.sleep(0.2)
        for i, (child, started) in enumerate(children):
            if child.poll() is None or stopping:
                continue
            log.error("worker exited; starting another", extra={"pid": child.pid, "status": child.returncode})
            if time.monotonic() - started < _QUICK_DEATH_SECONDS:
                quick_deaths += 1
                if quick_deaths >= _MAX_QUICK_DEATHS:
                    log.error("workers keep failing to start; stopping")
                    stopping = True
                    break
            children[i] = _spawn()
            _release(children[i][0], go=True)  # the database is migrated already
    for child, _ in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)  # each shuts down gracefully: requests, scheduler, audit writer
    deadline = time.monotonic() + _STOP_SECONDS
    for child, _ in children:
        try:
            child.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0 if quick_deaths < _MAX_QUICK_DEATHS else 1


def _spawn() -> tuple[subprocess.Popen[bytes], float]:
    """A worker, waiting on its stdin for ``_release`` before it opens the database."""
    child = subprocess.Popen([sys.executable, "-m", _MODULE, "worker"], stdin=subprocess.PIPE)
    return child, time.monotonic()


_MODULE = "strongroom.server.workers"


def _current_sqlite(config: Config) -> bool:
    """A SQLite database already at the migrations' head: no migration process to start (~0.4 s of CPU)."""
    url = config.effective_database_url()
    prefix = "sqlite:///"
    return url.startswith(prefix) and sqlite_at_head(Path(url[len(prefix) :]))


def _release(child: subprocess.Popen[bytes], *, go: bool) -> None:
    """Let a spawned worker open the database and serve (``go``), or end it before it does (its stdin closed)."""
    assert child.stdin is not None
    try:
        if go:
            child.stdin.write(_GO)
        child.stdin.close()
    except OSError:  # it died already: the supervising loop restarts it
        pass


_GO = b"go\n"


def _die_with_parent() -> None:
    """A worker must not outlive its supervisor (kill -9 of the parent): Linux delivers SIGTERM to it then."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _migrate() -> int:
    from strongroom.keyring.factory import is_initialised
    from strongroom.server.logs import configure
    from strongroom.store.engine import Store

    config = load_config()
    configure(config.log_level)
    if not is_initialised(config):
        print(
            f"{config.data_dir} is not initialised; run `strongroom init --data-dir {config.data_dir}`", file=sys.stderr
        )
        return 2
    store = Store(config.effective_database_url())
    try:
        store.migrate()
    finally:
        store.dispose()
    return 0


def _worker() -> int:
    import uvicorn

    from strongroom.server.app import StrongroomApp
    from strongroom.server.logs import configure
    from strongroom.server.runtime import Runtime

    _die_with_parent()
    if sys.stdin.buffer.readline() != _GO:  # the parent's migrations failed (or it is gone): nothing to serve
        return 0
    config = load_config()
    configure(config.log_level)
    family, address = _address(config.host, config.port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    # The parent had the migrations run before any worker started. A worker loads its providers before it serves
    # (not behind the listener as a single server does): until uvicorn takes SIGTERM over, the signal its parent's
    # death sends (``_die_with_parent``) ends it at once; taken during a deferred load, it could leave a worker
    # starting its scheduler after uvicorn had given up on a startup it never shut down.
    runtime = Runtime.open(config, migrate=False)
    app = StrongroomApp(runtime, owns_runtime=True)
    proxy_headers, forwarded_allow_ips = proxy_options(config)
    uv_config = uvicorn.Config(
        app,
        loop="uvloop",
        ws="none",  # as `strongroom server` (cli/main.py)
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        **shield_options(config, runtime),
    )
    uvicorn.Server(uv_config).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit({"migrate": _migrate, "worker": _worker}[sys.argv[1]]())
