"""What the event bus may use of the server's runtime (the server's ``Runtime`` satisfies it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from strongroom.core.config import Config
    from strongroom.keyring.seal import Seal
    from strongroom.store.engine import Store


class EventsRuntime(Protocol):
    @property
    def config(self) -> Config: ...
    @property
    def store(self) -> Store: ...
    @property
    def seal(self) -> Seal: ...
