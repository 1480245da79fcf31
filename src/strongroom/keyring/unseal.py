"""``POST /_strongroom/unseal``: how ``strongroom unseal`` hands the passphrase to the running server.

Why it is safe enough to exist: it answers only peers on the loopback interface (someone who can reach it
can already read the process's environment or attach a debugger only if they are that user — we accept
local users as the trust boundary, as Vault's and systemd's unseal/ask-password flows do); it requires
``Content-Type: application/json``, which a web page cannot send cross-origin without a CORS preflight
the server never grants, so a browser on the same machine cannot be used to guess passphrases; attempts
are serialised and each failure costs a second, so guessing is slow on top of the KDF's cost; the body is
never logged or audited. For the PKCS#11 and file seals the body is empty and the call just retries
opening the token or key file.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from typing import Any

import orjson

log = logging.getLogger("strongroom.seal")

_attempts = threading.Lock()
FAILURE_DELAY = 1.0


def is_loopback(client_ip: str) -> bool:
    try:
        return ipaddress.ip_address(client_ip).is_loopback
    except ValueError:
        return False


def handle_unseal(seal: Any, client_ip: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
    """(HTTP status, JSON body) for an unseal request against the runtime's seal."""
    if not is_loopback(client_ip):
        return 403, {"message": "unseal is only accepted from the loopback interface"}
    if content_type.split(";")[0].strip().lower() != "application/json":
        return 415, {"message": "unseal needs Content-Type: application/json"}
    try:
        data = orjson.loads(body or b"{}")
        if not isinstance(data, dict):
            raise TypeError
        passphrase = data.get("passphrase")
        if passphrase is not None and not isinstance(passphrase, str):
            raise TypeError
    except (orjson.JSONDecodeError, TypeError):
        return 400, {"message": 'expected {"passphrase": "..."} or {}'}
    with _attempts:
        if not seal.is_sealed:
            return 200, seal.status()
        if seal.try_unseal(passphrase):
            return 200, seal.status()
        time.sleep(FAILURE_DELAY)
        log.warning("unseal attempt failed", extra={"provider": seal.name})
        status = seal.status()
        if seal.name == "passphrase":
            status["message"] = "the passphrase is not correct" if passphrase else "a passphrase is required"
        return (401 if seal.name == "passphrase" and passphrase else 503), status
