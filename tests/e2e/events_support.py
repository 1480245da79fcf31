"""Helpers for the EventBridge end-to-end tests: an HTTP receiver and readers of the server's event tables."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from strongroom.core.config import sqlite_url
from strongroom.events.delivery import list_outbox
from strongroom.events.targets import read_log
from strongroom.store.engine import Store
from tests.support.server import ServerProcess, free_port


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def store_of(server: ServerProcess) -> Store:
    return Store(server.database_url or sqlite_url(server.data_dir.resolve()))


class Receiver:
    """A tiny HTTP server on 127.0.0.1 that records requests; can be stopped and restarted on the same port."""

    def __init__(self, port: int | None = None, status: int = 200) -> None:
        self.port = port or free_port()
        self.status = status
        self.requests: list[dict[str, Any]] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Receiver:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with outer._lock:
                    outer.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                    )
                payload = (
                    b'{"access_token": "tok-123", "expires_in": 3600}' if self.path.startswith("/oauth") else b"{}"
                )
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_POST = do_PUT = do_GET = _handle

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def bodies(self, path_prefix: str = "/") -> list[Any]:
        with self._lock:
            return [json.loads(r["body"]) for r in self.requests if r["path"].startswith(path_prefix) and r["body"]]


def wait_for(check: Callable[[], Any], timeout: float = 15.0, nudge: Callable[[], Any] | None = None) -> Any:
    """Poll until ``check()`` is truthy; ``nudge`` (e.g. advancing the clock by 0) runs between polls."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if nudge is not None:
            nudge()
        time.sleep(0.1)


def log_entries(server: ServerProcess, name: str) -> list[dict[str, Any]]:
    store = store_of(server)
    try:
        return [json.loads(e["payload"]) for e in read_log(store, name)]
    finally:
        store.dispose()


def outbox(server: ServerProcess, rule_arn: str | None = None) -> list[dict[str, Any]]:
    store = store_of(server)
    try:
        return list_outbox(store, rule_arn=rule_arn)
    finally:
        store.dispose()


def log_target(server: ServerProcess, name: str, region: str = "us-east-1") -> str:
    sts = server.client("sts", region)
    account = sts.get_caller_identity()["Account"]
    return f"arn:strongroom:events-log:{region}:{account}:{name}"
