"""Bus policies (PutPermission / RemovePermission), endpoints, and partner event sources.

A bus policy is the bus's resource policy: the authorizer reads it (``access.resource_policy``) when another
account's PutEvents names the bus by ARN, so ``PutPermission`` is what lets that account deliver.

Endpoints (global endpoints) are stored and round-tripped; Strongroom is one Region's server, so there is no
failover to drive and the endpoint's state is ACTIVE. Partner event sources come from SaaS partners, and no
account here is one: customer-side calls answer as AWS does for an account without partner sources (empty lists,
ResourceNotFoundException by name) and the partner-side calls answer OperationDisabledException.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, delete, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.bus import bus_arn
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import (
    OperationDisabledException,
    PolicyLengthExceededException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_POLICY_BYTES = 10240
_ACCOUNT = re.compile(r"^\d{12}$")
_NOT_A_PARTNER = "This operation is only available to SaaS partner accounts; this account is not one."

# Endpoint members stored as given.
_ENDPOINT_MEMBERS = ("Description", "RoutingConfig", "ReplicationConfig", "EventBuses", "RoleArn")


def _statement(request: dict[str, Any], resource: str) -> dict[str, Any]:
    action, principal, sid = request.get("Action"), request.get("Principal"), request.get("StatementId")
    if not action or not principal or not sid:
        raise ValidationException(
            "Parameter(s) Action, Principal, StatementId must be specified (or a Policy document instead)."
        )
    if action != "events:PutEvents":
        raise ValidationException("Provided value in parameter 'action' is not supported.")
    if principal != "*" and not _ACCOUNT.match(principal):
        raise ValidationException("Parameter Principal is not valid. Reason: must be a 12-digit account id or *.")
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
        "Action": action,
        "Resource": resource,
    }
    condition = request.get("Condition")
    if condition:
        if condition.get("Type") != "StringEquals" or condition.get("Key") != "aws:PrincipalOrgID":
            raise ValidationException("Parameter Condition is not valid. Reason: only StringEquals aws:PrincipalOrgID.")
        statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": condition["Value"]}}
    return statement


def _endpoint_fields(row: Row[Any]) -> dict[str, Any]:
    spec = json.loads(row.spec)
    out: dict[str, Any] = {"Name": row.name, "Arn": row.arn, **spec}
    out.update(
        EndpointId=row.endpoint_id,
        EndpointUrl=f"https://{row.endpoint_id}.endpoint.events.amazonaws.com",
        State="ACTIVE",
        CreationTime=row.created_at,
        LastModifiedTime=row.modified_at,
    )
    return out


class PermissionOperations(EventsBase):
    # -- bus policies --------------------------------------------------------------------------------------

    def put_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.bus_name(ctx, request.get("EventBusName"))
        resource = bus_arn(ctx.account_id, ctx.region, name)
        with self.runtime.store.write() as conn:
            row = self.require_bus(conn, ctx, name)
            if request.get("Policy"):
                try:
                    document = json.loads(request["Policy"])
                except ValueError:
                    raise ValidationException("Parameter Policy is not valid. Reason: not valid JSON.") from None
                if not isinstance(document, dict) or not isinstance(document.get("Statement"), list | dict):
                    raise ValidationException("Parameter Policy is not valid. Reason: it has no Statement.")
            else:
                document = json.loads(row.policy) if row.policy else {"Version": "2012-10-17", "Statement": []}
                statement = _statement(request, resource)
                kept = [s for s in document.get("Statement", []) if s.get("Sid") != statement["Sid"]]
                document["Statement"] = [*kept, statement]
            text = json.dumps(document, separators=(",", ":"))
            if len(text.encode()) > MAX_POLICY_BYTES:
                raise PolicyLengthExceededException("The policy exceeds the maximum allowed length of 10240 bytes.")
            conn.execute(
                update(model.buses).where(model.buses.c.arn == row.arn).values(policy=text, modified_at=clock.now())
            )
        return {}

    def remove_permission(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = self.bus_name(ctx, request.get("EventBusName"))
        sid, remove_all = request.get("StatementId"), bool(request.get("RemoveAllPermissions"))
        if not sid and not remove_all:
            raise ValidationException("Parameter StatementId or RemoveAllPermissions must be specified.")
        with self.runtime.store.write() as conn:
            row = self.require_bus(conn, ctx, name)
            if not row.policy:
                raise ResourceNotFoundException("EventBus does not have a policy.")
            if remove_all:
                policy: str | None = None
            else:
                document = json.loads(row.policy)
                statements = document.get("Statement", [])
                statements = statements if isinstance(statements, list) else [statements]
                kept = [s for s in statements if s.get("Sid") != sid]
                if len(kept) == len(statements):
                    raise ResourceNotFoundException("Statement with the provided id does not exist.")
                document["Statement"] = kept
                policy = json.dumps(document, separators=(",", ":")) if kept else None
            conn.execute(
                update(model.buses).where(model.buses.c.arn == row.arn).values(policy=policy, modified_at=clock.now())
            )
        return {}

    # -- endpoints -----------------------------------------------------------------------------------------

    def _endpoint_arn(self, ctx: RequestContext, name: str) -> str:
        return f"arn:aws:events:{ctx.region}:{ctx.account_id}:endpoint/{name}"

    def _endpoint(self, conn: Any, ctx: RequestContext, name: str) -> Row[Any]:
        row = conn.execute(
            select(model.endpoints).where(model.endpoints.c.arn == self._endpoint_arn(ctx, name))
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"Endpoint {name} does not exist.")
        return row

    @staticmethod
    def _check_endpoint(spec: dict[str, Any]) -> None:
        buses = spec.get("EventBuses") or []
        if len(buses) != 2:
            raise ValidationException("Parameter EventBuses is not valid. Reason: exactly two event buses are needed.")
        regions = {(str(b.get("EventBusArn") or "").split(":") + [""] * 4)[3] for b in buses}
        if len(regions) != 2:
            raise ValidationException("Parameter EventBuses is not valid. Reason: the buses must be in two Regions.")

    def create_endpoint(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        spec = {k: request[k] for k in _ENDPOINT_MEMBERS if request.get(k) is not None}
        self._check_endpoint(spec)
        arn, now = self._endpoint_arn(ctx, request["Name"]), clock.now()
        with self.runtime.store.write() as conn:
            if conn.execute(select(model.endpoints.c.arn).where(model.endpoints.c.arn == arn)).first() is not None:
                raise ResourceAlreadyExistsException(f"Endpoint {request['Name']} already exists.")
            conn.execute(
                model.endpoints.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["Name"],
                    endpoint_id=f"{secrets.token_hex(4)}.{secrets.token_hex(1)}",
                    spec=json.dumps(spec, separators=(",", ":")),
                    created_at=now,
                    modified_at=now,
                )
            )
        out = {"Name": request["Name"], "Arn": arn, **spec, "State": "ACTIVE"}
        out.pop("Description", None)
        return out

    def describe_endpoint(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return _endpoint_fields(self._endpoint(conn, ctx, request["Name"]))

    def update_endpoint(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._endpoint(conn, ctx, request["Name"])
            spec = json.loads(row.spec)
            spec.update({k: request[k] for k in _ENDPOINT_MEMBERS if request.get(k) is not None})
            self._check_endpoint(spec)
            conn.execute(
                update(model.endpoints)
                .where(model.endpoints.c.arn == row.arn)
                .values(spec=json.dumps(spec, separators=(",", ":")), modified_at=clock.now())
            )
            row = self._endpoint(conn, ctx, request["Name"])
        out = _endpoint_fields(row)
        for key in ("Description", "CreationTime", "LastModifiedTime"):
            out.pop(key, None)
        return out

    def delete_endpoint(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._endpoint(conn, ctx, request["Name"])
            conn.execute(delete(model.endpoints).where(model.endpoints.c.arn == row.arn))
        return {}

    def list_endpoints(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        home = request.get("HomeRegion")
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.endpoints)
                .where(model.endpoints.c.account_id == ctx.account_id, model.endpoints.c.region == ctx.region)
                .order_by(model.endpoints.c.name)
            ).all()
        rows = [r for r in rows if r.name.startswith(prefix) and (not home or home == r.region)]
        paging = {"Limit": request.get("MaxResults"), "NextToken": request.get("NextToken")}
        chunk, token = self.page(rows, paging, lambda r: r.name)
        out: dict[str, Any] = {"Endpoints": [_endpoint_fields(r) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    # -- partner event sources -------------------------------------------------------------------------------

    def list_event_sources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"EventSources": []}

    def describe_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise ResourceNotFoundException(f"Event source {request['Name']} does not exist.")

    def activate_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise ResourceNotFoundException(f"Event source {request['Name']} does not exist.")

    def deactivate_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise ResourceNotFoundException(f"Event source {request['Name']} does not exist.")

    def create_partner_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)

    def delete_partner_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)

    def describe_partner_event_source(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)

    def list_partner_event_source_accounts(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)

    def list_partner_event_sources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)

    def put_partner_events(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        raise OperationDisabledException(_NOT_A_PARTNER)
