"""``make bench``: Strongroom against moto's server and the bare server stack, then memory, then the report.

Sections with a peer of their own run in the same invocation: S3, API Gateway, the WAF (against Apache +
ModSecurity + CRS; ``--workloads waf --targets strongroom --keys 0 --audit-records 0`` runs it alone).

Run ``python -m bench.run --help``. ``run(Options(...))`` is the entry point the smoke test calls at tiny size.
"""

from __future__ import annotations

import argparse
import functools
import sqlite3
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import (
    apigateway,
    guardduty,
    guardduty_live,
    inspector,
    macie,
    macie_bucket,
    memory,
    postgres,
    s3,
    scale,
    startup,
    testmode,
    waf,
    waf_report,
)
from bench.apigateway import ApiGatewayOptions, ApiGatewayResults
from bench.load import Cell, Usage, default_generator, run_cell
from bench.postgres import PostgresOptions, PostgresResults
from bench.report import Report, render
from bench.s3 import S3Options, S3Results
from bench.scale import ScaleOptions, ScaleResults
from bench.servers import Server, bare, moto, strongroom
from bench.signing import Endpoint, signed_pool
from bench.startup import StartupOptions, StartupResults
from bench.testmode import TestModeResults
from bench.waf import WafOptions, WafResults
from bench.workloads import WORKLOADS, Workload, provider_missing


@dataclass
class Options:
    seconds: float = 2.0
    warmup: float = 0.5  # seconds of each workload run and discarded before its cells
    concurrency: tuple[int, ...] = (1, 8, 32, 64)
    pool: int = 64
    keys: int = 100_000
    audit_records: int = 1_000_000
    targets: tuple[str, ...] = ("strongroom", "moto", "bare")
    workloads: tuple[str, ...] = ()  # name substrings; empty: all
    generator: str = field(default_factory=default_generator)
    workers: int = 2  # `strongroom server --workers 2`: both cores of the benchmark machine
    log_level: str = "info"
    audit_off: bool = True  # also measure Encrypt with the audit trail switched off
    out: Path | None = None
    work_dir: Path | None = None
    verbose: bool = True
    s3: S3Options = field(default_factory=S3Options)  # sizes of the S3 section (bench/s3.py)
    apigateway: ApiGatewayOptions = field(default_factory=ApiGatewayOptions)  # bench/apigateway.py
    waf: WafOptions = field(default_factory=WafOptions)  # bench/waf.py
    guardduty: bool = True  # bench/guardduty.py: the detection engine (corpora from STRONGROOM_STRATUS_CORPUS ...)
    guardduty_live_seconds: float = 25.0  # bench/guardduty_live.py: the live detector at the peak rate (0: skip)
    macie: bool = True  # bench/macie.py: the sensitive-data engine's precision / recall and speed
    macie_bucket_mib: int = 1024  # bench/macie_bucket.py: a bucket this large classified by a job (0: skip)
    inspector: bool = True  # bench/inspector.py: the scanning engine (PyPA database from $STRONGROOM_PYPA_DB ...)
    test_mode: bool = True  # bench/testmode.py: Encrypt on --test-mode vs the normal mode, side by side
    startup: StartupOptions = field(default_factory=StartupOptions)  # bench/startup.py: first answer after start
    postgres: PostgresOptions = field(default_factory=PostgresOptions)  # bench/postgres.py: 2 nodes vs SQLite
    scale: ScaleOptions = field(default_factory=ScaleOptions)  # bench/scale.py: 10M audit records, 1M keys/secrets


@dataclass
class BenchReport(Report):
    s3: S3Results = field(default_factory=S3Results)  # rendered into its own block of the markdown
    apigateway: ApiGatewayResults = field(default_factory=ApiGatewayResults)  # likewise
    waf: WafResults = field(default_factory=WafResults)  # likewise
    test_mode: TestModeResults | None = None  # likewise (bench/testmode.py)
    startup: StartupResults | None = None  # likewise (bench/startup.py)
    postgres: PostgresResults | None = None  # likewise (bench/postgres.py)
    scale: ScaleResults | None = None  # likewise (bench/scale.py)


def _say(options: Options, message: str) -> None:
    if options.verbose:
        print(message, file=sys.stderr, flush=True)


def _selected(options: Options) -> list[Workload]:
    if not options.workloads:
        return list(WORKLOADS)
    return [w for w in WORKLOADS if any(s.lower() in w.name.lower() for s in options.workloads)]


