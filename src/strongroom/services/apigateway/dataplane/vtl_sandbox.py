"""The Velocity engine (airspeed), hardened for templates written by anyone allowed to call PutIntegration.

airspeed resolves `$a.b` with Python's `getattr` on whatever object it holds, so `$input.body.__class__...` would
reach any Python object, and it evaluates `#foreach`, macros, `+` and `*` without bounds. This module replaces the
few airspeed internals that decide those things (airspeed is pinned: `test_apigateway_vtl.py` checks the patched
names still exist) so that, for every evaluation:

- a name resolves only to a mapping's item, an attribute a `VtlObject` lists in `vtl_members`, or a Java method from
  `_JAVA_METHODS` (what AWS's Velocity, running on Java, offers on strings, lists, maps and numbers); names starting
  with `_` never resolve;
- `#foreach` stops after `Limits.max_iterations` (AWS's limit of 1,000 iterations, Velocity's `maxloops`: the loop
  ends, the template goes on), and every iteration, method call and macro call costs a step from a total budget;
- every string written or built (output, `+`, `"$a$b"`, method results) is charged to a character budget, so no
  template can build more than `Limits.max_chars` however it loops;
- macro and `#evaluate` nesting is capped (Velocity's `velocimacro.max.depth`, 20), and a wall-clock deadline is
  checked at every step; user regular expressions (`replaceAll`, `matches`, `split`) run with a timeout;
- string literals are Velocity's: no backslash escapes (`"\\'"` is three characters, as in AWS's documented
  `$util.escapeJavaScript($x).replaceAll("\\'", "'")`), a doubled quote stands for one.

The budget lives in a `ContextVar`, so evaluations in different threads never share one.
"""

from __future__ import annotations

import contextvars
import functools
import math
import operator
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import airspeed
import regex

JAVA_LONG_MIN = -(2**63)
JAVA_LONG_MAX = 2**63 - 1


class VtlError(Exception):
    """A template failed: `reason` is for the execution log, never for the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class VtlLimitError(VtlError):
    """A template went past one of its bounds."""


@dataclass(frozen=True)
class Limits:
    """The bounds of one template evaluation."""

    max_template_chars: int = 300 * 1024
    max_iterations: int = 1000  # per #foreach, as AWS
    max_steps: int = 200_000  # iterations + method calls + macro calls, all loops together
    max_chars: int = 10 * 1024 * 1024  # characters written or built, all strings together (AWS payloads: 10 MB)
    max_depth: int = 20  # macro / #evaluate nesting
    timeout: float = 2.0  # seconds of evaluation
    regex_timeout: float = 0.1  # seconds per user regular expression


DEFAULT_LIMITS = Limits()


class _Budget:
    __slots__ = ("chars", "deadline", "depth", "limits", "steps")

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.steps = 0
        self.chars = 0
        self.depth = 0
        self.deadline = time.monotonic() + limits.timeout

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.limits.max_steps:
            raise VtlLimitError(f"Template exceeded {self.limits.max_steps} evaluation steps")
        if time.monotonic() > self.deadline:
            raise VtlLimitError(f"Template evaluation exceeded {self.limits.timeout} seconds")

    def charge(self, n: int) -> None:
        self.chars += n
        if self.chars > self.limits.max_chars:
            raise VtlLimitError(f"Template built more than {self.limits.max_chars} characters")


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("strongroom_vtl_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # fail closed: airspeed is only ever run through `evaluate`
        raise VtlError("Velocity template evaluated outside a budget")
    return budget


def charged(value: str) -> str:
    """Charge a string a helper built to the current evaluation's character budget."""
    _budget().charge(len(value))
    return value


def budget_steps(n: int) -> None:
    """Charge `n` steps of work (a helper's work in proportion to its data) to the current evaluation."""
    if n > 0:
        _budget().step(n)


class VtlObject:
    """An object a template may see: only the attributes named in `vtl_members` resolve."""

    vtl_members: frozenset[str] = frozenset()


# --- Java-style rendering -------------------------------------------------------------------------------------------


_MAX_RENDER_DEPTH = 64
_UNBOUNDED_RENDER = 16 * 1024 * 1024


