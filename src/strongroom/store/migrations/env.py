"""Alembic environment: migrations run on the server's own engine, online only."""

from __future__ import annotations

from alembic import context

from strongroom.store.schema import all_tables

config = context.config
engine = config.attributes["engine"]
target_metadata = all_tables()

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
