"""Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies.

Policies are stored and returned here; evaluating them (and the lockout safety check) is the access-control
layer's job. A key has exactly one policy, named ``default``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, update

from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, check_state
from strongroom.services.kms.errors import (
    InvalidMarkerException,
    LimitExceededException,
    MalformedPolicyDocumentException,
    NotFoundException,
)

if TYPE_CHECKING:
    from datetime import datetime

    from strongroom.services.base.runtime import RequestContext

POLICY_NAME = "default"
# AWS KMS Developer Guide, "Change a key policy": the document cannot exceed 32 KB (32,768 bytes).
MAX_POLICY_BYTES = 32 * 1024


def check_policy_document(policy: str) -> None:
    """The structural checks KMS makes before storing a policy; its principals are not resolved here."""
    if len(policy.encode()) > MAX_POLICY_BYTES:
        raise LimitExceededException(f"Policy document exceeds the maximum size of {MAX_POLICY_BYTES} bytes.")
    try:
        doc = json.loads(policy)
    except ValueError:
        # AWS answers an unparsable policy with this code and no message.
        raise MalformedPolicyDocumentException("") from None
    if not isinstance(doc, dict):
        raise MalformedPolicyDocumentException("")
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise MalformedPolicyDocumentException("Policy contains a statement with no principal.")
    for statement in statements:
        if not isinstance(statement, dict):
            raise MalformedPolicyDocumentException("")
        if "Principal" not in statement and "NotPrincipal" not in statement:
            raise MalformedPolicyDocumentException("Policy contains a statement with no principal.")
        if statement.get("Effect") not in ("Allow", "Deny"):
            raise MalformedPolicyDocumentException("Policy contains a statement with an invalid effect.")


def store_policy_meta(conn: Connection, key_arn: str, *, bypass: bool, now: datetime) -> None:
    """Remember BypassPolicyLockoutSafetyCheck for the access-control layer (one row per key)."""
    conn.execute(delete(model.policy_meta).where(model.policy_meta.c.key_arn == key_arn))
    conn.execute(model.policy_meta.insert().values(key_arn=key_arn, bypass_lockout_check=bypass, updated_at=now))


def _check_name(request: dict[str, Any]) -> None:
    name = request.get("PolicyName") or POLICY_NAME
    if name != POLICY_NAME:
        raise NotFoundException(f"Policy name {name} does not exist. The only valid policy name is default.")


class KeyPolicyOperations(KmsBase):
    def get_key_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        _check_name(request)
        return {"Policy": record.policy, "PolicyName": POLICY_NAME}

    def put_key_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        _check_name(request)
        policy = request["Policy"]
        check_policy_document(policy)
        with self.runtime.store.write() as conn:
            conn.execute(update(model.keys).where(model.keys.c.arn == record.arn).values(policy=policy))
            store_policy_meta(
                conn, record.arn, bypass=bool(request.get("BypassPolicyLockoutSafetyCheck")), now=ctx.now()
            )
            self.keys.changed(conn, [record.arn])
        self.keys.forget([record.arn])
        return {}

    def list_key_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        if request.get("Marker"):
            # There is only ever one page, so any marker is one KMS never issued.
            raise InvalidMarkerException("The request contains an invalid marker.")
        return {"PolicyNames": [POLICY_NAME], "Truncated": False}