def java_str(value: Any) -> str:
    """How Java's `toString` renders a value (AWS's Velocity runs on Java: a map renders as `{a=1, b=x}`).

    A template can build a list that holds itself (`$l.add($l)`) or the same list many times over, so collections
    render with a depth cap, `(this Collection)` for a cycle (as Java), and no more characters than the evaluation's
    remaining budget.
    """
    if isinstance(value, str):
        return value
    if not isinstance(value, dict | list | tuple | range):
        return _scalar_str(value)
    budget = _BUDGET.get()
    room = budget.limits.max_chars - budget.chars if budget is not None else _UNBOUNDED_RENDER
    parts: list[str] = []
    size = 0

    def emit(text: str) -> None:
        nonlocal size
        size += len(text)
        if size > room:
            raise VtlLimitError("Rendering a value exceeded the character budget")
        parts.append(text)

    def walk(node: Any, depth: int, open_ids: set[int]) -> None:
        if isinstance(node, dict | list | tuple | range):
            if id(node) in open_ids:
                emit("(this Collection)" if not isinstance(node, dict) else "(this Map)")
                return
            if depth > _MAX_RENDER_DEPTH:
                raise VtlLimitError("Value nested too deeply to render")
            open_ids.add(id(node))
            if isinstance(node, dict):
                emit("{")
                for i, (k, v) in enumerate(node.items()):
                    emit(", " if i else "")
                    walk(k, depth + 1, open_ids)
                    emit("=")
                    walk(v, depth + 1, open_ids)
                emit("}")
            else:
                emit("[")
                for i, v in enumerate(node):
                    emit(", " if i else "")
                    walk(v, depth + 1, open_ids)
                emit("]")
            open_ids.discard(id(node))
        else:
            emit(node if isinstance(node, str) else _scalar_str(node))

    walk(value, 0, set())
    return "".join(parts)


