"""The load generators: wrk (preferred: C, so the client costs the 2-core machine little) or asyncio.

Both replay a pool of pre-signed requests round-robin over ``concurrency`` keep-alive connections for a fixed
time and report requests/s, latency percentiles and errors (transport errors and non-2xx answers). Server CPU
and RSS are sampled around the run with psutil. The asyncio generator needs nothing beyond the standard
library (and uvloop when installed); it is the fallback when wrk is missing and what the smoke test uses.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.signing import Signed


@dataclass
class Cell:
    """One measurement: a workload at one concurrency against one server."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    p999_ms: float
    cpu_percent: float = 0.0  # of one core; up to 100 x cores
    rss_mb: float = 0.0
    first_error: str = ""

    @property
    def rps(self) -> float:
        """Successful answers per second: a cell whose requests fail (a bad signature, a 500) shows no throughput,
        so a broken pool cannot pass for a fast server (it once did: errors = requests, unread)."""
        return max(0, self.requests - self.errors) / self.seconds if self.seconds > 0 else 0.0


class Usage:
    """CPU time and RSS of a server: its process and every child (uvicorn workers)."""

    def __init__(self, pid: int) -> None:
        self.root = psutil.Process(pid)

    def _procs(self) -> list[psutil.Process]:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def cpu_seconds(self) -> float:
        total = 0.0
        for proc in self._procs():
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total

    def rss_mb(self) -> float:
        """Resident memory summed over the processes: pages they share (code, libraries) count once each."""
        total = 0
        for proc in self._procs():
            try:
                total += proc.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / (1024 * 1024)

    def pss_mb(self) -> float:
        """Proportional set size summed: a shared page counts 1/N in each of its N processes, once in total."""
        total = 0
        for proc in self._procs():
            try:
                total += getattr(proc.memory_full_info(), "pss", 0)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                pass
        return total / (1024 * 1024)


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run_cell(
    host: str,
    port: int,
    pool: Sequence[Signed],
    concurrency: int,
    seconds: float,
    usage: Usage | None,
    generator: str,
) -> Cell:
    cpu0, t0 = (usage.cpu_seconds() if usage else 0.0), time.monotonic()
    if generator == "wrk":
        cell = _wrk(host, port, pool, concurrency, seconds)
    else:
        cell = asyncio.run(_python(host, port, pool, concurrency, seconds))
    if usage is not None:
        wall = time.monotonic() - t0
        cell.cpu_percent = 100.0 * (usage.cpu_seconds() - cpu0) / wall if wall > 0 else 0.0
        cell.rss_mb = usage.rss_mb()
    return cell


# -- wrk -------------------------------------------------------------------------------------------------------

_LUA = """
local pool = {%s}
local formatted = {}
local i = 0
function init(args)
  for k, r in ipairs(pool) do formatted[k] = wrk.format(r[1], r[2], r[3], r[4]) end
  i = math.random(#formatted) - 1
end
function request()
  i = i %% #formatted + 1
  return formatted[i]
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%%d duration_us=%%d errors=%%d p50=%%d p99=%%d p999=%%d\\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.status + e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9)))
end
"""


def _lua_string(data: bytes) -> str:
    out = []
    for byte in data:
        ch = chr(byte)
        out.append(ch if 32 <= byte < 127 and ch not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _lua_request(req: Signed) -> str:
    headers = ", ".join(
        f"[{_lua_string(k.encode())}] = {_lua_string(v.encode('latin-1'))}"
        for k, v in req.headers
        if k.lower() != "content-length"
    )
    method, path, body = (
        _lua_string(req.method.encode()),
        _lua_string(req.path.encode("latin-1")),
        _lua_string(req.body),
    )
    return f"{{{method}, {path}, {{{headers}}}, {body}}}"


_WRK_LINE = re.compile(r"BENCH requests=(\d+) duration_us=(\d+) errors=(\d+) p50=(\d+) p99=(\d+) p999=(\d+)")


def _wrk(host: str, port: int, pool: Sequence[Signed], concurrency: int, seconds: float) -> Cell:
    script = _LUA % ", ".join(_lua_request(r) for r in pool)
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        path = Path(tmp) / "pool.lua"
        path.write_text(script)
        cmd = [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{max(1, math.ceil(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(path),
            f"http://{host}:{port}/",
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    match = _WRK_LINE.search(out.stdout)
    if match is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stdout[-500:]} {out.stderr[-500:]}")
    requests, duration_us, errors, p50, p99, p999 = (int(g) for g in match.groups())
    return Cell(requests, duration_us / 1e6, errors, p50 / 1000, p99 / 1000, p999 / 1000)


# -- asyncio ---------------------------------------------------------------------------------------------------

_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CLOSE = re.compile(rb"\r\nconnection:\s*close", re.IGNORECASE)


async def _connection(
    host: str, port: int, raws: list[bytes], start: int, deadline: float, latencies: list[float], errors: list[str]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    clock = time.perf_counter
    i = start
    try:
        while clock() < deadline:
            raw = raws[i % len(raws)]
            i += 1
            began = clock()
            if writer.is_closing():  # the server closed the last one (moto answers Connection: close)
                reader, writer = await asyncio.open_connection(host, port)
            writer.write(raw)
            head = await reader.readuntil(b"\r\n\r\n")
            match = _CONTENT_LENGTH.search(head)
            body = await reader.readexactly(int(match.group(1))) if match else b""
            latencies.append(clock() - began)
            status = int(head[9:12])
            if status >= 400:
                errors.append(f"{status} {body[:200]!r}")
            if _CLOSE.search(head):
                writer.close()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        writer.close()


async def _python(host: str, port: int, pool: Sequence[Signed], concurrency: int, seconds: float) -> Cell:
    raws = [r.raw() for r in pool]
    latencies: list[float] = []
    errors: list[str] = []
    began = time.perf_counter()
    deadline = began + seconds
    step = max(1, len(raws) // max(1, concurrency))
    await asyncio.gather(
        *(_connection(host, port, raws, n * step, deadline, latencies, errors) for n in range(concurrency))
    )
    elapsed = time.perf_counter() - began
    latencies.sort()
    return Cell(
        len(latencies),
        elapsed,
        len(errors),
        _percentile(latencies, 50) * 1000,
        _percentile(latencies, 99) * 1000,
        _percentile(latencies, 99.9) * 1000,
        first_error=errors[0] if errors else "",
    )


def _percentile(ordered: list[float], pct: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def default_generator() -> str:
    return os.environ.get("BENCH_GENERATOR") or ("wrk" if wrk_available() else "python")
