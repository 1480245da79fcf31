"""GetRandomPassword with every option AWS has, from the operating system's CSPRNG (``secrets``)."""

from __future__ import annotations

import secrets
import string
from typing import TYPE_CHECKING, Any

from strongroom.services.secretsmanager.base import SecretsBase
from strongroom.services.secretsmanager.errors import InvalidParameterException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

DEFAULT_LENGTH = 32
PUNCTUATION = string.punctuation  # AWS: ! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \ ] ^ _ ` { | } ~


def character_classes(request: dict[str, Any]) -> list[str]:
    """The included character classes, each minus ExcludeCharacters; empty classes drop out."""
    excluded = set(request.get("ExcludeCharacters") or "")
    classes = []
    for flag, chars in (
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeNumbers", string.digits),
        ("ExcludePunctuation", PUNCTUATION),
    ):
        if not request.get(flag):
            classes.append(chars)
    if request.get("IncludeSpace"):
        classes.append(" ")
    return [kept for kept in ("".join(c for c in chars if c not in excluded) for chars in classes) if kept]


def generate(request: dict[str, Any]) -> str:
    length = int(request.get("PasswordLength") or DEFAULT_LENGTH)
    classes = character_classes(request)
    if not classes:
        raise InvalidParameterException("The password can't be generated because every character is excluded.")
    require_each = request.get("RequireEachIncludedType", True) is not False
    if require_each and length < len(classes):
        raise InvalidParameterException(
            f"The password length {length} is too short to include a character of each of the {len(classes)} "
            "included types."
        )
    alphabet = "".join(classes)
    chosen = [secrets.choice(alphabet) for _ in range(length)]
    if require_each:
        # One character of each class at distinct random positions: uniform otherwise, never a retry loop.
        positions = list(range(length))
        for chars in classes:
            slot = positions.pop(secrets.randbelow(len(positions)))
            chosen[slot] = secrets.choice(chars)
    return "".join(chosen)


class PasswordOperations(SecretsBase):
    def get_random_password(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"RandomPassword": generate(request)}
