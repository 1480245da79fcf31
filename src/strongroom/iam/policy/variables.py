"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, ``${?}``, ``${$}`` and defaults.

A string from a policy is compiled once into a :class:`Template` (literal parts and variable references) so that
request-time substitution is a tuple walk. Variables are only recognised in documents whose Version is
2012-10-17; in older documents ``${...}`` is literal text, as AWS documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from strongroom.iam.policy.types import Context

# ${key} or ${key, 'default'} — AWS allows a default value only in single quotes after a comma.
_VAR_RE = re.compile(r"\$\{([^}]*)\}")
_DEFAULT_RE = re.compile(r"^\s*([^,\s][^,]*?)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Literal:
    """Text copied as is; ``wild`` says whether ``*``/``?`` in it are wildcards (policy text) or literal."""

    text: str
    wild: bool = True


@dataclass(frozen=True, slots=True)
class Variable:
    """A reference to a request-context key (lower-cased) with an optional default."""

    key: str
    default: str | None = None


Part = Literal | Variable


@dataclass(frozen=True, slots=True)
class Template:
    """A policy string split into literal and variable parts."""

    parts: tuple[Part, ...]
    raw: str

    @property
    def has_variables(self) -> bool:
        return any(isinstance(p, Variable) for p in self.parts)

    @property
    def static_parts(self) -> tuple[Literal, ...]:
        """The parts of a template without variables."""
        return cast("tuple[Literal, ...]", self.parts)

    def resolve(self, context: Context, missing_as_wildcard: bool = False) -> list[Literal] | None:
        """Substitute variables; None when a referenced key is missing or multi-valued (AWS: no match), or a
        ``*`` wildcard in its place when ``missing_as_wildcard``."""
        out: list[Literal] = []
        for part in self.parts:
            if isinstance(part, Literal):
                out.append(part)
                continue
            values = context.get(part.key)
            if values is None or len(values) != 1:
                if part.default is not None:
                    out.append(Literal(part.default, wild=False))
                elif missing_as_wildcard:
                    out.append(Literal("*"))
                else:
                    return None
            else:
                out.append(Literal(values[0], wild=False))
        return out

    def render(self, context: Context) -> str | None:
        """Substituted plain string (wildcard meaning dropped), for exact comparisons."""
        parts = self.resolve(context)
        if parts is None:
            return None
        return "".join(p.text for p in parts)


def compile_resource_template(text: str, variables_enabled: bool) -> Template:
    """Like :func:`compile_template` for a Resource ARN: AWS substitutes variables only in the resource part
    (after the fifth colon); ``${...}`` before it stays literal text."""
    pieces = text.split(":", 5)
    if len(pieces) != 6 or not variables_enabled or "${" not in pieces[5]:
        return compile_template(text, variables_enabled and len(pieces) != 6)
    prefix = ":".join(pieces[:5]) + ":"
    tail = compile_template(pieces[5], True)
    return Template((Literal(prefix), *tail.parts), text)


def compile_template(text: str, variables_enabled: bool) -> Template:
    """Split ``text`` into parts; with variables disabled the whole text is one literal."""
    if not variables_enabled or "${" not in text:
        return Template((Literal(text),), text)
    parts: list[Part] = []
    pos = 0
    for m in _VAR_RE.finditer(text):
        if m.start() > pos:
            parts.append(Literal(text[pos : m.start()]))
        inner = m.group(1)
        if inner in _SPECIAL:
            # ${*} and ${?} stand for the literal characters, never wildcards.
            parts.append(Literal(_SPECIAL[inner], wild=False))
        else:
            dm = _DEFAULT_RE.match(inner)
            if dm:
                parts.append(Variable(dm.group(1).strip().lower(), dm.group(2)))
            else:
                parts.append(Variable(inner.strip().lower()))
        pos = m.end()
    if pos < len(text):
        parts.append(Literal(text[pos:]))
    return Template(tuple(parts), text)
