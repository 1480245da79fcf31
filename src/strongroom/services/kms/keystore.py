"""KMS keys as records, their sealed material, and the in-memory cache of both.

The hot path (Encrypt, Decrypt, Sign, ...) reads keys and material from memory. Anything that makes a
cached key stale (state, rotation, import, deletion, alias moves) is appended to ``kms_key_changes``;
every node polls that log at most ``POLL_SECONDS`` apart and drops what changed, so a change reaches
all nodes within that bound. The node that made a change drops it at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from strongroom.core.clock import clock
from strongroom.keyring.seal import Seal
from strongroom.services.kms import model
from strongroom.services.kms.errors import NotFoundException
from strongroom.store.engine import Store

POLL_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class KeyRecord:
    arn: str
    key_id: str
    account_id: str
    region: str
    description: str
    key_usage: str
    key_spec: str
    origin: str
    key_manager: str
    state: str
    created_at: datetime
    policy: str
    multi_region: bool = False
    primary_arn: str | None = None
    deletion_date: datetime | None = None
    pending_window_days: int | None = None
    valid_to: datetime | None = None
    expiration_model: str | None = None
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation_at: datetime | None = None
    on_demand_rotation_at: datetime | None = None
    current_material_id: str | None = None
    custom_key_store_id: str | None = None
    public_key: bytes | None = None
    last_used_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_row(row: Any) -> KeyRecord:
        values = {name: getattr(row, name) for name in _COLUMNS}
        return KeyRecord(**values)

    @property
    def enabled(self) -> bool:
        return self.state == "Enabled"

    @property
    def is_primary(self) -> bool:
        return self.multi_region and self.primary_arn == self.arn


_COLUMNS = [c.name for c in model.keys.columns]


def new_material_id() -> str:
    return secrets.token_hex(32)


class KeyStore:
    def __init__(self, store: Store, seal: Seal) -> None:
        self.store = store
        self.seal = seal
        self._records: dict[str, KeyRecord] = {}
        self._by_id: dict[tuple[str, str, str], str] = {}  # (account, region, key id) -> arn
        self._aliases: dict[tuple[str, str, str], str | None] = {}  # (account, region, alias) -> key id
        self._materials: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()
        self._last_poll = 0.0
        self._seen_seq = self._max_seq()

    # -- lookups ----------------------------------------------------------------------------------------

    def by_arn(self, arn: str, conn: Connection | None = None) -> KeyRecord | None:
        self._maybe_poll()
        if conn is None:
            cached = self._records.get(arn)
            if cached is not None:
                return cached
        record = self._load(select(model.keys).where(model.keys.c.arn == arn), conn)
        return record

    def by_id(self, account_id: str, region: str, key_id: str, conn: Connection | None = None) -> KeyRecord | None:
        self._maybe_poll()
        if conn is None:
            arn = self._by_id.get((account_id, region, key_id))
            if arn is not None and arn in self._records:
                return self._records[arn]
        stmt = select(model.keys).where(
            model.keys.c.account_id == account_id, model.keys.c.region == region, model.keys.c.key_id == key_id
        )
        return self._load(stmt, conn)

    def alias_target(self, account_id: str, region: str, alias: str, conn: Connection | None = None) -> str | None:
        self._maybe_poll()
        cache_key = (account_id, region, alias)
        if conn is None and cache_key in self._aliases:
            return self._aliases[cache_key]
        stmt = select(model.aliases.c.key_id).where(
            model.aliases.c.account_id == account_id,
            model.aliases.c.region == region,
            model.aliases.c.name == alias,
        )
        if conn is not None:
            return conn.execute(stmt).scalar_one_or_none()
        with self.store.read() as c:
            target = c.execute(stmt).scalar_one_or_none()
        with self._lock:
            self._aliases[cache_key] = target
        return target

    def _load(self, stmt: Any, conn: Connection | None) -> KeyRecord | None:
        if conn is not None:
            row = conn.execute(stmt).first()
            return KeyRecord.from_row(row) if row is not None else None
        with self.store.read() as c:
            row = c.execute(stmt).first()
        if row is None:
            return None
        record = KeyRecord.from_row(row)
        with self._lock:
            self._records[record.arn] = record
            self._by_id[(record.account_id, record.region, record.key_id)] = record.arn
        return record

    def require(self, account_id: str, region: str, key_id: str, conn: Connection | None = None) -> KeyRecord:
        record = self.by_id(account_id, region, key_id, conn)
        if record is None:
            raise NotFoundException(f"Key '{_arn(account_id, region, key_id)}' does not exist")
        return record

    # -- material -----------------------------------------------------------------------------------------

    def material(self, record: KeyRecord, material_id: str | None = None) -> bytes | None:
        """The plaintext material of one version (the current one by default), or None if absent."""
        mid = material_id or record.current_material_id
        if mid is None:
            return None
        cache_key = (record.arn, mid)
        cached = self._materials.get(cache_key)
        if cached is not None:
            return cached
        with self.store.read() as conn:
            sealed = conn.execute(
                select(model.materials.c.sealed).where(
                    model.materials.c.key_arn == record.arn, model.materials.c.material_id == mid
                )
            ).scalar_one_or_none()
        if sealed is None:
            return None
        plain = self.seal.unwrap(sealed, model.material_aad(record.arn, mid))
        with self._lock:
            self._materials[cache_key] = plain
        return plain

    def seal_material(self, key_arn: str, material_id: str, material: bytes) -> bytes:
        return self.seal.wrap(material, model.material_aad(key_arn, material_id))

    # -- invalidation -------------------------------------------------------------------------------------

    def changed(self, conn: Connection, arns: Iterable[str]) -> None:
        """Record, inside the caller's transaction, that these keys (or alias scopes) changed."""
        now = clock.now()
        rows = [{"key_arn": arn, "changed_at": now} for arn in arns]
        if rows:
            conn.execute(model.changes.insert(), rows)

    def forget(self, arns: Iterable[str] | None = None) -> None:
        """Drop cached entries on this node (all of them when ``arns`` is None)."""
        with self._lock:
            if arns is None:
                self._records.clear()
                self._by_id.clear()
                self._aliases.clear()
                self._materials.clear()
                return
            for arn in arns:
                if arn.startswith("alias-scope:"):
                    _, account, region = arn.split(":", 2)
                    for k in [k for k in self._aliases if k[0] == account and k[1] == region]:
                        del self._aliases[k]
                    continue
                record = self._records.pop(arn, None)
                if record is not None:
                    self._by_id.pop((record.account_id, record.region, record.key_id), None)
                for mk in [mk for mk in self._materials if mk[0] == arn]:
                    del self._materials[mk]

    def _max_seq(self) -> int:
        with self.store.read() as conn:
            return int(conn.execute(select(func.coalesce(func.max(model.changes.c.seq), 0))).scalar_one())

    def _maybe_poll(self) -> None:
        now = time.monotonic()
        if now - self._last_poll < POLL_SECONDS:
            return
        self._last_poll = now
        self.poll()

    def poll(self) -> None:
        with self.store.read() as conn:
            rows = conn.execute(
                select(model.changes.c.seq, model.changes.c.key_arn)
                .where(model.changes.c.seq > self._seen_seq)
                .order_by(model.changes.c.seq)
            ).all()
        if rows:
            self._seen_seq = rows[-1].seq
            self.forget({r.key_arn for r in rows})


def alias_scope(account_id: str, region: str) -> str:
    """The change-log entry that invalidates every cached alias of an account and region."""
    return f"alias-scope:{account_id}:{region}"


def _arn(account_id: str, region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"
