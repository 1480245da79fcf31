"""A plain-socket HTTP client for replaying test cases exactly as written, malformed ones included.

Any real HTTP client would normalise what the CRS regression corpus sends on purpose (a bad request line, a
duplicated or missing header, a body shorter than its Content-Length, HTTP/0.9), so the replay builds the bytes
itself and reads back only the status line and the headers: that is all a block/pass tally needs.

The request is built the way python-ftw (the corpus's own runner) builds it: ``METHOD URI VERSION``, the headers as
given, a blank line, the body; with a body and no ``stop_magic``, a missing ``Content-Type`` becomes
``application/x-www-form-urlencoded`` and a missing ``Content-Length`` is added. A ``raw`` request is sent as is.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Headers = Mapping[str, Any] | Iterable[tuple[str, Any]]


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    # as bench/crs_corpus.py reads the YAML: code points below 256 ("\xNN" escapes) are bytes on the wire
    text = str(value)
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape")


def _pairs(headers: Headers | None) -> list[tuple[str, Any]]:
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        return list(headers.items())
    return [(str(k), v) for k, v in headers]


def build_request(
    method: str,
    uri: str,
    version: str = "HTTP/1.1",
    headers: Headers | None = None,
    body: bytes | str | None = b"",
    *,
    raw: bytes | str | None = None,
    stop_magic: bool = False,
) -> bytes:
    """The bytes to put on the wire for one test case."""
    if raw is not None and raw != b"" and raw != "":
        return _as_bytes(raw)
    pairs = _pairs(headers)
    payload = _as_bytes(body) if body else b""
    names = {k.lower() for k, _ in pairs}
    if payload and not stop_magic:
        if "content-type" not in names:
            pairs.append(("Content-Type", "application/x-www-form-urlencoded"))
        if "content-length" not in names:
            pairs.append(("Content-Length", str(len(payload))))
    head = _as_bytes(f"{method} {uri} {version}")  # python-ftw's form, trailing space and all when no version
    lines = [head] + [_as_bytes(k) + b": " + _as_bytes(v) for k, v in pairs]
    return b"\r\n".join(lines) + b"\r\n\r\n" + payload


def build_case(case: Any) -> bytes:
    """``build_request`` for a ``bench.crs_corpus.CrsCase`` (or anything with the same attributes)."""
    return build_request(
        getattr(case, "method", "GET") or "GET",
        getattr(case, "uri", "/") or "/",
        getattr(case, "version", "HTTP/1.1") or "",
        getattr(case, "headers", None),
        getattr(case, "body", b""),
        raw=getattr(case, "raw", None),
        stop_magic=bool(getattr(case, "stop_magic", False)),
    )


@dataclass
class Answer:
    """What came back: the status (None when nothing parseable did) and the response headers, lower-cased."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""
    seconds: float = 0.0


def parse_head(data: bytes) -> Answer:
    """Status and headers from the start of a response (the body, if any, is ignored)."""
    head = data.split(b"\r\n\r\n", 1)[0]
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        return Answer(None, error=f"not an HTTP response: {data[:60]!r}" if data else "no answer")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return Answer(int(parts[1]), headers)


def send(host: str, port: int, request: bytes, timeout: float = 5.0) -> Answer:
    """One request on a fresh connection (as python-ftw does); reads until the response head is complete."""
    began = time.monotonic()
    data = b""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(request)
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
    except TimeoutError:
        answer = parse_head(data) if data else Answer(None, error="timeout")
        answer.seconds = time.monotonic() - began
        return answer
    except OSError as exc:
        if not data:
            return Answer(None, error=f"{type(exc).__name__}: {exc}", seconds=time.monotonic() - began)
    answer = parse_head(data)
    answer.seconds = time.monotonic() - began
    return answer
