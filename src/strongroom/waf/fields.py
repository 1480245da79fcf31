"""FieldToMatch: which part of the request a statement inspects, with AWS's size limits and fallbacks.

An extractor answers either the list of values to inspect (a statement matches if any value matches) or a
forced verdict (True/False) when an oversize or invalid-content fallback decides the match without inspection.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from strongroom.waf import managed_fields
from strongroom.waf.request import WafRequest

Values = list[bytes] | bool
Extractor = Callable[[WafRequest, int], Values]  # (request, body inspection limit)

MAX_HEADERS = 200  # AWS inspects the first 200 headers / cookies ...
MAX_HEADER_BYTES = 8 * 1024  # ... and the first 8 KB of them


class FieldError(ValueError):
    pass


def _b(s: str) -> bytes:
    return s.encode("utf-8", "surrogateescape")


def _oversize(handling: str) -> Values | None:
    if handling == "MATCH":
        return True
    if handling == "NO_MATCH":
        return False
    return None  # CONTINUE: inspect what is within the limit


def _body(req: WafRequest, limit: int) -> tuple[bytes, bool]:
    return req.body[:limit], req.original_body_length > limit


def _scoped(pairs: list[tuple[str, str]], scope: str) -> list[bytes]:
    out: list[bytes] = []
    for name, value in pairs:
        if scope in ("ALL", "KEY"):
            out.append(_b(name))
        if scope in ("ALL", "VALUE"):
            out.append(_b(value))
    return out


def _pattern_filter(spec: dict, case_insensitive: bool) -> Callable[[str], bool]:
    pattern = spec.get("MatchPattern", {})
    norm: Callable[[str], str] = (lambda s: s.lower()) if case_insensitive else (lambda s: s)
    if "All" in pattern:
        return lambda _n: True
    for key, keep in (
        ("IncludedHeaders", True),
        ("IncludedCookies", True),
        ("ExcludedHeaders", False),
        ("ExcludedCookies", False),
    ):
        if key in pattern:
            return _name_filter({norm(n) for n in pattern[key]}, keep, norm)
    raise FieldError("MatchPattern needs All, Included... or Excluded...")


def _name_filter(names: set[str], keep: bool, norm: Callable[[str], str]) -> Callable[[str], bool]:
    return lambda n: (norm(n) in names) == keep


def _limited(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], bool]:
    kept: list[tuple[str, str]] = []
    size = 0
    for name, value in pairs:
        size += len(name) + len(value) + 4
        if len(kept) >= MAX_HEADERS or size > MAX_HEADER_BYTES:
            return kept, True
        kept.append((name, value))
    return kept, False


def _limited_headers(r: WafRequest) -> tuple[list[tuple[str, str]], bool]:
    got = r.memo.get("headers")
    if got is None:
        got = r.memo["headers"] = _limited(list(r.headers))
    return got


def _limited_cookies(r: WafRequest) -> tuple[list[tuple[str, str]], bool]:
    got = r.memo.get("cookies")
    if got is None:
        got = r.memo["cookies"] = _limited(r.cookies())
    return got


def _header_bytes(r: WafRequest) -> dict[str, list[bytes]]:
    """Every header's values by lowercase name, encoded once per request (SingleHeader statements share it)."""
    got = r.memo.get("header_bytes")
    if got is None:
        index: dict[str, list[bytes]] = {}
        for k, v in r.headers:
            index.setdefault(k.lower(), []).append(_b(v))
        got = r.memo["header_bytes"] = index
    return got


def _json_items(node: Any, pointer: str, scope: str, paths: list[str] | None, out: list[bytes]) -> None:
    included = paths is None or any(pointer == p or pointer.startswith(p.rstrip("/") + "/") for p in paths)
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}"
            child_in = paths is None or any(child == p or child.startswith(p.rstrip("/") + "/") for p in paths)
            if child_in and scope in ("ALL", "KEY"):
                out.append(_b(key))
            _json_items(value, child, scope, paths, out)
    elif isinstance(node, list):
        for idx, value in enumerate(node):
            _json_items(value, f"{pointer}/{idx}", scope, paths, out)
    elif included and scope in ("ALL", "VALUE"):
        out.append(_b(node) if isinstance(node, str) else _b(json.dumps(node)))


