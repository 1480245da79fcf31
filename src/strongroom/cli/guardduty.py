"""``strongroom guardduty analyze PATH…``: GuardDuty's detection engine over CloudTrail log files, offline.

Reads what a trail delivers to S3 (``{"Records": [...]}`` JSON, ``.json.gz``, JSON lines, directories of them),
sorts the records by event time, runs one engine per account with its state in memory and prints the findings as
AWS's finding JSON (the live service's format: ``strongroom.detection.findings.to_finding``) or a table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import orjson


def cmd_analyze(args: argparse.Namespace) -> int:
    from strongroom.detection.analyze import Analyzer, event_time_key
    from strongroom.detection.contract import DetectorSettings
    from strongroom.detection.logfiles import log_files, read_records

    files = log_files(args.paths)
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    for path in files:
        try:
            records.extend(read_records(path))
        except (OSError, ValueError) as exc:
            print(f"skipped {path}: {exc}", file=sys.stderr)
    records.sort(key=event_time_key)
    try:
        threats = tuple(_ip_list(spec) for spec in args.threat_list)
        trusted = tuple(_ip_list(spec) for spec in args.trusted_list)
    except (OSError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    learn_days = args.learn_days
    analyzer = Analyzer(
        learning_days=learn_days,
        settings=lambda account: DetectorSettings(account, learning_days=learn_days, threats=threats, trusted=trusted),
    )
    if sys.stderr.isatty() and not args.quiet and records:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("analyzing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("records", total=len(records))
            step = 5000
            for start in range(0, len(records), step):
                analyzer.feed_all(records[start : start + step])
                progress.advance(task, len(records[start : start + step]))
    else:
        analyzer.feed_all(records)
    elapsed = time.perf_counter() - started
    findings = analyzer.result.as_findings()
    if args.format == "json":
        sys.stdout.buffer.write(orjson.dumps(findings, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        _table(findings)
    by_severity = Counter(_level(f["Severity"]) for f in findings)
    summary = (
        f"{len(records)} records from {len(files)} files, {len(analyzer.result.accounts)} accounts, "
        f"{len(findings)} findings ({', '.join(f'{n} {k}' for k, n in sorted(by_severity.items())) or 'none'}) "
        f"in {elapsed:.2f}s"
    )
    if not args.quiet:
        print(summary, file=sys.stderr)
    return 0


def _ip_list(spec: str) -> Any:
    """``[FORMAT:]PATH`` — a threat-intel set or IP set file in one of GuardDuty's formats (TXT by default; STIX
    for ``.xml``), named after the file as the detector's list would be (a Tor list is one named so)."""
    from pathlib import Path

    from strongroom.detection.contract import ThreatList
    from strongroom.services.guardduty.threatlists import PARSERS, ListFormatError, parse

    fmt, sep, rest = spec.partition(":")
    if sep and fmt.upper() in PARSERS:
        path = Path(rest)
    else:
        fmt, path = ("STIX" if spec.lower().endswith(".xml") else "TXT"), Path(spec)
    try:
        entries = parse(fmt.upper(), path.read_bytes())
    except ListFormatError as exc:
        raise ValueError(f"{path}: {exc}") from None
    name = path.name.split(".", 1)[0]
    return ThreatList(name, entries, name)


def _level(severity: float) -> str:
    if severity >= 9.0:
        return "Critical"
    if severity >= 7.0:
        return "High"
    if severity >= 4.0:
        return "Medium"
    return "Low"


def _table(findings: list[dict[str, Any]]) -> None:
    rows = [("SEVERITY", "TYPE", "COUNT", "ACCOUNT", "PRINCIPAL", "FIRST SEEN", "TITLE")]
    for f in findings:
        keys = f["Resource"].get("AccessKeyDetails") or {}
        rows.append(
            (
                _level(f["Severity"]),
                f["Type"],
                str(f["Service"]["Count"]),
                f["AccountId"],
                keys.get("UserName", ""),
                f["Service"]["EventFirstSeen"],
                f["Title"],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[-1])


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    del common  # offline: no data dir, no server
    p_gd = sub.add_parser("guardduty", help="GuardDuty's threat detection outside the server")
    gd_sub = p_gd.add_subparsers(dest="guardduty_command", required=True)
    p = gd_sub.add_parser("analyze", help="run GuardDuty's detectors over CloudTrail log files and print the findings")
    p.add_argument("paths", nargs="+", metavar="PATH", help="CloudTrail log files or directories of them")
    p.add_argument("--format", choices=("json", "table"), default="json", help="AWS's finding JSON, or a table")
    p.add_argument(
        "--learn-days",
        type=float,
        default=7.0,
        help="days of event time each account's baselines learn before anomaly findings (default 7)",
    )
    p.add_argument(
        "--threat-list",
        action="append",
        default=[],
        metavar="[FORMAT:]FILE",
        help="a threat-intel set (TXT, STIX, OTX_CSV, ALIEN_VAULT, FIRE_EYE, PROOF_POINT; TXT by default): callers "
        "from it raise the MaliciousIPCaller.Custom findings, or TorIPCaller when the file is named for Tor",
    )
    p.add_argument(
        "--trusted-list",
        action="append",
        default=[],
        metavar="[FORMAT:]FILE",
        help="a trusted IP set: callers from it raise no finding",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar and no summary on stderr")
    p.set_defaults(func=cmd_analyze)
