"""The classifier: the managed selection resolved once, the engine compiled once, then ``classify`` per object —
sniff the format, stream its blocks through the engine, and gather AWS's ClassificationResult (detections with
counts, up to ``max_occurrences`` locations per type, samples for reveal)."""

from __future__ import annotations

import gzip
import io
import os
import posixpath
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from strongroom.sensitive import formats
from strongroom.sensitive.catalogue import BY_ID, CATALOGUE
from strongroom.sensitive.contract import Detection, ManagedIdentifier, ObjectResult, ScanConfig
from strongroom.sensitive.engine import Engine
from strongroom.sensitive.rules import Rule
from strongroom.sensitive.rules_intl import ALL_RULES

MAX_SAMPLES = 10
MAX_ARCHIVE_DEPTH = 10  # AWS analyzes nested archives to a bounded depth
MAX_ARCHIVE_MEMBERS = 1_000_000
# Workbooks and PDFs are read through libraries that keep per-document state in memory (openpyxl's shared strings,
# pypdf's object cache), unlike the streamed formats: larger ones are not classified (ours; AWS documents its own
# per-format quotas), so a job's memory stays bounded whatever the bucket holds.
MAX_WHOLE_BYTES = {"xlsx": 256 << 20, "pdf": 256 << 20}

_TEXT_EXT = {
    "txt", "log", "md", "text", "conf", "cfg", "ini", "env", "yaml", "yml", "xml", "html", "htm", "properties",
    "sql", "py", "js", "ts", "java", "go", "rb", "sh", "pem", "key", "eml", "rtf", "",
}  # fmt: skip
_UNSUPPORTED_EXT = {
    "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "mp3", "mp4", "mov", "avi", "wav", "exe", "dll", "so",
    "class", "jar", "iso", "dmg", "7z", "rar", "bin", "dat",
}  # fmt: skip
MIME = {
    "text": "text/plain", "csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
    "jsonl": "application/x-ndjson", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet", "avro": "application/avro", "pdf": "application/pdf",
    "zip": "application/zip", "gzip": "application/gzip", "tar": "application/x-tar",
    "unsupported": "application/octet-stream",
}  # fmt: skip


def managed_identifiers() -> tuple[ManagedIdentifier, ...]:
    return CATALOGUE


def selected_ids(config: ScanConfig) -> frozenset[str]:
    """AWS's managedDataIdentifierSelector: ALL, EXCLUDE (all but the listed), INCLUDE (only the listed), NONE
    (custom identifiers only), RECOMMENDED."""
    every = frozenset(m.id for m in CATALOGUE)
    recommended = frozenset(m.id for m in CATALOGUE if m.recommended)
    sel = config.managed_selector
    if sel == "ALL":
        return every
    if sel == "EXCLUDE":
        return every - config.managed_ids
    if sel == "INCLUDE":
        return config.managed_ids & every
    if sel == "NONE":
        return frozenset()
    return recommended


def _rules_for(ids: frozenset[str]) -> list[Rule]:
    return [r for r in ALL_RULES if ids & set(r.reports())]


def sniff(name: str, head: bytes) -> str:
    lower = name.lower()
    ext = lower.rsplit(".", 1)[-1] if "." in posixpath.basename(lower) else ""
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"Obj\x01"):
        return "avro"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx" if ext in ("xlsx", "xlsm") else "zip"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if ext in ("csv", "tsv", "json", "jsonl", "ndjson"):
        return {"ndjson": "jsonl"}.get(ext, ext)
    if ext in _UNSUPPORTED_EXT:
        return "unsupported"
    if ext in _TEXT_EXT or _looks_textual(head):
        return "text"
    return "unsupported"


def _looks_textual(head: bytes) -> bool:
    if not head:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:4096]
    return b"\x00" not in sample and sum(b < 9 or 13 < b < 32 for b in sample) < len(sample) // 100 + 1


@dataclass(slots=True)
class _Gather:
    max_occurrences: int
    detections: dict[str, Detection] = field(default_factory=dict)
    extra: bool = False
    unprocessed: bool = False

    def add(self, type_: str, category: str, key: str, loc: dict[str, Any], text: str) -> None:
        d = self.detections.get(type_)
        if d is None:
            d = self.detections[type_] = Detection(type_, category, 0, {})
        d.count += 1
        if d.count <= self.max_occurrences:
            d.occurrences.setdefault(key, []).append(loc)
        else:
            self.extra = True
        if len(d.samples) < MAX_SAMPLES:
            d.samples.append(text)


class _Raw(io.RawIOBase):
    """Any readable stream as a raw one, so that it can be buffered (peeked at for sniffing)."""

    def __init__(self, inner: BinaryIO) -> None:
        self.inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self.inner.read(len(b))
        n = len(data)
        b[:n] = data
        return n


