"""The S3 policy family, from the management events that change a bucket's exposure:

* Policy:S3/BucketBlockPublicAccessDisabled — DeleteBucketPublicAccessBlock, or PutBucketPublicAccessBlock turning
  any of its four protections off;
* Policy:S3/BucketAnonymousAccessGranted — a bucket policy statement allowing ``"*"`` (or ``{"AWS": "*"}``) with no
  condition, or an ACL (PutBucketAcl, or CreateBucket's canned ACL) granting the AllUsers group;
* Policy:S3/BucketPublicAccessGranted — an ACL granting the AuthenticatedUsers group (every AWS account);
* Stealth:S3/ServerAccessLoggingDisabled — PutBucketLogging with no ``LoggingEnabled``.

Request parameters are read case-insensitively: real trails write ``PublicAccessBlockConfiguration`` and
``bucketPolicy`` (an object), Strongroom's audit trail the model's members camel-cased (``policy`` as a string).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from strongroom.detection.families.base import Context, Detector
from strongroom.detection.families.pentest import _s3_resource

if TYPE_CHECKING:
    from strongroom.detection.contract import FindingDraft
    from strongroom.detection.event import Event

_ALL_USERS = "acs.amazonaws.com/groups/global/allusers"
_AUTHENTICATED = "acs.amazonaws.com/groups/global/authenticatedusers"
_BLOCK_FLAGS = ("blockpublicacls", "ignorepublicacls", "blockpublicpolicy", "restrictpublicbuckets")


def _lower_keys(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


def _find(value: Any, key: str) -> Any:
    """The first value under ``key`` (lower-cased) anywhere in ``value``."""
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        for child in value.values():
            found = _find(child, key)
            if found is not None:
                return found
    elif isinstance(value, list):
        for child in value:
            found = _find(child, key)
            if found is not None:
                return found
    return None


def _block_disabled(api: str, params: Mapping[str, Any]) -> str | None:
    if api == "DeleteBucketPublicAccessBlock":
        return "Policy:S3/BucketBlockPublicAccessDisabled"
    config = _find(params, "publicaccessblockconfiguration")
    if isinstance(config, Mapping) and any(str(config.get(f, True)).lower() == "false" for f in _BLOCK_FLAGS):
        return "Policy:S3/BucketBlockPublicAccessDisabled"
    return None


def _statements(policy: Any) -> list[Mapping[str, Any]]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    policy = _lower_keys(policy)
    statements = policy.get("statement") if isinstance(policy, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    return [s for s in statements or () if isinstance(s, Mapping)]


def _everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("aws")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _policy_grant(api: str, params: Mapping[str, Any]) -> str | None:
    policy = params.get("bucketpolicy") or params.get("policy")
    for statement in _statements(policy):
        allows = str(statement.get("effect", "")).lower() == "allow"
        if allows and _everyone(statement.get("principal")) and not statement.get("condition"):
            return "Policy:S3/BucketAnonymousAccessGranted"
    return None


def _acl_grant(api: str, params: Mapping[str, Any]) -> str | None:
    text = json.dumps(params).lower()
    if _ALL_USERS in text or '"public-read' in text:
        return "Policy:S3/BucketAnonymousAccessGranted"
    if _AUTHENTICATED in text or '"authenticated-read"' in text:
        return "Policy:S3/BucketPublicAccessGranted"
    return None


def _logging_disabled(api: str, params: Mapping[str, Any]) -> str | None:
    status = params.get("bucketloggingstatus")
    if status is None:
        return None
    if isinstance(status, Mapping) and _find(status, "loggingenabled"):
        return None
    return "Stealth:S3/ServerAccessLoggingDisabled"


_CHECKS: dict[str, Callable[[str, Mapping[str, Any]], str | None]] = {
    "PutBucketPublicAccessBlock": _block_disabled,
    "DeleteBucketPublicAccessBlock": _block_disabled,
    "PutBucketPolicy": _policy_grant,
    "PutBucketAcl": _acl_grant,
    "CreateBucket": _acl_grant,
    "PutBucketLogging": _logging_disabled,
}


class BucketExposure(Detector):
    apis = frozenset(_CHECKS)

    def check(self, event: Event, engine: Context, out: list[FindingDraft]) -> None:
        if event.error or event.service != "s3.amazonaws.com":
            return
        params = _lower_keys(event.params())
        kind = _CHECKS[event.api](event.api, params)
        if kind is None:
            return
        bucket = event.bucket()
        resource = _s3_resource(event, bucket)
        out.append(engine.draft(event, kind, resource_key=bucket, values={"bucket": bucket}, resource=resource))
