"""CloudWatch Logs filter patterns: parsed once into a small AST, then matched against each event's message.

The three families of AWS's "Filter pattern syntax for metric filters, subscription filters, filter log events":

- **unstructured** terms: ``ERROR`` (the term appears in the message, case-sensitively), space-separated terms all
  appear (AND), ``"a quoted phrase"``, ``?ERROR ?WARN`` (at least one of the ``?`` terms), ``-term`` (the term does
  not appear), ``%regex%``; an empty pattern matches every event.
- **JSON** ``{ $.field = "value" }``: selectors ``$.a.b``, ``$.list[0]``, ``$.list[*]`` / ``$.*`` (any element),
  ``$.['odd.key']``; ``=`` / ``!=`` against strings (``*`` wildcards, unquoted or quoted) or ``%regex%``; ``= != < <=
  > >=`` against numbers; ``IS NULL``, ``IS TRUE``, ``IS FALSE``, ``EXISTS``, ``NOT EXISTS``; ``&&``, ``||`` (``&&``
  binds tighter) and parentheses. A message that is not a JSON object matches no JSON pattern.
- **space-delimited** ``[ip, user, ..., status=4*, size>1000]``: the message split on spaces (text inside ``"..."``
  or ``[...]`` is one field), one named field per pattern field, ``...`` for any number of fields; a field may
  carry conditions (``=``, ``!=``, ``<`` ... on its own value, ``&&`` / ``||`` between conditions on named fields).

Anything else is ``PatternError`` (the service answers InvalidParameterException "Invalid filter pattern").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

MAX_PATTERN = 1024  # the model's FilterPattern maximum length


class PatternError(ValueError):
    """The pattern is not one AWS accepts."""


# --- values: what a comparison compares against -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Value:
    """A literal of a comparison: a string (maybe with ``*`` wildcards), a number, or a ``%regex%``."""

    text: str
    number: float | None = None
    regex: re.Pattern[str] | None = None
    wildcard: re.Pattern[str] | None = None

    def equals(self, actual: str) -> bool:
        if self.regex is not None:
            return self.regex.search(actual) is not None
        if self.wildcard is not None:
            return self.wildcard.fullmatch(actual) is not None
        if self.number is not None:
            found = _number(actual)
            if found is not None:
                return found == self.number
        return actual == self.text


def _number(text: str) -> float | None:
    try:
        return float(text) if _NUMBER.fullmatch(text.strip()) else None
    except ValueError:
        return None


_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def _glob(text: str) -> re.Pattern[str]:
    # fnmatch's translation, but only ``*`` is special: ``?`` and ``[`` are literal in AWS's values
    parts = [re.escape(piece) for piece in text.split("*")]
    return re.compile(".*".join(parts), re.DOTALL)


def _value(text: str, quoted: bool) -> Value:
    if not quoted and len(text) >= 2 and text.startswith("%") and text.endswith("%"):
        return Value(text, regex=_regex(text[1:-1]))
    wildcard = _glob(text) if "*" in text else None
    number = None if quoted else _number(text)
    return Value(text, number=number, wildcard=wildcard)


# What AWS's filter-pattern regexes may contain: alphanumerics, a few symbols and operators; no groups ("(" and
# ")"), no other symbol ("%something!%" is refused), no multi-byte characters.
_REGEX_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_#=@/;,-^$?[]{}|\\*+.")
MAX_REGEXES = 2  # per JSON or space-delimited pattern


def _regex(body: str) -> re.Pattern[str]:
    if not body or not set(body) <= _REGEX_CHARS:
        raise PatternError("invalid regex")
    try:
        return re.compile(body)
    except re.error:
        raise PatternError("invalid regex") from None


# --- unstructured terms ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """Every ``required`` term appears, at least one ``optional`` term appears (if any), no ``excluded`` term does."""

    required: tuple[Value, ...] = ()
    optional: tuple[Value, ...] = ()
    excluded: tuple[Value, ...] = ()

    def matches(self, message: str) -> bool:
        if any(not _contains(message, term) for term in self.required):
            return False
        if self.optional and not any(_contains(message, term) for term in self.optional):
            return False
        return not any(_contains(message, term) for term in self.excluded)


def _contains(message: str, term: Value) -> bool:
    if term.regex is not None:
        return term.regex.search(message) is not None
    return term.text in message


_TERM_CHAR = re.compile(r"[^\s\"{}\[\]()]")


def _parse_terms(text: str) -> Terms:
    required: list[Value] = []
    optional: list[Value] = []
    excluded: list[Value] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        kind = ""
        if text[i] in "?-" and i + 1 < n and not text[i + 1].isspace():
            kind, i = text[i], i + 1
        if text[i] == '"':
            word, i = _quoted(text, i)
            term = Value(word)
        elif text[i] == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise PatternError("unterminated regex")
            term = Value(text[i : end + 1], regex=_regex(text[i + 1 : end]))
            i = end + 1
        else:
            start = i
            while i < n and _TERM_CHAR.match(text[i]):
                i += 1
            if i == start:
                raise PatternError(f"unexpected {text[i]!r}")
            term = Value(text[start:i])
        if i < n and not text[i].isspace():
            raise PatternError("terms must be separated by spaces")
        {"": required, "?": optional, "-": excluded}[kind].append(term)
    return Terms(tuple(required), tuple(optional), tuple(excluded))


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The string starting with the quote at ``i`` (backslash escapes the next character), and the index after it."""
    out: list[str] = []
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if ch == '"':
            return "".join(out), j + 1
        out.append(ch)
        j += 1
    raise PatternError("unterminated quote")


