"""KMS's operations table: what Strongroom knows about each operation it serves, besides its wire shapes.

One row per implemented operation (the same names as ``provider.py``), grouped like it by family module. The
generic facts (``core.operations.Operation``: the request member naming the resource, IAM actions, CloudTrail's
readOnly, whether it may run on the event loop) are read by the server, the authorizer and the audit builder;
the KMS facts below only by this package:

- ``key_state``: the row of ``specs.STATE_RULES`` that decides which key states refuse the operation;
- ``alias_ok``: KeyId may be an alias name or alias ARN (AWS API reference, per operation);
- ``managed_key_denied``: the key policy of an AWS managed key never allows it (AccessDeniedException);
- ``special_access``: ``access.checks`` has its own rule (the key of a ciphertext, ReEncrypt's two keys, aliases,
  RetireGrant) instead of ``kms:<Operation>`` on the key named by ``resource`` (or on "*" when it is None);
- ``symmetric_condition``: kms:EncryptionAlgorithm is SYMMETRIC_DEFAULT when the request names none;
- ``default_algorithm``: the CloudTrail requestParameters member that records SYMMETRIC_DEFAULT when absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

KeyStateRule = Literal[
    "crypto", "describe", "manage", "tag", "rotation", "schedule_deletion", "cancel_deletion", "enable_disable"
]


@dataclass(frozen=True, slots=True)
class KmsOperation(Operation):
    """One KMS operation: the generic facts plus the key-state, alias and access rules of KMS."""

    key_state: KeyStateRule | None = None
    alias_ok: bool = False
    managed_key_denied: bool = False
    special_access: bool = False
    symmetric_condition: bool = False
    default_algorithm: str | None = None


OPERATIONS: Mapping[str, KmsOperation] = operations(
    # keys.py
    KmsOperation("CancelKeyDeletion", resource="KeyId", key_state="cancel_deletion", managed_key_denied=True),
    KmsOperation("CreateKey"),
    KmsOperation("DescribeKey", resource="KeyId", key_state="describe", alias_ok=True),
    KmsOperation("DisableKey", resource="KeyId", key_state="enable_disable", managed_key_denied=True),
    KmsOperation("EnableKey", resource="KeyId", key_state="enable_disable", managed_key_denied=True),
    KmsOperation("GetKeyLastUsage", resource="KeyId", key_state="describe"),
    KmsOperation("ListKeys"),
    KmsOperation("ScheduleKeyDeletion", resource="KeyId", key_state="schedule_deletion", managed_key_denied=True),
    KmsOperation("UpdateKeyDescription", resource="KeyId", key_state="manage", managed_key_denied=True),
    # aliases.py
    KmsOperation("CreateAlias", resource="AliasName", special_access=True, key_state="manage", managed_key_denied=True),
    KmsOperation("DeleteAlias", resource="AliasName", special_access=True),
    KmsOperation("ListAliases", key_state="describe", alias_ok=True),
    KmsOperation("UpdateAlias", resource="AliasName", special_access=True, key_state="manage", managed_key_denied=True),
    # tags.py
    KmsOperation("ListResourceTags", resource="KeyId", key_state="describe"),
    KmsOperation("TagResource", resource="KeyId", key_state="tag", managed_key_denied=True),
    KmsOperation("UntagResource", resource="KeyId", key_state="tag", managed_key_denied=True),
    # policies.py
    KmsOperation("GetKeyPolicy", resource="KeyId", key_state="describe"),
    KmsOperation("ListKeyPolicies", resource="KeyId", key_state="describe"),
    KmsOperation("PutKeyPolicy", resource="KeyId", key_state="manage", managed_key_denied=True),
    # crypto.py
    KmsOperation(
        "Decrypt",
        resource="KeyId",
        read_only=True,
        special_access=True,
        key_state="crypto",
        alias_ok=True,
        default_algorithm="encryptionAlgorithm",
        symmetric_condition=True,
    ),
    KmsOperation(
        "Encrypt",
        resource="KeyId",
        read_only=True,
        key_state="crypto",
        alias_ok=True,
        default_algorithm="encryptionAlgorithm",
        symmetric_condition=True,
    ),
    KmsOperation(
        "GenerateDataKey", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True, symmetric_condition=True
    ),
    KmsOperation(
        "GenerateDataKeyPair",
        resource="KeyId",
        read_only=True,
        on_loop=False,
        key_state="crypto",
        alias_ok=True,
        symmetric_condition=True,
    ),
    KmsOperation(
        "GenerateDataKeyPairWithoutPlaintext",
        resource="KeyId",
        read_only=True,
        on_loop=False,
        key_state="crypto",
        alias_ok=True,
        symmetric_condition=True,
    ),
    KmsOperation(
        "GenerateDataKeyWithoutPlaintext",
        resource="KeyId",
        read_only=True,
        key_state="crypto",
        alias_ok=True,
        symmetric_condition=True,
    ),
    KmsOperation("GenerateRandom", read_only=True),
    KmsOperation(
        "ReEncrypt",
        resource="DestinationKeyId",
        actions=("kms:ReEncryptFrom", "kms:ReEncryptTo"),
        read_only=True,
        special_access=True,
        key_state="crypto",
        alias_ok=True,
        default_algorithm="destinationEncryptionAlgorithm",
    ),
    # signing.py
    KmsOperation("Decapsulate", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    KmsOperation("DeriveSharedSecret", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    # CloudTrail's readOnly as recorded before (tests/support/operation_vectors.py): only Decapsulate is.
    KmsOperation("Encapsulate", resource="KeyId", key_state="crypto", alias_ok=True),
    KmsOperation("GenerateMac", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    KmsOperation("GetPublicKey", resource="KeyId", key_state="crypto", alias_ok=True),
    KmsOperation("Sign", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    KmsOperation("Verify", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    KmsOperation("VerifyMac", resource="KeyId", read_only=True, key_state="crypto", alias_ok=True),
    # rotation.py
    KmsOperation("DisableKeyRotation", resource="KeyId", key_state="rotation", managed_key_denied=True),
    KmsOperation("EnableKeyRotation", resource="KeyId", key_state="rotation", managed_key_denied=True),
    KmsOperation("GetKeyRotationStatus", resource="KeyId", key_state="describe"),
    KmsOperation("ListKeyRotations", resource="KeyId", key_state="describe"),
    KmsOperation("RotateKeyOnDemand", resource="KeyId", key_state="rotation", managed_key_denied=True),
    # imports.py
    KmsOperation("DeleteImportedKeyMaterial", resource="KeyId", key_state="manage", managed_key_denied=True),
    KmsOperation("GetParametersForImport", resource="KeyId", key_state="manage", managed_key_denied=True),
    KmsOperation("ImportKeyMaterial", resource="KeyId", key_state="manage", managed_key_denied=True),
    # multiregion.py
    KmsOperation("ReplicateKey", resource="KeyId", key_state="manage", managed_key_denied=True),
    KmsOperation("UpdatePrimaryRegion", resource="KeyId", key_state="manage", managed_key_denied=True),
    # grants.py
    KmsOperation("CreateGrant", resource="KeyId", key_state="manage"),
    KmsOperation("ListGrants", resource="KeyId", key_state="describe"),
    KmsOperation("ListRetirableGrants"),
    KmsOperation("RetireGrant", resource="KeyId", special_access=True, key_state="manage"),
    KmsOperation("RevokeGrant", resource="KeyId", key_state="manage"),
    # custom_key_stores.py
    KmsOperation("ConnectCustomKeyStore"),
    KmsOperation("CreateCustomKeyStore"),
    KmsOperation("DeleteCustomKeyStore"),
    KmsOperation("DescribeCustomKeyStores"),
    KmsOperation("DisconnectCustomKeyStore"),
    KmsOperation("UpdateCustomKeyStore"),
)
