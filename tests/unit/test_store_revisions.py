"""The start-up's migration check without Alembic (``store/revisions.py``) agrees with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from strongroom.store.migrate import alembic_config, upgrade
from strongroom.store.revisions import at_head, heads, sqlite_at_head


def test_heads_read_as_text_are_alembics() -> None:
    engine = create_engine("sqlite://")
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert heads() == frozenset(script.get_heads())


def test_at_head_only_when_the_database_holds_exactly_the_heads(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    assert not at_head(engine)  # a new database: no alembic_version table
    assert not sqlite_at_head(tmp_path / "db.sqlite") and not sqlite_at_head(tmp_path / "none.sqlite")
    upgrade(engine)
    assert at_head(engine) and sqlite_at_head(tmp_path / "db.sqlite")
    (head,) = heads() or ()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    assert not at_head(engine)  # an older database goes to Alembic
    assert not sqlite_at_head(tmp_path / "db.sqlite")
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert at_head(engine)
    engine.dispose()
