"""One RE2 scan per field for every set-matchable leaf of a web ACL, whatever its rule and transformation chain.

The compiler hands every RegexMatch leaf and every ASCII ByteMatch leaf (anywhere: top level, under And / Or /
Not, in any rule, rule group or managed group of the ACL) to a ``PatternIndex`` instead of giving each its own
matcher. Leaves are grouped by field (FieldToMatch); one ``FieldScan`` holds them all, across transformation chains
and RE2 options (one set per option set). When a request first needs a leaf of a field, the scan runs once for all
of them, value by value:

- a value seen before (by any request) is answered from the scan's bounded result cache: the leaves a value
  matches are a pure function of its bytes;
- otherwise only the steps of each chain the value's own triggers (waf/transforms.py) can make change it run, as a
  tree so that common steps run once, and a value no chain can change is matched once for all of them;
- each distinct transformed value is matched once against the field's RE2 sets, and a pattern's hit counts only
  if its own chain produced that value.

So a leaf matches exactly when its pattern matches one of its chain's values: the verdict is the one a
per-leaf search would give. What changes is the cost: the six AWS groups' ~370 patterns on 17 fields need
~50 scans per benign request instead of ~500. Sets are cached by content (evaluators rebuilt for a changed web
ACL reuse their warm DFA). A merged set RE2 cannot compile within its memory budget is split back into the
sets the leaves would have had on their own (each rule's Or group, or single leaf), which compile as before.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import re2

from strongroom.waf import transforms
from strongroom.waf.context import Ctx, Predicate, WafCompileError
from strongroom.waf.request import WafRequest
from strongroom.waf.transforms import Transform

ValuesFn = Callable[[Ctx], list[bytes] | bool]
Extractor = Callable[[WafRequest, int], list[bytes] | bool]


@dataclass(frozen=True)
class FieldChain:
    """A statement's field and transformation chain (NONE left out)."""

    extract: Extractor
    field_key: str  # cache key of the raw field values
    chain: tuple[Transform, ...]
    final_key: str  # cache key of the values after the whole chain
    values_of: ValuesFn  # the transformed values, through the evaluation's cache


def raw_values(ctx: Ctx, extract: Extractor, field_key: str) -> list[bytes] | bool:
    """The field's extracted values, once per evaluation."""
    cache = ctx.transformed
    raw = cache.get(field_key)
    if raw is None:
        raw = cache[field_key] = extract(ctx.request, ctx.body_limit)
    return raw


def field_signature(ctx: Ctx, field_key: str, raw: list[bytes]) -> int:
    """The transformation triggers present in the field's values (waf/transforms.py), once per evaluation."""
    sig = ctx.signatures.get(field_key)
    if sig is None:
        sig = ctx.signatures[field_key] = transforms.signature(raw)
    return sig


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


# The per-scan cache of raw values' results: bounded in entries and value size (cleared when full).
RESULT_CACHE = True
RESULT_CACHE_ENTRIES = 2048
RESULT_CACHE_VALUE_BYTES = 256


@functools.lru_cache(maxsize=256)
def compiled_set(options: str, patterns: tuple[bytes, ...]) -> Any:
    """An RE2 set over encoded patterns, cached by content: the managed groups recompile into every evaluator."""
    rset = re2.Set.SearchSet(OPTIONS[options])
    for p in patterns:
        rset.Add(p)
    rset.Compile()
    return rset


@dataclass
class _Plan:
    """How one field's chains run for values with one trigger signature: each chain's leading steps the values
    cannot trigger are dropped, and the rest form a tree (node 0: the raw values) so common steps run once."""

    steps: list[tuple[int, int, Transform]]  # (node, parent node, transformation), parents first
    chain_nodes: list[int]  # chain -> the node holding its values
    node_bits: list[tuple[int, int]]  # (node, bits of the chains whose values it holds)


