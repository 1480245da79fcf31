"""Shared fixtures: a real server per storage backend (SQLite and PostgreSQL), driven with boto3."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServerProcess

pytest_plugins = ["tests.support.fixtures_pg"]

for _name in list(os.environ):
    if _name.startswith("AWS_"):
        del os.environ[_name]
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def pytest_configure(config: pytest.Config) -> None:
    # deselect with -m "not slow": tests that build a virtualenv from the package index (~80 s)
    config.addinivalue_line("markers", "slow: takes more than a minute")


BACKENDS = [b for b in os.environ.get("STRONGROOM_TEST_BACKENDS", "sqlite,postgres").split(",") if b]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def database_url_for(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend == "sqlite":
        return None
    from tests.support.postgres import fresh_database

    return fresh_database(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One test-mode server per backend for the whole session; tests create uniquely named resources."""
    data_dir: Path = tmp_path_factory.mktemp(f"server-{backend}")
    srv = ServerProcess(data_dir, database_url_for(backend, request), ["--test-mode"])
    srv.init()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def make_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    """Factory for tests that need their own server (flags, restarts, crashes); stopped at the end."""
    started: list[ServerProcess] = []

    def factory(
        *extra: str, backend: str = "sqlite", init: bool = True, database_url: str | None = None
    ) -> ServerProcess:
        data_dir = tmp_path / f"srv{len(started)}"
        url = database_url if database_url is not None else database_url_for(backend, request)
        srv = ServerProcess(data_dir, url, list(extra))
        if init:
            srv.init()
        started.append(srv)
        return srv

    yield factory
    for srv in started:
        srv.stop()
