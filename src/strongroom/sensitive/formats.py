"""Readers: an object's bytes in, blocks of text out, each hit mapped back to AWS's Occurrences location (lineRanges
for text, cells for CSV/TSV/XLSX, records for JSON/JSONL/Parquet/Avro, pages for PDF). Large text streams in
chunks of ``CHUNK`` bytes cut at a line end, so memory stays flat whatever the object's size."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from strongroom.sensitive import jsonstream
from strongroom.sensitive.engine import Block, Hit

CHUNK = 1 << 20
ROWS_PER_BLOCK = 512
MAX_JSON_DEPTH = 64

# A hit's location: (Occurrences key, location dict).
Locate = Callable[[Hit], tuple[str, dict[str, Any]]]
Unit = tuple[Block, Locate]


class ParseError(Exception):
    """The structured content could not be read (AWS: UNABLE_TO_PARSE_FILE / MALFORMED_FILE)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- text


def _decoder_stream(body: BinaryIO) -> Iterator[bytes]:
    """UTF-8 chunks; UTF-16 (by its BOM) and undecodable bytes are transcoded so offsets are UTF-8 offsets."""
    first = body.read(CHUNK)
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        dec = codecs.getincrementaldecoder("utf-16")("replace")
        chunk = first
        while chunk:
            yield dec.decode(chunk).encode("utf-8")
            chunk = body.read(CHUNK)
        return
    if first.startswith(codecs.BOM_UTF8):
        first = first[3:]
    chunk = first
    while chunk:
        yield chunk
        chunk = body.read(CHUNK)


def text_units(body: BinaryIO) -> Iterator[Unit]:
    line = 1
    carry = b""
    for chunk in _decoder_stream(body):
        data = carry + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0 and len(data) < 4 * CHUNK:
            carry = data
            continue
        if cut == 0:
            cut = len(data)
        block_data, carry = data[:cut], data[cut:]
        yield Block(block_data), _line_locator(block_data, line)
        line += block_data.count(b"\n")
    if carry:
        yield Block(carry), _line_locator(carry, line)


def _line_locator(data: bytes, first_line: int) -> Locate:
    # Hits arrive mostly in order: count newlines from the previous hit, not from the block's start.
    state = [0, first_line]

    def locate(hit: Hit) -> tuple[str, dict[str, Any]]:
        pos, line = state
        if hit.start < pos:
            pos, line = 0, first_line
        line += data.count(b"\n", pos, hit.start)
        state[0], state[1] = hit.start, line
        line_start = data.rfind(b"\n", 0, hit.start) + 1
        column = len(data[line_start : hit.start].decode("utf-8", "ignore")) + 1
        end = line + data.count(b"\n", hit.start, hit.end)
        return "lineRanges", {"start": line, "end": end, "startColumn": column}

    return locate


# -- tables


def _col_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def table_units(rows: Iterable[list[Any]], sheet: str | None = None) -> Iterator[Unit]:
    """Row 1 is the header (its names are keyword context, as AWS reads column names); cells are 1-based."""
    header: list[str] | None = None
    values: list[str] = []
    headers: list[str] = []
    where: list[tuple[int, int]] = []
    for r, row in enumerate(rows, start=1):
        if header is None:
            header = ["" if v is None else str(v) for v in row]
            continue
        for c, v in enumerate(row, start=1):
            if v is None or v == "":
                continue
            values.append(str(v))
            headers.append(header[c - 1] if c <= len(header) else "")
            where.append((r, c))
        if len(where) >= ROWS_PER_BLOCK * 4:
            yield _table_block(values, headers, where, sheet)
            values, headers, where = [], [], []
    if where:
        yield _table_block(values, headers, where, sheet)


def _table_block(values: list[str], headers: list[str], where: list[tuple[int, int]], sheet: str | None) -> Unit:
    block = Block.of(values, headers)

    def locate(hit: Hit) -> tuple[str, dict[str, Any]]:
        row, col = where[hit.segment]
        ref = f"{sheet}!{_col_letters(col)}{row}" if sheet is not None else None
        return "cells", {"row": row, "column": col, "columnName": headers[hit.segment], "cellReference": ref}

    return block, locate


def csv_units(body: BinaryIO, delimiter: str) -> Iterator[Unit]:
    text = io.TextIOWrapper(body, encoding="utf-8-sig", errors="replace", newline="")
    csv.field_size_limit(1 << 24)
    try:
        yield from table_units(csv.reader(text, delimiter=delimiter))
    except csv.Error as exc:
        raise ParseError("UNABLE_TO_PARSE_FILE") from exc


