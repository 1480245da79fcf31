"""Fixtures the unit tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.core.config import sqlite_url
from strongroom.store.engine import Store
from tests.conftest import BACKENDS
from tests.support.postgres import fresh_database


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty database on each backend (a test file may define its own ``store`` instead)."""
    sqlite = request.param == "sqlite"
    db = Store(sqlite_url(tmp_path) if sqlite else fresh_database(request.getfixturevalue("postgres_url")))
    db.migrate()
    yield db
    db.dispose()
