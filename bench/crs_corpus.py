"""The OWASP CRS 3.3.4 regression corpus (python-ftw YAML) as plain cases the WAF engine can replay.

The corpus lives outside the repository (a copy of CRS's tests/regression/tests; its SOURCE.md describes it):
one YAML per CRS rule, ``tests[].stages[].stage`` with an ``input`` (method, uri, version, headers, data, or a
whole ``raw_request`` / base64 ``encoded_request``) and an ``output`` that says what ModSecurity should do:
``log_contains: id "942100"`` (the rule fires: a positive), ``no_log_contains`` (it must not: a negative), or
only a ``status`` / ``expect_error`` for requests an HTTP server itself refuses (malformed request lines).

``load_cases`` turns every stage into a frozen ``CrsCase``; ``to_waf_request`` builds the engine's ``WafRequest``
the way python-ftw would have put the request on the wire (list ``data`` joined with CRLF, a form Content-Type
and a Content-Length added unless ``stop_magic``), or parses the raw request when the case gives one.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from strongroom.waf.request import WafRequest

_ID = re.compile(r'id\s*"?(\d{6})')


@dataclass(frozen=True)
class CrsCase:
    test_title: str
    rule_id: str  # the CRS rule the case is about ("942100")
    file: str  # the corpus directory it comes from, e.g. "REQUEST-942-APPLICATION-ATTACK-SQLI"
    positive: bool  # True: the request is an attack the rule must catch (or a server must refuse)
    method: str
    uri: str
    version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    raw: bytes | None  # the raw request bytes when the case gives raw_request / encoded_request
    status_only: bool = False  # judged only by an HTTP status (malformed requests a server refuses), not a log line
    expected_status: tuple[int, ...] = ()


def _text_bytes(value: str) -> bytes:
    # YAML "\xNN" escapes decode to code points < 256: those are bytes on the wire.
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _as_str(value: Any) -> str:
    return "" if value is None else str(value)


def _build_body(data: Any) -> bytes:
    if data is None:
        return b""
    if isinstance(data, list):
        # python-ftw joins list data with CRLF
        return _text_bytes("\r\n".join(_as_str(x) for x in data))
    return _text_bytes(_as_str(data))


def _judge(output: dict[str, Any]) -> tuple[bool, bool, tuple[int, ...], str | None]:
    """-> (positive, status_only, expected statuses, rule id named by the output)."""
    log = output.get("log_contains")
    nolog = output.get("no_log_contains")
    status = output.get("status")
    statuses: tuple[int, ...] = ()
    if isinstance(status, list):
        statuses = tuple(int(s) for s in status)
    elif status is not None:
        statuses = (int(status),)
    if log:
        m = _ID.search(str(log))
        return True, False, statuses, m.group(1) if m else None
    if nolog:
        m = _ID.search(str(nolog))
        return False, False, statuses, m.group(1) if m else None
    if output.get("expect_error"):
        return True, True, statuses, None
    # status only: a refusal expected (403/400) and a 200 not allowed -> the request must not pass
    refused = bool(statuses) and 200 not in statuses
    return refused, True, statuses, None


def load_cases(root: Path) -> list[CrsCase]:
    cases: list[CrsCase] = []
    for path in sorted(root.rglob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8", errors="surrogateescape"))
        if not isinstance(doc, dict):
            continue
        meta = doc.get("meta") or {}
        if meta.get("enabled") is False:
            continue
        file = path.parent.name
        for test in doc.get("tests") or []:
            title = str(test.get("test_title", path.stem))
            stages = test.get("stages") or []
            for n, wrapper in enumerate(stages, start=1):
                stage = wrapper.get("stage", wrapper) if isinstance(wrapper, dict) else {}
                inp = stage.get("input") or {}
                out = stage.get("output") or {}
                positive, status_only, statuses, named = _judge(out)
                rule_id = named or title.split("-", 1)[0] or path.stem
                headers_in = inp.get("headers") or {}
                headers = tuple((str(k), _as_str(v)) for k, v in headers_in.items())
                body = _build_body(inp.get("data"))
                method = _as_str(inp.get("method", "GET")) if "method" in inp else "GET"
                uri = _as_str(inp.get("uri", "/")) if "uri" in inp else "/"
                version = _as_str(inp.get("version", "HTTP/1.1")) if "version" in inp else "HTTP/1.1"
                if not inp.get("stop_magic"):
                    names = {k.lower() for k, _ in headers}
                    if body and "content-type" not in names:
                        headers += (("Content-Type", "application/x-www-form-urlencoded"),)
                    if body and "content-length" not in names:
                        headers += (("Content-Length", str(len(body))),)
                raw: bytes | None = None
                if inp.get("encoded_request"):
                    raw = base64.b64decode(str(inp["encoded_request"]))
                elif inp.get("raw_request"):
                    rr = inp["raw_request"]
                    # python-ftw sends a raw_request string UTF-8 encoded (944200's "raw" case is a negative while
                    # its base64 twin, the exact bytes, is a positive)
                    text = "\r\n".join(map(_as_str, rr)) if isinstance(rr, list) else _as_str(rr)
                    raw = text.encode("utf-8", "surrogateescape")
                cases.append(
                    CrsCase(
                        test_title=title if len(stages) == 1 else f"{title}/{n}",
                        rule_id=rule_id,
                        file=file,
                        positive=positive,
                        method=method,
                        uri=uri,
                        version=version,
                        headers=headers,
                        body=body,
                        raw=raw,
                        status_only=status_only,
                        expected_status=statuses,
                    )
                )
    return cases


def _split_uri(uri: str) -> tuple[str, str, str | None]:
    rest, hash_, fragment = uri.partition("#")
    path, _, query = rest.partition("?")
    return path, query, fragment if hash_ else None


def _parse_raw(raw: bytes) -> tuple[str, str, str, tuple[tuple[str, str], ...], bytes]:
    # Tolerant: bare LF line ends and junk request lines exist in the corpus on purpose.
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    parts = lines[0].split(" ") if lines else []
    method = parts[0] if parts else "GET"
    uri = parts[1] if len(parts) > 1 else "/"
    version = " ".join(parts[2:]) if len(parts) > 2 else ""
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip(), value.strip()))
    return method, uri, version, tuple(headers), body


def to_waf_request(case: CrsCase) -> WafRequest:
    if case.raw is not None:
        method, uri, version, headers, body = _parse_raw(case.raw)
    else:
        method, uri, version, headers, body = case.method, case.uri, case.version, case.headers, case.body
    path, query, fragment = _split_uri(uri)
    return WafRequest(
        method=method,
        uri_path=path,
        query_string=query,
        headers=headers,
        body=body,
        http_version=version,
        uri_fragment=fragment,
        request_id=case.test_title,
    )
