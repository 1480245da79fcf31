"""PKCS#11 tokens (python-pkcs11): the HSM seal's root key and custom key stores' KMS keys live on one.

Keys are created non-extractable and sensitive, so the token never hands out their bytes; every use is an
AES-GCM operation performed by the token. A session is serialised by a lock because PKCS#11 sessions are
not meant for concurrent use, and modules are loaded once per process (python-pkcs11 initialises a module
once).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

NONCE = 12
TAG_BITS = 128


@functools.cache
def _p11() -> Any:
    """python-pkcs11, imported when a token is first used: ~2.4 MB in every server process otherwise, and only
    the HSM seal and custom key stores need it. Functions bind the names they use locally, under the usual names."""
    import pkcs11
    from pkcs11 import exceptions
    from pkcs11.mechanisms import GCMParams

    return SimpleNamespace(
        pkcs11=pkcs11,
        Attribute=pkcs11.Attribute,
        KeyType=pkcs11.KeyType,
        Mechanism=pkcs11.Mechanism,
        ObjectClass=pkcs11.ObjectClass,
        px=exceptions,
        GCMParams=GCMParams,
    )


_modules: dict[str, Any] = {}
_modules_lock = threading.Lock()

# Why a token could not be used, in the words of AWS's ConnectionErrorCode where one fits.
MODULE_NOT_FOUND = "CLUSTER_NOT_FOUND"
TOKEN_NOT_FOUND = "CLUSTER_NOT_FOUND"
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
USER_LOCKED_OUT = "USER_LOCKED_OUT"
INTERNAL_ERROR = "INTERNAL_ERROR"


class TokenError(Exception):
    """The token could not be reached or used; ``code`` is an AWS ConnectionErrorCode-style reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# Checks a PIN with C_Login in a process of its own. PKCS#11 keeps the login state per application, so once
# this process is logged in to a token (the seal, another store on the same token) C_Login answers
# CKR_USER_ALREADY_LOGGED_IN whatever PIN it is given; a fresh process has no login and checks the PIN for
# real, without logging the seal's sessions out. The PIN travels on stdin, never in argv or the environment.
_PIN_CHECK = """
import json, sys
import pkcs11
from pkcs11 import exceptions as px
req = json.loads(sys.stdin.read())
try:
    token = pkcs11.lib(req["module"]).get_token(token_label=req["label"])
    with token.open(user_pin=req["pin"]):
        pass
except px.PinIncorrect:
    sys.exit(3)
except px.PinLocked:
    sys.exit(4)
except (px.NoSuchToken, px.MultipleTokensReturned):
    sys.exit(5)
"""
PIN_CHECK_TIMEOUT = 30.0
_PIN_CHECK_CODES = {
    3: (INVALID_CREDENTIALS, "the token rejected the PIN"),
    4: (USER_LOCKED_OUT, "the token's user PIN is locked"),
    5: (TOKEN_NOT_FOUND, "the token is no longer available"),
}


def check_pin_in_child(module: str, token_label: str, pin: str) -> None:
    """Log in to the token with ``pin`` from a separate process; raises TokenError when the token refuses."""
    request = json.dumps({"module": module, "label": token_label, "pin": pin})
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _PIN_CHECK],
            input=request,
            capture_output=True,
            text=True,
            timeout=PIN_CHECK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TokenError(INTERNAL_ERROR, f"could not check the PIN: {type(exc).__name__}") from exc
    if done.returncode == 0:
        return
    code, message = _PIN_CHECK_CODES.get(done.returncode, (INTERNAL_ERROR, "the PIN could not be checked"))
    raise TokenError(code, message)


class TokenAuthError(Exception):
    """An AES-GCM operation on the token failed authentication (wrong key, tampered data, wrong AAD)."""


def load_module(path: str) -> Any:
    p11 = _p11()
    pkcs11 = p11.pkcs11
    px = p11.px
    with _modules_lock:
        lib = _modules.get(path)
        if lib is None:
            if not Path(path).exists():
                raise TokenError(MODULE_NOT_FOUND, f"PKCS#11 module {path} does not exist")
            try:
                lib = pkcs11.lib(path)
            except (px.PKCS11Error, RuntimeError, OSError) as exc:
                raise TokenError(MODULE_NOT_FOUND, f"PKCS#11 module {path} could not be loaded: {exc}") from exc
            _modules[path] = lib
        return lib


def read_pin(pin_env: str | None, pin_file: str | None) -> str | None:
    """The PIN from an environment variable or a file, never from the command line."""
    if pin_env and os.environ.get(pin_env):
        return os.environ[pin_env]
    if pin_file and Path(pin_file).exists():
        return Path(pin_file).read_text().strip()
    return None


