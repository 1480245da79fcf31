"""Engine-internal fields for the managed rule groups' content only (never accepted from a customer's rules).

``ManagedArgs`` reads a request's arguments the way ModSecurity's ARGS / ARGS_NAMES do, which AWS's public fields
cannot express: each query argument's name and value separately (AWS has no "all argument names" field; the whole
QueryString exposes the ``&``/``=`` syntax to patterns), and each body argument by the body's Content-Type —
form fields, JSON keys and values, multipart form fields (file parts contribute their file name, not their
content), XML text nodes and attribute values — or the raw body for any other type. Values are raw: the content's
transformations decode them.

``Source: RAW_BODY`` is ModSecurity's REQUEST_BODY: the raw body, unless a JSON / XML / multipart body processor
consumed it.

The compiler accepts it only while ``MANAGED_CONTENT`` is set, which the engine does when it compiles a managed
group's rules; the wafv2 API validates customer rules against AWS's model first, so it never reaches here.
"""

from __future__ import annotations

import json
import re
from contextvars import ContextVar

from strongroom.waf.request import WafRequest

MANAGED_CONTENT: ContextVar[bool] = ContextVar("waf_managed_content", default=False)

Values = list[bytes] | bool

_BOUNDARY = re.compile(r'boundary="?([^";,]+)"?', re.I)
_DISPOSITION = re.compile(rb'(?i)content-disposition:[^\r\n]*?\bname="([^"]*)"(?:[^\r\n]*?\bfilename="([^"]*)")?')


def _form_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    out: list[tuple[bytes, bytes]] = []
    for part in data.split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            out.append((name, value))
    return out


def _json_pairs(node: object, out: list[tuple[bytes, bytes]], key: bytes = b"") -> None:
    # each key once, each scalar once (with its own key when it has one)
    if isinstance(node, dict):
        for k, v in node.items():
            kb = str(k).encode("utf-8", "surrogateescape")
            if isinstance(v, (dict, list)):
                out.append((kb, b""))
                _json_pairs(v, out)
            else:
                _json_pairs(v, out, kb)
    elif isinstance(node, list):
        for v in node:
            _json_pairs(v, out)
    else:
        text = node if isinstance(node, str) else json.dumps(node)
        out.append((key, text.encode("utf-8", "surrogateescape")))


def _multipart_pairs(data: bytes, boundary: bytes) -> list[tuple[bytes, bytes]] | None:
    out: list[tuple[bytes, bytes]] = []
    parts = data.split(b"--" + boundary)
    if len(parts) < 2:
        return None
    for part in parts[1:]:
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, content = part.partition(b"\n\n")
        if not sep:
            continue
        m = _DISPOSITION.search(head)
        if m is None:
            out.append((b"", content))
            continue
        name, filename = m.group(1), m.group(2)
        if content.endswith(b"\r\n"):
            content = content[:-2]
        # a file part: its name and file name are arguments (ARGS / FILES_NAMES), its content is not
        out.append((name, filename if filename is not None else content))
    return out


_XML_TAG = re.compile(rb"<[^<>]*>")  # [^<>]: a run of "<" without ">" stays linear
_XML_ATTR = re.compile(rb"""[\s][\w:.-]+\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _xml_pairs(data: bytes) -> list[tuple[bytes, bytes]]:
    """ModSecurity's XML:/* (text nodes) and XML://@* (attribute values), without building a document: a tag
    scanner, linear and immune to entity expansion."""
    out: list[tuple[bytes, bytes]] = []
    pos = 0
    for m in _XML_TAG.finditer(data):
        text = data[pos : m.start()].strip()
        if text:
            out.append((b"", text))
        for a in _XML_ATTR.finditer(m.group(0)):
            out.append((b"", a.group(1) if a.group(1) is not None else a.group(2)))
        pos = m.end()
    tail = data[pos:].strip()
    if tail:
        out.append((b"", tail))
    return out


def body_pairs(req: WafRequest, data: bytes) -> list[tuple[bytes, bytes]]:
    ctype = (req.header_values("content-type") or [""])[0]
    low = ctype.lower()
    if "multipart/form-data" in low:
        m = _BOUNDARY.search(ctype)
        got = _multipart_pairs(data, m.group(1).encode("latin-1", "replace")) if m else None
        if got is not None:
            return got
    elif "json" in low:
        out: list[tuple[bytes, bytes]] = []
        try:
            _json_pairs(json.loads(data), out)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # invalid, or nested past Python's recursion limit (hostile input): inspect the raw text
            return [(b"", data)]
        return out
    elif "x-www-form-urlencoded" in low:
        return _form_pairs(data)
    elif "xml" in low:
        return _xml_pairs(data)
    return [(b"", data)]


def compile_managed_args(cfg: dict) -> object:
    source = cfg.get("Source", "QUERY")
    scope = cfg.get("Scope", "ALL")
    keys, values = scope in ("ALL", "KEY"), scope in ("ALL", "VALUE")

    def extract(r: WafRequest, limit: int) -> Values:
        if source == "QUERY":
            pairs = _form_pairs(r.query_string.encode("utf-8", "surrogateescape"))
        elif source == "RAW_BODY":
            # ModSecurity's REQUEST_BODY: the raw body unless a structured body processor (JSON, XML, multipart)
            # took it (CRS forces the variable for other types)
            low = (r.header_values("content-type") or [""])[0].lower()
            structured = any(t in low for t in ("json", "xml", "multipart/form-data"))
            return [] if structured else [r.body[:limit]]
        else:
            data = r.body[:limit]
            if not data:
                return []
            pairs = body_pairs(r, data)
        out: list[bytes] = []
        for name, value in pairs:
            if keys and name:
                out.append(name)
            if values and (value or not keys):
                out.append(value)
        return out

    return extract