def _measure(
    options: Options, server: Server, workload: Workload, report_row: dict[int, Cell | str], usage: Usage
) -> None:
    endpoint = Endpoint(server.url, server.access_key, server.secret_key)
    try:
        calls = workload.setup(endpoint, options.pool)
    except Exception as exc:  # the server does not support it: reported, not fatal
        message = f"setup failed: {type(exc).__name__}: {str(exc)[:160]}"
        for c in options.concurrency:
            report_row[c] = message
        _say(options, f"  {server.name} {workload.name}: {message}")
        return
    if options.warmup > 0:
        # Discarded: the first requests of a workload load its service model and fill the caches, which belongs in
        # the start-up figures (bench/startup.py), not in the first cell's p99.
        warm = signed_pool(endpoint, workload.service, calls)
        run_cell("127.0.0.1", server.port, warm, options.concurrency[0], options.warmup, usage, options.generator)
    for concurrency in options.concurrency:
        pool = signed_pool(endpoint, workload.service, calls)  # fresh signatures for every cell
        cell = run_cell("127.0.0.1", server.port, pool, concurrency, options.seconds, usage, options.generator)
        report_row[concurrency] = cell
        _say(
            options,
            f"  {server.name:10} {workload.name:34} c={concurrency:<3} {cell.rps:8.0f} rps  "
            f"p50 {cell.p50_ms:6.2f}  p99 {cell.p99_ms:6.2f}  p99.9 {cell.p999_ms:6.2f} ms  err {cell.errors}  "
            f"cpu {cell.cpu_percent:4.0f}%  rss {cell.rss_mb:5.0f} MB",
        )


def _bench_target(options: Options, server: Server, report: BenchReport, label: str) -> None:
    server.start()
    try:
        usage = Usage(server.pid)
        report.idle_rss[label] = usage.rss_mb()
        table = report.results.setdefault(label, {})
        for workload in _selected(options):
            row: dict[int, Cell | str] = {}
            table[workload.name] = row
            if server.name == "strongroom" and provider_missing(workload):
                for c in options.concurrency:
                    row[c] = "not available yet"
                continue
            _measure(options, server, workload, row, usage)
        if label in s3.TARGETS and s3.wanted(options.s3, options.workloads):
            say = functools.partial(_say, options)
            s3.measure(
                options.s3, server, usage, options.seconds, options.generator, options.workloads, report.s3, label, say
            )
    finally:
        server.stop()


def _bare(options: Options, work: Path, report: Report) -> None:
    server = bare(work, workers=options.workers)
    server.start()
    try:
        usage = Usage(server.pid)
        row: dict[int, Cell | str] = {}
        report.results.setdefault("bare", {})["fixed body"] = row
        endpoint = Endpoint(server.url, server.access_key, server.secret_key)
        for concurrency in options.concurrency:
            pool = signed_pool(endpoint, "kms", [("encrypt", {"KeyId": "k", "Plaintext": b"x" * 256})])
            cell = run_cell("127.0.0.1", server.port, pool, concurrency, options.seconds, usage, options.generator)
            row[concurrency] = cell
            _say(options, f"  bare       fixed body c={concurrency:<3} {cell.rps:8.0f} rps  p99 {cell.p99_ms:.2f} ms")
    finally:
        server.stop()


def _wants_apigateway(options: Options) -> bool:
    if not options.apigateway.enabled:
        return False
    return not options.workloads or any(w.lower() in "api gateway" for w in options.workloads)


def _apigateway(options: Options, work: Path, report: BenchReport) -> None:
    server = strongroom(work / "apigw", log_level=options.log_level, workers=options.workers)
    server.start()
    try:
        apigateway.measure(
            options.apigateway,
            server,
            work,
            options.seconds,
            options.generator,
            report.apigateway,
            functools.partial(_say, options),
        )
    finally:
        server.stop()


