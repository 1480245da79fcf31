"""The KMS operations table equals what the code decided before it existed, operation by operation.

KMS spread one operation's facts over many tables: ``specs.OPERATION_KIND`` (key-state rule),
``specs.AWS_MANAGED_KEY_DENIED``, ``base.ALIAS_ACCEPTED``, ``access.STAR_OPERATIONS`` / ``KEY_OPERATIONS`` /
``_SYMMETRIC_ALGORITHM_DEFAULT`` (now all read from ``kms/operations.py``), plus ``audit/records.py``'s read-only
and default-algorithm sets and ``server/pipeline.py``'s ``_OFF_LOOP``. The constants below are a copy of those KMS
tables as they stood (commit 5b12326) so this test still means something once they are deleted; the ones that
still exist elsewhere are compared live as well.
"""

from __future__ import annotations

import botocore.loaders
import pytest
from botocore import xform_name

from strongroom.core.operations import READ_ONLY_PREFIXES
from strongroom.server import limits
from strongroom.services.kms import access, base, specs
from strongroom.services.kms.operations import OPERATIONS
from strongroom.services.kms.provider import Provider

SERVICE = "kms"
_MODEL = botocore.loaders.create_loader().load_service_model(SERVICE, "service-2")
MODEL_OPERATIONS = sorted(_MODEL["operations"])
IMPLEMENTED = sorted(op for op in MODEL_OPERATIONS if xform_name(op) in vars(Provider))

_CRYPTO = [
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
]
_DESCRIBE = [
    "DescribeKey",
    "GetKeyPolicy",
    "ListKeyPolicies",
    "ListGrants",
    "ListResourceTags",
    "ListAliases",
    "ListKeyRotations",
    "GetKeyRotationStatus",
    "GetKeyLastUsage",
]
_MANAGE = [
    "CreateAlias",
    "UpdateAlias",
    "CreateGrant",
    "RetireGrant",
    "RevokeGrant",
    "PutKeyPolicy",
    "UpdateKeyDescription",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "ReplicateKey",
    "UpdatePrimaryRegion",
]

# What the code held before the operations table (commit 5b12326).
# specs.OPERATION_KIND
KEY_STATE: dict[str, str] = {
    **dict.fromkeys(_CRYPTO, "crypto"),
    **dict.fromkeys(_DESCRIBE, "describe"),
    **dict.fromkeys(_MANAGE, "manage"),
    **dict.fromkeys(("TagResource", "UntagResource"), "tag"),
    **dict.fromkeys(("EnableKeyRotation", "DisableKeyRotation", "RotateKeyOnDemand"), "rotation"),
    "ScheduleKeyDeletion": "schedule_deletion",
    "CancelKeyDeletion": "cancel_deletion",
    **dict.fromkeys(("EnableKey", "DisableKey"), "enable_disable"),
}

# specs.AWS_MANAGED_KEY_DENIED
MANAGED_KEY_DENIED: set[str] = {
    "EnableKey",
    "DisableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "UpdateKeyDescription",
    "PutKeyPolicy",
    "TagResource",
    "UntagResource",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "RotateKeyOnDemand",
    "CreateAlias",
    "UpdateAlias",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "ReplicateKey",
    "UpdatePrimaryRegion",
}

# base.ALIAS_ACCEPTED: the cryptographic operations, DescribeKey and ListAliases
ALIAS_OK: set[str] = {*_CRYPTO, "DescribeKey", "ListAliases"}

# access.STAR_OPERATIONS
STAR: set[str] = {
    "CreateKey",
    "ListKeys",
    "ListAliases",
    "ListRetirableGrants",
    "GenerateRandom",
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
}

# access.KEY_OPERATIONS (every one named by KeyId)
KEY: dict[str, str] = dict.fromkeys(
    [
        "CancelKeyDeletion",
        "CreateGrant",
        "Decapsulate",
        "DeleteImportedKeyMaterial",
        "DeriveSharedSecret",
        "DescribeKey",
        "DisableKey",
        "DisableKeyRotation",
        "EnableKey",
        "EnableKeyRotation",
        "Encapsulate",
        "Encrypt",
        "GenerateDataKey",
        "GenerateDataKeyPair",
        "GenerateDataKeyPairWithoutPlaintext",
        "GenerateDataKeyWithoutPlaintext",
        "GenerateMac",
        "GetKeyLastUsage",
        "GetKeyPolicy",
        "GetKeyRotationStatus",
        "GetParametersForImport",
        "GetPublicKey",
        "ImportKeyMaterial",
        "ListGrants",
        "ListKeyPolicies",
        "ListKeyRotations",
        "ListResourceTags",
        "PutKeyPolicy",
        "ReplicateKey",
        "RevokeGrant",
        "RotateKeyOnDemand",
        "ScheduleKeyDeletion",
        "Sign",
        "TagResource",
        "UntagResource",
        "UpdateKeyDescription",
        "UpdatePrimaryRegion",
        "Verify",
        "VerifyMac",
    ],
    "KeyId",
)

