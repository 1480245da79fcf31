"""The per-call key derivation of KMS ciphertext stays byte-identical to cryptography's SP 800-108 KBKDF."""

from __future__ import annotations

import os

from strongroom.services.kms.ciphertext import _derive, kbkdf_reference


def test_fast_derivation_equals_the_kbkdf_reference() -> None:
    for _ in range(64):
        material, salt = os.urandom(32), os.urandom(16)
        assert _derive(material, salt) == kbkdf_reference(material, salt)
