"""Event buses (Create/Describe/Update/Delete/List) and tags on buses and rules."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.bus import bus_arn, ensure_default_bus
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import (
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext


def _bus_fields(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": row.name, "Arn": row.arn}
    if row.description:
        out["Description"] = row.description
    if row.kms_key:
        out["KmsKeyIdentifier"] = row.kms_key
    if row.dead_letter_arn:
        out["DeadLetterConfig"] = {"Arn": row.dead_letter_arn}
    if row.policy:
        out["Policy"] = row.policy
    out["CreationTime"] = row.created_at
    out["LastModifiedTime"] = row.modified_at
    return out


class BusOperations(EventsBase):
    def create_event_bus(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name == "default":
            raise ResourceAlreadyExistsException("Event bus default already exists.")
        if "/" in name:
            raise ValidationException("Event bus name must not contain '/'.")
        if name.startswith("aws.") and not request.get("EventSourceName"):
            raise ValidationException("Event source aws.partner/... is required for event bus names starting with aws.")
        if request.get("EventSourceName"):
            raise ResourceNotFoundException(f"Event source {request['EventSourceName']} does not exist.")
        arn = bus_arn(ctx.account_id, ctx.region, name)
        now = clock.now()
        dlq = (request.get("DeadLetterConfig") or {}).get("Arn")
        with self.runtime.store.write() as conn:
            if conn.execute(select(model.buses.c.arn).where(model.buses.c.arn == arn)).first() is not None:
                raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
            conn.execute(
                model.buses.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    description=request.get("Description"),
                    kms_key=request.get("KmsKeyIdentifier"),
                    dead_letter_arn=dlq,
                    created_at=now,
                    modified_at=now,
                )
            )
            self.write_tags(conn, arn, request.get("Tags") or [])
        out: dict[str, Any] = {"EventBusArn": arn}
        for field in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if request.get(field):
                out[field] = request[field]
        return out

    def describe_event_bus(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.bus_name(ctx, request.get("Name"))
        with self.runtime.store.write() as conn:
            return _bus_fields(self.require_bus(conn, ctx, name))

    def update_event_bus(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.bus_name(ctx, request.get("Name"))
        values: dict[str, Any] = {"modified_at": clock.now()}
        if "Description" in request:
            values["description"] = request["Description"]
        if "KmsKeyIdentifier" in request:
            values["kms_key"] = request["KmsKeyIdentifier"] or None
        if "DeadLetterConfig" in request:
            values["dead_letter_arn"] = (request["DeadLetterConfig"] or {}).get("Arn")
        with self.runtime.store.write() as conn:
            row = self.require_bus(conn, ctx, name)
            conn.execute(update(model.buses).where(model.buses.c.arn == row.arn).values(**values))
            row = self.require_bus(conn, ctx, name)
        out = _bus_fields(row)
        return {
            k: v for k, v in out.items() if k in ("Arn", "Name", "KmsKeyIdentifier", "Description", "DeadLetterConfig")
        }

    def delete_event_bus(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        if name == "default":
            raise ValidationException("Cannot delete event bus default.")
        arn = bus_arn(ctx.account_id, ctx.region, name)
        with self.runtime.store.write() as conn:
            has_rules = conn.execute(
                select(model.rules.c.arn).where(
                    model.rules.c.account_id == ctx.account_id,
                    model.rules.c.region == ctx.region,
                    model.rules.c.bus_name == name,
                )
            ).first()
            if has_rules is not None:
                raise ValidationException(f"Event bus {name} can't be deleted since it has rules.")
            conn.execute(delete(model.buses).where(model.buses.c.arn == arn))
            self.drop_tags(conn, arn)
        return {}

    def list_event_buses(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        with self.runtime.store.write() as conn:
            ensure_default_bus(conn, ctx.account_id, ctx.region)
            rows = conn.execute(
                select(model.buses)
                .where(model.buses.c.account_id == ctx.account_id, model.buses.c.region == ctx.region)
                .order_by(model.buses.c.name)
            ).all()
        rows = [r for r in rows if r.name.startswith(prefix)]
        chunk, token = self.page(rows, request, lambda r: r.name)
        out: dict[str, Any] = {
            "EventBuses": [
                {k: v for k, v in _bus_fields(r).items() if k != "KmsKeyIdentifier" and k != "DeadLetterConfig"}
                for r in chunk
            ]
        }
        if token:
            out["NextToken"] = token
        return out

    # -- tags (rules and buses) ----------------------------------------------------------------------------

    def _require_taggable(self, ctx: RequestContext, arn: str) -> None:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "events":
            raise ValidationException(
                "Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format."
            )
        resource = parts[5]
        with self.runtime.store.write() as conn:
            if resource == "event-bus/default" and parts[3] == ctx.region and parts[4] == ctx.account_id:
                ensure_default_bus(conn, ctx.account_id, ctx.region)
            if resource.startswith("event-bus/"):
                found = conn.execute(select(model.buses.c.arn).where(model.buses.c.arn == arn)).first()
                if found is None:
                    raise ResourceNotFoundException(f"Event bus {resource[len('event-bus/') :]} does not exist.")
            elif resource.startswith("rule/"):
                found = conn.execute(select(model.rules.c.arn).where(model.rules.c.arn == arn)).first()
                if found is None:
                    name = resource.rsplit("/", 1)[-1]
                    bus = resource.split("/")[1] if resource.count("/") == 2 else "default"
                    raise ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")
            else:
                raise ValidationException(
                    "Parameter ResourceARN is not valid. Reason: Provided Arn is not in correct format."
                )

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["ResourceARN"]
        self._require_taggable(ctx, arn)
        with self.runtime.store.write() as conn:
            self.write_tags(conn, arn, request.get("Tags") or [])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["ResourceARN"]
        self._require_taggable(ctx, arn)
        with self.runtime.store.write() as conn:
            for key in request.get("TagKeys") or []:
                conn.execute(delete(model.tags).where(model.tags.c.resource_arn == arn, model.tags.c.tag_key == key))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = request["ResourceARN"]
        self._require_taggable(ctx, arn)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.tags).where(model.tags.c.resource_arn == arn).order_by(model.tags.c.tag_key)
            ).all()
        return {"Tags": [{"Key": r.tag_key, "Value": r.tag_value} for r in rows]}
