"""``strongroom inspector update-db --from PATH``: load OSV advisories into Inspector's database.

PATH is a directory of OSV JSON/YAML files, one file, or one of the per-ecosystem ``all.zip`` dumps OSV publishes
(``--from`` may be repeated). The load replaces the database in one transaction and is idempotent: the same
advisories give the same version (a content hash) and a second run changes nothing. A running server's scanner sees
the new version within a minute and rescans every enabled account's functions.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def cmd_update_db(args: argparse.Namespace) -> int:
    from strongroom.cli.acm import _open
    from strongroom.services.inspector2 import advisories

    store, _seal = _open(args)
    try:
        if sys.stderr.isatty() and not args.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            columns = (TextColumn("loading advisories"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, transient=True) as progress:
                task = progress.add_task("advisories", total=None)

                def step(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                result = advisories.load(store, args.paths, step)
        else:
            result = advisories.load(store, args.paths)
    except (OSError, ValueError) as exc:
        print(f"cannot load {', '.join(args.paths)}: {exc}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    if not args.quiet:
        state = "loaded" if result.changed else "unchanged (already loaded)"
        print(
            f"{state}: {result.advisories} advisories ({result.withdrawn} withdrawn skipped), version {result.version}"
        )
    return 0


def add_update_db(inspector_sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """The ``update-db`` subcommand, under the ``inspector`` command's subparsers."""
    p = inspector_sub.add_parser("update-db", help="load OSV advisories into Inspector's vulnerability database")
    common(p)
    p.add_argument("--from", dest="paths", action="append", required=True, metavar="PATH")
    p.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    p.set_defaults(func=cmd_update_db)
