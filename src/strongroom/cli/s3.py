"""``strongroom s3 replication redrive | status``: S3 Batch Replication's re-drive, and replication metrics.

``redrive`` selects versions of a source bucket by replication status (FAILED by default; NONE for objects that
existed before the configuration, COMPLETED, REPLICA) and key prefix, queues them for the current replication
configuration, then follows them to the end with a progress bar (on a terminal only) and prints a summary: what
completed, and each failure with AWS's failure reason. ``status`` shows the rule metrics S3 publishes to CloudWatch
(operations and bytes pending and failed, plus completed counts) and the failed replications.

Both work on the server's database directly, as an operator on its host (``strongroom acm approve`` does the same);
the running server's scheduler does the replication itself, as the configuration's IAM role.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

_STATUSES = ("FAILED", "NONE", "COMPLETED", "REPLICA")


def _store(args: argparse.Namespace) -> Any:
    from strongroom.core.config import load_config
    from strongroom.keyring.factory import is_initialised
    from strongroom.store.engine import Store

    config = load_config(args.data_dir, database_url=args.database_url)
    if not is_initialised(config):
        raise SystemExit(f"{config.data_dir} is not initialised; run `strongroom init --data-dir {config.data_dir}`")
    return Store(config.effective_database_url())


def _follow(store: Any, targets: list[Any], timeout: float, interval: float) -> Any:
    """Poll until every target completed or failed (or ``timeout``), with a progress bar when stderr is a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from strongroom.services.s3 import replication_state

    deadline = time.monotonic() + timeout
    console = Console(stderr=True)
    columns = (TextColumn("replicating"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
        task = bar.add_task("redrive", total=len(targets))
        while True:
            outcome = replication_state.progress(store, targets)
            bar.update(task, completed=outcome.completed + len(outcome.failed))
            if not outcome.pending or time.monotonic() >= deadline:
                return outcome
            time.sleep(interval)


def cmd_redrive(args: argparse.Namespace) -> int:
    from strongroom.services.s3 import replication_state

    store = _store(args)
    try:
        try:
            targets = replication_state.redrive(
                store, args.bucket, prefix=args.prefix or "", statuses=args.status or ["FAILED"]
            )
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        if not targets:
            print(f"nothing to re-drive in {args.bucket}")
            return 0
        versions = len({(t.bucket, t.version_id) for t in targets})
        print(f"queued {len(targets)} replication(s) of {versions} version(s) in {args.bucket}")
        if args.no_wait:
            return 0
        outcome = _follow(store, targets, args.timeout, args.interval)
    finally:
        store.dispose()
    print(f"completed: {outcome.completed}  failed: {len(outcome.failed)}  still pending: {outcome.pending}")
    for target, reason in outcome.failed:
        print(f"FAILED {target.key} (version {target.version_id}) -> {target.destination}: {reason}")
    if outcome.pending:
        print(f"{outcome.pending} still pending after {args.timeout:g} s: is the server running?", file=sys.stderr)
    return 0 if not outcome.failed and not outcome.pending else 1


def cmd_status(args: argparse.Namespace) -> int:
    from strongroom.services.s3 import replication_state

    store = _store(args)
    try:
        try:
            report = replication_state.metrics(store, args.bucket, failures=args.failures)
        except LookupError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    finally:
        store.dispose()
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
        return 0
    print(f"bucket {report['bucket']}  role {report['role']}")
    header = ("rule", "destination", "status", "pending", "pending bytes", "failed", "failed bytes", "completed")
    rows = [
        (
            rule_id,
            m["destination"],
            m["status"],
            m["pending_operations"],
            m["pending_bytes"],
            m["failed_operations"],
            m["failed_bytes"],
            f"{m['completed_operations']} ({m['completed_bytes']} bytes)",
        )
        for rule_id, m in report["rules"].items()
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    for f in report["failures"]:
        print(f"FAILED {f['key']} (version {f['version_id']}) -> {f['destination']}: {f['reason']}")
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p_s3 = sub.add_parser("s3", help="S3 operator actions")
    s3_sub = p_s3.add_subparsers(dest="s3_command", required=True)
    p_repl = s3_sub.add_parser("replication", help="S3 replication: re-drive and metrics")
    repl_sub = p_repl.add_subparsers(dest="replication_command", required=True)

    p_redrive = repl_sub.add_parser(
        "redrive", help="replicate again the versions of a bucket with a given replication status (Batch Replication)"
    )
    common(p_redrive)
    p_redrive.add_argument("--bucket", required=True, help="the source bucket (it has a replication configuration)")
    p_redrive.add_argument("--prefix", default="", help="only keys that start with this prefix")
    p_redrive.add_argument(
        "--status",
        action="append",
        choices=_STATUSES,
        help="replication status to select, repeatable (default FAILED; NONE: never replicated)",
    )
    p_redrive.add_argument("--no-wait", action="store_true", help="queue and return without following the progress")
    p_redrive.add_argument("--timeout", type=float, default=600.0, help="seconds to follow the progress (default 600)")
    p_redrive.add_argument("--interval", type=float, default=0.5, help=argparse.SUPPRESS)
    p_redrive.set_defaults(func=cmd_redrive)

    p_status = repl_sub.add_parser("status", help="replication metrics per rule and the failed replications")
    common(p_status)
    p_status.add_argument("--bucket", required=True)
    p_status.add_argument("--failures", type=int, default=20, help="failed replications to list (default 20)")
    p_status.add_argument("--json", action="store_true", help="print the report as JSON")
    p_status.set_defaults(func=cmd_status)
