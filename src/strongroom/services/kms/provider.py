"""AWS KMS: one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from strongroom.services.kms.aliases import AliasOperations
from strongroom.services.kms.custom_key_stores import CustomKeyStoreOperations
from strongroom.services.kms.grants import GrantOperations
from strongroom.services.kms.imports import ImportOperations
from strongroom.services.kms.keys import KeyOperations
from strongroom.services.kms.multiregion import MultiRegionOperations
from strongroom.services.kms.policies import PolicyOperations
from strongroom.services.kms.rotation import RotationOperations
from strongroom.services.kms.signing import SigningOperations
from strongroom.services.kms.tags import TagOperations


class Provider(
    KeyOperations,
    AliasOperations,
    TagOperations,
    PolicyOperations,
    SigningOperations,
    RotationOperations,
    ImportOperations,
    MultiRegionOperations,
    GrantOperations,
    CustomKeyStoreOperations,
):
    """Every KMS operation Strongroom serves; see docs/kms.md for what differs from AWS."""
