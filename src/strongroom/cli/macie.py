"""``strongroom macie scan PATH…``: Macie's sensitive-data engine over local files and directories, offline.

Prints, per file, the ClassificationResult JSON a Macie finding carries (``strongroom.sensitive.results``: the
macie2 service's classification jobs print the same for the same bytes), or a table. Matched text is never printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson


def _files(paths: list[str]) -> Iterator[Path]:
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        else:
            yield p


def cmd_scan(args: argparse.Namespace) -> int:
    from strongroom.sensitive import build_classifier, managed_identifiers
    from strongroom.sensitive.contract import ScanConfig
    from strongroom.sensitive.results import classification_result

    known = {m.id for m in managed_identifiers()}
    wanted = frozenset(i.strip() for spec in args.identifiers for i in spec.split(",") if i.strip())
    unknown = sorted(wanted - known)
    if unknown:
        print(f"unknown managed data identifier: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if wanted:
        config = ScanConfig(managed_selector="EXCLUDE", managed_ids=frozenset(known - wanted))
    else:
        config = ScanConfig(managed_selector=args.selector)
    classifier = build_classifier(config)
    files = list(_files(args.paths))
    missing = [str(f) for f in files if not f.exists()]
    if missing:
        print(f"no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results: list[dict[str, Any]] = []

    def one(path: Path) -> None:
        with path.open("rb") as fh:
            res = classifier.classify(path.name, fh, path.stat().st_size)
        results.append({"path": str(path), "result": classification_result(res)})

    if sys.stderr.isatty() and not args.quiet and files:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        columns = (TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("files", total=len(files))
            for f in files:
                one(f)
                progress.advance(task)
    else:
        for f in files:
            one(f)
    if args.format == "json":
        sys.stdout.write(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        _table(results)
    return 0


def _table(results: list[dict[str, Any]]) -> None:
    rows = [("FILE", "STATUS", "CATEGORY", "TYPE", "COUNT")]
    for r in results:
        res = r["result"]
        status = res["status"]["code"] + (f" ({res['status']['reason']})" if res["status"].get("reason") else "")
        dets = [(s["category"], d["type"], d["count"]) for s in res["sensitiveData"] for d in s["detections"]]
        dets += [("CUSTOM_IDENTIFIER", d["name"], d["count"]) for d in res["customDataIdentifiers"]["detections"]]
        if not dets:
            rows.append((r["path"], status, "-", "-", "0"))
        for cat, typ, count in dets:
            rows.append((r["path"], status, cat, typ, str(count)))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    del common  # offline: no data dir, no server
    p_m = sub.add_parser("macie", help="Macie's sensitive-data discovery outside the server")
    m_sub = p_m.add_subparsers(dest="macie_command", required=True)
    p = m_sub.add_parser("scan", help="find sensitive data in local files and print Macie's classification results")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories (archives are looked into)")
    p.add_argument("--format", choices=("json", "table"), default="json", help="ClassificationResult JSON, or a table")
    p.add_argument(
        "--identifiers",
        action="append",
        default=[],
        metavar="ID[,ID...]",
        help="only these managed data identifiers (default: the --selector set)",
    )
    p.add_argument(
        "--selector",
        choices=("ALL", "RECOMMENDED"),
        default="ALL",
        help="the managed data identifiers to use when --identifiers is not given (default ALL)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_scan)
