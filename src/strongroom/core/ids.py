"""Identifiers in AWS's formats."""

from __future__ import annotations

import secrets
import string
import uuid

_BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SECRET = string.ascii_letters + string.digits + "+/"


def request_id() -> str:
    return str(uuid.uuid4())


def account_id() -> str:
    return str(secrets.randbelow(9 * 10**11) + 10**11)


def access_key_id(prefix: str = "AKIA") -> str:
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(16))


def secret_access_key() -> str:
    return "".join(secrets.choice(_SECRET) for _ in range(40))


def unique_id(prefix: str) -> str:
    """IAM-style unique ids (AIDA..., AROA...)."""
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(17))
