"""Hot point reads run on the driver's cursor: a SELECT compiled once per dialect by SQLAlchemy, executed without
SQLAlchemy's per-execution work (autobegin, execution context, result proxy, row mapping), which costs several
times the query itself for a one-row lookup by key. Values still go through each column type's own result
processor, so a row is what ``Connection.execute`` would have returned (``UtcDateTime`` included).

Only for single SELECT statements read outside a transaction: on SQLite the driver runs it in autocommit (one
consistent snapshot per statement), on PostgreSQL in the implicit transaction the pool rolls back on return.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Select


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # bind names in order (qmark/numeric styles); None: named (pyformat)
    fixed: dict[str, Any]  # the statement's own values (LIMIT 1, literals bound as parameters)
    binders: dict[str, Callable[[Any], Any]]
    keys: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]

    def arguments(self, params: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **params}
        for name, bind in self.binders.items():
            values[name] = bind(values[name])
        if self.positional is None:
            return values
        return tuple(values[name] for name in self.positional)

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        return {
            key: (value if proc is None or value is None else proc(value))
            for key, value, proc in zip(self.keys, raw, self.processors, strict=True)
        }


class Prepared:
    """One SELECT, compiled on first use for each dialect that runs it."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def compiled(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            with self._lock:
                found = self._compiled.get(dialect.name)
                if found is None:
                    found = self._compiled[dialect.name] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binders: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binders[name] = process
        columns = list(self.statement.selected_columns)
        processors = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
        # ``binds`` holds anonymous parameters under their internal name too; the driver sees the rendered names
        fixed = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if not bind.required and name.isidentifier()
        }
        positional = tuple(compiled.positiontup) if compiled.positional and compiled.positiontup else None
        return _Compiled(compiled.string, positional, fixed, binders, tuple(str(c.key) for c in columns), processors)