def _scalar_str(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return _java_double(value)
    return str(value)


def _java_double(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e7:
        return f"{int(value)}.0"
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        return f"{mantissa}E{int(exponent)}"
    return text


# --- Java methods on plain values -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    try:
        return regex.compile(pattern, regex.VERSION0)
    except regex.error as exc:
        raise VtlError(f"Invalid regular expression {pattern!r}: {exc}") from exc


def _java_replacement(replacement: str) -> Callable[[regex.Match[str]], str]:
    """Java's `Matcher.replaceAll` replacement syntax: `$n` is a group, a backslash quotes the next character."""
    parts: list[str | int] = []
    i = 0
    literal: list[str] = []
    while i < len(replacement):
        ch = replacement[i]
        if ch == "\\" and i + 1 < len(replacement):
            literal.append(replacement[i + 1])
            i += 2
            continue
        if ch == "$" and i + 1 < len(replacement) and replacement[i + 1].isdigit():
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            parts.append("".join(literal))
            literal = []
            parts.append(int(replacement[i + 1 : j]))
            i = j
            continue
        literal.append(ch)
        i += 1
    parts.append("".join(literal))

    def expand(match: regex.Match[str]) -> str:
        return "".join(p if isinstance(p, str) else (match.group(p) or "") for p in parts)

    return expand


def _regex_call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except TimeoutError as exc:
        raise VtlLimitError("Regular expression timed out") from exc
    except (regex.error, IndexError) as exc:
        raise VtlError(f"Regular expression failed: {exc}") from exc


def _replace_all(s: str, pattern: str, replacement: str) -> str:
    compiled = _compiled(pattern)
    timeout = _budget().limits.regex_timeout
    return charged(_regex_call(lambda: compiled.sub(_java_replacement(replacement), s, timeout=timeout)))


def _matches(s: str, pattern: str) -> bool:
    compiled = _compiled(pattern)
    timeout = _budget().limits.regex_timeout
    return bool(_regex_call(lambda: compiled.fullmatch(s, timeout=timeout)))


def _split(s: str, pattern: str) -> list[str]:
    compiled = _compiled(pattern)
    timeout = _budget().limits.regex_timeout
    parts: list[str] = _regex_call(lambda: compiled.split(s, timeout=timeout))
    while parts and parts[-1] == "":  # Java drops trailing empty strings
        parts.pop()
    return parts


def _index_of(s: str | list[Any], value: Any) -> int:
    try:
        return s.index(value)
    except (ValueError, TypeError):
        return -1


def _dict_put(d: dict[Any, Any], key: Any, value: Any) -> Any:
    old = d.get(key)
    d[key] = value
    return old


def _list_set(items: list[Any], index: int, value: Any) -> Any:
    old = items[index]
    items[index] = value
    return old


def _list_add(items: list[Any], value: Any) -> bool:
    items.append(value)
    return True


def _java_trim(s: str) -> str:
    return s.strip("".join(chr(c) for c in range(33)))


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "length": len,
    "isEmpty": lambda s: len(s) == 0,
    "contains": lambda s, v: java_str(v) in s,
    "startsWith": lambda s, v: s.startswith(java_str(v)),
    "endsWith": lambda s, v: s.endswith(java_str(v)),
    "equals": lambda s, v: isinstance(v, str) and s == v,
    "equalsIgnoreCase": lambda s, v: isinstance(v, str) and s.lower() == v.lower(),
    "indexOf": lambda s, v: _index_of(s, java_str(v)),
    "lastIndexOf": lambda s, v: s.rfind(java_str(v)),
    "substring": lambda s, b, e=None: s[b:e] if 0 <= b <= len(s) else _raise(IndexError(b)),
    "charAt": lambda s, i: s[i],
    "toLowerCase": str.lower,
    "toUpperCase": str.upper,
    "trim": _java_trim,
    "concat": lambda s, v: charged(s + java_str(v)),
    "replace": lambda s, a, b: charged(s.replace(java_str(a), java_str(b))),
    "replaceAll": _replace_all,
    "replaceFirst": lambda s, p, r: charged(
        _regex_call(lambda: _compiled(p).sub(_java_replacement(r), s, count=1, timeout=_budget().limits.regex_timeout))
    ),
    "matches": _matches,
    "split": _split,
    "toString": lambda s: s,
}
_LIST_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda items: len(items) == 0,
    "get": lambda items, i: items[i],
    "contains": lambda items, v: any(java_equals(item, v) for item in items),
    "indexOf": lambda items, v: next((i for i, item in enumerate(items) if java_equals(item, v)), -1),
    "add": _list_add,
    "set": _list_set,
    "remove": lambda items, i: items.pop(i),
    "toString": java_str,
}
_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda d: len(d) == 0,
    "get": lambda d, k: d.get(k),
    "containsKey": lambda d, k: k in d,
    "keySet": lambda d: list(d.keys()),
    "values": lambda d: list(d.values()),
    "entrySet": lambda d: [{"key": k, "value": v} for k, v in d.items()],
    "put": _dict_put,
    "putAll": lambda d, other: d.update(other) if isinstance(other, dict) else _raise(TypeError("putAll")),
    "remove": lambda d, k: d.pop(k, None),
    "toString": java_str,
}
_NUMBER_METHODS: dict[str, Callable[..., Any]] = {
    "toString": java_str,
    "intValue": int,
    "longValue": int,
    "doubleValue": float,
}
_JAVA_METHODS: dict[type, dict[str, Callable[..., Any]]] = {
    str: _STRING_METHODS,
    list: _LIST_METHODS,
    dict: _MAP_METHODS,
    int: _NUMBER_METHODS,
    float: _NUMBER_METHODS,
    bool: {"toString": java_str, "booleanValue": bool},
}


def _raise(exc: Exception) -> Any:
    raise exc


