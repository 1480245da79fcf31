"""The Alembic migrations create exactly the schema the table definitions describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from strongroom.store.engine import Store
from strongroom.store.schema import all_tables


def _diff(url: str) -> list[object]:
    store = Store(url)
    try:
        store.migrate()
        with store.engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), all_tables()))
    finally:
        store.dispose()


def test_migrations_match_models_on_sqlite(tmp_path: Path) -> None:
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


def test_migrations_match_models_on_postgres(postgres_url: str) -> None:
    from tests.support.postgres import fresh_database

    assert _diff(fresh_database(postgres_url)) == []


def test_migrating_twice_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    _diff(url)
    assert _diff(url) == []


@pytest.fixture(autouse=True)
def _quiet_alembic(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="alembic")
