"""``strongroom server --workers N``: several server processes on one socket, each a full node.

uvicorn's supervisor spawns the workers; each builds its own ``Runtime`` from the environment (the parent
exports its resolved configuration as ``STRONGROOM_*`` variables), so each has its own caches (kept in step
through the change logs, as between PostgreSQL nodes), its own scheduler (jobs run once through leases) and
its own audit writer. SQLite serialises the workers' writes with ``BEGIN IMMEDIATE`` (see store/engine.py).
"""

from __future__ import annotations

import os
from dataclasses import fields

from strongroom.core.config import Config, load_config

# Exported only when set: a None database URL means "SQLite in the data dir", which the worker derives itself.
_NOT_EXPORTED = {"extra", "data_dir", "workers"}


def export_config(config: Config) -> None:
    """Put the resolved configuration where the spawned workers' ``load_config()`` finds it first."""
    os.environ["STRONGROOM_DATA_DIR"] = str(config.data_dir.resolve())
    for f in fields(Config):
        if f.name in _NOT_EXPORTED:
            continue
        value = getattr(config, f.name)
        if value is None:
            continue
        if isinstance(value, bool):
            value = "1" if value else "0"
        os.environ["STRONGROOM_" + f.name.upper()] = str(value)


def create_app() -> object:
    """uvicorn's app factory, called once in every worker process."""
    from strongroom.server.app import StrongroomApp
    from strongroom.server.logs import configure
    from strongroom.server.runtime import Runtime

    config = load_config()
    configure(config.log_level)
    runtime = Runtime.open(config, migrate=False)  # the parent migrated once, before any worker started
    return StrongroomApp(runtime, owns_runtime=True)
