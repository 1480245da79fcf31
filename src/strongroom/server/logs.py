"""Structured JSON logs, one object per line; request logs carry ids and timings, never payloads."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import orjson

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


_request_log = logging.getLogger("strongroom.request")
_stream: Any = None  # the configured handler's stream; None until ``configure`` (tests, tools): plain logging


def log_request(
    request_id: str,
    service: str,
    operation: str,
    status: int,
    latency_ms: float,
    account: str | None,
    error: str | None,
) -> None:
    """The one line every API call writes, in JsonFormatter's format.

    Written straight to the stream: this runs for every request, and a LogRecord (caller lookup, handler
    lock, generic formatting) cost several times the line itself under load.
    """
    if not _request_log.isEnabledFor(logging.INFO):
        return
    fields = {
        "request_id": request_id,
        "service": service,
        "operation": operation,
        "status": status,
        "latency_ms": latency_ms,
        "account": account,
        "error": error,
    }
    stream = _stream
    if stream is None:
        _request_log.info("request", extra=fields)
        return
    now = time.time()
    global _last_second
    second = int(now)
    if _last_second[0] != second:
        _last_second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    entry = {
        "ts": f"{_last_second[1]}.{int(now * 1000) % 1000:03d}Z",
        "level": "info",
        "logger": "strongroom.request",
        "msg": "request",
        **fields,
    }
    try:
        stream.write(orjson.dumps(entry).decode() + "\n")
    except (OSError, ValueError):  # a closed or broken stream must never fail the request
        pass


_last_second: tuple[int, str] = (-1, "")  # the timestamp text of the current second, shared by its lines


def configure(level: str = "info") -> None:
    global _stream
    handler = logging.StreamHandler(sys.stderr)
    _stream = handler.stream
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers[:] = []
        lg.propagate = True
    # uvicorn's access log would duplicate our request log line
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
