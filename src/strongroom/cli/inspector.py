"""``strongroom inspector scan PATH``: Inspector's scanning engine outside the server.

Scans a directory, a virtualenv, a Lambda zip, a lock file or an SBOM: the package inventory matched against OSV
advisories (``--db PATH``: directories of OSV JSON/YAML or OSV's ``all.zip`` dumps, read into memory; or
``$STRONGROOM_INSPECTOR_DB``) and the Python/JavaScript code scanned, printed as Inspector's findings
(``strongroom.vulnscan.findings``: the API's PACKAGE_VULNERABILITY / CODE_VULNERABILITY JSON), a table, or a
CycloneDX 1.5 SBOM with its vulnerabilities (as inspector-scan ScanSbom answers). Progress goes to a terminal's
stderr only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from strongroom.cli.inspector_db import add_update_db

DB_ENV = "STRONGROOM_INSPECTOR_DB"


class _Steps:
    """A rich progress line on a terminal (stderr), nothing when piped."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None

    @contextmanager
    def run(self) -> Iterator[_Steps]:
        if not self.enabled:
            yield self
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
            self._progress = progress
            yield self

    def step(self, description: str) -> None:
        if self._progress is not None:
            for task in self._progress.tasks:
                self._progress.update(task.id, visible=False)
            self._progress.add_task(description, total=None)


def _source(db: list[str]) -> Any:
    from strongroom.vulnscan.osv import MemorySource

    paths = db or [p for p in os.environ.get(DB_ENV, "").split(os.pathsep) if p]
    if not paths:
        raise ValueError(f"no vulnerability database: pass --db PATH (OSV files or all.zip dumps) or set ${DB_ENV}")
    for path in paths:
        if not Path(path).exists():
            raise ValueError(f"--db {path}: no such file or directory")
    return MemorySource.from_paths(*paths)


def cmd_scan(args: argparse.Namespace) -> int:
    from strongroom.vulnscan.codescan import is_source, scan_code
    from strongroom.vulnscan.inventory import load
    from strongroom.vulnscan.matching import match
    from strongroom.vulnscan.osv import OsvError

    target = Path(args.path)
    if not target.exists():
        print(f"no such file or directory: {target}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    steps = _Steps(sys.stderr.isatty() and not args.quiet)
    with steps.run():
        steps.step("loading the vulnerability database")
        try:
            source = _source(args.db)
        except (ValueError, OsvError, OSError) as exc:
            print(str(exc), file=sys.stderr)
            return 2
        steps.step(f"reading {target}")
        try:
            packages, files = load(str(target), None if args.no_code else is_source)
        except (OSError, ValueError) as exc:
            print(f"{target}: {exc}", file=sys.stderr)
            return 2
        steps.step(f"matching {len(packages)} packages")
        matches = match(packages, source)
        code: list[Any] = []
        if not args.no_code:
            steps.step("scanning code")
            code = scan_code(files)
    elapsed = time.perf_counter() - started
    try:
        found = _print(args, target, source, packages, matches, code)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    by_severity = Counter(f["severity"] for f in found)
    if not args.quiet:
        counts = ", ".join(f"{n} {k.lower()}" for k, n in sorted(by_severity.items())) or "none"
        print(
            f"{len(packages)} packages, {len(found)} findings ({counts}); database {source.version} "
            f"({len(source)} advisories); {elapsed:.2f}s",
            file=sys.stderr,
        )
    return 1 if args.fail_on and any(_at_least(f["severity"], args.fail_on) for f in found) else 0


def _print(
    args: argparse.Namespace, target: Path, source: Any, packages: list[Any], matches: list[Any], code: list[Any]
) -> list[dict[str, Any]]:
    from strongroom.vulnscan.findings import findings
    from strongroom.vulnscan.sbom import cyclonedx

    out = sys.stdout.buffer
    if args.format == "cyclonedx":
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        doc = cyclonedx(packages, matches, timestamp=stamp, name=target.name)
        out.write(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
        found = [{"severity": m.severity} for m in matches]
    else:
        found = findings(matches, code)
        if args.format == "json":
            body = {"findings": found, "databaseVersion": source.version}
            out.write(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
        else:
            _table(found)
    out.flush()
    return found


_RANK = {"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1, "INFORMATIONAL": 0, "UNTRIAGED": 0}


def _at_least(severity: str, threshold: str) -> bool:
    return _RANK.get(severity, 0) >= _RANK[threshold.upper()]


def _table(found: list[dict[str, Any]]) -> None:
    rows = [("SEVERITY", "ID", "PACKAGE / FILE", "INSTALLED / LINES", "FIXED IN", "WHERE")]
    for f in found:
        if f["type"] == "PACKAGE_VULNERABILITY":
            details = f["packageVulnerabilityDetails"]
            pkg = details["vulnerablePackages"][0]
            rows.append(
                (
                    f["severity"],
                    details["vulnerabilityId"],
                    pkg["name"],
                    pkg["version"],
                    pkg["fixedInVersion"],
                    pkg["filePath"],
                )
            )
        else:
            code = f["codeVulnerabilityDetails"]
            where = code["filePath"]
            rows.append(
                (
                    f["severity"],
                    ",".join(code["cwes"]),
                    code["detectorName"],
                    f"{where['startLine']}-{where['endLine']}",
                    "",
                    where["filePath"],
                )
            )
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + str(row[-1]))


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_in = sub.add_parser("inspector", help="Inspector's vulnerability scanning and database")
    in_sub = p_in.add_subparsers(dest="inspector_command", required=True)
    add_update_db(in_sub, common)  # the service's database (cli/inspector_db.py); `scan` is offline
    p = in_sub.add_parser(
        "scan",
        help="scan a directory, virtualenv, zip, lock file or SBOM for vulnerable packages and code",
    )
    p.add_argument("path", metavar="PATH", help="a directory, a virtualenv, a Lambda zip, a lock file or an SBOM")
    p.add_argument(
        "--format",
        choices=("json", "table", "cyclonedx"),
        default="json",
        help="Inspector's finding JSON (default), a table, or a CycloneDX 1.5 SBOM with vulnerabilities",
    )
    p.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="PATH",
        help=f"OSV advisories: a directory of OSV JSON/YAML or an OSV all.zip dump (repeatable; default ${DB_ENV})",
    )
    p.add_argument("--no-code", action="store_true", help="skip the code scan (packages only)")
    p.add_argument(
        "--fail-on",
        choices=("critical", "high", "medium", "low"),
        default=None,
        help="exit 1 when a finding is at least this severe",
    )
    p.add_argument("--quiet", action="store_true", help="no summary line on stderr")
    p.set_defaults(func=cmd_scan)
