"""The passphrase seal: the root key is derived from an operator's passphrase and held only in memory.

The data directory keeps only the KDF's parameters and a check blob (``seal.json``), never the passphrase
or the key, so a copy of the data directory and the database is useless without the passphrase. The
server starts sealed unless ``STRONGROOM_PASSPHRASE`` (or the configured variable) is set; ``strongroom
unseal`` hands the passphrase to the running server over loopback (see server/admin.py's unseal endpoint).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from strongroom.keyring.seal import AesGcmSeal, UnwrapError

_CHECK = b"strongroom passphrase check"
_CHECK_AAD = b"strongroom:seal:passphrase-check"
SCRYPT_DEFAULTS = {"n": 2**15, "r": 8, "p": 1}
ARGON2_DEFAULTS = {"iterations": 3, "lanes": 4, "memory_cost": 65536}


def derive(passphrase: str, header: dict[str, Any]) -> bytes:
    salt = base64.b64decode(header["salt"])
    secret = passphrase.encode()
    if header.get("kdf", "scrypt") == "argon2id":
        return Argon2id(
            salt=salt,
            length=32,
            iterations=int(header["iterations"]),
            lanes=int(header["lanes"]),
            memory_cost=int(header["memory_cost"]),
        ).derive(secret)
    return Scrypt(salt=salt, length=32, n=int(header["n"]), r=int(header["r"]), p=int(header["p"])).derive(secret)


def new_header(passphrase: str, kdf: str = "scrypt") -> dict[str, Any]:
    """KDF parameters and a check blob that tells a wrong passphrase from a right one."""
    if kdf not in ("scrypt", "argon2id"):
        raise ValueError(f"unknown KDF {kdf!r}: use scrypt or argon2id")
    header: dict[str, Any] = {"kdf": kdf, "salt": base64.b64encode(os.urandom(16)).decode()}
    header.update(SCRYPT_DEFAULTS if kdf == "scrypt" else ARGON2_DEFAULTS)
    check = AesGcmSeal(derive(passphrase, header)).wrap(_CHECK, _CHECK_AAD)
    header["check"] = base64.b64encode(check).decode()
    return header


class PassphraseSeal(AesGcmSeal):
    name = "passphrase"

    def __init__(self, header: dict[str, Any], passphrase_env: str = "STRONGROOM_PASSPHRASE") -> None:
        super().__init__(None)
        self.header = header
        self.passphrase_env = passphrase_env
        self.reason = f"waiting for the passphrase (run `strongroom unseal` or set {passphrase_env})"
        env = os.environ.get(passphrase_env)
        if env:
            self.try_unseal(env)

    def try_unseal(self, passphrase: str | None = None) -> bool:
        """Derive the key and keep it only if the check blob opens with it."""
        if not self.is_sealed:
            return True
        if not passphrase:
            return False
        key = derive(passphrase, self.header)
        candidate = AesGcmSeal(key)
        try:
            ok = candidate.unwrap(base64.b64decode(self.header["check"]), _CHECK_AAD) == _CHECK
        except UnwrapError:
            ok = False
        if ok:
            self._aead = candidate._aead
            self.reason = ""
        return ok
