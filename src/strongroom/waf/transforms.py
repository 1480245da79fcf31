"""AWS WAF's 21 text transformations, on bytes, as ModSecurity's ``t:`` functions define them.

AWS documents each as equivalent to the ModSecurity transformation of the same idea, so the edge cases
(invalid escapes left as they are, unterminated comments, full-width ASCII in %u escapes) follow
ModSecurity's reference manual. All are single left-to-right passes: linear in the input.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable

Transform = Callable[[bytes], bytes]

_HEX = b"0123456789abcdefABCDEF"
_WS = b" \t\n\r\f\v\xa0"


def _is_hex(b: int) -> bool:
    return b in _HEX


def _fullwidth_low_byte(code: int) -> int:
    # ModSecurity: full-width ASCII (U+FF01..U+FF5E) maps to its ASCII twin; otherwise only the low byte.
    if 0xFF01 <= code <= 0xFF5E:
        return code - 0xFEE0
    return code & 0xFF


def none(data: bytes) -> bytes:
    return data


_WS_RUN = re.compile(rb"[ \t\n\r\f\v\xa0]+")
_WS_CHANGE = re.compile(rb"[\t\n\r\f\v\xa0]|  ")


def compress_white_space(data: bytes) -> bytes:
    if not _WS_CHANGE.search(data):
        return data  # every run is already one space
    return _WS_RUN.sub(b" ", data)


_ENTITIES = {b"quot": b'"', b"amp": b"&", b"lt": b"<", b"gt": b">", b"nbsp": b"\xa0"}
_ENTITY_RE = re.compile(rb"&(?:#[xX]([0-9a-fA-F]{1,8});?|#([0-9]{1,10});?|(quot|amp|lt|gt|nbsp);)")


def html_entity_decode(data: bytes) -> bytes:
    if b"&" not in data:
        return data

    def repl(m: re.Match[bytes]) -> bytes:
        if m.group(1) is not None:
            return bytes([int(m.group(1), 16) & 0xFF])
        if m.group(2) is not None:
            return bytes([int(m.group(2)) & 0xFF])
        return _ENTITIES[m.group(3)]

    return _ENTITY_RE.sub(repl, data)


def lowercase(data: bytes) -> bytes:
    low = data.lower()
    # the input object itself when nothing changed: the engine's caches recognise unchanged values by identity
    return data if low == data else low


_CMD_SEP = re.compile(rb"[ \t\n\r\f\v,;]+")
_CMD_BEFORE = re.compile(rb" (?=[/(])")


def cmd_line(data: bytes) -> bytes:
    # ModSecurity t:cmdLine: drop \\ " ' ^, ',' and ';' become a space, whitespace runs become one
    # space, spaces before '/' or '(' are removed, then lowercase. Three C-speed passes.
    data = _CMD_SEP.sub(b" ", data.translate(None, b"\\\"'^"))
    return lowercase(_CMD_BEFORE.sub(b"", data))


_PCT = re.compile(rb"%([0-9a-fA-F]{2})")


def url_decode(data: bytes) -> bytes:
    # '+' first: a decoded %2B must stay '+'. The regex engine keeps this one pass at C speed.
    if b"%" not in data:
        return data.replace(b"+", b" ")
    return _PCT.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"+", b" "))


_PCT_UNI = re.compile(rb"%(?:[uU]([0-9a-fA-F]{4})|([0-9a-fA-F]{2}))")


def _pct_uni(m: re.Match[bytes]) -> bytes:
    if m.group(1) is not None:
        return bytes([_fullwidth_low_byte(int(m.group(1), 16))])
    return bytes([int(m.group(2), 16)])


def url_decode_uni(data: bytes) -> bytes:
    # '+' first (a decoded %2B stays '+'), then %uHHHH before %HH, left to right, as one C-speed pass
    data = data.replace(b"+", b" ")
    return _PCT_UNI.sub(_pct_uni, data) if b"%" in data else data


_B64_STRICT = re.compile(rb"[A-Za-z0-9+/]*")


def base64_decode(data: bytes) -> bytes:
    # t:base64Decode decodes the leading run of Base64 characters; padding is optional.
    run = _B64_STRICT.match(data)
    chunk = run.group(0) if run else b""
    return _b64(chunk)


def base64_decode_ext(data: bytes) -> bytes:
    # t:base64DecodeExt is forgiving: characters outside the alphabet ('.', '-', whitespace...) are skipped.
    chunk = bytes(b for b in data if b in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    return _b64(chunk)


def _b64(chunk: bytes) -> bytes:
    chunk = chunk[: len(chunk) - (len(chunk) % 4 == 1)]  # a lone trailing sextet carries no byte
    try:
        return base64.b64decode(chunk + b"=" * (-len(chunk) % 4))
    except binascii.Error:
        return b""


def hex_decode(data: bytes) -> bytes:
    out = bytearray()
    for i in range(0, len(data) - 1, 2):
        pair = data[i : i + 2]
        if _is_hex(pair[0]) and _is_hex(pair[1]):
            out.append(int(pair, 16))
    return bytes(out)


def md5(data: bytes) -> bytes:
    return hashlib.md5(data, usedforsecurity=False).digest()


def replace_comments(data: bytes) -> bytes:
    if b"/*" not in data:
        return data  # nothing opens a comment (a lone "*/" stays)
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        if data[i] == 0x2F and i + 1 < n and data[i + 1] == 0x2A:
            end = data.find(b"*/", i + 2)
            out.append(0x20)
            if end < 0:
                break  # an unterminated comment is replaced too
            i = end + 2
            continue
        out.append(data[i])
        i += 1
    return bytes(out)


_C_ESC = {ord("a"): 7, ord("b"): 8, ord("f"): 12, ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("v"): 11}


def escape_seq_decode(data: bytes) -> bytes:
    if b"\\" not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x5C and i + 1 < n:
            c = data[i + 1]
            if c in _C_ESC:
                out.append(_C_ESC[c])
                i += 2
                continue
            if c in b"\\?'\"":
                out.append(c)
                i += 2
                continue
            if c in b"xX" and i + 3 < n and _is_hex(data[i + 2]) and _is_hex(data[i + 3]):
                out.append(int(data[i + 2 : i + 4], 16))
                i += 4
                continue
            if 0x30 <= c <= 0x37:
                j = i + 1
                while j < n and j < i + 4 and 0x30 <= data[j] <= 0x37:
                    j += 1
                out.append(int(data[i + 1 : j], 8) & 0xFF)
                i = j
                continue
        out.append(b)
        i += 1
    return bytes(out)


_SQL_HEX = re.compile(rb"0x((?:[0-9a-fA-F]{2})+)")


def sql_hex_decode(data: bytes) -> bytes:
    return _SQL_HEX.sub(lambda m: bytes.fromhex(m.group(1).decode()), data)


def css_decode(data: bytes) -> bytes:
    if b"\\" not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b != 0x5C or i + 1 >= n:
            out.append(b)
            i += 1
            continue
        j = i + 1
        while j < n and j < i + 7 and _is_hex(data[j]):
            j += 1
        if j > i + 1:
            out.append(_fullwidth_low_byte(int(data[i + 1 : j], 16)))
            if j < n and data[j] in b" \t\n\r\f":
                j += 1  # one whitespace terminates the escape and is consumed
            i = j
            continue
        if data[i + 1] == 0x0A:
            i += 2  # an escaped newline is a line continuation
            continue
        out.append(data[i + 1])
        i += 2
    return bytes(out)


def js_decode(data: bytes) -> bytes:
    if b"\\" not in data:
        return data
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b != 0x5C or i + 1 >= n:
            out.append(b)
            i += 1
            continue
        c = data[i + 1]
        if c in b"uU" and i + 5 < n and all(_is_hex(x) for x in data[i + 2 : i + 6]):
            out.append(_fullwidth_low_byte(int(data[i + 2 : i + 6], 16)))
            i += 6
        elif c in b"xX" and i + 3 < n and _is_hex(data[i + 2]) and _is_hex(data[i + 3]):
            out.append(int(data[i + 2 : i + 4], 16))
            i += 4
        elif 0x30 <= c <= 0x37:
            j = i + 1
            while j < n and j < i + 4 and 0x30 <= data[j] <= 0x37:
                j += 1
            out.append(int(data[i + 1 : j], 8) & 0xFF)
            i = j
        elif c in _C_ESC:
            out.append(_C_ESC[c])
            i += 2
        else:
            out.append(c)  # \c is c
            i += 2
    return bytes(out)


def normalize_path(data: bytes) -> bytes:
    if not data:
        return data
    if b"//" not in data and b"/." not in data and not data.startswith(b"."):
        # no empty segment inside, no "." / ".." segment (after a "/" or at the start): already normal
        return data
    absolute = data.startswith(b"/")
    trailing = data.endswith(b"/") or data.endswith(b"/.") or data.endswith(b"/..")
    parts: list[bytes] = []
    for seg in data.split(b"/"):
        if seg in (b"", b"."):
            continue
        if seg == b"..":
            if parts and parts[-1] != b"..":
                parts.pop()
            elif not absolute:
                parts.append(seg)  # back-references at the beginning of a relative path stay
            continue
        parts.append(seg)
    path = b"/".join(parts)
    if absolute:
        path = b"/" + path
    if trailing and path and not path.endswith(b"/"):
        path += b"/"
    return path


def normalize_path_win(data: bytes) -> bytes:
    return normalize_path(data.replace(b"\\", b"/"))


def remove_nulls(data: bytes) -> bytes:
    return data.replace(b"\x00", b"")


def replace_nulls(data: bytes) -> bytes:
    return data.replace(b"\x00", b" ")


def utf8_to_unicode(data: bytes) -> bytes:
    if data.isascii():
        return data
    # ModSecurity t:utf8toUnicode: each valid multi-byte UTF-8 sequence becomes %uHHHH; invalid bytes stay.
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        size = 2 if 0xC2 <= b <= 0xDF else 3 if 0xE0 <= b <= 0xEF else 4 if 0xF0 <= b <= 0xF4 else 0
        if size and i + size <= n:
            try:
                ch = data[i : i + size].decode("utf-8")
            except UnicodeDecodeError:
                ch = ""
            if len(ch) == 1:
                out += b"%%u%04x" % ord(ch)
                i += size
                continue
        out.append(b)
        i += 1
    return bytes(out)


TRANSFORMS: dict[str, Transform] = {
    "NONE": none,
    "COMPRESS_WHITE_SPACE": compress_white_space,
    "HTML_ENTITY_DECODE": html_entity_decode,
    "LOWERCASE": lowercase,
    "CMD_LINE": cmd_line,
    "URL_DECODE": url_decode,
    "BASE64_DECODE": base64_decode,
    "HEX_DECODE": hex_decode,
    "MD5": md5,
    "REPLACE_COMMENTS": replace_comments,
    "ESCAPE_SEQ_DECODE": escape_seq_decode,
    "SQL_HEX_DECODE": sql_hex_decode,
    "CSS_DECODE": css_decode,
    "JS_DECODE": js_decode,
    "NORMALIZE_PATH": normalize_path,
    "NORMALIZE_PATH_WIN": normalize_path_win,
    "REMOVE_NULLS": remove_nulls,
    "REPLACE_NULLS": replace_nulls,
    "BASE64_DECODE_EXT": base64_decode_ext,
    "URL_DECODE_UNI": url_decode_uni,
    "UTF8_TO_UNICODE": utf8_to_unicode,
}


# What can make a transformation change a value: absent from a value, the transformation returns it unchanged
# (each fast path above, and for the rest their definition). A value whose bytes carry none of a whole chain's
# triggers passes the chain unchanged (each step leaves it as it is, so the next sees the same bytes); the engine
# then skips the chain. Conservative by construction: a trigger present only means "compute".
UPPER, PCT, AMP, BSL, NONASCII, NUL, WS, COMMENT, PATH, CMD, ALWAYS = (1 << i for i in range(11))
# internal: a space, a slash (the bytes every multi-byte trigger starts with)
_SPACE, _SLASH = 1 << 11, 1 << 12
TRIGGERS: dict[Transform, int] = {
    none: 0,
    lowercase: UPPER,
    url_decode: PCT,
    url_decode_uni: PCT,
    html_entity_decode: AMP,
    js_decode: BSL,
    css_decode: BSL,
    escape_seq_decode: BSL,
    utf8_to_unicode: NONASCII,
    remove_nulls: NUL,
    replace_nulls: NUL,
    compress_white_space: WS,
    replace_comments: COMMENT,
    normalize_path: PATH,
    normalize_path_win: PATH | BSL,
    cmd_line: BSL | CMD | WS | UPPER,
}


def _class_table() -> tuple[bytes, bytes, dict[int, int]]:
    # each single-byte trigger maps to its class's byte (translate), every other byte is deleted
    classes: dict[int, int] = {}
    table = bytearray(range(256))
    for b in range(256):
        if 0x41 <= b <= 0x5A:
            classes[b] = UPPER
        elif b in b"%+":
            classes[b] = PCT
        elif b == 0x26:
            classes[b] = AMP
        elif b == 0x5C:
            classes[b] = BSL
        elif b == 0:
            classes[b] = NUL
        elif b in b"\t\n\r\f\v":
            classes[b] = WS
        elif b in b"\"'^,;":
            classes[b] = CMD
        elif b == 0xA0:
            classes[b] = NONASCII | WS
        elif b >= 0x80:
            classes[b] = NONASCII
        elif b == 0x20:
            classes[b] = _SPACE
        elif b == 0x2F:
            classes[b] = _SLASH
    # one representative byte per class, so the translated bytes hold at most a handful of distinct values
    first: dict[int, int] = {}
    for b, cls in classes.items():
        table[b] = first.setdefault(cls, b)
    delete = bytes(b for b in range(256) if b not in classes)
    return bytes(table), delete, {b: classes[b] for b in first.values()}


_TABLE, _DELETE, _CLASSES = _class_table()


_VALUE_SIGS: dict[bytes, int] = {}
VALUE_SIG_ENTRIES = 4096
VALUE_SIG_BYTES = 256


def _value_signature(v: bytes) -> int:
    # ALWAYS: a transformation without a cheap test (Base64, hex, MD5, SQL hex) runs on every value
    sig = ALWAYS
    found = v.translate(_TABLE, _DELETE)
    if found:
        for b in set(found):
            sig |= _CLASSES[b]
        # the multi-byte triggers, looked for only when their first byte is there
        if sig & _SPACE:
            if b"  " in v:
                sig |= WS
            if b" /" in v or b" (" in v:
                sig |= CMD
        if sig & _SLASH:
            if b"/*" in v:
                sig |= COMMENT
            if b"//" in v or b"/." in v:
                sig |= PATH
        sig &= ~(_SPACE | _SLASH)
    if v[:1] == b".":
        sig |= PATH
    return sig


def value_signature(v: bytes) -> int:
    """The triggers present in one value: a pure function of its bytes, so a value seen before (a browser's
    headers, common words) is answered from a bounded table."""
    sig = _VALUE_SIGS.get(v)
    if sig is None:
        sig = _value_signature(v)
        if len(v) <= VALUE_SIG_BYTES:
            if len(_VALUE_SIGS) >= VALUE_SIG_ENTRIES:
                _VALUE_SIGS.clear()
            _VALUE_SIGS[v] = sig
    return sig


def signature(values: list[bytes]) -> int:
    """The triggers present in any of the values (no trigger spans two values, so the union of theirs)."""
    sig = 0
    for v in values:
        sig |= value_signature(v)
    return sig


def by_signature(values: list[bytes]) -> tuple[int, dict[int, list[bytes]]]:
    """The field's signature and its values grouped by their own signature (in order within a group): a value
    without a chain's triggers skips the chain even when another value of the field has them."""
    field = 0
    groups: dict[int, list[bytes]] = {}
    for v in values:
        sig = value_signature(v)
        field |= sig
        group = groups.get(sig)
        if group is None:
            groups[sig] = [v]
        else:
            group.append(v)
    return field, groups


def triggers(chain: list[Transform]) -> int:
    """What could make the chain change a value (ALWAYS for transformations without a cheap test)."""
    out = 0
    for fn in chain:
        out |= TRIGGERS.get(fn, ALWAYS)
    return out


def compile_transforms(spec: list[dict]) -> list[Transform]:
    """TextTransformations sorted by Priority (lowest first), as AWS applies them."""
    ordered = sorted(spec, key=lambda t: int(t.get("Priority", 0)))
    out: list[Transform] = []
    for t in ordered:
        kind = t.get("Type", "NONE")
        if kind not in TRANSFORMS:
            raise ValueError(f"unknown text transformation {kind}")
        out.append(TRANSFORMS[kind])
    return out


def apply(chain: list[Transform], data: bytes) -> bytes:
    for fn in chain:
        data = fn(data)
    return data
