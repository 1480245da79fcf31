"""Reading CloudTrail log files as a trail delivers them to S3: ``{"Records": [...]}`` JSON (optionally gzipped,
``.json.gz``), a bare JSON list, or JSON lines (one record, or one ``{"Records": ...}`` file, per line); directories
are walked recursively. Standard library and orjson only (this is the pure layer)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".gz", ".log")


def log_files(paths: Iterable[str | Path]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs.sort()
                found.extend(Path(root) / f for f in sorted(files) if f.endswith(_SUFFIXES))
        else:
            found.append(path)
    return found


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        head = handle.read(2)
    if head == b"\x1f\x8b":
        with gzip.open(path, "rb") as compressed:
            return compressed.read()
    return path.read_bytes()


def _records_of(document: Any) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict):
        if isinstance(document.get("Records"), list):
            yield from (r for r in document["Records"] if isinstance(r, dict))
        elif "eventName" in document or "eventTime" in document:
            yield document
    elif isinstance(document, list):
        for item in document:
            yield from _records_of(item)


def read_records(path: Path) -> list[dict[str, Any]]:
    """The records of one file; raises ValueError when it is neither JSON nor JSON lines."""
    data = _read(path)
    try:
        return list(_records_of(orjson.loads(data)))
    except orjson.JSONDecodeError:
        pass
    records: list[dict[str, Any]] = []
    for number, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.extend(_records_of(orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"{path}:{number}: not JSON: {exc}") from None
    return records