class FieldScan:
    """Every set leaf on one field: one RE2 set per option set (byte or UTF-8 reading), one pass over the values."""

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self._chain_ids: dict[str, int] = {}
        self._chains: list[FieldChain] = []
        self._extract: Extractor | None = None
        self._field_key = ""
        self._leaf_ids: dict[tuple[int, bytes, str], int] = {}  # (chain, pattern, options) -> leaf pattern id
        # the leaf ids as the leaves would have grouped them on their own, with their options
        self._units: list[tuple[str, list[int]]] = []
        self._leaves: list[tuple[int, bytes, str]] = []
        # after finish(): (set's Match, owners per set-local id: [(chain bit, leaf id)], and their leaf ids)
        self._sets: list[tuple[Callable[[bytes], list[int]], list[list[tuple[int, int]]], list[tuple[int, ...]]]] = []
        self._plans: dict[int, _Plan] = {}  # by trigger signature
        # raw value -> the leaves it matches through every chain: a pure function of the value (transformations and
        # RE2 sets are deterministic), so a value seen before (a browser's User-Agent, a session cookie's name) is
        # answered without transforming or scanning it again
        # (tuples of ints: the collector stops tracking them, so a full cache adds nothing to its passes)
        self._results: dict[bytes, tuple[int, ...]] = {}

    def add(self, fc: FieldChain, options: str, patterns: list[bytes]) -> frozenset[int]:
        chain = self._chain_ids.get(fc.final_key)
        if chain is None:
            chain = self._chain_ids[fc.final_key] = len(self._chains)
            self._chains.append(fc)
            self._extract, self._field_key = fc.extract, fc.field_key
        ids: list[int] = []
        for p in patterns:
            leaf = self._leaf_ids.get((chain, p, options))
            if leaf is None:
                leaf = self._leaf_ids[(chain, p, options)] = len(self._leaves)
                self._leaves.append((chain, p, options))
            ids.append(leaf)
        self._units.append((options, ids))
        return frozenset(ids)

    def _build(self, options: str, leaf_ids: list[int]) -> None:
        distinct: dict[bytes, int] = {}
        owners: list[list[tuple[int, int]]] = []
        for leaf in leaf_ids:
            chain, pattern, _options = self._leaves[leaf]
            local = distinct.setdefault(pattern, len(distinct))
            if local == len(owners):
                owners.append([])
            owners[local].append((1 << chain, leaf))
        rset = compiled_set(options, tuple(distinct))
        self._sets.append((rset._set.Match, owners, [tuple(leaf for _bit, leaf in o) for o in owners]))

    def finish(self) -> None:
        if self._sets:
            return
        by_options: dict[str, list[int]] = {}
        for leaf, (_chain, _pattern, options) in enumerate(self._leaves):
            by_options.setdefault(options, []).append(leaf)
        for options, leaves in by_options.items():
            try:
                self._build(options, leaves)
            except re2.error:
                # too big for one set: the sets the leaves had before merging (each compiled on its own)
                done: set[int] = set()
                for unit_options, unit in self._units:
                    todo = [leaf for leaf in dict.fromkeys(unit) if leaf not in done]
                    if unit_options == options and todo:
                        try:
                            self._build(options, todo)
                        except re2.error as exc:
                            raise WafCompileError(f"regex set does not compile: {exc}") from None
                        done.update(todo)

    def _plan(self, sig: int) -> _Plan:
        plan = self._plans.get(sig)
        if plan is not None:
            return plan
        nodes: dict[tuple[Transform, ...], int] = {(): 0}
        steps: list[tuple[int, int, Transform]] = []
        chain_nodes: list[int] = []
        for fc in self._chains:
            chain = fc.chain
            inert = 0
            while inert < len(chain) and not sig & transforms.triggers(list(chain[: inert + 1])):
                inert += 1
            parent = 0
            for i in range(inert, len(chain)):
                key = chain[inert : i + 1]
                node = nodes.get(key)
                if node is None:
                    node = nodes[key] = len(nodes)
                    steps.append((node, parent, chain[i]))
                parent = node
            chain_nodes.append(parent)
        bits: dict[int, int] = {}
        for index, node in enumerate(chain_nodes):
            bits[node] = bits.get(node, 0) | 1 << index
        plan = self._plans[sig] = _Plan(steps, chain_nodes, list(bits.items()))
        return plan

    def matched(self, ctx: Ctx) -> set[int] | bool:
        """The leaf ids whose pattern matches one of their chain's values (or a fallback's forced verdict), kept in
        the evaluation's ``scans``: callers look there first, so this runs once per field and evaluation."""
        assert self._extract is not None
        cache = ctx.transformed
        raw = cache.get(self._field_key)
        if raw is None:
            raw = cache[self._field_key] = self._extract(ctx.request, ctx.body_limit)
        if isinstance(raw, bool):
            ctx.scans[self.slot] = raw  # every chain shares the field's extraction, hence its forced verdict
            return raw
        out: set[int] = set()
        results = self._results if RESULT_CACHE else {}
        for v in raw:
            known = results.get(v)
            if known is None:
                known = self._value(v)
                if len(v) <= RESULT_CACHE_VALUE_BYTES:
                    if len(results) >= RESULT_CACHE_ENTRIES:
                        results.clear()  # bounded: hostile traffic of unique values only costs the misses
                    results[v] = known
            if known:
                out.update(known)
        ctx.scans[self.slot] = out
        return out

    def _value(self, value: bytes) -> tuple[int, ...]:
        """The leaves one raw value matches through every chain: only the steps its own triggers can make change it
        run, as a tree (common steps once), and each distinct transformed value is matched once."""
        plan = self._plan(transforms.value_signature(value))
        if not plan.steps:  # no chain can change it (most values): one match serves every chain
            return self._match_all(value)
        values = [value]
        for _node, parent, fn in plan.steps:
            values.append(fn(values[parent]))
        found: set[int] = set()
        seen: dict[bytes, list[tuple[int, int]]] = {}
        for node, bits in plan.node_bits:
            data = values[node]
            hit = seen.get(data)
            if hit is None:
                hit = seen[data] = self._match(data)
            for chain_bit, leaf in hit:
                if chain_bit & bits:
                    found.add(leaf)
        return tuple(found)

    def _match(self, value: bytes) -> list[tuple[int, int]]:
        hits: list[tuple[int, int]] = []
        for match, owners, _leaves in self._sets:
            for local in match(value):
                hits.extend(owners[local])
        return hits

    def _match_all(self, value: bytes) -> tuple[int, ...]:
        """The leaves matching ``value`` itself, whatever their chain (a leaf may appear twice)."""
        found: tuple[int, ...] = ()
        for match, _owners, leaves in self._sets:
            for local in match(value):
                found += leaves[local]
        return found


