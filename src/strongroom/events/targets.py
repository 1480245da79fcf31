"""Target kinds and delivery: one attempt per outbox row (``run_delivery``, the scheduler job), retries, dead letters.

Input transformation is in ``transform.py``; the outbox rows and the retry policy in ``delivery.py``.

Supported targets: API destinations (HTTP through urllib3 with the connection's API key, basic or OAuth
client-credentials auth, at most InvocationRateLimitPerSecond requests per second per destination), another
event bus on this server, and Strongroom's built-in log target ``arn:strongroom:events-log:REGION:ACCOUNT:NAME``,
which records what it receives for ``strongroom events tail`` and tests. Lambda and every other AWS target
type are refused at PutTargets until Strongroom implements them.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import urllib3
from sqlalchemy import select, update

from strongroom.core.clock import clock
from strongroom.events import model
from strongroom.events.bus import bus_exists, route
from strongroom.events.delivery import (
    DEAD,
    PENDING,
    DeliveryError,
    Throttled,
    backoff,
    mark_delivered,
    retry_policy,
)
from strongroom.scheduler.jobs import JobContext, JobResult

if TYPE_CHECKING:
    from strongroom.events.runtime import EventsRuntime
    from strongroom.keyring.seal import Seal
    from strongroom.store.engine import Store

LOG_ARN = re.compile(r"^arn:strongroom:events-log:([a-z0-9-]+):(\d{12}):([A-Za-z0-9._/-]{1,256})$")
BUS_ARN = re.compile(r"^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):event-bus/([/.\-_A-Za-z0-9]+)$")
DEST_ARN = re.compile(r"^arn:aws[\w-]*:events:([a-z0-9-]+):(\d{12}):api-destination/([.\-_A-Za-z0-9]+)(/.*)?$")
RETRYABLE_STATUS = frozenset({401, 407, 409, 429})
HTTP_TIMEOUT = urllib3.Timeout(connect=5.0, read=5.0)  # AWS gives API destinations 5 seconds
# The scheduler job's messages keep the logger name they had when it lived in delivery.py.
log = logging.getLogger("strongroom.events.delivery")
_http = urllib3.PoolManager(num_pools=32, retries=False, timeout=HTTP_TIMEOUT)


def target_kind(arn: str) -> str | None:
    """``log`` | ``event-bus`` | ``api-destination``, or None for a target type Strongroom cannot deliver to."""
    if LOG_ARN.match(arn):
        return "log"
    if BUS_ARN.match(arn):
        return "event-bus"
    if DEST_ARN.match(arn):
        return "api-destination"
    return None


def unsupported_reason(arn: str) -> str:
    service = arn.split(":")[2] if arn.count(":") >= 2 else ""
    if service == "lambda":
        return "Lambda function targets are not supported by Strongroom yet."
    return f"Target {arn} is not a supported target type (API destination, event bus or Strongroom log)."


# -- delivery -----------------------------------------------------------------------------------------------


def deliver(runtime: EventsRuntime, row: Any, spec: dict[str, Any]) -> None:
    """One attempt for an outbox row; raises DeliveryError or Throttled, or marks the row delivered."""
    kind = target_kind(row.target_arn)
    if kind == "log":
        m = LOG_ARN.match(row.target_arn)
        assert m is not None
        with runtime.store.write() as conn:
            if mark_delivered(conn, row.id):
                conn.execute(
                    model.event_log.insert().values(
                        account_id=m.group(2),
                        region=m.group(1),
                        name=m.group(3),
                        outbox_id=row.id,
                        rule_arn=row.rule_arn,
                        payload=row.payload,
                        delivered_at=clock.now(),
                    )
                )
        return
    if kind == "event-bus":
        m = BUS_ARN.match(row.target_arn)
        assert m is not None
        region, account, name = m.group(1), m.group(2), m.group(3)
        event = json.loads(row.event)
        with runtime.store.write() as conn:
            if not bus_exists(conn, account, region, name):
                raise DeliveryError(f"Event bus {name} does not exist.", retryable=False, code="ResourceNotFound")
            if mark_delivered(conn, row.id):
                route(conn, event, account, region, name)
        return
    if kind == "api-destination":
        _deliver_http(runtime, row, spec)
        with runtime.store.write() as conn:
            mark_delivered(conn, row.id)
        return
    raise DeliveryError(unsupported_reason(row.target_arn), retryable=False, code="UnsupportedTarget")


# -- the scheduler job ---------------------------------------------------------------------------------------


def run_delivery(runtime: EventsRuntime, ctx: JobContext) -> JobResult | None:
    """The scheduler job: one attempt for one outbox row."""
    with runtime.store.read() as conn:
        row = conn.execute(select(model.outbox).where(model.outbox.c.id == ctx.key)).one_or_none()
    if row is None or row.state != PENDING:
        return None
    spec = json.loads(row.target_spec)
    max_retries, max_age = retry_policy(spec)
    now = clock.now()
    if (now - row.event_time).total_seconds() > max_age:
        _dead_letter(runtime.store, row, spec, "MaximumEventAgeInSeconds", row.last_error)
        return None
    try:
        deliver(runtime, row, spec)
    except Throttled as exc:
        return JobResult.again(now + timedelta(seconds=exc.wait))
    except DeliveryError as exc:
        return _failed(runtime.store, row, spec, exc, max_retries, max_age, now)
    except Exception as exc:  # a bug must not lose the event: count it as a retryable failure
        log.exception("delivery of %s to %s failed unexpectedly", row.event_id, row.target_arn)
        return _failed(runtime.store, row, spec, DeliveryError(type(exc).__name__), max_retries, max_age, now)
    return None


def _failed(
    store: Store, row: Any, spec: dict[str, Any], exc: DeliveryError, max_retries: int, max_age: int, now: datetime
) -> JobResult | None:
    attempts = row.attempts + 1
    message = f"{exc.code}: {exc}"[:2000]
    if not exc.retryable:
        _dead_letter(store, row, spec, "NonRetryableError", message, attempts)
        return None
    if attempts > max_retries:
        _dead_letter(store, row, spec, "MaximumRetryAttempts", message, attempts)
        return None
    next_at = now + timedelta(seconds=backoff(attempts))
    with store.write() as conn:
        conn.execute(
            update(model.outbox)
            .where(model.outbox.c.id == row.id, model.outbox.c.state == PENDING)
            .values(attempts=attempts, next_attempt_at=next_at, last_error=message)
        )
    log.info(
        "delivery of %s to %s failed (attempt %d), retrying at %s", row.event_id, row.target_arn, attempts, next_at
    )
    return JobResult.again(next_at)


def _dead_letter(
    store: Store, row: Any, spec: dict[str, Any], reason: str, error: str | None, attempts: int | None = None
) -> None:
    with store.write() as conn:
        conn.execute(
            update(model.outbox)
            .where(model.outbox.c.id == row.id, model.outbox.c.state == PENDING)
            .values(
                state=DEAD,
                dead_reason=reason,
                last_error=error,
                attempts=row.attempts if attempts is None else attempts,
                next_attempt_at=None,
                dead_letter_arn=(spec.get("DeadLetterConfig") or {}).get("Arn"),
            )
        )
    log.warning("event %s for %s dead-lettered: %s", row.event_id, row.target_arn, reason)


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets per API destination (per node), refilled at InvocationRateLimitPerSecond."""

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: int | None) -> None:
        if not rate:
            return
        with self._lock:
            now = time.monotonic()
            bucket = self._buckets.setdefault(key, _Bucket(float(rate), now))
            bucket.tokens = min(float(rate), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            raise Throttled((1.0 - bucket.tokens) / rate)


limiter = RateLimiter()
_tokens: dict[str, tuple[str, float]] = {}  # connection ARN -> (OAuth access token, expiry epoch seconds)
_tokens_lock = threading.Lock()


def load_connection_secrets(seal: Seal, arn: str, sealed: bytes) -> dict[str, Any]:
    return dict(json.loads(seal.unwrap(sealed, arn.encode())))


def _deliver_http(runtime: EventsRuntime, row: Any, spec: dict[str, Any]) -> None:
    m = DEST_ARN.match(row.target_arn)
    assert m is not None
    dest_arn = f"arn:aws:events:{m.group(1)}:{m.group(2)}:api-destination/{m.group(3)}"
    with runtime.store.read() as conn:
        dest = conn.execute(
            select(model.api_destinations).where(
                model.api_destinations.c.name == m.group(3),
                model.api_destinations.c.account_id == m.group(2),
                model.api_destinations.c.region == m.group(1),
            )
        ).one_or_none()
        conn_row = None
        if dest is not None:
            conn_row = conn.execute(
                select(model.connections).where(model.connections.c.arn == dest.connection_arn)
            ).one_or_none()
    if dest is None or conn_row is None:
        raise DeliveryError(f"API destination {dest_arn} or its connection does not exist.", retryable=False)
    if dest.state != "ACTIVE" or conn_row.state == "DEAUTHORIZED":
        raise DeliveryError(f"API destination {dest.name} is not active.", retryable=True)
    limiter.take(dest.arn, dest.rate_limit)
    auth = json.loads(conn_row.auth_public)
    secrets = load_connection_secrets(runtime.seal, conn_row.arn, conn_row.auth_sealed)
    http_params = spec.get("HttpParameters") or {}
    url = dest.endpoint
    for value in http_params.get("PathParameterValues") or []:
        url = url.replace("*", quote(str(value), safe=""), 1)
    headers: dict[str, str] = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Amazon/EventBridge/ApiDestinations",
    }
    query: dict[str, str] = {}
    body_extra: dict[str, str] = {}
    invocation = auth.get("InvocationHttpParameters") or {}
    secret_invocation = secrets.get("InvocationHttpParameters") or {}
    for group, target in (
        ("HeaderParameters", headers),
        ("QueryStringParameters", query),
        ("BodyParameters", body_extra),
    ):
        for item in [*(invocation.get(group) or []), *(secret_invocation.get(group) or [])]:
            if "Key" in item and item.get("Value") is not None:
                target[item["Key"]] = str(item["Value"])
    headers.update({str(k): str(v) for k, v in (http_params.get("HeaderParameters") or {}).items()})
    query.update({str(k): str(v) for k, v in (http_params.get("QueryStringParameters") or {}).items()})
    auth_type = conn_row.auth_type
    if auth_type == "API_KEY":
        headers[auth["ApiKeyAuthParameters"]["ApiKeyName"]] = secrets["ApiKeyValue"]
    elif auth_type == "BASIC":
        pair = f"{auth['BasicAuthParameters']['Username']}:{secrets['Password']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif auth_type == "OAUTH_CLIENT_CREDENTIALS":
        headers["Authorization"] = "Bearer " + _oauth_token(runtime.store, conn_row.arn, auth, secrets)
    body: bytes | None = row.payload.encode()
    if body_extra:
        try:
            doc = json.loads(row.payload)
            if isinstance(doc, dict):
                body = json.dumps({**doc, **body_extra}).encode()
        except ValueError:
            pass
    if dest.http_method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        body = None
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    try:
        response = _http.request(dest.http_method, url, body=body, headers=headers, redirect=False)
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__} connecting to the endpoint", code="SDK_CLIENT_ERROR") from None
    status = response.status
    if 200 <= status < 300:
        return
    retryable = status >= 500 or status in RETRYABLE_STATUS
    raise DeliveryError(f"Endpoint answered HTTP {status}", retryable=retryable, code=f"HTTP_{status}")


