"""CloudTrail data events for S3 objects: whether a call is recorded at all, and its record.

An operation whose row says ``data_event`` (S3 object operations) is recorded only when a logging trail selects it,
and then only for the accounts whose trails do. Which accounts may receive it is AWS's rule for S3: the requester
and the bucket owner ("CloudTrail always delivers logs to the requester"; the bucket owner's trail gets the calls
on its buckets). Each of the two gets its own record (own ``eventID`` and ``recipientAccountId``, one
``sharedEventID``) when its trails select it, as the selectors of that account's trails decide
(``selectors.py``). Event history never shows them: their rows carry ``model.DATA_EVENT_ROW_TYPE`` and
LookupEvents leaves those out.

S3 GETs are the hottest calls of the server, so the question "does any trail select data events" is answered from
a snapshot of the logging trails that have data selectors, reloaded at most once a second (``REFRESH_SECONDS``,
the bound every cache of the server keeps across nodes) and at once on this node when a trail changes
(``invalidate``, called by the CloudTrail operations). With no such trail anywhere the whole decision is a time
comparison. Bucket owners (the bucket resource's ``accountId``) come from the ``bucket_owner`` hook the server wires
(``audit/`` does not import S3), cached as briefly.

The record follows CloudTrail's S3 data events: ``requestParameters`` ``{bucketName, Host, key, ...}`` with the
request's query parameters and ``x-amz-*`` headers as S3 records them (never the body, a customer key or a
signature), ``additionalEventData`` ``{SignatureVersion, bytesTransferredIn, AuthenticationMethod, x-amz-id-2,
bytesTransferredOut}``, ``resources`` ``[{type: AWS::S3::Object, ARN}, {accountId: owner, type: AWS::S3::Bucket,
ARN}]``, ``managementEvent: false``, ``eventCategory: "Data"``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson
from sqlalchemy import select

from strongroom.audit import model, selectors
from strongroom.audit.records import (
    EVENT_VERSION,
    CallFacts,
    bound,
    event_source,
    is_read_only,
    iso_time,
    minimal_record,
    user_identity,
)
from strongroom.core import ids
from strongroom.protocol.codecs.restxml import host_id

if TYPE_CHECKING:
    from strongroom.protocol.http import HttpRequest
    from strongroom.store.engine import Store

log = logging.getLogger("strongroom.audit.data")

REFRESH_SECONDS = 1.0
OWNER_SECONDS = 1.0
_MAX_OWNERS = 10_000

# Request members S3 records in requestParameters under their header or query names.
_REQUEST_MEMBERS = (
    ("VersionId", "versionId"),
    ("UploadId", "uploadId"),
    ("PartNumber", "partNumber"),
    ("ACL", "x-amz-acl"),
    ("ServerSideEncryption", "x-amz-server-side-encryption"),
    ("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id"),
    ("SSECustomerAlgorithm", "x-amz-server-side-encryption-customer-algorithm"),
    ("StorageClass", "x-amz-storage-class"),
    ("CopySource", "x-amz-copy-source"),
    ("MetadataDirective", "x-amz-metadata-directive"),
    ("TaggingDirective", "x-amz-tagging-directive"),
    ("ObjectLockMode", "x-amz-object-lock-mode"),
    ("ObjectLockLegalHoldStatus", "x-amz-object-lock-legal-hold"),
    ("BypassGovernanceRetention", "x-amz-bypass-governance-retention"),
)
# Response members S3 records in responseElements of a write, under their header names.
_RESPONSE_MEMBERS = (
    ("ServerSideEncryption", "x-amz-server-side-encryption"),
    ("SSEKMSKeyId", "x-amz-server-side-encryption-aws-kms-key-id"),
    ("BucketKeyEnabled", "x-amz-server-side-encryption-bucket-key-enabled"),
    ("VersionId", "x-amz-version-id"),
    ("DeleteMarker", "x-amz-delete-marker"),
)
# Query parameters that carry credentials or signatures: never recorded.
_SECRET_QUERY = frozenset(
    {"x-amz-signature", "x-amz-credential", "x-amz-security-token", "signature", "awsaccesskeyid", "x-amz-sso_bearer"}
)


@dataclass(frozen=True, slots=True)
class TrailView:
    """What the filter needs of one logging trail with data selectors."""

    arn: str
    region: str
    multi_region: bool
    basic: list[dict[str, Any]] | None
    advanced: list[dict[str, Any]] | None

    def takes(self, record: Mapping[str, Any]) -> bool:
        if not self.multi_region and record.get("awsRegion") != self.region:
            return False
        return selectors.matches(record, self.basic, self.advanced)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    by_account: dict[str, tuple[TrailView, ...]]
    loaded_at: float  # time.monotonic()
    generation: int


class DataEvents:
    """``runtime.audit.data_events``: the data-event filter and record builder (see the module docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        # The account owning an S3 bucket (None: no such bucket); wired by the server.
        self.bucket_owner: Callable[[str], str | None] | None = None
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None
        self._generation = 0
        self._owners: dict[str, tuple[str | None, float]] = {}

    # -- which trails select data events -------------------------------------------------------------------------

    def invalidate(self) -> None:
        """A trail changed on this node: the next data event reloads the trails (other nodes within a second)."""
        with self._lock:
            self._generation += 1
            self._owners.clear()

    def trails(self) -> dict[str, tuple[TrailView, ...]]:
        """Account -> its logging trails that have data selectors (empty: no data event is recorded anywhere)."""
        snap = self._snapshot
        if snap is not None and self._fresh(snap, time.monotonic()):
            return snap.by_account
        with self._lock:
            snap = self._snapshot
            generation = self._generation
            now = time.monotonic()
            if snap is not None and self._fresh(snap, now):
                return snap.by_account
            try:
                loaded = self._load()
            except Exception:
                if snap is None:
                    raise
                # Keep deciding from what was known a moment ago rather than failing every S3 call; retry soon.
                log.exception("could not reload the trails that select data events")
                loaded = snap.by_account
            self._snapshot = _Snapshot(loaded, now, generation)
            return loaded

    def _fresh(self, snap: _Snapshot, now: float) -> bool:
        return snap.generation == self._generation and now - snap.loaded_at < REFRESH_SECONDS

    def _load(self) -> dict[str, tuple[TrailView, ...]]:
        t = model.trails
        query = select(
            t.c.arn,
            t.c.account_id,
            t.c.region,
            t.c.is_multi_region_trail,
            t.c.event_selectors,
            t.c.advanced_event_selectors,
        ).where(t.c.is_logging.is_(True))
        with self.store.read() as conn:
            rows = conn.execute(query).all()
        found: dict[str, list[TrailView]] = {}
        for row in rows:
            basic = orjson.loads(row.event_selectors) if row.event_selectors else None
            advanced = orjson.loads(row.advanced_event_selectors) if row.advanced_event_selectors else None
            if not selectors.selects_data(basic, advanced):
                continue
            view = TrailView(row.arn, row.region, bool(row.is_multi_region_trail), basic, advanced)
            found.setdefault(row.account_id, []).append(view)
        return {account: tuple(views) for account, views in found.items()}

    def owner(self, bucket: str) -> str | None:
        """The bucket's owner account (cached for ``OWNER_SECONDS``); None when unknown."""
        now = time.monotonic()
        hit = self._owners.get(bucket)
        if hit is not None and now < hit[1]:
            return hit[0]
        lookup = self.bucket_owner
        found: str | None = None
        if lookup is not None:
            try:
                found = lookup(bucket)
            except Exception:
                log.exception("could not look up the owner of bucket %s", bucket)
        if len(self._owners) >= _MAX_OWNERS:
            self._owners.clear()
        self._owners[bucket] = (found, now + OWNER_SECONDS)
        return found

    # -- the records ---------------------------------------------------------------------------------------------

    def records(self, facts: CallFacts) -> list[dict[str, Any]]:
        """The record(s) of one S3 object call, one per account whose trails select it; [] when none does."""
        by_account = self.trails()
        if not by_account:
            return []
        target = _target(facts)
        if target is None:
            return []
        bucket, keys = target
        caller = facts.principal.account_id if facts.principal is not None else ""
        owner = self.owner(bucket)
        candidates = [a for a in dict.fromkeys((caller, owner)) if a and a in by_account]
        if not candidates:
            return []
        record = self._record(facts, bucket, keys, owner)
        takers = [a for a in candidates if any(view.takes(record) for view in by_account[a])]
        if not takers:
            return []
        if caller and owner and caller != owner:
            record["sharedEventID"] = ids.uuid4()
        out = []
        for account in takers:
            copy = dict(record, eventID=ids.uuid4(), recipientAccountId=account)
            out.append(_ordered(copy))
        return out

    def _record(self, facts: CallFacts, bucket: str, keys: list[str], owner: str | None) -> dict[str, Any]:
        principal = facts.principal
        identity = user_identity(principal) if principal is not None else {"type": "Unknown"}
        if facts.invoked_by is not None:
            identity["invokedBy"] = facts.invoked_by
        read_only = is_read_only("s3", facts.event_name, facts.spec)
        resources: list[dict[str, Any]] = [
            {"type": selectors.S3_OBJECT, "ARN": f"arn:aws:s3:::{bucket}/{k}"} for k in keys
        ]
        bucket_entry: dict[str, Any] = {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
        if owner:
            bucket_entry = {"accountId": owner, **bucket_entry}
        resources.append(bucket_entry)
        record: dict[str, Any] = {
            "eventVersion": EVENT_VERSION,
            "userIdentity": identity,
            "eventTime": iso_time(facts.event_time),
            "eventSource": event_source(facts.service, "s3"),
            "eventName": facts.event_name,
            "awsRegion": facts.region or "us-east-1",
            "sourceIPAddress": facts.source_ip,
            "userAgent": facts.user_agent,
        }
        if facts.error_code is not None:
            record["errorCode"] = facts.error_code
            if facts.error_message:
                record["errorMessage"] = facts.error_message
        record["requestParameters"] = _request_parameters(facts, bucket, keys)
        record["responseElements"] = None if facts.error_code or read_only else _response_elements(facts.output)
        record["additionalEventData"] = _additional(facts)
        record["requestID"] = facts.request_id
        record["eventID"] = ""
        record["readOnly"] = read_only
        record["resources"] = resources
        record["eventType"] = "AwsApiCall"
        record["managementEvent"] = False
        record["recipientAccountId"] = None
        record["eventCategory"] = "Data"
        if facts.tls_host is not None:
            record["tlsDetails"] = {"clientProvidedHostHeader": facts.tls_host}
        return bound(record)


def minimal_data_record(facts: CallFacts) -> dict[str, Any]:
    """What is stored when building a data event failed: who, what, when, the outcome; still a data event, so
    event history does not show it."""
    record = minimal_record(facts)
    record.update(eventSource="s3.amazonaws.com", managementEvent=False, eventCategory="Data")
    return record


_ORDER = (
    "eventVersion",
    "userIdentity",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestParameters",
    "responseElements",
    "additionalEventData",
    "requestID",
    "eventID",
    "readOnly",
    "resources",
    "eventType",
    "managementEvent",
    "recipientAccountId",
    "sharedEventID",
    "eventCategory",
    "tlsDetails",
)


def _ordered(record: dict[str, Any]) -> dict[str, Any]:
    """CloudTrail's member order (sharedEventID is added after the record is built)."""
    return {name: record[name] for name in _ORDER if name in record}


def _target(facts: CallFacts) -> tuple[str, list[str]] | None:
    """(bucket, object keys) of the call: from its input, else from the request path (input not decoded)."""
    params = facts.params or {}
    bucket = params.get("Bucket")
    if isinstance(bucket, str) and bucket:
        if facts.event_name == "DeleteObjects":
            delete = params.get("Delete")
            objects = delete.get("Objects") if isinstance(delete, dict) else None
            return bucket, [str(o.get("Key", "")) for o in objects or () if isinstance(o, dict)]
        key = params.get("Key")
        return bucket, [key] if isinstance(key, str) else []
    http = facts.http
    if http is None:
        return None
    name, _, key = unquote(http.path.lstrip("/")).partition("/")
    if not name:
        return None
    return name, [key] if key and facts.event_name != "DeleteObjects" else []


def _request_parameters(facts: CallFacts, bucket: str, keys: list[str]) -> dict[str, Any]:
    params = facts.params or {}
    out: dict[str, Any] = {"bucketName": bucket}
    http = facts.http
    host = http.headers.get("host") if http is not None else None
    if host:
        out["Host"] = host
    if facts.event_name == "DeleteObjects":
        out["delete"] = ""
    elif keys:
        out["key"] = keys[0]
    for member, name in _REQUEST_MEMBERS:
        value = params.get(member)
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str | int):
            out[name] = value
    if http is not None:
        for name, value in http.query_params():
            if name.lower() not in _SECRET_QUERY:
                out.setdefault(name, value)
    return out


def _response_elements(output: dict[str, Any] | None) -> dict[str, Any] | None:
    if not output:
        return None
    out: dict[str, Any] = {}
    for member, name in _RESPONSE_MEMBERS:
        value = output.get(member)
        if isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif isinstance(value, str | int):
            out[name] = value
    return out or None


def _signature(http: HttpRequest | None) -> tuple[str, str] | None:
    """(SignatureVersion, AuthenticationMethod) as S3 records them; None for an anonymous or in-process call."""
    if http is None:
        return None
    authorization = http.headers.get("authorization", "")
    if authorization.startswith("AWS4-"):
        return "SigV4", "AuthHeader"
    if authorization.startswith("AWS "):
        return "SigV2", "AuthHeader"
    names = {name.lower() for name, _ in http.query_params()}
    if "x-amz-algorithm" in names:
        return "SigV4", "QueryString"
    if "signature" in names and "awsaccesskeyid" in names:
        return "SigV2", "QueryString"
    return None


def _bytes_in(facts: CallFacts) -> int:
    http = facts.http
    if http is not None:
        for header in ("x-amz-decoded-content-length", "content-length"):
            value = http.headers.get(header, "")
            if value.isdigit():
                return int(value)
        return len(http.body)
    body = (facts.params or {}).get("Body")
    return len(body) if isinstance(body, bytes | bytearray) else 0


def _additional(facts: CallFacts) -> dict[str, Any]:
    signature = _signature(facts.http)
    out: dict[str, Any] = {}
    if signature is not None:
        out["SignatureVersion"] = signature[0]
    out["bytesTransferredIn"] = _bytes_in(facts)
    if signature is not None:
        out["AuthenticationMethod"] = signature[1]
    out["x-amz-id-2"] = host_id(facts.request_id)
    length = (facts.output or {}).get("ContentLength") if facts.error_code is None else None
    out["bytesTransferredOut"] = length if isinstance(length, int) and facts.event_name == "GetObject" else 0
    return out
