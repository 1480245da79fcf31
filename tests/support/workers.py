"""Talking to each worker of ``strongroom server --workers N`` on a connection of its own (tests/e2e)."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from typing import Any

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.support.server import ServerProcess


def eventually(check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


class Worker:
    """One keep-alive connection, hence one worker process, sending signed requests by hand."""

    def __init__(self, srv: ServerProcess) -> None:
        self.srv = srv
        self.conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
        self.node = self.admin("GET", "clock")["node"]

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        self.conn.request(method, "/_strongroom/" + path, body=None if body is None else json.dumps(body))
        resp = self.conn.getresponse()
        data = resp.read()
        assert resp.status == 200, data
        return json.loads(data)

    def kms(self, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = AWSRequest(
            method="POST",
            url=f"{self.srv.endpoint}/",
            data=json.dumps(params).encode(),
            headers={"X-Amz-Target": f"TrentService.{operation}", "Content-Type": "application/x-amz-json-1.1"},
        )
        SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "kms", "us-east-1").add_auth(request)
        self.conn.request("POST", "/", body=request.body, headers=dict(request.headers.items()))
        resp = self.conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")

    def s3(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        request = AWSRequest(method=method, url=f"{self.srv.endpoint}{path}", data=body)
        S3SigV4Auth(Credentials(self.srv.access_key, self.srv.secret_key), "s3", "us-east-1").add_auth(request)
        self.conn.request(method, path, body=body or None, headers=dict(request.headers.items()))
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def one_connection_per_worker(srv: ServerProcess, workers: int = 2) -> list[Worker]:
    """New connections until each worker holds one (the kernel picks a worker by the client's address and port)."""
    found: dict[str, Worker] = {}
    deadline = time.monotonic() + 20
    while len(found) < workers:
        assert time.monotonic() < deadline, f"reached only {sorted(found)}"
        worker = Worker(srv)
        if worker.node in found:
            worker.conn.close()
        else:
            found[worker.node] = worker
    return list(found.values())