def compile_field(spec: dict) -> Extractor:
    if len(spec) != 1:
        raise FieldError("FieldToMatch needs exactly one component")
    ((kind, cfg),) = spec.items()
    cfg = cfg or {}
    if kind == "UriPath":
        return lambda r, _l: [_b(r.uri_path)]
    if kind == "QueryString":
        return lambda r, _l: [_b(r.query_string)]
    if kind == "Method":
        return lambda r, _l: [_b(r.method)]
    if kind == "UriFragment":
        fb = cfg.get("FallbackBehavior")

        def frag(r: WafRequest, _l: int) -> Values:
            if r.uri_fragment is None and fb:
                return fb == "MATCH"
            return [_b(r.uri_fragment or "")]

        return frag
    if kind == "SingleHeader":
        name = cfg["Name"].lower()
        return lambda r, _l: list(_header_bytes(r).get(name, ()))
    if kind == "SingleQueryArgument":
        name = cfg["Name"].lower()
        return lambda r, _l: [_b(v) for k, v in r.query_args() if k.lower() == name]
    if kind == "AllQueryArguments":
        return lambda r, _l: [_b(v) for _k, v in r.query_args()]
    if kind == "Body":
        handling = cfg.get("OversizeHandling", "CONTINUE")

        def body(r: WafRequest, limit: int) -> Values:
            data, over = _body(r, limit)
            forced = _oversize(handling) if over else None
            return forced if forced is not None else [data]

        return body
    if kind == "JsonBody":
        return _json_field(cfg)
    if kind in ("Headers", "Cookies"):
        scope = cfg.get("MatchScope", "ALL")
        keep = _pattern_filter(cfg, case_insensitive=kind == "Headers")
        handling = cfg.get("OversizeHandling", "CONTINUE")
        source = _limited_headers if kind == "Headers" else _limited_cookies
        every = "All" in cfg.get("MatchPattern", {})

        def multi(r: WafRequest, _l: int) -> Values:
            pairs, over = source(r)
            forced = _oversize(handling) if over else None
            if forced is not None:
                return forced
            if every:  # MatchPattern All: one encoding per request for every statement on the same scope
                key = (kind, scope)
                got = r.memo.get(key)
                if got is None:
                    got = r.memo[key] = _scoped(pairs, scope)
                return list(got)
            return _scoped([(n, v) for n, v in pairs if keep(n)], scope)

        return multi
    if kind == "HeaderOrder":
        handling = cfg.get("OversizeHandling", "CONTINUE")

        def order(r: WafRequest, _l: int) -> Values:
            pairs, over = _limited(list(r.headers))
            forced = _oversize(handling) if over else None
            return forced if forced is not None else [_b(":".join(n for n, _v in pairs))]

        return order
    if kind == "ManagedArgs":
        if not managed_fields.MANAGED_CONTENT.get():
            raise FieldError("unsupported FieldToMatch ManagedArgs")
        return managed_fields.compile_managed_args(cfg)  # type: ignore[return-value]
    if kind in ("JA3Fingerprint", "JA4Fingerprint"):
        fb = cfg.get("FallbackBehavior", "NO_MATCH")
        attr = "ja3_fingerprint" if kind == "JA3Fingerprint" else "ja4_fingerprint"

        def tls(r: WafRequest, _l: int) -> Values:
            value = getattr(r, attr)
            return (fb == "MATCH") if value is None else [_b(value)]

        return tls
    raise FieldError(f"unsupported FieldToMatch {kind}")


def _json_field(cfg: dict) -> Extractor:
    pattern = cfg.get("MatchPattern", {})
    paths: list[str] | None = None if "All" in pattern else list(pattern.get("IncludedPaths", []))
    if paths is None and "All" not in pattern:
        raise FieldError("JsonBody MatchPattern needs All or IncludedPaths")
    scope = cfg.get("MatchScope", "ALL")
    invalid = cfg.get("InvalidFallbackBehavior")
    handling = cfg.get("OversizeHandling", "CONTINUE")

    def extract(r: WafRequest, limit: int) -> Values:
        data, over = _body(r, limit)
        forced = _oversize(handling) if over else None
        if forced is not None:
            return forced
        if not data.strip():
            return []  # no body: nothing to inspect, not an invalid document
        try:
            doc = json.loads(data)
            out: list[bytes] = []
            _json_items(doc, "", scope, paths, out)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nesting deeper than Python's stack
            # AWS: without InvalidFallbackBehavior it evaluates what it parsed so far; we have no partial
            # parse, so that case inspects the raw text like EVALUATE_AS_STRING (documented difference).
            if invalid == "MATCH":
                return True
            if invalid == "NO_MATCH":
                return False
            return [data]
        return out

    return extract
