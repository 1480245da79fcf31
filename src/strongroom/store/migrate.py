"""Alembic, run programmatically at server start (and by ``strongroom init``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config

if TYPE_CHECKING:
    from strongroom.store.engine import Store


def alembic_config(store: Store) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "strongroom.store:migrations")
    cfg.attributes["engine"] = store.engine
    return cfg


def upgrade(store: Store, revision: str = "head") -> None:
    command.upgrade(alembic_config(store), revision)
