"""Checking a caller's MFA code (GetSessionToken / AssumeRole with SerialNumber and TokenCode).

A virtual MFA device is an ``iam_objects`` row of kind ``mfa`` keyed by its serial number (its ARN), with the TOTP
seed sealed; ``data["user"]`` names the user it is enabled for (``ROOT`` for the account's root user) and
``data["last_step"]`` the last time step accepted, so no code is accepted twice.
"""

from __future__ import annotations

from datetime import datetime

from strongroom.core.clock import clock
from strongroom.iam import objects, totp
from strongroom.keyring.seal import Seal
from strongroom.store.engine import Store

ROOT = "<root>"


class MfaFailure(Exception):
    """The code was not accepted; ``str()`` is AWS's message."""


def check_code(store: Store, seal: Seal, account_id: str, serial: str, code: str, user_name: str | None) -> datetime:
    """Verify ``code`` for the device ``serial`` enabled for ``user_name`` (None: root); the time it was accepted."""
    owner = user_name.lower() if user_name else ROOT
    with store.write() as conn:
        device = objects.get(conn, account_id, "mfa", serial)
        if device is None or device.data.get("user_key") != owner or not device.data.get("enabled_at"):
            raise MfaFailure("MultiFactorAuthentication failed, unable to validate MFA code.")
        seed = objects.secret(seal, device)
        assert seed is not None
        step = totp.verify(seed, code, clock.time(), device.data.get("last_step"))
        if step is None:
            raise MfaFailure("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
        objects.put(conn, account_id, "mfa", serial, {**device.data, "last_step": step})
    return clock.now().replace(microsecond=0)
