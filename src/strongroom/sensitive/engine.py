"""The multi-pattern engine: one RE2 set pass over a block finds which identifiers' value patterns and keywords
occur at all; only those identifiers then locate their matches (keyword-gated ones only around their keywords'
occurrences, or over values whose column/path names a keyword), and validators decide.

A block is UTF-8 bytes made of segments: a whole chunk of a text file is one segment; a row of a table or a record
of JSON is one segment per value, joined with a unit separator no pattern crosses, each with its header (column
name or JSON path) as keyword context. Offsets are byte offsets into the block."""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import re2

from strongroom.sensitive.contract import AllowList, CustomIdentifier
from strongroom.sensitive.rules import Rule
from strongroom.sensitive.validators import CHECKS

SEP = b"\x1f"  # joins segments of a block: no managed pattern matches it, so no match spans two values
SLICE = 4 << 10  # bytes per set pass: small enough that an identifier's matching runs only where it can match
OVERLAP = 128  # bytes of the previous slice looked at again: a keyword's reach (30–60) plus its length

_OPTS = re2.Options()
_OPTS.log_errors = False
_OPTS.max_mem = 64 << 20
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_DIGIT = re.compile(r"\d")


@dataclass(slots=True)
class Hit:
    type: str
    category: str
    segment: int
    start: int  # byte offsets in the block
    end: int
    text: str
    strength: int = 1


@dataclass(slots=True)
class Block:
    data: bytes
    starts: list[int] = field(default_factory=lambda: [0])
    ends: list[int] = field(default_factory=list)
    headers: list[str] = field(default_factory=lambda: [""])

    @classmethod
    def of(cls, values: Sequence[str], headers: Sequence[str]) -> Block:
        parts = [v.encode("utf-8", "replace") for v in values]
        starts, ends, pos = [], [], 0
        for p in parts:
            starts.append(pos)
            ends.append(pos + len(p))
            pos += len(p) + 1
        return cls(SEP.join(parts), starts, ends, [h.lower() for h in headers])

    def __post_init__(self) -> None:
        if not self.ends:
            self.ends = [len(self.data)]

    def segment_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1


def _keyword_regex(keywords: Sequence[str]) -> re.Pattern[str] | None:
    """Keywords as whole words: not preceded by a letter or digit, and (when they end in one) not followed by one.
    A keyword of three letters or fewer is also an everyday word ("run", "sin", "pan", "tin"): it counts only as
    the value's label, directly before it ("SIN: 046 454 286") — or as the column/field name."""
    if not keywords:
        return None
    alts = sorted({k.lower() for k in keywords}, key=len, reverse=True)

    def one(k: str) -> str:
        tail = r"(?!\w)" if k[-1].isalnum() else ""
        if len(k.rstrip("#.:")) <= 3:
            return re.escape(k) + tail + r"(?=[\s:#=.\-\"']{0,4}$)"
        return re.escape(k) + tail

    return re.compile(r"(?<!\w)(?:" + "|".join(one(k) for k in alts) + ")")


def _re2_keyword_pattern(keywords: Sequence[str]) -> bytes:
    """The keywords for the set and for locating windows, as plain case-insensitive text (a superset: whole-word
    and label checks are ``_keyword_regex``'s, per candidate); a short one (an everyday word) only when a value
    seems to follow it as its label (a digit or a capital after at most four separators)."""
    alts = []
    for k in sorted({k.lower() for k in keywords}):
        body = "(?i:" + re2.escape(k) + ")"
        if k[0].isascii() and k[0].isalnum():
            body = r"\b" + body  # ASCII word start (RE2's \b is ASCII; other scripts are checked per candidate)
        if len(k.rstrip("#.:")) <= 3:
            body += (
                r"[ :#=.\-\"']{0,4}[0-9A-Z(]"  # as _keyword_regex: up to four separators ("GPS: -33.8", "UDI: (01)")
            )
        alts.append(body)
    return ("(?:" + "|".join(alts) + ")").encode()


