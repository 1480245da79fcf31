"""Helpers for the data plane's end-to-end tests: a loopback HTTP backend and invoke-URL requests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3

from tests.support.server import ServerProcess

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=60))


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Backend:
    """A loopback HTTP server: echoes what it got as JSON, ``/slow`` waits 2 s, ``/count/NAME`` counts calls."""

    port: int = 0
    seen: list[Seen] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def last(self) -> Seen:
        return self.seen[-1]


@pytest.fixture(scope="module")
def upstream() -> Iterator[Backend]:
    state = Backend()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/count/"):
                name = self.path.split("/")[2]
                state.counts[name] = state.counts.get(name, 0) + 1
            else:
                state.seen.append(Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if self.path.startswith("/slow"):
                time.sleep(2)
            try:
                parsed: Any = json.loads(body) if body else None
            except ValueError:
                parsed = body.decode(errors="replace")
            out = json.dumps({"method": self.command, "path": self.path, "body": parsed}).encode()
            self.send_response(201 if self.path.startswith("/created") else 200)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Backend", "yes")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def invoke(
    server: ServerProcess,
    api_id: str,
    stage: str,
    path: str,
    method: str = "GET",
    *,
    form: str = "user",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> urllib3.BaseHTTPResponse:
    """A request to a deployed API: ``user`` is ``/restapis/ID/STAGE/_user_request_/PATH``, ``host`` the
    ``ID.execute-api.localhost`` Host with ``/STAGE/PATH``."""
    sent = dict(headers or {})
    if form == "user":
        url = f"{server.endpoint}/restapis/{api_id}/{stage}/_user_request_{path}"
    else:
        url = f"{server.endpoint}/{stage}{path}"
        sent["Host"] = f"{api_id}.execute-api.localhost:{server.port}"
    return HTTP.request(method, url, headers=sent, body=body, redirect=False)


def as_json(response: urllib3.BaseHTTPResponse) -> Any:
    return json.loads(response.data)


def deploy(apigw: Any, api_id: str, stage: str = "test", **kwargs: Any) -> None:
    apigw.create_deployment(restApiId=api_id, stageName=stage, **kwargs)


def method(
    apigw: Any,
    api_id: str,
    resource_id: str,
    verb: str = "GET",
    *,
    integration: dict[str, Any],
    responses: dict[str, dict[str, Any]] | None = None,
    **method_kwargs: Any,
) -> None:
    """A method with its integration (and, for non-proxy integrations, integration responses by status)."""
    method_kwargs.setdefault("authorizationType", "NONE")
    apigw.put_method(restApiId=api_id, resourceId=resource_id, httpMethod=verb, **method_kwargs)
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod=verb, **integration)
    for status, response in (responses or {}).items():
        apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status)
        apigw.put_integration_response(
            restApiId=api_id, resourceId=resource_id, httpMethod=verb, statusCode=status, **response
        )


def resource(apigw: Any, api_id: str, parent: str, part: str) -> str:
    return str(apigw.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"])
