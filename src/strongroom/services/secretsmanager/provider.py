"""AWS Secrets Manager: the index of every operation Strongroom serves, by family module.

Each family inherits only ``SecretsBase``; the class body below names the function behind each operation.
"""

from __future__ import annotations

from strongroom.services.secretsmanager.deletion import DeletionOperations
from strongroom.services.secretsmanager.passwords import PasswordOperations
from strongroom.services.secretsmanager.policies import ResourcePolicyOperations
from strongroom.services.secretsmanager.replication import ReplicationOperations
from strongroom.services.secretsmanager.rotation import RotationOperations
from strongroom.services.secretsmanager.secrets import SecretOperations
from strongroom.services.secretsmanager.versions import VersionOperations


class Provider(
    SecretOperations,
    VersionOperations,
    PasswordOperations,
    DeletionOperations,
    ResourcePolicyOperations,
    RotationOperations,
    ReplicationOperations,
):
    """Every Secrets Manager operation Strongroom serves; see docs/secrets-manager.md for what differs from AWS."""

    # secrets.py
    create_secret = SecretOperations.create_secret
    describe_secret = SecretOperations.describe_secret
    update_secret = SecretOperations.update_secret
    list_secrets = SecretOperations.list_secrets
    tag_resource = SecretOperations.tag_resource
    untag_resource = SecretOperations.untag_resource
    # versions.py
    put_secret_value = VersionOperations.put_secret_value
    get_secret_value = VersionOperations.get_secret_value
    batch_get_secret_value = VersionOperations.batch_get_secret_value
    list_secret_version_ids = VersionOperations.list_secret_version_ids
    update_secret_version_stage = VersionOperations.update_secret_version_stage
    # passwords.py
    get_random_password = PasswordOperations.get_random_password
    # deletion.py
    delete_secret = DeletionOperations.delete_secret
    restore_secret = DeletionOperations.restore_secret
    # policies.py
    put_resource_policy = ResourcePolicyOperations.put_resource_policy
    get_resource_policy = ResourcePolicyOperations.get_resource_policy
    delete_resource_policy = ResourcePolicyOperations.delete_resource_policy
    list_resource_policies = ResourcePolicyOperations.list_resource_policies
    validate_resource_policy = ResourcePolicyOperations.validate_resource_policy
    # rotation.py
    rotate_secret = RotationOperations.rotate_secret
    cancel_rotate_secret = RotationOperations.cancel_rotate_secret
    # replication.py
    replicate_secret_to_regions = ReplicationOperations.replicate_secret_to_regions
    remove_regions_from_replication = ReplicationOperations.remove_regions_from_replication
    stop_replication_to_replica = ReplicationOperations.stop_replication_to_replica
