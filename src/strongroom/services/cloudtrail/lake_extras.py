"""The rest of CloudTrail Lake, stored and round-tripped: channels, dashboards, resource policies, event
configuration, imports, federation, organization delegated administrators, GenerateQuery, SearchSampleQueries,
and the Insights data reads. What each answers, and why, is in docs/cloudtrail.md.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, select, update

from strongroom.audit import model as audit_model
from strongroom.core.clock import clock
from strongroom.services.cloudtrail import model
from strongroom.services.cloudtrail.errors import (
    ChannelAlreadyExistsException,
    ChannelNotFoundException,
    ConflictException,
    GenerateResponseException,
    ImportNotFoundException,
    InvalidParameterException,
    InvalidSourceException,
    OrganizationsNotInUseException,
    ResourceARNNotValidException,
    ResourceNotFoundException,
    ResourcePolicyNotFoundException,
    ResourcePolicyNotValidException,
    ResourceTypeNotSupportedException,
    TrailNotFoundException,
)
from strongroom.services.cloudtrail.lake import LakeOperations

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# A few of AWS's sample queries, searchable by SearchSampleQueries (the console's sample library, abridged).
SAMPLE_QUERIES = (
    (
        "Top API calls by event name",
        "Counts management events by event name.",
        "SELECT eventName, COUNT(*) AS calls FROM $EDS_ID GROUP BY eventName ORDER BY calls DESC",
    ),
    (
        "Calls by principal",
        "Counts the calls each principal (userIdentity.arn) made, by event name.",
        "SELECT userIdentity.arn, eventName, COUNT(*) AS calls FROM $EDS_ID GROUP BY 1, 2 ORDER BY calls DESC",
    ),
    (
        "Access denied errors",
        "Lists the calls refused with AccessDenied.",
        "SELECT eventTime, eventName, userIdentity.arn FROM $EDS_ID WHERE errorCode LIKE '%AccessDenied%'",
    ),
    (
        "Console sign-ins",
        "Lists ConsoleLogin events.",
        "SELECT eventTime, userIdentity.arn, sourceIPAddress FROM $EDS_ID WHERE eventName = 'ConsoleLogin'",
    ),
)


class LakeExtraOperations(LakeOperations):
    # -- stored documents (channels, dashboards, imports) ---------------------------------------------------

    def _resource(self, ctx: RequestContext, kind: str, ref: str, missing: Exception) -> Row[Any]:
        prefix = f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:{kind}/"
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(model.lake_resources).where(
                    model.lake_resources.c.kind == kind,
                    model.lake_resources.c.account_id == ctx.account_id,
                    model.lake_resources.c.region == ctx.region,
                    (model.lake_resources.c.arn == ref)
                    | (model.lake_resources.c.arn == prefix + ref)
                    | (model.lake_resources.c.name == ref),
                )
            ).first()
        if row is None:
            raise missing
        return row

    def _insert(self, ctx: RequestContext, kind: str, resource_id: str, name: str, doc: dict[str, Any]) -> str:
        arn = f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:{kind}/{resource_id}"
        now = clock.now()
        with self.runtime.store.write() as conn:
            taken = conn.execute(
                select(model.lake_resources.c.arn).where(
                    model.lake_resources.c.kind == kind,
                    model.lake_resources.c.account_id == ctx.account_id,
                    model.lake_resources.c.region == ctx.region,
                    model.lake_resources.c.name == name,
                )
            ).first()
            if taken is not None and kind != "import":
                error = ChannelAlreadyExistsException if kind == "channel" else ConflictException
                raise error(f"A {kind} named {name} already exists.")
            conn.execute(
                model.lake_resources.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    kind=kind,
                    name=name,
                    doc=json.dumps(doc, default=str),
                    created_at=now,
                    updated_at=now,
                )
            )
        return arn

    def _update_doc(self, row: Row[Any], doc: dict[str, Any], name: str | None = None) -> None:
        values: dict[str, Any] = {"doc": json.dumps(doc, default=str), "updated_at": clock.now()}
        if name:
            values["name"] = name
        with self.runtime.store.write() as conn:
            conn.execute(update(model.lake_resources).where(model.lake_resources.c.arn == row.arn).values(**values))

    def _drop(self, row: Row[Any]) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(delete(model.lake_resources).where(model.lake_resources.c.arn == row.arn))
            conn.execute(delete(model.resource_policies).where(model.resource_policies.c.resource_arn == row.arn))

    def _list(self, ctx: RequestContext, kind: str) -> list[Row[Any]]:
        with self.runtime.store.read() as conn:
            return list(
                conn.execute(
                    select(model.lake_resources)
                    .where(
                        model.lake_resources.c.kind == kind,
                        model.lake_resources.c.account_id == ctx.account_id,
                        model.lake_resources.c.region == ctx.region,
                    )
                    .order_by(model.lake_resources.c.arn)
                ).all()
            )

    # -- channels ------------------------------------------------------------------------------------------

    def _check_destinations(self, ctx: RequestContext, destinations: list[dict[str, Any]]) -> None:
        for destination in destinations:
            if destination.get("Type") == "EVENT_DATA_STORE":
                self.store_row(ctx, str(destination.get("Location")))

    def create_channel(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        source = request["Source"]
        if source != "Custom" and not source.startswith("aws.partner/"):
            raise InvalidSourceException(f"Source {source} is not valid: use Custom or a partner source.")
        self._check_destinations(ctx, request["Destinations"])
        doc = {"Source": source, "Destinations": request["Destinations"], "Tags": request.get("Tags") or []}
        arn = self._insert(ctx, "channel", str(uuid.uuid4()), request["Name"], doc)
        return {"ChannelArn": arn, "Name": request["Name"], **doc}

    def _channel(self, ctx: RequestContext, ref: str) -> Row[Any]:
        return self._resource(ctx, "channel", ref, ChannelNotFoundException(f"Channel {ref} was not found."))

    def get_channel(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._channel(ctx, request["Channel"])
        doc = json.loads(row.doc)
        return {
            "ChannelArn": row.arn,
            "Name": row.name,
            "Source": doc["Source"],
            "SourceConfig": {"ApplyToAllRegions": False, "AdvancedEventSelectors": []},
            "Destinations": doc["Destinations"],
            "IngestionStatus": {},
        }

    def update_channel(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._channel(ctx, request["Channel"])
        doc = json.loads(row.doc)
        if request.get("Destinations"):
            self._check_destinations(ctx, request["Destinations"])
            doc["Destinations"] = request["Destinations"]
        self._update_doc(row, doc, request.get("Name"))
        return {
            "ChannelArn": row.arn,
            "Name": request.get("Name") or row.name,
            "Source": doc["Source"],
            "Destinations": doc["Destinations"],
        }

    def delete_channel(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self._drop(self._channel(ctx, request["Channel"]))
        return {}

    def list_channels(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        chunk, token = self._page(self._list(ctx, "channel"), request, lambda r: r.arn)
        out: dict[str, Any] = {"Channels": [{"ChannelArn": r.arn, "Name": r.name} for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    # -- dashboards ----------------------------------------------------------------------------------------

    def create_dashboard(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        doc = {
            "Widgets": request.get("Widgets") or [],
            "RefreshSchedule": request.get("RefreshSchedule"),
            "TagsList": request.get("TagsList") or [],
            "TerminationProtectionEnabled": bool(request.get("TerminationProtectionEnabled")),
        }
        arn = self._insert(ctx, "dashboard", request["Name"], request["Name"], doc)
        return {
            "DashboardArn": arn,
            "Name": request["Name"],
            "Type": "CUSTOM",
            **{k: v for k, v in doc.items() if v is not None},
        }

    def _dashboard(self, ctx: RequestContext, ref: str) -> Row[Any]:
        return self._resource(ctx, "dashboard", ref, ResourceNotFoundException(f"Dashboard {ref} was not found."))

    def get_dashboard(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._dashboard(ctx, request["DashboardId"])
        doc = json.loads(row.doc)
        out: dict[str, Any] = {
            "DashboardArn": row.arn,
            "Type": "CUSTOM",
            "Status": "CREATED",
            "Widgets": doc["Widgets"],
            "CreatedTimestamp": row.created_at,
            "UpdatedTimestamp": row.updated_at,
            "TerminationProtectionEnabled": doc["TerminationProtectionEnabled"],
        }
        if doc.get("RefreshSchedule"):
            out["RefreshSchedule"] = doc["RefreshSchedule"]
        if doc.get("LastRefreshId"):
            out["LastRefreshId"] = doc["LastRefreshId"]
        return out

    def update_dashboard(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._dashboard(ctx, request["DashboardId"])
        doc = json.loads(row.doc)
        for member in ("Widgets", "RefreshSchedule", "TerminationProtectionEnabled"):
            if request.get(member) is not None:
                doc[member] = request[member]
        self._update_doc(row, doc)
        out = self.get_dashboard(ctx, {"DashboardId": row.arn})
        out.pop("Status", None)
        out.pop("LastRefreshId", None)
        return {**out, "Name": row.name}

    def delete_dashboard(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._dashboard(ctx, request["DashboardId"])
        if json.loads(row.doc)["TerminationProtectionEnabled"]:
            raise ConflictException("The dashboard has termination protection enabled.")
        self._drop(row)
        return {}

    def list_dashboards(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        rows = [r for r in self._list(ctx, "dashboard") if r.name.startswith(prefix)]
        if request.get("Type") and request["Type"] != "CUSTOM":
            rows = []
        chunk, token = self._page(rows, request, lambda r: r.arn)
        out: dict[str, Any] = {"Dashboards": [{"DashboardArn": r.arn, "Type": "CUSTOM"} for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    def start_dashboard_refresh(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Runs each widget's query now (as StartQuery does) and remembers the refresh id."""
        row = self._dashboard(ctx, request["DashboardId"])
        doc = json.loads(row.doc)
        for widget in doc["Widgets"]:
            statement = str(widget.get("QueryStatement") or "")
            values = request.get("QueryParameterValues") or {}
            for key, value in values.items():
                statement = statement.replace(f"{{{key}}}", value)
            if statement:
                self.start_query(ctx, {"QueryStatement": statement, "QueryParameters": widget.get("QueryParameters")})
        doc["LastRefreshId"] = str(uuid.uuid4())
        self._update_doc(row, doc)
        return {"RefreshId": doc["LastRefreshId"]}

    # -- resource policies ---------------------------------------------------------------------------------

    def _policy_target(self, ctx: RequestContext, arn: str) -> str:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "cloudtrail":
            raise ResourceARNNotValidException(f"Resource ARN {arn} is not valid.")
        kind = parts[5].split("/", 1)[0]
        if kind == "eventdatastore":
            return str(self.store_row(ctx, arn).arn)
        if kind in ("channel", "dashboard"):
            missing = ResourceNotFoundException(f"The resource {arn} was not found.")
            return str(self._resource(ctx, kind, arn, missing).arn)
        raise ResourceTypeNotSupportedException(f"Resource policies are not supported for {kind} resources.")

    def put_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(ctx, request["ResourceArn"])
        try:
            document = json.loads(request["ResourcePolicy"])
        except ValueError:
            raise ResourcePolicyNotValidException("The resource policy is not valid JSON.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise ResourcePolicyNotValidException("The resource policy has no Statement.")
        with self.runtime.store.write() as conn:
            conn.execute(delete(model.resource_policies).where(model.resource_policies.c.resource_arn == arn))
            conn.execute(model.resource_policies.insert().values(resource_arn=arn, policy=request["ResourcePolicy"]))
        return {"ResourceArn": arn, "ResourcePolicy": request["ResourcePolicy"]}

    def get_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(ctx, request["ResourceArn"])
        with self.runtime.store.read() as conn:
            policy = conn.execute(
                select(model.resource_policies.c.policy).where(model.resource_policies.c.resource_arn == arn)
            ).scalar_one_or_none()
        if policy is None:
            raise ResourcePolicyNotFoundException(f"The resource {arn} has no resource policy.")
        return {"ResourceArn": arn, "ResourcePolicy": policy}

    def delete_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._policy_target(ctx, request["ResourceArn"])
        with self.runtime.store.write() as conn:
            gone = conn.execute(
                delete(model.resource_policies).where(model.resource_policies.c.resource_arn == arn)
            ).rowcount
        if not gone:
            raise ResourcePolicyNotFoundException(f"The resource {arn} has no resource policy.")
        return {}

    # -- event configuration (event data stores; trails answer with the defaults) ----------------------------

    def _config_target(self, ctx: RequestContext, request: dict[str, Any]) -> tuple[dict[str, Any], Row[Any] | None]:
        if bool(request.get("TrailName")) == bool(request.get("EventDataStore")):
            raise InvalidParameterException("Specify exactly one of TrailName and EventDataStore.")
        if request.get("TrailName"):
            name = str(request["TrailName"])
            with self.runtime.store.read() as conn:
                trail = conn.execute(
                    select(audit_model.trails.c.arn).where(
                        audit_model.trails.c.account_id == ctx.account_id,
                        (audit_model.trails.c.name == name) | (audit_model.trails.c.arn == name),
                    )
                ).first()
            if trail is None:
                raise TrailNotFoundException(f"Unknown trail: {name} for the user: {ctx.account_id}")
            raise InvalidParameterException("Event configuration applies to event data stores only in Strongroom.")
        row = self.store_row(ctx, request["EventDataStore"])
        return {"EventDataStoreArn": row.arn}, row

    def put_event_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        out, row = self._config_target(ctx, request)
        assert row is not None
        spec = json.loads(row.spec)
        spec["EventConfiguration"] = {
            "MaxEventSize": request.get("MaxEventSize") or "Standard",
            "ContextKeySelectors": request.get("ContextKeySelectors") or [],
        }
        with self.runtime.store.write() as conn:
            conn.execute(
                update(model.event_data_stores)
                .where(model.event_data_stores.c.arn == row.arn)
                .values(spec=json.dumps(spec), updated_at=clock.now())
            )
        return {**out, **spec["EventConfiguration"]}

    def get_event_configuration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        out, row = self._config_target(ctx, request)
        assert row is not None
        config = json.loads(row.spec).get("EventConfiguration") or {
            "MaxEventSize": "Standard",
            "ContextKeySelectors": [],
        }
        return {**out, **config}

    # -- imports -------------------------------------------------------------------------------------------

    def start_import(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Recorded as FAILED with the reason: Strongroom does not read trail log files back from S3 yet."""
        if request.get("ImportId"):
            row = self._import(ctx, request["ImportId"])
            return self._import_out(row)
        destinations = request.get("Destinations") or []
        if not destinations or not request.get("ImportSource"):
            raise InvalidParameterException("Destinations and ImportSource are required to start an import.")
        for destination in destinations:
            self.store_row(ctx, destination)
        import_id = str(uuid.uuid4())
        doc = {
            "Destinations": destinations,
            "ImportSource": request["ImportSource"],
            "StartEventTime": request.get("StartEventTime"),
            "EndEventTime": request.get("EndEventTime"),
            "ImportStatus": "FAILED",
            "Failure": "Importing trail log files from S3 is not supported by Strongroom.",
        }
        self._insert(ctx, "import", import_id, import_id, doc)
        return self._import_out(self._import(ctx, import_id))

    def _import(self, ctx: RequestContext, import_id: str) -> Row[Any]:
        return self._resource(ctx, "import", import_id, ImportNotFoundException(f"Import {import_id} was not found."))

    def _import_out(self, row: Row[Any], stats: bool = False) -> dict[str, Any]:
        doc = json.loads(row.doc)
        out: dict[str, Any] = {
            "ImportId": row.name,
            "Destinations": doc["Destinations"],
            "ImportSource": doc["ImportSource"],
            "ImportStatus": doc["ImportStatus"],
            "CreatedTimestamp": row.created_at,
            "UpdatedTimestamp": row.updated_at,
        }
        if stats:
            out["ImportStatistics"] = {
                "PrefixesFound": 0,
                "PrefixesCompleted": 0,
                "FilesCompleted": 0,
                "EventsCompleted": 0,
                "FailedEntries": 1,
            }
        return out

    def get_import(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._import_out(self._import(ctx, request["ImportId"]), stats=True)

    def stop_import(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._import_out(self._import(ctx, request["ImportId"]), stats=True)

    def list_imports(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        rows = self._list(ctx, "import")
        destination, status = request.get("Destination"), request.get("ImportStatus")
        rows = [
            r
            for r in rows
            if (not destination or destination in json.loads(r.doc)["Destinations"])
            and (not status or json.loads(r.doc)["ImportStatus"] == status)
        ]
        chunk, token = self._page(rows, request, lambda r: r.arn)
        out: dict[str, Any] = {
            "Imports": [{k: v for k, v in self._import_out(r).items() if k != "ImportSource"} for r in chunk]
        }
        if token:
            out["NextToken"] = token
        return out

    def list_import_failures(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._import(ctx, request["ImportId"])
        doc = json.loads(row.doc)
        uri = str(doc["ImportSource"].get("S3", {}).get("S3LocationUri", ""))
        return {
            "Failures": [
                {
                    "Location": uri,
                    "Status": "FAILED",
                    "ErrorType": "UnsupportedOperation",
                    "ErrorMessage": doc["Failure"],
                    "LastUpdatedTime": row.updated_at,
                }
            ]
        }

    # -- federation, organizations, generated queries, Insights data ------------------------------------------

    def enable_federation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OrganizationsNotInUseException(
            "Lake query federation needs AWS Glue and Lake Formation, which Strongroom does not serve."
        )

    def disable_federation(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.store_row(ctx, request["EventDataStore"])
        return {"EventDataStoreArn": row.arn, "FederationStatus": "DISABLED"}

    def register_organization_delegated_admin(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OrganizationsNotInUseException("CloudTrail trusted access with AWS Organizations is not enabled.")

    def deregister_organization_delegated_admin(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OrganizationsNotInUseException("CloudTrail trusted access with AWS Organizations is not enabled.")

    def generate_query(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        for store in request["EventDataStores"]:
            self.store_row(ctx, store)
        raise GenerateResponseException(
            "Strongroom does not generate queries from natural language: there is no model to ask."
        )

    def search_sample_queries(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        words = [w for w in str(request["SearchPhrase"]).lower().split() if w]
        found = []
        for name, description, sql in SAMPLE_QUERIES:
            text = f"{name} {description} {sql}".lower()
            hits = sum(w in text for w in words)
            if hits:
                found.append({"Name": name, "Description": description, "SQL": sql, "Relevance": hits / len(words)})
        found.sort(key=lambda r: -float(str(r["Relevance"])))
        return {"SearchResults": found[: request.get("MaxResults") or 10]}