def _memory(options: Options, work: Path, report: Report) -> None:
    """RSS of a server holding ``keys`` KMS keys, then after ``audit_records`` audit records."""
    data = work / "memory"
    server = strongroom(data, log_level="warning", workers=options.workers)  # runs `strongroom init`
    api_keys = min(options.keys, 1000)
    seeded = options.keys - api_keys
    if seeded:
        seconds = memory.seed_keys(data, seeded)
        report.memory_notes.append(
            f"{seeded:,} keys were created by the KMS provider's own create_key in a separate process before the "
            f"server started ({seconds:.0f} s; SQLite synchronous=OFF, no audit records): the API path is "
            "fsync-bound, see the API rate below"
        )
    server.start()
    try:
        usage = Usage(server.pid)
        report.memory["idle"], report.pss["idle"] = usage.rss_mb(), usage.pss_mb()
        endpoint = Endpoint(server.url, server.access_key, server.secret_key)
        seconds, failures = memory.create_keys(endpoint, server.port, api_keys)
        report.memory_notes.append(
            f"{api_keys:,} more CreateKey calls through the API at concurrency 32 took {seconds:.1f} s "
            f"({api_keys / seconds:,.0f}/s, {len(failures)} failed{': ' + failures[0] if failures else ''})"
        )
        # one Encrypt workload so the audit trail holds real Encrypt records to clone
        encrypt = WORKLOADS[0]
        row: dict[int, Cell | str] = {}
        quick = Options(seconds=1, concurrency=(8,), pool=8, generator=options.generator, verbose=False)
        _measure(quick, server, encrypt, row, usage)
        endpoint.client("kms").list_keys(Limit=1000)
        report.memory["keys"], report.pss["keys"] = memory.settle_rss(usage)
        seconds, stored = memory.add_audit_records(data / "strongroom.db", options.audit_records)
        report.memory_notes.append(
            f"the audit trail was grown to {stored:,} records by cloning a real Encrypt record in SQL "
            f"({seconds:.1f} s), next to the running server, which then served Encrypt for another second "
            "and a LookupEvents call"
        )
        _measure(quick, server, encrypt, row, usage)  # keep recording with the trail that large
        endpoint.client("cloudtrail").lookup_events(MaxResults=50)
        report.memory["audit"], report.pss["audit"] = memory.settle_rss(usage)
        report.memory_counts = {"keys": _count(data, "kms_keys"), "audit": _count(data, "audit_events")}
    finally:
        server.stop()


def _count(data: Path, table: str) -> int:
    conn = sqlite3.connect(data / "strongroom.db", timeout=60)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()


def _wants(options: Options, section: str) -> bool:
    """A section without workloads of its own runs in a whole run, or when ``--workloads`` names it."""
    return not options.workloads or any(w.lower() in section for w in options.workloads)