@dataclass
class TokenSession:
    """One logged-in read/write session on a token."""

    module: str
    token_label: str
    pin: str

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._session: Any = None
        self._keys: dict[str, Any] = {}

    def open(self) -> TokenSession:
        p11 = _p11()
        px = p11.px
        lib = load_module(self.module)
        try:
            token = lib.get_token(token_label=self.token_label)
        except (px.NoSuchToken, px.MultipleTokensReturned) as exc:
            raise TokenError(TOKEN_NOT_FOUND, f"no single token labelled {self.token_label!r}") from exc
        except px.PKCS11Error as exc:
            raise TokenError(TOKEN_NOT_FOUND, f"token {self.token_label!r} unavailable: {type(exc).__name__}") from exc
        try:
            self._session = token.open(user_pin=self.pin, rw=True)
        except px.PinIncorrect as exc:
            raise TokenError(INVALID_CREDENTIALS, "the token rejected the PIN") from exc
        except px.PinLocked as exc:
            raise TokenError(USER_LOCKED_OUT, "the token's user PIN is locked") from exc
        except px.UserAlreadyLoggedIn:
            # Another session of this process is logged in to the token (PKCS#11 login is per application),
            # so C_Login checked nothing: check this PIN where no login exists yet before sharing that login.
            check_pin_in_child(self.module, self.token_label, self.pin)
            self._session = token.open(rw=True)
        except px.PKCS11Error as exc:
            raise TokenError(INTERNAL_ERROR, f"could not open a session: {type(exc).__name__}") from exc
        return self

    def close(self) -> None:
        p11 = _p11()
        px = p11.px
        with self._lock:
            if self._session is not None:
                try:
                    self._session.close()
                except px.PKCS11Error:
                    pass
            self._session = None
            self._keys.clear()

    def _require(self) -> Any:
        if self._session is None:
            raise TokenError(INTERNAL_ERROR, "the token session is closed")
        return self._session

    def _key(self, label: str) -> Any:
        p11 = _p11()
        KeyType = p11.KeyType
        ObjectClass = p11.ObjectClass
        px = p11.px
        key = self._keys.get(label)
        if key is None:
            try:
                key = self._require().get_key(object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=label)
            except px.NoSuchKey as exc:
                raise TokenError(INTERNAL_ERROR, f"no AES key labelled {label!r} on the token") from exc
            except px.MultipleObjectsReturned as exc:
                raise TokenError(INTERNAL_ERROR, f"several keys are labelled {label!r} on the token") from exc
            self._keys[label] = key
        return key

    def has_key(self, label: str) -> bool:
        with self._lock:
            try:
                self._key(label)
            except TokenError:
                return False
            return True

    def generate_key(self, label: str) -> None:
        """A token-resident AES-256 key that can never leave the token."""
        p11 = _p11()
        Attribute = p11.Attribute
        KeyType = p11.KeyType
        px = p11.px
        with self._lock:
            try:
                self._keys[label] = self._require().generate_key(
                    KeyType.AES,
                    256,
                    label=label,
                    store=True,
                    template={
                        Attribute.EXTRACTABLE: False,
                        Attribute.SENSITIVE: True,
                        Attribute.TOKEN: True,
                        Attribute.PRIVATE: True,
                        Attribute.ENCRYPT: True,
                        Attribute.DECRYPT: True,
                        Attribute.WRAP: False,
                        Attribute.UNWRAP: False,
                    },
                )
            except px.PKCS11Error as exc:
                raise TokenError(INTERNAL_ERROR, f"could not generate a key: {type(exc).__name__}") from exc

    def destroy_key(self, label: str) -> bool:
        p11 = _p11()
        Attribute = p11.Attribute
        ObjectClass = p11.ObjectClass
        with self._lock:
            session = self._require()
            self._keys.pop(label, None)
            found = False
            for obj in session.get_objects({Attribute.CLASS: ObjectClass.SECRET_KEY, Attribute.LABEL: label}):
                obj.destroy()
                found = True
            return found

    def encrypt(self, label: str, plaintext: bytes, aad: bytes) -> bytes:
        """nonce || ciphertext || tag, AES-256-GCM computed by the token."""
        p11 = _p11()
        Mechanism = p11.Mechanism
        px = p11.px
        GCMParams = p11.GCMParams
        nonce = os.urandom(NONCE)
        with self._lock:
            try:
                body = self._key(label).encrypt(
                    plaintext, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, aad, TAG_BITS)
                )
            except px.PKCS11Error as exc:
                raise TokenError(INTERNAL_ERROR, f"token encryption failed: {type(exc).__name__}") from exc
        return nonce + bytes(body)

    def decrypt(self, label: str, blob: bytes, aad: bytes) -> bytes:
        p11 = _p11()
        Mechanism = p11.Mechanism
        px = p11.px
        GCMParams = p11.GCMParams
        if len(blob) < NONCE + TAG_BITS // 8:
            raise TokenAuthError("blob too short")
        with self._lock:
            key = self._key(label)
            try:
                return bytes(
                    key.decrypt(
                        blob[NONCE:],
                        mechanism=Mechanism.AES_GCM,
                        mechanism_param=GCMParams(blob[:NONCE], aad, TAG_BITS),
                    )
                )
            except (px.EncryptedDataInvalid, px.EncryptedDataLenRange, px.GeneralError) as exc:
                # SoftHSM2 reports a GCM tag mismatch as CKR_GENERAL_ERROR.
                raise TokenAuthError("token decryption failed authentication") from exc
            except px.PKCS11Error as exc:
                raise TokenError(INTERNAL_ERROR, f"token decryption failed: {type(exc).__name__}") from exc

    def random(self, count: int) -> bytes:
        p11 = _p11()
        px = p11.px
        with self._lock:
            try:
                return bytes(self._require().generate_random(count * 8))
            except px.PKCS11Error as exc:
                raise TokenError(INTERNAL_ERROR, f"token random failed: {type(exc).__name__}") from exc