def _method(obj: Any, name: str) -> Callable[..., Any] | None:
    methods = _JAVA_METHODS.get(type(obj))
    fn = methods.get(name) if methods else None
    if fn is None:
        return None

    def call(*args: Any) -> Any:
        budget = _budget()
        budget.step()
        result = fn(obj, *args)
        if isinstance(result, list | dict):  # keySet(), values(), split(): work in proportion to their size
            budget.step(len(result) // 64)
        return result

    return call


# --- the replaced airspeed internals --------------------------------------------------------------------------------


def _resolve(self: Any, current_object: Any, loader: Any, top_namespace: Any) -> Any:
    """`NameOrCall.calculate`: items of mappings, listed members of VtlObjects, Java methods; nothing else."""
    name: str = self.name
    if name.startswith("_"):
        raise VtlError(f"Illegal reference to {name!r}")
    result: Any = None
    if isinstance(current_object, dict):
        try:
            result = current_object[name]
        except KeyError:
            result = None
    elif isinstance(current_object, VtlObject) and name in current_object.vtl_members:
        result = getattr(current_object, name)
    if result is None:
        result = _method(current_object, name)
    if result is None:
        return None
    if isinstance(result, airspeed._FunctionDefinition):  # a #define block
        params = self.parameters.calculate(top_namespace, loader) if self.parameters else []
        stream = airspeed.StoppableStream()
        result.execute_function(stream, top_namespace, params, loader)
        return stream.getvalue()
    if self.parameters is not None:
        if not callable(result) or isinstance(result, dict | list | str):
            raise VtlError(f"{name!r} is not a method")
        _budget().step()
        return result(*self.parameters.calculate(top_namespace, loader))
    if self.index is not None:
        index = self.index.calculate(top_namespace, loader)
        try:
            return result[index] if isinstance(result, dict | list | str) else None
        except (KeyError, IndexError, TypeError):
            return None
    return result


def _write(self: Any, s: str) -> None:
    if not self.stop:
        _budget().charge(len(s))
        airspeed.StringIO.write(self, s)


def _render_reference(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    value = None
    if self.expression is not None:
        value = self.expression.calculate(namespace, loader)
    if value is None:
        if self.alternate is not None:
            value = self.alternate.calculate(namespace, loader)
        elif self.silent and self.expression is not None:
            value = ""
        else:
            value = self.my_text()  # Velocity writes an unresolved reference as written
    stream.write(java_str(value))


def _foreach(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    budget = _budget()
    iterable = self.value.calculate(namespace, loader)
    if iterable is None:
        return
    if isinstance(iterable, dict):
        items = list(iterable.values())  # Velocity iterates a Map's values
    elif isinstance(iterable, list | tuple | range):
        items = list(iterable)
    else:
        return  # Velocity skips a #foreach over something that is not a collection
    items = items[: budget.limits.max_iterations]
    length = len(items)
    for counter, item in enumerate(items, start=1):
        budget.step()
        local = airspeed.LocalNamespace(namespace)
        local["velocityCount"] = counter
        local["velocityHasNext"] = counter < length
        local["foreach"] = {
            "count": counter,
            "index": counter - 1,
            "hasNext": counter < length,
            "first": counter == 1,
            "last": counter == length,
        }
        local[self.loop_var_name] = item
        self.block.evaluate(stream, local, loader)


@contextmanager
def _nested() -> Iterator[None]:
    budget = _budget()
    budget.depth += 1
    try:
        if budget.depth > budget.limits.max_depth:
            raise VtlLimitError(f"Template nesting deeper than {budget.limits.max_depth}")
        budget.step()
        yield
    finally:
        budget.depth -= 1


_original_execute_function = airspeed._FunctionDefinition.execute_function


def _execute_function(self: Any, stream: Any, namespace: Any, arg_values: Any, loader: Any) -> None:
    with _nested():
        _original_execute_function(self, stream, namespace, arg_values, loader)


def _evaluate_directive(self: Any, stream: Any, namespace: Any, loader: Any) -> None:
    text = java_str(self.value.calculate(namespace, loader))
    if len(text) > EVALUATE_MAX_CHARS:
        raise VtlLimitError(f"#evaluate of {len(text)} characters exceeds {EVALUATE_MAX_CHARS}")
    with _nested():
        template = compile_template(text, _budget().limits)
        template.merge_to(namespace, stream, loader)


def _range(self: Any, namespace: Any, loader: Any) -> list[int]:
    first, last = self.value1.calculate(namespace, loader), self.value2.calculate(namespace, loader)
    if not isinstance(first, int) or not isinstance(last, int):
        raise VtlError("Range bounds must be integers")
    size = abs(last - first) + 1
    limit = _budget().limits.max_iterations
    if size > limit * 10:
        raise VtlLimitError(f"Range of {size} elements")
    _budget().step(size // 100)
    return list(range(first, last - 1, -1)) if last < first else list(range(first, last + 1))


def _checked_number(value: Any) -> Any:
    if isinstance(value, int) and not JAVA_LONG_MIN <= value <= JAVA_LONG_MAX:
        raise VtlError("Arithmetic overflow")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise VtlError(f"{java_str(value)!r} is not a number")
    return value


def _add(a: Any, b: Any) -> Any:
    if isinstance(a, str) or isinstance(b, str):  # Velocity: + with a string concatenates
        return charged(java_str(a) + java_str(b))
    return _checked_number(_number(a) + _number(b))


def _arith(fn: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        x, y = _number(a), _number(b)
        if fn in (operator.floordiv, operator.mod) and y == 0:
            raise VtlError("Division by zero")
        if fn is operator.floordiv and isinstance(x, int) and isinstance(y, int):
            return _checked_number(int(x / y))  # Java truncates toward zero
        if fn is operator.floordiv:
            return x / y
        return _checked_number(fn(x, y))

    return apply


def _compare(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def apply(a: Any, b: Any) -> bool:
        # Velocity orders numbers and strings only; ordering other values is false, not an error (and Python's
        # lexicographic ordering of nested lists is not something a template may make expensive).
        if isinstance(a, str) and isinstance(b, str):
            return bool(fn(a, b))
        if isinstance(a, int | float) and isinstance(b, int | float):
            return bool(fn(a, b))
        return False

    return apply


def java_equals(a: Any, b: Any) -> bool:
    """Deep equality as Java's `equals`, paid for step by step (structures sharing sublists stay cheap to build and
    would be exponential to compare with Python's `==`)."""
    budget = _budget()
    room = budget.limits.max_steps - budget.steps
    visited = 0

    def eq(x: Any, y: Any, depth: int) -> bool:
        nonlocal visited
        visited += 1
        if visited > room:
            raise VtlLimitError(f"Template exceeded {budget.limits.max_steps} evaluation steps")
        if x is y:
            return True
        if depth > _MAX_RENDER_DEPTH:
            raise VtlLimitError("Value nested too deeply to compare")
        if isinstance(x, dict) and isinstance(y, dict):
            return x.keys() == y.keys() and all(eq(x[k], y[k], depth + 1) for k in x)
        if isinstance(x, list | tuple | range) and isinstance(y, list | tuple | range):
            return len(x) == len(y) and all(eq(p, q, depth + 1) for p, q in zip(x, y, strict=True))
        if isinstance(x, dict | list | tuple | range) or isinstance(y, dict | list | tuple | range):
            return False
        return bool(x == y)

    result = eq(a, b, 0)
    budget.step(visited // 64)
    return result


_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    **airspeed.BinaryOperator.OPERATORS,
    "+": _add,
    "-": _arith(operator.sub),
    "*": _arith(operator.mul),
    "/": _arith(operator.floordiv),
    "%": _arith(operator.mod),
    ">": _compare(operator.gt),
    "gt": _compare(operator.gt),
    ">=": _compare(operator.ge),
    "ge": _compare(operator.ge),
    "<": _compare(operator.lt),
    "lt": _compare(operator.lt),
    "<=": _compare(operator.le),
    "le": _compare(operator.le),
    "==": java_equals,
    "eq": java_equals,
    "!=": lambda a, b: not java_equals(a, b),
    "ne": lambda a, b: not java_equals(a, b),
}


def _string_literal(self: Any) -> None:
    (raw,) = self.identity_match(self.STRING)
    quote = "'" if self.STRING is _SINGLE_QUOTED else '"'
    self.value = raw.replace(quote * 2, quote)


def _interpolated_literal(self: Any) -> None:
    _string_literal(self)
    self.block = airspeed.Block(self.filename, self.value, 0)


_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'", re.S)
_DOUBLE_QUOTED = re.compile(r'"((?:[^"]|"")*)"', re.S)


def _install() -> None:
    airspeed.NameOrCall.calculate = _resolve
    airspeed.StoppableStream.write = _write
    airspeed.FormalReference.evaluate_raw = _render_reference
    airspeed.ForeachDirective.evaluate_raw = _foreach
    airspeed._FunctionDefinition.execute_function = _execute_function
    airspeed.EvaluateDirective.evaluate_raw = _evaluate_directive
    airspeed.Range.calculate = _range
    airspeed.BinaryOperator.OPERATORS = _OPERATORS
    airspeed.StringLiteral.STRING = _SINGLE_QUOTED
    airspeed.StringLiteral.parse = _string_literal
    airspeed.InterpolatedStringLiteral.STRING = _DOUBLE_QUOTED
    airspeed.InterpolatedStringLiteral.parse = _interpolated_literal
    # AWS's overrides name headers: `#set($context.responseOverride.header.Content-Type = ...)`.
    airspeed.SetDirective.PLACE = re.compile(r"\s*\$([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_\-]*)*)", re.S | re.I)


_install()


# --- compile and evaluate -------------------------------------------------------------------------------------------


def _compile(text: str) -> airspeed.Template:
    template = airspeed.Template(text)
    template.ensure_compiled()
    return template


class _TemplateCache:
    """Parsed templates by text, least recently used first out, bounded by their total size.

    A deployment's templates are parsed once (parsing a large template takes seconds: it must not happen per
    request); the bound keeps many or large hostile templates, or strings built for #evaluate, from pinning memory.
    Compiled templates are read-only during evaluation, so threads share them.
    """

    def __init__(self, max_chars: int) -> None:
        self._max = max_chars
        self._size = 0
        self._entries: OrderedDict[str, airspeed.Template] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> airspeed.Template:
        with self._lock:
            template = self._entries.get(text)
            if template is not None:
                self._entries.move_to_end(text)
                return template
        template = _compile(text)  # outside the lock: one slow parse must not hold up the others
        with self._lock:
            if text not in self._entries and len(text) <= self._max:
                self._entries[text] = template
                self._size += len(text)
                while self._size > self._max:
                    old, _ = self._entries.popitem(last=False)
                    self._size -= len(old)
        return template


_CACHE = _TemplateCache(16 * 1024 * 1024)
EVALUATE_MAX_CHARS = 16 * 1024  # #evaluate parses at run time: small strings only


def compile_template(text: str, limits: Limits = DEFAULT_LIMITS) -> airspeed.Template:
    """Parse a template once (cached by its text); a syntax error or an oversized template is a `VtlError`."""
    if len(text) > limits.max_template_chars:
        raise VtlLimitError(f"Template of {len(text)} characters exceeds {limits.max_template_chars}")
    try:
        return _CACHE.get(text)
    except airspeed.TemplateSyntaxError as exc:
        raise VtlError(f"Template syntax error: {exc}") from None
    except RecursionError:
        raise VtlLimitError("Template nesting too deep to parse") from None
    except Exception as exc:  # airspeed's parser has its own bugs (`$a not $b` is a KeyError): still a syntax error
        raise VtlError(f"Template syntax error: {type(exc).__name__}: {exc}") from None


def evaluate(text: str, namespace: dict[str, Any], limits: Limits = DEFAULT_LIMITS) -> str:
    """Render `text` with `namespace` inside a fresh budget; any failure is a `VtlError` carrying the reason."""
    template = compile_template(text, limits)
    token = _BUDGET.set(_Budget(limits))
    try:
        stream = airspeed.StoppableStream()
        template.merge_to(namespace, stream)
        return stream.getvalue()
    except airspeed.TemplateExecutionError as exc:
        cause = exc.__cause__
        while isinstance(cause, airspeed.TemplateExecutionError):
            cause = cause.__cause__
        if isinstance(cause, VtlError):
            raise type(cause)(cause.reason) from None
        raise VtlError(f"{type(cause).__name__}: {cause}") from None
    except VtlError:
        raise
    except RecursionError:
        raise VtlLimitError("Template recursion too deep") from None
    except Exception as exc:  # a template must never take the request down with a traceback
        raise VtlError(f"{type(exc).__name__}: {exc}") from None
    finally:
        _BUDGET.reset(token)
