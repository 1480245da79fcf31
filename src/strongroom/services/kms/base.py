"""What every family of KMS operations shares: finding keys by any identifier, state checks, metadata."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any, ClassVar

from strongroom.services.kms.errors import (
    DisabledException,
    DryRunOperationException,
    InvalidMarkerException,
    KMSInvalidStateException,
    NotFoundException,
)
from strongroom.services.kms.keystore import KeyRecord, KeyStore
from strongroom.services.kms.specs import KEY_SPECS, OPERATION_KIND, STATE_RULES

if TYPE_CHECKING:
    from strongroom.server.context import RequestContext
    from strongroom.server.runtime import Runtime

# Operations whose KeyId may also be an alias name or alias ARN (AWS API reference, per operation).
ALIAS_ACCEPTED = frozenset(
    {
        "DescribeKey",
        "Encrypt",
        "Decrypt",
        "ReEncrypt",
        "GenerateDataKey",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "Sign",
        "Verify",
        "GenerateMac",
        "VerifyMac",
        "GetPublicKey",
        "DeriveSharedSecret",
        "ListAliases",
    }
)

_STATE_MESSAGES = {
    "Disabled": "{arn} is disabled.",
    "PendingDeletion": "{arn} is pending deletion.",
    "PendingReplicaDeletion": "{arn} is pending replica deletion.",
    "PendingImport": "{arn} is pending import.",
    "Unavailable": "{arn} is unavailable.",
    "Creating": "{arn} is being created.",
    "Updating": "{arn} is being updated.",
}


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


class KmsBase:
    """Shared state and helpers; the operation families (keys.py, crypto.py, ...) build on it.

    A family that needs time-driven work declares ``scheduled_jobs = {"kms-kind": "method_name"}``;
    every declared handler is registered with the scheduler when the provider starts.
    """

    runtime: Runtime
    keys: KeyStore
    scheduled_jobs: ClassVar[dict[str, str]] = {}

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.keys = KeyStore(runtime.store, runtime.seal)
        for cls in type(self).__mro__:
            for kind, method in vars(cls).get("scheduled_jobs", {}).items():
                runtime.scheduler.register(kind, getattr(self, method))

    def reset(self) -> None:
        """Test-mode reset: every cached key is gone with the tables."""
        self.keys.forget()
        self.keys._seen_seq = 0

    # -- finding keys -------------------------------------------------------------------------------------

    def find_key(self, ctx: RequestContext, key_ref: str, *, operation: str | None = None) -> KeyRecord:
        """Resolve a key id, key ARN, alias name or alias ARN, as the operation allows."""
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
                if op not in ALIAS_ACCEPTED:
                    raise NotFoundException(f"Invalid keyId {key_ref}")
                return self._by_alias(account, region, resource, display=ref)
            if not resource.startswith("key/"):
                raise NotFoundException(f"Invalid arn {ref}")
            ref = resource[len("key/") :]
        elif ref.startswith("alias/"):
            if op not in ALIAS_ACCEPTED:
                raise NotFoundException(f"Invalid keyId {key_ref}")
            return self._by_alias(account, region, ref, display=alias_arn(account, region, ref))
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

    # -- pagination ---------------------------------------------------------------------------------------

    @staticmethod
    def encode_marker(last: str) -> str:
        """Markers are opaque to clients: base64 of the last item's sort key."""
        return base64.urlsafe_b64encode(last.encode()).decode()

    @staticmethod
    def decode_marker(marker: str) -> str:
        try:
            return base64.urlsafe_b64decode(marker.encode()).decode()
        except (ValueError, UnicodeDecodeError):
            raise InvalidMarkerException("The request contains an invalid marker.") from None

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
        if record.origin == "EXTERNAL":
            meta["ExpirationModel"] = record.expiration_model or "KEY_MATERIAL_DOES_NOT_EXPIRE"
            if record.valid_to is not None:
                meta["ValidTo"] = record.valid_to
        if record.custom_key_store_id:
            meta["CustomKeyStoreId"] = record.custom_key_store_id
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
        if record.current_material_id and record.key_spec == "SYMMETRIC_DEFAULT":
            meta["CurrentKeyMaterialId"] = record.current_material_id
        return meta


def check_state(record: KeyRecord, operation: str) -> None:
    kind = OPERATION_KIND.get(operation)
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
