"""The HTTP request and response as the protocol layer sees them, independent of the ASGI server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl


class BodyStream(Protocol):
    """A request body read as it arrives (S3 object bodies): ``read(n)`` returns at most ``n`` bytes, b"" at the end."""

    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str  # raw, still percent-encoded
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ","
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    scheme: str = "http"
    # Set instead of ``body`` for requests whose body streams (the S3 plane): nothing reads it whole.
    stream: BodyStream | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def query_params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass(slots=True)
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # A body produced chunk by chunk (S3 GetObject): sent as it is iterated, ``Content-Length`` set by the encoder.
    stream: Iterator[bytes] | None = None

    def header(self, name: str) -> str | None:
        for k, v in self.headers:  # codecs spell headers as asked for: the exact match first, without lowering
            if k == name:
                return v
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None
