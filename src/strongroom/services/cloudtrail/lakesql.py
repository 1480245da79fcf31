"""CloudTrail Lake's SQL, run on an in-memory SQLite database (the standard library's ``sqlite3``).

Lake's dialect is Trino's: a single SELECT (or WITH ... SELECT) whose tables are event data store ids,
``FROM 0f8c...-...``, over a schema where ``userIdentity`` and ``tlsDetails`` are structs (``userIdentity.arn``)
and ``requestParameters``/``responseElements``/``additionalEventData`` are maps (``element_at(m, 'key')``).

Each query gets a fresh in-memory database: one table per event data store it names, holding that store's
records flattened to Lake's columns; the struct fields are columns named by their path
(``"userIdentity.arn"``), the maps JSON text. The statement is rewritten only outside string literals: store ids
become the tables' names, struct paths become the quoted columns, ``timestamp '...'`` becomes the literal
(eventTime is text in Lake's own format, ``YYYY-MM-DD HH:MM:SS.fff``, which compares as time). A few Trino
functions Lake users reach for are defined (element_at, json_extract_scalar, from_iso8601_timestamp, now,
date_add). An authorizer lets the statement read and call functions only: no ATTACH, PRAGMA or writes, even
inside a WITH. Why SQLite and not DuckDB or the main database: docs/cloudtrail.md.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_ROWS = 100_000

# Lake's event columns (CloudTrail event schema), in order; struct fields flattened by path.
SCALARS = (
    "eventVersion",
    "userAgent",
    "eventSource",
    "eventName",
    "eventTime",
    "awsRegion",
    "sourceIPAddress",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "readOnly",
    "eventType",
    "apiVersion",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
    "sessionCredentialFromConsole",
)
MAPS = ("requestParameters", "responseElements", "additionalEventData", "serviceEventDetails", "insightDetails")
LISTS = ("resources",)
STRUCTS = {
    "userIdentity": (
        "type",
        "principalId",
        "arn",
        "accountId",
        "accessKeyId",
        "userName",
        "invokedBy",
        "sessionContext.attributes.creationDate",
        "sessionContext.attributes.mfaAuthenticated",
        "sessionContext.sessionIssuer.type",
        "sessionContext.sessionIssuer.principalId",
        "sessionContext.sessionIssuer.arn",
        "sessionContext.sessionIssuer.accountId",
        "sessionContext.sessionIssuer.userName",
    ),
    "tlsDetails": ("tlsVersion", "cipherSuite", "clientProvidedHostHeader"),
}
COLUMNS: tuple[str, ...] = (
    *SCALARS,
    *(f"{struct}.{path}" for struct, paths in STRUCTS.items() for path in paths),
    *MAPS,
    *LISTS,
)

_STORE_REF = re.compile(
    r"(?i)\b(from|join)(\s+)(arn:aws:cloudtrail:[a-z0-9-]*:\d*:eventdatastore/)?([A-Za-z0-9][A-Za-z0-9-]{19,})\b"
)
_STRUCT_PATH = re.compile(r"(?i)\b(userIdentity|tlsDetails)((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
_TIMESTAMP_PREFIX = re.compile(r"(?i)\btimestamp\s*$")
_FIRST_WORD = re.compile(r"^\s*([A-Za-z]+)")
_STAR = re.compile(r"(?<![(\s])\s*\*|(?:select|,)\s*\*|\.\*")
_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}


class QueryError(Exception):
    """The statement is not one Lake runs (InvalidQueryStatementException)."""


@dataclass(frozen=True, slots=True)
class Result:
    columns: list[str]
    rows: list[list[Any]]
    scanned: int  # events loaded into the query's tables


def _segments(statement: str) -> list[tuple[bool, str]]:
    """(is a string literal, text) pieces of the statement; a literal keeps its quotes ('' escapes a quote)."""
    out: list[tuple[bool, str]] = []
    i, start, n = 0, 0, len(statement)
    while i < n:
        if statement[i] == "'":
            if start < i:
                out.append((False, statement[start:i]))
            j = i + 1
            while j < n:
                if statement[j] == "'" and j + 1 < n and statement[j + 1] == "'":
                    j += 2
                    continue
                if statement[j] == "'":
                    break
                j += 1
            if j >= n:
                raise QueryError("The query statement has an unterminated string literal.")
            out.append((True, statement[i : j + 1]))
            i = start = j + 1
            continue
        if statement.startswith("--", i):
            end = statement.find("\n", i)
            end = n if end < 0 else end
            if start < i:
                out.append((False, statement[start:i]))
            i = start = end
            continue
        i += 1
    if start < n:
        out.append((False, statement[start:]))
    return out


def store_ids(statement: str) -> list[str]:
    """The event data store ids the statement reads (in order of first appearance)."""
    found: list[str] = []
    for literal, text in _segments(statement):
        if not literal:
            for match in _STORE_REF.finditer(text):
                if match.group(4) not in found:
                    found.append(match.group(4))
    return found


def rewrite(statement: str, tables: dict[str, str]) -> str:
    """The statement for SQLite: one SELECT checked, store ids -> tables, struct paths -> columns."""
    pieces = _segments(statement.strip())
    code = "".join(text for literal, text in pieces if not literal)
    if ";" in code.rstrip().rstrip(";"):
        raise QueryError("Only one SQL statement is allowed per query.")
    first = _FIRST_WORD.match(code)
    if first is None or first.group(1).upper() not in ("SELECT", "WITH"):
        raise QueryError("Only SELECT statements are supported.")
    out: list[str] = []
    for index, (literal, text) in enumerate(pieces):
        if literal:
            out.append(text)
            continue
        text = _STORE_REF.sub(lambda m: f"{m.group(1)}{m.group(2)}{_quote(tables.get(m.group(4), m.group(4)))}", text)
        text = _STRUCT_PATH.sub(lambda m: _quote(m.group(1) + m.group(2)), text)
        if index + 1 < len(pieces) and pieces[index + 1][0]:
            text = _TIMESTAMP_PREFIX.sub("", text)
        out.append(text)
    return "".join(out).strip().rstrip(";")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- flattening records ---------------------------------------------------------------------------------------


def lake_time(value: Any) -> str | None:
    """eventTime as Lake shows it: ``2026-12-07 01:02:03.000``."""
    if not isinstance(value, str):
        return None
    if len(value) == 20 and value[10] == "T" and value[19] == "Z":  # CloudTrail's own form, the common case
        return f"{value[:10]} {value[11:19]}.000"
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def _path(value: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"))
    return value


def _getter(column: str) -> Any:
    """A function reading one Lake column's value from a record."""
    if column == "eventTime":
        return lambda record: lake_time(record.get("eventTime"))
    if "." not in column:
        return lambda record: _cell(record.get(column))
    return lambda record: _cell(_path(record, column))


