"""One RE2 scan per field for every set-matchable leaf of a web ACL, whatever its rule and transformation chain.

The compiler hands every RegexMatch leaf and every ASCII ByteMatch leaf (anywhere: top level, under And / Or /
Not, in any rule, rule group or managed group of the ACL) to a ``PatternIndex`` instead of giving each its own
matcher. Leaves are grouped by field (FieldToMatch) and RE2 options; one ``FieldScan`` holds them all, across
transformation chains. When a request first needs a leaf of a field, the scan runs once for all of them:

- each chain's transformed values come from the evaluation's shared cache (``values_of``), so extraction and
  every common prefix of transformations happen once per request;
- the distinct transformed values are collected with the set of chains that produced each one (on ordinary
  traffic most chains leave a value as it is, so a value is scanned once for all its chains);
- each distinct value is matched once against one RE2 set holding every pattern of the field, and a pattern's
  hit counts only if its own chain produced that value.

So a leaf matches exactly when its pattern matches one of its chain's values: the verdict is the one a
per-leaf search would give. What changes is the cost: the six AWS groups' ~370 patterns on 17 fields need
~50 scans per benign request instead of ~500. Sets are cached by content (evaluators rebuilt for a changed web
ACL reuse their warm DFA). A merged set RE2 cannot compile within its memory budget is split back into the
sets the leaves would have had on their own (each rule's Or group, or single leaf), which compile as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import re2

from strongroom.waf.context import Ctx, Predicate, WafCompileError

ValuesFn = Callable[[Ctx], list[bytes] | bool]

_BASE = re2.Options()
_BASE.log_errors = False
# Byte matches kept RE2's default memory budget; regexes get 32 MB (statements.py explains why); Latin-1 is the
# managed content's byte reading.
_UTF8_BIG = re2.Options()
_UTF8_BIG.log_errors = False
_UTF8_BIG.max_mem = 32 << 20
_LATIN1_BIG = re2.Options()
_LATIN1_BIG.log_errors = False
_LATIN1_BIG.max_mem = 32 << 20
_LATIN1_BIG.encoding = re2.Options.Encoding.LATIN1
OPTIONS = {"bytes": _BASE, "utf8": _UTF8_BIG, "latin1": _LATIN1_BIG}


@functools.lru_cache(maxsize=256)
def compiled_set(options: str, patterns: tuple[bytes, ...]) -> Any:
    """An RE2 set over encoded patterns, cached by content: the managed groups recompile into every evaluator."""
    rset = re2.Set.SearchSet(OPTIONS[options])
    for p in patterns:
        rset.Add(p)
    rset.Compile()
    return rset


class FieldScan:
    """Every set leaf on one field with one RE2 option set."""

    def __init__(self, slot: int, options: str) -> None:
        self.slot = slot
        self.options = options
        self._chain_ids: dict[str, int] = {}
        self.chains: list[ValuesFn] = []
        self._leaf_ids: dict[tuple[int, bytes], int] = {}  # (chain, pattern) -> leaf pattern id
        self._units: list[list[int]] = []  # the leaf ids as the leaves would have grouped them on their own
        self._leaves: list[tuple[int, bytes]] = []
        # after finish(): (set's Match, owners per set-local id: [(chain bit, leaf id)])
        self._sets: list[tuple[Callable[[bytes], list[int]], list[list[tuple[int, int]]]]] = []

    def add(self, chain_key: str, values_of: ValuesFn, patterns: list[bytes]) -> frozenset[int]:
        chain = self._chain_ids.get(chain_key)
        if chain is None:
            chain = self._chain_ids[chain_key] = len(self.chains)
            self.chains.append(values_of)
        ids: list[int] = []
        for p in patterns:
            leaf = self._leaf_ids.get((chain, p))
            if leaf is None:
                leaf = self._leaf_ids[(chain, p)] = len(self._leaves)
                self._leaves.append((chain, p))
            ids.append(leaf)
        self._units.append(ids)
        return frozenset(ids)

    def _build(self, leaf_ids: list[int]) -> None:
        distinct: dict[bytes, int] = {}
        owners: list[list[tuple[int, int]]] = []
        for leaf in leaf_ids:
            chain, pattern = self._leaves[leaf]
            local = distinct.setdefault(pattern, len(distinct))
            if local == len(owners):
                owners.append([])
            owners[local].append((1 << chain, leaf))
        rset = compiled_set(self.options, tuple(distinct))
        self._sets.append((rset._set.Match, owners))

    def finish(self) -> None:
        if self._sets:
            return
        try:
            self._build(list(range(len(self._leaves))))
        except re2.error:
            # too big for one set: the sets the leaves had before merging (each compiled on its own)
            self._sets = []
            done: set[int] = set()
            for unit in self._units:
                todo = [leaf for leaf in dict.fromkeys(unit) if leaf not in done]
                if todo:
                    try:
                        self._build(todo)
                    except re2.error as exc:
                        raise WafCompileError(f"regex set does not compile: {exc}") from None
                    done.update(todo)

    def matched(self, ctx: Ctx) -> set[int] | bool:
        """The leaf ids whose pattern matches one of their chain's values (or a fallback's forced verdict)."""
        got = ctx.scans.get(self.slot)
        if got is None:
            got = ctx.scans[self.slot] = self._scan(ctx)
        return got

    def _scan(self, ctx: Ctx) -> set[int] | bool:
        by_value: dict[bytes, int] = {}  # distinct transformed value -> bits of the chains that produced it
        for chain, values_of in enumerate(self.chains):
            values = values_of(ctx)
            if isinstance(values, bool):
                return values  # every chain shares the field's extraction, hence its forced verdict
            bit = 1 << chain
            for v in values:
                by_value[v] = by_value.get(v, 0) | bit
        out: set[int] = set()
        for value, bits in by_value.items():
            for match, owners in self._sets:
                for local in match(value):
                    for chain_bit, leaf in owners[local]:
                        if chain_bit & bits:
                            out.add(leaf)
        return out


class PatternIndex:
    """The evaluator's field scans: leaves register while the ACL compiles, ``finish`` compiles the sets."""

    def __init__(self) -> None:
        self._scans: dict[tuple[str, str], FieldScan] = {}

    def leaf(
        self, field_key: str, chain_key: str, values_of: ValuesFn, options: str, patterns: list[bytes]
    ) -> Predicate:
        """A predicate true when any of ``patterns`` matches a value of the field after the chain."""
        scan = self._scans.get((field_key, options))
        if scan is None:
            scan = self._scans[(field_key, options)] = FieldScan(len(self._scans), options)
        ids = scan.add(chain_key, values_of, patterns)
        matched = scan.matched

        def pred(ctx: Ctx) -> bool:
            got = matched(ctx)
            return got if isinstance(got, bool) else not got.isdisjoint(ids)

        return pred

    def finish(self) -> None:
        for scan in self._scans.values():
            scan.finish()
