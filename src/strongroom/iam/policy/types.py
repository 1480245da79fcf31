"""The policy language's shared types: decisions, deciding policy kinds, request contexts.

A module of its own so that the evaluator, the message texts, conditions and variables import it and not each
other.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence

Context = Mapping[str, tuple[str, ...]]
"""Request context: lower-cased key -> its values (a single-valued key has one)."""

RawContext = Mapping[str, "str | bool | int | float | Sequence[str | bool | int | float]"]


class Decision(enum.StrEnum):
    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


class PolicySource(enum.StrEnum):
    """Which kind of policy decided; the values are AWS's wording in AccessDenied messages."""

    IDENTITY = "identity-based policy"
    RESOURCE = "resource-based policy"
    BOUNDARY = "permissions boundary"
    SESSION = "session policy"
    GRANT = "grant"
    ROOT = "account root user"
    SCP = "service control policy"
    RCP = "resource control policy"
