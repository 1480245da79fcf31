"""The RSA key that signs digest files: private part sealed under the root key, public part served for validation."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select

from strongroom.audit import model
from strongroom.core.clock import clock
from strongroom.keyring.seal import Seal
from strongroom.store.engine import Store

ALGORITHM = "SHA256withRSA"


def fingerprint_of(public_der: bytes) -> str:
    """32 hex digits, the form CloudTrail's digestPublicKeyFingerprint takes (MD5 of the DER public key)."""
    return hashlib.md5(public_der, usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class PublicKey:
    fingerprint: str
    der: bytes  # PKCS#1 RSAPublicKey
    valid_from: datetime
    valid_to: datetime | None


def verify(public_der: bytes, signature: bytes, data: bytes) -> bool:
    """SHA256withRSA over ``data``; False for a wrong signature or an unusable key."""
    try:
        key = serialization.load_der_public_key(public_der)  # accepts PKCS#1 as well as SubjectPublicKeyInfo
        if not isinstance(key, rsa.RSAPublicKey):
            return False
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except (ValueError, InvalidSignature):
        return False
    return True


class SigningKeys:
    """Creates the signing key on first use; one key per server (every node shares it through the store)."""

    def __init__(self, store: Store, seal: Seal) -> None:
        self.store = store
        self.seal = seal
        self._lock = threading.Lock()
        self._current: tuple[str, rsa.RSAPrivateKey] | None = None

    def current(self) -> tuple[str, rsa.RSAPrivateKey]:
        with self._lock:
            if self._current is None:
                self._current = self._load_or_create()
            return self._current

    def forget(self) -> None:
        """Drop the cached key (test-mode reset wipes the table)."""
        with self._lock:
            self._current = None

    def sign(self, data: bytes) -> tuple[str, bytes]:
        fingerprint, key = self.current()
        return fingerprint, key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def _load_or_create(self) -> tuple[str, rsa.RSAPrivateKey]:
        query = (
            select(model.signing_keys)
            .where(model.signing_keys.c.valid_to.is_(None))
            .order_by(model.signing_keys.c.valid_from.desc())
        )
        with self.store.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            public_der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
            fingerprint = fingerprint_of(public_der)
            private_der = key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            with self.store.write() as conn:
                # Another node may have created one meanwhile: keep the first, so every node signs alike.
                existing = conn.execute(query).first()
                if existing is None:
                    conn.execute(
                        model.signing_keys.insert().values(
                            fingerprint=fingerprint,
                            public_key=public_der,
                            sealed_private_key=self.seal.wrap(private_der, model.signing_key_aad(fingerprint)),
                            valid_from=clock.now(),
                            valid_to=None,
                        )
                    )
                    return fingerprint, key
                row = existing
        private = serialization.load_der_private_key(
            self.seal.unwrap(row.sealed_private_key, model.signing_key_aad(row.fingerprint)), None
        )
        if not isinstance(private, rsa.RSAPrivateKey):  # pragma: no cover - only RSA keys are ever stored
            raise TypeError("audit signing key is not RSA")
        return row.fingerprint, private


def public_keys(store: Store) -> list[PublicKey]:
    """Every digest signing key's public part, oldest first."""
    with store.read() as conn:
        rows = conn.execute(select(model.signing_keys).order_by(model.signing_keys.c.valid_from)).all()
    return [PublicKey(r.fingerprint, bytes(r.public_key), r.valid_from, r.valid_to) for r in rows]
