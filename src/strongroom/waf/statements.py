"""Rule statements compiled into predicates over an evaluation context.

Compilation does all the parsing once (regexes into RE2 programs and sets, IP sets into per-prefix-length
hash sets, transformations into function chains); a predicate then only inspects the request.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import re2

from strongroom.waf import detect, managed_fields, transforms
from strongroom.waf import scan as scan_module
from strongroom.waf.context import Ctx, Predicate, WafCompileError, client_ips, label_matches
from strongroom.waf.fields import compile_field
from strongroom.waf.rate import compile_rate
from strongroom.waf.ratelimit import RateCounterStore
from strongroom.waf.scan import FieldChain, PatternIndex, field_signature, raw_values

_RE2_OPTS = re2.Options()
_RE2_OPTS.log_errors = False
# Managed groups merge hundreds of CRS patterns into one set per field. A set's DFA cache is bounded by max_mem
# (RE2 flushes it when full; a set that still cannot make progress answers "no match"), so sets get 4x RE2's
# default: headroom for hostile input, a bounded cost per set (tests compare sets with per-pattern matching).
_SET_OPTS = re2.Options()
_SET_OPTS.log_errors = False
_SET_OPTS.max_mem = 32 << 20
# Managed content comes from ModSecurity, whose PCRE runs without UTF-8 mode: patterns read bytes (a \xAC escape is
# the byte 0xAC). Customer regexes keep AWS's UTF-8 reading.
_BYTE_SET_OPTS = re2.Options()
_BYTE_SET_OPTS.log_errors = False
_BYTE_SET_OPTS.max_mem = 32 << 20
_BYTE_SET_OPTS.encoding = re2.Options.Encoding.LATIN1


def compile_regex(pattern: str) -> Any:
    """AWS's regex dialect: PCRE without backreferences or lookaround. RE2 refuses exactly those (and
    possessive quantifiers / atomic groups), so a pattern RE2 cannot compile is refused as AWS does."""
    try:
        return re2.compile(pattern.encode("utf-8"), _RE2_OPTS)
    except re2.error as exc:
        raise WafCompileError(f"unsupported regex {pattern!r}: {exc}") from None


@dataclass
class Resolvers:
    """How the compiler finds what a statement references by ARN, and the managed rules / rate stores."""

    ip_set: Callable[[str], dict | None]
    regex_pattern_set: Callable[[str], dict | None]
    rule_group: Callable[[str], dict | None]
    rate_store: RateCounterStore
    compile_group: Callable[[dict, str, Resolvers], Predicate]  # (statement, kind, resolvers)
    # every set leaf of the evaluator (waf/scan.py); the evaluator calls index.finish() once all is compiled
    index: PatternIndex = field(default_factory=PatternIndex)


def field_values(spec: dict, detail: str) -> FieldChain:
    """A statement's field and transformation chain; ``values_of`` answers its values, cached per evaluation."""
    field_spec = spec.get("FieldToMatch")
    if field_spec is None:
        raise WafCompileError(f"{detail} needs FieldToMatch")
    extract = compile_field(field_spec)
    # NONE changes nothing: left out, a NONE chain shares the raw field's cache entry
    chain = [t for t in transforms.compile_transforms(spec.get("TextTransformations", [])) if t is not transforms.none]
    # Cache keys for the raw field and for each prefix of the chain: rules that share a field and a leading run of
    # transformations (the managed groups' CRS rules mostly start with URL_DECODE_UNI) extract and decode once.
    field_key = json.dumps(field_spec, sort_keys=True, default=str)
    step_keys = [field_key + "|" + ",".join(t.__name__ for t in chain[: i + 1]) for i in range(len(chain))]
    final = step_keys[-1] if step_keys else field_key
    # the triggers of each prefix of the chain (waf/transforms.py): a leading run of steps the field's values
    # cannot trigger leaves them as extracted
    prefix_triggers = [transforms.triggers(chain[: i + 1]) for i in range(len(chain))]

    if not chain:
        return FieldChain(extract, field_key, (), field_key, lambda ctx: raw_values(ctx, extract, field_key))

    def values_of(ctx: Ctx) -> list[bytes] | bool:
        cache = ctx.transformed
        got = cache.get(final)
        if got is not None:
            return got
        raw = raw_values(ctx, extract, field_key)
        if isinstance(raw, bool):
            return raw
        sig = field_signature(ctx, field_key, raw)
        # steps [0, inert) leave the values as they are; start after them or after the longest cached prefix
        inert = 0
        while inert < len(chain) and not sig & prefix_triggers[inert]:
            inert += 1
        start = len(step_keys) - 1
        while start >= inert and step_keys[start] not in cache:
            start -= 1
        vals: list[bytes] = cache[step_keys[start]] if start >= inert else raw  # type: ignore[assignment]
        for i in range(max(start + 1, inert), len(chain)):
            vals = list(map(chain[i], vals))
            cache[step_keys[i]] = vals
        cache[final] = vals
        return vals

    return FieldChain(extract, field_key, tuple(chain), final, values_of)


