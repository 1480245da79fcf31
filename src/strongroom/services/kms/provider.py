"""AWS KMS: the index of every operation Strongroom serves, each pointing at the family method that implements it.

The server dispatches by ``getattr(Provider(runtime), snake_case(operation))``; every such name is listed below,
grouped by the family module that implements it, so nothing is found through the inheritance chain. The
families share one state (``KmsBase``: the runtime, the key cache), so ``Provider`` still inherits them all.
"""

from __future__ import annotations

from strongroom.services.kms.aliases import AliasOperations
from strongroom.services.kms.crypto import CryptoOperations
from strongroom.services.kms.custom_key_stores import CustomKeyStoreOperations
from strongroom.services.kms.grants import GrantOperations
from strongroom.services.kms.imports import ImportOperations
from strongroom.services.kms.keys import KeyOperations
from strongroom.services.kms.multiregion import MultiRegionOperations
from strongroom.services.kms.policies import KeyPolicyOperations
from strongroom.services.kms.rotation import RotationOperations
from strongroom.services.kms.signing import SigningOperations
from strongroom.services.kms.tags import TagOperations


class Provider(
    KeyOperations,
    AliasOperations,
    TagOperations,
    KeyPolicyOperations,
    SigningOperations,
    CryptoOperations,
    RotationOperations,
    ImportOperations,
    MultiRegionOperations,
    GrantOperations,
    CustomKeyStoreOperations,
):
    """Every KMS operation Strongroom serves; see docs/kms.md for what differs from AWS."""

    # keys.py
    cancel_key_deletion = KeyOperations.cancel_key_deletion
    create_key = KeyOperations.create_key
    describe_key = KeyOperations.describe_key
    disable_key = KeyOperations.disable_key
    enable_key = KeyOperations.enable_key
    get_key_last_usage = KeyOperations.get_key_last_usage
    list_keys = KeyOperations.list_keys
    schedule_key_deletion = KeyOperations.schedule_key_deletion
    update_key_description = KeyOperations.update_key_description
    # aliases.py
    create_alias = AliasOperations.create_alias
    delete_alias = AliasOperations.delete_alias
    list_aliases = AliasOperations.list_aliases
    update_alias = AliasOperations.update_alias
    # tags.py
    list_resource_tags = TagOperations.list_resource_tags
    tag_resource = TagOperations.tag_resource
    untag_resource = TagOperations.untag_resource
    # policies.py
    get_key_policy = KeyPolicyOperations.get_key_policy
    list_key_policies = KeyPolicyOperations.list_key_policies
    put_key_policy = KeyPolicyOperations.put_key_policy
    # crypto.py
    decrypt = CryptoOperations.decrypt
    encrypt = CryptoOperations.encrypt
    generate_data_key = CryptoOperations.generate_data_key
    generate_data_key_pair = CryptoOperations.generate_data_key_pair
    generate_data_key_pair_without_plaintext = CryptoOperations.generate_data_key_pair_without_plaintext
    generate_data_key_without_plaintext = CryptoOperations.generate_data_key_without_plaintext
    generate_random = CryptoOperations.generate_random
    re_encrypt = CryptoOperations.re_encrypt
    # signing.py
    decapsulate = SigningOperations.decapsulate
    derive_shared_secret = SigningOperations.derive_shared_secret
    encapsulate = SigningOperations.encapsulate
    generate_mac = SigningOperations.generate_mac
    get_public_key = SigningOperations.get_public_key
    sign = SigningOperations.sign
    verify = SigningOperations.verify
    verify_mac = SigningOperations.verify_mac
    # rotation.py
    disable_key_rotation = RotationOperations.disable_key_rotation
    enable_key_rotation = RotationOperations.enable_key_rotation
    get_key_rotation_status = RotationOperations.get_key_rotation_status
    list_key_rotations = RotationOperations.list_key_rotations
    rotate_key_on_demand = RotationOperations.rotate_key_on_demand
    # imports.py
    delete_imported_key_material = ImportOperations.delete_imported_key_material
    get_parameters_for_import = ImportOperations.get_parameters_for_import
    import_key_material = ImportOperations.import_key_material
    # multiregion.py
    replicate_key = MultiRegionOperations.replicate_key
    update_primary_region = MultiRegionOperations.update_primary_region
    # grants.py
    create_grant = GrantOperations.create_grant
    list_grants = GrantOperations.list_grants
    list_retirable_grants = GrantOperations.list_retirable_grants
    retire_grant = GrantOperations.retire_grant
    revoke_grant = GrantOperations.revoke_grant
    # custom_key_stores.py
    connect_custom_key_store = CustomKeyStoreOperations.connect_custom_key_store
    create_custom_key_store = CustomKeyStoreOperations.create_custom_key_store
    delete_custom_key_store = CustomKeyStoreOperations.delete_custom_key_store
    describe_custom_key_stores = CustomKeyStoreOperations.describe_custom_key_stores
    disconnect_custom_key_store = CustomKeyStoreOperations.disconnect_custom_key_store
    update_custom_key_store = CustomKeyStoreOperations.update_custom_key_store
