"""Seal providers: where the root key comes from.

A seal wraps and unwraps small secrets (key material, secret values) under the root key with
AES-256-GCM, binding the record's identity as associated data so a blob cannot be moved to another
record. Providers are interchangeable: a key file (``FileSeal``), a passphrase (``PassphraseSeal``, the key
derived with scrypt or Argon2id) and a PKCS#11 token (``Pkcs11Seal``, in keyring/hsm.py, whose root key
never leaves the token). ``open_seal`` (keyring/factory.py) picks one from the configuration.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"
_NONCE = 12


class SealedError(Exception):
    """The root key is not available (the server is sealed)."""


class UnwrapError(Exception):
    """A stored blob failed authentication: tampered, moved to another record, or another root key."""


class Seal(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def reason(self) -> str:
        """Why it is sealed ("" when unsealed), for status pages; never contains a secret."""
        ...

    @property
    def is_sealed(self) -> bool: ...

    def wrap(self, plaintext: bytes, aad: bytes) -> bytes: ...

    def unwrap(self, blob: bytes, aad: bytes) -> bytes: ...


class AesGcmSeal:
    """Wrapping with an in-memory root key; the providers differ only in where the key comes from."""

    name = "aes"
    reason = ""

    def __init__(self, root_key: bytes | None = None) -> None:
        self._aead: AESGCM | None = AESGCM(root_key) if root_key is not None else None

    @property
    def is_sealed(self) -> bool:
        return self._aead is None

    def _require(self) -> AESGCM:
        if self._aead is None:
            raise SealedError("Strongroom is sealed")
        return self._aead

    def wrap(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._require().encrypt(nonce, plaintext, aad)

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        aead = self._require()
        if len(blob) < 1 + _NONCE + 16 or blob[:1] != _VERSION:
            raise UnwrapError("unknown sealed blob format")
        try:
            return aead.decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
        except InvalidTag as exc:
            raise UnwrapError("sealed blob failed authentication") from exc


class FileSeal(AesGcmSeal):
    """The root key lives in a 0600 file in the data directory (the development default)."""

    name = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(path.read_bytes() if path.exists() else None)
        self.reason = "" if path.exists() else f"root key file {path} is missing"

    def try_unseal(self, passphrase: str | None = None) -> bool:
        if self._aead is None and self.path.exists():
            self._aead = AESGCM(self.path.read_bytes())
            self.reason = ""
        return self._aead is not None

    @staticmethod
    def create(path: Path) -> FileSeal:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(32))
        return FileSeal(path)
