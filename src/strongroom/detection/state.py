"""What the engine learns, kept compactly in a ``StateStore``: per-principal baselines and recent signals.

A baseline is a few bounded maps (API → when first/last seen, user-agent family, /16 network, Region) and a
24-bit hour-of-day mask: a principal's state stays under a few KB whatever its traffic. It is written back only
when it changes — a new value, or a known value seen on a new day — so steady traffic costs no writes.
"""

from __future__ import annotations

from typing import Any

import orjson

from strongroom.detection.contract import StateStore

# Per-kind caps: past them the value seen least recently is forgotten.
CAPS = {"a": 400, "u": 24, "n": 64, "r": 16, "k": 256, "i": 8, "N": 2048, "U": 256, "R": 32}
SETTLE_SECONDS = 86_400  # a value joins the baseline a day after it was first seen: one burst cannot teach itself
_STATE_VERSION = 2
MERGED_SIGNALS = 64  # families/sequence.py's _MAX_SIGNALS
MERGED_PAIRS = 32  # families/anomaly.py's recent KMS deletions


class MemoryStateStore:
    """The offline analyzer's StateStore: a dict."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], bytes] = {}

    def get(self, account_id: str, key: str) -> bytes | None:
        return self.data.get((account_id, key))

    def put(self, account_id: str, key: str, value: bytes) -> None:
        self.data[(account_id, key)] = value


class Baseline:
    """One principal's (or the account's) learned behaviour. Times are whole seconds since the epoch (event time);
    each value keeps when it was first seen and the last day it was seen."""

    __slots__ = ("dirty", "first", "hours", "items", "key")

    def __init__(self, key: str, first: int, hours: int = 0, items: dict[str, dict[str, list[int]]] | None = None):
        self.key = key
        self.first = first
        self.hours = hours
        self.items: dict[str, dict[str, list[int]]] = items if items is not None else {}
        self.dirty = False

    @classmethod
    def load(cls, key: str, raw: bytes | None, now: int) -> Baseline:
        if raw is None:
            fresh = cls(key, now)
            fresh.dirty = True
            return fresh
        data: dict[str, Any] = orjson.loads(raw)
        return cls(key, int(data["f"]), int(data.get("h", 0)), data.get("i") or {})

    def dump(self) -> bytes:
        return orjson.dumps({"v": _STATE_VERSION, "f": self.first, "h": self.hours, "i": self.items})

    def age(self, now: int) -> int:
        return now - self.first

    def known(self, kind: str, value: str, now: int, settle: int = SETTLE_SECONDS) -> bool:
        """Whether ``value`` is part of the baseline: seen, and first seen at least ``settle`` seconds ago (a day;
        less when the detector's whole learning period is shorter)."""
        entry = self.items.get(kind, {}).get(value)
        return entry is not None and now - entry[0] >= settle

    def seen(self, kind: str, value: str) -> bool:
        return value in self.items.get(kind, ())

    def hour_known(self, hour_of_day: int) -> bool:
        return bool(self.hours >> hour_of_day & 1)

    def learn(self, kind: str, value: str, now: int) -> None:
        if not value:
            return
        table = self.items.get(kind)
        if table is None:
            table = self.items[kind] = {}
        entry = table.get(value)
        day = now // 86_400
        if entry is None:
            table[value] = [now, day]
            self.dirty = True
            cap = CAPS.get(kind, 64)
            if len(table) > cap:
                oldest = min(table, key=lambda v: (table[v][1], table[v][0]))
                del table[oldest]
        elif entry[1] != day:
            entry[1] = day
            self.dirty = True

    def learn_many(self, pairs: tuple[tuple[str, str], ...], now: int) -> None:
        """``learn`` for several (kind, value) pairs; the common case — known, already seen today — costs a lookup."""
        day = now // 86_400
        items = self.items
        for kind, value in pairs:
            table = items.get(kind)
            entry = table.get(value) if table is not None else None
            if entry is not None and entry[1] == day:
                continue
            self.learn(kind, value, now)

    def learn_hour(self, hour_of_day: int) -> None:
        bit = 1 << hour_of_day
        if not self.hours & bit:
            self.hours |= bit
            self.dirty = True


class States:
    """The engine's view of its StateStore: decoded baselines cached, written through when they change."""

    __slots__ = ("account", "cache", "store")

    def __init__(self, store: StateStore, account: str) -> None:
        self.store = store
        self.account = account
        self.cache: dict[str, Baseline] = {}

    def baseline(self, key: str, now: int) -> Baseline:
        found = self.cache.get(key)
        if found is None:
            if len(self.cache) > 50_000:  # a bound on memory; the store keeps everything
                self.cache.clear()
            found = Baseline.load(key, self.store.get(self.account, key), now)
            self.cache[key] = found
        return found

    def save(self, baseline: Baseline) -> None:
        if baseline.dirty:
            self.store.put(self.account, baseline.key, baseline.dump())
            baseline.dirty = False

    def get_json(self, key: str) -> Any:
        raw = self.store.get(self.account, key)
        return None if raw is None else orjson.loads(raw)

    def put_json(self, key: str, value: Any) -> None:
        self.store.put(self.account, key, orjson.dumps(value))


def merge(theirs: bytes, ours: bytes) -> bytes:
    """One state value written by two engines that each started from the same stored value (two server
    processes learning the same principal): the union of what both learned, so neither's update is lost.

    Baselines: every value either saw (first seen the earlier, last day the later), the hours of both, the earlier
    start; past a kind's cap the least recently seen go, as ``learn`` drops them. Signal lists (attack-sequence
    signals by type, KMS deletion (time, key) pairs): the union, each entry at its latest, in time order, within
    the caps their detectors keep. Anything else: ours (the later write)."""
    a, b = orjson.loads(theirs), orjson.loads(ours)
    if isinstance(a, dict) and isinstance(b, dict) and "i" in a and "i" in b:
        return _merge_baselines(a, b)
    if isinstance(a, list) and isinstance(b, list):
        if all(isinstance(x, dict) and "type" in x for x in a + b):
            return orjson.dumps(_merge_signals(a, b)[-MERGED_SIGNALS:])
        if all(isinstance(x, list) and len(x) == 2 for x in a + b):
            latest: dict[Any, float] = {}
            for t, k in a + b:
                latest[k] = max(latest.get(k, t), t)
            pairs = sorted(([t, k] for k, t in latest.items()), key=lambda p: p[0])
            return orjson.dumps(pairs[-MERGED_PAIRS:])
    return ours


def _merge_baselines(a: dict[str, Any], b: dict[str, Any]) -> bytes:
    items: dict[str, dict[str, list[int]]] = {}
    for kind in set(a["i"]) | set(b["i"]):
        table: dict[str, list[int]] = {}
        for source in (a["i"].get(kind) or {}, b["i"].get(kind) or {}):
            for value, (first, day) in source.items():
                entry = table.get(value)
                table[value] = [first, day] if entry is None else [min(entry[0], first), max(entry[1], day)]
        cap = CAPS.get(kind, 64)
        if len(table) > cap:
            keep = sorted(table, key=lambda v: (table[v][1], table[v][0]))[-cap:]
            table = {v: table[v] for v in keep}
        items[kind] = table
    merged = Baseline(
        str(b.get("k", "")), min(int(a["f"]), int(b["f"])), int(a.get("h", 0)) | int(b.get("h", 0)), items
    )
    return merged.dump()


def _merge_signals(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_type: dict[str, dict[str, Any]] = {}
    for signal in a + b:
        found = by_type.get(signal["type"])
        if found is None:
            by_type[signal["type"]] = dict(signal, apis=list(signal.get("apis") or []))
            continue
        found["first"] = min(found["first"], signal["first"])
        found["last"] = max(found["last"], signal["last"])
        found["count"] = max(found["count"], signal["count"])
        found["sev"] = max(found.get("sev", 0), signal.get("sev", 0))
        for api in signal.get("apis") or []:
            if api not in found["apis"] and len(found["apis"]) < 8:
                found["apis"].append(api)
    return sorted(by_type.values(), key=lambda s: s["first"])