def _oauth_token(store: Store, arn: str, auth: dict[str, Any], secrets: dict[str, Any]) -> str:
    """Client-credentials grant against the connection's authorization endpoint, cached until it expires."""
    with _tokens_lock:
        cached = _tokens.get(arn)
        if cached and cached[1] > clock.time() + 30:
            return cached[0]
    oauth = auth["OAuthParameters"]
    client_id = oauth["ClientParameters"]["ClientID"]
    pair = f"{client_id}:{secrets['ClientSecret']}".encode()
    headers = {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    params = oauth.get("OAuthHttpParameters") or {}
    secret_params = secrets.get("OAuthHttpParameters") or {}
    query: dict[str, str] = {}
    form: dict[str, str] = {"grant_type": "client_credentials"}
    for group, target in (("HeaderParameters", headers), ("QueryStringParameters", query), ("BodyParameters", form)):
        for item in [*(params.get(group) or []), *(secret_params.get(group) or [])]:
            if "Key" in item and item.get("Value") is not None:
                target[item["Key"]] = str(item["Value"])
    url = oauth["AuthorizationEndpoint"]
    if query:
        url += ("&" if "?" in url else "?") + urlencode(query)
    method = oauth.get("HttpMethod", "POST")
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        response = _http.request(method, url, body=urlencode(form).encode(), headers=headers, redirect=False)
    except urllib3.exceptions.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__} reaching the authorization endpoint") from None
    token: str | None = None
    expires_in = 3600.0
    if 200 <= response.status < 300:
        try:
            doc = json.loads(response.data)
            token = doc.get("access_token")
            expires_in = float(doc.get("expires_in") or 3600)
        except (ValueError, AttributeError):
            token = None
    now = clock.now()
    with store.write() as conn:
        if token:
            conn.execute(
                update(model.connections)
                .where(model.connections.c.arn == arn)
                .values(state="AUTHORIZED", state_reason=None, authorized_at=now)
            )
        else:
            conn.execute(
                update(model.connections)
                .where(model.connections.c.arn == arn)
                .values(state_reason=f"Authorization endpoint answered HTTP {response.status}")
            )
    if not token:
        raise DeliveryError(f"OAuth authorization failed with HTTP {response.status}", code="AUTHORIZATION_FAILED")
    with _tokens_lock:
        _tokens[arn] = (token, clock.time() + expires_in)
    return token


def forget_token(arn: str) -> None:
    with _tokens_lock:
        _tokens.pop(arn, None)


# -- the log target -----------------------------------------------------------------------------------------


def log_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:strongroom:events-log:{region}:{account_id}:{name}"


def read_log(store: Store, name: str | None = None, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """Entries the log target recorded, oldest first, after sequence number ``after``."""
    query = select(model.event_log).where(model.event_log.c.seq > after).order_by(model.event_log.c.seq).limit(limit)
    if name is not None:
        query = query.where(model.event_log.c.name == name)
    with store.read() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "seq": r.seq,
            "name": r.name,
            "account": r.account_id,
            "region": r.region,
            "ruleArn": r.rule_arn,
            "deliveredAt": r.delivered_at.isoformat(),
            "payload": r.payload,
        }
        for r in rows
    ]
