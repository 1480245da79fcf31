"""Pools of properly SigV4-signed requests, built by botocore itself and replayed by the load generators.

A request is captured at botocore's ``before-send`` hook — serialised and signed exactly as boto3 sends it —
and never sent. AWS accepts a signature for five minutes, so a pool built just before a measurement stays
valid for it; every pool is rebuilt per measurement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.config


@dataclass(frozen=True, slots=True)
class Signed:
    """One signed HTTP request, ready to replay over a keep-alive connection."""

    method: str
    path: str  # path and query
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def raw(self) -> bytes:
        """HTTP/1.1 bytes with Content-Length, for the Python generator."""
        lines = [f"{self.method} {self.path} HTTP/1.1"]
        lines += [f"{k}: {v}" for k, v in self.headers if k.lower() != "content-length"]
        lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


class _Captured(Exception):
    def __init__(self, signed: Signed) -> None:
        self.signed = signed


def _capture(request: Any, **_: Any) -> None:
    parts = urlsplit(request.url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # ``Host`` spelled so: botocore now sets ``host``, and wrk adds a Host header of its own unless it finds that
    # spelling; a request with two Host headers fails its signature (the names are case-insensitive, so the
    # signature is the same). Every pool goes through here; a cell whose requests all fail is no measurement.
    headers = [
        ("Host" if str(k).lower() == "host" else str(k), v.decode() if isinstance(v, bytes) else str(v))
        for k, v in request.headers.items()
    ]
    if not any(k == "Host" for k, _ in headers):
        headers.insert(0, ("Host", parts.netloc))
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    raise _Captured(Signed(request.method, path, tuple(headers), body))


@dataclass
class Endpoint:
    url: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"

    def client(self, service: str) -> Any:
        cfg = botocore.config.Config(retries={"max_attempts": 2}, connect_timeout=5, read_timeout=120)
        return boto3.client(
            service,
            region_name=self.region,
            endpoint_url=self.url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=cfg,
        )


def signed_pool(endpoint: Endpoint, service: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Signed]:
    """Sign each (operation, params) call for ``endpoint`` without sending it."""
    client = endpoint.client(service)
    client.meta.events.register_first("before-send", _capture)
    pool: list[Signed] = []
    for operation, params in calls:
        method: Callable[..., Any] = getattr(client, operation)
        try:
            method(**params)
        except _Captured as captured:
            pool.append(captured.signed)
        else:  # pragma: no cover - before-send always raises
            raise RuntimeError("request was sent instead of captured")
    return pool
