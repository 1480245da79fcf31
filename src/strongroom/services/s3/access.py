"""S3's authorization table for the access-control evaluator: actions and resources from ``actions.py``, the bucket
policy as the resource policy, the bucket owner as the resource's account, S3's condition keys, and Block Public
Access (``public.py``) applied to the policy before it is evaluated.

* Each ``(action, ARN)`` pair of ``actions.s3_checks`` is one check; every one must be allowed.
* The resource policy is the policy of the bucket the ARN names; the resource's account is that bucket's owner, so
  a caller from another account needs both its own identity policy and the bucket policy (AWS's cross-account rule).
* RestrictPublicBuckets: a bucket whose policy is public is closed to anonymous and cross-account callers, and its
  own account's callers are judged against the policy without its public statements.
* Anonymous callers are evaluated (``ANONYMOUS_CALLERS``): only a bucket policy granting ``*`` lets them in.
* A request naming a bucket that does not exist is not checked here: the operation answers NoSuchBucket, as S3
  does (bucket names are global and public through DNS anyway). CreateBucket and ListBuckets are always checked.
* DeleteObjects is authorized key by key by the operation (a denied key is an ``Errors`` entry, not a failed call).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check
from strongroom.iam.sigv4 import SigV4Error, amz_epoch
from strongroom.services.s3 import actions, public
from strongroom.services.s3.base import BUCKET_READ, BUCKET_SEEN, Bucket, bucket_of_mapping
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import account_configs, bucket_configs
from strongroom.store.engine import Store

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

ANONYMOUS_CALLERS = True
_ALWAYS_CHECKED = frozenset({"CreateBucket", "ListBuckets"})
_BYPASS = "BypassGovernanceRetention"  # not an operation: ``S3Base.authorize_as`` asks for the permission alone


def access_denied(message: str) -> AwsError:
    return error("AccessDenied", message or "Access Denied")


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    bucket = arn.split(":::", 1)[-1].split("/", 1)[0]
    with runtime.store.read() as conn:
        text: str | None = conn.execute(
            select(bucket_configs.c.document).where(
                bucket_configs.c.bucket == bucket, bucket_configs.c.kind == "policy"
            )
        ).scalar()
    if text is None:
        return None
    return str(json.loads(text))  # the document is the policy text as a JSON string


Facts = tuple[str, str | None, public.BlockPublicAccess]


@dataclass(frozen=True, slots=True)
class _Entry:
    bucket: Bucket
    facts: Facts


class _BucketCache:
    """Each bucket's row, policy and Block Public Access (its own and its owner account's) as authorization reads
    them on every request.

    On SQLite every process of the database shares a change signal (``store/signals.py``): an entry is exact, kept
    until a bucket, its policy or its account's Block Public Access changes anywhere (``forget``). On PostgreSQL
    (nodes on other hosts) the row is read on every request and only the policy and Block Public Access are kept,
    per bucket incarnation, for FACTS_TTL seconds: how stale another node's view of a policy change may be (the
    authorizer's bound for IAM). Either way a bucket deleted and re-created by another account never inherits a
    cached view. Nothing is cached for a bucket that does not exist: a CreateBucket on another process is seen
    at once.
    """

    def __init__(self, store: Store) -> None:
        self.signal = store.signal("s3-buckets")
        self.noted = self.signal.value() if self.signal is not None else b""
        self.entries: dict[str, _Entry] = {}
        self.timed: dict[tuple[str, str, object], tuple[Facts, float]] = {}
        self.lock = threading.Lock()

    def current(self) -> bytes:
        """The signal's value now; entries filed under an older one are dropped."""
        assert self.signal is not None
        value = self.signal.value()
        if value != self.noted:
            with self.lock:
                if value != self.noted:
                    self.entries.clear()
                    self.noted = value
        return value

    def keep(self, name: str, entry: _Entry, noted: bytes) -> None:
        with self.lock:
            if noted == self.noted:  # nothing changed since the read began
                if len(self.entries) > 10_000:
                    self.entries.clear()
                self.entries[name] = entry

    def drop(self, bucket: str | None) -> None:
        with self.lock:
            if bucket is None:
                self.entries.clear()
                self.timed.clear()
                return
            self.entries.pop(bucket, None)
            for key in [k for k in self.timed if k[0] == bucket]:
                del self.timed[key]


FACTS_TTL = 1.0
_caches: WeakKeyDictionary[Store, _BucketCache] = WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(store: Store) -> _BucketCache:
    found = _caches.get(store)
    if found is None:
        with _caches_lock:
            found = _caches.get(store)
            if found is None:
                found = _caches[store] = _BucketCache(store)
    return found


def forget(store: Store, bucket: str | None = None) -> None:
    """A bucket, its policy or Block Public Access changed (None: an account's), and the change is committed: drop
    this process's view and tell the others (their next request reads again)."""
    cache = _cache(store)
    cache.drop(bucket)
    if cache.signal is not None:
        cache.signal.bump()


