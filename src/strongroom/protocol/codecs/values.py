"""Scalar value conversions shared by every codec: timestamps, blobs, floats, booleans.

Parsers raise ``ValueError`` on bad input so each codec can turn it into its own AWS error code; they accept
any of the three AWS timestamp formats whatever the model says, because SDKs differ in what they send.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ISO8601 = "iso8601"
RFC822 = "rfc822"
UNIX = "unixtimestamp"

_ISO = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:[.,]([0-9]+))?"
    r"\s*(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def to_datetime(value: Any) -> datetime:
    """Any timestamp a provider may hand us (aware/naive datetime, epoch number, string) as aware UTC."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return from_epoch(value)
    if isinstance(value, str):
        return parse_timestamp(value)
    raise ValueError(f"not a timestamp: {value!r}")


def from_epoch(seconds: float) -> datetime:
    """Epoch seconds to aware UTC; timedelta avoids the platform limits of ``fromtimestamp``."""
    if isinstance(seconds, float) and not math.isfinite(seconds):
        raise ValueError("timestamp is not finite")
    try:
        return EPOCH + timedelta(seconds=seconds)
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {seconds!r}") from exc


def parse_timestamp(value: str | float, fmt: str | None = None) -> datetime:
    """Parse a wire timestamp. ``fmt`` is the model's format; it is tried first, then the others."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return from_epoch(value)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    order = [ISO8601, UNIX, RFC822]
    if fmt is not None and fmt.lower() in order:
        order.remove(fmt.lower())
        order.insert(0, fmt.lower())
    for kind in order:
        parsed = _PARSERS[kind](text)
        if parsed is not None:
            return parsed
    raise ValueError(f"invalid timestamp: {value!r}")


def _parse_iso(text: str) -> datetime | None:
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    fraction = m.group(7) or ""
    micro = int((fraction + "000000")[:6]) if fraction else 0
    try:
        dt = datetime(year, month, day, hour, minute, min(second, 59), micro, tzinfo=UTC)
        if m.group(9):
            offset = timedelta(hours=int(m.group(10)), minutes=int(m.group(11)))
            dt = dt - offset if m.group(9) == "+" else dt + offset
    except (ValueError, OverflowError):
        return None
    return dt


def _parse_unix(text: str) -> datetime | None:
    if _NUMBER.fullmatch(text) is None:
        return None
    try:
        return from_epoch(float(text) if any(c in text for c in ".eE") else int(text))
    except ValueError:
        return None


def _parse_rfc822(text: str) -> datetime | None:
    try:
        dt = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


_PARSERS = {ISO8601: _parse_iso, UNIX: _parse_unix, RFC822: _parse_rfc822}


def format_timestamp(value: Any, fmt: str) -> str | int | float:
    """Format for the wire: iso8601 and rfc822 give strings, unixtimestamp a JSON number."""
    dt = to_datetime(value)
    kind = fmt.lower()
    if kind == UNIX:
        seconds = (dt - EPOCH) // timedelta(seconds=1)
        return seconds if dt.microsecond == 0 else (seconds * 10**6 + dt.microsecond) / 10**6
    if kind == RFC822:
        return http_date(dt)
    if kind == ISO8601:
        if dt.microsecond:
            return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
        return dt.strftime("%Y-%m-%dT%H:%M:%S") + "Z"
    raise ValueError(f"unknown timestamp format: {fmt!r}")


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(dt: datetime) -> str:
    """An aware UTC datetime as an HTTP date (``Sun, 06 Dec 2026 12:00:00 GMT``), whole seconds: what
    ``email.utils.format_datetime(dt, usegmt=True)`` writes, in a third of its time (every S3 GetObject and
    HeadObject has a ``Last-Modified``)."""
    # printf formatting: ~0.7 µs less than the same f-string with its format specs
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (  # noqa: UP031
        _DAYS[dt.weekday()],
        dt.day,
        _MONTHS[dt.month - 1],
        dt.year,
        dt.hour,
        dt.minute,
        dt.second,
    )


def encode_blob(value: bytes | bytearray | memoryview | str) -> str:
    """Standard base64 with padding, as every AWS protocol carries blobs in text."""
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    return base64.b64encode(raw).decode("ascii")


def decode_blob(value: str) -> bytes:
    """Strict base64: garbage must be rejected, not silently shortened."""
    if not isinstance(value, str):
        raise ValueError("blob must be a base64 string")
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64") from exc


def format_float(value: float | int) -> float | int | str:
    """JSON has no NaN/Infinity, so AWS spells them as strings."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
    return value


def parse_float(value: Any) -> float:
    """A JSON number or one of AWS's special float strings."""
    if isinstance(value, bool):
        raise ValueError("boolean is not a number")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
        if _NUMBER.fullmatch(value.strip()):
            return float(value)
    raise ValueError(f"not a number: {value!r}")


def parse_int(value: Any) -> int:
    """A JSON number or decimal string that is a whole number."""
    if isinstance(value, bool):
        raise ValueError("boolean is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,20}", value.strip()):
        return int(value)
    raise ValueError(f"not an integer: {value!r}")


def parse_bool(value: Any) -> bool:
    """JSON booleans, or the ``true``/``false`` text used in URIs, query strings and headers."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in ("true", "false"):
            return lowered == "true"
    raise ValueError(f"not a boolean: {value!r}")


def text_float(value: float | int) -> str:
    """A float for a header, URI or query string, spelled as botocore spells it."""
    special = format_float(float(value))
    return special if isinstance(special, str) else str(value)
