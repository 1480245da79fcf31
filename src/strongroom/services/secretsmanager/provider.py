"""AWS Secrets Manager: one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from strongroom.services.secretsmanager.deletion import DeletionOperations
from strongroom.services.secretsmanager.passwords import PasswordOperations
from strongroom.services.secretsmanager.policies import PolicyOperations
from strongroom.services.secretsmanager.replication import ReplicationOperations
from strongroom.services.secretsmanager.rotation import RotationOperations
from strongroom.services.secretsmanager.secrets import SecretOperations
from strongroom.services.secretsmanager.versions import VersionOperations


class Provider(
    SecretOperations,
    VersionOperations,
    PasswordOperations,
    DeletionOperations,
    PolicyOperations,
    RotationOperations,
    ReplicationOperations,
):
    """Every Secrets Manager operation Strongroom serves; see docs/secrets-manager.md for what differs from AWS."""
