"""AWS KMS: one method per operation, grouped by family in the modules imported here."""

from __future__ import annotations

from strongroom.services.kms.keys import KeyOperations


class Provider(KeyOperations):
    """Every KMS operation Strongroom serves; see docs/kms.md for what differs from AWS."""
