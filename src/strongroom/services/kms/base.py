"""What every family of KMS operations shares: finding keys by any identifier, state checks, metadata."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from strongroom.core.errors import AwsError
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.kms import model
from strongroom.services.kms.errors import (
    AccessDeniedException,
    DisabledException,
    DryRunOperationException,
    InvalidMarkerException,
    KeyUnavailableException,
    KMSInvalidStateException,
    NotFoundException,
)
from strongroom.services.kms.keystore import KeyRecord, KeyStore
from strongroom.services.kms.operations import OPERATIONS
from strongroom.services.kms.specs import KEY_SPECS, STATE_RULES
from strongroom.services.kms.token_keys import HsmSessions, store_metadata

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

_STATE_MESSAGES = {
    "Disabled": "{arn} is disabled.",
    "PendingDeletion": "{arn} is pending deletion.",
    "PendingReplicaDeletion": "{arn} is pending replica deletion.",
    "PendingImport": "{arn} is pending import.",
    "Unavailable": "{arn} is unavailable.",
    "Creating": "{arn} is being created.",
    "Updating": "{arn} is being updated.",
}


KEY_USE_GRANULARITY = timedelta(minutes=1)

# What a key id can look like: a UUID, or "mrk-" and 32 hex digits for a multi-Region key. Anything else is
# not a key id at all, and AWS says so ("Invalid keyId 'x'") instead of "Key '<arn>' does not exist".
_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}", re.IGNORECASE)


def invalid_marker() -> AwsError:
    return InvalidMarkerException("The request contains an invalid marker.")


def key_arn(account_id: str, region: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:key/{key_id}"


def alias_arn(account_id: str, region: str, alias: str) -> str:
    return f"arn:aws:kms:{region}:{account_id}:{alias}"


def default_policy(account_id: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        },
        indent=2,
    )


class KmsBase(ServiceBase):
    """Shared state and helpers; the operation families (keys.py, crypto.py, ...) build on it.

    A family that needs time-driven work declares ``scheduled_jobs = {"kms-kind": "method_name"}``;
    every declared handler is registered with the scheduler when the provider starts.
    """

    keys: KeyStore
    hsm: HsmSessions

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.keys = KeyStore(runtime.store, runtime.seal)
        self.hsm = HsmSessions(runtime)  # this node's logged-in sessions to custom key stores' tokens
        self._use_noted: dict[str, datetime] = {}  # key ARN -> when this node last wrote last_used_at
        super().__init__(runtime)

    def reset(self) -> None:
        """Test-mode reset: every cached key is gone with the tables."""
        self.keys.forget()
        self.keys._seen_seq = 0
        self._use_noted.clear()

    def note_key_use(self, ctx: RequestContext, record: KeyRecord) -> None:
        """Keep ``last_used_at`` (GetKeyLastUsage) without a write per call: once per key per node per minute.

        The cached record is updated in place, so the hot path still reads no row on a cache hit.
        """
        now = ctx.now()
        last = self._use_noted.get(record.arn)
        if last is not None and timedelta(0) <= now - last < KEY_USE_GRANULARITY:
            return
        self._use_noted[record.arn] = now
        with self.runtime.store.write() as conn:
            conn.execute(update(model.keys).where(model.keys.c.arn == record.arn).values(last_used_at=now))
        with self.keys._lock:
            cached = self.keys._records.get(record.arn)
            if cached is not None:
                self.keys._records[record.arn] = dataclasses.replace(cached, last_used_at=now)

    # -- finding keys -------------------------------------------------------------------------------------

    def find_key(self, ctx: RequestContext, key_ref: str, *, operation: str | None = None) -> KeyRecord:
        """Resolve a key id, key ARN, alias name or alias ARN, as the operation allows.

        AWS managed keys refuse the operations their (AWS-owned) key policy never grants, before any state check.
        """
        record = self._resolve_key(ctx, key_ref, operation=operation)
        op = operation or ctx.operation
        if record.key_manager == "AWS" and _denied_on_managed_keys(op):
            raise AccessDeniedException(
                f"User: {ctx.principal.arn} is not authorized to perform: kms:{op} on resource: {record.arn} "
                f"because no resource-based policy allows the kms:{op} action"
            )
        return record

    def _resolve_key(self, ctx: RequestContext, key_ref: str, *, operation: str | None = None) -> KeyRecord:
        op = operation or ctx.operation
        region, account = ctx.region, ctx.account_id
        ref = key_ref
        if ref.startswith("arn:"):
            parts = ref.split(":", 5)
            if len(parts) != 6 or parts[2] != "kms" or not parts[4]:
                raise NotFoundException(f"Invalid arn {ref}")
            _, _, _, arn_region, arn_account, resource = parts
            if arn_region != region:
                raise NotFoundException(f"Invalid arn {arn_region}")
            account = arn_account
            if resource.startswith("alias/"):
                if not alias_accepted(op):
                    raise NotFoundException(f"Invalid keyId {key_ref}")
                return self._by_alias(account, region, resource, display=ref)
            if not resource.startswith("key/"):
                raise NotFoundException(f"Invalid arn {ref}")
            ref = resource[len("key/") :]
        elif ref.startswith("alias/"):
            if not alias_accepted(op):
                raise NotFoundException(f"Invalid keyId {key_ref}")
            return self._by_alias(account, region, ref, display=alias_arn(account, region, ref))
        elif not _KEY_ID.fullmatch(ref):
            raise NotFoundException(f"Invalid keyId '{key_ref}'")
        return self.keys.require(account, region, ref)

    def _by_alias(self, account: str, region: str, alias: str, *, display: str) -> KeyRecord:
        target = self.keys.alias_target(account, region, alias)
        if target is None:
            raise NotFoundException(f"Alias {display} is not found.")
        return self.keys.require(account, region, target)

    def usable_key(self, ctx: RequestContext, key_ref: str, *, operation: str | None = None) -> KeyRecord:
        """``find_key`` plus AWS's key state table for the operation."""
        record = self.find_key(ctx, key_ref, operation=operation)
        check_state(record, operation or ctx.operation)
        return record

    # -- key material -----------------------------------------------------------------------------------

    def _material(self, record: KeyRecord, material_id: str | None = None) -> bytes:
        material = self.keys.material(record, material_id)
        if material is None:
            raise KeyUnavailableException(f"{record.arn} has no key material available.")
        return material

    # -- pagination ---------------------------------------------------------------------------------------

    @staticmethod
    def encode_marker(kind: str, last: str) -> str:
        """Markers are opaque to clients (``services.base.pages``): the list's kind and the last item's sort key."""
        return pages.encode(kind, last)

    @staticmethod
    def decode_marker(kind: str, marker: str) -> str:
        """The sort key a marker of this ``kind`` of list names; InvalidMarkerException for any other marker."""
        found, last = pages.decode(marker, 2, invalid_marker)
        if found != kind or not isinstance(last, str):
            raise invalid_marker()
        return last

    # -- shapes -------------------------------------------------------------------------------------------

    def key_metadata(self, record: KeyRecord) -> dict[str, Any]:
        spec = KEY_SPECS.get(record.key_spec)
        meta: dict[str, Any] = {
            "AWSAccountId": record.account_id,
            "KeyId": record.key_id,
            "Arn": record.arn,
            "CreationDate": record.created_at,
            "Enabled": record.state == "Enabled",
            "Description": record.description,
            "KeyUsage": record.key_usage,
            "KeyState": record.state,
            "Origin": record.origin,
            "KeyManager": record.key_manager,
            "CustomerMasterKeySpec": record.key_spec,
            "KeySpec": record.key_spec,
            "MultiRegion": record.multi_region,
        }
        if record.deletion_date is not None:
            meta["DeletionDate"] = record.deletion_date
        if record.state in ("PendingDeletion", "PendingReplicaDeletion") and record.pending_window_days:
            meta["PendingDeletionWindowInDays"] = record.pending_window_days
        if record.origin == "EXTERNAL" and record.expiration_model:
            # Set by an import and cleared with the material: a key waiting for material has no model (AWS).
            meta["ExpirationModel"] = record.expiration_model
            if record.valid_to is not None:
                meta["ValidTo"] = record.valid_to
        if record.custom_key_store_id:
            meta["CustomKeyStoreId"] = record.custom_key_store_id
            meta.update(store_metadata(self.runtime, record))
        if spec is not None:
            usage = record.key_usage
            if usage == "ENCRYPT_DECRYPT":
                meta["EncryptionAlgorithms"] = list(spec.encryption)
            elif usage == "SIGN_VERIFY":
                meta["SigningAlgorithms"] = list(spec.signing)
            elif usage == "GENERATE_VERIFY_MAC":
                meta["MacAlgorithms"] = list(spec.mac)
            elif usage == "KEY_AGREEMENT":
                meta["KeyAgreementAlgorithms"] = list(spec.key_agreement)
            elif usage == "ENCAPSULATE_DECAPSULATE":
                meta["EncapsulationAlgorithms"] = list(spec.encapsulation)
        if record.current_material_id and record.key_spec == "SYMMETRIC_DEFAULT":
            meta["CurrentKeyMaterialId"] = record.current_material_id
        if record.multi_region:
            meta["MultiRegionConfiguration"] = self.multi_region_configuration(record)
        return meta

    def multi_region_configuration(self, record: KeyRecord) -> dict[str, Any]:
        """Related multi-Region keys share account and key id across regions; ``primary_arn`` names the primary."""
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(model.keys.c.arn, model.keys.c.region)
                .where(model.keys.c.account_id == record.account_id, model.keys.c.key_id == record.key_id)
                .order_by(model.keys.c.region)
            ).all()
        primary = record.primary_arn or record.arn
        primary_region = primary.split(":")[3]
        return {
            "MultiRegionKeyType": "PRIMARY" if primary == record.arn else "REPLICA",
            "PrimaryKey": {"Arn": primary, "Region": primary_region},
            "ReplicaKeys": [{"Arn": r.arn, "Region": r.region} for r in rows if r.arn != primary],
        }


