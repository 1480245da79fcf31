"""Small server-wide key/value settings shared by every node (e.g. the test-mode clock offset)."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, Text, select

from strongroom.store.engine import Store
from strongroom.store.schema import metadata

settings = Table(
    "settings",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Text, nullable=False),
)


def get_setting(store: Store, name: str) -> str | None:
    with store.read() as conn:
        return conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar_one_or_none()


def put_setting(store: Store, name: str, value: str) -> None:
    with store.write() as conn:
        updated = conn.execute(settings.update().where(settings.c.name == name).values(value=value)).rowcount
        if not updated:
            conn.execute(settings.insert().values(name=name, value=value))
