"""Identifiers in AWS's formats."""

from __future__ import annotations

import os
import secrets
import string

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET = string.ascii_letters + string.digits + "+/"


def uuid4() -> str:
    """A random (version 4) UUID as text; what ``str(uuid.uuid4())`` gives, without the UUID object.

    Every request makes two or three (request id, audit event ids), so the object's cost showed in profiles.
    """
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def request_id() -> str:
    return uuid4()


def account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(16))


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET) for _ in range(40))


def unique_id(prefix: str) -> str:
    """IAM-style unique ids (AIDA..., AROA...)."""
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(17))