def run(options: Options) -> BenchReport:
    """Run the whole benchmark; writes the markdown report to ``options.out`` when given."""
    began = time.monotonic()
    report = BenchReport(options.generator, options.seconds, options.concurrency, options.workers, options.log_level)
    with tempfile.TemporaryDirectory(prefix="strongroom-bench-", dir=options.work_dir) as tmp:
        work = Path(tmp)
        if "strongroom" in options.targets and (_selected(options) or s3.wanted(options.s3, options.workloads)):
            _say(options, "strongroom (SQLite, audit on)")
            server = strongroom(work / "sr", log_level=options.log_level, workers=options.workers)
            _bench_target(options, server, report, "strongroom")
            if options.audit_off:
                _say(options, "strongroom (SQLite, audit OFF - benchmarking aid)")
                off = strongroom(work / "sr-off", audit=False, log_level=options.log_level, workers=options.workers)
                saved = options.workloads
                options.workloads = ("Encrypt",)
                try:
                    _bench_target(options, off, report, "strongroom-audit-off")
                finally:
                    options.workloads = saved
        if "strongroom" in options.targets and _wants_apigateway(options):
            _say(options, "API Gateway: an HTTP_PROXY stage vs its backend")
            _apigateway(options, work, report)
        if "strongroom" in options.targets and waf.wanted(options.waf, options.workloads):
            _say(options, "WAF: Strongroom vs Apache + ModSecurity + CRS")
            say = functools.partial(_say, options)
            timing = (options.seconds, options.generator, options.workers, options.log_level)
            waf.measure(options.waf, work, *timing, report.waf, say)
        gd_results = None
        if options.guardduty and (not options.workloads or any("guardduty" in w.lower() for w in options.workloads)):
            _say(
                options, "GuardDuty: the detection engine over Stratus Red Team, a benign workload and Panther's tests"
            )
            gd_results = guardduty.measure(
                guardduty.corpus("STRONGROOM_STRATUS_CORPUS"),
                guardduty.corpus("STRONGROOM_PANTHER_CORPUS"),
                functools.partial(_say, options),
            )
        macie_lines = None
        if options.macie and (not options.workloads or any("macie" in w.lower() for w in options.workloads)):
            _say(options, "Macie: the sensitive-data engine on its labelled corpus, Presidio's recognizers as the peer")
            macie_lines = macie.measure(functools.partial(_say, options))
            if options.macie_bucket_mib > 0 and "strongroom" in options.targets:
                _say(options, f"Macie: a job over a {options.macie_bucket_mib} MiB bucket of mixed objects")
                run_ = macie_bucket.measure(options.macie_bucket_mib << 20, functools.partial(_say, options), work)
                macie_lines += macie_bucket.lines(run_)
        gd_live = None
        if (
            options.guardduty
            and options.guardduty_live_seconds > 0
            and "strongroom" in options.targets
            and (not options.workloads or any("guardduty" in w.lower() for w in options.workloads))
        ):
            _say(options, "GuardDuty: the live detector at the server's peak request rate")
            gd_live = guardduty_live.measure(
                work,
                options.guardduty_live_seconds,
                options.workers,
                options.generator,
                functools.partial(_say, options),
            )
        insp_results = None
        if options.inspector and (not options.workloads or any("inspector" in w.lower() for w in options.workloads)):
            _say(options, "Inspector: range membership vs packaging, lock files, a 2,000-package SBOM")
            insp_results = inspector.measure(inspector.pypa_path(), functools.partial(_say, options))
        if options.test_mode and "strongroom" in options.targets and _wants(options, "test mode"):
            _say(options, "test mode: KMS Encrypt on --test-mode vs the normal mode, side by side")
            report.test_mode = testmode.measure(
                work,
                options.concurrency,
                options.seconds,
                options.generator,
                options.workers,
                options.log_level,
                functools.partial(_say, options),
            )
        if options.startup.enabled and "strongroom" in options.targets and _wants(options, "startup"):
            _say(options, "start-up: spawn to the first answered signed request, on an existing data dir")
            report.startup = startup.measure(options.startup, work, options.log_level, functools.partial(_say, options))
        if options.postgres.enabled and "strongroom" in options.targets and _wants(options, "postgresql"):
            _say(options, "PostgreSQL: two nodes on one database vs one SQLite server")
            report.postgres = postgres.measure(
                options.postgres,
                work,
                options.seconds,
                options.generator,
                options.workers,
                options.log_level,
                functools.partial(_say, options),
            )
        if options.scale.enabled and "strongroom" in options.targets and _wants(options, "scale"):
            _say(options, f"scale: LookupEvents over {options.scale.audit_records:,} records, deep list pages")
            say = functools.partial(_say, options)
            report.scale = scale.measure(
                options.scale, work, options.workers, options.generator, options.log_level, say
            )
        if "moto" in options.targets:
            moto_server = moto(work)
            if moto_server is None:
                report.notes.append("moto_server is not installed (pip install -e '.[bench]'); no moto column")
            else:
                _say(options, "moto_server")
                _bench_target(options, moto_server, report, "moto")
        if "bare" in options.targets:
            _say(options, "bare ASGI app")
            _bare(options, work, report)
        if options.keys or options.audit_records:
            _say(options, f"memory: {options.keys:,} keys, {options.audit_records:,} audit records")
            _memory(options, work, report)
    report.elapsed = time.monotonic() - began
    if options.out is not None:
        if report.results or report.memory:  # a run of other sections alone leaves the main tables as they are
            options.out.write_text(render(report, options.out.read_text() if options.out.exists() else ""))
        if report.s3.cells:
            options.out.write_text(s3.render(report.s3, options.out.read_text()))
        if report.apigateway.cells:
            options.out.write_text(apigateway.render(report.apigateway, options.out.read_text()))
        if report.waf.cells or report.waf.detection:
            options.out.write_text(waf_report.render(report.waf, options.out.read_text()))
        if gd_results is not None:
            options.out.write_text(guardduty.render(gd_results, options.out.read_text()))
        if gd_live is not None:
            options.out.write_text(guardduty_live.render(gd_live, options.out.read_text()))
        if macie_lines is not None:
            options.out.write_text(macie.render(macie_lines, options.out.read_text()))
        if insp_results is not None:
            options.out.write_text(inspector.render(insp_results, options.out.read_text()))
        if report.test_mode is not None:
            options.out.write_text(testmode.render(report.test_mode, options.out.read_text()))
        if report.startup is not None:
            options.out.write_text(startup.render(report.startup, options.out.read_text()))
        if report.postgres is not None:
            options.out.write_text(postgres.render(report.postgres, options.out.read_text()))
        if report.scale is not None:
            options.out.write_text(scale.render(report.scale, options.out.read_text()))
        _say(options, f"wrote {options.out} in {report.elapsed:.0f} s")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="per measurement (default 2)")
    parser.add_argument("--concurrency", default="1,8,32,64")
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--audit-records", type=int, default=1_000_000)
    parser.add_argument("--targets", default="strongroom,moto,bare")
    parser.add_argument("--workloads", default="", help="comma-separated name substrings (default: all)")
    parser.add_argument("--generator", choices=("wrk", "python"), default=default_generator())
    parser.add_argument("--workers", type=int, default=2, help="server processes (--workers; default 2)")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-audit-off", action="store_true")
    parser.add_argument("--no-s3", action="store_true", help="skip the S3 section")
    parser.add_argument("--no-apigateway", action="store_true", help="skip the API Gateway section")
    parser.add_argument("--no-waf", action="store_true", help="skip the WAF section (vs Apache + ModSecurity + CRS)")
    parser.add_argument("--no-guardduty", action="store_true", help="skip the GuardDuty detection section")
    parser.add_argument("--no-macie", action="store_true", help="skip the Macie sensitive-data engine section")
    parser.add_argument(
        "--macie-bucket-mib", type=int, default=1024, help="the Macie job's bucket of mixed objects, MiB (0: skip)"
    )
    parser.add_argument("--no-inspector", action="store_true", help="skip the Inspector scanning-engine section")
    parser.add_argument("--no-test-mode", action="store_true", help="skip the --test-mode vs normal Encrypt section")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up section")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL two-node section")
    parser.add_argument(
        "--postgres-concurrency", default="8,32,64", help="clients in all per PostgreSQL cell (split over 2 nodes)"
    )
    parser.add_argument("--startup-starts", type=int, default=5, help="timed starts per server kind (median)")
    parser.add_argument("--no-scale", action="store_true", help="skip the scale section")
    parser.add_argument("--scale-records", type=int, default=10_000_000, help="audit records of the scale section")
    parser.add_argument("--scale-resources", type=int, default=1_000_000, help="keys and secrets of the scale section")
    parser.add_argument(
        "--guardduty-live-seconds", type=float, default=25.0, help="the live detector's peak run (0: skip it)"
    )
    parser.add_argument(
        "--crs-corpus",
        type=Path,
        default=None,
        help="the CRS 3.3.4 regression corpus (default: $STRONGROOM_CRS_CORPUS)",
    )
    parser.add_argument("--s3-upload-mib", type=int, default=2048, help="the memory upload's size (0: none)")
    parser.add_argument("--out", type=Path, default=None, help="write the markdown report here")
    args = parser.parse_args(argv)
    options = Options(
        seconds=args.seconds,
        concurrency=tuple(int(c) for c in args.concurrency.split(",")),
        keys=args.keys,
        audit_records=args.audit_records,
        targets=tuple(t for t in args.targets.split(",") if t),
        workloads=tuple(w for w in args.workloads.split(",") if w),
        generator=args.generator,
        workers=args.workers,
        log_level=args.log_level,
        audit_off=not args.no_audit_off,
        out=args.out,
        s3=S3Options(enabled=not args.no_s3, upload_size=args.s3_upload_mib * s3.MiB),
        apigateway=ApiGatewayOptions(enabled=not args.no_apigateway),
        waf=WafOptions(enabled=not args.no_waf, corpus=args.crs_corpus),
        guardduty=not args.no_guardduty,
        inspector=not args.no_inspector,
        guardduty_live_seconds=args.guardduty_live_seconds,
        macie=not args.no_macie,
        macie_bucket_mib=args.macie_bucket_mib,
        test_mode=not args.no_test_mode,
        startup=StartupOptions(enabled=not args.no_startup, starts=args.startup_starts),
        postgres=PostgresOptions(
            enabled=not args.no_postgres,
            concurrency=tuple(int(c) for c in args.postgres_concurrency.split(",")),
        ),
        scale=ScaleOptions(enabled=not args.no_scale, audit_records=args.scale_records, resources=args.scale_resources),
    )
    run(options)
    return 0


if __name__ == "__main__":
    sys.exit(main())
