"""Connections (API key, basic, OAuth client credentials) and API destinations.

Secrets — the API key value, the password, the OAuth client secret and invocation parameters marked
IsValueSecret — are sealed under the root key with the connection ARN as associated data. AWS keeps them in a
Secrets Manager secret it manages (DescribeConnection's SecretArn); Strongroom keeps them in its own table and
returns no SecretArn. Describe and List never return them, as on AWS.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.targets import forget_token, load_connection_secrets
from strongroom.services.events.base import EventsBase
from strongroom.services.events.errors import (
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

AUTH_SECTIONS = {
    "API_KEY": "ApiKeyAuthParameters",
    "BASIC": "BasicAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}
_ENDPOINT = re.compile(r"^https?://[^/\s]+", re.IGNORECASE)


def _split_params(params: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """ConnectionHttpParameters -> (public form with secret values removed, the secret items)."""
    public: dict[str, Any] = {}
    secret: dict[str, Any] = {}
    for group, items in (params or {}).items():
        public[group] = []
        for item in items or []:
            if item.get("IsValueSecret"):
                public[group].append({k: v for k, v in item.items() if k != "Value"})
                secret.setdefault(group, []).append(item)
            else:
                public[group].append(item)
    return public, secret


def split_auth(auth: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """AuthParameters as received -> (what Describe may show, what must be sealed)."""
    public = copy.deepcopy(auth)
    secrets: dict[str, Any] = {}
    if "ApiKeyAuthParameters" in public:
        secrets["ApiKeyValue"] = public["ApiKeyAuthParameters"].pop("ApiKeyValue", None)
    if "BasicAuthParameters" in public:
        secrets["Password"] = public["BasicAuthParameters"].pop("Password", None)
    if "OAuthParameters" in public:
        oauth = public["OAuthParameters"]
        secrets["ClientSecret"] = (oauth.get("ClientParameters") or {}).pop("ClientSecret", None)
        if "OAuthHttpParameters" in oauth:
            oauth["OAuthHttpParameters"], secrets["OAuthHttpParameters"] = _split_params(oauth["OAuthHttpParameters"])
    if "InvocationHttpParameters" in public:
        public["InvocationHttpParameters"], secrets["InvocationHttpParameters"] = _split_params(
            public["InvocationHttpParameters"]
        )
    return public, {k: v for k, v in secrets.items() if v is not None}


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """UpdateConnection: what is given replaces, what is left out stays (secrets included)."""
    merged = copy.deepcopy(old)
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "InvocationHttpParameters":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _connection_summary(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ConnectionArn": row.arn,
        "Name": row.name,
        "ConnectionState": row.state,
        "AuthorizationType": row.auth_type,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.state_reason:
        out["StateReason"] = row.state_reason
    if row.authorized_at:
        out["LastAuthorizedTime"] = row.authorized_at
    return out


def _state_fields(row: Any, state: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ConnectionArn": row.arn,
        "ConnectionState": state or row.state,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.authorized_at:
        out["LastAuthorizedTime"] = row.authorized_at
    return out


def _destination_fields(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ApiDestinationArn": row.arn,
        "Name": row.name,
        "ApiDestinationState": row.state,
        "ConnectionArn": row.connection_arn,
        "InvocationEndpoint": row.endpoint,
        "HttpMethod": row.http_method,
        "CreationTime": row.created_at,
        "LastModifiedTime": row.modified_at,
    }
    if row.rate_limit:
        out["InvocationRateLimitPerSecond"] = row.rate_limit
    if row.description:
        out["Description"] = row.description
    return out


def _check_auth(auth_type: str, auth: dict[str, Any]) -> None:
    section = AUTH_SECTIONS[auth_type]
    if section not in auth:
        raise ValidationException(f"Missing {section} for AuthorizationType {auth_type}.")
    others = [s for t, s in AUTH_SECTIONS.items() if t != auth_type and s in auth]
    if others:
        raise ValidationException(f"{others[0]} can't be used with AuthorizationType {auth_type}.")


def _check_endpoint(endpoint: str) -> None:
    # AWS requires https; Strongroom also accepts http so local receivers work (documented).
    if not _ENDPOINT.match(endpoint):
        raise ValidationException("Parameter InvocationEndpoint is not valid. Reason: must be an http(s) URL.")


class ConnectionOperations(EventsBase):
    def _arn(self, ctx: RequestContext, kind: str, name: str) -> str:
        return f"arn:aws:events:{ctx.region}:{ctx.account_id}:{kind}/{name}/{uuid.uuid4()}"

    def _connection(self, conn: Any, ctx: RequestContext, name: str) -> Any:
        row = conn.execute(
            select(model.connections).where(
                model.connections.c.account_id == ctx.account_id,
                model.connections.c.region == ctx.region,
                model.connections.c.name == name,
            )
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(
                f"Failed to describe the connection(s). Connection '{name}' does not exist."
            )
        return row

    def _seal(self, arn: str, secrets: dict[str, Any]) -> bytes:
        return self.runtime.seal.wrap(json.dumps(secrets).encode(), arn.encode())

    def create_connection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name, auth_type, auth = request["Name"], request["AuthorizationType"], request["AuthParameters"]
        _check_auth(auth_type, auth)
        if auth_type == "OAUTH_CLIENT_CREDENTIALS":
            _check_endpoint(auth["OAuthParameters"]["AuthorizationEndpoint"])
        public, secrets = split_auth(auth)
        arn = self._arn(ctx, "connection", name)
        now = clock.now()
        state = "AUTHORIZING" if auth_type == "OAUTH_CLIENT_CREDENTIALS" else "AUTHORIZED"
        with self.runtime.store.write() as conn:
            try:
                self._connection(conn, ctx, name)
            except ResourceNotFoundException:
                pass
            else:
                raise ResourceAlreadyExistsException(f"Connection {name} already exists.")
            conn.execute(
                model.connections.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    description=request.get("Description"),
                    auth_type=auth_type,
                    auth_public=json.dumps(public),
                    auth_sealed=self._seal(arn, secrets),
                    state=state,
                    created_at=now,
                    modified_at=now,
                    authorized_at=now if state == "AUTHORIZED" else None,
                )
            )
        return {"ConnectionArn": arn, "ConnectionState": state, "CreationTime": now, "LastModifiedTime": now}

    def describe_connection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            row = self._connection(conn, ctx, request["Name"])
        out = _connection_summary(row)
        if row.description:
            out["Description"] = row.description
        out["AuthParameters"] = json.loads(row.auth_public)
        return out

    def update_connection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._connection(conn, ctx, request["Name"])
            auth_type = request.get("AuthorizationType") or row.auth_type
            public, secrets = (
                json.loads(row.auth_public),
                load_connection_secrets(self.runtime.seal, row.arn, row.auth_sealed),
            )
            if request.get("AuthorizationType") and auth_type != row.auth_type:
                public, secrets = {}, {}
            if request.get("AuthParameters"):
                new_public, new_secrets = split_auth(request["AuthParameters"])
                public, secrets = _merge(public, new_public), _merge(secrets, new_secrets)
            _check_auth(auth_type, public)
            now = clock.now()
            state = "AUTHORIZING" if auth_type == "OAUTH_CLIENT_CREDENTIALS" else "AUTHORIZED"
            values: dict[str, Any] = {
                "auth_type": auth_type,
                "auth_public": json.dumps(public),
                "auth_sealed": self._seal(row.arn, secrets),
                "state": state,
                "state_reason": None,
                "modified_at": now,
            }
            if "Description" in request:
                values["description"] = request["Description"]
            if state == "AUTHORIZED":
                values["authorized_at"] = now
            conn.execute(update(model.connections).where(model.connections.c.arn == row.arn).values(**values))
            row = self._connection(conn, ctx, request["Name"])
        forget_token(row.arn)
        return _state_fields(row)

    def delete_connection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._connection(conn, ctx, request["Name"])
            conn.execute(delete(model.connections).where(model.connections.c.arn == row.arn))
        forget_token(row.arn)
        return _state_fields(row, "DELETING")

    def deauthorize_connection(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._connection(conn, ctx, request["Name"])
            conn.execute(
                update(model.connections)
                .where(model.connections.c.arn == row.arn)
                .values(state="DEAUTHORIZED", modified_at=clock.now())
            )
            row = self._connection(conn, ctx, request["Name"])
        forget_token(row.arn)
        return _state_fields(row, "DEAUTHORIZING")

    def list_connections(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.connections)
                .where(model.connections.c.account_id == ctx.account_id, model.connections.c.region == ctx.region)
                .order_by(model.connections.c.name)
            ).all()
        rows = [r for r in rows if r.name.startswith(prefix)]
        if request.get("ConnectionState"):
            rows = [r for r in rows if r.state == request["ConnectionState"]]
        chunk, token = self.page(rows, request, lambda r: r.name)
        out: dict[str, Any] = {"Connections": [_connection_summary(r) for r in chunk]}
        if token:
            out["NextToken"] = token
        return out

    # -- API destinations ----------------------------------------------------------------------------------

    def _destination(self, conn: Any, ctx: RequestContext, name: str) -> Any:
        row = conn.execute(
            select(model.api_destinations).where(
                model.api_destinations.c.account_id == ctx.account_id,
                model.api_destinations.c.region == ctx.region,
                model.api_destinations.c.name == name,
            )
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"An api-destination '{name}' does not exist.")
        return row

    def _require_connection_arn(self, conn: Any, arn: str) -> None:
        found = conn.execute(select(model.connections.c.arn).where(model.connections.c.arn == arn)).first()
        if found is None:
            raise ResourceNotFoundException(f"Connection '{arn}' does not exist.")

    def create_api_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["Name"]
        _check_endpoint(request["InvocationEndpoint"])
        arn = self._arn(ctx, "api-destination", name)
        now = clock.now()
        with self.runtime.store.write() as conn:
            try:
                self._destination(conn, ctx, name)
            except ResourceNotFoundException:
                pass
            else:
                raise ResourceAlreadyExistsException(f"An api-destination '{name}' already exists.")
            self._require_connection_arn(conn, request["ConnectionArn"])
            conn.execute(
                model.api_destinations.insert().values(
                    arn=arn,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=name,
                    description=request.get("Description"),
                    connection_arn=request["ConnectionArn"],
                    endpoint=request["InvocationEndpoint"],
                    http_method=request["HttpMethod"],
                    rate_limit=request.get("InvocationRateLimitPerSecond"),
                    state="ACTIVE",
                    created_at=now,
                    modified_at=now,
                )
            )
        return {"ApiDestinationArn": arn, "ApiDestinationState": "ACTIVE", "CreationTime": now, "LastModifiedTime": now}

    def describe_api_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return _destination_fields(self._destination(conn, ctx, request["Name"]))

    def update_api_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {"modified_at": clock.now()}
        for field, column in (
            ("Description", "description"),
            ("ConnectionArn", "connection_arn"),
            ("InvocationEndpoint", "endpoint"),
            ("HttpMethod", "http_method"),
            ("InvocationRateLimitPerSecond", "rate_limit"),
        ):
            if field in request:
                values[column] = request[field]
        if "InvocationEndpoint" in request:
            _check_endpoint(request["InvocationEndpoint"])
        with self.runtime.store.write() as conn:
            row = self._destination(conn, ctx, request["Name"])
            if "ConnectionArn" in request:
                self._require_connection_arn(conn, request["ConnectionArn"])
            conn.execute(update(model.api_destinations).where(model.api_destinations.c.arn == row.arn).values(**values))
            row = self._destination(conn, ctx, request["Name"])
        fields = _destination_fields(row)
        return {k: fields[k] for k in ("ApiDestinationArn", "ApiDestinationState", "CreationTime", "LastModifiedTime")}

    def delete_api_destination(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._destination(conn, ctx, request["Name"])
            conn.execute(delete(model.api_destinations).where(model.api_destinations.c.arn == row.arn))
        return {}

    def list_api_destinations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        prefix = request.get("NamePrefix") or ""
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.api_destinations)
                .where(
                    model.api_destinations.c.account_id == ctx.account_id,
                    model.api_destinations.c.region == ctx.region,
                )
                .order_by(model.api_destinations.c.name)
            ).all()
        rows = [r for r in rows if r.name.startswith(prefix)]
        if request.get("ConnectionArn"):
            rows = [r for r in rows if r.connection_arn == request["ConnectionArn"]]
        chunk, token = self.page(rows, request, lambda r: r.name)
        out: dict[str, Any] = {
            "ApiDestinations": [{k: v for k, v in _destination_fields(r).items() if k != "Description"} for r in chunk]
        }
        if token:
            out["NextToken"] = token
        return out
