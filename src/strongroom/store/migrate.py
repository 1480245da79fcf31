"""Alembic, run programmatically at server start (and by ``strongroom init``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "strongroom.store:migrations")
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database of ``engine`` to ``revision``; takes the engine, not ``Store`` (engine.py imports this)."""
    command.upgrade(alembic_config(engine), revision)
