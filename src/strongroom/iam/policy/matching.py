"""Wildcard matching of actions (case-insensitive) and resource ARNs (case-sensitive, segment by segment).

Patterns are compiled to regular expressions once and cached; exact strings avoid regex work entirely.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from strongroom.iam.policy.variables import Literal


def _glob_to_regex(parts: Iterable[Literal]) -> str:
    out: list[str] = []
    for part in parts:
        if not part.wild:
            out.append(re.escape(part.text))
            continue
        for ch in part.text:
            if ch == "*":
                out.append(".*")
            elif ch == "?":
                out.append(".")
            else:
                out.append(re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def _compiled(regex: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """``*`` matches any run of characters (including none), ``?`` exactly one."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    if pattern == "*":
        return True
    return _compiled(_glob_to_regex((Literal(pattern),)), ignore_case).fullmatch(value) is not None


def parts_match(parts: Sequence[Literal], value: str, *, ignore_case: bool = False) -> bool:
    """Match substituted template parts (variable values are literal, policy text is a glob)."""
    if len(parts) == 1 and parts[0].wild:
        return glob_match(parts[0].text, value, ignore_case=ignore_case)
    return _compiled(_glob_to_regex(parts), ignore_case).fullmatch(value) is not None


class ActionMatcher:
    """A set of action patterns: exact names in a frozenset, wildcard ones in one alternation regex."""

    __slots__ = ("_any", "_exact", "_regex")

    def __init__(self, patterns: Iterable[str]) -> None:
        exact: set[str] = set()
        wild: list[str] = []
        self._any = False
        for p in patterns:
            low = p.lower()
            if low == "*":
                self._any = True
            elif "*" in low or "?" in low:
                wild.append(_glob_to_regex((Literal(low),)))
            else:
                exact.add(low)
        self._exact = frozenset(exact)
        self._regex = re.compile("|".join(f"(?:{w})" for w in wild), re.DOTALL) if wild else None

    def matches(self, action_lower: str) -> bool:
        if self._any or action_lower in self._exact:
            return True
        return self._regex is not None and self._regex.fullmatch(action_lower) is not None


def split_arn(value: str) -> list[str] | None:
    """Split an ARN into its six components (the resource part may contain colons); None if not an ARN."""
    pieces = value.split(":", 5)
    if len(pieces) != 6 or pieces[0] != "arn":
        return None
    return pieces


@lru_cache(maxsize=8192)
def arn_regex(parts: tuple[Literal, ...]) -> re.Pattern[str] | None:
    """Regex for an ARN pattern; None for the bare ``*`` (matches everything).

    Each of the first five colon-separated components is matched on its own, so a wildcard never spans a
    colon there; the sixth (resource) component, which may itself contain colons, is matched as a whole.
    A pattern with fewer than six components is a plain glob.
    """
    if len(parts) == 1 and parts[0].wild and parts[0].text == "*":
        return None
    total_colons = sum(p.text.count(":") for p in parts)
    segmented = total_colons >= 5
    out: list[str] = []
    segment = 0
    flat = [(ch, part.wild) for part in parts for ch in part.text]
    for i, (ch, wild) in enumerate(flat):
        if ch == ":":
            segment += 1
            out.append(":")
        elif wild and ch == "?":
            out.append("[^:]" if segmented and segment < 5 else ".")
        elif wild and ch == "*":
            # AWS: a "*" that ends a segment may expand across colons; elsewhere it stays within its segment.
            ends_segment = i + 1 == len(flat) or flat[i + 1][0] == ":"
            out.append("[^:]*" if segmented and segment < 5 and not ends_segment else ".*")
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def arn_match(pattern_parts: Sequence[Literal], value: str) -> bool:
    """ARN matching as AWS does for Resource/NotResource and the Arn* condition operators."""
    regex = arn_regex(tuple(pattern_parts))
    return regex is None or regex.fullmatch(value) is not None
