"""Condition operators with ``...IfExists``, ``ForAllValues:`` and ``ForAnyValue:`` as AWS documents them.

Semantics (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and ..._condition-single-vs-multi-valued-context-keys.html):

* keys in one block are ANDed, operators are ANDed, the values of one key are ORed;
* a missing key makes a positive operator false and a negated one (``StringNotEquals``, ``NotIpAddress``, ...)
  true; ``...IfExists`` makes any operator true for a missing key;
* ``ForAllValues:`` is true when every request value matches (so true for a missing or empty key);
  ``ForAnyValue:`` is true when at least one does (so false for a missing key);
* a value that cannot be converted to the operator's type never matches.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from strongroom.iam.policy.matching import arn_match, parts_match
from strongroom.iam.policy.types import Context, RawContext
from strongroom.iam.policy.variables import Literal, Template, compile_template


class MultiValue(tuple[str, ...]):
    """Values of a key the caller supplied as a list (a multivalued key such as aws:TagKeys)."""

    __slots__ = ()


def _to_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalize_context(raw: RawContext) -> dict[str, tuple[str, ...]]:
    """Lower-case key names (AWS matches them case-insensitively) and make every value a tuple of strings."""
    out: dict[str, tuple[str, ...]] = {}
    for key, value in raw.items():
        name = _LOWER.get(key)
        if name is None:
            name = key.lower()
            if len(_LOWER) < _LOWER_MAX:
                _LOWER[key] = name
        if type(value) is str:  # by far the most common: skip the conversions
            out[name] = (value,)
        elif isinstance(value, (list, tuple)):
            out[name] = MultiValue(_to_text(v) for v in value)
        else:
            out[name] = (_to_text(value),)
    return out


# Every request evaluates the same few dozen key names; their lower-case forms are kept (bounded: names can
# come from callers, e.g. encryption context keys).
_LOWER: dict[str, str] = {}
_LOWER_MAX = 4096


# --- value conversions -------------------------------------------------------------------------------------------


def _number(text: str) -> Decimal | None:
    try:
        d = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def parse_date(text: str) -> datetime | None:
    """ISO 8601 (date, date-time, with or without zone) or epoch seconds, as AWS accepts for Date operators."""
    s = text.strip()
    if not s:
        return None
    if s.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(s), tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


def _binary(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


# --- operator table ----------------------------------------------------------------------------------------------

# Each base operator: (family, negated). Families decide how policy values are compiled and compared.
BASE_OPERATORS: dict[str, tuple[str, bool]] = {
    "stringequals": ("str_eq", False),
    "stringnotequals": ("str_eq", True),
    "stringequalsignorecase": ("str_ieq", False),
    "stringnotequalsignorecase": ("str_ieq", True),
    "stringlike": ("str_like", False),
    "stringnotlike": ("str_like", True),
    "numericequals": ("num_eq", False),
    "numericnotequals": ("num_eq", True),
    "numericlessthan": ("num_lt", False),
    "numericlessthanequals": ("num_le", False),
    "numericgreaterthan": ("num_gt", False),
    "numericgreaterthanequals": ("num_ge", False),
    "dateequals": ("date_eq", False),
    "datenotequals": ("date_eq", True),
    "datelessthan": ("date_lt", False),
    "datelessthanequals": ("date_le", False),
    "dategreaterthan": ("date_gt", False),
    "dategreaterthanequals": ("date_ge", False),
    "bool": ("bool", False),
    "binaryequals": ("binary", False),
    "ipaddress": ("ip", False),
    "notipaddress": ("ip", True),
    "arnequals": ("arn", False),
    "arnlike": ("arn", False),
    "arnnotequals": ("arn", True),
    "arnnotlike": ("arn", True),
    "null": ("null", False),
}

_CMP: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}


class UnknownOperatorError(ValueError):
    """The condition operator is not one AWS defines."""


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    name: str
    family: str
    negated: bool
    qualifier: str | None  # "all" | "any" | None
    if_exists: bool


def parse_operator(name: str) -> ParsedOperator:
    """Split ``ForAnyValue:StringLikeIfExists`` into its parts; operator names are case-insensitive here."""
    rest = name
    qualifier: str | None = None
    low = rest.lower()
    if low.startswith("forallvalues:"):
        qualifier, rest = "all", rest[len("forallvalues:") :]
    elif low.startswith("foranyvalue:"):
        qualifier, rest = "any", rest[len("foranyvalue:") :]
    low = rest.lower()
    if_exists = low.endswith("ifexists") and low != "ifexists"
    if if_exists:
        low = low[: -len("ifexists")]
    entry = BASE_OPERATORS.get(low)
    if entry is None or (entry[0] == "null" and (if_exists or qualifier)):
        raise UnknownOperatorError(name)
    return ParsedOperator(name, entry[0], entry[1], qualifier, if_exists)


def _compile_value(family: str, raw: str, variables: bool) -> Any:
    if family in ("str_eq", "str_ieq", "str_like", "arn"):
        return compile_template(raw, variables)
    if family.startswith("num_"):
        return _number(raw)
    if family.startswith("date_"):
        return parse_date(raw)
    if family == "bool":
        return raw.lower()
    if family == "binary":
        return _binary(raw)
    if family == "ip":
        return _network(raw)
    if family == "null":
        return raw.lower() == "true"
    raise AssertionError(family)


class UnresolvedVariable(Exception):
    """A policy variable has no value: AWS treats the whole statement as not applying."""


class ConditionClause:
    """One (operator, key, values) triple, compiled."""

    __slots__ = ("key", "op", "raw_values", "values")

    def __init__(self, op: ParsedOperator, key: str, raw_values: Sequence[str], variables: bool) -> None:
        self.op = op
        self.key = key.lower()
        self.raw_values = tuple(raw_values)
        self.values = tuple(_compile_value(op.family, v, variables) for v in raw_values)

    # One request value against the policy values: True/False, or None when the request value does not
    # convert to the operator's type (never a match, negated or not).
    def _positive(self, value: str, context: Context) -> bool | None:
        family = self.op.family
        if family == "str_eq":
            return any(_render(t, context) == value for t in self.values)
        if family == "str_ieq":
            folded = value.casefold()
            return any(_render(t, context).casefold() == folded for t in self.values)
        if family == "str_like":
            return any(parts_match(_resolve(t, context), value) for t in self.values)
        if family == "arn":
            if value.count(":") < 5 or not value.startswith("arn:"):
                return None
            return any(arn_match(_resolve(t, context), value) for t in self.values)
        if family.startswith("num_") or family.startswith("date_"):
            converted = _number(value) if family.startswith("num_") else parse_date(value)
            if converted is None:
                return None
            cmp = _CMP[family[family.index("_") + 1 :]]
            return any(p is not None and cmp(converted, p) for p in self.values)
        if family == "bool":
            low = value.lower()
            if low not in ("true", "false"):
                return None
            return low in self.values
        if family == "binary":
            data = _binary(value)
            if data is None:
                return None
            return data in self.values
        if family == "ip":
            addr = _ip(value)
            if addr is None:
                return None
            return any(n is not None and n.version == addr.version and addr in n for n in self.values)
        raise AssertionError(family)

    def _single(self, value: str, context: Context) -> bool:
        result = self._positive(value, context)
        if result is None:
            return False
        return not result if self.op.negated else result

    def evaluate(self, context: Context) -> bool:
        values = context.get(self.key)
        present = bool(values)
        op = self.op
        if op.family == "null":
            return any(v == (not present) for v in self.values)
        if not present:
            if op.if_exists or op.qualifier == "all":
                return True
            if op.qualifier == "any":
                return False
            return op.negated
        assert values is not None
        if op.qualifier == "all":
            return all(self._single(v, context) for v in values)
        if op.qualifier is None and isinstance(values, MultiValue):
            # AWS: multivalued keys require ForAllValues/ForAnyValue; a plain operator never matches them.
            return False
        if op.qualifier == "any" or not op.negated:
            return any(self._single(v, context) for v in values)
        # A negated operator on a key without a set qualifier: no request value may match a policy value.
        return all(self._single(v, context) for v in values)


def _resolve(t: Template, context: Context) -> list[Literal]:
    parts = t.resolve(context) if t.has_variables else list(t.static_parts)
    if parts is None:
        raise UnresolvedVariable(t.raw)
    return parts


def _render(t: Template, context: Context) -> str:
    return "".join(p.text for p in _resolve(t, context))


def evaluate_conditions(clauses: Iterable[ConditionClause], context: Context) -> bool:
    """All clauses must hold (AND across operators and keys); an unresolvable variable fails the block."""
    try:
        return all(c.evaluate(context) for c in clauses)
    except UnresolvedVariable:
        return False
