"""The database engine: one ``Store`` per server, SQLite (WAL) by default or PostgreSQL via psycopg 3."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

from strongroom.store.prepared import Prepared
from strongroom.store.revisions import at_head
from strongroom.store.signals import Signal, signal_path


def normalize_url(url: str) -> str:
    """Accept the URLs users write (``postgresql://``) and pick the drivers we ship (psycopg 3)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Store:
    """Transactions over one engine.

    SQLite allows one writer at a time, so writes are serialised in-process with a lock (threads queue on it
    instead of busy-waiting on ``database is locked``), and across processes (``--workers``) by starting every
    write transaction with ``BEGIN IMMEDIATE``: the write lock is taken up front, so two processes'
    read-then-write transactions wait for each other (busy_timeout) instead of failing to upgrade or
    deadlocking. Reads run concurrently thanks to WAL.
    """

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.Lock() if self.is_sqlite else None
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
            if ":memory:" in self.url or self.url == "sqlite://":
                raise ValueError("in-memory SQLite is not durable; give the server a data directory")
        else:
            kwargs["pool_size"] = 10
            kwargs["max_overflow"] = 20
            kwargs["pool_pre_ping"] = True
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self._reader = _ThreadReaders(self.engine.url.database) if self.is_sqlite and self.engine.url.database else None
        self._signals: dict[str, Signal] = {}
        self._signals_lock = threading.Lock()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that is committed (and durable) when the block exits without error."""
        if self._write_lock is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{_IMMEDIATE: True})
            with conn.begin():
                yield conn

    def first(self, prepared: Prepared, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row of a prepared point read (``store/prepared.py``), as a dict, or None."""
        compiled = prepared.compiled(self.engine.dialect)
        if self._reader is not None:
            # SQLite: each thread's own connection, outside the pool (a checkout and its reset cost as much as
            # the query); autocommit, so the statement reads the latest commit (WAL) and holds nothing after.
            lite = self._reader.connection().execute(compiled.sql, compiled.arguments(params))
            try:
                found = lite.fetchone()
            finally:
                lite.close()
            return None if found is None else compiled.row(found)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(compiled.sql, compiled.arguments(params))
                found = cursor.fetchone()
            finally:
                cursor.close()
        finally:
            raw.close()
        return None if found is None else compiled.row(found)

    def signal(self, name: str) -> Signal | None:
        """The change signal ``name`` shared by every process on this database (``store/signals.py``); None where
        processes may run on other hosts (PostgreSQL)."""
        database = self.engine.url.database
        if not self.is_sqlite or not database:
            return None
        with self._signals_lock:
            found = self._signals.get(name)
            if found is None:
                found = self._signals[name] = Signal(signal_path(database, name))
            return found

    def migrate(self) -> None:
        if at_head(self.engine):  # the usual start: nothing to do, decided without Alembic (store/revisions.py)
            return
        # Lazy: Alembic costs ~100 ms to import, and only the processes that migrate need it.
        from strongroom.store.migrate import upgrade

        upgrade(self.engine)

    def dispose(self) -> None:
        if self._reader is not None:
            self._reader.close()
        self.engine.dispose()


_IMMEDIATE = "strongroom_sqlite_immediate"


class _ThreadReaders:
    """One read-only-use SQLite connection per thread, for ``Store.first``; all closed by ``close``."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._database, timeout=30, check_same_thread=False)
            _sqlite_pragmas(conn, None)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # pysqlite's own implicit (deferred, late) BEGIN is switched off: _sqlite_begin emits it instead.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged write survives power loss, not only a process crash.
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    """SQLAlchemy's recipe for SQLite transactions: IMMEDIATE for ``Store.write()``, deferred otherwise.

    Sent to the driver directly: through ``exec_driver_sql`` it was a third of a typical read's cost.
    """
    immediate = conn.get_execution_options().get(_IMMEDIATE)
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")  # type: ignore[union-attr]


def throwaway_engine(url: str) -> Engine:
    """An engine without pooling, for short-lived tools (migrations, CLI)."""
    return create_engine(normalize_url(url), poolclass=NullPool)


def upsert_insert(dialect: str) -> Any:
    """The dialect's ``insert`` construct, the one with ``on_conflict_do_update`` / ``do_nothing``.

    PostgreSQL's is imported only on PostgreSQL: its dialect package is ~2.5 MB in every process of a server on
    SQLite, which never uses it.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert
