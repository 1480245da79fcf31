"""Console passwords: one-way hashes (scrypt) and the account password policy's rules.

Only hashes are stored: a console password is never needed again, only compared. Reuse prevention keeps the
hashes of the last N passwords, each with its own salt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from dataclasses import dataclass
from typing import Any

_N, _R, _P = 2**14, 8, 1
SYMBOLS = "!@#$%^&*()_+-=[]{}|'"


def hash_password(password: str, salt: bytes | None = None) -> dict[str, str]:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return {"salt": base64.b64encode(salt).decode(), "hash": base64.b64encode(digest).decode()}


def matches(password: str, stored: dict[str, str]) -> bool:
    expected = hash_password(password, base64.b64decode(stored["salt"]))["hash"]
    return hmac.compare_digest(expected, stored["hash"])


@dataclass(frozen=True, slots=True)
class Policy:
    minimum_length: int = 8
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change: bool = False
    max_age: int | None = None  # days
    reuse_prevention: int | None = None
    hard_expiry: bool = False
    custom: bool = False  # False: AWS's default policy (no GetAccountPasswordPolicy answer)

    @staticmethod
    def from_request(request: dict[str, Any]) -> Policy:
        return Policy(
            minimum_length=int(request.get("MinimumPasswordLength", 6)),
            require_symbols=bool(request.get("RequireSymbols", False)),
            require_numbers=bool(request.get("RequireNumbers", False)),
            require_uppercase=bool(request.get("RequireUppercaseCharacters", False)),
            require_lowercase=bool(request.get("RequireLowercaseCharacters", False)),
            allow_users_to_change=bool(request.get("AllowUsersToChangePassword", False)),
            max_age=int(request["MaxPasswordAge"]) if request.get("MaxPasswordAge") else None,
            reuse_prevention=int(request["PasswordReusePrevention"])
            if request.get("PasswordReusePrevention")
            else None,
            hard_expiry=bool(request.get("HardExpiry", False)),
            custom=True,
        )

    @staticmethod
    def from_data(data: dict[str, Any] | None) -> Policy:
        return Policy(**data, custom=True) if data else Policy()

    def to_data(self) -> dict[str, Any]:
        return {
            "minimum_length": self.minimum_length,
            "require_symbols": self.require_symbols,
            "require_numbers": self.require_numbers,
            "require_uppercase": self.require_uppercase,
            "require_lowercase": self.require_lowercase,
            "allow_users_to_change": self.allow_users_to_change,
            "max_age": self.max_age,
            "reuse_prevention": self.reuse_prevention,
            "hard_expiry": self.hard_expiry,
        }

    def shape(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "MinimumPasswordLength": self.minimum_length,
            "RequireSymbols": self.require_symbols,
            "RequireNumbers": self.require_numbers,
            "RequireUppercaseCharacters": self.require_uppercase,
            "RequireLowercaseCharacters": self.require_lowercase,
            "AllowUsersToChangePassword": self.allow_users_to_change,
            "ExpirePasswords": bool(self.max_age),
        }
        if self.max_age:
            out["MaxPasswordAge"] = self.max_age
        if self.reuse_prevention:
            out["PasswordReusePrevention"] = self.reuse_prevention
        if self.max_age:
            out["HardExpiry"] = self.hard_expiry
        return out

    def violations(self, password: str, user_name: str = "") -> list[str]:
        """What ``password`` lacks, in AWS's words; [] when it conforms."""
        out = []
        if len(password) < self.minimum_length:
            out.append(f"Password should have a minimum length of {self.minimum_length}")
        if self.custom:
            if self.require_lowercase and not any(c in string.ascii_lowercase for c in password):
                out.append("Password should have at least one lowercase letter")
            if self.require_uppercase and not any(c in string.ascii_uppercase for c in password):
                out.append("Password should have at least one uppercase letter")
            if self.require_numbers and not any(c in string.digits for c in password):
                out.append("Password should have at least one number")
            if self.require_symbols and not any(c in SYMBOLS for c in password):
                out.append("Password should have at least one symbol")
        else:
            # AWS's default policy: 8 characters, three of the four character types, not the user name
            kinds = sum(
                any(c in chars for c in password)
                for chars in (string.ascii_lowercase, string.ascii_uppercase, string.digits, SYMBOLS)
            )
            if kinds < 3:
                out.append(
                    "Password should include at least three of: uppercase letters, lowercase letters, numbers, symbols"
                )
            if user_name and password.lower() == user_name.lower():
                out.append("Password should not be identical to the user name")
        return out
