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

import json
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check
from strongroom.services.s3 import actions, public
from strongroom.services.s3.base import BUCKET_ROW, BUCKET_SEEN, bucket_of
from strongroom.services.s3.errors import error
from strongroom.services.s3.model import account_configs, bucket_configs

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
# A bucket's policy and Block Public Access (its own and its owner account's), cached per bucket incarnation for
# FACTS_TTL seconds: how stale another node's view of a policy change may be (the authorizer's bound for IAM). The
# owner is read on every request, so a bucket deleted and re-created by another account never inherits a cached view.
FACTS_TTL = 1.0
_facts: dict[tuple[str, str, object], tuple[tuple[str | None, public.BlockPublicAccess], float]] = {}
_facts_lock = threading.Lock()


def forget(bucket: str | None = None) -> None:
    """A bucket's policy or Block Public Access changed on this node (None: an account's): drop the cached facts."""
    with _facts_lock:
        if bucket is None:
            _facts.clear()
        else:
            for key in [k for k in _facts if k[0] == bucket]:
                del _facts[key]


def _bucket_facts(ctx: RequestContext, name: str) -> Facts | None:
    """(owner account, policy text, effective Block Public Access) of a bucket, or None when it does not exist."""
    with ctx.runtime.store.read() as conn:
        row = conn.execute(BUCKET_ROW, {"name": name}).first()
        if row is None:
            return None
        ctx.extras[BUCKET_SEEN] = bucket_of(row)  # the operation reuses this read (S3Base.known_bucket)
        owner = str(row.account_id)
        key = (name, owner, row.created_at)
        now = time.monotonic()
        hit = _facts.get(key)
        if hit is not None and hit[1] > now:
            return owner, *hit[0]
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
    facts = (docs.get("policy"), bpa)
    with _facts_lock:
        if len(_facts) > 10_000:
            _facts.clear()
        _facts[key] = (facts, now + FACTS_TTL)
    return owner, *facts


def _auth_facts(ctx: RequestContext) -> actions.AuthFacts | None:
    found = ctx.extras.get("s3_auth")
    if not isinstance(found, tuple):
        return None
    version, kind, amz_date = found
    age = None
    if isinstance(amz_date, str):
        try:
            signed = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            age = max(0, int((ctx.now() - signed).total_seconds() * 1000))
        except ValueError:
            age = None
    return actions.AuthFacts(auth_type=kind, signature_version=version, signature_age_ms=age)


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