def needed_columns(sql: str) -> tuple[str, ...]:
    """The columns the rewritten statement names (all of them for ``*`` outside ``count(*)``)."""
    code = "".join(text for literal, text in _segments(sql) if not literal)
    if _STAR.search(code):
        return COLUMNS
    lowered = code.lower()
    return tuple(c for c in COLUMNS if re.search(r"(?<![\w.])" + re.escape(c.lower()) + r"(?![\w.])", lowered))


def flatten(record: dict[str, Any], getters: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(get(record) for get in getters)


# -- Trino functions Lake users write -------------------------------------------------------------------------


def _element_at(container: Any, key: Any) -> Any:
    if container is None:
        return None
    try:
        value = json.loads(container)
    except (TypeError, ValueError):
        return None
    if isinstance(value, dict):
        found = value.get(str(key))
    elif isinstance(value, list) and isinstance(key, int) and 1 <= key <= len(value):
        found = value[key - 1]  # Trino arrays are 1-based
    else:
        return None
    return _cell(found)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _format(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _date_add(unit: Any, amount: Any, value: Any) -> str | None:
    moment = _parse(value)
    seconds = _UNITS.get(str(unit).lower())
    if moment is None or seconds is None or not isinstance(amount, int | float):
        return None
    return _format(moment + timedelta(seconds=seconds * amount))


def run(
    statement: str,
    tables: dict[str, Iterable[dict[str, Any]]],
    now: datetime,
    parameters: Sequence[str] = (),
) -> Result:
    """Run a Lake statement over each store's records (``tables``: store id -> its records)."""
    names = {store_id: f"eds_{i}" for i, store_id in enumerate(tables)}
    sql = rewrite(statement, names)
    db = sqlite3.connect(":memory:")
    try:
        scanned = 0
        chosen = needed_columns(sql) or COLUMNS[:1]
        getters = [_getter(c) for c in chosen]
        columns = ", ".join(f"{_quote(c)} TEXT" for c in chosen)
        marks = ", ".join("?" for _ in chosen)
        for store_id, records in tables.items():
            table = _quote(names[store_id])
            db.execute(f"CREATE TABLE {table} ({columns})")
            batch = [flatten(record, getters) for record in records]
            scanned += len(batch)
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", batch)
        db.create_function("element_at", 2, _element_at, deterministic=True)
        db.create_function("json_extract_scalar", 2, lambda d, p: _cell(_json_path(d, p)), deterministic=True)
        db.create_function("from_iso8601_timestamp", 1, lambda v: _format(m) if (m := _parse(v)) else None)
        db.create_function("now", 0, lambda: _format(now))
        db.create_function("current_timestamp", 0, lambda: _format(now))
        db.create_function("date_add", 3, _date_add)
        db.set_authorizer(_authorize)
        try:
            cursor = db.execute(sql, tuple(parameters))
            rows = [list(r) for r in cursor.fetchmany(MAX_ROWS)]
        except sqlite3.DatabaseError as exc:
            raise QueryError(_message(str(exc))) from None
        columns_out = [d[0] for d in cursor.description or ()]
        return Result(columns_out, rows, scanned)
    finally:
        db.close()


def _authorize(action: int, first: str | None, *_: Any) -> int:
    """Reads of the query's tables and function calls only: no writes, ATTACH, PRAGMA or sqlite_master."""
    if action not in _ALLOWED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and first is not None and first.lower().startswith("sqlite_"):
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _json_path(document: Any, path: Any) -> Any:
    if document is None or not isinstance(path, str) or not path.startswith("$"):
        return None
    try:
        value: Any = json.loads(document)
    except (TypeError, ValueError):
        return None
    for part in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        key, index = part
        if key and isinstance(value, dict):
            value = value.get(key)
        elif index and isinstance(value, list) and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return value


def _message(error: str) -> str:
    if "not authorized" in error:
        return "Only SELECT statements that read event data stores are supported."
    return f"The query statement is not valid: {error}"
