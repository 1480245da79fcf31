"""The PKCS#11 seal: the root key is a non-extractable AES-256 key on a token; the token does the wrapping.

Each blob is ``0x02 || nonce || AES-GCM(ciphertext || tag)`` computed by the token (SoftHSM2 and
real HSMs implement CKM_AES_GCM), with the record's identity as associated data exactly as the file seal
binds it. The PIN comes from an environment variable or a file, never the command line. When the token
or its key is missing at start, the seal stays sealed with the reason in ``reason``; ``strongroom unseal``
asks the running server to try again.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from strongroom.keyring.seal import SealedError, UnwrapError
from strongroom.keyring.tokens import TokenAuthError, TokenError, TokenSession, read_pin

log = logging.getLogger("strongroom.seal")

VERSION = b"\x02"
DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
DEFAULT_KEY_LABEL = "strongroom-root"
DEFAULT_PIN_ENV = "STRONGROOM_HSM_PIN"


@dataclass(frozen=True)
class Pkcs11Settings:
    module: str = DEFAULT_MODULE
    token_label: str = "strongroom"
    key_label: str = DEFAULT_KEY_LABEL
    pin_env: str | None = DEFAULT_PIN_ENV
    pin_file: str | None = None


class Pkcs11Seal:
    name = "pkcs11"

    def __init__(self, settings: Pkcs11Settings, *, create: bool = False) -> None:
        self.settings = settings
        self.reason = "not yet opened"
        self._session: TokenSession | None = None
        self._lock = threading.Lock()
        self.try_unseal(create=create)

    @property
    def is_sealed(self) -> bool:
        return self._session is None

    def try_unseal(self, passphrase: str | None = None, *, create: bool = False) -> bool:
        """Log in to the token and find the root key (creating it on ``create``)."""
        with self._lock:
            if self._session is not None:
                return True
            s = self.settings
            pin = read_pin(s.pin_env, s.pin_file)
            if pin is None:
                self.reason = f"no PIN for token {s.token_label!r} (set ${s.pin_env} or pin_file)"
                return False
            try:
                session = TokenSession(s.module, s.token_label, pin).open()
            except TokenError as exc:
                self.reason = f"token unavailable ({exc.code}): {exc}"
                return False
            if not session.has_key(s.key_label):
                if not create:
                    session.close()
                    self.reason = f"token {s.token_label!r} has no key labelled {s.key_label!r}"
                    return False
                session.generate_key(s.key_label)
            self._session = session
            self.reason = ""
            return True

    def _require(self) -> TokenSession:
        session = self._session
        if session is None:
            raise SealedError("Strongroom is sealed: " + self.reason)
        return session

    def wrap(self, plaintext: bytes, aad: bytes) -> bytes:
        try:
            return VERSION + self._require().encrypt(self.settings.key_label, plaintext, aad)
        except TokenError as exc:
            raise SealedError(f"the seal's token failed: {exc}") from exc

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        session = self._require()
        if blob[:1] != VERSION:
            raise UnwrapError("not a PKCS#11 sealed blob")
        try:
            return session.decrypt(self.settings.key_label, blob[1:], aad)
        except TokenAuthError as exc:
            raise UnwrapError("sealed blob failed authentication") from exc
        except TokenError as exc:
            raise SealedError(f"the seal's token failed: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            if self._session is not None:
                self._session.close()
            self._session = None
            self.reason = "closed"
