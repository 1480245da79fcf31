"""``patchOperations`` as API Gateway applies them: JSON-patch-like ``op``/``path``/``value``/``from`` on a document.

Each Update* operation accepts its own paths, each with its own ops (AWS's "PatchOperation" reference). A rule
names a path (``/name``), or a map or set under a prefix (``/variables/{name}``, ``/binaryMediaTypes/{type}``:
the rest of the path is the key, ``~1`` standing for ``/`` and ``~0`` for ``~`` as in JSON pointers). A path no
rule matches is refused naming the rules' paths; a matched path with an op its rule does not take is refused as
AWS refuses it. Values arrive as strings and are converted to the member's type.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from strongroom.services.apigateway.errors import BadRequestException

Doc = dict[str, Any]
Convert = Callable[[str, Any], Any]


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def as_str(path: str, value: Any) -> str:
    if value is None:
        raise BadRequestException(f"Invalid null or empty value in {path.lstrip('/').split('/')[0]}")
    return str(value)


def as_bool(path: str, value: Any) -> bool:
    text = str(value).strip().lower() if value is not None else ""
    if text not in ("true", "false"):
        raise BadRequestException(f"Invalid boolean value specified for {path}: {value}")
    return text == "true"


def as_int(path: str, value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequestException(f"Invalid integer value specified for {path}: {value}") from None


def as_float(path: str, value: Any) -> float:
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequestException(f"Invalid double value specified for {path}: {value}") from None
    if not math.isfinite(number):
        raise BadRequestException(f"Invalid double value specified for {path}: {value}")
    return number


@dataclass(frozen=True, slots=True)
class Rule:
    """``path`` exactly, or (``keyed``) any ``path/KEY``: a map entry (``kind="map"``) or a set member (``"set"``).

    ``member`` is the document key the path writes (its path without the slash by default; ``a/b`` writes a nested
    member). ``apply`` replaces the default write for paths that need more than a set or a remove.
    """

    path: str
    ops: frozenset[str]
    convert: Convert = as_str
    kind: str = "value"  # value | map | set
    member: str | None = None
    apply: Callable[[Doc, str, str, Any], None] | None = None
    listed: str | None = None  # how the path is named in the "Must be one of" list

    @property
    def keyed(self) -> bool:
        return self.kind in ("map", "set")

    def key_of(self, path: str) -> str | None:
        """The key a keyed rule's path names (None when the path is not this rule's)."""
        if self.keyed:
            prefix = self.path + "/"
            return unescape(path[len(prefix) :]) if path.startswith(prefix) and len(path) > len(prefix) else None
        return "" if path == self.path else None


def rule(
    path: str, *ops: str, convert: Convert = as_str, kind: str = "value", member: str | None = None, **kw: Any
) -> Rule:
    return Rule(path, frozenset(ops or ("replace",)), convert, kind, member, **kw)


@dataclass(slots=True)
class Rules:
    rules: Sequence[Rule]
    listing: str | None = None  # AWS's own list for the message, when it differs from the rules' paths
    extra: list[Rule] = field(default_factory=list)

    def find(self, path: str) -> tuple[Rule, str] | None:
        for r in (*self.rules, *self.extra):
            key = r.key_of(path)
            if key is not None:
                return r, key
        return None

    def must_be(self) -> str:
        if self.listing is not None:
            return self.listing
        names = [r.listed or (r.path + ("/{" + r.kind + "_key}" if r.keyed else "")) for r in self.rules]
        return "[" + ", ".join(names) + "]"


def _get_path(doc: Doc, member: str) -> tuple[Doc, str]:
    parts = member.split("/")
    target = doc
    for part in parts[:-1]:
        nxt = target.get(part)
        if not isinstance(nxt, dict):
            nxt = {}
            target[part] = nxt
        target = nxt
    return target, parts[-1]


def apply(doc: Doc, operations: Iterable[dict[str, Any]] | None, rules: Rules) -> Doc:
    """Apply every operation to ``doc`` in order (in place) and return it; raises BadRequestException."""
    for operation in operations or ():
        op = str(operation.get("op") or "")
        path = str(operation.get("path") or "")
        found = rules.find(path)
        if found is None:
            raise BadRequestException(
                f"Invalid patch path  '{path}' specified for op '{op}'. Must be one of: {rules.must_be()}"
            )
        r, key = found
        if op not in r.ops:
            raise BadRequestException(
                f"Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations"
            )
        value = operation.get("value")
        if r.apply is not None:
            r.apply(doc, op, key, value)
            continue
        target, name = _get_path(doc, r.member or r.path.lstrip("/"))
        if r.kind == "value":
            if op == "remove":
                target.pop(name, None)
            else:
                target[name] = r.convert(path, value)
        elif r.kind == "map":
            entries = target.setdefault(name, {})
            if op == "remove":
                if key not in entries:
                    raise BadRequestException(f"Invalid patch path  '{path}' specified for op 'remove': no such key")
                del entries[key]
            else:
                entries[key] = r.convert(path, value)
            if not entries:
                target.pop(name, None)
        else:  # set: the key is the member (value, when given, replaces it)
            members: list[Any] = list(target.get(name) or [])
            if op == "add":
                if key not in members:
                    members.append(key)
            elif op == "remove":
                members = [m for m in members if m != key]
            else:  # replace: AWS removes the old member and appends the new one
                if key not in members:
                    raise BadRequestException(f"Invalid patch path  '{path}' specified for op 'replace': no such value")
                members = [m for m in members if m != key]
                new = r.convert(path, value)
                if new not in members:
                    members.append(new)
            if members:
                target[name] = members
            else:
                target.pop(name, None)
    return doc
