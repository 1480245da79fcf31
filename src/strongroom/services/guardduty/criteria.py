"""``FindingCriteria`` and ``SortCriteria`` over stored findings (the findings' member form, as GetFindings answers).

AWS names a criterion's field by the finding's JSON path (``service.archived``, ``resource.resourceType``,
``severity``, ``updatedAt``); the path is resolved against the model's ``Finding`` shape (wire names to member
names), so any field of the schema can be queried and an unknown one is refused as AWS refuses it. A path through
a list matches when any element does. Conditions, as the API reference defines them: ``Eq``/``Equals`` any of the
values, ``Neq``/``NotEquals`` none of them, ``Gt``/``Gte``/``Lt``/``Lte`` and ``GreaterThan``… numeric — timestamps
(``updatedAt``, ``service.eventFirstSeen``…) compare as epoch milliseconds.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botocore.model import Shape

from strongroom.services.guardduty.errors import bad_request

_ANY = ("Eq", "Equals")
_NONE = ("Neq", "NotEquals")
_NUMERIC = {
    "Gt": lambda a, b: a > b,
    "GreaterThan": lambda a, b: a > b,
    "Gte": lambda a, b: a >= b,
    "GreaterThanOrEqual": lambda a, b: a >= b,
    "Lt": lambda a, b: a < b,
    "LessThan": lambda a, b: a < b,
    "Lte": lambda a, b: a <= b,
    "LessThanOrEqual": lambda a, b: a <= b,
}


def resolve(finding_shape: Shape, path: str) -> tuple[str, ...]:
    """``service.action.awsApiCallAction.api`` -> ``("Service", "Action", "AwsApiCallAction", "Api")``."""
    shape: Any = finding_shape
    out: list[str] = []
    for part in path.split("."):
        while shape.type_name == "list":
            shape = shape.member
        if shape.type_name == "map":  # tags: resource.instanceDetails.tags.key style paths end in a map
            out.append(part)
            shape = shape.value
            continue
        if shape.type_name != "structure":
            raise bad_request()
        match = next(
            (name for name, m in shape.members.items() if m.serialization.get("name", name) == part or name == part),
            None,
        )
        if match is None:
            raise bad_request()
        out.append(match)
        shape = shape.members[match]
    return tuple(out)


def values_at(item: Any, path: tuple[str, ...]) -> list[Any]:
    found = [item]
    for part in path:
        nxt: list[Any] = []
        for value in found:
            value_list = value if isinstance(value, list) else [value]
            for v in value_list:
                if isinstance(v, Mapping) and part in v:
                    got = v[part]
                    nxt.extend(got if isinstance(got, list) else [got])
        found = nxt
    return [v for v in found if v is not None]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.timestamp() * 1000
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
        except ValueError:
            return None
    return None


def _equal(actual: Any, wanted: str) -> bool:
    if isinstance(actual, bool):
        return wanted.lower() == str(actual).lower()
    if isinstance(actual, int | float):
        number = _number(wanted)
        return number is not None and float(actual) == number
    return str(actual) == wanted


def check(criterion: Mapping[str, Any], finding_shape: Shape) -> dict[tuple[str, ...], Mapping[str, Any]]:
    """Resolve every field of a ``Criterion`` map (raises AWS's BadRequestException for an unknown one)."""
    out: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for field, condition in criterion.items():
        if not isinstance(condition, Mapping) or not condition:
            raise bad_request()
        out[resolve(finding_shape, field)] = condition
    return out


def matches(finding: Mapping[str, Any], resolved: Mapping[tuple[str, ...], Mapping[str, Any]]) -> bool:
    for path, condition in resolved.items():
        actual = values_at(finding, path)
        for op, operand in condition.items():
            if op in _ANY:
                if not any(_equal(a, str(w)) for a in actual for w in operand):
                    return False
            elif op in _NONE:
                if any(_equal(a, str(w)) for a in actual for w in operand):
                    return False
            elif op in _NUMERIC:
                numbers = [n for n in (_number(a) for a in actual) if n is not None]
                if not any(_NUMERIC[op](n, float(operand)) for n in numbers):
                    return False
            elif op in ("Matches", "NotMatches"):
                hit = any(_glob(str(a), str(w)) for a in actual for w in operand)
                if hit != (op == "Matches"):
                    return False
    return True


def _glob(value: str, pattern: str) -> bool:
    """``Matches``: AWS's wildcard ``*`` (any run of characters) and ``?`` (one character)."""
    return fnmatch.fnmatchcase(value, pattern)


def sort_key(path: tuple[str, ...]) -> Any:
    def key(finding: Mapping[str, Any]) -> tuple[int, Any]:
        found = values_at(finding, path)
        if not found:
            return (0, "")
        number = _number(found[0]) if not isinstance(found[0], str) or path[-1].endswith(("At", "Seen")) else None
        return (1, number) if number is not None else (2, str(found[0]))

    return key
