"""Per-installation secret keys: random, created once, kept sealed in the settings table, the same on every node.

Lambda's code URLs and the WAF's ``aws-waf-token`` cookies are signed by the server itself, and every node of a
cluster must accept every other node's signatures: the key is drawn once, sealed under the root key (never stored
in the clear) and shared through the settings table. Two nodes creating it at once both insert; the first insert
wins and the other adopts it, so no node ever signs with a key the others do not have.

Test-mode reset wipes the settings table: ``forget_installation_keys`` drops this process's copies so the next use
creates a fresh key.
"""

from __future__ import annotations

import base64
import secrets
import threading
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from strongroom.store.settings import get_setting, settings

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

_lock = threading.Lock()
_keys: dict[tuple[int, str], bytes] = {}


def installation_key(runtime: ServiceRuntime, name: str, *, aad: bytes | None = None, size: int = 32) -> bytes:
    """The key named ``name`` (a settings row), created on first use; ``aad`` binds the sealed value to its use
    (default: derived from the name; keys created before this module keep their own)."""
    aad = aad or f"strongroom:installation-key:{name}".encode()
    with _lock:
        key = _keys.get((id(runtime), name))
        if key is not None:
            return key
        stored = get_setting(runtime.store, name)
        if stored is None:
            sealed = base64.b64encode(runtime.seal.wrap(secrets.token_bytes(size), aad)).decode()
            try:
                with runtime.store.write() as conn:
                    conn.execute(settings.insert().values(name=name, value=sealed))
            except IntegrityError:
                pass  # another node inserted first: adopt its key
            stored = get_setting(runtime.store, name)
        assert stored is not None
        key = runtime.seal.unwrap(base64.b64decode(stored), aad)
        _keys[(id(runtime), name)] = key
        return key


def forget_installation_keys(runtime: ServiceRuntime) -> None:
    with _lock:
        for cached in [k for k in _keys if k[0] == id(runtime)]:
            del _keys[cached]
