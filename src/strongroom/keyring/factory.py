"""Choosing and opening the seal: ``[seal]`` in strongroom.toml, and ``DATA_DIR/seal.json``, the seal's state.

``strongroom init`` creates the seal the configuration asks for and records it in ``seal.json`` (no secret:
the provider, where its key lives, and a passphrase's KDF parameters). From then on ``seal.json`` says which
provider the data is sealed by; ``strongroom seal migrate`` is the only thing that changes it. Connection
settings that may move (module path, PIN source, passphrase variable) are taken from ``[seal]`` when it
names the same provider. A data dir from before seal.json with a ``root.key`` is a file seal.

The runtime holds a ``RuntimeSeal``: the current provider plus, during a migration, the previous ones, so
blobs under either provider read; it notices a migration by ``seal.json`` changing.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from strongroom.keyring.hsm import DEFAULT_KEY_LABEL, DEFAULT_MODULE, DEFAULT_PIN_ENV, Pkcs11Seal, Pkcs11Settings
from strongroom.keyring.passphrase import PassphraseSeal, new_header
from strongroom.keyring.seal import FileSeal, Seal, SealedError, UnwrapError

if TYPE_CHECKING:
    from strongroom.core.config import Config

log = logging.getLogger("strongroom.seal")

STATE_FILE = "seal.json"
PROVIDERS = ("file", "passphrase", "pkcs11")
# Settings an operator may change in strongroom.toml after init without a migration.
_MOVABLE = ("module", "pin_env", "pin_file", "passphrase_env")


@dataclass
class SealSettings:
    provider: str = "file"
    key_file: str = "root.key"  # file: relative to the data dir
    passphrase_env: str = "STRONGROOM_PASSPHRASE"
    kdf: str = "scrypt"
    header: dict[str, Any] | None = None  # passphrase: KDF parameters and check blob
    module: str = DEFAULT_MODULE
    token_label: str = "strongroom"
    key_label: str = DEFAULT_KEY_LABEL
    pin_env: str | None = DEFAULT_PIN_ENV
    pin_file: str | None = None

    @staticmethod
    def from_dict(data: dict[str, Any]) -> SealSettings:
        known = set(SealSettings.__dataclass_fields__)
        unknown = set(data) - known - {"previous"}
        if unknown:
            raise ValueError(f"unknown [seal] settings: {', '.join(sorted(unknown))}")
        settings = SealSettings(**{k: v for k, v in data.items() if k in known})
        if settings.provider not in PROVIDERS:
            raise ValueError(f"unknown seal provider {settings.provider!r}: use one of {', '.join(PROVIDERS)}")
        return settings

    def to_dict(self) -> dict[str, Any]:
        keep: dict[str, tuple[str, ...]] = {
            "file": ("key_file",),
            "passphrase": ("passphrase_env", "kdf", "header"),
            "pkcs11": ("module", "token_label", "key_label", "pin_env", "pin_file"),
        }
        out: dict[str, Any] = {"provider": self.provider}
        for name in keep[self.provider]:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        return out

    def identity(self) -> tuple[str, ...]:
        """What makes two settings the same root key (a moved module path is still the same key)."""
        if self.provider == "file":
            return ("file", self.key_file)
        if self.provider == "passphrase":
            return ("passphrase", str((self.header or {}).get("salt")))
        return ("pkcs11", self.token_label, self.key_label)

    def pkcs11(self) -> Pkcs11Settings:
        return Pkcs11Settings(self.module, self.token_label, self.key_label, self.pin_env, self.pin_file)


@dataclass
class SealState:
    current: SealSettings
    previous: list[SealSettings] = field(default_factory=list)


def state_path(data_dir: Path) -> Path:
    return data_dir / STATE_FILE


def configured(config: Config) -> SealSettings:
    """What strongroom.toml's ``[seal]`` asks for (the file seal when absent)."""
    section = config.extra.get("seal") or {}
    if not isinstance(section, dict):
        raise ValueError("[seal] in strongroom.toml must be a table")
    return SealSettings.from_dict(dict(section))


