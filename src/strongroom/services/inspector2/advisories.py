"""The advisory database in Inspector's tables: loaded by ``strongroom inspector update-db``, read by the engine as an
``AdvisorySource``.

Loading replaces the whole database in one transaction (readers see the old build or the new one, never half), and
does nothing when the content hash (the engine's ``database_version``) equals the loaded build's: running it again
with the same files is free. The version is what each finding records and what the scanner compares to decide that
every function needs scanning again.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select

from strongroom.core.clock import clock
from strongroom.services.inspector2.model import advisories, advisory_packages, database
from strongroom.store.engine import Store
from strongroom.vulnscan.contract import Advisory
from strongroom.vulnscan.ecosystems import base_ecosystem, normalize_name
from strongroom.vulnscan.osv import affected_keys, database_version, load_advisories, parse_advisory

_BATCH = 500


@dataclass(frozen=True, slots=True)
class LoadResult:
    version: str
    advisories: int
    withdrawn: int
    changed: bool


def current_version(store: Store) -> str | None:
    with store.read() as conn:
        version = conn.execute(select(database.c.version).where(database.c.id == 1)).scalar()
    return str(version) if version is not None else None


def database_info(store: Store) -> dict[str, object] | None:
    with store.read() as conn:
        row = conn.execute(select(database).where(database.c.id == 1)).first()
    if row is None:
        return None
    return {"version": row.version, "advisories": row.advisories, "source": row.source, "loaded_at": row.loaded_at}


def load(
    store: Store,
    paths: Sequence[str | Path],
    progress: Callable[[int, int], None] | None = None,
) -> LoadResult:
    """Load the OSV advisories under ``paths`` (directories, files, OSV's zip dumps) as the database."""
    loaded, withdrawn = load_advisories(paths)
    version = database_version(loaded)
    if current_version(store) == version:
        return LoadResult(version, len(loaded), withdrawn, changed=False)
    total = len(loaded)
    with store.write() as conn:
        conn.execute(delete(advisory_packages))
        conn.execute(delete(advisories))
        for start in range(0, total, _BATCH):
            batch = loaded[start : start + _BATCH]
            conn.execute(
                insert(advisories),
                [
                    {"advisory_id": adv.id, "modified": adv.modified[:40], "body": json.dumps(adv.raw, default=str)}
                    for adv in batch
                ],
            )
            keys = [
                {"ecosystem": eco[:32], "name": name[:256], "advisory_id": adv.id}
                for adv in batch
                for eco, name in sorted(affected_keys(adv))
            ]
            if keys:
                conn.execute(insert(advisory_packages), keys)
            if progress is not None:
                progress(min(start + _BATCH, total), total)
        conn.execute(delete(database))
        conn.execute(
            insert(database).values(
                id=1,
                version=version,
                advisories=total,
                source=", ".join(str(p) for p in paths)[:4000],
                loaded_at=clock.now(),
            )
        )
    return LoadResult(version, total, withdrawn, changed=True)


class StoredSource:
    """The loaded database as the engine's ``AdvisorySource``; one per scan (its cache lives as long as it)."""

    def __init__(self, store: Store, version: str) -> None:
        self.store = store
        self.version = version
        self._cache: dict[tuple[str, str], list[Advisory]] = {}
        self._lock = threading.Lock()

    def advisories_for(self, ecosystem: str, name: str) -> Sequence[Advisory]:
        key = (base_ecosystem(ecosystem), normalize_name(ecosystem, name))
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        query = (
            select(advisories.c.body)
            .join(advisory_packages, advisory_packages.c.advisory_id == advisories.c.advisory_id)
            .where(advisory_packages.c.ecosystem == key[0], advisory_packages.c.name == key[1])
            .order_by(advisories.c.advisory_id)
        )
        with self.store.read() as conn:
            bodies = conn.execute(query).scalars().all()
        found = [adv for adv in (parse_advisory(json.loads(body)) for body in bodies) if adv is not None]
        with self._lock:
            self._cache[key] = found
        return found


def source(store: Store) -> StoredSource | None:
    """The loaded database, or None before ``update-db`` ran."""
    version = current_version(store)
    return StoredSource(store, version) if version is not None else None
