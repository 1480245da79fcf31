"""``strongroom seal migrate``: re-wrap every stored sealed blob from one seal provider to another.

Reads never stop: first ``seal.json`` is rewritten to name the new provider with the old one as
``previous``, which a running server notices (keyring/factory.py ``RuntimeSeal``) so it reads blobs under
either provider and writes new ones under the new provider; then every registered sealed column
(keyring/registry.py) is re-wrapped row by row with a compare-and-swap update, pass after pass until a
pass finds nothing left; finally ``previous`` is dropped and the old file key retired.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import LargeBinary, and_, func, select, tuple_, update

from strongroom.keyring.factory import (
    SealSettings,
    SealState,
    create_provider,
    open_provider,
    read_state,
    write_state,
)
from strongroom.keyring.registry import SealedColumn, sealed_columns
from strongroom.keyring.seal import Seal, UnwrapError
from strongroom.store.schema import all_tables

if TYPE_CHECKING:
    from strongroom.core.config import Config
    from strongroom.store.engine import Store

BATCH = 200
MAX_PASSES = 5
Progress = Callable[[int, int, str], None]


class MigrationError(Exception):
    """The migration cannot start or cannot finish; nothing already re-wrapped is lost."""


@dataclass
class MigrationResult:
    rewrapped: int = 0
    unreadable: list[str] = field(default_factory=list)
    retired: Path | None = None
    per_column: dict[str, int] = field(default_factory=dict)


def _format(seal: Seal) -> bytes:
    return b"\x02" if seal.name == "pkcs11" else b"\x01"


def count_sealed(store: Store) -> int:
    total = 0
    with store.read() as conn:
        for col in sealed_columns():
            total += conn.execute(
                select(func.count()).select_from(col.table).where(col.sa_column.is_not(None))
            ).scalar_one()
    return total


def _rewrap_column(
    store: Store, col: SealedColumn, old: list[Seal], new: Seal, result: MigrationResult, tick: Callable[[str], None]
) -> int:
    pk = list(col.table.primary_key.columns)
    last: tuple[Any, ...] | None = None
    changed = 0
    while True:
        stmt = select(col.table).where(col.sa_column.is_not(None)).order_by(*pk).limit(BATCH)
        if last is not None:
            stmt = stmt.where(tuple_(*pk) > tuple_(*last))
        with store.read() as conn:
            rows = conn.execute(stmt).all()
        if not rows:
            return changed
        for row in rows:
            last = tuple(getattr(row, c.name) for c in pk)
            tick(col.name)
            blob: bytes = bytes(getattr(row, col.column))
            aad = col.aad(row)
            if blob[:1] == _format(new):
                try:
                    new.unwrap(blob, aad)
                    continue  # already under the new provider
                except UnwrapError:
                    pass
            plain: bytes | None = None
            for seal in old:
                if blob[:1] != _format(seal):
                    continue
                try:
                    plain = seal.unwrap(blob, aad)
                    break
                except UnwrapError:
                    continue
            if plain is None:
                result.unreadable.append(f"{col.name} {last}")
                continue
            where = and_(*(c == v for c, v in zip(pk, last, strict=True)), col.sa_column == blob)
            with store.write() as conn:
                done = conn.execute(update(col.table).where(where).values({col.column: new.wrap(plain, aad)}))
            if done.rowcount:
                changed += 1
                result.per_column[col.name] = result.per_column.get(col.name, 0) + 1


def rewrap_all(store: Store, old: list[Seal], new: Seal, progress: Progress | None = None) -> MigrationResult:
    """Passes over every registered column until one re-wraps nothing (rows written meanwhile included)."""
    result = MigrationResult()
    for _ in range(MAX_PASSES):
        result.unreadable.clear()
        total = count_sealed(store)
        seen = 0

        def tick(name: str, total: int = total) -> None:
            nonlocal seen
            seen += 1
            if progress is not None:
                progress(seen, total, name)

        changed = sum(_rewrap_column(store, col, old, new, result, tick) for col in sealed_columns())
        result.rewrapped += changed
        if changed == 0:
            break
    return result


def unregistered_with_data(store: Store) -> list[str]:
    """Columns that look sealed (``*sealed*`` binary) but were never registered, and hold rows.

    Migrating would leave those rows under a retired key, unreadable; the migration refuses instead.
    """
    registered = {c.name for c in sealed_columns()}
    found = []
    with store.read() as conn:
        for table in all_tables().sorted_tables:
            for column in table.columns:
                name = f"{table.name}.{column.name}"
                if "sealed" not in column.name or not isinstance(column.type, LargeBinary) or name in registered:
                    continue
                count = conn.execute(select(func.count()).select_from(table).where(column.is_not(None))).scalar_one()
                if count:
                    found.append(name)
    return found


def target_file_name(config: Config) -> str:
    """A key file name not in use, so a file -> pkcs11 -> file round trip never reuses a retired key."""
    if not (config.data_dir / "root.key").exists():
        return "root.key"
    n = 2
    while (config.data_dir / f"root-{n}.key").exists():
        n += 1
    return f"root-{n}.key"


def migrate(
    config: Config,
    store: Store,
    target: SealSettings,
    *,
    old_passphrase: str | None = None,
    new_passphrase: str | None = None,
    progress: Progress | None = None,
) -> MigrationResult:
    state = read_state(config)
    if state is None:
        raise MigrationError(f"{config.data_dir} is not initialised")
    old = open_provider(config, state.current)
    if old.is_sealed:
        attempt = getattr(old, "try_unseal", None)
        if callable(attempt):
            attempt(old_passphrase)
    if old.is_sealed:
        raise MigrationError(f"the current seal ({old.name}) is sealed here: {old.reason}")
    unregistered = unregistered_with_data(store)
    if unregistered:
        raise MigrationError(
            "these columns hold sealed values but are not registered with keyring.registry, so they could not be "
            f"re-wrapped: {', '.join(unregistered)}"
        )
    if target.provider == "file" and not target.key_file:  # no name given: a fresh one
        target.key_file = target_file_name(config)
    if target.identity() == state.current.identity():
        raise MigrationError(f"the data is already sealed by this {target.provider} seal")
    try:
        new = create_provider(config, target, new_passphrase)
    except (ValueError, OSError) as exc:
        raise MigrationError(str(exc)) from exc
    if new.is_sealed:
        raise MigrationError(f"the new seal cannot be opened: {new.reason}")
    previous = [state.current, *state.previous]
    old_seals = [old, *(open_provider(config, p) for p in state.previous)]
    # 1. servers learn of the new provider (and keep reading the old one)
    write_state(config, SealState(target, previous))
    result = rewrap_all(store, old_seals, new, progress)
    if result.unreadable:
        raise MigrationError(
            f"{len(result.unreadable)} sealed values open under no known provider (first: {result.unreadable[0]}); "
            "seal.json still lists the previous providers"
        )
    # 2. the old provider is no longer needed; one more pass catches a write that raced the last one
    write_state(config, SealState(target))
    final = rewrap_all(store, old_seals, new, progress)
    result.rewrapped += final.rewrapped
    if state.current.provider == "file":
        key = config.data_dir / state.current.key_file
        if key.exists():
            retired = key.with_name(key.name + ".retired")
            os.replace(key, retired)
            result.retired = retired
    return result
