"""pytest fixtures for PostgreSQL: one server per session, one fresh database per test that asks for it.

tests/conftest.py loads this module through ``pytest_plugins``, so every test can ask for ``postgres_url``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.postgres import find_pg_bin, fresh_database, running_postgres

ENV_URL = "STRONGROOM_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A server for the whole session: the Makefile's (``$STRONGROOM_TEST_POSTGRES_URL``) or our own.

    Without binaries the PostgreSQL half of the suite is skipped on a laptop but fails in CI, where silently
    testing only SQLite would hide breakage.
    """
    given = os.environ.get(ENV_URL)
    if given:
        yield given
        return
    if find_pg_bin() is None:
        reason = (
            f"no PostgreSQL server binaries (apt-get install -y postgresql) and {ENV_URL} is not set; "
            "PostgreSQL tests cannot run"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with running_postgres() as url:
        yield url


@pytest.fixture
def postgres_db_url(postgres_url: str) -> str:
    """An empty database of its own, so tests never see each other's rows."""
    return fresh_database(postgres_url)