_UNANCHORED = getattr(getattr(re2, "_Anchor", None), "UNANCHORED", None)


def _iter_spans(regex: Any, data: bytes) -> Iterator[Sequence[tuple[int, int]]]:
    """Each match's spans (the whole match, then each group; (-1, -1) for a group that did not take part), straight
    from RE2's binding. pyre2's ``finditer`` wraps every match in a Python Match object through a generator, which
    on the engine's short windows costs more than the matching itself; where the binding is not the one we know,
    the public ``finditer`` answers the same spans."""
    raw = getattr(regex, "_regexp", None)
    if raw is None or _UNANCHORED is None:
        for m in regex.finditer(data):
            yield [m.span(i) for i in range(len(m.groups()) + 1)]
        return
    pos, end = 0, len(data)
    while True:
        spans = raw.Match(_UNANCHORED, data, pos, end)
        if spans[0][0] < 0:
            return
        yield spans
        if pos == end:
            return
        pos = pos + 1 if spans[0][1] == pos else spans[0][1]  # past an empty match, as pyre2 does


def _value_span(spans: Sequence[tuple[int, int]]) -> tuple[int, int]:
    """The value: group 1 when the pattern has one and it took part (boundary context sits outside it)."""
    return spans[1] if len(spans) > 1 and spans[1][0] >= 0 else spans[0]


@functools.lru_cache(maxsize=1024)
def _compile(pattern: bytes) -> Any:
    """Compiled once per process: jobs build a classifier each, mostly from the same managed patterns."""
    return re2.compile(pattern, _OPTS)


@functools.lru_cache(maxsize=16)
def _compile_set(patterns: tuple[bytes, ...]) -> Any:
    rset = re2.Set.SearchSet(_OPTS)
    for p in patterns:
        rset.Add(p)
    rset.Compile()
    return rset


@dataclass(slots=True)
class _Compiled:
    rule: Rule
    category: dict[str, str]
    regex: object
    kw: re.Pattern[str] | None
    bounded: bool  # the pattern begins with a left boundary: windowed matches re-check it
    strength: int
    custom: CustomIdentifier | None = None


_STRONG_CHECKS = frozenset(
    [
        "card",
        "iban",
        "us_itin",
        "ca_sin",
        "fr_nir",
        "fr_nif",
        "de_idnr",
        "es_dni",
        "es_nie",
        "es_nif",
        "es_cif",
        "it_cf",
        "in_aadhaar",
        "in_pan",
        "br_cpf",
        "br_cnpj",
        "cl_rut",
        "ar_cuit",
        "co_nit",
        "mx_curp",
        "mx_rfc",
        "au_tfn",
        "gb_nhs",
        "gb_utr",
        "kr_brn",
        "vin",
        "luhn_track",
        "jwt",
        "basic_auth",
        "fi_hetu",
        "se_pnr",
        "de_idcard",
        "gs1",
        "us_hicn",
        "ca_health",
    ]
)