def _inspect(spec: dict, test: Callable[[bytes], bool], detail: str, memo_key: str = "") -> Predicate:
    """A statement testing each value; ``memo_key`` names a test whose verdicts the evaluation keeps per value
    (libinjection: ~2-3 us a call, and chains often hand several statements the same bytes)."""
    fc = field_values(spec, detail)
    values_of = fc.values_of
    location = next(iter(spec["FieldToMatch"]))

    if detail not in ("SQL_INJECTION", "XSS"):

        def plain(ctx: Ctx) -> bool:
            values = values_of(ctx)
            if isinstance(values, bool):
                return values
            return any(map(test, values))  # the loop in C: this runs ~100 times per request with managed groups

        return plain

    # raw value -> its transformed bytes when the detector flags them, else None: a pure function of the value
    # (as the field scans' result cache, waf/scan.py), bounded the same way
    results: dict[bytes, bytes | None] = {}
    chain = fc.chain
    prefix_triggers = [transforms.triggers(list(chain[: i + 1])) for i in range(len(chain))]

    def transformed(value: bytes) -> bytes:
        # one value through the chain, from its first step the value's own triggers can make change it (the steps
        # before leave it as it is): transformations map values one to one, so this is its entry of the field's
        sig = transforms.value_signature(value)
        for i, triggers in enumerate(prefix_triggers):
            if sig & triggers:
                for step in chain[i:]:
                    value = step(value)
                break
        return value

    extract, field_key = fc.extract, fc.field_key

    def pred(ctx: Ctx) -> bool:
        raw = ctx.transformed.get(field_key)
        if raw is None:
            raw = raw_values(ctx, extract, field_key)
        if isinstance(raw, bool):
            return raw
        memo = ctx.detections
        for value in raw:
            flagged = results.get(value, _UNKNOWN) if scan_module.RESULT_CACHE else _UNKNOWN
            if flagged is _UNKNOWN:
                data = transformed(value)
                hit = memo.get((memo_key, data))
                if hit is None:
                    hit = memo[(memo_key, data)] = test(data)
                flagged = data if hit else None
                if len(value) <= scan_module.RESULT_CACHE_VALUE_BYTES:
                    if len(results) > scan_module.RESULT_CACHE_ENTRIES:
                        results.clear()
                    results[value] = flagged
            if flagged is not None:
                ctx.match_details.append(
                    {
                        "conditionType": detail,
                        "location": location.upper(),
                        "matchedData": [flagged.decode("latin-1")[:64]],
                    }
                )
                return True
        return False

    return pred


_UNKNOWN: Any = object()


def _search_string(spec: dict) -> bytes:
    raw = spec.get("SearchString", b"")
    if isinstance(raw, bytes):
        return raw
    # the wire (JSON) form of a blob is base64; boto3 hands bytes
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        return str(raw).encode()


# AWS's CONTAINS_WORD: a word character is A-Z, a-z, 0-9 or _ only (bytes past ASCII, Latin-1 letters included, are
# not), as the merged RE2 sets' [^A-Za-z0-9_] boundaries read them too.
_WORD_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")


def _word(b: int) -> bool:
    return b in _WORD_BYTES


def byte_matcher(needle: bytes, position: str) -> Callable[[bytes], bool]:
    if position == "EXACTLY":
        return lambda d: d == needle
    if position == "STARTS_WITH":
        return lambda d: d.startswith(needle)
    if position == "ENDS_WITH":
        return lambda d: d.endswith(needle)
    if position == "CONTAINS":
        return lambda d: needle in d
    if position == "CONTAINS_WORD":

        def word(d: bytes) -> bool:
            start = d.find(needle)
            while start >= 0:
                end = start + len(needle)
                if (start == 0 or not _word(d[start - 1])) and (end == len(d) or not _word(d[end])):
                    return True
                start = d.find(needle, start + 1)
            return False

        return word
    raise WafCompileError(f"unknown PositionalConstraint {position}")


