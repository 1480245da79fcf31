"""``strongroom events tail | outbox``: read what the built-in log target received, and the delivery outbox."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any


def _store(args: argparse.Namespace) -> Any:
    from strongroom.core.config import load_config
    from strongroom.store.engine import Store

    config = load_config(args.data_dir, database_url=args.database_url)
    return Store(config.effective_database_url())


def cmd_tail(args: argparse.Namespace) -> int:
    """Print log-target entries as JSON lines; with --follow keep polling for new ones."""
    from strongroom.events.targets import read_log

    store = _store(args)
    after = 0
    try:
        while True:
            for entry in read_log(store, args.name, after):
                after = entry["seq"]
                print(json.dumps(entry), flush=True)
            if not args.follow:
                return 0
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
    finally:
        store.dispose()


def cmd_outbox(args: argparse.Namespace) -> int:
    """Print outbox entries (pending, delivered, dead-lettered) as JSON lines."""
    from strongroom.events.delivery import list_outbox

    store = _store(args)
    try:
        for entry in list_outbox(store, args.state):
            print(json.dumps(entry), flush=True)
    finally:
        store.dispose()
    return 0


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add ``events`` and its subcommands to the top-level parser."""
    p_events = sub.add_parser("events", help="EventBridge: the log target and the delivery outbox")
    events_sub = p_events.add_subparsers(dest="events_command", required=True)
    p_tail = events_sub.add_parser("tail", help="print events delivered to log targets (JSON lines)")
    common(p_tail)
    p_tail.add_argument("--name", default=None, help="only this log target (the NAME of its ARN)")
    p_tail.add_argument("--follow", action="store_true", help="keep printing new entries")
    p_tail.add_argument("--interval", type=float, default=1.0, help=argparse.SUPPRESS)
    p_tail.set_defaults(func=cmd_tail)
    p_outbox = events_sub.add_parser("outbox", help="print delivery outbox entries (JSON lines)")
    common(p_outbox)
    p_outbox.add_argument("--state", default=None, choices=["PENDING", "DELIVERED", "DEAD_LETTERED"])
    p_outbox.set_defaults(func=cmd_outbox)
