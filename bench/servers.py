"""The servers under test, each a separate process on a free port: Strongroom, moto_server, the bare stack."""

from __future__ import annotations

import configparser
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import urllib3

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running server process; ``pid`` is what psutil samples (children included)."""

    name: str
    cmd: list[str]
    health_path: str
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    access_key: str = "AKIAIOSFODNN7EXAMPLE"
    secret_key: str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # moto and the bare app check no signature

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 90.0) -> None:
        self.start_process()
        self.wait_ready(timeout)

    def start_process(self) -> None:
        """Spawn the server without waiting for it (bench/startup.py times what comes next)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.env)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [arg.replace("{port}", str(self.port)) for arg in self.cmd],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float) -> None:
        assert self.proc is not None
        http = urllib3.PoolManager()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if http.request("GET", self.url + self.health_path, timeout=1, retries=False).status < 500:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start: {self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: uvicorn workers go too
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""


def _python() -> str:
    return sys.executable


def strongroom_init(data_dir: Path) -> tuple[str, str]:
    """``strongroom init``; returns the admin access key and secret."""
    subprocess.run(
        [_python(), "-m", "strongroom.cli.main", "init", "--data-dir", str(data_dir)],
        check=True,
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    creds = configparser.ConfigParser()
    creds.read(data_dir / "credentials")
    return creds["strongroom"]["aws_access_key_id"], creds["strongroom"]["aws_secret_access_key"]


def strongroom(
    data_dir: Path, *, audit: bool = True, log_level: str = "info", workers: int = 1, init: bool = True
) -> Server:
    """Strongroom as users run it (``strongroom server``), SQLite in ``data_dir``.

    ``audit=False`` sets STRONGROOM_BENCH_DISABLE_AUDIT, a benchmarking aid that exists only to measure the
    audit trail's cost; ``workers`` is ``strongroom server --workers`` (several processes on one socket).
    """
    if init:
        access, secret = strongroom_init(data_dir)
    else:
        creds = configparser.ConfigParser()
        creds.read(data_dir / "credentials")
        access, secret = creds["strongroom"]["aws_access_key_id"], creds["strongroom"]["aws_secret_access_key"]
    env = {"STRONGROOM_LOG_LEVEL": log_level}
    if not audit:
        env["STRONGROOM_BENCH_DISABLE_AUDIT"] = "1"
    cmd = [_python(), "-m", "strongroom.cli.main", "server", "--data-dir", str(data_dir), "--port", "{port}"]
    cmd += ["--workers", str(workers)]
    server = Server("strongroom", cmd, "/_strongroom/health", data_dir / "server.log", env, port=free_port())
    server.access_key, server.secret_key = access, secret
    return server


def moto(log_dir: Path) -> Server | None:
    """moto's server (``moto_server``), the drop-in users have today; None when it is not installed."""
    exe = shutil.which("moto_server") or str(Path(_python()).parent / "moto_server")
    if not Path(exe).exists():
        return None
    cmd = [exe, "-H", "127.0.0.1", "-p", "{port}"]
    return Server("moto", cmd, "/moto-api/", log_dir / "moto.log", port=free_port())


def bare(log_dir: Path, workers: int = 1) -> Server:
    """A fixed-body ASGI app on Strongroom's server stack: the ceiling for uvicorn + uvloop + httptools."""
    cmd = [
        _python(),
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
        "--workers",
        str(workers),
    ]
    return Server("bare", cmd, "/", log_dir / "bare.log", port=free_port())
