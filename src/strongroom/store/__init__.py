"""Storage: SQLAlchemy Core engine, transactions and Alembic migrations (SQLite default, PostgreSQL)."""
