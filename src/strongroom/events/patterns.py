"""EventBridge event patterns: parsing with AWS's error messages, and matching.

The parser walks JSON tokens the way AWS's Event Ruler (``JsonRuleCompiler``) does, so an invalid pattern is
rejected with the same reason and a Jackson-style location (``at [Source: (String)"..."; line: 1, column: 40]``).
Matching follows the Ruler's semantics: every pattern field must match; a pattern leaf is a list of
alternatives; an array in the event matches when any element does (per element of an array of objects, which
keeps fields from one element together); ``$or`` forks alternatives at its level.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

OR = "$or"
RESERVED_IN_OR = frozenset(
    {"anything-but", "numeric", "prefix", "suffix", "exists", "cidr", "equals-ignore-case", "wildcard"}
)
NUMERIC_LIMIT = 5.0e9


class InvalidPattern(ValueError):
    """A pattern AWS would reject; ``str()`` is the reason AWS gives (without its "Event pattern..." prefix)."""


# -- tokens -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # { } [ ] field string number true false null
    value: Any
    text: str
    end: int  # offset just past the token: Jackson's "current location"


class Tokens:
    """A JSON token stream with positions; structural validity is checked as Jackson does while reading."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.last_end = 0
        self._stack: list[str] = []
        self._expect_value = True
        self._decoder = json.JSONDecoder()

    def location(self, offset: int | None = None) -> str:
        at = self.last_end if offset is None else offset
        line = self.source.count("\n", 0, at) + 1
        column = at - (self.source.rfind("\n", 0, at) + 1) + 1
        shown = self.source
        if len(shown) > 500:
            shown = shown[:500] + f'"[truncated {len(self.source) - 500} chars]'
            return f' at [Source: (String)"{shown}; line: {line}, column: {column}]'
        return f' at [Source: (String)"{shown}"; line: {line}, column: {column}]'

    def fail(self, message: str, offset: int | None = None) -> InvalidPattern:
        return InvalidPattern(message + "\n" + self.location(offset))

    def _skip_ws(self) -> None:
        src = self.source
        while self.pos < len(src) and src[self.pos] in " \t\r\n":
            self.pos += 1

    def _char_error(self, expecting: str) -> InvalidPattern:
        if self.pos >= len(self.source):
            return self.fail("Unexpected end-of-input: " + expecting, self.pos)
        ch = self.source[self.pos]
        return self.fail(f"Unexpected character ('{ch}' (code {ord(ch)})): {expecting}", self.pos + 1)

    def next(self) -> Token:
        self._skip_ws()
        src = self.source
        start = self.pos
        if self._stack and self._stack[-1] == "{" and not self._expect_value:
            # Inside an object, where a field name or the closing brace must come.
            if start < len(src) and src[start] == "}":
                return self._close("}")
            if start < len(src) and src[start] == '"':
                text, value = self._string()
                self._skip_ws()
                if self.pos >= len(src) or src[self.pos] != ":":
                    raise self._char_error("was expecting a colon to separate field name and value")
                self.pos += 1
                self._expect_value = True
                return self._tok("field", value, text)
            raise self._char_error("was expecting double-quote to start field name")
        if start >= len(src):
            raise self.fail("Unexpected end-of-input", start)
        ch = src[start]
        if ch == "]" and self._stack and self._stack[-1] == "[":
            return self._close("]")
        if ch in "{[":
            self.pos += 1
            self._stack.append(ch)
            self._expect_value = ch == "["
            return self._tok(ch, None, ch)
        if ch == '"':
            text, value = self._string()
            return self._after_value(self._tok("string", value, text))
        try:
            value, end = self._decoder.raw_decode(src, start)
        except json.JSONDecodeError:
            raise self._char_error(
                "expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
            ) from None
        text = src[start:end]
        self.pos = end
        if isinstance(value, int | float) and not isinstance(value, bool):
            kind = "number"
        elif value is True:
            kind = "true"
        elif value is False:
            kind = "false"
        elif value is None:
            kind = "null"
        else:  # raw_decode of a container here would be a bug: containers start with { or [
            raise self._char_error("expected a scalar value")
        return self._after_value(self._tok(kind, value, text))

    def _string(self) -> tuple[str, str]:
        try:
            value, end = self._decoder.raw_decode(self.source, self.pos)
        except json.JSONDecodeError:
            raise self.fail("Unexpected end-of-input in VALUE_STRING", len(self.source)) from None
        text = self.source[self.pos : end]
        self.pos = end
        return text, value

    def _tok(self, kind: str, value: Any, text: str) -> Token:
        self.last_end = self.pos
        return Token(kind, value, text, self.pos)

    def _close(self, ch: str) -> Token:
        self.pos += 1
        self._stack.pop()
        token = self._tok(ch, None, ch)
        return self._after_value(token)

    def _after_value(self, token: Token) -> Token:
        """After a complete value: a comma or the container's end must follow."""
        if not self._stack:
            return token
        self._skip_ws()
        src = self.source
        closer = "}" if self._stack[-1] == "{" else "]"
        if self.pos < len(src) and src[self.pos] == ",":
            self.pos += 1
            self._skip_ws()
            if self.pos < len(src) and src[self.pos] == closer:
                raise self._char_error("was expecting double-quote to start field name")
        elif self.pos >= len(src) or src[self.pos] != closer:
            what = "OBJECT" if closer == "}" else "ARRAY"
            raise self._char_error(f"was expecting comma to separate {what} entries")
        self._expect_value = self._stack[-1] == "["
        return token


