"""The HTTP request and response as the protocol layer sees them, independent of the ASGI server."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl


@dataclass(slots=True)
class HttpRequest:
    method: str
    path: str  # raw, still percent-encoded, without the query string
    query_string: str  # raw, still percent-encoded
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ","
    body: bytes = b""
    client_ip: str = "127.0.0.1"
    scheme: str = "http"

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def query_params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass(slots=True)
class HttpResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None