_OPS: dict[str, Callable[[int, int], bool]] = {
    "EQ": lambda a, b: a == b,
    "NE": lambda a, b: a != b,
    "LE": lambda a, b: a <= b,
    "LT": lambda a, b: a < b,
    "GE": lambda a, b: a >= b,
    "GT": lambda a, b: a > b,
}


class CidrSet:
    """IP set lookup: one hash set of network integers per prefix length, probed longest first."""

    def __init__(self, addresses: list[str]) -> None:
        self._by_len: dict[tuple[int, int], set[int]] = {}
        for text in addresses:
            try:
                net = ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise WafCompileError(f"invalid IP set address {text!r}") from None
            self._by_len.setdefault((net.version, net.prefixlen), set()).add(int(net.network_address))
        self._probes = sorted(self._by_len, key=lambda k: -k[1])

    def __contains__(self, ip: str) -> bool:
        try:
            addr = ipaddress.ip_address(ip.strip())
        except ValueError:
            return False
        if addr.version == 6 and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        bits = 32 if addr.version == 4 else 128
        value = int(addr)
        for version, plen in self._probes:
            if version != addr.version:
                continue
            mask = ((1 << plen) - 1) << (bits - plen) if plen else 0
            if value & mask in self._by_len[(version, plen)]:
                return True
        return False


_ANCHORS = {
    "EXACTLY": ("^", "$"),
    "STARTS_WITH": ("^", ""),
    "ENDS_WITH": ("", "$"),
    "CONTAINS": ("", ""),
    "CONTAINS_WORD": ("(?:^|[^A-Za-z0-9_])", "(?:$|[^A-Za-z0-9_])"),
}


def _mergeable(stmt: dict) -> bool:
    """An ASCII ByteMatch can join an RE2 set (non-ASCII bytes would be read as UTF-8 code points)."""
    spec = stmt.get("ByteMatchStatement")
    if spec is None or spec.get("PositionalConstraint", "CONTAINS") not in _ANCHORS:
        return False
    return _search_string(spec).isascii() and bool(_search_string(spec))


def _index_leaf(res: Resolvers, spec: dict, detail: str, options: str, patterns: list[bytes]) -> Predicate:
    """A set leaf: its patterns join the evaluator's one scan of the field (waf/scan.py)."""
    return res.index.leaf(field_values(spec, detail), options, patterns)


def _by_field(stmts: list[dict], kind: str, keep: Callable[[dict], bool]) -> list[list[dict]]:
    by_field: dict[str, list[dict]] = {}
    for stmt in stmts:
        if keep(stmt):
            spec = stmt[kind]
            key = json.dumps([spec["FieldToMatch"], spec.get("TextTransformations", [])], sort_keys=True, default=str)
            by_field.setdefault(key, []).append(spec)
    return list(by_field.values())


def _merge_byte_matches(stmts: list[dict], res: Resolvers) -> list[Predicate]:
    """ByteMatch-heavy Or statements: byte matches on the same field and transformations become RE2 set patterns
    (scanned once with every other set leaf of the field) instead of one pass per search string."""
    out: list[Predicate] = []
    for specs in _by_field(stmts, "ByteMatchStatement", _mergeable):
        if len(specs) == 1:
            test = byte_matcher(_search_string(specs[0]), specs[0].get("PositionalConstraint", "CONTAINS"))
            out.append(res.index.note(_inspect(specs[0], test, "BYTE_MATCH"), pure=True))
            continue
        patterns = []
        for spec in specs:
            head, tail = _ANCHORS[spec.get("PositionalConstraint", "CONTAINS")]
            patterns.append((head + re2.escape(_search_string(spec).decode("ascii")) + tail).encode())
        out.append(_index_leaf(res, specs[0], "BYTE_MATCH", "bytes", patterns))
    return out


def _regex_mergeable(stmt: dict) -> bool:
    return "RegexMatchStatement" in stmt


def _encoded(patterns: tuple[str, ...] | list[str], byte_mode: bool) -> list[bytes]:
    return [p.encode("latin-1") if byte_mode and p.isascii() else p.encode("utf-8") for p in patterns]


