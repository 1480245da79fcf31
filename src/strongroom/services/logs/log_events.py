"""Log events: PutLogEvents (AWS's batch rules), GetLogEvents (forward/backward tokens), FilterLogEvents.

Messages are encrypted before they reach the database and decrypted only to answer a read (keys.py); the filter
pattern is parsed once (patterns.py) and matched against the decrypted messages in memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import and_, case, insert, or_, select, update

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.logs import patterns
from strongroom.services.logs.base import LogsBase, Row, now_ms
from strongroom.services.logs.errors import InvalidParameterException, ResourceNotFoundException
from strongroom.services.logs.keys import open_message, seal_message
from strongroom.services.logs.model import data_keys, events, streams
from strongroom.services.logs.streams import sequence_token

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26  # bytes AWS counts per event on top of its UTF-8 message
MAX_SPAN_MS = 24 * 3_600_000
TOO_OLD_MS = 14 * 86_400_000
TOO_NEW_MS = 2 * 3_600_000
DEFAULT_EVENTS = 10_000
SCAN_BATCH = 500
LATEST_FIRST_SINCE_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z: the earliest startTime of a latest-first search
SCAN_MAX = 10_000  # events FilterLogEvents decrypts per call; past that it answers a partial page and a nextToken

_TOKEN = re.compile(r"^([fb])/(\d{56})$")
Position = tuple[int, int]  # (timestamp_ms, id): the order events are read in


def _position_text(pos: Position) -> str:
    return f"{pos[0]:020d}{pos[1]:036d}"


def _token(direction: str, pos: Position) -> str:
    return f"{direction}/{_position_text(pos)}"


def _bad_token() -> AwsError:
    return InvalidParameterException("The specified nextToken is invalid.")


def _parse_token(token: str) -> tuple[str, Position]:
    m = _TOKEN.match(token)
    if m is None:
        raise _bad_token()
    digits = m.group(2)
    return m.group(1), (int(digits[:20]), int(digits[20:]))


def _after(pos: Position) -> Any:
    return or_(events.c.timestamp_ms > pos[0], and_(events.c.timestamp_ms == pos[0], events.c.id > pos[1]))


def _before(pos: Position) -> Any:
    return or_(events.c.timestamp_ms < pos[0], and_(events.c.timestamp_ms == pos[0], events.c.id < pos[1]))


def rejected_ranges(
    timestamps: Sequence[int], now: int, retention_days: int | None
) -> tuple[int, int, int, dict[str, int]]:
    """(first accepted index, end of accepted, the same, rejectedLogEventsInfo) for chronological timestamps."""
    too_old_end = sum(1 for ts in timestamps if ts < now - TOO_OLD_MS)
    expired_end = 0
    if retention_days is not None:
        expired_end = sum(1 for ts in timestamps if ts < now - retention_days * 86_400_000)
    too_new_start = next((i for i, ts in enumerate(timestamps) if ts > now + TOO_NEW_MS), len(timestamps))
    info: dict[str, int] = {}
    if too_new_start < len(timestamps):
        info["tooNewLogEventStartIndex"] = too_new_start
    if too_old_end:
        info["tooOldLogEventEndIndex"] = too_old_end
    if expired_end:
        info["expiredLogEventEndIndex"] = expired_end
    start = max(too_old_end, expired_end)
    return start, max(start, too_new_start), too_new_start, info


class EventOperations(LogsBase):
    # Keys are unwrapped with no database connection held: unwrapping may be a KMS call, which needs its own.

    def _ciphers(self, ctx: RequestContext, group: Row, key_ids: Iterable[str]) -> dict[str, AESGCM]:
        wanted = set(key_ids)
        if not wanted:
            return {}
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(data_keys).where(data_keys.c.key_id.in_(wanted))).all()
        return {row.key_id: self.keys.cipher(ctx, group.arn, row) for row in rows if row.group_arn == group.arn}

    def _messages(self, ctx: RequestContext, group: Row, rows: Sequence[Row]) -> list[str]:
        ciphers = self._ciphers(ctx, group, {row.key_id for row in rows})
        return [open_message(ciphers[r.key_id], group.arn, r.stream_name, r.timestamp_ms, r.message) for r in rows]

    def put_log_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        batch = request["logEvents"]
        timestamps = [int(e["timestamp"]) for e in batch]
        if any(b < a for a, b in pairwise(timestamps)):
            raise InvalidParameterException(
                "Log events in a single PutLogEvents request must be in chronological order."
            )
        size = sum(len(e["message"].encode()) + EVENT_OVERHEAD for e in batch)
        if size > MAX_BATCH_BYTES:
            raise InvalidParameterException(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
        with self.runtime.store.read() as conn:
            group = self.require_group(conn, ctx, request["logGroupName"])
            self.require_stream(conn, group, request["logStreamName"])
            now = now_ms()
            start, end, _, rejected = rejected_ranges(timestamps, now, group.retention_days)
            # "for valid events (within 14 days in the past to 2 hours in future)": the rejected ones do not count
            valid = [ts for ts in timestamps if now - TOO_OLD_MS <= ts <= now + TOO_NEW_MS]
            if valid and valid[-1] - valid[0] > MAX_SPAN_MS:
                raise InvalidParameterException(
                    "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
                )
            accepted = batch[start:end]
            key = conn.execute(select(data_keys).where(data_keys.c.key_id == group.data_key_id)).one()
        # a KMS key that cannot be used fails the write
        cipher = self.keys.cipher(ctx, group.arn, key) if accepted else None
        stream_name = request["logStreamName"]
        rows = []
        if cipher is not None:
            for e in accepted:
                ts = int(e["timestamp"])
                rows.append(
                    {
                        "group_arn": group.arn,
                        "stream_name": stream_name,
                        "timestamp_ms": ts,
                        "ingestion_ms": now,
                        "key_id": group.data_key_id,
                        "size": len(e["message"].encode()),
                        "message": seal_message(cipher, group.arn, stream_name, ts, e["message"]),
                    }
                )
        with self.runtime.store.write() as conn:
            current = self.require_group(conn, ctx, group.name)
            if current.created_ms != group.created_ms:  # deleted and created again meanwhile: another group
                raise ResourceNotFoundException("The specified log group does not exist.")
            stream = self.require_stream(conn, current, stream_name)
            values: dict[str, Any] = {"sequence": streams.c.sequence + 1}
            if rows:
                conn.execute(insert(events), rows)
                first, last = rows[0]["timestamp_ms"], rows[-1]["timestamp_ms"]
                values.update(
                    stored_bytes=streams.c.stored_bytes + sum(r["size"] for r in rows),
                    last_ingestion_ms=now,
                    first_event_ms=case(
                        (or_(streams.c.first_event_ms.is_(None), streams.c.first_event_ms > first), first),
                        else_=streams.c.first_event_ms,
                    ),
                    last_event_ms=case(
                        (or_(streams.c.last_event_ms.is_(None), streams.c.last_event_ms < last), last),
                        else_=streams.c.last_event_ms,
                    ),
                )
            conn.execute(
                update(streams).where(streams.c.group_arn == group.arn, streams.c.name == stream_name).values(**values)
            )
        out: dict[str, Any] = {"nextSequenceToken": sequence_token(stream.sequence + 1)}
        if rejected:
            out["rejectedLogEventsInfo"] = rejected
        return out

    def get_log_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        limit = int(request.get("limit") or DEFAULT_EVENTS)
        token = request.get("nextToken")
        direction, pos = _parse_token(token) if token else ("", (0, 0))
        with self.runtime.store.read() as conn:
            group = self.require_group(conn, ctx, self.group_name(ctx, request))
            stream = self.require_stream(conn, group, request["logStreamName"])
            stmt = select(events).where(events.c.group_arn == group.arn, events.c.stream_name == stream.name)
            if request.get("startTime") is not None:
                stmt = stmt.where(events.c.timestamp_ms >= int(request["startTime"]))
            if request.get("endTime") is not None:
                stmt = stmt.where(events.c.timestamp_ms < int(request["endTime"]))
            forward = direction == "f" or (not direction and bool(request.get("startFromHead")))
            if direction == "f":
                stmt = stmt.where(_after(pos))
            elif direction == "b":
                stmt = stmt.where(_before(pos))
            if forward:
                stmt = stmt.order_by(events.c.timestamp_ms, events.c.id)
            else:
                stmt = stmt.order_by(events.c.timestamp_ms.desc(), events.c.id.desc())
            rows = list(conn.execute(stmt.limit(limit)).all())
        if not forward:
            rows.reverse()
        messages = self._messages(ctx, group, rows)
        out_events = [
            {"timestamp": r.timestamp_ms, "message": m, "ingestionTime": r.ingestion_ms}
            for r, m in zip(rows, messages, strict=True)
        ]
        if rows:
            first, last = (rows[0].timestamp_ms, rows[0].id), (rows[-1].timestamp_ms, rows[-1].id)
            return {
                "events": out_events,
                "nextForwardToken": _token("f", last),
                "nextBackwardToken": _token("b", first),
            }
        # nothing more in this direction: the same token again (AWS's end-of-stream signal), the other one beside it
        return {"events": [], "nextForwardToken": _token("f", pos), "nextBackwardToken": _token("b", pos)}

    def filter_log_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        names = request.get("logStreamNames")
        prefix = request.get("logStreamNamePrefix")
        if names is not None and prefix is not None:
            raise InvalidParameterException("logStreamNames and logStreamNamePrefix are mutually exclusive parameters.")
        try:
            pattern = patterns.parse(request.get("filterPattern") or "")
        except patterns.PatternError:
            raise InvalidParameterException("Invalid filter pattern") from None
        limit = int(request.get("limit") or DEFAULT_EVENTS)
        token = request.get("nextToken")
        # the first request's startFromHead sets the direction; a token carries it on
        ascending = request.get("startFromHead") is not False
        if not ascending and token is None and int(request.get("startTime") or 0) < LATEST_FIRST_SINCE_MS:
            raise InvalidParameterException(
                "startFromHead set to false is supported only when startTime is on or after Jan 1, 2024 00:00:00 UTC."
            )
        last: Position | None = None
        if token is not None:
            parts = pages.decode(token, 3, _bad_token)
            if not all(isinstance(p, int) for p in parts) or parts[2] not in (0, 1):
                raise _bad_token()
            last, ascending = (int(parts[0]), int(parts[1])), parts[2] == 1
        beyond = _after if ascending else _before
        order = (
            (events.c.timestamp_ms, events.c.id) if ascending else (events.c.timestamp_ms.desc(), events.c.id.desc())
        )
        found: list[dict[str, Any]] = []
        next_pos: Position | None = None
        with self.runtime.store.read() as conn:
            group = self.require_group(conn, ctx, self.group_name(ctx, request))
        base = select(events).where(events.c.group_arn == group.arn)
        if names is not None:
            base = base.where(events.c.stream_name.in_(names))
        elif prefix is not None:
            base = base.where(events.c.stream_name.startswith(prefix, autoescape=True))
        if request.get("startTime") is not None:
            base = base.where(events.c.timestamp_ms >= int(request["startTime"]))
        if request.get("endTime") is not None:
            base = base.where(events.c.timestamp_ms <= int(request["endTime"]))
        scanned = 0
        while True:
            stmt = base if last is None else base.where(beyond(last))
            with self.runtime.store.read() as conn:
                rows = list(conn.execute(stmt.order_by(*order).limit(SCAN_BATCH)).all())
            if not rows:
                break
            for row, message in zip(rows, self._messages(ctx, group, rows), strict=True):
                last = (row.timestamp_ms, row.id)
                scanned += 1
                if pattern.matches(message):
                    found.append(
                        {
                            "logStreamName": row.stream_name,
                            "timestamp": row.timestamp_ms,
                            "message": message,
                            "ingestionTime": row.ingestion_ms,
                            "eventId": _position_text(last),
                        }
                    )
                    if len(found) == limit:
                        break
            if (len(found) == limit or scanned >= SCAN_MAX) and last is not None:
                with self.runtime.store.read() as conn:
                    more = conn.execute(base.where(beyond(last)).limit(1)).first()
                next_pos = last if more is not None else None
                break
            if len(rows) < SCAN_BATCH:
                break
        out: dict[str, Any] = {"events": found, "searchedLogStreams": []}
        if next_pos is not None:
            out["nextToken"] = pages.encode(*next_pos, 1 if ascending else 0)
        return out
