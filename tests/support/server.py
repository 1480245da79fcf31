"""Start the real server as a subprocess on a free port, the way users run it."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import urllib3

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def strongroom(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "strongroom.cli.main", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, check=check, timeout=120)


@dataclass
class ServerProcess:
    data_dir: Path
    database_url: str | None = None
    extra_args: list[str] = field(default_factory=list)
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    access_key: str = ""
    secret_key: str = ""
    account_id: str = ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def init(self, account_id: str | None = None) -> str:
        args = ["init", "--data-dir", str(self.data_dir)]
        if self.database_url:
            args += ["--database-url", self.database_url]
        if account_id:
            args += ["--account-id", account_id]
        out = strongroom(*args).stdout
        creds = configparser.ConfigParser()
        creds.read(self.data_dir / "credentials")
        self.access_key = creds["strongroom"]["aws_access_key_id"]
        self.secret_key = creds["strongroom"]["aws_secret_access_key"]
        return out

    def start(self, timeout: float = 60) -> None:
        self.port = self.port or free_port()
        args = ["server", "--data-dir", str(self.data_dir), "--port", str(self.port), *self.extra_args]
        if self.database_url:
            args += ["--database-url", self.database_url]
        self.log_path = self.data_dir / f"server-{self.port}.log"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "strongroom.cli.main", *args], stdout=log, stderr=subprocess.STDOUT
        )
        http = urllib3.PoolManager()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.logs()}")
            try:
                if http.request("GET", self.endpoint + "/_strongroom/health", timeout=1, retries=False).status == 200:
                    return
            except urllib3.exceptions.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not become healthy:\n{self.logs()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""

    def client(self, service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        cfg = botocore.config.Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=60)
        kwargs["config"] = cfg.merge(kwargs["config"]) if "config" in kwargs else cfg
        kwargs.setdefault("aws_access_key_id", self.access_key)
        kwargs.setdefault("aws_secret_access_key", self.secret_key)
        return boto3.client(service, region_name=region, endpoint_url=self.endpoint, **kwargs)

    def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        import orjson

        http = urllib3.PoolManager()
        resp = http.request(
            method, self.endpoint + "/_strongroom/" + path, body=None if body is None else orjson.dumps(body)
        )
        try:
            data = orjson.loads(resp.data) if resp.data else None
        except orjson.JSONDecodeError:
            data = resp.data
        return resp.status, data

    def now(self) -> datetime:
        """The server's clock (test mode): other tests on a shared server may have moved it past the wall clock."""
        status, body = self.admin("GET", "clock")
        assert status == 200, body
        return datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))

    def advance(self, seconds: float) -> Any:
        status, body = self.admin("POST", "clock", {"advance": seconds})
        assert status == 200, body
        return body


@dataclass
class TlsServer:
    """``strongroom server --tls --test-mode`` on a free port, trusted through the CA bundle ``tls export-ca`` wrote."""

    srv: ServerProcess  # its data directory and credentials (the server itself runs as ``tls_server`` started it)
    port: int
    bundle: Path
    clients: list[Any] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        """A boto3 client over HTTPS (one attempt per call), closed when the server stops."""
        made = boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=self.endpoint,
            verify=str(self.bundle),
            aws_access_key_id=self.srv.access_key,
            aws_secret_access_key=self.srv.secret_key,
            config=botocore.config.Config(retries={"max_attempts": 1}),
        )
        self.clients.append(made)
        return made


@contextmanager
def tls_server(tmp: Path, database_url: str | None = None, timeout: float = 60) -> Iterator[TlsServer]:
    """A fresh data directory in ``tmp`` served over HTTPS with the server's own CA (``--tls``), in test mode."""
    srv = ServerProcess(tmp / "data", database_url)
    srv.init()
    database = ["--database-url", database_url] if database_url else []
    bundle = tmp / "ca.pem"
    bundle.write_text(strongroom("tls", "export-ca", "--data-dir", str(srv.data_dir), *database).stdout)
    port = free_port()
    with (tmp / "server.log").open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "strongroom.cli.main", "server", "--data-dir", str(srv.data_dir),
             "--port", str(port), "--tls", "--test-mode", *database],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = TlsServer(srv, port, bundle)
    try:
        trusted = ssl.create_default_context(cafile=str(bundle))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(server.endpoint + "/_strongroom/health", context=trusted, timeout=2):
                    break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, (tmp / "server.log").read_text()
                time.sleep(0.2)
        yield server
    finally:
        for made in server.clients:
            made.close()  # their kept-alive connections would hold up the server's graceful shutdown
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def clean_env() -> dict[str, str]:
    """The environment without the developer's own AWS settings leaking into tests."""
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