def _add_checked(rset: Any, patterns: tuple[str, ...] | list[str], byte_mode: bool) -> None:
    for p, raw in zip(patterns, _encoded(patterns, byte_mode), strict=True):
        try:
            rset.Add(raw)
        except re2.error:
            compile_regex(p)  # raises AWS's refusal for the offending pattern
            raise WafCompileError(f"unsupported regex {p!r}") from None


def _regex_leaf(res: Resolvers, specs: list[dict]) -> Predicate:
    """Regex leaves with one field and chain (one, or an Or's group): parsed now, so a pattern AWS refuses fails
    here, and matched by the field's scan."""
    byte_mode = _byte_mode(specs)
    patterns = [spec["RegexString"] for spec in specs]
    _add_checked(re2.Set.SearchSet(_BYTE_SET_OPTS if byte_mode else _SET_OPTS), patterns, byte_mode)
    return _index_leaf(res, specs[0], "REGEX", "latin1" if byte_mode else "utf8", _encoded(patterns, byte_mode))


def _byte_mode(specs: list[dict]) -> bool:
    """Managed content with ASCII patterns (all of CRS's) reads bytes, as ModSecurity does."""
    return managed_fields.MANAGED_CONTENT.get() and all(spec["RegexString"].isascii() for spec in specs)


def _merge_regex_matches(stmts: list[dict], res: Resolvers) -> list[Predicate]:
    """Regex matches in one Or on the same field and transformations: one leaf of the field's scan, which runs
    every pattern of the field over each distinct transformed value in one pass."""
    out: list[Predicate] = []
    for specs in _by_field(stmts, "RegexMatchStatement", _regex_mergeable):
        if len(specs) == 1:
            compile_regex(specs[0]["RegexString"])  # AWS's refusal for a bad pattern
        out.append(_regex_leaf(res, specs))
    return out


def _all(parts: list[Predicate]) -> Predicate:
    """And, short-circuiting left to right (a plain loop: no generator per evaluation)."""
    if len(parts) == 2:
        first, second = parts
        return lambda c: first(c) and second(c)

    def every(c: Ctx) -> bool:
        for p in parts:  # noqa: SIM110 - all(genexpr) costs a generator per evaluation
            if not p(c):
                return False
        return True

    return every


def _any(parts: list[Predicate]) -> Predicate:
    """Or, short-circuiting left to right."""
    if len(parts) == 2:
        first, second = parts
        return lambda c: first(c) or second(c)

    def some(c: Ctx) -> bool:
        for p in parts:  # noqa: SIM110 - as above
            if p(c):
                return True
        return False

    return some


