"""CloudTrail Lake: event data stores (Create/Get/Update/Delete/Restore/List, start/stop ingestion) and queries
(StartQuery, DescribeQuery, GetQueryResults, ListQueries, CancelQuery). See docs/cloudtrail.md.

An event data store is a view over the audit trail: the records of its account (its Region, or every Region when
multi-Region) put while it was ingesting, within its retention, that its advanced event selectors take. A query
runs when it is started (``lakesql.run``) and its result is stored with the query; DescribeQuery then answers
FINISHED (or FAILED with the engine's message), so CancelQuery meets a query that is no longer running.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import Row, select, update

from strongroom.audit import selectors
from strongroom.audit.lake import records as audit_records
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.cloudtrail import lakesql, model
from strongroom.services.cloudtrail.errors import (
    EventDataStoreAlreadyExistsException,
    EventDataStoreARNInvalidException,
    EventDataStoreNotFoundException,
    EventDataStoreTerminationProtectedException,
    InactiveEventDataStoreException,
    InactiveQueryException,
    InvalidEventDataStoreStatusException,
    InvalidMaxResultsException,
    InvalidNextTokenException,
    InvalidParameterException,
    InvalidQueryStatementException,
    KmsKeyNotFoundException,
    QueryIdNotFoundException,
)
from strongroom.services.cloudtrail.trails import _check_advanced

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_RETENTION = 2557  # days (seven years), CloudTrail Lake's default
PENDING_DELETION_DAYS = 7
DEFAULT_SELECTORS = [
    {"Name": "Default management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
]
MAX_RESULTS_PER_PAGE = 1000


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _store_out(row: Row[Any], *, full: bool = True) -> dict[str, Any]:
    spec = json.loads(row.spec)
    out: dict[str, Any] = {
        "EventDataStoreArn": row.arn,
        "Name": row.name,
        "Status": row.status,
        "AdvancedEventSelectors": spec["AdvancedEventSelectors"],
        "MultiRegionEnabled": spec["MultiRegionEnabled"],
        "OrganizationEnabled": spec["OrganizationEnabled"],
        "RetentionPeriod": spec["RetentionPeriod"],
        "TerminationProtectionEnabled": spec["TerminationProtectionEnabled"],
        "CreatedTimestamp": row.created_at,
        "UpdatedTimestamp": row.updated_at,
    }
    if full:
        out["BillingMode"] = spec["BillingMode"]
        out["FederationStatus"] = spec.get("FederationStatus", "DISABLED")
        if spec.get("FederationRoleArn"):
            out["FederationRoleArn"] = spec["FederationRoleArn"]
        if spec.get("KmsKeyId"):
            out["KmsKeyId"] = spec["KmsKeyId"]
    return out


class LakeOperations(ServiceBase):
    # -- event data stores ---------------------------------------------------------------------------------

    def store_row(self, ctx: RequestContext, ref: str, conn: Any = None) -> Row[Any]:
        """The event data store named by ARN or id, of this account and Region."""
        if ref.startswith("arn:"):
            parts = ref.split(":", 5)
            if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("eventdatastore/"):
                raise EventDataStoreARNInvalidException(f"The specified event data store ARN is not valid: {ref}")
            store_id = parts[5][len("eventdatastore/") :]
        else:
            store_id = ref
        arn = f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:eventdatastore/{store_id}"
        query = select(model.event_data_stores).where(model.event_data_stores.c.arn == arn)
        if conn is not None:
            row = conn.execute(query).one_or_none()
        else:
            with self.runtime.store.read() as c:
                row = c.execute(query).one_or_none()
        if row is None:
            raise EventDataStoreNotFoundException(f"The specified event data store {ref} was not found.")
        return row

    def _kms_key(self, ctx: RequestContext, key: str | None) -> str | None:
        if not key:
            return None
        try:
            meta = ctx.call("kms", "DescribeKey", {"KeyId": key}, via="cloudtrail")["KeyMetadata"]
        except AwsError:
            raise KmsKeyNotFoundException(f"The KMS key {key} was not found or is not accessible.") from None
        return str(meta["Arn"])

    def _spec(self, ctx: RequestContext, request: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
        spec = dict(base)
        if request.get("AdvancedEventSelectors") is not None:
            _check_advanced(request["AdvancedEventSelectors"])
            spec["AdvancedEventSelectors"] = request["AdvancedEventSelectors"]
        for member in ("MultiRegionEnabled", "OrganizationEnabled", "TerminationProtectionEnabled", "BillingMode"):
            if request.get(member) is not None:
                spec[member] = request[member]
        if request.get("RetentionPeriod") is not None:
            retention = request["RetentionPeriod"]
            limit = 2557 if spec["BillingMode"] == "FIXED_RETENTION_PRICING" else 3653
            if not 7 <= retention <= limit:
                raise InvalidParameterException(f"RetentionPeriod must be between 7 and {limit} days.")
            spec["RetentionPeriod"] = retention
        if request.get("KmsKeyId"):
            spec["KmsKeyId"] = self._kms_key(ctx, request["KmsKeyId"])
        if spec.get("OrganizationEnabled"):
            raise InvalidParameterException("Organization event data stores need AWS Organizations trusted access.")
        return spec

    def create_event_data_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        base = {
            "AdvancedEventSelectors": DEFAULT_SELECTORS,
            "MultiRegionEnabled": True,
            "OrganizationEnabled": False,
            "RetentionPeriod": DEFAULT_RETENTION,
            "TerminationProtectionEnabled": True,
            "BillingMode": "EXTENDABLE_RETENTION_PRICING",
            "TagsList": request.get("TagsList") or [],
        }
        spec = self._spec(ctx, request, base)
        store_id = str(uuid.uuid4())
        arn = f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:eventdatastore/{store_id}"
        now = clock.now()
        ingest = request.get("StartIngestion", True) is not False
        windows = [[_iso(now), None]] if ingest else []
        with self.runtime.store.write() as conn:
            taken = conn.execute(
                select(model.event_data_stores.c.arn).where(
                    model.event_data_stores.c.account_id == ctx.account_id,
                    model.event_data_stores.c.region == ctx.region,
                    model.event_data_stores.c.name == name,
                )
            ).first()
            if taken is not None:
                raise EventDataStoreAlreadyExistsException(f"An event data store named {name} already exists.")
            conn.execute(
                model.event_data_stores.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    store_id=store_id,
                    name=name,
                    status="ENABLED" if ingest else "STOPPED_INGESTION",
                    spec=json.dumps(spec),
                    windows=json.dumps(windows),
                    created_at=now,
                    updated_at=now,
                )
            )
            row = self.store_row(ctx, arn, conn)
        out = _store_out(row)
        out.pop("FederationStatus")
        out["TagsList"] = spec["TagsList"]
        return out

    def get_event_data_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return _store_out(self.store_row(ctx, request["EventDataStore"]))

    def list_event_data_stores(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.event_data_stores)
                .where(
                    model.event_data_stores.c.account_id == ctx.account_id,
                    model.event_data_stores.c.region == ctx.region,
                )
                .order_by(model.event_data_stores.c.arn)
            ).all()
        chunk, token = self._page(rows, request, lambda r: r.arn)
        out: dict[str, Any] = {"EventDataStores": [_store_out(r, full=False) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    @staticmethod
    def _page(items: Sequence[Any], request: dict[str, Any], key: Any) -> tuple[list[Any], str | None]:
        limit = request.get("MaxResults") or MAX_RESULTS_PER_PAGE
        if limit < 1:
            raise InvalidMaxResultsException("MaxResults must be at least 1.")
        return pages.after_page(
            items, request.get("NextToken") or None, limit, key, lambda: InvalidNextTokenException("Invalid token.")
        )

    def update_event_data_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.store_row(ctx, request["EventDataStore"], conn)
            if row.status == "PENDING_DELETION":
                raise InactiveEventDataStoreException(f"Event data store {row.arn} is pending deletion.")
            spec = self._spec(ctx, request, json.loads(row.spec))
            values: dict[str, Any] = {"spec": json.dumps(spec), "updated_at": clock.now()}
            if request.get("Name"):
                values["name"] = request["Name"]
            conn.execute(
                update(model.event_data_stores).where(model.event_data_stores.c.arn == row.arn).values(**values)
            )
            row = self.store_row(ctx, row.arn, conn)
        return _store_out(row)

    def delete_event_data_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.store_row(ctx, request["EventDataStore"], conn)
            if json.loads(row.spec)["TerminationProtectionEnabled"]:
                raise EventDataStoreTerminationProtectedException(
                    "Event data store cannot be deleted because termination protection is enabled."
                )
            if row.status == "PENDING_DELETION":
                raise InactiveEventDataStoreException(f"Event data store {row.arn} is already pending deletion.")
            conn.execute(
                update(model.event_data_stores)
                .where(model.event_data_stores.c.arn == row.arn)
                .values(status="PENDING_DELETION", updated_at=clock.now(), windows=_closed(row.windows))
            )
        return {}

    def restore_event_data_store(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.store_row(ctx, request["EventDataStore"], conn)
            if row.status != "PENDING_DELETION":
                raise InvalidEventDataStoreStatusException("Only an event data store pending deletion can be restored.")
            if clock.now() - row.updated_at > timedelta(days=PENDING_DELETION_DAYS):
                raise EventDataStoreNotFoundException(f"The specified event data store {row.arn} was not found.")
            conn.execute(
                update(model.event_data_stores)
                .where(model.event_data_stores.c.arn == row.arn)
                .values(status="STOPPED_INGESTION", updated_at=clock.now())
            )
            row = self.store_row(ctx, row.arn, conn)
        return _store_out(row, full=False) | {"BillingMode": json.loads(row.spec)["BillingMode"]}

    def _ingestion(self, ctx: RequestContext, request: dict[str, Any], start: bool) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.store_row(ctx, request["EventDataStore"], conn)
            wanted = "STOPPED_INGESTION" if start else "ENABLED"
            if row.status != wanted:
                raise InvalidEventDataStoreStatusException(
                    f"Event data store status must be {wanted} to {'start' if start else 'stop'} ingestion."
                )
            windows = json.loads(row.windows)
            if start:
                windows.append([_iso(clock.now()), None])
            conn.execute(
                update(model.event_data_stores)
                .where(model.event_data_stores.c.arn == row.arn)
                .values(
                    status="ENABLED" if start else "STOPPED_INGESTION",
                    windows=json.dumps(windows) if start else _closed(row.windows),
                    updated_at=clock.now(),
                )
            )
        return {}

    def start_event_data_store_ingestion(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._ingestion(ctx, request, start=True)

    def stop_event_data_store_ingestion(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._ingestion(ctx, request, start=False)

    # -- the records of a store ----------------------------------------------------------------------------

    def store_records(self, row: Row[Any]) -> list[dict[str, Any]]:
        spec = json.loads(row.spec)
        now = clock.now()
        oldest = now - timedelta(days=spec["RetentionPeriod"])
        advanced = spec["AdvancedEventSelectors"]
        regions = None if spec["MultiRegionEnabled"] else [row.region]
        out: list[dict[str, Any]] = []
        for start_text, stop_text in json.loads(row.windows):
            start = max(datetime.fromisoformat(start_text), oldest)
            stop = datetime.fromisoformat(stop_text) if stop_text else now
            if start > stop:
                continue
            for raw, is_data in audit_records(self.runtime.store, row.account_id, regions, start, stop):
                record = orjson.loads(raw)
                if is_data:
                    record.setdefault("eventCategory", "Data")
                if selectors.matches(record, None, advanced):
                    out.append(record)
        return out

    # -- queries -------------------------------------------------------------------------------------------

    def start_query(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        statement = request.get("QueryStatement")
        if not statement:
            raise InvalidParameterException("QueryStatement is required (QueryAlias is for dashboards' queries).")
        if request.get("DeliveryS3Uri"):
            raise InvalidParameterException(
                "DeliveryS3Uri is not supported by Strongroom: results stay with the query."
            )
        self.runtime.audit.drain()  # this node's own recent calls are part of what the query may count
        ids = lakesql.store_ids(statement)
        if not ids:
            raise InvalidQueryStatementException("The query must read at least one event data store: FROM <id>.")
        rows = []
        for store_id in ids:
            row = self.store_row(ctx, store_id)
            if row.status == "PENDING_DELETION":
                raise InactiveEventDataStoreException(f"Event data store {row.arn} is pending deletion.")
            rows.append(row)
        began = time.monotonic()
        tables: dict[str, Iterable[dict[str, Any]]] = {row.store_id: self.store_records(row) for row in rows}
        try:
            result = lakesql.run(statement, tables, clock.now(), request.get("QueryParameters") or ())
        except lakesql.QueryError as exc:
            raise InvalidQueryStatementException(str(exc)) from None
        millis = int((time.monotonic() - began) * 1000)
        query_id = str(uuid.uuid4())
        scanned_bytes = sum(len(orjson.dumps(r)) for records in tables.values() for r in records)
        with self.runtime.store.write() as conn:
            conn.execute(
                model.queries.insert().values(
                    query_id=query_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    store_arns=json.dumps([r.arn for r in rows]),
                    statement=statement,
                    status="FINISHED",
                    columns=json.dumps(result.columns),
                    rows=json.dumps([[_text(v) for v in r] for r in result.rows]),
                    scanned=result.scanned,
                    bytes_scanned=scanned_bytes,
                    millis=millis,
                    created_at=clock.now(),
                )
            )
        return {"QueryId": query_id}

    def _query(self, ctx: RequestContext, query_id: str, store: str | None = None) -> Row[Any]:
        if store:
            self.store_row(ctx, store)
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(model.queries).where(
                    model.queries.c.query_id == query_id,
                    model.queries.c.account_id == ctx.account_id,
                    model.queries.c.region == ctx.region,
                )
            ).one_or_none()
        if row is None:
            raise QueryIdNotFoundException(
                f"The query ID {query_id} does not exist or is not associated with your account."
            )
        return row

    @staticmethod
    def _statistics(row: Row[Any]) -> dict[str, Any]:
        return {
            "EventsMatched": len(json.loads(row.rows or "[]")),
            "EventsScanned": row.scanned,
            "BytesScanned": row.bytes_scanned,
            "ExecutionTimeInMillis": row.millis,
            "CreationTime": row.created_at,
        }

    def describe_query(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if not request.get("QueryId"):
            raise InvalidParameterException("QueryId is required.")
        row = self._query(ctx, request["QueryId"], request.get("EventDataStore"))
        out: dict[str, Any] = {
            "QueryId": row.query_id,
            "QueryString": row.statement,
            "QueryStatus": row.status,
            "QueryStatistics": self._statistics(row),
        }
        if row.error:
            out["ErrorMessage"] = row.error
        return out

    def get_query_results(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._query(ctx, request["QueryId"], request.get("EventDataStore"))
        columns, rows = json.loads(row.columns or "[]"), json.loads(row.rows or "[]")
        limit = request.get("MaxQueryResults") or MAX_RESULTS_PER_PAGE
        chunk, token = pages.offset_page(
            rows, request.get("NextToken") or None, limit, lambda: InvalidNextTokenException("Invalid NextToken.")
        )
        out: dict[str, Any] = {
            "QueryStatus": row.status,
            "QueryStatistics": {
                "ResultsCount": len(chunk),
                "TotalResultsCount": len(rows),
                "BytesScanned": row.bytes_scanned,
            },
            "QueryResultRows": [
                [{name: value} for name, value in zip(columns, r, strict=True) if value is not None] for r in chunk
            ],
        }
        if token:
            out["NextToken"] = token
        return out

    def list_queries(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        store = self.store_row(ctx, request["EventDataStore"])
        start, end, status = request.get("StartTime"), request.get("EndTime"), request.get("QueryStatus")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.queries)
                .where(model.queries.c.account_id == ctx.account_id, model.queries.c.region == ctx.region)
                .order_by(model.queries.c.created_at.desc())
            ).all()
        rows = [
            r
            for r in rows
            if store.arn in json.loads(r.store_arns)
            and (not status or r.status == status)
            and (start is None or r.created_at >= start)
            and (end is None or r.created_at <= end)
        ]
        chunk, token = self._page(rows, request, lambda r: f"{r.created_at.isoformat()}|{r.query_id}")
        out: dict[str, Any] = {
            "Queries": [{"QueryId": r.query_id, "QueryStatus": r.status, "CreationTime": r.created_at} for r in chunk]
        }
        if token:
            out["NextToken"] = token
        return out

    def cancel_query(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._query(ctx, request["QueryId"], request.get("EventDataStore"))
        if row.status not in ("QUEUED", "RUNNING"):
            raise InactiveQueryException(f"The query {row.query_id} is {row.status} and cannot be cancelled.")
        return {"QueryId": row.query_id, "QueryStatus": "CANCELLED"}


def _closed(windows_text: str) -> str:
    windows = json.loads(windows_text)
    if windows and windows[-1][1] is None:
        windows[-1][1] = _iso(clock.now())
    return json.dumps(windows)


def _text(value: Any) -> str | None:
    """Lake answers every value as a string."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
