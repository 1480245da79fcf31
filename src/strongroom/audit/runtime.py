"""What the audit log may use of the server's runtime (the server's ``Runtime`` satisfies it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from strongroom.core.config import Config
    from strongroom.iam.accounts import AccountDirectory
    from strongroom.keyring.seal import Seal
    from strongroom.scheduler.jobs import Scheduler
    from strongroom.store.engine import Store


class AuditRuntime(Protocol):
    @property
    def config(self) -> Config: ...
    @property
    def store(self) -> Store: ...
    @property
    def seal(self) -> Seal: ...
    @property
    def scheduler(self) -> Scheduler: ...
    @property
    def accounts(self) -> AccountDirectory: ...
