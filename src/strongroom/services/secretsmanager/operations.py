"""Secrets Manager's operations table: per implemented operation, the request member naming the secret (None: "*").

Authorization reads ``access.py`` (every operation with a ``SecretId`` is asked on that secret's ARN, the rest on
"*"; BatchGetSecretValue checks GetSecretValue per secret itself). Read-only follows CloudTrail's prefix rule,
except ValidateResourcePolicy, which CloudTrail records as read-only.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    # secrets.py
    Operation("CreateSecret"),
    Operation("DescribeSecret", resource="SecretId"),
    Operation("UpdateSecret", resource="SecretId"),
    Operation("ListSecrets"),
    Operation("TagResource", resource="SecretId"),
    Operation("UntagResource", resource="SecretId"),
    # versions.py
    Operation("PutSecretValue", resource="SecretId"),
    Operation("GetSecretValue", resource="SecretId"),
    Operation("BatchGetSecretValue"),
    Operation("ListSecretVersionIds", resource="SecretId"),
    Operation("UpdateSecretVersionStage", resource="SecretId"),
    # passwords.py
    Operation("GetRandomPassword"),
    # deletion.py
    Operation("DeleteSecret", resource="SecretId"),
    Operation("RestoreSecret", resource="SecretId"),
    # policies.py
    Operation("PutResourcePolicy", resource="SecretId"),
    Operation("GetResourcePolicy", resource="SecretId"),
    Operation("DeleteResourcePolicy", resource="SecretId"),
    Operation("ListResourcePolicies", resource="SecretId"),
    Operation("ValidateResourcePolicy", resource="SecretId", read_only=True),
    # rotation.py
    Operation("RotateSecret", resource="SecretId"),
    Operation("CancelRotateSecret", resource="SecretId"),
    # replication.py
    Operation("ReplicateSecretToRegions", resource="SecretId"),
    Operation("RemoveRegionsFromReplication", resource="SecretId"),
    Operation("StopReplicationToReplica", resource="SecretId"),
)