class Engine:
    def __init__(
        self,
        rules: Sequence[Rule],
        categories: dict[str, str],
        custom: Sequence[CustomIdentifier] = (),
        allow_lists: Sequence[AllowList] = (),
    ) -> None:
        self._compiled: list[_Compiled] = []
        for rule in rules:
            strong = rule.check in _STRONG_CHECKS or rule.resolve is not None
            self._compiled.append(
                _Compiled(
                    rule,
                    categories,
                    _compile(rule.pattern.encode()),
                    _keyword_regex(rule.keywords),
                    rule.pattern.removeprefix("(?i)").startswith(("(?:^|", "\\b")),
                    2 if strong else 1,
                )
            )
        for cdi in custom:
            rule = Rule(
                cdi.id, cdi.regex, None, cdi.keywords, required=bool(cdi.keywords), distance=cdi.maximum_match_distance
            )
            try:
                regex = re2.compile(cdi.regex.encode(), _OPTS)
            except re2.error as exc:
                raise ValueError(f"unsupported regex for custom data identifier {cdi.id}: {exc}") from None
            self._compiled.append(_Compiled(rule, {}, regex, _keyword_regex(cdi.keywords), False, 3, cdi))
        self._allow_words = {w.strip().lower() for a in allow_lists for w in a.words if w.strip()}
        self._allow_res = []
        for a in allow_lists:
            if a.regex:
                try:
                    self._allow_res.append(re2.compile(a.regex.encode(), _OPTS))
                except re2.error as exc:
                    raise ValueError(f"unsupported regex for allow list {a.id}: {exc}") from None
        # The set: a keyword-gated identifier is looked for by its keywords (its value is then matched only near
        # them); any other by its anchor. Custom identifiers by their own regex.
        self._slots: list[tuple[int, bool]] = []  # set index -> (compiled index, is keyword pattern)
        set_patterns: list[bytes] = []
        for i, c in enumerate(self._compiled):
            if c.rule.required and c.rule.keywords:
                set_patterns.append(_re2_keyword_pattern(c.rule.keywords))
                self._slots.append((i, True))
            else:
                set_patterns.append((c.rule.anchor or c.rule.pattern).encode())
                self._slots.append((i, False))
        self._set = _compile_set(tuple(set_patterns))
        self._kw_re2 = {
            i: _compile(_re2_keyword_pattern(c.rule.keywords)) for i, c in enumerate(self._compiled) if c.rule.keywords
        }
        self._gated_ids = [i for i, c in enumerate(self._compiled) if c.rule.required and c.rule.keywords]
        self._header_rules: dict[str, tuple[int, ...]] = {}
        self._header_cache: dict[tuple[int, str], bool] = {}
        # How far back a keyword may begin: the distance plus the identifier's longest keyword (computed once).
        self._reach = [c.rule.distance + max((len(k) for k in c.rule.keywords), default=0) for c in self._compiled]

    # -- public

    def scan(self, block: Block) -> list[Hit]:
        """The block in slices of about ``SLICE`` bytes cut between lines or values: the set runs per slice, so an
        identifier's own matching runs only over the slices where its pattern (and keyword) occur."""
        hits: list[Hit] = []
        data = block.data
        lo = 0
        while lo < len(data):
            hi = self._cut(data, lo)
            # Each slice after the first also looks again at the previous slice's last lines (or values) within
            # OVERLAP bytes, so that a keyword ending one line and its value starting the next are paired across the
            # cut; what is found twice there is one hit (the overlap rule drops the repeat).
            ctx = lo
            if lo:
                ctx = max(
                    data.rfind(b"\n", max(0, lo - OVERLAP), lo - 1), data.rfind(SEP, max(0, lo - OVERLAP), lo - 1)
                )
                ctx = ctx + 1 if ctx >= 0 else lo
            self._scan_slice(block, ctx, hi, hits)
            lo = hi
        return self._resolve_overlaps(hits)

    @staticmethod
    def _cut(data: bytes, lo: int) -> int:
        want = lo + SLICE
        if want >= len(data):
            return len(data)
        cuts = [c for c in (data.find(b"\n", want, want + 4096), data.find(SEP, want, want + 4096)) if c >= 0]
        return min(cuts) + 1 if cuts else want

    def _scan_slice(self, block: Block, lo: int, hi: int, hits: list[Hit]) -> None:
        chunk = block.data[lo:hi] if (lo, hi) != (0, len(block.data)) else block.data
        found = self._set.Match(chunk) or []
        by_header: dict[int, list[int]] = {}
        if len(block.headers) > 1 or block.headers[0]:
            for seg in range(block.segment_of(lo), block.segment_of(max(lo, hi - 1)) + 1):
                header = block.headers[seg]
                if header:
                    for ci in self._rules_named_by(header):
                        by_header.setdefault(ci, []).append(seg)
        if not found and not by_header:
            return
        kw_hit = {self._slots[idx][0] for idx in found if self._slots[idx][1]}
        for ci in {self._slots[idx][0] for idx in found} | by_header.keys():
            c = self._compiled[ci]
            if c.rule.required and c.rule.keywords:
                self._gated(ci, block, chunk, lo, by_header.get(ci, []), ci in kw_hit, hits)
            else:
                for spans in _iter_spans(c.regex, chunk):
                    self._consider(ci, block, spans, hits, gated=False, base=lo)

    def _rules_named_by(self, header: str) -> tuple[int, ...]:
        """The keyword-gated identifiers a column / field name is a keyword of (once per distinct name)."""
        got = self._header_rules.get(header)
        if got is None:
            got = self._header_rules[header] = tuple(ci for ci in self._gated_ids if self._header_has(ci, header))
        return got

    # -- matching

    def _gated(
        self, ci: int, block: Block, chunk: bytes, base: int, header_segs: list[int], kw_in_data: bool, hits: list[Hit]
    ) -> None:
        """Matches only where a keyword can reach: around each keyword occurrence, and in values under a keyword
        header. Where keywords are dense (a common word), one pass over the slice replaces the windows; the keyword
        test per match is the same either way."""
        c = self._compiled[ci]
        seen: set[tuple[int, int]] = set()
        reach = c.rule.distance + 64  # the distance plus the longest value a managed pattern takes, in bytes
        windows: list[tuple[int, int]] = [(block.starts[s] - base, block.ends[s] - base) for s in header_segs]
        if kw_in_data:
            spans = [m[0] for m in _iter_spans(self._kw_re2[ci], chunk)]
            if len(spans) * reach * 2 > len(chunk):
                windows = [(0, len(chunk))]
            else:
                for ks, ke in spans:
                    seg = block.segment_of(ks + base)
                    w_lo = max(block.starts[seg] - base, ks - (0 if c.rule.adjacent or c.custom else reach))
                    windows.append((max(0, w_lo), min(block.ends[seg] - base, ke + reach)))
        windows.sort()
        merged: list[tuple[int, int]] = []
        for w_lo, w_hi in windows:
            if merged and w_lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(w_hi, merged[-1][1]))
            else:
                merged.append((w_lo, w_hi))
        for w_lo, w_hi in merged:
            part = chunk if (w_lo, w_hi) == (0, len(chunk)) else chunk[w_lo:w_hi]
            for found in _iter_spans(c.regex, part):
                span = _value_span(found)
                key = (span[0] + w_lo, span[1] + w_lo)
                if key in seen:
                    continue
                seen.add(key)
                self._consider(ci, block, found, hits, gated=True, base=base + w_lo)

    def _consider(
        self, ci: int, block: Block, spans: Sequence[tuple[int, int]], hits: list[Hit], gated: bool, base: int = 0
    ) -> None:
        c = self._compiled[ci]
        s, e = _value_span(spans)
        s, e = s + base, e + base
        seg = block.segment_of(s)
        seg_start, seg_end = block.starts[seg], block.ends[seg]
        if e > seg_end or s < seg_start:
            return
        data = block.data
        if c.bounded and s > seg_start and data[s - 1] in _ALNUM:
            return
        text = data[s:e].decode("utf-8", "replace")
        rule = c.rule
        if c.custom is not None:
            if any(w in text for w in c.custom.ignore_words):
                return
            if rule.keywords and not self._custom_keyword(ci, block, seg, s, e):
                return
            type_ = c.custom.id
        else:
            if rule.check is not None and not CHECKS[rule.check](text):
                return

            def has_kw() -> bool:
                return self._keyword_near(ci, block, seg, s, e)

            if rule.resolve is not None:
                resolved = rule.resolve(text, has_kw)
                if resolved is None:
                    return
                type_ = resolved
            else:
                if rule.required and not has_kw():
                    return
                type_ = rule.id
        if self._allowed(text):
            return
        category = "CUSTOM_IDENTIFIER" if c.custom is not None else c.category.get(type_, "PERSONAL_INFORMATION")
        hits.append(Hit(type_, category, seg, s, e, text, c.strength))

    # -- keywords

    def _header_has(self, ci: int, header: str) -> bool:
        key = (ci, header)
        got = self._header_cache.get(key)
        if got is None:
            kw = self._compiled[ci].kw
            got = self._header_cache[key] = bool(
                (kw and kw.search(header.replace("_", " "))) or (kw and kw.search(header))
            )
        return got

    def _keyword_near(self, ci: int, block: Block, seg: int, s: int, e: int) -> bool:
        c = self._compiled[ci]
        if c.kw is None:
            return False
        header = block.headers[seg]
        if header and self._header_has(ci, header):
            return True
        d = c.rule.distance
        data = block.data
        # The keyword has to *end* within d characters of the value; it may begin further back (a long keyword such
        # as "cadastro nacional da pessoa jurídica" is itself longer than the distance).
        reach = self._reach[ci]
        before = data[max(block.starts[seg], s - reach * 2) : s].decode("utf-8", "ignore").lower()[-reach:]
        near = [m for m in c.kw.finditer(before) if len(before) - m.end() <= d]
        if c.rule.adjacent:
            return bool(near) and not _DIGIT.search(before[near[-1].end() :])
        if near:
            return True
        after = data[e : min(block.ends[seg], e + d * 2)].decode("utf-8", "ignore").lower()[:d]
        return bool(c.kw.search(after))

    def _custom_keyword(self, ci: int, block: Block, seg: int, s: int, e: int) -> bool:
        """AWS: a complete keyword precedes the match, and at most maximumMatchDistance characters lie between the
        keyword's end and the match's end; or the keyword names the value's column/field."""
        c = self._compiled[ci]
        assert c.kw is not None
        header = block.headers[seg]
        if header and self._header_has(ci, header):
            return True
        d = c.rule.distance
        lo = max(block.starts[seg], e - d * 4 - 90)
        window = block.data[lo:s].decode("utf-8", "ignore").lower()
        match_len = len(block.data[s:e].decode("utf-8", "ignore"))
        return any(len(window) - km.end() + match_len <= d for km in c.kw.finditer(window))

    def _allowed(self, text: str) -> bool:
        if self._allow_words and text.strip().lower() in self._allow_words:
            return True
        return any(r.fullmatch(text.encode()) for r in self._allow_res)

    @staticmethod
    def _resolve_overlaps(hits: list[Hit]) -> list[Hit]:
        """Where a check-digit identifier and a pattern-only one claim overlapping text, the check digit wins (a
        Luhn-valid card number near "account number" is a card, not a bank account); between equals, a value
        inside a longer one is part of it (card-shaped digits within an IBAN)."""
        if len(hits) < 2:
            return hits
        hits.sort(key=lambda h: (h.start, -h.end))
        keep = [True] * len(hits)
        for i, h in enumerate(hits):
            j = i + 1
            while j < len(hits) and hits[j].start < h.end:
                o = hits[j]
                custom = "CUSTOM_IDENTIFIER" in (o.category, h.category)
                if o.type != h.type and o.strength != h.strength and not custom:
                    keep[j if o.strength < h.strength else i] = False
                elif o.type != h.type and not custom and o.end <= h.end and h.end - h.start > o.end - o.start:
                    keep[j] = False  # inside a longer validated value (card-shaped digits within an IBAN)
                elif o.type == h.type and keep[j]:
                    keep[j] = False  # the same identifier twice over one value (a window's re-match)
                j += 1
        return [h for h, k in zip(hits, keep, strict=True) if k]
