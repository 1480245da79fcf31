"""Trails: create/describe/update/delete, logging, event and insight selectors, tags. See docs/audit.md."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, func, select, update

from strongroom.audit import model, selectors
from strongroom.audit.trails import DEFAULT_SELECTORS
from strongroom.core.clock import clock
from strongroom.core.s3names import bucket_name_error
from strongroom.scheduler.jobs import cancel_job, schedule_job
from strongroom.services.base.family import ServiceBase
from strongroom.services.cloudtrail.delivery import check_destination
from strongroom.services.cloudtrail.errors import (
    CloudTrailARNInvalidException,
    InsightNotEnabledException,
    InvalidEventSelectorsException,
    InvalidHomeRegionException,
    InvalidInsightSelectorsException,
    InvalidParameterCombinationException,
    InvalidS3BucketNameException,
    InvalidS3PrefixException,
    InvalidTagParameterException,
    InvalidTrailNameException,
    MaximumNumberOfTrailsExceededException,
    ResourceNotFoundException,
    TagsLimitExceededException,
    TrailAlreadyExistsException,
    TrailNotFoundException,
)
from strongroom.services.cloudtrail.insights import EVERY, INSIGHTS_JOB

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_TRAILS_PER_REGION = 5
MAX_TAGS = 50
MAX_EVENT_SELECTORS = 5
MAX_PREFIX_LENGTH = 200  # CreateTrail/UpdateTrail: "The maximum length is 200 characters."
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{1,126})[A-Za-z0-9]$")
_ADJACENT = re.compile(r"[._-]{2}")
_IP = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TRAIL_ARN = re.compile(r"^arn:aws[a-z-]*:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$")
_READ_WRITE = ("ReadOnly", "WriteOnly", "All")
MAX_DATA_RESOURCES = 250  # "You can specify up to 250 data resources for a trail" (basic selectors)
MAX_ADVANCED_VALUES = 500  # "up to 500 values for all conditions and selectors on a trail"
# Resource types basic selectors accept (DataResource.Type); only S3 objects are recorded by this server.
_DATA_RESOURCE_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table")
# Fields of advanced field selectors (AdvancedFieldSelector.Field); those selectors.py does not evaluate narrow
# nothing here (no event carries them).
_ADVANCED_FIELDS = (
    *selectors.SCALAR_FIELDS,
    *selectors.RESOURCE_FIELDS,
    "sessionCredentialFromConsole",
    "vpcEndpointId",
    "eventTypeVersion",
)
_INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")


def _check_name(name: str) -> None:
    if not name:
        raise InvalidTrailNameException("Trail name cannot be blank!")
    if not (3 <= len(name) <= 128):
        raise InvalidTrailNameException(
            "Trail name too short. Minimum allowed length: 3 characters. Specified name length: "
            + str(len(name))
            + " characters."
            if len(name) < 3
            else "Trail name too long. Maximum allowed length: 128 characters."
        )
    if not name[0].isalnum() or not name[0].isascii():
        raise InvalidTrailNameException("Trail name must starts with a letter or number.")
    if not name[-1].isalnum() or not name[-1].isascii():
        raise InvalidTrailNameException("Trail name must ends with a letter or number.")
    if not _TRAIL_NAME.match(name):
        raise InvalidTrailNameException(
            "Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
            "periods (.), hyphens (-), and underscores (_)."
        )
    if _ADJACENT.search(name):
        raise InvalidTrailNameException("Trail name cannot have adjacent periods (.), hyphens (-), or underscores (_).")
    if _IP.match(name):
        raise InvalidTrailNameException("Trail name cannot be formatted as an IP address.")


def _check_bucket(bucket: str) -> None:
    # CloudTrail's naming page adds the label rule (no dash next to a period) to S3's general purpose rules.
    if bucket_name_error(bucket, dns_labels=True) is not None:
        raise InvalidS3BucketNameException(f"Bucket name is not valid: {bucket}")


def _check_prefix(prefix: str) -> None:
    """Only the documented length: any string is an S3 key, so ``..`` or a leading ``/`` are accepted as on AWS
    (trails.py maps such keys to paths inside the bucket's directory)."""
    if len(prefix) > MAX_PREFIX_LENGTH:
        raise InvalidS3PrefixException(
            f"S3 key prefix too long. Maximum allowed length: {MAX_PREFIX_LENGTH} characters. "
            f"Specified prefix length: {len(prefix)} characters."
        )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class TrailOperations(ServiceBase):
    """The trail operations; the audit layer (``audit/trails.py``) delivers what the trails select."""

    def reset(self) -> None:
        """Test-mode reset wiped the tables: the scheduler jobs and the signing key are gone too."""
        self.runtime.audit.trails.keys.forget()
        self.runtime.audit.trails.register()
        self.runtime.audit.data_events.invalidate()

    def _changed(self) -> None:
        """A trail's logging, selectors or regions changed: this node's data-event filter reloads at once (other
        nodes within a second, ``audit/data_events.py``)."""
        self.runtime.audit.data_events.invalidate()

    def _destination(self, ctx: RequestContext, arn: str, values: dict[str, Any]) -> str | None:
        """Check that CloudTrail may deliver into the trail's bucket when it is an S3 bucket of this server
        (``delivery.check_destination``); returns the KmsKeyId to store."""
        return check_destination(
            self.runtime,
            trail_arn=arn,
            account=ctx.account_id,
            region=ctx.region,
            bucket=values["s3_bucket_name"],
            prefix=values.get("s3_key_prefix"),
            kms_key_id=values.get("kms_key_id"),
            validation=bool(values.get("log_file_validation_enabled")),
        )

    # -- helpers -------------------------------------------------------------------------------------------

    def _arn(self, ctx: RequestContext, name: str) -> str:
        return f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{name}"

    def _find(self, ctx: RequestContext, name_or_arn: str, *, home_only: bool = False) -> Row[Any]:
        t = model.trails
        match = _TRAIL_ARN.match(name_or_arn)
        if match:
            query = select(t).where(t.c.arn == name_or_arn, t.c.account_id == ctx.account_id)
        else:
            if name_or_arn.startswith("arn:"):
                raise CloudTrailARNInvalidException(
                    f"ARN {name_or_arn} is invalid. An ARN should start with: arn:aws:cloudtrail:"
                )
            _check_name(name_or_arn)
            query = select(t).where(t.c.account_id == ctx.account_id, t.c.name == name_or_arn)
        with self.runtime.store.read() as conn:
            rows = conn.execute(query).all()
        visible = [r for r in rows if r.region == ctx.region or r.is_multi_region_trail]
        if not visible:
            arn = name_or_arn if match else self._arn(ctx, name_or_arn)
            raise TrailNotFoundException(f"Unknown trail: {arn} for the user: {ctx.account_id}")
        trail = visible[0]
        if home_only and trail.region != ctx.region:
            raise InvalidHomeRegionException(
                "This operation must be called from the trail's home region, " + trail.region + "."
            )
        return trail

    def _trail_out(self, trail: Row[Any], *, describe: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Name": trail.name,
            "S3BucketName": trail.s3_bucket_name,
            "S3KeyPrefix": trail.s3_key_prefix,
            "SnsTopicName": trail.sns_topic_name,
            "SnsTopicARN": f"arn:aws:sns:{trail.region}:{trail.account_id}:{trail.sns_topic_name}"
            if trail.sns_topic_name
            else None,
            "IncludeGlobalServiceEvents": trail.include_global_service_events,
            "IsMultiRegionTrail": trail.is_multi_region_trail,
            "TrailARN": trail.arn,
            "LogFileValidationEnabled": trail.log_file_validation_enabled,
            "CloudWatchLogsLogGroupArn": trail.cloud_watch_logs_log_group_arn,
            "CloudWatchLogsRoleArn": trail.cloud_watch_logs_role_arn,
            "KmsKeyId": trail.kms_key_id,
            "IsOrganizationTrail": False,
        }
        if describe:
            out["HomeRegion"] = trail.region
            out["HasCustomEventSelectors"] = bool(trail.event_selectors or trail.advanced_event_selectors)
            out["HasInsightSelectors"] = bool(trail.insight_selectors)
        return {k: v for k, v in out.items() if v is not None}

    def _options(self, request: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if "S3BucketName" in request:
            _check_bucket(request["S3BucketName"])
            values["s3_bucket_name"] = request["S3BucketName"]
        if request.get("S3KeyPrefix"):
            _check_prefix(request["S3KeyPrefix"])
        simple = {
            "S3KeyPrefix": "s3_key_prefix",
            "SnsTopicName": "sns_topic_name",
            "IncludeGlobalServiceEvents": "include_global_service_events",
            "IsMultiRegionTrail": "is_multi_region_trail",
            "EnableLogFileValidation": "log_file_validation_enabled",
            "CloudWatchLogsLogGroupArn": "cloud_watch_logs_log_group_arn",
            "CloudWatchLogsRoleArn": "cloud_watch_logs_role_arn",
            "KmsKeyId": "kms_key_id",
        }
        for member, column in simple.items():
            if member in request:
                values[column] = request[member] if request[member] != "" else None
        if request.get("IsOrganizationTrail"):
            raise InvalidParameterCombinationException("Organization trails are not supported by this server.")
        return values

    # -- trails -------------------------------------------------------------------------------------------------

    def create_trail(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        _check_name(name)
        values = self._options(request)
        if values.get("is_multi_region_trail") and values.get("include_global_service_events") is False:
            raise InvalidParameterCombinationException("Multi-Region trail must include global service events.")
        tags = request.get("TagsList") or []
        _check_tags(tags)
        arn = self._arn(ctx, name)
        values["kms_key_id"] = self._destination(ctx, arn, values)
        now = clock.now()
        t = model.trails
        with self.runtime.store.write() as conn:
            if conn.execute(select(t.c.arn).where(t.c.account_id == ctx.account_id, t.c.name == name)).first():
                raise TrailAlreadyExistsException(f"Trail {name} already exists for customer: {ctx.account_id}")
            count = conn.execute(
                select(func.count()).select_from(t).where(t.c.account_id == ctx.account_id, t.c.region == ctx.region)
            ).scalar_one()
            if count >= MAX_TRAILS_PER_REGION:
                raise MaximumNumberOfTrailsExceededException(
                    f"User: {ctx.account_id} already has {MAX_TRAILS_PER_REGION} trails in {ctx.region}."
                )
            conn.execute(
                t.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    s3_bucket_name=values["s3_bucket_name"],
                    s3_key_prefix=values.get("s3_key_prefix"),
                    sns_topic_name=values.get("sns_topic_name"),
                    include_global_service_events=values.get("include_global_service_events", True),
                    is_multi_region_trail=values.get("is_multi_region_trail", False),
                    log_file_validation_enabled=values.get("log_file_validation_enabled", False),
                    cloud_watch_logs_log_group_arn=values.get("cloud_watch_logs_log_group_arn"),
                    cloud_watch_logs_role_arn=values.get("cloud_watch_logs_role_arn"),
                    kms_key_id=values.get("kms_key_id"),
                    is_logging=False,
                    tags=json.dumps(_merge_tags([], tags)),
                    cursor_seq=_max_seq(conn),
                    created_at=now,
                )
            )
            trail = conn.execute(select(t).where(t.c.arn == arn)).one()
        return self._trail_out(trail)

    def get_trail(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"Trail": self._trail_out(self._find(ctx, request["Name"]), describe=True)}

    def describe_trails(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        t = model.trails
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(t).where(t.c.account_id == ctx.account_id).order_by(t.c.name)).all()
        shadows = request.get("includeShadowTrails", True)
        rows = [r for r in rows if r.region == ctx.region or (shadows and r.is_multi_region_trail)]
        names = request.get("trailNameList")
        if names:
            rows = [r for r in rows if r.name in names or r.arn in names]
        return {"trailList": [self._trail_out(r, describe=True) for r in rows]}

    def list_trails(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        t = model.trails
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(t).where(t.c.account_id == ctx.account_id).order_by(t.c.name)).all()
        return {"Trails": [{"TrailARN": r.arn, "Name": r.name, "HomeRegion": r.region} for r in rows]}

    def update_trail(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["Name"], home_only=True)
        values = self._options(request)
        multi = values.get("is_multi_region_trail", trail.is_multi_region_trail)
        global_events = values.get("include_global_service_events", trail.include_global_service_events)
        if multi and not global_events:
            raise InvalidParameterCombinationException("Multi-Region trail must include global service events.")
        destination = ("s3_bucket_name", "s3_key_prefix", "kms_key_id", "log_file_validation_enabled")
        if any(column in values for column in destination):
            current = {column: getattr(trail, column) for column in destination}
            resolved = self._destination(ctx, trail.arn, {**current, **values})
            if "kms_key_id" in values:
                values["kms_key_id"] = resolved
        if values:
            with self.runtime.store.write() as conn:
                conn.execute(update(model.trails).where(model.trails.c.arn == trail.arn).values(**values))
            self._changed()
        return self._trail_out(self._find(ctx, trail.arn))

    def delete_trail(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["Name"], home_only=True)
        with self.runtime.store.write() as conn:
            conn.execute(delete(model.trail_files).where(model.trail_files.c.trail_arn == trail.arn))
            conn.execute(delete(model.trails).where(model.trails.c.arn == trail.arn))
        self._changed()
        return {}

    # -- logging ------------------------------------------------------------------------------------------------

    def start_logging(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["Name"], home_only=True)
        if trail.is_logging:
            return {}
        if trail.stop_logging_time is not None:
            self.runtime.audit.trails.deliver(grace_seconds=0.0)  # what was recorded before the stop goes first
        with self.runtime.store.write() as conn:
            conn.execute(
                update(model.trails)
                .where(model.trails.c.arn == trail.arn)
                .values(is_logging=True, start_logging_time=clock.now(), cursor_seq=_max_seq(conn))
            )
        self._changed()
        return {}

    def stop_logging(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["Name"], home_only=True)
        if trail.is_logging:
            # The StopLogging record itself is dated before this moment, so the trail still delivers it.
            with self.runtime.store.write() as conn:
                conn.execute(
                    update(model.trails)
                    .where(model.trails.c.arn == trail.arn)
                    .values(is_logging=False, stop_logging_time=clock.now())
                )
            self._changed()
        return {}

    def get_trail_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["Name"])
        out: dict[str, Any] = {
            "IsLogging": trail.is_logging,
            "LatestDeliveryTime": trail.latest_delivery_time,
            "LatestDeliveryError": trail.latest_delivery_error,
            "StartLoggingTime": trail.start_logging_time,
            "StopLoggingTime": trail.stop_logging_time,
            "LatestDigestDeliveryTime": trail.latest_digest_delivery_time,
            "TimeLoggingStarted": _iso(trail.start_logging_time),
            "TimeLoggingStopped": _iso(trail.stop_logging_time),
            "LatestDeliveryAttemptTime": _iso(trail.latest_delivery_time),
            "LatestDeliveryAttemptSucceeded": _iso(trail.latest_delivery_time)
            if not trail.latest_delivery_error
            else "",
            "LatestNotificationAttemptTime": "",
            "LatestNotificationAttemptSucceeded": "",
        }
        return {k: v for k, v in out.items() if v is not None}

    # -- selectors ----------------------------------------------------------------------------------------------

    def put_event_selectors(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["TrailName"], home_only=True)
        basic = request.get("EventSelectors")
        advanced = request.get("AdvancedEventSelectors")
        if (basic is None) == (advanced is None):
            raise InvalidParameterCombinationException(
                "You must specify either EventSelectors or AdvancedEventSelectors, but not both."
            )
        values: dict[str, Any] = {"event_selectors": None, "advanced_event_selectors": None}
        if basic is not None:
            if not 1 <= len(basic) <= MAX_EVENT_SELECTORS:
                raise InvalidEventSelectorsException("Event selectors must contain between 1 and 5 selectors.")
            if sum(_check_basic_selector(sel) for sel in basic) > MAX_DATA_RESOURCES:
                raise InvalidEventSelectorsException(
                    f"A trail can have at most {MAX_DATA_RESOURCES} data resources in its event selectors."
                )
            normal = [
                {
                    "ReadWriteType": sel.get("ReadWriteType", "All"),
                    "IncludeManagementEvents": sel.get("IncludeManagementEvents", True),
                    "DataResources": sel.get("DataResources", []),
                    "ExcludeManagementEventSources": sel.get("ExcludeManagementEventSources", []),
                }
                for sel in basic
            ]
            values["event_selectors"] = json.dumps(normal)
        else:
            _check_advanced(list(advanced or []))
            values["advanced_event_selectors"] = json.dumps(advanced)
        with self.runtime.store.write() as conn:
            conn.execute(update(model.trails).where(model.trails.c.arn == trail.arn).values(**values))
        self._changed()
        return self.get_event_selectors(ctx, {"TrailName": trail.arn})

    def get_event_selectors(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._find(ctx, request["TrailName"])
        out: dict[str, Any] = {"TrailARN": trail.arn}
        if trail.advanced_event_selectors:
            out["AdvancedEventSelectors"] = json.loads(trail.advanced_event_selectors)
        else:
            out["EventSelectors"] = json.loads(trail.event_selectors) if trail.event_selectors else DEFAULT_SELECTORS
        return out

    def put_insight_selectors(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("TrailName")
        if not name:
            raise InvalidParameterCombinationException("TrailName is required.")
        trail = self._find(ctx, name, home_only=True)
        selectors = request.get("InsightSelectors") or []
        for sel in selectors:
            if sel.get("InsightType") not in _INSIGHT_TYPES:
                raise InvalidInsightSelectorsException("InsightType must be ApiCallRateInsight or ApiErrorRateInsight.")
        with self.runtime.store.write() as conn:
            conn.execute(
                update(model.trails)
                .where(model.trails.c.arn == trail.arn)
                .values(insight_selectors=json.dumps(selectors) if selectors else None)
            )
            # Insights learn from the moment they are enabled (insights.py); turning them off ends the job.
            if selectors and not trail.insight_selectors:
                now = clock.now()
                schedule_job(conn, INSIGHTS_JOB, trail.arn, now + EVERY, {"since": _iso(now), "open": {}})
            elif not selectors:
                cancel_job(conn, INSIGHTS_JOB, trail.arn)
        return {"TrailARN": trail.arn, "InsightSelectors": selectors}

    def get_insight_selectors(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("TrailName")
        if not name:
            raise InvalidParameterCombinationException("TrailName is required.")
        trail = self._find(ctx, name)
        if not trail.insight_selectors:
            raise InsightNotEnabledException(f"Trail {trail.arn} does not have Insights enabled.")
        return {"TrailARN": trail.arn, "InsightSelectors": json.loads(trail.insight_selectors)}

    # -- tags -----------------------------------------------------------------------------------------------------

    def _tag_target(self, ctx: RequestContext, resource_id: str) -> Row[Any]:
        if not _TRAIL_ARN.match(resource_id):
            raise CloudTrailARNInvalidException(
                f"ARN {resource_id} is invalid. An ARN should start with: arn:aws:cloudtrail:"
            )
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(model.trails).where(
                    model.trails.c.arn == resource_id, model.trails.c.account_id == ctx.account_id
                )
            ).first()
        if row is None:
            raise ResourceNotFoundException(f"Resource not found: {resource_id}")
        return row

    def add_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._tag_target(ctx, request["ResourceId"])
        tags = request.get("TagsList") or []
        _check_tags(tags)
        merged = _merge_tags(json.loads(trail.tags), tags)
        if len(merged) > MAX_TAGS:
            raise TagsLimitExceededException(f"The number of tags on the resource is over the limit of {MAX_TAGS}.")
        with self.runtime.store.write() as conn:
            conn.execute(update(model.trails).where(model.trails.c.arn == trail.arn).values(tags=json.dumps(merged)))
        return {}

    def remove_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        trail = self._tag_target(ctx, request["ResourceId"])
        gone = {t.get("Key") for t in request.get("TagsList") or []}
        kept = [t for t in json.loads(trail.tags) if t["Key"] not in gone]
        with self.runtime.store.write() as conn:
            conn.execute(update(model.trails).where(model.trails.c.arn == trail.arn).values(tags=json.dumps(kept)))
        return {}

    def list_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = []
        for resource_id in request["ResourceIdList"]:
            trail = self._tag_target(ctx, resource_id)
            found.append({"ResourceId": trail.arn, "TagsList": json.loads(trail.tags)})
        return {"ResourceTagList": found}


def _check_tags(tags: list[dict[str, Any]]) -> None:
    if len(tags) > MAX_TAGS:
        raise TagsLimitExceededException(f"The number of tags on the resource is over the limit of {MAX_TAGS}.")
    for tag in tags:
        key = tag.get("Key", "")
        if not key or len(key) > 128 or key.startswith("aws:") or len(tag.get("Value", "") or "") > 256:
            raise InvalidTagParameterException("Tag key or value is invalid.")


def _merge_tags(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged = {t["Key"]: t.get("Value", "") for t in current}
    for tag in new:
        merged[tag["Key"]] = tag.get("Value", "")
    return [{"Key": k, "Value": v} for k, v in merged.items()]


def _max_seq(conn: Any) -> int:
    return int(conn.execute(select(func.coalesce(func.max(model.events.c.seq), 0))).scalar_one())


def _check_basic_selector(selector: dict[str, Any]) -> int:
    """A basic event selector's ReadWriteType and DataResources; returns how many data resource values it has."""
    if selector.get("ReadWriteType", "All") not in _READ_WRITE:
        raise InvalidEventSelectorsException("ReadWriteType must be ReadOnly, WriteOnly or All.")
    count = 0
    for resource in selector.get("DataResources") or []:
        kind = resource.get("Type")
        if kind not in _DATA_RESOURCE_TYPES:
            raise InvalidEventSelectorsException(f"Value {kind} for DataResources.Type is invalid.")
        for value in resource.get("Values") or []:
            count += 1
            if kind == selectors.S3_OBJECT and not _s3_value_ok(str(value)):
                raise InvalidEventSelectorsException(f"Value {value} for DataResources.Values is invalid.")
    return count


def _s3_value_ok(value: str) -> bool:
    """``arn:aws:s3`` / ``arn:aws:s3:::`` (every bucket) or ``arn:aws:s3:::bucket[/prefix]`` with a valid name."""
    if value in selectors.ALL_S3_OBJECTS:
        return True
    if not value.startswith("arn:aws:s3:::"):
        return False
    bucket = value[len("arn:aws:s3:::") :].split("/", 1)[0]
    return bucket_name_error(bucket) is None


def _check_advanced(advanced: list[dict[str, Any]]) -> None:
    """Every advanced selector names its eventCategory; a Data selector names its resources.type."""
    if not advanced:
        raise InvalidEventSelectorsException("AdvancedEventSelectors must contain at least one selector.")
    values = 0
    for selector in advanced:
        fields = selector.get("FieldSelectors") or []
        names = [f.get("Field") for f in fields]
        for field in fields:
            name = field.get("Field")
            if name not in _ADVANCED_FIELDS:
                raise InvalidEventSelectorsException(f"Field {name} is not a valid advanced event selector field.")
            operators = [op for op in selectors.OPERATORS if field.get(op) is not None]
            if not operators or any(not field.get(op) for op in operators):
                raise InvalidEventSelectorsException(f"Field {name} must have at least one operator with a value.")
            values += sum(len(field[op]) for op in operators)
        if names.count("eventCategory") != 1:
            raise InvalidEventSelectorsException("Each advanced event selector must specify one eventCategory field.")
        category = next(f for f in fields if f.get("Field") == "eventCategory")
        equals = category.get("Equals") or []
        if "Data" in equals:
            types = [f for f in fields if f.get("Field") == "resources.type"]
            if len(types) != 1 or len(types[0].get("Equals") or []) != 1:
                raise InvalidEventSelectorsException(
                    "A data event selector must specify exactly one resources.type with the Equals operator."
                )
    if values > MAX_ADVANCED_VALUES:
        raise InvalidEventSelectorsException(
            f"Advanced event selectors can have at most {MAX_ADVANCED_VALUES} values in all."
        )
