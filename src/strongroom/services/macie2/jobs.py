"""Classification jobs: CreateClassificationJob, DescribeClassificationJob, ListClassificationJobs,
UpdateClassificationJob. Runs are scheduler jobs (``runner.py``) on the server clock.

A ONE_TIME job is RUNNING from creation until its one run ends (COMPLETE). A SCHEDULED job runs at 00:00 UTC of
each day / week day / month day its ``scheduleFrequency`` names (a month day past the month's end means its last
day) and is IDLE between runs; with ``initialRun`` its first run starts at once over every existing object, without
it the first run considers only objects created after the job was. Each later run considers only the objects
modified since the previous run started. ``USER_PAUSED`` holds the job (a running run stops after the object in
hand and resumes there); AWS cancels a job paused for 30 days, as ``userPausedDetails.jobExpiresAt`` says.
"""

from __future__ import annotations

import calendar
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.sensitive import managed_identifiers
from strongroom.services.base import pages
from strongroom.services.macie2.base import MacieBase, arn, hex_id
from strongroom.services.macie2.errors import not_found, validation
from strongroom.services.macie2.model import allow_lists, custom_identifiers, jobs
from strongroom.services.macie2.session import JOB_KIND

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Row

    from strongroom.services.base.runtime import RequestContext

DEFINITION_MEMBERS = (
    "allowListIds",
    "customDataIdentifierIds",
    "description",
    "initialRun",
    "managedDataIdentifierIds",
    "managedDataIdentifierSelector",
    "s3JobDefinition",
    "samplingPercentage",
    "scheduleFrequency",
)
PAUSE_DAYS = 30
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def _bad_token() -> AwsError:
    return validation("The nextToken is invalid.")


def next_run(frequency: dict[str, Any], after: datetime) -> datetime:
    """The next 00:00 UTC strictly after ``after`` that ``frequency`` (JobScheduleFrequency) names."""
    day = after.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    weekly, monthly = frequency.get("weeklySchedule"), frequency.get("monthlySchedule")
    for _ in range(400):
        if weekly is not None:
            if _DAYS[day.weekday()] == weekly.get("dayOfWeek", "SUNDAY"):
                return day
        elif monthly is not None:
            wanted = min(int(monthly.get("dayOfMonth") or 1), calendar.monthrange(day.year, day.month)[1])
            if day.day == wanted:
                return day
        else:
            return day
        day += timedelta(days=1)
    return day


def job_arn(row: Row[Any]) -> str:
    return arn(row.region, row.account_id, "classification-job", row.job_id)