def any_leaf(leaves: list[tuple[FieldScan, frozenset[int]]]) -> Predicate:
    """True when a field's scan matched one of the ids given for it (or its fallback forced a match)."""
    slots = [(scan.slot, scan.matched, ids) for scan, ids in leaves]
    if len(slots) == 1:
        ((slot, matched, ids),) = slots

        def one(ctx: Ctx) -> bool:
            got = ctx.scans.get(slot)
            if got is None:
                got = matched(ctx)
            if got is True:
                return True
            return got is not False and not got.isdisjoint(ids)

        return one

    def pred(ctx: Ctx) -> bool:
        scans = ctx.scans
        for slot, matched, ids in slots:
            got = scans.get(slot)
            if got is None:
                got = matched(ctx)
            if got is True:
                return True
            if got is not False and not got.isdisjoint(ids):
                return True
        return False

    return pred


# A necessary condition of a predicate: the set leaves (by field scan) of which one at least must match for it to be
# true. A pure predicate (no side effect: no label added, no rate counted) whose gate is closed is false without
# being called, and a rule group whose every rule is gated, closed for the union, is passed over whole.
Gate = dict[int, tuple["FieldScan", frozenset[int]]]
GateCheck = list[tuple[int, Callable[[Ctx], "set[int] | bool"], frozenset[int]]]


def union(gates: list[Gate]) -> Gate:
    out: Gate = {}
    for gate in gates:
        for slot, (scan, ids) in gate.items():
            seen = out.get(slot)
            out[slot] = (scan, ids if seen is None else seen[1] | ids)
    return out


def gate_check(gate: Gate) -> GateCheck:
    return [(slot, scan.matched, ids) for slot, (scan, ids) in gate.items()]


def gate_open(check: GateCheck, ctx: Ctx) -> bool:
    """True when a leaf of the gate matches (the predicate may be true): the field scans run as they would."""
    scans = ctx.scans
    for slot, matched, ids in check:
        got = scans.get(slot)
        if got is None:
            got = matched(ctx)
        if got is True:
            return True
        if got is not False and not got.isdisjoint(ids):
            return True
    return False


class PatternIndex:
    """The evaluator's field scans: leaves register while the ACL compiles, ``finish`` compiles the sets."""

    def __init__(self) -> None:
        self._scans: dict[str, FieldScan] = {}  # by field
        self.leaves: dict[Predicate, tuple[FieldScan, frozenset[int]]] = {}  # leaf predicate -> its scan and ids
        self.pure: set[Predicate] = set()  # predicates without side effects
        self.gates: dict[Predicate, Gate] = {}  # predicate -> its necessary condition, when it has one
        self.merged: set[Predicate] = set()  # an Or's set leaves as one predicate (as cheap as its gate)

    def note(self, pred: Predicate, *, pure: bool, gate: Gate | None = None) -> Predicate:
        if pure:
            self.pure.add(pred)
        if gate is not None:
            self.gates[pred] = gate
        return pred

    def rule_gate(self, pred: Predicate) -> GateCheck | None:
        """The check that may stand in for a pure predicate that is false, or None."""
        gate = self.gates.get(pred)
        return gate_check(gate) if gate is not None and pred in self.pure else None

    def merge_any(self, preds: list[Predicate]) -> list[Predicate]:
        """An Or's parts with its set leaves folded into one predicate (first): leaves are pure, so their order
        among themselves and before the other pure parts does not change the verdict, only the work."""
        by_scan: dict[int, tuple[FieldScan, set[int]]] = {}
        rest: list[Predicate] = []
        for p in preds:
            leaf = self.leaves.get(p)
            if leaf is None:
                rest.append(p)
                continue
            scan, ids = leaf
            by_scan.setdefault(scan.slot, (scan, set()))[1].update(ids)
        if len(preds) - len(rest) <= 1:
            return preds
        merged = any_leaf([(scan, frozenset(ids)) for scan, ids in by_scan.values()])
        self.note(merged, pure=True, gate={slot: (scan, frozenset(ids)) for slot, (scan, ids) in by_scan.items()})
        self.merged.add(merged)
        return [merged, *rest]

    def leaf(self, fc: FieldChain, options: str, patterns: list[bytes]) -> Predicate:
        """A predicate true when any of ``patterns`` matches a value of the field after the chain."""
        scan = self._scans.get(fc.field_key)
        if scan is None:
            scan = self._scans[fc.field_key] = FieldScan(len(self._scans))
        ids = scan.add(fc, options, patterns)
        pred = any_leaf([(scan, ids)])
        self.leaves[pred] = (scan, ids)
        return self.note(pred, pure=True, gate={scan.slot: (scan, ids)})

    def finish(self) -> None:
        for scan in self._scans.values():
            scan.finish()
