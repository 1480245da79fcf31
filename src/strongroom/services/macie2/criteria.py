"""Finding criteria (``FindingCriteria.criterion``) and sort criteria over findings in the API's member form.

A criterion key is a finding field's dotted path (``severity.description``, ``resourcesAffected.s3Bucket.name``,
``classificationDetails.result.sensitiveData.detections.type``): through a list, any element may match. ``eq`` /
``neq`` / ``eqExactMatch`` compare as strings (booleans as ``true``/``false``); ``gt``/``gte``/``lt``/``lte``
compare numbers, and timestamps as epoch milliseconds, as Macie's filter fields are documented.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from strongroom.services.macie2.errors import validation

_TIMESTAMP_KEYS = frozenset(
    {"createdAt", "updatedAt", "lastModified", "firstSeen", "lastSeen", "resourcesAffected.s3Bucket.createdAt"}
)
_OPS = ("eq", "neq", "eqExactMatch", "gt", "gte", "lt", "lte")


def values_at(obj: Any, path: str) -> list[Any]:
    """Every value at the dotted ``path`` of ``obj`` (lists fan out)."""
    current: list[Any] = [obj]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, list):
                item_list: Iterable[Any] = item
            else:
                item_list = (item,)
            for element in item_list:
                if isinstance(element, dict) and part in element and element[part] is not None:
                    nxt.append(element[part])
        current = nxt
    out: list[Any] = []
    for item in current:
        out.extend(item if isinstance(item, list) else (item,))
    return out


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _as_number(key: str, value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if key.rsplit(".", 1)[-1] in _TIMESTAMP_KEYS or key in _TIMESTAMP_KEYS:
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000
            except ValueError:
                return None
        try:
            return float(value)
        except ValueError:
            return None
    return None


Rule = Callable[[dict[str, Any]], bool]


def compile_criteria(criterion: dict[str, Any] | None) -> Rule:
    """A predicate over a finding body; a malformed criterion is AWS's ValidationException."""
    tests: list[Rule] = []
    for key, condition in (criterion or {}).items():
        if not isinstance(condition, dict) or not any(op in condition for op in _OPS):
            raise validation(f"The criterion for {key} specifies no condition.")
        tests.append(_condition(key, condition))
    return lambda body: all(test(body) for test in tests)


def _condition(key: str, condition: dict[str, Any]) -> Rule:
    eq = condition.get("eq")
    exact = condition.get("eqExactMatch")
    neq = condition.get("neq")
    bounds = [(op, condition[op]) for op in ("gt", "gte", "lt", "lte") if condition.get(op) is not None]

    def test(body: dict[str, Any]) -> bool:
        found = values_at(body, key)
        texts = [_as_text(v) for v in found]
        if eq is not None and not any(t in eq for t in texts):
            return False
        if exact is not None and not any(t in exact for t in texts):
            return False
        if neq is not None and any(t in neq for t in texts):
            return False
        for op, bound in bounds:
            numbers = [n for n in (_as_number(key, v) for v in found) if n is not None]
            if not numbers:
                return False
            limit = float(bound)
            if op == "gt" and not any(n > limit for n in numbers):
                return False
            if op == "gte" and not any(n >= limit for n in numbers):
                return False
            if op == "lt" and not any(n < limit for n in numbers):
                return False
            if op == "lte" and not any(n <= limit for n in numbers):
                return False
        return True

    return test


def sort_key(attribute: str) -> Callable[[dict[str, Any]], tuple[int, Any]]:
    """Sort findings by one attribute; findings without it sort last, numbers numerically."""

    def key(body: dict[str, Any]) -> tuple[int, Any]:
        found = values_at(body, attribute)
        if not found:
            return (2, "")
        number = _as_number(attribute, found[0])
        return (0, number) if number is not None else (1, _as_text(found[0]))

    return key


def ordered(bodies: list[dict[str, Any]], sort: dict[str, Any] | None, default: str = "updatedAt") -> list[Any]:
    attribute = (sort or {}).get("attributeName") or default
    descending = ((sort or {}).get("orderBy") or ("DESC" if not sort else "ASC")) == "DESC"
    return sorted(bodies, key=sort_key(attribute), reverse=descending)
