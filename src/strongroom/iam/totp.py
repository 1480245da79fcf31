"""RFC 6238 time-based one-time passwords for virtual MFA devices (six digits, SHA-1, 30-second steps, as AWS).

``cryptography``'s TOTP computes the codes; what AWS adds is here: a code is accepted within one step of the
server clock either way, and never twice (the device remembers the last step it accepted), and enabling or
resynchronizing takes two consecutive codes.
"""

from __future__ import annotations

import base64
import hmac
import secrets

from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.twofactor.totp import TOTP

STEP = 30
DIGITS = 6
WINDOW = 1  # steps either side of now a single code may come from (clock drift)
RESYNC_WINDOW = 10  # steps either side searched for two consecutive codes (EnableMFADevice / ResyncMFADevice)


def new_seed() -> bytes:
    return secrets.token_bytes(20)  # 160 bits, RFC 4226's recommended HMAC-SHA1 key length


def base32(seed: bytes) -> str:
    return base64.b32encode(seed).decode().rstrip("=")


def _totp(seed: bytes) -> TOTP:
    return TOTP(seed, DIGITS, SHA1(), STEP, enforce_key_length=False)


def code_at(seed: bytes, when: float) -> str:
    return _totp(seed).generate(int(when)).decode()


def step_of(when: float) -> int:
    return int(when) // STEP


def _code_for_step(seed: bytes, step: int) -> str:
    return code_at(seed, step * STEP)


def verify(seed: bytes, code: str, now: float, last_step: int | None) -> int | None:
    """The step ``code`` belongs to (within WINDOW of now, after ``last_step``), else None."""
    base = step_of(now)
    for step in range(base - WINDOW, base + WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(_code_for_step(seed, step), code):
            return step
    return None


def verify_consecutive(seed: bytes, code1: str, code2: str, now: float) -> int | None:
    """The step of ``code2`` when ``code1`` and ``code2`` are codes of two consecutive steps near now, else None."""
    base = step_of(now)
    for step in range(base - RESYNC_WINDOW, base + RESYNC_WINDOW + 1):
        if hmac.compare_digest(_code_for_step(seed, step), code1) and hmac.compare_digest(
            _code_for_step(seed, step + 1), code2
        ):
            return step + 1
    return None


def otpauth_uri(seed: bytes, account_name: str, issuer: str = "Amazon Web Services") -> str:
    return _totp(seed).get_provisioning_uri(account_name, issuer)
