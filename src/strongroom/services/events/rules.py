"""Rules: PutRule with event patterns and schedules, Describe/List/Enable/Disable/Delete, and the schedule job."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Row, delete, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.bus import build_event, enqueue_for_rule
from strongroom.events.patterns import InvalidPattern, error_message, parse
from strongroom.events.schedule_expressions import InvalidSchedule, next_fire
from strongroom.events.schedule_expressions import parse as parse_schedule
from strongroom.scheduler.jobs import JobContext, JobResult, cancel_job, schedule_job
from strongroom.services.events.base import EventsBase, rule_arn
from strongroom.services.events.errors import InvalidEventPatternException, ValidationException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

SCHEDULE_JOB = "events-schedule"
ENABLED_STATES = ("ENABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


def rule_fields(row: Row[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": row.name, "Arn": row.arn}
    if row.event_pattern is not None:
        out["EventPattern"] = row.event_pattern
    if row.schedule_expression is not None:
        out["ScheduleExpression"] = row.schedule_expression
    out["State"] = row.state
    if row.description is not None:
        out["Description"] = row.description
    if row.role_arn:
        out["RoleArn"] = row.role_arn
    if row.managed_by:
        out["ManagedBy"] = row.managed_by
    out["EventBusName"] = row.bus_name
    return out


def _iso(moment: datetime) -> str:
    return moment.isoformat()


class RuleOperations(EventsBase):
    def put_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        bus = self.bus_name(ctx, request.get("EventBusName"))
        pattern = request.get("EventPattern")
        schedule = request.get("ScheduleExpression")
        if not pattern and not schedule:
            raise ValidationException("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if pattern:
            try:
                parse(pattern)
            except InvalidPattern as exc:
                raise InvalidEventPatternException(error_message(str(exc))) from None
        if schedule:
            if bus != "default":
                raise ValidationException("ScheduleExpression is supported only on the default event bus.")
            try:
                parse_schedule(schedule)
            except InvalidSchedule:
                raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        state = request.get("State") or "ENABLED"
        arn = rule_arn(ctx.account_id, ctx.region, bus, name)
        now = clock.now()
        values: dict[str, Any] = {
            "event_pattern": pattern or None,
            "schedule_expression": schedule or None,
            "state": state,
            "description": request.get("Description"),
            "role_arn": request.get("RoleArn"),
        }
        with self.runtime.store.write() as conn:
            self.require_bus(conn, ctx, bus)
            existing = conn.execute(select(model.rules).where(model.rules.c.arn == arn)).one_or_none()
            if existing is None:
                conn.execute(
                    model.rules.insert().values(
                        arn=arn,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        bus_name=bus,
                        name=name,
                        created_by=ctx.account_id,
                        created_at=now,
                        **values,
                    )
                )
                self.write_tags(conn, arn, request.get("Tags") or [])
            else:
                conn.execute(update(model.rules).where(model.rules.c.arn == arn).values(**values))
            unchanged = (
                existing is not None
                and existing.schedule_expression == values["schedule_expression"]
                and existing.state == state
            )
            if not unchanged:
                self._reschedule(conn, arn, schedule if state in ENABLED_STATES else None, now)
        return {"RuleArn": arn}

    @staticmethod
    def _reschedule(conn: Connection, arn: str, schedule: str | None, now: datetime) -> None:
        """(Re)start a rule's schedule from now, or stop it."""
        if schedule is None:
            cancel_job(conn, SCHEDULE_JOB, arn)
            return
        first = next_fire(schedule, now, anchor=now)
        if first is not None:
            schedule_job(conn, SCHEDULE_JOB, arn, first, {"anchor": _iso(now)})
        else:
            cancel_job(conn, SCHEDULE_JOB, arn)

    def describe_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        with self.runtime.store.write() as conn:
            row = self.require_rule(conn, ctx, request["Name"], bus)
        out = rule_fields(row)
        out["CreatedBy"] = row.created_by
        return out

    def list_rules(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        prefix = request.get("NamePrefix") or ""
        with self.runtime.store.write() as conn:
            self.require_bus(conn, ctx, bus)
            rows = conn.execute(
                select(model.rules)
                .where(
                    model.rules.c.account_id == ctx.account_id,
                    model.rules.c.region == ctx.region,
                    model.rules.c.bus_name == bus,
                )
                .order_by(model.rules.c.name)
            ).all()
        rows = [r for r in rows if r.name.startswith(prefix)]
        chunk, token = self.page(rows, request, lambda r: r.name)
        out: dict[str, Any] = {"Rules": [rule_fields(r) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def _set_state(self, ctx: RequestContext, request: dict[str, Any], state: str) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        with self.runtime.store.write() as conn:
            row = self.require_rule(conn, ctx, request["Name"], bus)
            if row.state == state:
                return {}
            conn.execute(update(model.rules).where(model.rules.c.arn == row.arn).values(state=state))
            if row.schedule_expression:
                self._reschedule(conn, row.arn, row.schedule_expression if state == "ENABLED" else None, clock.now())
        return {}

    def enable_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(ctx, request, "ENABLED")

    def disable_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(ctx, request, "DISABLED")

    def delete_rule(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        arn = rule_arn(ctx.account_id, ctx.region, bus, request["Name"])
        with self.runtime.store.write() as conn:
            self.require_bus(conn, ctx, bus)
            has_targets = conn.execute(select(model.targets.c.rule_arn).where(model.targets.c.rule_arn == arn)).first()
            if has_targets is not None:
                raise ValidationException("Rule can't be deleted since it has targets.")
            # Deleting a rule that does not exist succeeds, as on AWS.
            conn.execute(delete(model.rules).where(model.rules.c.arn == arn))
            cancel_job(conn, SCHEDULE_JOB, arn)
            self.drop_tags(conn, arn)
        return {}

    def list_rule_names_by_target(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        bus = self.bus_name(ctx, request.get("EventBusName"))
        with self.runtime.store.write() as conn:
            self.require_bus(conn, ctx, bus)
            names = (
                conn.execute(
                    select(model.rules.c.name)
                    .join(model.targets, model.targets.c.rule_arn == model.rules.c.arn)
                    .where(
                        model.rules.c.account_id == ctx.account_id,
                        model.rules.c.region == ctx.region,
                        model.rules.c.bus_name == bus,
                        model.targets.c.arn == request["TargetArn"],
                    )
                    .order_by(model.rules.c.name)
                    .distinct()
                )
                .scalars()
                .all()
            )
        chunk, token = self.page(list(names), request, lambda n: n)
        out: dict[str, Any] = {"RuleNames": chunk}
        if token:
            out["NextToken"] = token
        return out

    # -- the schedule job ----------------------------------------------------------------------------------

    def fire_schedule(self, job: JobContext) -> JobResult | None:
        """One tick of a scheduled rule: a ``Scheduled Event`` to the rule's targets, then the next tick.

        The next tick is computed from the tick that was due, so advancing the clock three days fires a daily
        rule three times, each event stamped with its own tick time.
        """
        arn = job.key
        with self.runtime.store.write() as conn:
            row = conn.execute(select(model.rules).where(model.rules.c.arn == arn)).one_or_none()
            if row is None or row.state not in ENABLED_STATES or not row.schedule_expression:
                return None
            event = build_event(row.account_id, row.region, "aws.events", "Scheduled Event", {}, [arn], time=job.due_at)
            enqueue_for_rule(conn, event, arn)
        anchor_text = job.payload.get("anchor")
        anchor = datetime.fromisoformat(anchor_text) if isinstance(anchor_text, str) else job.due_at
        following = next_fire(row.schedule_expression, job.due_at, anchor=anchor)
        return None if following is None else JobResult.again(following)
