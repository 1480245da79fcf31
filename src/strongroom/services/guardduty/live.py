"""The live detector: each account's audit records, as they are written, through that account's engine.

The audit log hands every committed batch of records — read-only calls and failures too, and the S3 data events
the account's trails select — to ``feed_audit_records`` on its own thread, off the request path
(``AuditLog.on_records``; the server wires it). Per batch, one query finds the enabled detectors of the accounts in
it; each such account's records go, in order, through its engine (built once per detector settings version by the
engine factory), and the drafts it answers are stored as findings (``GuardDutyBase.ingest_in``). The engines' learned
state is kept in ``guardduty_engine_state`` (``DbStateStore``). Findings and state go in one transaction: at once
when a batch raises a draft of a finding this process has not stored, else at least every ``STORE_SECONDS`` (repeats
and learning coalesced: a transaction per audit batch held the write lock the request path's audit writer needs).
Several worker processes each feed their own records; ``DbStateStore`` merges instead of overwriting what another
process wrote in between (docs/guardduty.md, "Several workers, several nodes").

The engine is ``strongroom.detection``'s (``build_engine``), the one ``strongroom guardduty analyze`` runs offline.
``STRONGROOM_GUARDDUTY_ENGINE=module:callable`` names another factory — a seam for tests that need a predictable
engine (the e2e tests' stand-in, ``tests/support/guardduty_engine.py``).
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from strongroom.core.clock import clock
from strongroom.detection.contract import DetectorSettings, Engine, FindingDraft, StateStore, ThreatList
from strongroom.detection.engine import build_engine
from strongroom.detection.state import merge as merge_state
from strongroom.services.guardduty.model import detectors, engine_state, lists, org_admins
from strongroom.services.organizations.effective import org_of_account

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Row

    from strongroom.services.base.runtime import ServiceRuntime
    from strongroom.store.engine import Store

log = logging.getLogger("strongroom.guardduty")

EngineFactory = Callable[[DetectorSettings, StateStore], Engine]
ENGINE_ENV = "STRONGROOM_GUARDDUTY_ENGINE"
_NEGATIVE_SECONDS = 30.0  # an account without a detector is looked at again (auto-enable) this much later
STORE_SECONDS = 0.25  # repeats of known findings and learned state are stored at least this often
REFRESH_SECONDS = 60.0  # cached engine state is read afresh this often: what other worker processes learned


class NoDetections:
    """The engine when the factory ``STRONGROOM_GUARDDUTY_ENGINE`` names cannot be loaded: nothing is found."""

    def process(self, record: Mapping[str, Any]) -> list[FindingDraft]:
        return []


def _no_detections(settings: DetectorSettings, state: StateStore) -> Engine:
    return NoDetections()


def engine_factory() -> EngineFactory:
    """The configured factory: ``strongroom.detection.build_engine`` unless ``STRONGROOM_GUARDDUTY_ENGINE`` names
    another (see the module's docstring)."""
    named = os.environ.get(ENGINE_ENV, "")
    if not named:
        return build_engine
    module_name, _, attr = named.partition(":")
    try:
        return cast(EngineFactory, getattr(importlib.import_module(module_name), attr or "build_engine"))
    except (ImportError, AttributeError):
        log.error("%s=%s cannot be loaded; GuardDuty detects nothing", ENGINE_ENV, named)
        return _no_detections


class DbStateStore:
    """``StateStore`` over ``guardduty_engine_state``: reads cached, writes buffered until ``flush``.

    Several server processes (``--workers``) each feed their own records, so two engines may learn the same
    principal at once. ``flush`` is a compare-and-swap per value: inside the write transaction (SQLite's is
    exclusive; PostgreSQL's rows are locked ``FOR UPDATE``) the stored value is compared with the one this process
    read; when another process wrote in between, the two are merged (``detection.state.merge``: the union of what
    both learned) instead of overwritten, and the merged keys are reported (``flush``'s answer) so the engines
    drop their decoded copies. Cached reads are dropped every ``REFRESH_SECONDS`` (``LiveDetector``), so what the
    other processes learned is seen within that time."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, str], bytes | None] = {}
        self._base: dict[tuple[str, str], bytes | None] = {}  # the stored value this process's view started from
        self._dirty: dict[tuple[str, str], bytes] = {}  # put, not yet written (kept when a write fails)
        self._written: dict[tuple[str, str], bytes] = {}  # written in the open transaction
        self.merges = 0

    def get(self, account_id: str, key: str) -> bytes | None:
        slot = (account_id, key)
        if slot not in self._cache:
            with self.store.read() as conn:
                value = conn.execute(
                    select(engine_state.c.value).where(
                        engine_state.c.account_id == account_id, engine_state.c.key == key
                    )
                ).scalar()
            self._cache[slot] = value
            self._base.setdefault(slot, value)
        return self._cache[slot]

    def put(self, account_id: str, key: str, value: bytes) -> None:
        slot = (account_id, key)
        if slot not in self._base:  # written without a read: nothing stored was seen
            self._base[slot] = self._cache.get(slot)
        self._cache[slot] = value
        self._dirty[slot] = value

    def forget(self, account_id: str | None = None) -> None:
        """Drop cached values (of one account, or all) not waiting to be written: they are read afresh."""
        for slot in [s for s in self._cache if (account_id is None or s[0] == account_id) and s not in self._dirty]:
            del self._cache[slot]
            self._base.pop(slot, None)

    @property
    def pending(self) -> bool:
        return bool(self._dirty)

    def flush(self) -> set[tuple[str, str]]:
        """Write the buffered values in a transaction of their own; answers the slots whose stored value is now a
        merge with another process's."""
        for attempt in range(3):
            try:
                with self.store.write() as conn:
                    merged = self.write(conn)
                self.committed()
                return merged
            except IntegrityError:  # PostgreSQL: another process inserted one of the keys first; merge with it
                if attempt == 2:
                    raise
        return set()

    def write(self, conn: Connection) -> set[tuple[str, str]]:
        """Write the buffered values in ``conn``'s transaction (compare, merge, swap); ``committed`` once it is."""
        self._written = {}
        if not self._dirty:
            return set()
        now = clock.now()
        merged: set[tuple[str, str]] = set()
        stored = {
            (r.account_id, r.key): bytes(r.value)
            for r in conn.execute(
                select(engine_state.c.account_id, engine_state.c.key, engine_state.c.value)
                .where(tuple_(engine_state.c.account_id, engine_state.c.key).in_(list(self._dirty)))
                .with_for_update()
            )
        }
        for slot, value in self._dirty.items():
            current = stored.get(slot)
            if current is not None and current != self._base.get(slot):  # another process wrote since we read
                value = merge_state(current, value)
                merged.add(slot)
            account, key = slot
            if slot in stored:
                conn.execute(
                    engine_state.update()
                    .where(engine_state.c.account_id == account, engine_state.c.key == key)
                    .values(value=value, updated_at=now)
                )
            else:
                conn.execute(engine_state.insert().values(account_id=account, key=key, value=value, updated_at=now))
            self._written[slot] = value
        self.merges += len(merged)
        return merged

    def committed(self) -> None:
        """``write``'s transaction committed: what it wrote is what the table holds, and this process's view."""
        for slot, value in self._written.items():
            self._cache[slot] = self._base[slot] = value
            self._dirty.pop(slot, None)
        self._written = {}


def record_account(record: Mapping[str, Any]) -> tuple[str, str]:
    identity = record.get("userIdentity") or {}
    account = str(record.get("recipientAccountId") or identity.get("accountId") or "")
    return account, str(record.get("awsRegion") or "")


class LiveDetector:
    """One per server process; ``feed`` runs on the audit log's record-hook thread only."""

    def __init__(self, owner: Any, runtime: ServiceRuntime, factory: EngineFactory | None = None) -> None:
        self.owner = owner  # the provider: ingest(), enroll()
        self.runtime = runtime
        self._factory = factory
        self.state = DbStateStore(runtime.store)
        self._engines: dict[str, tuple[int, Engine, bool]] = {}  # detector -> (version, engine, S3 data events)
        self._absent: dict[tuple[str, str], float] = {}
        self._refresh_at = time.monotonic() + REFRESH_SECONDS
        self._lock = threading.Lock()  # feed (the record-hook thread) and the store timer
        self._pending: dict[str, tuple[Row[Any], list[FindingDraft]]] = {}  # detector -> drafts not stored yet
        self._stored_keys: set[tuple[str, str]] = set()  # (detector, dedup key) this process has stored
        self._due = 0.0  # when waiting drafts and state are stored at the latest
        self._timer: threading.Timer | None = None
        self.records = 0  # analysed by an engine
        self.skipped = 0  # of accounts without an enabled detector, or data events the detector does not read
        self.drafts = 0
        self.seconds = 0.0  # spent in feed (wall clock, on the record-hook thread)

    @property
    def factory(self) -> EngineFactory:
        if self._factory is None:
            self._factory = engine_factory()
        return self._factory

    def _settings(self, row: Row[Any]) -> DetectorSettings:
        with self.runtime.store.read() as conn:
            found = conn.execute(
                select(lists).where(lists.c.detector_id == row.detector_id, lists.c.status == "ACTIVE")
            ).all()
        trusted = [ThreatList(r.name, frozenset(json.loads(r.entries)), r.list_id) for r in found if r.kind == "IPSET"]
        threats = [ThreatList(r.name, frozenset(json.loads(r.entries)), r.list_id) for r in found if r.kind == "THREAT"]
        features = json.loads(row.features)
        return DetectorSettings(
            account_id=row.account_id,
            detector_id=row.detector_id,
            s3_data_events=features.get("S3_DATA_EVENTS", {}).get("status", "ENABLED") == "ENABLED",
            trusted=tuple(trusted),
            threats=tuple(threats),
        )

    def engine(self, row: Row[Any]) -> tuple[Engine, bool]:
        """The detector's engine and whether it reads S3 data events, rebuilt when its settings changed."""
        cached = self._engines.get(row.detector_id)
        if cached is not None and cached[0] == row.version:
            return cached[1], cached[2]
        self.state.forget(row.account_id)  # a rebuilt engine reads its state afresh
        settings = self._settings(row)
        built = self.factory(settings, self.state)
        self._engines[row.detector_id] = (row.version, built, settings.s3_data_events)
        return built, settings.s3_data_events

    def feed(self, records: Iterable[Mapping[str, Any]]) -> None:
        started = time.perf_counter()
        try:
            with self._lock:
                self._feed(records)
        finally:
            self.seconds += time.perf_counter() - started

    def _feed(self, records: Iterable[Mapping[str, Any]]) -> None:
        groups: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
        for record in records:
            account, region = record_account(record)
            if account and region:
                groups[(account, region)].append(record)
            else:
                self.skipped += 1
        if not groups:
            return
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(detectors).where(tuple_(detectors.c.account_id, detectors.c.region).in_(list(groups)))
            ).all()
        found = {(r.account_id, r.region): r for r in rows}
        for slot in groups:
            if slot not in found and self._auto_enable(*slot):
                with self.runtime.store.read() as conn:
                    row = conn.execute(
                        select(detectors).where(detectors.c.account_id == slot[0], detectors.c.region == slot[1])
                    ).first()
                if row is not None:
                    found[slot] = row
        found_drafts: list[tuple[Row[Any], list[FindingDraft]]] = []
        for slot, items in groups.items():
            row = found.get(slot)
            if row is None or row.status != "ENABLED":
                self.skipped += len(items)
                continue
            try:
                drafts = self._run(row, items)
            except Exception:
                log.exception("GuardDuty could not analyse %d records of %s", len(items), slot[0])
                continue
            if drafts:
                found_drafts.append((row, drafts))
        for row, drafts in found_drafts:
            self._pending.setdefault(row.detector_id, (row, []))[1].extend(drafts)
        # A draft of a finding this process has not stored may be a new finding: it is stored (and its event sent)
        # now. Repeats and learned state wait up to STORE_SECONDS: a transaction per audit batch (tens a second per
        # worker) cost the request path's audit writer its write lock and an fsync each time.
        fresh = any(
            (row.detector_id, d.dedup_key) not in self._stored_keys for row, drafts in found_drafts for d in drafts
        )
        if fresh or time.monotonic() >= self._due:
            self._store_pending()
        elif (self._pending or self.state.pending) and (self._timer is None or not self._timer.is_alive()):
            self._timer = threading.Timer(max(0.0, self._due - time.monotonic()), self._store_due)
            self._timer.daemon = True
            self._timer.start()
        if time.monotonic() >= self._refresh_at:
            self._refresh_at = time.monotonic() + REFRESH_SECONDS
            self.state.forget()
            self._drop_decoded(None)

    def _store_due(self) -> None:
        """The timer: what waited since the last batch is stored even when no batch follows."""
        with self._lock:
            if self._pending or self.state.pending:
                self._store_pending()

    def _store_pending(self) -> None:
        pending, self._pending = list(self._pending.values()), {}
        self._due = time.monotonic() + STORE_SECONDS
        merged = self._store(pending)
        if len(self._stored_keys) > 100_000:
            self._stored_keys.clear()
        self._stored_keys.update((row.detector_id, d.dedup_key) for row, drafts in pending for d in drafts)
        if merged:
            self._drop_decoded({key for _, key in merged})

    def _store(self, found: list[tuple[Row[Any], list[FindingDraft]]]) -> set[tuple[str, str]]:
        """The batch's findings and the engines' state, in one transaction (one commit per batch: each is an fsync,
        and holds the database's write lock the request path's audit writer also needs)."""
        if not found and not self.state.pending:
            return set()
        for attempt in range(3):
            try:
                now = clock.now()
                exports: list[str] = []
                with self.runtime.store.write() as conn:
                    for row, drafts in found:
                        if self.owner.ingest_in(conn, row, drafts, now)[1]:
                            exports.append(row.detector_id)
                    merged = self.state.write(conn)
                self.state.committed()
                for detector_id in exports:  # the scheduler writes in a transaction of its own
                    self.owner.export_soon(detector_id, now)
                return merged
            except IntegrityError:  # PostgreSQL: another process inserted a state key first; merge with it
                if attempt < 2:
                    continue
                log.exception("GuardDuty could not store the findings and state of a batch")
            except Exception:
                log.exception("GuardDuty could not store the findings and state of a batch")
                break
        return set()

    def _drop_decoded(self, keys: set[str] | None) -> None:
        """The engines' decoded copies of these state keys (None: all) are read again from the state store."""
        for _, engine, _ in self._engines.values():
            cache = getattr(getattr(engine, "states", None), "cache", None)
            if not isinstance(cache, dict):
                continue
            if keys is None:
                cache.clear()
            else:
                for key in keys:
                    cache.pop(key, None)

    def _run(self, row: Row[Any], items: list[Mapping[str, Any]]) -> list[FindingDraft]:
        engine, s3_data = self.engine(row)
        drafts: list[FindingDraft] = []
        for record in items:
            if record.get("eventCategory") == "Data" and not s3_data:
                self.skipped += 1
                continue
            self.records += 1
            drafts += engine.process(record)
        self.drafts += len(drafts)
        return drafts

    def _auto_enable(self, account: str, region: str) -> bool:
        """An account of an organization whose GuardDuty administrator auto-enables members gets its detector."""
        now = time.monotonic()
        if self._absent.get((account, region), 0.0) > now:
            return False
        self._absent[(account, region)] = now + _NEGATIVE_SECONDS
        org = org_of_account(self.runtime.store, account)
        if org is None:
            return False
        with self.runtime.store.write() as conn:
            admin = conn.execute(
                select(org_admins).where(org_admins.c.org_id == org.org_id, org_admins.c.region == region)
            ).first()
            if admin is None or admin.auto_enable == "NONE" or admin.admin_account == account:
                return False
            admin_detector = conn.execute(
                select(detectors.c.detector_id).where(
                    detectors.c.account_id == admin.admin_account, detectors.c.region == region
                )
            ).scalar()
            if admin_detector is None:
                return False
            self.owner.enroll(conn, admin.admin_account, admin_detector, account, region, None)
        self._absent.pop((account, region), None)
        return True


def live_detector(runtime: ServiceRuntime) -> LiveDetector | None:
    """The process's live detector, or None when GuardDuty is not loaded."""
    live = getattr(runtime.providers.provider("guardduty"), "live", None)
    return live if isinstance(live, LiveDetector) else None


def feed_audit_records(runtime: ServiceRuntime, records: list[dict[str, Any]]) -> None:
    """``AuditLog.on_records`` hook (the server registers it): hand a committed batch to GuardDuty's live detector."""
    live = live_detector(runtime)
    if live is not None:
        live.feed(records)
