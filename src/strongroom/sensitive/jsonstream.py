"""A JSON document read in pieces: the elements of its top-level array, or its top-level object's members (and,
one level down, the elements of a member that is an array: ``{"records": [...]}``) are decoded one at a time from a
sliding buffer, so a large export never sits in memory whole — only its largest element does (up to
``MAX_ELEMENT`` characters; beyond, the document is not classified). Each piece comes with the JSONPath it sits at
and its nesting depth, so the paths are the ones a whole-document parse gives."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

READ = 1 << 20  # characters read at a time
MAX_ELEMENT = 256 << 20  # characters of one top-level element (a single value that large is not streamed)

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class JsonStreamError(ValueError):
    """Malformed JSON, or one element larger than ``MAX_ELEMENT``; ``reason`` is the AWS status reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Reader:
    def __init__(self, text: TextIO) -> None:
        self._text = text
        self.buf = ""
        self.pos = 0
        self.eof = False

    def _more(self, n: int) -> None:
        chunk = self._text.read(n)
        if not chunk:
            self.eof = True
        self.buf = self.buf[self.pos :] + chunk  # what was consumed is dropped: memory stays one window
        self.pos = 0

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self._more(READ)

    def take(self, ch: str) -> None:
        if self.peek() != ch:
            raise JsonStreamError("UNABLE_TO_PARSE_FILE")
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        want = READ
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                end = -1
            except RecursionError:
                raise JsonStreamError("UNABLE_TO_PARSE_FILE") from None
            # A value that ends exactly at the buffer's end may be cut short (the "12" of "123"): read on.
            if end >= 0 and (end < len(self.buf) or self.eof):
                self.pos = end
                return value
            if self.eof:
                raise JsonStreamError("UNABLE_TO_PARSE_FILE")
            if len(self.buf) - self.pos > MAX_ELEMENT:
                raise JsonStreamError("MALFORMED_OR_FILE_SIZE_EXCEEDS_LIMIT")
            self._more(want)
            want *= 2  # a large element is re-read a logarithmic number of times, not once per READ


def _key(key: str) -> str:
    return f".{key}" if key.replace("_", "").isalnum() else f"[{json.dumps(key, ensure_ascii=False)}]"


def _elements(r: _Reader, path: str, depth: int) -> Iterator[tuple[str, int, Any]]:
    r.take("[")
    if r.peek() == "]":
        r.take("]")
        return
    i = 0
    while True:
        yield f"{path}[{i}]", depth, r.value()
        i += 1
        c = r.peek()
        if c == "]":
            r.take("]")
            return
        r.take(",")


def pieces(text: TextIO) -> Iterator[tuple[str, int, Any]]:
    """(JSONPath, depth, value) for each piece of the document, in document order."""
    r = _Reader(text)
    first = r.peek()
    if first == "[":
        yield from _elements(r, "$", 1)
    elif first == "{":
        r.take("{")
        if r.peek() == "}":
            r.take("}")
        else:
            while True:
                key = r.value()
                if not isinstance(key, str):
                    raise JsonStreamError("UNABLE_TO_PARSE_FILE")
                r.take(":")
                if r.peek() == "[":
                    yield from _elements(r, "$" + _key(key), 2)
                else:
                    yield "$" + _key(key), 1, r.value()
                if r.peek() == "}":
                    r.take("}")
                    break
                r.take(",")
    else:
        yield "$", 0, r.value()
    if r.peek() != "":
        raise JsonStreamError("UNABLE_TO_PARSE_FILE")  # data after the document