def _bucket_facts(ctx: RequestContext, name: str) -> Facts | None:
    """(owner account, policy text, effective Block Public Access) of a bucket, or None when it does not exist."""
    cache = _cache(ctx.runtime.store)
    noted = b""
    if cache.signal is not None:
        noted = cache.current()
        hit = cache.entries.get(name)
        if hit is not None:
            ctx.extras[BUCKET_SEEN] = hit.bucket  # the operation reuses this read (S3Base.known_bucket)
            return hit.facts
    row = ctx.runtime.store.first(BUCKET_READ, {"name": name})
    if row is None:
        return None
    bucket = bucket_of_mapping(row)
    ctx.extras[BUCKET_SEEN] = bucket
    owner = bucket.account_id
    key = (name, owner, bucket.created_at)
    now = time.monotonic()
    timed = cache.timed.get(key) if cache.signal is None else None
    if timed is not None and timed[1] > now:
        return timed[0]
    with ctx.runtime.store.read() as conn:
        docs = {
            r.kind: json.loads(r.document)
            for r in conn.execute(
                select(bucket_configs.c.kind, bucket_configs.c.document).where(
                    bucket_configs.c.bucket == name, bucket_configs.c.kind.in_(("policy", "public_access_block"))
                )
            )
        }
        account_doc = conn.execute(
            select(account_configs.c.document).where(
                account_configs.c.account_id == owner, account_configs.c.kind == "public_access_block"
            )
        ).scalar()
    bpa = public.BlockPublicAccess.from_config(docs.get("public_access_block") or {})
    if account_doc is not None:
        bpa = bpa.merge(public.BlockPublicAccess.from_config(json.loads(account_doc)))
    facts: Facts = (owner, docs.get("policy"), bpa)
    if cache.signal is not None:
        cache.keep(name, _Entry(bucket, facts), noted)
    else:
        with cache.lock:
            if len(cache.timed) > 10_000:
                cache.timed.clear()
            cache.timed[key] = (facts, now + FACTS_TTL)
    return facts


def _auth_facts(ctx: RequestContext) -> actions.AuthFacts | None:
    found = ctx.extras.get("s3_auth")
    if not isinstance(found, tuple):
        return None
    version, kind, amz_date = found
    age = None
    if isinstance(amz_date, str):
        signed = _signed_at(amz_date)
        if signed is not None:
            age = max(0, int((clock.time() - signed) * 1000))
    return actions.AuthFacts(auth_type=kind, signature_version=version, signature_age_ms=age)


@functools.lru_cache(maxsize=256)  # clients sign with the current second: the same few dates recur
def _signed_at(amz_date: str) -> int | None:
    """Epoch seconds of the ``X-Amz-Date`` authentication accepted (None for a shape it did not have)."""
    if (
        len(amz_date) != 16
        or amz_date[8] != "T"
        or amz_date[15] != "Z"
        or not amz_date.replace("T", "").rstrip("Z").isdigit()
    ):
        return None
    try:
        return amz_epoch(amz_date)
    except SigV4Error:
        return None


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    operation = ctx.operation
    if operation == "DeleteObjects":
        return []
    if operation == _BYPASS:
        pairs = [("s3:BypassGovernanceRetention", actions.object_arn(params["Bucket"], params["Key"]))]
    else:
        try:
            pairs = actions.s3_checks(operation, params)
        except actions.InvalidCopySource as exc:
            raise error("InvalidArgument", str(exc), ArgumentName="x-amz-copy-source") from None
    headers = ctx.extras.get("s3_headers")
    context = actions.request_conditions(
        operation, params, headers if isinstance(headers, dict) else None, _auth_facts(ctx)
    )
    caller_account = ctx.principal.account_id or None
    is_service = ctx.principal.type == "AWSService"
    out: list[Check] = []
    seen: dict[str, Facts | None] = {}
    for action, arn in pairs:
        if operation == "CreateBucket":
            # a name taken by another account is that account's bucket, but creating one is the caller's own act:
            # judged on the caller's policies alone, and answered BucketAlreadyExists by the operation
            out.append(Check(action, arn, context=context, lookup_resource_policy=False))
            continue
        if not arn.startswith("arn:aws:s3:::"):
            out.append(Check(action, arn, context=context))  # iam:PassRole, ListBuckets' "*"
            continue
        bucket = arn[len("arn:aws:s3:::") :].split("/", 1)[0]
        if bucket not in seen:
            seen[bucket] = _bucket_facts(ctx, bucket)
        facts = seen[bucket]
        if facts is None:
            if operation in _ALWAYS_CHECKED:
                out.append(Check(action, arn, context=context, lookup_resource_policy=False))
                continue
            return []  # the operation answers NoSuchBucket
        owner, policy, bpa = facts
        effective = policy
        if policy is not None and bpa.restrict_public_buckets and public.is_public_policy(policy):
            if bpa.restricts(caller_account, owner, is_service, True):
                effective = None
            else:
                effective = public.without_public_statements(policy)
        out.append(
            Check(
                action,
                arn,
                context=context,
                resource_policy=effective or "",
                resource_account=owner,
                lookup_resource_policy=False,
            )
        )
    return out
