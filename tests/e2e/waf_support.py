"""Helpers for the WAF proxy / browser e2e tests: a tiny echo upstream, `strongroom waf proxy` as a subprocess."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import ServerProcess, clean_env, free_port

VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
TT = [{"Priority": 0, "Type": "NONE"}]


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def rule(rule_name: str, priority: int, statement: dict[str, Any], action: dict[str, Any], **kw: Any) -> dict:
    return {
        "Name": rule_name,
        "Priority": priority,
        "Statement": statement,
        "Action": action,
        "VisibilityConfig": {**VIS, "MetricName": rule_name},
        **kw,
    }


def uri_starts(prefix: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "SearchString": prefix.encode(),
            "FieldToMatch": {"UriPath": {}},
            "TextTransformations": TT,
            "PositionalConstraint": "STARTS_WITH",
        }
    }


class _Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        out = json.dumps(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode(),
            }
        ).encode()
        self.send_response(201 if self.path.startswith("/created") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "echo")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_DELETE = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class Proxy:
    def __init__(self, server: ServerProcess, acl_arn: str, upstream: str, log: Path, *extra: str) -> None:
        self.port = free_port()
        env = {
            **clean_env(),
            "AWS_ACCESS_KEY_ID": server.access_key,
            "AWS_SECRET_ACCESS_KEY": server.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": server.endpoint,
        }
        args = [
            "waf",
            "proxy",
            "--web-acl",
            acl_arn,
            "--upstream",
            upstream,
            "--listen",
            f"127.0.0.1:{self.port}",
            *extra,
        ]
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "strongroom.cli.main", *args],
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"proxy exited {self.proc.returncode}: {log.read_text()}")
            try:
                self.request("GET", "/__ready")
                return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"proxy did not start: {log.read_text()}")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        source: str = "127.0.0.1",
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10, source_address=(source, 0))
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def start_proxy(server: ServerProcess, tmp_path: Path) -> Iterator[Callable[..., Proxy]]:
    started: list[Proxy] = []

    def start(acl_arn: str, upstream_url: str, *extra: str) -> Proxy:
        proxy = Proxy(server, acl_arn, upstream_url, tmp_path / f"proxy{len(started)}.log", *extra)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> float:
    """Seconds until ``check`` held (fails past ``timeout``)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)
    return time.monotonic() - start
