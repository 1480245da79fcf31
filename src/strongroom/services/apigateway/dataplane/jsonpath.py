"""The JSONPath subset API Gateway's `$input.path` / `$input.json` accept: `$`, `$.a.b`, `$.a[0]`, `$['a']`,
`$.a[*].b`, `$.*`, negative indexes and `$..a` (deep scan).

A path with a wildcard or a deep scan is indefinite and yields a list of every match (as Jayway JsonPath, which AWS
uses, does); a definite path yields the one value, or `MISSING`.
"""

from __future__ import annotations

import re
from typing import Any, Final


class JsonPathError(ValueError):
    """The path is not valid JSONPath."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

_TOKEN = re.compile(
    r"""
    \.\.(?P<deep>[A-Za-z_$][\w$-]*|\*)       # ..name
  | \.(?P<name>[A-Za-z_$@][\w$@-]*)            # .name
  | \.\*                                       # .*  (wildcard)
  | \[\s*(?P<index>-?\d+)\s*\]                 # [0]
  | \[\s*\*\s*\]                               # [*]
  | \[\s*'(?P<sq>(?:[^'\\]|\\.)*)'\s*\]        # ['name']
  | \[\s*"(?P<dq>(?:[^"\\]|\\.)*)"\s*\]        # ["name"]
    """,
    re.X,
)
_MAX_PATH = 1024

Step = tuple[str, Any]  # ("key", name) | ("index", n) | ("all", None) | ("deep", name-or-None)


def parse(path: str) -> tuple[Step, ...]:
    """Compile a path into steps; `JsonPathError` when it is not one."""
    path = path.strip()
    if len(path) > _MAX_PATH or not path.startswith("$"):
        raise JsonPathError(f"Invalid JSONPath {path[:64]!r}")
    steps: list[Step] = []
    pos = 1
    while pos < len(path):
        match = _TOKEN.match(path, pos)
        if match is None:
            raise JsonPathError(f"Invalid JSONPath {path[:64]!r} at {pos}")
        groups = match.groupdict()
        if groups["deep"] is not None:
            steps.append(("deep", None if groups["deep"] == "*" else groups["deep"]))
        elif groups["name"] is not None:
            steps.append(("key", groups["name"]))
        elif groups["index"] is not None:
            steps.append(("index", int(groups["index"])))
        elif groups["sq"] is not None or groups["dq"] is not None:
            raw = groups["sq"] if groups["sq"] is not None else groups["dq"]
            steps.append(("key", re.sub(r"\\(.)", r"\1", raw)))
        else:
            steps.append(("all", None))
        pos = match.end()
    return tuple(steps)


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _descendants(value: Any) -> list[Any]:
    out: list[Any] = []
    stack = [value]
    while stack:  # iterative: a deeply nested document cannot exhaust the Python stack
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(_children(node)))
    return out


def evaluate(document: Any, path: str) -> Any:
    """The value at `path` (MISSING when a definite path does not exist), or a list for an indefinite path."""
    steps = parse(path)
    indefinite = any(kind in ("all", "deep") for kind, _ in steps)
    current: list[Any] = [document]
    for kind, arg in steps:
        nxt: list[Any] = []
        for node in current:
            if kind == "key":
                if isinstance(node, dict) and arg in node:
                    nxt.append(node[arg])
            elif kind == "index":
                if isinstance(node, list) and -len(node) <= arg < len(node):
                    nxt.append(node[arg])
            elif kind == "all":
                nxt.extend(_children(node))
            else:
                for descendant in _descendants(node):
                    if arg is None:
                        nxt.extend(_children(descendant))
                    elif isinstance(descendant, dict) and arg in descendant:
                        nxt.append(descendant[arg])
        current = nxt
    if indefinite:
        return current
    return current[0] if current else MISSING