def read_state(config: Config) -> SealState | None:
    path = state_path(config.data_dir)
    if not path.exists():
        if config.root_key_file.exists():
            return SealState(SealSettings())  # a data dir from before seal.json
        return None
    data = json.loads(path.read_text())
    current = SealSettings.from_dict({k: v for k, v in data.items() if k != "previous"})
    previous = [SealSettings.from_dict(p) for p in data.get("previous", [])]
    wanted = configured(config)
    if wanted.provider == current.provider:
        for name in _MOVABLE:
            if name in (config.extra.get("seal") or {}):
                setattr(current, name, getattr(wanted, name))
    return SealState(current, previous)


def write_state(config: Config, state: SealState) -> None:
    """Atomically, so a running server reading it mid-write never sees half a file."""
    data = state.current.to_dict()
    if state.previous:
        data["previous"] = [p.to_dict() for p in state.previous]
    path = state_path(config.data_dir)
    tmp = path.with_suffix(".json.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def is_initialised(config: Config) -> bool:
    return state_path(config.data_dir).exists() or config.root_key_file.exists()


def open_provider(config: Config, settings: SealSettings) -> Seal:
    """One provider's seal, unsealed when its key is at hand (file present, passphrase in env, token up)."""
    if settings.provider == "file":
        return FileSeal(config.data_dir / settings.key_file)
    if settings.provider == "passphrase":
        if not settings.header:
            raise ValueError("the passphrase seal has no KDF header in seal.json")
        return PassphraseSeal(settings.header, settings.passphrase_env)
    return Pkcs11Seal(settings.pkcs11())


def create_provider(config: Config, settings: SealSettings, passphrase: str | None = None) -> Seal:
    """Make a new root key for ``settings`` (a new key file, a passphrase header, a key on the token)."""
    if settings.provider == "file":
        path = config.data_dir / settings.key_file
        return FileSeal(path) if path.exists() else FileSeal.create(path)
    if settings.provider == "passphrase":
        if not passphrase:
            raise ValueError(f"the passphrase seal needs a passphrase (set {settings.passphrase_env})")
        settings.header = new_header(passphrase, settings.kdf)
        phrase_seal = PassphraseSeal(settings.header, settings.passphrase_env)
        phrase_seal.try_unseal(passphrase)
        return phrase_seal
    seal = Pkcs11Seal(settings.pkcs11(), create=True)
    if seal.is_sealed:
        raise SealedError(f"cannot create the PKCS#11 root key: {seal.reason}")
    # Refuse a module without CKM_AES_GCM now rather than at the first secret it should protect.
    if seal.unwrap(seal.wrap(b"self-test", b"strongroom:seal:self-test"), b"strongroom:seal:self-test") != b"self-test":
        raise SealedError("the PKCS#11 token failed an AES-GCM round trip")
    return seal


def create_seal(config: Config, passphrase: str | None = None) -> Seal:
    """``strongroom init``: the configured provider's seal, recorded in seal.json."""
    state = read_state(config)
    if state is not None:
        seal = open_provider(config, state.current)
        if passphrase and seal.is_sealed:
            _try_unseal(seal, passphrase)
        return seal
    settings = configured(config)
    if settings.provider == "passphrase" and not passphrase:
        passphrase = os.environ.get(settings.passphrase_env)
    seal = create_provider(config, settings, passphrase)
    write_state(config, SealState(settings))
    return seal


def _try_unseal(seal: Seal, passphrase: str | None) -> bool:
    attempt = getattr(seal, "try_unseal", None)
    return bool(attempt(passphrase)) if callable(attempt) else not seal.is_sealed


def _format(seal: Seal) -> bytes:
    return b"\x02" if seal.name == "pkcs11" else b"\x01"


class RuntimeSeal:
    """The seal a server runs with: the current provider, and the previous ones while a migration runs."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._mtime = self._state_mtime()
        state = read_state(config)
        if state is None:
            raise SealedError(f"{config.data_dir} has no seal; run `strongroom init`")
        self.settings = state.current
        self.primary: Seal = open_provider(config, state.current)
        self.previous: list[tuple[SealSettings, Seal]] = [(p, open_provider(config, p)) for p in state.previous]

    # -- what the rest of the server sees ---------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.primary.name

    @property
    def reason(self) -> str:
        return self.primary.reason

    @property
    def is_sealed(self) -> bool:
        return self.primary.is_sealed

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"provider": self.name, "sealed": self.is_sealed}
        if self.is_sealed:
            out["reason"] = self.reason
        if self.previous:
            out["migrating_from"] = [p.provider for p, _ in self.previous]
        return out

    def try_unseal(self, passphrase: str | None = None) -> bool:
        with self._lock:
            ok = _try_unseal(self.primary, passphrase)
            for _, seal in self.previous:
                if seal.is_sealed:
                    _try_unseal(seal, passphrase)
        if ok:
            log.warning("unsealed", extra={"provider": self.name})
        return ok

    def wrap(self, plaintext: bytes, aad: bytes) -> bytes:
        self.reload_if_changed()
        return self.primary.wrap(plaintext, aad)

    def unwrap(self, blob: bytes, aad: bytes) -> bytes:
        try:
            return self._unwrap(blob, aad)
        except UnwrapError:
            if not self.reload_if_changed():
                raise
        return self._unwrap(blob, aad)

    def _unwrap(self, blob: bytes, aad: bytes) -> bytes:
        if self.primary.is_sealed:
            raise SealedError("Strongroom is sealed: " + self.reason)
        kind = blob[:1]
        candidates = [self.primary, *(s for _, s in self.previous)]
        failure: Exception = UnwrapError("no seal provider can open this blob")
        for seal in candidates:
            if _format(seal) != kind or seal.is_sealed:
                continue
            try:
                return seal.unwrap(blob, aad)
            except UnwrapError as exc:
                failure = exc
        raise failure

    # -- following a migration ----------------------------------------------------------------------------

    def _state_mtime(self) -> float:
        try:
            return state_path(self.config.data_dir).stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def reload_if_changed(self) -> bool:
        """Re-read seal.json when it changed (``seal migrate`` rewrote it); True when the seals changed."""
        mtime = self._state_mtime()
        if mtime == self._mtime:
            return False
        with self._lock:
            if mtime == self._mtime:
                return False
            self._mtime = mtime
            state = read_state(self.config)
            if state is None:
                return False
            known = {self.settings.identity(): self.primary, **{p.identity(): s for p, s in self.previous}}

            def get(settings: SealSettings) -> Seal:
                seal = known.get(settings.identity())
                return seal if seal is not None else open_provider(self.config, settings)

            primary = get(state.current)
            if primary.is_sealed and not self.primary.is_sealed:
                # The new provider cannot open here (no passphrase, no PIN): keep serving with the old one.
                log.error("seal.json names a provider this node cannot open", extra={"reason": primary.reason})
                self.previous = [(state.current, primary), *((p, get(p)) for p in state.previous)]
                return True
            self.settings, self.primary = state.current, primary
            self.previous = [(p, get(p)) for p in state.previous]
            log.warning("seal provider changed", extra={"provider": primary.name})
            return True


def open_seal(config: Config) -> RuntimeSeal:
    """The runtime's seal (Runtime.open, the CLI): sealed, with a reason, when its key is not at hand."""
    return RuntimeSeal(config)


# What a request gets while the server is sealed: KMS's own internal error code, other services' generic
# unavailable error; 503 so clients and load balancers treat it as temporary.
_SEALED_CODES = {"kms": "KMSInternalException"}


def sealed_error_code(service: str, protocol: str) -> str:
    if service in _SEALED_CODES:
        return _SEALED_CODES[service]
    return "ServiceUnavailable" if protocol == "query" else "ServiceUnavailableException"


SEALED_MESSAGE = (
    "Strongroom is sealed: run `strongroom unseal` or make the seal's key available (see `strongroom status`)."
)
