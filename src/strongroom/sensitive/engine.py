"""The multi-pattern engine: one RE2 set pass over a block finds which identifiers' value patterns and keywords
occur at all; only those identifiers then locate their matches (keyword-gated ones only around their keywords'
occurrences, or over values whose column/path names a keyword), and validators decide.

A block is UTF-8 bytes made of segments: a whole chunk of a text file is one segment; a row of a table or a record
of JSON is one segment per value, joined with a unit separator no pattern crosses, each with its header (column
name or JSON path) as keyword context. Offsets are byte offsets into the block."""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import re2

from strongroom.sensitive.contract import AllowList, CustomIdentifier
from strongroom.sensitive.rules import Rule
from strongroom.sensitive.validators import CHECKS

SEP = b"\x1f"  # joins segments of a block: no managed pattern matches it, so no match spans two values

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
    """The keywords for the set and for locating windows: whole words; a short one (an everyday word) only when a
    value seems to follow it as its label (a digit or a capital after at most four separators)."""
    alts = []
    for k in sorted({k.lower() for k in keywords}):
        body = "(?i:" + re2.escape(k) + ")"
        if len(k.rstrip("#.:")) <= 3:
            body += r"[\s:#=.\-\"']{0,4}[0-9A-Z]"
        elif k[-1].isalnum():
            body += r"(?:$|[^\pL\pN])"
        alts.append(body)
    return ("(?:^|[^\\pL\\pN])(?:" + "|".join(alts) + ")").encode()


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
                    re2.compile(rule.pattern.encode(), _OPTS),
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
        self._allow_res = [re2.compile(a.regex.encode(), _OPTS) for a in allow_lists if a.regex]
        # The set: each identifier's value pattern, and each keyword-gated identifier's keywords.
        self._set = re2.Set.SearchSet(_OPTS)
        self._slots: list[tuple[int, bool]] = []  # set index -> (compiled index, is keyword pattern)
        for i, c in enumerate(self._compiled):
            self._set.Add(c.rule.pattern.encode())
            self._slots.append((i, False))
            if c.rule.required and c.rule.keywords:
                self._set.Add(_re2_keyword_pattern(c.rule.keywords))
                self._slots.append((i, True))
        self._set.Compile()
        self._kw_re2 = {
            i: re2.compile(_re2_keyword_pattern(c.rule.keywords), _OPTS)
            for i, c in enumerate(self._compiled)
            if c.rule.keywords
        }
        self._header_cache: dict[tuple[int, str], bool] = {}

    # -- public

    def scan(self, block: Block) -> list[Hit]:
        found = self._set.Match(block.data) if block.data else []
        if not found:
            return []
        value_hit: set[int] = set()
        kw_hit: set[int] = set()
        for idx in found:
            ci, is_kw = self._slots[idx]
            (kw_hit if is_kw else value_hit).add(ci)
        hits: list[Hit] = []
        headers = [h for h in block.headers if h]
        for ci in value_hit:
            c = self._compiled[ci]
            if c.rule.required and c.rule.keywords:
                header_segs = (
                    [s for s, h in enumerate(block.headers) if h and self._header_has(ci, h)] if headers else []
                )
                if ci not in kw_hit and not header_segs:
                    continue
                self._gated(ci, block, header_segs, ci in kw_hit, hits)
            else:
                self._everywhere(ci, block, hits)
        return self._resolve_overlaps(hits)

    # -- matching

    def _everywhere(self, ci: int, block: Block, hits: list[Hit]) -> None:
        c = self._compiled[ci]
        for m in c.regex.finditer(block.data):  # type: ignore[attr-defined]
            self._consider(ci, block, m, hits, gated=False)

    def _gated(self, ci: int, block: Block, header_segs: list[int], kw_in_data: bool, hits: list[Hit]) -> None:
        """Matches only where a keyword can reach: around each keyword occurrence, and in values under a keyword
        header. Where keywords are dense (a common word), one pass over the block replaces the windows; the keyword
        test per match is the same either way."""
        c = self._compiled[ci]
        seen: set[tuple[int, int]] = set()
        reach = c.rule.distance + 64  # the distance plus the longest value a managed pattern takes, in bytes
        windows: list[tuple[int, int]] = [(block.starts[s], block.ends[s]) for s in header_segs]
        if kw_in_data:
            spans = [km.span() for km in self._kw_re2[ci].finditer(block.data)]
            if len(spans) * reach * 2 > len(block.data):
                windows = [(0, len(block.data))]
            else:
                for ks, ke in spans:
                    seg = block.segment_of(ks)
                    lo = max(block.starts[seg], ks - (0 if c.rule.adjacent or c.custom else reach))
                    windows.append((lo, min(block.ends[seg], ke + reach)))
        windows.sort()
        merged: list[tuple[int, int]] = []
        for lo, hi in windows:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        for lo, hi in merged:
            chunk = block.data if (lo, hi) == (0, len(block.data)) else block.data[lo:hi]
            for m in c.regex.finditer(chunk):  # type: ignore[attr-defined]
                span = self._span(m)
                key = (span[0] + lo, span[1] + lo)
                if key in seen:
                    continue
                seen.add(key)
                self._consider(ci, block, m, hits, gated=True, base=lo)

    @staticmethod
    def _span(m: object) -> tuple[int, int]:
        groups = m.groups()  # type: ignore[attr-defined]
        return m.span(1) if groups and groups[0] is not None else m.span()  # type: ignore[attr-defined]

    def _consider(self, ci: int, block: Block, m: object, hits: list[Hit], gated: bool, base: int = 0) -> None:
        c = self._compiled[ci]
        s, e = self._span(m)
        s, e = s + base, e + base
        seg = block.segment_of(s)
        seg_start, seg_end = block.starts[seg], block.ends[seg]
        if e > seg_end or s < seg_start:
            return
        data = block.data
        if base and c.bounded and s > seg_start and data[s - 1] in _ALNUM:
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
        before = data[max(block.starts[seg], s - d * 2) : s].decode("utf-8", "ignore").lower()[-d:]
        if c.rule.adjacent:
            last = None
            for last in c.kw.finditer(before):  # noqa: B007 — the last keyword before the value
                pass
            return last is not None and not _DIGIT.search(before[last.end() :])
        if c.kw.search(before):
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
        Luhn-valid card number near "account number" is a card, not a bank account)."""
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
                elif o.type == h.type and keep[j]:
                    keep[j] = False  # the same identifier twice over one value (a window's re-match)
                j += 1
        return [h for h, k in zip(hits, keep, strict=True) if k]
