"""What the pipeline's audit step learns about requests that never authenticated or never routed."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from strongroom.audit.records import CallFacts, ClaimedKey
from strongroom.iam import sigv4
from strongroom.protocol.http import HttpRequest
from strongroom.protocol.router import credential_scope

if TYPE_CHECKING:
    from strongroom.audit.runtime import AuditRuntime


def claimed_key(runtime: AuditRuntime, request: HttpRequest, facts: CallFacts) -> None:
    """Fill in the access key a failed request claimed, its owner (if the key exists) and its scope's region.

    AWS leaves such requests out of CloudTrail; Strongroom records them under the key owner's account so brute
    force and probing with stolen key ids are visible to that account.
    """
    try:
        info = sigv4.parse_credentials(request)
    except Exception:
        info = None
    scope = credential_scope(request)
    if facts.region is None:
        facts.region = info.region if info is not None else (scope[0] if scope else runtime.config.default_region)
    if info is None:
        return
    facts.access_key_id = info.access_key_id[:128]
    try:
        key = runtime.accounts.lookup(info.access_key_id)
    except Exception:
        key = None
    if key is None:
        return
    facts.claimed = ClaimedKey(
        access_key_id=key.access_key_id,
        account_id=key.account_id,
        principal_type=key.principal_type,
        principal_arn=key.principal_arn,
        principal_id=key.principal_id,
        user_name=key.user_name,
    )


def operation_hint(request: HttpRequest) -> str | None:
    """The operation name a request that did not route asked for (X-Amz-Target or the query Action)."""
    target = request.headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1][:128] or None
    for name, value in parse_qsl(request.query_string):
        if name == "Action":
            return value[:128] or None
    if request.body and request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            for name, value in parse_qsl(request.body.decode("utf-8")):
                if name == "Action":
                    return value[:128] or None
        except UnicodeDecodeError:
            return None
    return None