def xlsx_units(body: BinaryIO) -> Iterator[Unit]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(body, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt package
        raise ParseError("MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT") from exc
    try:
        for ws in wb.worksheets:
            yield from table_units((list(r) for r in ws.iter_rows(values_only=True)), sheet=ws.title)
    finally:
        wb.close()


# -- records


@functools.lru_cache(maxsize=1 << 16)
def _path_key(key: str) -> str:
    return f".{key}" if key.replace("_", "").isalnum() else f"[{json.dumps(key, ensure_ascii=False)}]"


_PATH_ELEMENT = re.compile(r'\.(\w+)|\[("(?:[^"\\]|\\.)*")\]')


def _path_names(path: str) -> tuple[str, ...]:
    """A path's element names, each as written ("$.person['n.i.t.']" -> person, n.i.t.): a name's own dots and
    accents are part of the keyword it may be; array indexes are not names."""
    return tuple(m.group(1) if m.group(1) is not None else json.loads(m.group(2)) for m in _PATH_ELEMENT.finditer(path))


@functools.lru_cache(maxsize=1 << 14)
def _header(names: tuple[str, ...]) -> str:
    # Keyword context is the path's element names read as words ("$.customer.card_number" -> customer card number);
    # records repeat their shape, so each distinct name sequence is joined once.
    return " " + " ".join(names) + " "


def flatten(value: Any, path: str = "$", depth: int = 0) -> Iterator[tuple[str, str]]:
    """(JSONPath, text) for every scalar leaf."""
    leaves = _Leaves()
    leaves.add(value, path, _path_names(path), depth, 0)
    return zip(leaves.paths, leaves.values, strict=True)


class _Leaves:
    """Scalar leaves collected by plain recursion into parallel lists: the hot path of every structured format, so
    no generator per nesting level and each leaf's keyword context carried down rather than re-parsed."""

    __slots__ = ("headers", "paths", "values", "where")

    def __init__(self) -> None:
        self.values: list[str] = []
        self.paths: list[str] = []
        self.headers: list[str] = []
        self.where: list[int] = []

    def add(self, value: Any, path: str, names: tuple[str, ...], depth: int, index: int) -> None:
        kind = type(value)
        if (kind is str or kind is int or kind is float) and depth <= MAX_JSON_DEPTH:  # most leaves, first
            self.values.append(value if kind is str else str(value))
            self.paths.append(path)
            self.headers.append(_header(names))
            self.where.append(index)
            return
        if depth > MAX_JSON_DEPTH:
            raise ParseError("JSON_NESTING_LEVEL_OVER_LIMIT")
        if isinstance(value, dict):
            for k, v in value.items():
                key = str(k)
                self.add(v, path + _path_key(key), (*names, key), depth + 1, index)
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                self.add(v, f"{path}[{i}]", names, depth + 1, index)
        elif value is None or isinstance(value, bool):
            return
        else:
            self.values.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
            self.paths.append(path)
            self.headers.append(_header(names))
            self.where.append(index)


def record_units(records: Iterable[tuple[int, Any]], path: str = "$") -> Iterator[Unit]:
    """Leaves of consecutive records in one block; a field's path is its keyword context (AWS: the keyword may be
    an element of the path)."""
    return _leaf_units((index, path, 0, record) for index, record in records)


def _leaf_units(records: Iterable[tuple[int, str, int, Any]]) -> Iterator[Unit]:
    leaves = _Leaves()
    for index, base, depth, record in records:
        leaves.add(record, base, _path_names(base) if base != "$" else (), depth, index)
        if len(leaves.values) >= ROWS_PER_BLOCK * 4:
            yield _record_block(leaves)
            leaves = _Leaves()
    if leaves.values:
        yield _record_block(leaves)


def _record_block(leaves: _Leaves) -> Unit:
    block = Block.of(leaves.values, leaves.headers)
    paths, where = leaves.paths, leaves.where

    def locate(hit: Hit) -> tuple[str, dict[str, Any]]:
        return "records", {"jsonPath": paths[hit.segment][:250], "recordIndex": where[hit.segment]}

    return block, locate


def json_units(body: BinaryIO) -> Iterator[Unit]:
    """One JSON document (recordIndex 0), read piece by piece (``jsonstream``): memory holds one top-level element,
    not the document."""
    text = io.TextIOWrapper(body, encoding="utf-8-sig", errors="replace")
    try:
        yield from _leaf_units((0, path, depth, value) for path, depth, value in jsonstream.pieces(text))
    except jsonstream.JsonStreamError as exc:
        raise ParseError(exc.reason) from exc


def jsonl_units(body: BinaryIO) -> Iterator[Unit]:
    def records() -> Iterator[tuple[int, Any]]:
        for i, raw in enumerate(io.TextIOWrapper(body, encoding="utf-8-sig", errors="replace")):
            if raw.strip():
                try:
                    yield i, json.loads(raw)
                except ValueError as exc:
                    raise ParseError("UNABLE_TO_PARSE_FILE") from exc

    yield from record_units(records())


def parquet_units(body: BinaryIO) -> Iterator[Unit]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(body)
    except Exception as exc:  # pyarrow's ArrowInvalid and OSError for a corrupt file
        raise ParseError("MALFORMED_FILE") from exc

    def records() -> Iterator[tuple[int, Any]]:
        index = 0
        for batch in pf.iter_batches(batch_size=2048):
            for rec in batch.to_pylist():
                yield index, rec
                index += 1

    yield from record_units(records())


def avro_units(body: BinaryIO) -> Iterator[Unit]:
    import fastavro

    try:
        reader = fastavro.reader(body)
    except Exception as exc:  # fastavro raises ValueError/SchemaParseException for a bad header
        raise ParseError("MALFORMED_FILE") from exc
    yield from record_units(enumerate(reader))


def pdf_units(body: BinaryIO) -> Iterator[Unit]:
    import pypdf

    try:
        reader = pypdf.PdfReader(body)
        pages = list(reader.pages)
    except Exception as exc:  # pypdf's PdfReadError and friends
        raise ParseError("MALFORMED_FILE") from exc
    for number, page in enumerate(pages, start=1):
        try:
            text = page.extract_text() or ""
        except Exception as exc:  # a page whose content stream pypdf cannot read
            raise ParseError("MALFORMED_FILE") from exc
        data = text.encode("utf-8", "replace")
        line_locate = _line_locator(data, 1)

        def locate(hit: Hit, n: int = number, ll: Locate = line_locate) -> tuple[str, dict[str, Any]]:
            return "pages", {"pageNumber": n, "lineRange": ll(hit)[1]}

        yield Block(data), locate
