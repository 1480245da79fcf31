"""Archives and replays: CreateArchive/Describe/Update/Delete/List, StartReplay/Describe/List/Cancel.

An archive keeps every event its bus receives that matches its pattern (``events.bus.archive``, in the
transaction that accepts the event). A replay is a scheduler job: it reads the archive's events put between
EventStartTime and EventEndTime and queues them to the destination bus's rules (all of them, or the ones named in
FilterArns) with ``replay-name`` set, as AWS marks replayed events; archives do not keep replayed events again.
Retention is applied when an archive is read (Describe, List, StartReplay): events older than RetentionDays go.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, func, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.bus import bus_arn, compiled, enqueue_for_rule
from strongroom.events.patterns import InvalidPattern, error_message, parse
from strongroom.scheduler.jobs import JobContext, JobResult, schedule_job
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import (
    IllegalStatusException,
    InvalidEventPatternException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

REPLAY_JOB = "events-replay"
_RULE_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
_LIST_REPLAY_KEYS = frozenset(
    {
        "ReplayName",
        "EventSourceArn",
        "State",
        "StateReason",
        "EventStartTime",
        "EventEndTime",
        "EventLastReplayedTime",
        "ReplayStartTime",
        "ReplayEndTime",
    }
)


def archive_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:archive/{name}"


def replay_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:events:{region}:{account_id}:replay/{name}"


def _check_pattern(pattern: str | None) -> None:
    if pattern:
        try:
            parse(pattern)
        except InvalidPattern as exc:
            raise InvalidEventPatternException(error_message(str(exc))) from None


def _replay_fields(row: Row[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ReplayName": row.name,
        "ReplayArn": row.arn,
        "State": row.state,
        "EventSourceArn": row.source_arn,
        "Destination": json.loads(row.destination),
        "EventStartTime": row.event_start,
        "EventEndTime": row.event_end,
        "ReplayStartTime": row.started_at,
    }
    if row.description:
        out["Description"] = row.description
    if row.state_reason:
        out["StateReason"] = row.state_reason
    if row.last_replayed is not None:
        out["EventLastReplayedTime"] = row.last_replayed
    if row.ended_at is not None:
        out["ReplayEndTime"] = row.ended_at
    return out


class ArchiveOperations(EventsBase):
    # -- archives ------------------------------------------------------------------------------------------

    def _archive(self, conn: Connection, ctx: RequestContext, name: str) -> Row[Any]:
        row = conn.execute(
            select(model.archives).where(model.archives.c.arn == archive_arn(ctx.account_id, ctx.region, name))
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"Archive {name} does not exist.")
        return row

    @staticmethod
    def _expire(conn: Connection, row: Row[Any]) -> None:
        if row.retention_days:
            cutoff = clock.now() - timedelta(days=row.retention_days)
            conn.execute(
                delete(model.archived_events).where(
                    model.archived_events.c.archive_arn == row.arn, model.archived_events.c.event_time < cutoff
                )
            )

    def create_archive(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, source = request["ArchiveName"], request["EventSourceArn"]
        _check_pattern(request.get("EventPattern"))
        bus = self.bus_name(ctx, source)
        arn = archive_arn(ctx.account_id, ctx.region, name)
        now = clock.now()
        with self.runtime.store.write() as conn:
            self.require_bus(conn, ctx, bus)
            if conn.execute(select(model.archives.c.arn).where(model.archives.c.arn == arn)).first() is not None:
                raise ResourceAlreadyExistsException(f"Archive {name} already exists.")
            conn.execute(
                model.archives.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    source_arn=bus_arn(ctx.account_id, ctx.region, bus),
                    description=request.get("Description"),
                    event_pattern=request.get("EventPattern") or None,
                    retention_days=request.get("RetentionDays") or 0,
                    kms_key=request.get("KmsKeyIdentifier") or None,
                    state="ENABLED",
                    created_at=now,
                )
            )
        return {"ArchiveArn": arn, "State": "ENABLED", "CreationTime": now}

    def _archive_fields(self, conn: Connection, row: Row[Any], full: bool) -> dict[str, Any]:
        self._expire(conn, row)
        count, size = conn.execute(
            select(func.count(), func.coalesce(func.sum(model.archived_events.c.size), 0)).where(
                model.archived_events.c.archive_arn == row.arn
            )
        ).one()
        out: dict[str, Any] = {
            "ArchiveName": row.name,
            "EventSourceArn": row.source_arn,
            "State": row.state,
            "RetentionDays": row.retention_days,
            "SizeBytes": int(size),
            "EventCount": int(count),
            "CreationTime": row.created_at,
        }
        if full:
            out["ArchiveArn"] = row.arn
            for key, value in (
                ("Description", row.description),
                ("EventPattern", row.event_pattern),
                ("KmsKeyIdentifier", row.kms_key),
            ):
                if value:
                    out[key] = value
        return out

    def describe_archive(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            return self._archive_fields(conn, self._archive(conn, ctx, request["ArchiveName"]), full=True)

    def update_archive(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        _check_pattern(request.get("EventPattern"))
        values: dict[str, Any] = {}
        for member, column in (
            ("Description", "description"),
            ("EventPattern", "event_pattern"),
            ("RetentionDays", "retention_days"),
            ("KmsKeyIdentifier", "kms_key"),
        ):
            if member in request:
                values[column] = request[member] if request[member] not in ("",) else None
        if values.get("retention_days") is None and "retention_days" in values:
            values["retention_days"] = 0
        with self.runtime.store.write() as conn:
            row = self._archive(conn, ctx, request["ArchiveName"])
            if values:
                conn.execute(update(model.archives).where(model.archives.c.arn == row.arn).values(**values))
        return {"ArchiveArn": row.arn, "State": row.state, "CreationTime": row.created_at}

    def delete_archive(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._archive(conn, ctx, request["ArchiveName"])
            conn.execute(delete(model.archived_events).where(model.archived_events.c.archive_arn == row.arn))
            conn.execute(delete(model.archives).where(model.archives.c.arn == row.arn))
        return {}

    def list_archives(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix, source, state = request.get("NamePrefix") or "", request.get("EventSourceArn"), request.get("State")
        with self.runtime.store.write() as conn:
            rows = conn.execute(
                select(model.archives)
                .where(model.archives.c.account_id == ctx.account_id, model.archives.c.region == ctx.region)
                .order_by(model.archives.c.name)
            ).all()
            if source:
                source_bus = bus_arn(ctx.account_id, ctx.region, self.bus_name(ctx, source))
                rows = [r for r in rows if r.source_arn == source_bus]
            rows = [r for r in rows if r.name.startswith(prefix) and (not state or r.state == state)]
            chunk, token = self.page(rows, request, lambda r: r.name)
            out: dict[str, Any] = {"Archives": [self._archive_fields(conn, r, full=False) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    # -- replays -------------------------------------------------------------------------------------------

    def _replay(self, conn: Connection, ctx: RequestContext, name: str) -> Row[Any]:
        row = conn.execute(
            select(model.replays).where(model.replays.c.arn == replay_arn(ctx.account_id, ctx.region, name))
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"Replay {name} does not exist.")
        return row

    def start_replay(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, source = request["ReplayName"], request["EventSourceArn"]
        start, end = request["EventStartTime"], request["EventEndTime"]
        destination = dict(request["Destination"])
        if start >= end:
            raise ValidationException(
                "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        parts = source.split(":", 5)
        if len(parts) != 6 or not parts[5].startswith("archive/"):
            raise ValidationException(
                f"Parameter EventSourceArn is not valid. Reason: Parameter {source} is not a valid archive ARN."
            )
        arn = replay_arn(ctx.account_id, ctx.region, name)
        now = clock.now()
        with self.runtime.store.write() as conn:
            archive = self._archive(conn, ctx, parts[5][len("archive/") :])
            if destination.get("Arn") != archive.source_arn:
                raise ValidationException(
                    "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
                )
            if conn.execute(select(model.replays.c.arn).where(model.replays.c.arn == arn)).first() is not None:
                raise ResourceAlreadyExistsException(f"Replay {name} already exists.")
            conn.execute(
                model.replays.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    description=request.get("Description"),
                    source_arn=archive.arn,
                    destination=json.dumps(destination, separators=(",", ":")),
                    event_start=start,
                    event_end=end,
                    state="STARTING",
                    started_at=now,
                )
            )
            schedule_job(conn, REPLAY_JOB, arn, now)
        return {"ReplayArn": arn, "State": "STARTING", "ReplayStartTime": now}

    def describe_replay(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return _replay_fields(self._replay(conn, ctx, request["ReplayName"]))

    def list_replays(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix, source, state = request.get("NamePrefix") or "", request.get("EventSourceArn"), request.get("State")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.replays)
                .where(model.replays.c.account_id == ctx.account_id, model.replays.c.region == ctx.region)
                .order_by(model.replays.c.name)
            ).all()
        rows = [
            r
            for r in rows
            if r.name.startswith(prefix) and (not state or r.state == state) and (not source or r.source_arn == source)
        ]
        chunk, token = self.page(rows, request, lambda r: r.name)
        keys = _LIST_REPLAY_KEYS
        out: dict[str, Any] = {
            "Replays": [{k: v for k, v in _replay_fields(r).items() if k in keys} for r in chunk],
        }
        if token:
            out["NextToken"] = token
        return out

    def cancel_replay(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["ReplayName"]
        with self.runtime.store.write() as conn:
            row = self._replay(conn, ctx, name)
            if row.state not in ("STARTING", "RUNNING"):
                raise IllegalStatusException(f"Replay {name} is not in a valid state for this operation.")
            conn.execute(
                update(model.replays)
                .where(model.replays.c.arn == row.arn)
                .values(state="CANCELLED", state_reason="Cancelled by the user.", ended_at=clock.now())
            )
        return {"ReplayArn": row.arn, "State": "CANCELLING"}

    def run_replay(self, job: JobContext) -> JobResult | None:
        """Queue the archived events of the replay's window to the destination's rules, then mark it COMPLETED."""
        with job.store.write() as conn:
            row = conn.execute(select(model.replays).where(model.replays.c.arn == job.key)).one_or_none()
            if row is None or row.state != "STARTING":
                return None  # cancelled (or deleted) before it ran
            destination = json.loads(row.destination)
            bus = str(destination["Arn"])
            parts = bus.split(":", 5)
            bus_name = parts[5][len("event-bus/") :]
            rules = conn.execute(
                select(model.rules).where(
                    model.rules.c.account_id == parts[4],
                    model.rules.c.region == parts[3],
                    model.rules.c.bus_name == bus_name,
                    model.rules.c.state.in_(_RULE_STATES),
                    model.rules.c.event_pattern.is_not(None),
                )
            ).all()
            wanted = set(destination.get("FilterArns") or [])
            rules = [r for r in rules if not wanted or r.arn in wanted]
            events = conn.execute(
                select(model.archived_events.c.event, model.archived_events.c.event_time)
                .where(
                    model.archived_events.c.archive_arn == row.source_arn,
                    model.archived_events.c.event_time >= row.event_start,
                    model.archived_events.c.event_time < row.event_end,
                )
                .order_by(model.archived_events.c.seq)
            ).all()
            last: datetime | None = None
            for stored in events:
                event = json.loads(stored.event)
                event["replay-name"] = row.name
                for rule in rules:
                    pattern = compiled(rule.event_pattern)
                    if pattern is not None and pattern.matches(event):
                        enqueue_for_rule(conn, event, rule.arn)
                last = stored.event_time
            conn.execute(
                update(model.replays)
                .where(model.replays.c.arn == row.arn)
                .values(state="COMPLETED", last_replayed=last, ended_at=clock.now())
            )
        return None