class SensitiveClassifier:
    def __init__(self, config: ScanConfig) -> None:
        self.config = config
        self.ids = selected_ids(config)
        categories: dict[str, str] = {m.id: m.category for m in CATALOGUE}
        self.engine = Engine(_rules_for(self.ids), categories, config.custom, config.allow_lists)

    def classify(self, name: str, body: BinaryIO, size: int) -> ObjectResult:
        gather = _Gather(self.config.max_occurrences)
        try:
            kind = self._one(name, body, gather, depth=0)
        except formats.ParseError as exc:
            return ObjectResult(MIME.get(sniff(name, b""), "application/octet-stream"), 0, "SKIPPED", exc.reason)
        if kind == "unsupported":
            return ObjectResult(MIME["unsupported"], 0, "SKIPPED", "UNSUPPORTED_FILE_TYPE_EXCEPTION")
        dets = sorted(gather.detections.values(), key=lambda d: (-d.count, d.type))
        status = "PARTIAL" if gather.unprocessed else "COMPLETE"
        reason = "ARCHIVE_CONTAINS_UNPROCESSED_FILES" if gather.unprocessed else None
        # sizeClassified is what AWS counts: the object's stored size (compressed, for an archive), whatever stream
        # the caller hands in and however much of an archive's members were read.
        return ObjectResult(MIME[kind], size, status, reason, dets, gather.extra)  # type: ignore[arg-type]

    # -- one object or archive member

    def _one(self, name: str, body: BinaryIO, gather: _Gather, depth: int) -> str:
        buffered = body if isinstance(body, io.BufferedReader) else io.BufferedReader(_Raw(body), 1 << 16)
        head = buffered.peek(512)[:512]
        kind = sniff(name, head)
        if kind == "unsupported":
            return kind
        if kind in ("zip", "gzip", "tar", "xlsx", "parquet"):
            self._container(kind, name, buffered, gather, depth)
        else:
            self._units(kind, buffered, gather)
        return kind

    def _units(self, kind: str, body: BinaryIO, gather: _Gather) -> None:
        units: Iterator[formats.Unit]
        if kind == "text":
            units = formats.text_units(body)
        elif kind in ("csv", "tsv"):
            units = formats.csv_units(body, "," if kind == "csv" else "\t")
        elif kind == "json":
            units = formats.json_units(body)
        elif kind == "jsonl":
            units = formats.jsonl_units(body)
        elif kind == "avro":
            units = formats.avro_units(body)
        elif kind == "pdf":
            units = formats.pdf_units(_capped(_seekable(body), kind))
        else:  # pragma: no cover — sniff answers only the kinds above
            raise formats.ParseError("UNSUPPORTED_FILE_TYPE_EXCEPTION")
        for block, locate in units:
            for hit in self.engine.scan(block):
                if hit.category != "CUSTOM_IDENTIFIER" and hit.type not in self.ids:
                    continue
                key, loc = locate(hit)
                gather.add(hit.type, hit.category, key, loc, hit.text)

    def _container(self, kind: str, name: str, body: BinaryIO, gather: _Gather, depth: int) -> None:
        if kind == "xlsx":
            for block, locate in formats.xlsx_units(_capped(_seekable(body), kind)):
                self._emit(block, locate, gather)
            return
        if kind == "parquet":
            for block, locate in formats.parquet_units(_seekable(body)):
                self._emit(block, locate, gather)
            return
        if depth >= MAX_ARCHIVE_DEPTH:
            gather.unprocessed = True
            return
        if kind == "gzip":
            inner = name[: -len(".gz")] if name.lower().endswith(".gz") else name.rsplit(".", 1)[0]
            if inner.lower().endswith(".tgz"):
                inner = inner[:-4] + ".tar"
            try:
                self._member(inner, gzip.GzipFile(fileobj=body), gather, depth)  # type: ignore[arg-type]
            except (OSError, EOFError, zlib.error) as exc:
                raise formats.ParseError("MALFORMED_FILE") from exc
            return
        if kind == "tar":
            try:
                with tarfile.open(fileobj=body, mode="r|*") as tar:
                    for info in tar:
                        if info.isfile():
                            f = tar.extractfile(info)
                            if f is not None:
                                self._member(info.name, f, gather, depth)  # type: ignore[arg-type]
            except tarfile.TarError as exc:
                raise formats.ParseError("MALFORMED_FILE") from exc
            return
        try:
            with zipfile.ZipFile(_seekable(body)) as zf:
                for zinfo in zf.infolist()[:MAX_ARCHIVE_MEMBERS]:
                    if not zinfo.is_dir():
                        with zf.open(zinfo) as zmember:
                            self._member(zinfo.filename, zmember, gather, depth)  # type: ignore[arg-type]
        except (zipfile.BadZipFile, OSError) as exc:
            raise formats.ParseError("MALFORMED_FILE") from exc

    def _member(self, name: str, f: BinaryIO, gather: _Gather, depth: int) -> None:
        try:
            kind = self._one(name, f, gather, depth + 1)
        except formats.ParseError:
            gather.unprocessed = True
            return
        if kind == "unsupported":
            gather.unprocessed = True

    def _emit(self, block: Any, locate: formats.Locate, gather: _Gather) -> None:
        for hit in self.engine.scan(block):
            if hit.category != "CUSTOM_IDENTIFIER" and hit.type not in self.ids:
                continue
            key, loc = locate(hit)
            gather.add(hit.type, hit.category, key, loc, hit.text)


def _seekable(body: BinaryIO) -> BinaryIO:
    """Zip, XLSX, Parquet and PDF need random access: a non-seekable stream is spooled to a temporary file (memory
    up to 8 MiB, disk beyond)."""
    try:
        if body.seekable():
            return body
    except (AttributeError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 — returned open, closed with the scan
    while chunk := body.read(1 << 20):
        spool.write(chunk)
    spool.seek(0, os.SEEK_SET)
    return spool  # type: ignore[return-value]


def _capped(body: BinaryIO, kind: str) -> BinaryIO:
    """A document read whole by its library, refused past ``MAX_WHOLE_BYTES``."""
    here = body.tell()
    size = body.seek(0, os.SEEK_END) - here
    body.seek(here, os.SEEK_SET)
    if size > MAX_WHOLE_BYTES[kind]:
        raise formats.ParseError("MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT")
    return body


def build_classifier(config: ScanConfig) -> SensitiveClassifier:
    return SensitiveClassifier(config)


def describe(identifier: str) -> ManagedIdentifier | None:
    return BY_ID.get(identifier)
