"""Whether a database is at the migrations' head, decided without Alembic.

Every server start checks its migrations. Through Alembic that check imports Alembic, every revision file and
every table-owning module (``env.py``'s ``all_tables()``): ~0.3 s of a start-up that should answer its first request
within 1.5 s, spent on a database that is almost always current. The revision files name their ``revision`` and
``down_revision`` on lines of their own; read as text, they give the heads, and a database whose
``alembic_version`` holds exactly those needs nothing. Anything else (a new database, an older one, a file this
reader cannot follow) goes to Alembic as before. ``tests/unit/test_store_revisions.py`` holds these heads equal to
Alembic's.
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]\s*$", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+?)\s*$", re.MULTILINE)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


@cache
def heads() -> frozenset[str] | None:
    """The revisions no other revision follows; None when a file does not say its revisions plainly."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        if path.name == "__init__.py":
            continue
        source = path.read_text()
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        followed.update(_QUOTED.findall(down.group(1)))  # None, "0001", or a tuple of them (a merge)
    found = frozenset(revisions - followed)
    return found or None


def at_head(engine: Engine) -> bool:
    """True when the database's ``alembic_version`` holds exactly the heads (False on any doubt)."""
    wanted = heads()
    if wanted is None:
        return False
    try:
        with engine.connect() as conn:
            stored = {str(row[0]) for row in conn.exec_driver_sql(_STORED)}
    except Exception:  # no table yet (a new database), or anything else: Alembic decides
        return False
    return stored == wanted


def sqlite_at_head(database: Path) -> bool:
    """``at_head`` for a SQLite file, with the standard library only: the ``--workers`` parent, which stays small
    (no SQLAlchemy), skips the migration process on a current database."""
    wanted = heads()
    if wanted is None or not database.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
        try:
            stored = {str(row[0]) for row in conn.execute(_STORED)}
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return stored == wanted


_STORED = "SELECT version_num FROM alembic_version"
