"""Page tokens (``NextToken``/``Marker``): one opaque encoding for every service.

A token is the URL-safe base64 (no padding) of a JSON list of strings and integers. Each service keeps its
own error for a token it did not issue (``bad``: a factory, since the error and its message are the service's).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

from strongroom.core.errors import AwsError

T = TypeVar("T")
Part = str | int
Key = Part | tuple[Part, ...]


def encode(*parts: Part) -> str:
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: object, arity: int | None, bad: Callable[[], AwsError]) -> list[Part]:
    """The parts of a token made by ``encode`` (exactly ``arity`` of them unless None); else raises ``bad()``."""
    if not isinstance(token, str) or not token:
        raise bad()
    try:
        parts = json.loads(base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True))
    except (binascii.Error, ValueError):
        raise bad() from None
    if not isinstance(parts, list) or not parts or (arity is not None and len(parts) != arity):
        raise bad()
    for part in parts:
        if isinstance(part, bool) or not isinstance(part, str | int):
            raise bad()
    return parts


def _parts(key: Key) -> tuple[Part, ...]:
    return key if isinstance(key, tuple) else (key,)


def offset_page(
    items: Sequence[T], token: object | None, size: int, bad: Callable[[], AwsError]
) -> tuple[list[T], str | None]:
    """``items[start:start + size]`` and the token for what follows (None at the end)."""
    start = 0
    if token is not None:
        (start_part,) = decode(token, 1, bad)
        if not isinstance(start_part, int) or start_part < 0:
            raise bad()
        start = start_part
    end = start + size
    return list(items[start:end]), encode(end) if end < len(items) else None


def after_page(
    items: Sequence[T], token: object | None, size: int, key: Callable[[T], Key], bad: Callable[[], AwsError]
) -> tuple[list[T], str | None]:
    """The first ``size`` items (in ``key`` order) after the one the token names; stable under inserts/deletes."""
    ordered = sorted(items, key=lambda item: _parts(key(item)))
    if token is not None:
        last = tuple(decode(token, len(_parts(key(ordered[0]))) if ordered else None, bad))
        try:
            ordered = [item for item in ordered if _parts(key(item)) > last]
        except TypeError:  # a part of another type than the keys' (str vs int)
            raise bad() from None
    page = ordered[:size]
    return page, encode(*_parts(key(page[-1]))) if len(ordered) > size and page else None
