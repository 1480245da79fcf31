"""The request view the engine inspects: plain data, filled in by whichever enforcement point runs the engine."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class WafRequest:
    method: str
    uri_path: str  # raw, as received: transformations do any decoding
    query_string: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # in arrival order, names as sent
    body: bytes = b""  # possibly already truncated by the caller at the inspection limit
    body_length: int | None = None  # the original body length; None means len(body)
    source_ip: str = "127.0.0.1"
    http_version: str = "HTTP/1.1"
    uri_fragment: str | None = None
    ja3_fingerprint: str | None = None
    ja4_fingerprint: str | None = None
    request_id: str = ""
    country_resolver: Callable[[str], str | None] | None = field(default=None, compare=False)
    asn_resolver: Callable[[str], int | None] | None = field(default=None, compare=False)
    # IP -> ISO 3166-2 region ("US-CA"), for GeoMatch's region label (strongroom.waf.geoip gives all three)
    region_resolver: Callable[[str], str | None] | None = field(default=None, compare=False)

    @property
    def original_body_length(self) -> int:
        return len(self.body) if self.body_length is None else self.body_length

    @functools.cached_property
    def _by_name(self) -> dict[str, list[str]]:
        # every statement asking for a header by name shares one pass over the headers (the dataclass is frozen,
        # so the index cannot go stale; cached_property writes the instance dict directly)
        index: dict[str, list[str]] = {}
        for k, v in self.headers:
            index.setdefault(k.lower(), []).append(v)
        return index

    @functools.cached_property
    def memo(self) -> dict[Any, Any]:
        """Work the extractors of one request share (its headers encoded once, the cookies parsed once...): per
        instance, so ``dataclasses.replace`` starts afresh."""
        return {}

    def header_values(self, name: str) -> list[str]:
        return list(self._by_name.get(name.lower(), ()))

    @property
    def host(self) -> str:
        values = self.header_values("host")
        return values[0].split(":", 1)[0].lower() if values else ""

    def cookies(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for raw in self.header_values("cookie"):
            for part in raw.split(";"):
                name, sep, value = part.strip().partition("=")
                if name or sep:
                    out.append((name, value))
        return out

    def query_args(self) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for part in self.query_string.split("&"):
            if part:
                name, _, value = part.partition("=")
                out.append((name, value))
        return out