class JobOperations(MacieBase):
    def _job(self, ctx: RequestContext, job_id: str, conn: Connection | None = None) -> Row[Any]:
        return self.owned(ctx, jobs, "job_id", job_id, conn)

    def _check(self, ctx: RequestContext, conn: Connection, request: dict[str, Any]) -> None:
        kind = request["jobType"]
        if kind == "SCHEDULED" and not request.get("scheduleFrequency"):
            raise validation("A scheduleFrequency is required for a SCHEDULED job.")
        if kind == "ONE_TIME" and request.get("scheduleFrequency"):
            raise validation("A ONE_TIME job can't have a scheduleFrequency.")
        monthly = (request.get("scheduleFrequency") or {}).get("monthlySchedule")
        if monthly is not None and not 1 <= int(monthly.get("dayOfMonth") or 0) <= 31:
            raise validation("The dayOfMonth must be 1-31.")
        definition = request["s3JobDefinition"]
        if bool(definition.get("bucketDefinitions")) == bool(definition.get("bucketCriteria")):
            raise validation("Specify either bucketDefinitions or bucketCriteria for the job, not both.")
        allowed = {ctx.account_id, *self.member_accounts(ctx.account_id, ctx.region, conn)}
        for item in definition.get("bucketDefinitions") or []:
            if item["accountId"] not in allowed:
                raise validation(f"The account {item['accountId']} isn't associated with your Macie account.")
            if not item["buckets"]:
                raise validation("Specify at least one bucket for each account.")
        sampling = request.get("samplingPercentage")
        if sampling is not None and not 1 <= sampling <= 100:
            raise validation("The samplingPercentage must be 1-100.")
        selector = request.get("managedDataIdentifierSelector") or "RECOMMENDED"
        managed_ids = request.get("managedDataIdentifierIds") or []
        if selector in ("INCLUDE", "EXCLUDE"):
            if not managed_ids:
                raise validation(f"Specify managedDataIdentifierIds for the {selector} selector.")
            known = {m.id for m in managed_identifiers()}
            unknown = sorted(set(managed_ids) - known)
            if unknown:
                raise validation(f"The managed data identifiers {', '.join(unknown)} don't exist.")
        elif managed_ids:
            raise validation(f"managedDataIdentifierIds can't be specified with the {selector} selector.")
        custom = request.get("customDataIdentifierIds") or []
        if selector == "NONE" and not custom:
            raise validation("Specify customDataIdentifierIds when managedDataIdentifierSelector is NONE.")
        if len(custom) > 30:
            raise validation("A job can use as many as 30 custom data identifiers.")
        if custom:
            found = set(
                conn.execute(
                    select(custom_identifiers.c.identifier_id).where(
                        custom_identifiers.c.identifier_id.in_(custom),
                        custom_identifiers.c.account_id == ctx.account_id,
                        custom_identifiers.c.region == ctx.region,
                        custom_identifiers.c.deleted.is_(False),
                    )
                ).scalars()
            )
            if set(custom) - found:
                raise not_found(f"The custom data identifiers {', '.join(sorted(set(custom) - found))} don't exist.")
        lists = request.get("allowListIds") or []
        if len(lists) > 10:
            raise validation("A job can use as many as 10 allow lists.")
        if lists:
            found = set(
                conn.execute(
                    select(allow_lists.c.list_id).where(
                        allow_lists.c.list_id.in_(lists),
                        allow_lists.c.account_id == ctx.account_id,
                        allow_lists.c.region == ctx.region,
                    )
                ).scalars()
            )
            if set(lists) - found:
                raise not_found(f"The allow lists {', '.join(sorted(set(lists) - found))} don't exist.")

    def create_classification_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = clock.now()
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            same = conn.execute(
                select(jobs).where(
                    jobs.c.account_id == ctx.account_id,
                    jobs.c.region == ctx.region,
                    jobs.c.client_token == request["clientToken"],
                )
            ).first()
            if same is not None:
                return {"jobArn": job_arn(same), "jobId": same.job_id}
            self._check(ctx, conn, request)
            definition = {k: request[k] for k in DEFINITION_MEMBERS if request.get(k) is not None}
            definition.setdefault("managedDataIdentifierSelector", "RECOMMENDED")
            definition.setdefault("samplingPercentage", 100)
            scheduled = request["jobType"] == "SCHEDULED"
            initial = bool(request.get("initialRun", False)) if scheduled else True
            definition["initialRun"] = initial
            job_id = hex_id()
            conn.execute(
                jobs.insert().values(
                    job_id=job_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    job_type=request["jobType"],
                    status="RUNNING" if initial else "IDLE",
                    definition=json.dumps(definition),
                    client_token=request["clientToken"],
                    created_at=now,
                    last_run_error="NONE",
                    runs=0,
                    to_process=0,
                    scanned_until=None if initial else now.replace(microsecond=0),
                )
            )
            due = now if initial else next_run(definition["scheduleFrequency"], now)
            self.runtime.scheduler.schedule(JOB_KIND, job_id, due, conn=conn)
            resource = arn(ctx.region, ctx.account_id, "classification-job", job_id)
            self.write_tags(conn, resource, request.get("tags"))
        return {"jobArn": resource, "jobId": job_id}

    def describe_classification_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        row = self._job(ctx, request["jobId"])
        definition = json.loads(row.definition)
        out: dict[str, Any] = {
            **definition,
            "clientToken": row.client_token,
            "createdAt": row.created_at,
            "jobArn": job_arn(row),
            "jobId": row.job_id,
            "jobStatus": row.status,
            "jobType": row.job_type,
            "lastRunErrorStatus": {"code": row.last_run_error},
            "name": row.name,
            "statistics": {
                "approximateNumberOfObjectsToProcess": float(row.to_process),
                "numberOfRuns": float(row.runs),
            },
            "tags": self.tags_of(job_arn(row)),
        }
        if row.last_run_time is not None:
            out["lastRunTime"] = row.last_run_time
        if row.status == "USER_PAUSED" and row.paused_at is not None:
            out["userPausedDetails"] = self._paused(row)
        return out

    @staticmethod
    def _paused(row: Row[Any]) -> dict[str, Any]:
        return {"jobPausedAt": row.paused_at, "jobExpiresAt": row.paused_at + timedelta(days=PAUSE_DAYS)}

    def list_classification_jobs(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.session(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(jobs).where(jobs.c.account_id == ctx.account_id, jobs.c.region == ctx.region)
            ).all()
        criteria = request.get("filterCriteria") or {}
        rows = [
            r
            for r in rows
            if all(_job_term(r, t) for t in criteria.get("includes") or [])
            and not any(_job_term(r, t) for t in criteria.get("excludes") or [])
        ]
        sort = request.get("sortCriteria") or {}
        attribute = {"createdAt": "created_at", "jobStatus": "status", "name": "name", "jobType": "job_type"}[
            sort.get("attributeName") or "createdAt"
        ]
        rows.sort(key=lambda r: (getattr(r, attribute), r.job_id), reverse=(sort.get("orderBy") or "ASC") == "DESC")
        page, token = pages.offset_page(rows, request.get("nextToken"), request.get("maxResults") or 100, _bad_token)
        items = []
        for r in page:
            s3 = json.loads(r.definition).get("s3JobDefinition") or {}
            item: dict[str, Any] = {
                "createdAt": r.created_at,
                "jobId": r.job_id,
                "jobStatus": r.status,
                "jobType": r.job_type,
                "lastRunErrorStatus": {"code": r.last_run_error},
                "name": r.name,
            }
            if s3.get("bucketDefinitions"):
                item["bucketDefinitions"] = s3["bucketDefinitions"]
            if s3.get("bucketCriteria"):
                item["bucketCriteria"] = s3["bucketCriteria"]
            if r.status == "USER_PAUSED" and r.paused_at is not None:
                item["userPausedDetails"] = self._paused(r)
            items.append(item)
        return {"items": items, **({"nextToken": token} if token else {})}

    def update_classification_job(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        wanted = request["jobStatus"]
        now = clock.now()
        with self.runtime.store.write() as conn:
            self.session(ctx, conn)
            row = self._job(ctx, request["jobId"], conn)
            current = row.status
            values: dict[str, Any] = {"status": wanted}
            if current in ("COMPLETE", "CANCELLED"):
                raise validation(f"The job's status is {current}: it can't be changed.")
            if wanted == "CANCELLED":
                self.runtime.scheduler.cancel(JOB_KIND, row.job_id, conn=conn)
                values["cursor"] = None
            elif wanted == "USER_PAUSED":
                if current not in ("RUNNING", "IDLE"):
                    raise validation(f"A job can be paused only when it's RUNNING or IDLE, not {current}.")
                values["paused_at"] = now
            elif wanted == "RUNNING":
                if current != "USER_PAUSED":
                    raise validation(f"Only a USER_PAUSED job can be resumed, not a {current} one.")
                if row.paused_at is not None and now > row.paused_at + timedelta(days=PAUSE_DAYS):
                    raise validation("The job was paused for more than 30 days: it's cancelled.")
                values["paused_at"] = None
                if row.cursor is None and row.job_type == "SCHEDULED":
                    # Paused between runs: it waits for its next scheduled run, IDLE.
                    values["status"] = "IDLE"
                    frequency = json.loads(row.definition)["scheduleFrequency"]
                    self.runtime.scheduler.schedule(JOB_KIND, row.job_id, next_run(frequency, now), conn=conn)
                else:
                    self.runtime.scheduler.schedule(JOB_KIND, row.job_id, now, conn=conn)
            else:
                raise validation(f"The jobStatus {wanted} can't be set; specify CANCELLED, RUNNING or USER_PAUSED.")
            conn.execute(jobs.update().where(jobs.c.job_id == row.job_id).values(**values))
        return {}


def _job_term(row: Row[Any], term: dict[str, Any]) -> bool:
    key, comparator, values = term.get("key"), term.get("comparator") or "EQ", term.get("values") or []
    if key == "createdAt":
        stamp = row.created_at.timestamp() * 1000
        numbers = [
            float(v)
            if str(v).replace(".", "", 1).isdigit()
            else datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp() * 1000
            for v in values
        ]
        tests = {
            "GT": stamp > min(numbers, default=0),
            "GTE": stamp >= min(numbers, default=0),
            "LT": stamp < max(numbers, default=0),
            "LTE": stamp <= max(numbers, default=0),
            "EQ": stamp in numbers,
            "NE": stamp not in numbers,
        }
        return tests.get(comparator, False)
    value = {"jobType": row.job_type, "jobStatus": row.status, "name": row.name}.get(str(key), "")
    if comparator == "EQ":
        return value in values
    if comparator == "NE":
        return value not in values
    if comparator == "CONTAINS":
        return any(v in value for v in values)
    if comparator == "STARTS_WITH":
        return any(value.startswith(v) for v in values)
    return False