# --- a tokenizer shared by the JSON and space-delimited families ---------------------------------------------------

_OPS = ("&&", "||", "!=", "<=", ">=", "=", "<", ">", "(", ")", ",")
_WORD = re.compile(r"[^\s&|!=<>(),\"]+")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "op", "word", "string", "regex"
    text: str


def _tokens(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == '"':
            word, i = _quoted(text, i)
            out.append(Token("string", word))
            continue
        if ch == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise PatternError("unterminated regex")
            out.append(Token("regex", text[i + 1 : end]))
            i = end + 1
            continue
        op = next((o for o in _OPS if text.startswith(o, i)), None)
        if op is not None:
            out.append(Token("op", op))
            i += len(op)
            continue
        m = _WORD.match(text, i)
        if m is None:
            raise PatternError(f"unexpected {ch!r}")
        out.append(Token("word", m.group()))
        i = m.end()
    return out


class _Tokens:
    def __init__(self, tokens: list[Token]) -> None:
        self.items = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise PatternError("unexpected end of pattern")
        self.pos += 1
        return token

    def at_op(self, *ops: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "op" and token.text in ops

    def expect_op(self, op: str) -> None:
        token = self.take()
        if token.kind != "op" or token.text != op:
            raise PatternError(f"expected {op}")


def _literal(token: Token) -> Value:
    if token.kind == "regex":
        return Value(f"%{token.text}%", regex=_regex(token.text))
    if token.kind == "string":
        return _value(token.text, quoted=True)
    if token.kind == "word":
        return _value(token.text, quoted=False)
    raise PatternError(f"expected a value, got {token.text!r}")


def _compare(op: str, actual: Any, value: Value) -> bool:
    """``actual`` (a JSON value, or a field's text) ``op`` ``value``; a missing or mismatched type is no match."""
    if op in ("=", "!="):
        if actual is None or isinstance(actual, dict | list):
            return False  # null, objects and lists equal no literal, and a != needs a value to differ
        text = _text(actual)
        if value.number is not None and value.wildcard is None and value.regex is None:
            found = actual if isinstance(actual, int | float) and not isinstance(actual, bool) else _number(text)
            equal = found is not None and float(found) == value.number
        else:
            equal = value.equals(text)
        return equal if op == "=" else not equal
    if value.number is None:
        raise PatternError("numeric comparison needs a number")
    if isinstance(actual, bool) or actual is None or isinstance(actual, dict | list):
        return False
    found = float(actual) if isinstance(actual, int | float) else _number(str(actual))
    if found is None:
        return False
    return {"<": found < value.number, "<=": found <= value.number, ">": found > value.number}.get(
        op, found >= value.number
    )


def _text(actual: Any) -> str:
    if isinstance(actual, bool):
        return "true" if actual else "false"
    if isinstance(actual, float) and actual.is_integer():
        return str(int(actual))
    return str(actual)


# --- JSON patterns ---------------------------------------------------------------------------------------------------

_MISSING = object()
_ANY = "*"


@dataclass(frozen=True, slots=True)
class Selector:
    """``$.a.b[0]``: a path of object keys and list indexes; ``*`` steps through every member."""

    text: str
    path: tuple[str | int, ...]

    def values(self, doc: Any) -> list[Any]:
        """Every value the path reaches (several through ``*``); empty when it reaches nothing."""
        current = [doc]
        for step in self.path:
            nxt: list[Any] = []
            for node in current:
                if step == _ANY:
                    nxt.extend(node.values() if isinstance(node, dict) else node if isinstance(node, list) else [])
                elif isinstance(step, int):
                    if isinstance(node, list) and 0 <= step < len(node):
                        nxt.append(node[step])
                elif isinstance(node, dict) and step in node:
                    nxt.append(node[step])
            current = nxt
        return current


_SEL_KEY = re.compile(r"[A-Za-z0-9_@$\-]+")


def _selector(text: str) -> Selector:
    if not text.startswith("$"):
        raise PatternError("a JSON selector starts with $")
    path: list[str | int] = []
    i, n = 1, len(text)
    while i < n:
        if text[i] == "." and i + 1 < n and text[i + 1] == "[":
            i += 1
            continue
        if text[i] == ".":
            if text.startswith("*", i + 1):
                path.append(_ANY)
                i += 2
                continue
            m = _SEL_KEY.match(text, i + 1)
            if m is None:
                raise PatternError("bad selector")
            path.append(m.group())
            i = m.end()
        elif text[i] == "[":
            end = text.find("]", i)
            if end < 0:
                raise PatternError("bad selector")
            inner = text[i + 1 : end]
            if inner == "*":
                path.append(_ANY)
            elif inner.isdigit():
                path.append(int(inner))
            elif len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\"":
                path.append(inner[1:-1])
            else:
                raise PatternError("bad selector")
            i = end + 1
        else:
            raise PatternError("bad selector")
    if not path:
        raise PatternError("a selector names a field")
    return Selector(text, tuple(path))


@dataclass(frozen=True, slots=True)
class JsonCheck:
    selector: Selector
    op: str  # = != < <= > >= or IS_NULL IS_TRUE IS_FALSE EXISTS NOT_EXISTS
    value: Value | None = None

    def matches(self, doc: Any) -> bool:
        found = self.selector.values(doc)
        if self.op == "EXISTS":
            return bool(found)
        if self.op == "NOT_EXISTS":
            return not found
        if self.op == "IS_NULL":
            return any(v is None for v in found)
        if self.op in ("IS_TRUE", "IS_FALSE"):
            return any(v is (self.op == "IS_TRUE") for v in found)
        if self.value is None or not found:
            return False
        return any(_compare(self.op, v, self.value) for v in found)


@dataclass(frozen=True, slots=True)
class Both:
    left: Node
    right: Node

    def matches(self, doc: Any) -> bool:
        return self.left.matches(doc) and self.right.matches(doc)


@dataclass(frozen=True, slots=True)
class Either:
    left: Node
    right: Node

    def matches(self, doc: Any) -> bool:
        return self.left.matches(doc) or self.right.matches(doc)


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """A condition of a space-delimited pattern on the field ``name`` (resolved against the matched fields)."""

    name: str
    op: str
    value: Value

    def matches(self, fields: Any) -> bool:
        actual = fields.get(self.name, _MISSING)
        return actual is not _MISSING and _compare(self.op, actual, self.value)


Node = JsonCheck | Both | Either | FieldCheck


@dataclass(frozen=True, slots=True)
class JsonPattern:
    root: Node

    def matches(self, message: str) -> bool:
        try:
            doc = json.loads(message)
        except ValueError:
            return False
        return isinstance(doc, dict) and self.root.matches(doc)


_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
Check = Callable[["_Tokens"], Node]  # parses one comparison of the grammar's atoms


def _json_expr(tokens: _Tokens, check: Check) -> Node:
    """``a || b`` of ``a && b`` of atoms; ``check`` parses one comparison."""
    node = _json_and(tokens, check)
    while tokens.at_op("||"):
        tokens.take()
        node = Either(node, _json_and(tokens, check))
    return node


def _json_and(tokens: _Tokens, check: Check) -> Node:
    node = _json_atom(tokens, check)
    while tokens.at_op("&&"):
        tokens.take()
        node = Both(node, _json_atom(tokens, check))
    return node


def _json_atom(tokens: _Tokens, check: Check) -> Node:
    if tokens.at_op("("):
        tokens.take()
        node = _json_expr(tokens, check)
        tokens.expect_op(")")
        return node
    return check(tokens)


def _json_check(tokens: _Tokens) -> JsonCheck:
    head = tokens.take()
    if head.kind != "word":
        raise PatternError("expected a selector")
    selector = _selector(head.text)
    nxt = tokens.take()
    if nxt.kind == "word" and nxt.text.upper() in ("IS", "NOT", "EXISTS"):
        word = nxt.text.upper()
        if word == "EXISTS":
            return JsonCheck(selector, "EXISTS")
        second = tokens.take()
        if second.kind != "word":
            raise PatternError("bad keyword")
        pair = f"{word} {second.text.upper()}"
        ops = {"IS NULL": "IS_NULL", "IS TRUE": "IS_TRUE", "IS FALSE": "IS_FALSE", "NOT EXISTS": "NOT_EXISTS"}
        if pair not in ops:
            raise PatternError("bad keyword")
        return JsonCheck(selector, ops[pair])
    if nxt.kind != "op" or nxt.text not in _COMPARISONS:
        raise PatternError("expected a comparison")
    value = _literal(tokens.take())
    if nxt.text not in ("=", "!=") and value.number is None:
        raise PatternError("numeric comparison needs a number")
    if nxt.text not in ("=", "!=") and value.wildcard is not None:
        raise PatternError("wildcards compare only with = and !=")
    return JsonCheck(selector, nxt.text, value)


def _structured_tokens(body: str) -> _Tokens:
    tokens = _tokens(body)
    if sum(1 for t in tokens if t.kind == "regex") > MAX_REGEXES:
        raise PatternError("too many regular expressions")
    return _Tokens(tokens)


def _parse_json(body: str) -> JsonPattern:
    tokens = _structured_tokens(body)
    if tokens.peek() is None:
        raise PatternError("empty JSON pattern")
    root = _json_expr(tokens, _json_check)
    if tokens.peek() is not None:
        raise PatternError("unexpected text after the expression")
    return JsonPattern(root)


# --- space-delimited patterns -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # "..." for the ellipsis
    condition: Node | None = None


@dataclass(frozen=True, slots=True)
class DelimitedPattern:
    fields: tuple[Field, ...]

    def matches(self, message: str) -> bool:
        words = split_fields(message)
        bound = _bind(self.fields, words)
        if bound is None:
            return False
        return all(f.condition is None or f.condition.matches(bound) for f in self.fields)


def split_fields(message: str) -> list[str]:
    """The message's space-separated fields; ``"..."`` and ``[...]`` are one field each (without the delimiters)."""
    out: list[str] = []
    i, n = 0, len(message)
    while i < n:
        if message[i].isspace():
            i += 1
            continue
        close = {'"': '"', "[": "]"}.get(message[i])
        if close is not None:
            end = message.find(close, i + 1)
            if end >= 0:
                out.append(message[i + 1 : end])
                i = end + 1
                continue
        start = i
        while i < n and not message[i].isspace():
            i += 1
        out.append(message[start:i])
    return out


def _bind(fields: tuple[Field, ...], words: list[str]) -> dict[str, str] | None:
    """Field name -> the word it stands for, with ``...`` taking what the named fields leave; None if no fit."""
    ellipses = sum(1 for f in fields if f.name == "...")
    named = len(fields) - ellipses
    if (ellipses == 0 and len(words) != named) or len(words) < named:
        return None
    spare = len(words) - named
    out: dict[str, str] = {}
    pos = 0
    for f in fields:
        if f.name == "...":
            take = spare  # the first ellipsis takes the slack (two ellipses: the first one is greedy)
            spare = 0
            pos += take
            continue
        out.setdefault(f.name, words[pos])
        pos += 1
    return out


_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\.\.\.")


def _parse_delimited(body: str) -> DelimitedPattern:
    tokens = _structured_tokens(body)
    fields: list[Field] = []
    if tokens.peek() is None:
        raise PatternError("empty space-delimited pattern")
    names: set[str] = set()
    while True:
        head = tokens.take()
        if head.kind != "word" or not _FIELD_NAME.fullmatch(head.text):
            raise PatternError("expected a field name")
        name = head.text
        condition: Node | None = None
        if name != "...":
            if name in names:
                raise PatternError("a field name is used twice")
            names.add(name)
            if tokens.at_op(*_COMPARISONS):
                condition = _delimited_condition(tokens, name)
        fields.append(Field(name, condition))
        if tokens.peek() is None:
            break
        tokens.expect_op(",")
    for f in fields:  # a condition may name only fields of the pattern
        for check in _checks(f.condition):
            if check.name not in names:
                raise PatternError(f"unknown field {check.name}")
    return DelimitedPattern(tuple(fields))


def _checks(node: Any) -> list[FieldCheck]:
    if isinstance(node, FieldCheck):
        return [node]
    if isinstance(node, Both | Either):
        return [*_checks(node.left), *_checks(node.right)]
    return []


def _delimited_condition(tokens: _Tokens, name: str) -> Node:
    """``=4*`` on the field itself, then ``&& other>5 || ...`` on named fields (the first names itself)."""

    def first(ts: _Tokens) -> FieldCheck:
        return _field_check(ts, name)

    def named(ts: _Tokens) -> FieldCheck:
        head = ts.take()
        if head.kind != "word" or not _FIELD_NAME.fullmatch(head.text) or head.text == "...":
            raise PatternError("expected a field name")
        return _field_check(ts, head.text)

    left: Node = first(tokens)
    # the rest of the condition, up to the next comma, in the same && / || grammar
    while tokens.at_op("&&", "||"):
        op = tokens.take().text
        right = _json_and(tokens, named) if op == "||" else _json_atom(tokens, named)
        left = Either(left, right) if op == "||" else Both(left, right)
    return left


def _field_check(tokens: _Tokens, name: str) -> FieldCheck:
    op = tokens.take()
    if op.kind != "op" or op.text not in _COMPARISONS:
        raise PatternError("expected a comparison")
    value = _literal(tokens.take())
    if op.text not in ("=", "!=") and value.number is None:
        raise PatternError("numeric comparison needs a number")
    return FieldCheck(name, op.text, value)


# --- the entry point ----------------------------------------------------------------------------------------------

Pattern = Terms | JsonPattern | DelimitedPattern


@lru_cache(maxsize=256)
def parse(pattern: str) -> Pattern:
    """The AST of ``pattern``; ``PatternError`` when AWS would refuse it."""
    if len(pattern) > MAX_PATTERN:
        raise PatternError("pattern too long")
    text = pattern.strip()
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("unbalanced braces")
        return _parse_json(text[1:-1])
    if text.startswith("["):
        if not text.endswith("]"):
            raise PatternError("unbalanced brackets")
        return _parse_delimited(text[1:-1])
    if any(ch in text for ch in "{}"):
        raise PatternError("braces outside a JSON pattern")
    return _parse_terms(text)


def matches(pattern: str, message: str) -> bool:
    """Whether ``message`` matches ``pattern`` (parsed once per distinct pattern)."""
    return parse(pattern).matches(message)


__all__ = ["Pattern", "PatternError", "matches", "parse", "split_fields"]
