"""Prepared point reads (``store/prepared.py``) answer exactly what ``Connection.execute`` answers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, DateTime, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.dialects.postgresql import psycopg

from strongroom.store.engine import Store
from strongroom.store.prepared import Prepared
from strongroom.store.types import UtcDateTime

meta = MetaData()
things = Table(
    "things",
    meta,
    Column("name", String(64), primary_key=True),
    Column("n", Integer),
    Column("flag", Boolean),
    Column("at", UtcDateTime()),
    Column("plain_at", DateTime()),
)
BY_NAME = select(things).where(things.c.name == bindparam("name"))
LATEST = select(things).where(things.c.flag.is_(True), things.c.n > bindparam("n")).order_by(things.c.n).limit(1)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    meta.create_all(s.engine)
    at = datetime(2026, 12, 6, 12, 0, 1, 250000, tzinfo=UTC)
    with s.write() as conn:
        conn.execute(
            things.insert(),
            [
                {"name": "a", "n": 1, "flag": True, "at": at, "plain_at": datetime(2026, 1, 2, 3, 4, 5)},
                {"name": "b", "n": 2, "flag": False, "at": None, "plain_at": None},
                {"name": "c", "n": 3, "flag": True, "at": at, "plain_at": None},
            ],
        )
    return s


@pytest.mark.parametrize("statement,params", [(BY_NAME, {"name": "a"}), (BY_NAME, {"name": "b"}), (LATEST, {"n": 1})])
def test_the_row_is_what_execute_answers(store: Store, statement: object, params: dict[str, object]) -> None:
    with store.read() as conn:
        expected = dict(conn.execute(statement, params).mappings().first())  # type: ignore[call-overload]
    got = store.first(Prepared(statement), params)  # type: ignore[arg-type]
    assert got == expected
    assert [type(v) for v in got.values()] == [type(v) for v in expected.values()]


def test_no_row_is_none(store: Store) -> None:
    assert store.first(Prepared(BY_NAME), {"name": "zzz"}) is None
    assert store.first(Prepared(LATEST), {"n": 99}) is None


def test_a_hostile_value_is_a_parameter(store: Store) -> None:
    assert store.first(Prepared(BY_NAME), {"name": "a' OR '1'='1"}) is None


def test_compiled_once_per_dialect(store: Store) -> None:
    prepared = Prepared(LATEST)
    sqlite = prepared.compiled(store.engine.dialect)
    assert prepared.compiled(store.engine.dialect) is sqlite
    pg = prepared.compiled(psycopg.dialect())
    assert pg.positional is None and "%(n)s" in pg.sql
    assert pg.arguments({"n": 5}) == {"n": 5, "param_1": 1}
    assert sqlite.positional is not None and sqlite.arguments({"n": 5})[0] == 5


def test_each_thread_reads_on_its_own_connection_and_sees_new_commits(store: Store) -> None:
    import threading

    prepared = Prepared(BY_NAME)
    seen: list[object] = []

    def read() -> None:
        seen.append(store.first(prepared, {"name": "d"}))

    first = threading.Thread(target=read)
    first.start()
    first.join()
    with store.write() as conn:
        conn.execute(things.insert().values(name="d", n=4, flag=True))
    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    read()  # and this thread's own
    assert seen[0] is None and all(isinstance(row, dict) and row["n"] == 4 for row in seen[1:])
    store.dispose()
    assert store.first(prepared, {"name": "d"}) is not None  # a disposed store's readers reopen on demand