def compile_statement(stmt: dict, res: Resolvers, namespace: str, rule_name: str = "", top: bool = False) -> Predicate:
    if len(stmt) != 1:
        raise WafCompileError("a Statement holds exactly one statement type")
    ((kind, spec),) = stmt.items()
    if kind == "AndStatement":
        parts = [compile_statement(s, res, namespace, rule_name) for s in spec["Statements"]]
        if len(parts) < 2:
            raise WafCompileError("AndStatement needs at least two statements")
        gate = next((res.index.gates[p] for p in parts if p in res.index.gates), None)  # one part's suffices
        return res.index.note(_all(parts), pure=all(p in res.index.pure for p in parts), gate=gate)
    if kind == "OrStatement":
        if len(spec["Statements"]) < 2:
            raise WafCompileError("OrStatement needs at least two statements")
        # the merged matches first (pure: their order among themselves does not matter), the rest in order
        parts = res.index.merge_any(
            _merge_byte_matches(spec["Statements"], res) + _merge_regex_matches(spec["Statements"], res)
        ) + [
            compile_statement(s, res, namespace, rule_name)
            for s in spec["Statements"]
            if not _mergeable(s) and not _regex_mergeable(s)
        ]
        if len(parts) == 1:
            return parts[0]
        gates = [res.index.gates.get(p) for p in parts]
        return res.index.note(
            _any(parts),
            pure=all(p in res.index.pure for p in parts),
            gate=scan_module.union(gates) if all(g is not None for g in gates) else None,  # type: ignore[arg-type]
        )
    if kind == "NotStatement":
        inner = compile_statement(spec["Statement"], res, namespace, rule_name)
        return res.index.note(lambda c: not inner(c), pure=inner in res.index.pure)
    # the inspecting statements below have no side effect (a SqliMatch / XssMatch's match details are the matching
    # rule's, and reset for every rule)
    if kind == "ByteMatchStatement":
        test = byte_matcher(_search_string(spec), spec.get("PositionalConstraint", "CONTAINS"))
        return res.index.note(_inspect(spec, test, "BYTE_MATCH"), pure=True)
    if kind == "SqliMatchStatement":
        high = spec.get("SensitivityLevel", "LOW") == "HIGH"
        sqli = _inspect(spec, lambda d: detect.is_sqli(d, high), "SQL_INJECTION", f"sqli:{high}")
        return res.index.note(sqli, pure=True)
    if kind == "XssMatchStatement":
        return res.index.note(_inspect(spec, detect.is_xss, "XSS", "xss"), pure=True)
    if kind == "SizeConstraintStatement":
        op, size = _OPS[spec["ComparisonOperator"]], int(spec["Size"])
        return res.index.note(_inspect(spec, lambda d: op(len(d), size), "SIZE"), pure=True)
    if kind == "RegexMatchStatement":
        compile_regex(spec["RegexString"])  # AWS's refusal for a bad pattern
        return _regex_leaf(res, [spec])
    if kind == "RegexPatternSetReferenceStatement":
        pset = res.regex_pattern_set(spec["ARN"])
        if pset is None:
            raise WafCompileError(f"regex pattern set {spec['ARN']} not found")
        patterns = [r["RegexString"] for r in pset.get("RegularExpressionList", [])]
        for p in patterns:
            compile_regex(p)  # refuse what AWS refuses, with a clear message
        rset = re2.Set.SearchSet(_RE2_OPTS)
        for p in patterns:
            rset.Add(p.encode("utf-8"))
        rset.Compile()
        return res.index.note(_inspect(spec, lambda d: bool(patterns) and bool(rset.Match(d)), "REGEX_SET"), pure=True)
    if kind == "LabelMatchStatement":
        key, scope = spec["Key"], spec["Scope"]
        return res.index.note(lambda c: any(label_matches(lbl, key, scope) for lbl in c.labels), pure=True)
    if kind == "IPSetReferenceStatement":
        ipset = res.ip_set(spec["ARN"])
        if ipset is None:
            raise WafCompileError(f"IP set {spec['ARN']} not found")
        cidrs = CidrSet(list(ipset.get("Addresses", [])))
        ips = client_ips(spec, "IPSetForwardedIPConfig", "FIRST")

        def ip_pred(c: Ctx) -> bool:
            got = ips(c.request)
            return got if isinstance(got, bool) else any(ip in cidrs for ip in got)

        return res.index.note(ip_pred, pure=True)
    if kind == "GeoMatchStatement":
        codes = set(spec["CountryCodes"])
        ips = client_ips(spec, "ForwardedIPConfig", "FIRST")
        source = "forwardedip" if spec.get("ForwardedIPConfig") else "clientip"

        def geo(c: Ctx) -> bool:
            got = ips(c.request)
            if isinstance(got, bool):
                return got
            resolve = c.request.country_resolver
            country = resolve(got[0]) if resolve else None
            # AWS labels every request the statement inspects, matched or not: region (ISO 3166-2) and country
            region_of = c.request.region_resolver
            region = region_of(got[0]) if region_of and country else None
            if region:
                c.add_label(f"awswaf:{source}:geo:region:{region}")
            if country:
                c.add_label(f"awswaf:{source}:geo:country:{country}")
            return country in codes

        return geo
    if kind == "AsnMatchStatement":
        asns = {int(a) for a in spec["AsnList"]}
        ips = client_ips(spec, "ForwardedIPConfig", "FIRST")

        def asn(c: Ctx) -> bool:
            got = ips(c.request)
            if isinstance(got, bool):
                return got
            resolve = c.request.asn_resolver
            found = resolve(got[0]) if resolve else None
            # AWS: "if AWS WAF can't determine the ASN for a valid IP address, it assigns ASN 0"
            return (found if found is not None else 0) in asns

        return asn
    if kind == "RateBasedStatement":
        if not top:
            raise WafCompileError("a RateBasedStatement can only be a rule's top-level statement")
        scope = spec.get("ScopeDownStatement")
        scope_pred = compile_statement(scope, res, namespace, rule_name) if scope else None
        return compile_rate(spec, scope_pred, res.rate_store, f"{namespace}{rule_name}")
    if kind in ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement"):
        return res.compile_group(spec, kind, res)
    raise WafCompileError(f"unsupported statement {kind}")
