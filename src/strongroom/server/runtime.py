"""Everything one server process holds: configuration, store, seal, directories, providers, scheduler."""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from strongroom.core.config import Config
from strongroom.iam.accounts import AccountDirectory
from strongroom.keyring.factory import is_initialised, open_seal
from strongroom.keyring.seal import Seal
from strongroom.protocol.catalog import Catalog, default_catalog
from strongroom.server.metrics import Metrics
from strongroom.services.registry import ProviderRegistry
from strongroom.store.engine import Store

log = logging.getLogger("strongroom")


class NotInitialised(Exception):
    """The data directory has not been set up with ``strongroom init``."""


@dataclass
class Runtime:
    config: Config
    store: Store
    seal: Seal
    accounts: AccountDirectory
    catalog: Catalog
    metrics: Metrics
    node_id: str

    def __post_init__(self) -> None:
        self.providers = ProviderRegistry(self)
        from strongroom.events.scheduler import Scheduler

        self.scheduler = Scheduler(self.store, self.node_id, interval=self.config.scheduler_interval)
        from strongroom.audit.store import AuditLog

        self.audit = AuditLog(self)
        from strongroom.server.pipeline import Pipeline

        self.pipeline = Pipeline(self)
        self.providers.load_all(tuple(self.catalog.services))

    @staticmethod
    def open(config: Config, *, migrate: bool = True) -> Runtime:
        if not is_initialised(config):
            raise NotInitialised(
                f"{config.data_dir} is not initialised; run `strongroom init --data-dir {config.data_dir}`"
            )
        store = Store(config.effective_database_url())
        if migrate:
            store.migrate()
        seal = open_seal(config)
        if seal.is_sealed:
            log.warning("starting sealed", extra={"provider": seal.name, "reason": seal.reason})
        node_id = f"{socket.gethostname()}:{os.getpid()}"
        return Runtime(config, store, seal, AccountDirectory(store, seal), default_catalog(), Metrics(), node_id)

    def close(self) -> None:
        self.scheduler.stop()
        self.audit.stop()
        self.store.dispose()
