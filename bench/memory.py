"""Memory figures: a real Strongroom server's RSS holding many KMS keys, and after a million audit records."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.load import Usage
from bench.signing import Endpoint, Signed, signed_pool


async def _replay(host: str, port: int, raws: list[bytes], total: int, concurrency: int) -> list[str]:
    """Send ``total`` requests round-robin over ``concurrency`` connections; returns the failed answers."""
    remaining = total
    failures: list[str] = []

    async def connection() -> None:
        nonlocal remaining, failures
        reader, writer = await asyncio.open_connection(host, port)
        i = 0
        try:
            while remaining > 0:
                remaining -= 1
                writer.write(raws[i % len(raws)])
                i += 1
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await reader.readexactly(length)
                if int(head[9:12]) >= 400:
                    failures.append(f"{head[9:12].decode()} {body[:300].decode(errors='replace')}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return failures


def create_keys(endpoint: Endpoint, port: int, count: int, concurrency: int = 32) -> tuple[float, list[str]]:
    """CreateKey ``count`` times through the API (signed requests replayed); returns (seconds, failed answers).

    Replaying one signed CreateKey creates a new key each time, exactly as a client retrying would.
    """
    pool: list[Signed] = signed_pool(endpoint, "kms", [("create_key", {"Description": "bench"})] * 32)
    raws = [r.raw() for r in pool]
    began = time.monotonic()
    failures = asyncio.run(_replay("127.0.0.1", port, raws, count, concurrency))
    return time.monotonic() - began, failures


def add_audit_records(db: Path, total: int) -> tuple[float, int]:
    """Grow the audit trail to ``total`` records by cloning the newest real record with fresh event ids.

    A million API calls would take minutes, so the rows are written in SQL (one transaction, in C) next to the
    running server; each clone is a real Encrypt record with its own eventID, as LookupEvents would see it.
    Returns (seconds, records now stored).
    """
    conn = sqlite3.connect(db, timeout=60)
    try:
        have = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        missing = max(0, total - have)
        began = time.monotonic()
        if missing:
            template = conn.execute(
                "SELECT event_id, account_id, region, event_time, recorded_at, event_name, event_source, "
                "event_type, read_only, username, access_key_id, record FROM audit_events "
                "WHERE event_name = 'Encrypt' ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            if template is None:
                raise RuntimeError("no Encrypt record to clone; run the Encrypt workload first")
            conn.execute("BEGIN")
            conn.execute(
                """
                WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?)
                INSERT INTO audit_events (event_id, account_id, region, event_time, recorded_at, event_name,
                    event_source, event_type, read_only, username, access_key_id, record)
                SELECT printf('bench%031d', x), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, replace(?, ?, printf('bench%031d', x))
                FROM n
                """,
                (missing, *template[1:], template[0]),
            )
            conn.execute(
                """
                INSERT INTO audit_event_resources (event_id, position, account_id, resource_type, resource_name,
                    event_time)
                SELECT e.event_id, r.position, r.account_id, r.resource_type, r.resource_name, e.event_time
                FROM audit_events e JOIN audit_event_resources r ON r.event_id = ?
                WHERE e.event_id LIKE 'bench%'
                """,
                (template[0],),
            )
            conn.execute("COMMIT")
        stored = conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        return time.monotonic() - began, int(stored)
    finally:
        conn.close()


def settle_rss(usage: Usage, seconds: float = 1.0) -> tuple[float, float]:
    """(RSS, PSS) in MB once the server has had a moment to settle."""
    time.sleep(seconds)
    return usage.rss_mb(), usage.pss_mb()


def seed_keys(data_dir: Path, count: int) -> float:
    """Create ``count`` KMS keys through the KMS provider in a separate process, before the server starts.

    The API path is fsync-bound (about 450 CreateKey/s here: each is its own durable transaction plus its
    audit record), so 100,000 would take minutes; this runs the provider's own ``create_key`` with SQLite's
    ``synchronous=OFF`` and without audit records, so the rows and sealed material are exactly what the API
    writes. Returns the seconds it took.
    """
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.memory", str(data_dir), str(count)],
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=600,
    )
    return time.monotonic() - began


def _seed_in_process(data_dir: Path, count: int) -> None:
    from sqlalchemy import event

    from strongroom.core.config import load_config
    from strongroom.core.context import Principal, RequestContext
    from strongroom.server.runtime import Runtime

    runtime = Runtime.open(load_config(data_dir, bench_disable_audit=True))
    engine = runtime.store.engine

    def fast(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA synchronous=OFF")  # a bulk load: durability is the server's job afterwards

    engine.dispose()
    event.listen(engine, "connect", fast)
    account = runtime.accounts.init_account()
    assert account is not None
    provider: Any = runtime.providers.provider("kms")
    ctx = RequestContext(runtime, "bench-seed", "kms", "CreateKey", "us-east-1", Principal.root(account))
    for _ in range(count):
        provider.create_key(ctx, {"Description": "bench"})
    runtime.close()


if __name__ == "__main__":
    _seed_in_process(Path(sys.argv[1]), int(sys.argv[2]))
