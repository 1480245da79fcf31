"""Grants: CreateGrant, ListGrants, RetireGrant, RevokeGrant, ListRetirableGrants (stored and returned here;
access control evaluates them).

A grant token is the grant's id and key ARN sealed under the root key: any token CreateGrant handed out for a
grant identifies it (as on AWS, every call returns a fresh token), cannot be forged, and needs no lookup table.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from strongroom.keyring.seal import UnwrapError
from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, check_state, dry_run
from strongroom.services.kms.errors import (
    InvalidGrantIdException,
    InvalidGrantTokenException,
    InvalidMarkerException,
    LimitExceededException,
    NotFoundException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_GRANTS_PER_KEY = 50_000  # AWS KMS resource quota "Grants per KMS key"
MAX_CONTEXT_PAIRS = 8
MAX_CONTEXT_VALUE = 384
DEFAULT_GRANT_PAGE = 50
_MARKER_KIND = "grants"
_TOKEN_AAD = b"kms:grant-token"
_GRANT_ID = re.compile(r"^[0-9a-f]{64}$")

_SYMMETRIC_OPS = frozenset(
    {
        "Decrypt",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "ReEncryptFrom",
        "ReEncryptTo",
    }
)
_ALWAYS = frozenset({"CreateGrant", "RetireGrant", "DescribeKey"})

# AWS KMS Developer Guide, "Grant operations": which operations a grant may allow, by the key's type and usage.
GRANT_OPERATIONS: dict[str, frozenset[str]] = {
    "SYMMETRIC_DEFAULT": _ALWAYS | _SYMMETRIC_OPS,
    "ENCRYPT_DECRYPT": _ALWAYS | {"Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey"},
    "SIGN_VERIFY": _ALWAYS | {"Sign", "Verify", "GetPublicKey"},
    "GENERATE_VERIFY_MAC": _ALWAYS | {"GenerateMac", "VerifyMac"},
    "KEY_AGREEMENT": _ALWAYS | {"DeriveSharedSecret", "GetPublicKey"},
    "ENCAPSULATE_DECAPSULATE": _ALWAYS | {"Encapsulate", "Decapsulate", "GetPublicKey"},
}


def allowed_operations(record: KeyRecord) -> frozenset[str]:
    if record.key_spec == "SYMMETRIC_DEFAULT":
        return GRANT_OPERATIONS["SYMMETRIC_DEFAULT"]
    return GRANT_OPERATIONS.get(record.key_usage, _ALWAYS)


def grant_entry(row: Any) -> dict[str, Any]:
    """A kms_grants row in the GrantListEntry shape."""
    entry: dict[str, Any] = {
        "KeyId": row.key_arn,
        "GrantId": row.grant_id,
        "CreationDate": row.created_at,
        "IssuingAccount": row.issuing_account,
        "Operations": json.loads(row.operations),
    }
    if row.name:
        entry["Name"] = row.name
    entry["GranteeServicePrincipal" if row.grantee_is_service else "GranteePrincipal"] = row.grantee_principal
    if row.retiring_principal:
        entry["RetiringServicePrincipal" if row.retiring_is_service else "RetiringPrincipal"] = row.retiring_principal
    if row.constraints:
        entry["Constraints"] = json.loads(row.constraints)
    return entry


class GrantOperations(KmsBase):
    # -- tokens ---------------------------------------------------------------------------------------------

    def _new_token(self, grant_id: str, key_arn: str) -> str:
        blob = self.keys.seal.wrap(json.dumps({"g": grant_id, "k": key_arn}).encode(), _TOKEN_AAD)
        return base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def read_grant_token(self, token: str) -> tuple[str, str]:
        """(grant id, key ARN) named by a grant token; InvalidGrantTokenException for anything else."""
        try:
            blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            data = json.loads(self.keys.seal.unwrap(blob, _TOKEN_AAD))
            return str(data["g"]), str(data["k"])
        except (ValueError, UnwrapError, KeyError, TypeError):
            raise InvalidGrantTokenException("The grant token is invalid.") from None

    def _check_grant_tokens(self, request: dict[str, Any]) -> None:
        for token in request.get("GrantTokens") or []:
            self.read_grant_token(token)

    # -- CreateGrant ------------------------------------------------------------------------------------------

    def create_grant(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        grantee, grantee_service = request.get("GranteePrincipal"), request.get("GranteeServicePrincipal")
        retiring, retiring_service = request.get("RetiringPrincipal"), request.get("RetiringServicePrincipal")
        if bool(grantee) == bool(grantee_service):
            raise ValidationException("You must specify either GranteePrincipal or GranteeServicePrincipal, not both.")
        if retiring and retiring_service:
            raise ValidationException("You can specify either RetiringPrincipal or RetiringServicePrincipal, not both.")
        constraints = request.get("Constraints") or {}
        if grantee_service:
            if not constraints.get("SourceArn"):
                raise ValidationException("A grant for a GranteeServicePrincipal requires a SourceArn constraint.")
            if not (retiring or retiring_service):
                raise ValidationException(
                    "A grant for a GranteeServicePrincipal requires a RetiringPrincipal or RetiringServicePrincipal."
                )
        self._check_grant_tokens(request)
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        operations = list(dict.fromkeys(request["Operations"]))
        if not operations:
            raise ValidationException("A grant must allow at least one operation.")
        invalid = [op for op in operations if op not in allowed_operations(record)]
        if invalid:
            raise ValidationException(
                f"Grant operations {', '.join(invalid)} are not valid for a KMS key with key spec "
                f"{record.key_spec} and key usage {record.key_usage}."
            )
        self._check_constraints(record, constraints)
        dry_run(request)
        stored_constraints = json.dumps(constraints, sort_keys=True) if constraints else None
        name = request.get("Name")
        with self.runtime.store.write() as conn:
            if name:
                for row in conn.execute(
                    select(model.grants).where(model.grants.c.key_arn == record.arn, model.grants.c.name == name)
                ).all():
                    same = (
                        row.grantee_principal == (grantee or grantee_service)
                        and bool(row.grantee_is_service) == bool(grantee_service)
                        and row.retiring_principal == (retiring or retiring_service)
                        and sorted(json.loads(row.operations)) == sorted(operations)
                        and row.constraints == stored_constraints
                    )
                    if same:  # a retry of the same named grant: same id, fresh token
                        return {"GrantId": row.grant_id, "GrantToken": self._new_token(row.grant_id, record.arn)}
            count = conn.execute(select(func.count()).where(model.grants.c.key_arn == record.arn)).scalar_one()
            if count >= MAX_GRANTS_PER_KEY:
                raise LimitExceededException(f"The grants quota ({MAX_GRANTS_PER_KEY}) for {record.arn} is reached.")
            grant_id = secrets.token_hex(32)
            token = self._new_token(grant_id, record.arn)
            conn.execute(
                model.grants.insert().values(
                    grant_id=grant_id,
                    key_arn=record.arn,
                    name=name,
                    grantee_principal=grantee or grantee_service,
                    grantee_is_service=bool(grantee_service),
                    retiring_principal=retiring or retiring_service,
                    retiring_is_service=bool(retiring_service),
                    issuing_account=f"arn:aws:iam::{ctx.account_id}:root",
                    operations=json.dumps(operations),
                    constraints=stored_constraints,
                    token=token,
                    created_at=ctx.now(),
                )
            )
        return {"GrantId": grant_id, "GrantToken": token}

    @staticmethod
    def _check_constraints(record: KeyRecord, constraints: dict[str, Any]) -> None:
        for member in ("EncryptionContextEquals", "EncryptionContextSubset"):
            context = constraints.get(member)
            if context is None:
                continue
            if record.key_spec != "SYMMETRIC_DEFAULT":
                raise ValidationException(
                    f"{member} grant constraints are supported only on symmetric encryption KMS keys; "
                    f"{record.arn} has key spec {record.key_spec}."
                )
            if len(context) > MAX_CONTEXT_PAIRS:
                raise ValidationException(
                    f"A {member} grant constraint can include at most {MAX_CONTEXT_PAIRS} encryption context pairs."
                )
            if any(len(value) > MAX_CONTEXT_VALUE for value in context.values()):
                raise ValidationException(
                    f"Encryption context values in a {member} grant constraint cannot exceed "
                    f"{MAX_CONTEXT_VALUE} characters."
                )

    # -- listing -------------------------------------------------------------------------------------------------

    def _page(self, stmt: Any, request: dict[str, Any]) -> dict[str, Any]:
        limit = request.get("Limit") or DEFAULT_GRANT_PAGE
        if request.get("Marker"):
            after = self.decode_marker(_MARKER_KIND, request["Marker"])
            if not _GRANT_ID.match(after):
                raise InvalidMarkerException("The request contains an invalid marker.")
            stmt = stmt.where(model.grants.c.grant_id > after)
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt.order_by(model.grants.c.grant_id).limit(limit + 1)).all()
        page = rows[:limit]
        out: dict[str, Any] = {"Grants": [grant_entry(r) for r in page], "Truncated": len(rows) > limit}
        if len(rows) > limit:
            out["NextMarker"] = self.encode_marker(_MARKER_KIND, page[-1].grant_id)
        return out

    def list_grants(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        stmt = select(model.grants).where(model.grants.c.key_arn == record.arn)
        if request.get("GrantId"):
            if not _GRANT_ID.match(request["GrantId"]):
                raise InvalidGrantIdException("Invalid grant ID.")
            stmt = stmt.where(model.grants.c.grant_id == request["GrantId"])
        if request.get("GranteePrincipal"):
            stmt = stmt.where(
                model.grants.c.grantee_principal == request["GranteePrincipal"],
                model.grants.c.grantee_is_service.is_(False),
            )
        if request.get("GranteeServicePrincipal"):
            stmt = stmt.where(
                model.grants.c.grantee_principal == request["GranteeServicePrincipal"],
                model.grants.c.grantee_is_service.is_(True),
            )
        return self._page(stmt, request)

    def list_retirable_grants(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        principal, service = request.get("RetiringPrincipal"), request.get("RetiringServicePrincipal")
        if bool(principal) == bool(service):
            raise ValidationException("You must specify either RetiringPrincipal or RetiringServicePrincipal.")
        stmt = (
            select(model.grants)
            .join(model.keys, model.keys.c.arn == model.grants.c.key_arn)
            .where(
                model.keys.c.region == ctx.region,
                model.grants.c.retiring_principal == (principal or service),
                model.grants.c.retiring_is_service.is_(bool(service)),
            )
        )
        return self._page(stmt, request)

    # -- retiring and revoking ----------------------------------------------------------------------------------

    def retire_grant(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        token, key_ref, grant_id = request.get("GrantToken"), request.get("KeyId"), request.get("GrantId")
        if token:
            token_grant, token_arn = self.read_grant_token(token)
            if grant_id and grant_id != token_grant:
                raise InvalidGrantIdException("The grant ID does not match the grant token.")
            grant_id = token_grant
            if key_ref is None:
                key_ref = token_arn
        elif not (key_ref and grant_id):
            raise ValidationException("Either a GrantToken, or both a KeyId and a GrantId, must be specified.")
        assert key_ref is not None and grant_id is not None
        record = self.find_key(ctx, key_ref)
        check_state(record, ctx.operation)
        self._delete_grant(record, grant_id, request)
        return {}

    def revoke_grant(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        record = self.find_key(ctx, request["KeyId"])
        check_state(record, ctx.operation)
        self._delete_grant(record, request["GrantId"], request)
        return {}

    def _delete_grant(self, record: KeyRecord, grant_id: str, request: dict[str, Any]) -> None:
        if not _GRANT_ID.match(grant_id):
            raise InvalidGrantIdException("Invalid grant ID.")
        where = (model.grants.c.grant_id == grant_id) & (model.grants.c.key_arn == record.arn)
        with self.runtime.store.write() as conn:
            if conn.execute(select(model.grants.c.grant_id).where(where)).first() is None:
                raise NotFoundException(f"Grant ID {grant_id} not found for key {record.arn}.")
            dry_run(request)
            conn.execute(delete(model.grants).where(where))