# -- matchers -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Matcher:
    """One alternative of a leaf: ``kind`` names the test, ``arg`` its parameter."""

    kind: str
    arg: Any = None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def wildcard_match(pattern: str, value: str) -> bool:
    """``*`` matches any run of characters; ``\\*`` is a literal star (validated by ``check_wildcard``)."""
    parts: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            cur.append(pattern[i + 1])
            i += 2
            continue
        if ch == "*":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    if len(parts) == 1:
        return value == parts[0]
    if not value.startswith(parts[0]):
        return False
    pos = len(parts[0])
    for middle in parts[1:-1]:
        found = value.find(middle, pos)
        if found < 0:
            return False
        pos = found + len(middle)
    return len(value) - pos >= len(parts[-1]) and value.endswith(parts[-1])


def _fold(text: str) -> str:
    return text.casefold()


def _in_cidr(network: ipaddress.IPv4Network | ipaddress.IPv6Network, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    return address.version == network.version and address in network


def match_scalar(m: Matcher, value: Any) -> bool:
    """Does one present scalar event value satisfy the matcher?"""
    kind, arg = m.kind, m.arg
    if kind == "exact":
        if isinstance(arg, str):
            return isinstance(value, str) and value == arg
        if arg is None or isinstance(arg, bool):
            return value is arg
        num = _number(value)
        return num is not None and num == float(arg)
    if kind == "exists":
        return bool(arg)
    if kind == "numeric":
        num = _number(value)
        return num is not None and all(_compare(op, num, bound) for op, bound in arg)
    if not isinstance(value, str):
        if kind == "anything-but":
            values, numeric = arg
            num = _number(value)
            return num not in values if numeric else True
        return kind in ("anything-but-prefix", "anything-but-suffix", "anything-but-wildcard", "anything-but-eic")
    if kind == "prefix":
        return value.startswith(arg)
    if kind == "prefix-eic":
        return _fold(value).startswith(_fold(arg))
    if kind == "suffix":
        return value.endswith(arg)
    if kind == "suffix-eic":
        return _fold(value).endswith(_fold(arg))
    if kind == "equals-ignore-case":
        return _fold(value) == _fold(arg)
    if kind == "wildcard":
        return wildcard_match(arg, value)
    if kind == "cidr":
        return _in_cidr(arg, value)
    if kind == "anything-but":
        values, numeric = arg
        return True if numeric else value not in values
    if kind == "anything-but-prefix":
        return not any(value.startswith(p) for p in arg)
    if kind == "anything-but-suffix":
        return not any(value.endswith(s) for s in arg)
    if kind == "anything-but-wildcard":
        return not any(wildcard_match(w, value) for w in arg)
    if kind == "anything-but-eic":
        return _fold(value) not in {_fold(v) for v in arg}
    raise AssertionError(kind)


def _compare(op: str, value: float, bound: float) -> bool:
    if op == "=":
        return value == bound
    if op == "<":
        return value < bound
    if op == "<=":
        return value <= bound
    if op == ">":
        return value > bound
    return value >= bound


# -- the compiled pattern -----------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    """An object level of a pattern: leaves (field -> alternatives), children, and ``$or`` branches."""

    leaves: dict[str, list[Matcher]] = field(default_factory=dict)
    children: dict[str, Node] = field(default_factory=dict)
    ors: list[list[Node]] = field(default_factory=list)

    def matches(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return False
        for name, matchers in self.leaves.items():
            if not _leaf_matches(matchers, event, name):
                return False
        for name, child in self.children.items():
            if not _child_matches(child, event.get(name, _ABSENT)):
                return False
        return all(any(branch.matches(event) for branch in alternatives) for alternatives in self.ors)


_ABSENT = object()


def _scalars(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif not isinstance(value, dict):
        yield value


def _leaf_matches(matchers: list[Matcher], event: dict[str, Any], name: str) -> bool:
    values = list(_scalars(event[name])) if name in event else []
    for m in matchers:
        if m.kind == "exists":
            if bool(values) == bool(m.arg):
                return True
            continue
        if any(match_scalar(m, v) for v in values):
            return True
    return False


def _child_matches(child: Node, value: Any) -> bool:
    if value is _ABSENT:
        return child.matches({})
    if isinstance(value, list):
        objects = [v for v in _flatten(value) if isinstance(v, dict)]
        return any(child.matches(obj) for obj in objects) if objects else child.matches({})
    return child.matches(value if isinstance(value, dict) else {})


def _flatten(values: list[Any]) -> Iterator[Any]:
    for v in values:
        if isinstance(v, list):
            yield from _flatten(v)
        else:
            yield v


@dataclass(frozen=True)
class EventPattern:
    root: Node
    source: str

    def matches(self, event: dict[str, Any]) -> bool:
        return self.root.matches(event)


# -- the compiler ---------------------------------------------------------------------------------------


def parse(source: str) -> EventPattern:
    """Compile a pattern; raises ``InvalidPattern`` with AWS's reason text."""
    tokens = Tokens(source)
    first = tokens.next()
    if first.kind != "{":
        raise tokens.fail("Filter is not an object")
    root = _parse_object(tokens, in_or=False)
    tokens._skip_ws()
    if tokens.pos < len(source):
        raise tokens._char_error("expected end of input")
    return EventPattern(root, source)


def _parse_object(tokens: Tokens, *, in_or: bool) -> Node:
    node = Node()
    present = False
    while True:
        tok = tokens.next()
        if tok.kind == "}":
            break
        present = True
        name = tok.value
        if name == OR:
            node.ors.append(_parse_or(tokens))
            continue
        if in_or and name in RESERVED_IN_OR:
            raise tokens.fail(f"{name} is Ruler reserved fieldName which cannot be used inside {OR}.")
        value = tokens.next()
        if value.kind == "{":
            child = _parse_object(tokens, in_or=in_or)
            existing = node.children.get(name)
            node.children[name] = _merge(existing, child) if existing else child
        elif value.kind == "[":
            node.leaves[name] = _parse_leaf(tokens)
        else:
            raise tokens.fail(f'"{name}" must be an object or an array')
    if not present:
        raise tokens.fail("Empty objects are not allowed")
    return node


def _merge(a: Node, b: Node) -> Node:
    return Node({**a.leaves, **b.leaves}, {**a.children, **b.children}, [*a.ors, *b.ors])


def _parse_or(tokens: Tokens) -> list[Node]:
    if tokens.next().kind != "[":
        raise tokens.fail(f"It must be an Array followed with {OR}.")
    branches: list[Node] = []
    while True:
        tok = tokens.next()
        if tok.kind == "]":
            break
        if tok.kind != "{":
            raise tokens.fail(f"Only JSON object is allowed in array of {OR} relationship.")
        branches.append(_parse_object(tokens, in_or=True))
    if len(branches) < 2:
        raise tokens.fail(f"There must have at least 2 Objects in {OR} relationship.")
    return branches


def _parse_leaf(tokens: Tokens) -> list[Matcher]:
    values: list[Matcher] = []
    while True:
        tok = tokens.next()
        if tok.kind == "]":
            break
        if tok.kind == "{":
            values.append(_parse_expression(tokens))
        elif tok.kind in ("string", "number", "true", "false", "null"):
            values.append(Matcher("exact", tok.value))
        else:
            raise tokens.fail("Match value must be String, number, true, false, or null")
    if not values:
        raise tokens.fail("Empty arrays are not allowed")
    return values


def _end_object(tokens: Tokens, message: str = "Only one key allowed in match expression") -> None:
    if tokens.next().kind != "}":
        raise tokens.fail(message)


def _string_arg(tokens: Tokens, what: str) -> str:
    tok = tokens.next()
    if tok.kind != "string":
        raise tokens.fail(f"{what} match pattern must be a string")
    return str(tok.value)


def _parse_expression(tokens: Tokens) -> Matcher:
    tok = tokens.next()
    if tok.kind != "field":
        raise tokens.fail("Match expression name not found")
    kind = tok.value
    if kind in ("prefix", "suffix"):
        arg = tokens.next()
        if arg.kind == "{":
            inner = tokens.next()
            if inner.kind != "field" or inner.value != "equals-ignore-case":
                raise tokens.fail(f"Unsupported {kind} pattern: {inner.value}")
            text = _string_arg(tokens, f"{kind}/equals-ignore-case")
            _end_object(tokens)
            _end_object(tokens)
            return Matcher(f"{kind}-eic", text)
        if arg.kind != "string":
            raise tokens.fail(f"{kind} match pattern must be a string")
        _end_object(tokens)
        return Matcher(kind, arg.value)
    if kind == "equals-ignore-case":
        text = _string_arg(tokens, "equals-ignore-case")
        _end_object(tokens)
        return Matcher(kind, text)
    if kind == "wildcard":
        text = _string_arg(tokens, "wildcard")
        check_wildcard(tokens, text)
        _end_object(tokens)
        return Matcher(kind, text)
    if kind == "cidr":
        text = _string_arg(tokens, "prefix")
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            reason = f"Malformed CIDR, one '/' required: {text}" if "/" not in text else f"Invalid CIDR: {text}"
            raise tokens.fail(reason) from None
        _end_object(tokens)
        return Matcher(kind, network)
    if kind == "exists":
        arg = tokens.next()
        if arg.kind not in ("true", "false"):
            raise tokens.fail("exists match pattern must be either true or false.")
        _end_object(tokens)
        return Matcher("exists", arg.kind == "true")
    if kind == "numeric":
        if tokens.next().kind != "[":
            raise tokens.fail("Value of numeric must be an array.")
        matcher = _parse_numeric(tokens)
        _end_object(tokens, "Too many elements in numeric expression")
        return matcher
    if kind == "anything-but":
        return _parse_anything_but(tokens)
    raise tokens.fail(f"Unrecognized match type {kind}")


def check_wildcard(tokens: Tokens, text: str) -> None:
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise tokens.fail(f"Invalid escape character at pos {i + 1}")
            i += 2
            continue
        if ch == "*" and i + 1 < len(text) and text[i + 1] == "*":
            raise tokens.fail(f"Consecutive wildcard characters at pos {i + 1}")
        i += 1


def _numeric_value(tokens: Tokens, tok: Token, operator: str) -> float:
    if tok.kind != "number":
        raise tokens.fail(f"Value of {operator} must be numeric")
    value = float(tok.value)
    if math.isnan(value) or not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise tokens.fail("Value must be between -5.0E9 and 5.0E9, inclusive")
    return value


def _parse_numeric(tokens: Tokens) -> Matcher:
    tok = tokens.next()
    if tok.kind != "string":
        raise tokens.fail(f"Invalid member in numeric match: {tok.text}")
    operator = tok.value
    if operator not in ("=", "<", "<=", ">", ">="):
        tokens.next()
        raise tokens.fail(f"Unrecognized numeric range operator: {operator}")
    bottom = _numeric_value(tokens, tokens.next(), "equals" if operator == "=" else operator)
    conditions: list[tuple[str, float]] = [(operator, bottom)]
    nxt = tokens.next()
    if nxt.kind == "]":
        return Matcher("numeric", tuple(conditions))
    if operator in ("=", "<", "<="):
        raise tokens.fail("Too many elements in numeric expression")
    if nxt.kind != "string":
        raise tokens.fail(f"Bad value in numeric range: {nxt.text}")
    top_op = nxt.value
    if top_op not in ("<", "<="):
        raise tokens.fail(f"Bad numeric range operator: {top_op}")
    top = _numeric_value(tokens, tokens.next(), top_op)
    if top <= bottom:
        raise tokens.fail(f"Bottom must be less than top: {bottom} > {top}" if top < bottom else "Bad range")
    conditions.append((top_op, top))
    if tokens.next().kind != "]":
        raise tokens.fail("Too many terms in numeric range expression")
    return Matcher("numeric", tuple(conditions))


def _string_list(tokens: Tokens, what: str) -> list[str]:
    """A string or a non-empty list of strings (anything-but's prefix/suffix/wildcard/equals-ignore-case)."""
    tok = tokens.next()
    if tok.kind == "string":
        return [tok.value]
    if tok.kind != "[":
        raise tokens.fail(f"{what} match pattern must be a string")
    items: list[str] = []
    while True:
        item = tokens.next()
        if item.kind == "]":
            break
        if item.kind != "string":
            raise tokens.fail(f"Inside anything-but/{what} list, number|start|null|boolean is not supported.")
        items.append(item.value)
    if not items:
        raise tokens.fail("Empty arrays are not allowed")
    return items


def _parse_anything_but(tokens: Tokens) -> Matcher:
    tok = tokens.next()
    if tok.kind == "{":
        op = tokens.next()
        if op.kind != "field":
            raise tokens.fail("Anything-But expression name not found")
        name = op.value
        if name not in ("prefix", "suffix", "wildcard", "equals-ignore-case"):
            raise tokens.fail(f"Unsupported anything-but pattern: {name}")
        items = _string_list(tokens, name)
        if name in ("prefix", "suffix") and any(not s for s in items):
            raise tokens.fail("Null prefix/suffix not allowed")
        if name == "wildcard":
            for item in items:
                check_wildcard(tokens, item)
        _end_object(tokens)
        _end_object(tokens)
        kind = {"equals-ignore-case": "anything-but-eic"}.get(name, f"anything-but-{name}")
        return Matcher(kind, tuple(items))
    if tok.kind == "[":
        strings: set[str] = set()
        numbers: set[float] = set()
        while True:
            elem = tokens.next()
            if elem.kind == "]":
                break
            if elem.kind == "string":
                strings.add(elem.value)
            elif elem.kind == "number":
                numbers.add(float(elem.value))
            else:
                raise tokens.fail("Inside anything but list, start|null|boolean is not supported.")
        if bool(strings) == bool(numbers):
            raise tokens.fail(
                "Inside anything but list, either all values are number or string, mixed type is not supported"
            )
        _end_object(tokens, "Too many elements in numeric expression")
        return Matcher("anything-but", (frozenset(numbers) if numbers else frozenset(strings), bool(numbers)))
    if tok.kind == "string":
        _end_object(tokens, "Too many elements in numeric expression")
        return Matcher("anything-but", (frozenset({tok.value}), False))
    if tok.kind == "number":
        _end_object(tokens, "Too many elements in numeric expression")
        return Matcher("anything-but", (frozenset({float(tok.value)}), True))
    raise tokens.fail("Value of anything-but must be an array or single string/number value.")


def error_message(reason: str) -> str:
    """The InvalidEventPatternException message AWS returns for a Ruler reason."""
    return f"Event pattern is not valid. Reason: {reason}"


def matches(pattern: str | EventPattern, event: dict[str, Any]) -> bool:
    compiled = parse(pattern) if isinstance(pattern, str) else pattern
    return compiled.matches(event)