# the operations access.checks() answers by name: Decrypt, ReEncrypt, the three alias ones, RetireGrant
SPECIAL: set[str] = {"Decrypt", "ReEncrypt", "CreateAlias", "DeleteAlias", "UpdateAlias", "RetireGrant"}

# access._SYMMETRIC_ALGORITHM_DEFAULT
SYMMETRIC_CONDITION: set[str] = {
    "Encrypt",
    "Decrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
}

# audit/records.py _KMS_DEFAULT_ALGORITHM + _kms_adjust's member choice (deleted: audit reads the rows)
DEFAULT_ALGORITHM: dict[str, str] = {
    "Encrypt": "encryptionAlgorithm",
    "Decrypt": "encryptionAlgorithm",
    "ReEncrypt": "destinationEncryptionAlgorithm",
}

# audit/records.py READ_ONLY_OPERATIONS (the kms: ones; deleted: audit reads the rows)
READ_ONLY: set[str] = {*_CRYPTO, "GenerateRandom", "Decapsulate"} - {"GetPublicKey"}  # GetPublicKey: by its prefix

# server/pipeline.py _OFF_LOOP (the kms: ones; deleted: the pipeline reads the rows)
OFF_LOOP: set[str] = {"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"}
# The only operations the old tables named that Strongroom does not implement (no row): the server answers them
# NotImplemented before authorization or any key lookup, so their old entries decided nothing but audit readOnly.

# Encapsulate and Decapsulate (ML-KEM) came after the tables: crypto key states and aliases like the others.
UNIMPLEMENTED: set[str] = set()
KEY_STATE.update(dict.fromkeys(("Encapsulate", "Decapsulate"), "crypto"))
ALIAS_OK.update(("Encapsulate", "Decapsulate"))


def test_one_row_per_implemented_operation() -> None:
    assert sorted(OPERATIONS) == IMPLEMENTED
    assert set(MODEL_OPERATIONS) - set(IMPLEMENTED) == UNIMPLEMENTED
    assert all(row.name == name for name, row in OPERATIONS.items())


def _same(old: object, expected: set[str] | dict[str, str]) -> bool:
    if isinstance(expected, dict):
        return isinstance(old, dict) and dict(old) == expected
    return isinstance(old, frozenset | set) and set(old) == expected


def test_copy_equals_the_old_tables_while_they_exist() -> None:
    """The copy above is what the code held; compared with each old table for as long as it is still defined."""
    copies: list[tuple[object, str, set[str] | dict[str, str]]] = [
        (specs, "OPERATION_KIND", KEY_STATE),
        (specs, "AWS_MANAGED_KEY_DENIED", MANAGED_KEY_DENIED),
        (base, "ALIAS_ACCEPTED", ALIAS_OK),
        (access, "STAR_OPERATIONS", STAR),
        (access, "KEY_OPERATIONS", KEY),
        (access, "_SYMMETRIC_ALGORITHM_DEFAULT", SYMMETRIC_CONDITION),
    ]
    for module, name, expected in copies:
        old = getattr(module, name, None)
        assert old is None or _same(old, expected), name


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_kms_facts_as_before(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        assert op in UNIMPLEMENTED
        return
    assert row.key_state == KEY_STATE.get(op)
    assert row.managed_key_denied == (op in MANAGED_KEY_DENIED)
    assert row.alias_ok == (op in ALIAS_OK)
    assert row.symmetric_condition == (op in SYMMETRIC_CONDITION)
    assert row.default_algorithm == DEFAULT_ALGORITHM.get(op)
    if row.key_state is not None:
        assert row.key_state in specs.STATE_RULES


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_access_rule_as_before(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    assert row.special_access == (op in SPECIAL)
    if row.special_access:
        return
    star = row.resource is None
    assert star == (op in STAR)
    assert row.resource == KEY.get(op)
    assert row.actions == ()  # kms:<Operation>


def test_re_encrypt_checks_both_keys() -> None:
    row = OPERATIONS["ReEncrypt"]
    assert row.actions == ("kms:ReEncryptFrom", "kms:ReEncryptTo") and row.resource == "DestinationKeyId"


@pytest.mark.parametrize("op", MODEL_OPERATIONS)
def test_read_only_on_loop_and_body_limit_as_before(op: str) -> None:
    row = OPERATIONS.get(op)
    if row is None:
        return
    prefix_rule = op.startswith(READ_ONLY_PREFIXES)
    read_only = row.read_only if row.read_only is not None else prefix_rule
    assert read_only == (op in READ_ONLY or prefix_rule)
    on_loop = row.on_loop if row.on_loop is not None else read_only
    assert on_loop == (read_only and op not in OFF_LOOP)
    assert row.body_limit is None and limits.body_limit(SERVICE, op) == limits.body_limit(SERVICE)
    assert not row.throttled and row.audit_members == ()