def alias_accepted(operation: str) -> bool:
    """Whether the operation's KeyId may also be an alias name or alias ARN (AWS API reference, per operation)."""
    spec = OPERATIONS.get(operation)
    return spec is not None and spec.alias_ok


def _denied_on_managed_keys(operation: str) -> bool:
    spec = OPERATIONS.get(operation)
    return spec is not None and spec.managed_key_denied


def check_state(record: KeyRecord, operation: str) -> None:
    """AWS's key state table: the operation's row of ``specs.STATE_RULES`` (``OPERATIONS[op].key_state``)."""
    spec = OPERATIONS.get(operation)
    kind = spec.key_state if spec is not None else None
    if kind is None:
        return
    error = STATE_RULES[kind].get(record.state)
    if error is None:
        return
    if operation == "CancelKeyDeletion":
        raise KMSInvalidStateException(f"{record.arn} is not pending deletion.")
    message = _STATE_MESSAGES.get(record.state, "{arn} is not in a valid state.").format(arn=record.arn)
    raise error(message)


def dry_run(request: dict[str, Any]) -> None:
    """DryRun=true: every check passed; answer as AWS does instead of doing the work."""
    if request.get("DryRun"):
        raise DryRunOperationException("The request would have succeeded, but the DryRun option is set.")


__all__ = ["DisabledException", "KmsBase", "check_state", "default_policy", "dry_run", "key_arn"]
