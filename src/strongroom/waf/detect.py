"""SQL injection and cross-site scripting detection for SqliMatch / XssMatch: libinjection, over the exact bytes.

libinjection (BSD-3-Clause) comes from Debian's ``libmodsecurity3`` package, maintained with security updates:
ModSecurity v3 links libinjection 3.9.2 into ``libmodsecurity.so.3`` and exports its C entry points, which this
module calls through ``ctypes`` with the exact transformed bytes (NULs and invalid UTF-8 included):
``libinjection_sqli(s, len, fingerprint)`` and ``libinjection_xss(s, len)``. Both keep their state on the C stack
(thread-safe) and ``ctypes`` releases the GIL for the call. Why not a PyPI binding: none publishes wheels; the one
that builds (``libinjection-python`` 1.1.6, 2022) is unmaintained, licenses its glue code GPL-3.0, and its Python
functions re-encode ``str`` as UTF-8, so bytes outside UTF-8 would reach the C code changed. Measured here:
~2.5-3.5 µs per SQLi call and ~2 µs per XSS call on a 60-byte value, ~60-70 µs on 16 KB (docs/waf-engine.md).

HIGH sensitivity (AWS: "more attacks detected, more false positives") adds one RE2 pass to libinjection's
answer: a SQL comment right after a quote break, a bare tautology (``1=1``, ``'a'='a'``), well-known SQL
functions used for probing (``sleep(``, ``benchmark(``, ``char(``, ``concat(``, ``load_file(``...),
``information_schema`` / system catalog references, and ``0x`` hex literals following an operator.
"""

from __future__ import annotations

import ctypes
import ctypes.util

import re2

LIBRARY = "libmodsecurity.so.3"


def _load() -> ctypes.CDLL:
    try:
        return ctypes.CDLL(ctypes.util.find_library("modsecurity") or LIBRARY)
    except OSError as exc:  # the runtime's Debian dependency is missing
        raise ImportError(
            f"libinjection is loaded from {LIBRARY} (Debian package libmodsecurity3): install it with "
            "`apt-get install libmodsecurity3` (scripts/system-deps.sh --runtime does)"
        ) from exc


_LIB = _load()

_sqli = _LIB.libinjection_sqli
_sqli.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p]
_sqli.restype = ctypes.c_int

_xss = _LIB.libinjection_xss
_xss.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
_xss.restype = ctypes.c_int

_version = _LIB.libinjection_version
_version.argtypes = []
_version.restype = ctypes.c_char_p

LIBINJECTION_VERSION: str = (_version() or b"").decode("ascii")

# libinjection writes at most 8 fingerprint characters and a NUL; the buffer is per call (thread safety).
_FP_SIZE = 16
# libinjection 3.9.2 has reported over-reads of a few bytes past the end of its input (in the XSS tokenizer, on a
# trailing incomplete tag or entity). The length passed stays the input's, but the buffer carries NUL padding so
# such a read stays inside memory we own and sees the same bytes every time (a deterministic verdict).
_PAD = b"\0" * 64


def sqli_fingerprint(data: bytes) -> str | None:
    """libinjection's fingerprint when ``data`` is SQL injection (``s&1c`` for ``' or 1=1--``), else None."""
    fp = ctypes.create_string_buffer(_FP_SIZE)
    if _sqli(data + _PAD, len(data), fp):
        return fp.value.decode("ascii", "replace")
    return None


_HIGH = re2.compile(
    r"(?i)(?:['\"`]\s*(?:--|#|/\*)|\b(\d+)\s*=\s*\d+\b|'([^']*)'\s*=\s*'|"
    r"\b(?:sleep|benchmark|pg_sleep|char|chr|concat|concat_ws|load_file|extractvalue|updatexml|group_concat)\s*\(|"
    r"information_schema|\bsysobjects\b|\bpg_catalog\b|\bmysql\.user\b|[=<>(,]\s*0x[0-9a-f]+)"
)


def is_sqli(data: bytes, high: bool = False) -> bool:
    if sqli_fingerprint(data) is not None:
        return True
    # RE2 over bytes in Latin-1 mode would need options; the text form keeps every byte as one code point
    return bool(high and _HIGH.search(data.decode("latin-1")))


def is_xss(data: bytes) -> bool:
    """libinjection's HTML5 tokenizer in its five starting contexts (text, unquoted / single / double / back-quoted
    attribute value): script-capable tags, event-handler attributes, script URLs in attributes."""
    return bool(_xss(data + _PAD, len(data)))
