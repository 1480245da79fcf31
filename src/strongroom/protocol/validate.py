"""Model-driven input validation with AWS's wording.

The codecs decode a request into a dict keyed by the botocore member names; this module checks it against
the operation's input shape (required, types, enums, lengths, ranges, patterns, unions) and reports
violations the way AWS's (Coral) front ends do, because SDK users grep for and test against that text::

    2 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be
    null; Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1

Conventions, each taken from real AWS responses:

* Paths use the member name with its first letter lower-cased, nested members joined with ``.``; list
  elements that are structures/lists/maps are ``name.<i>.member`` with a 1-based index
  (``records.97.member.data``).
* Lists of scalars are reported once, at the list, listing *all* constraints of the element shape:
  ``Member must satisfy constraint: [Member must have length less than or equal to 2048, Member must have
  length greater than or equal to 1, Member must satisfy regular expression pattern: ..., Member must not
  be null]``.
* Maps of scalars likewise: ``Map keys must satisfy constraint: [...]`` / ``Map value must satisfy
  constraint: [...]`` at the map. AWS has no published form for a map whose values are structures; we
  use ``name.<key>`` (``encryptionContext.Purpose``), mirroring the list form without ``.member``.
* Values are quoted whatever their type (``Value '0'``); blobs show as Java's
  ``java.nio.HeapByteBuffer[pos=0 lim=N cap=N]``; lists and maps as Java's ``[a, b]`` / ``{k=v}``.
* Sensitive members (or anything containing one) are never echoed: ``Value at 'plaintext' failed ...``.
* Errors appear in model member order, depth first; AWS does not cap the count, neither do we.
* ``integer`` and ``long`` members also have to fit Java's Integer / Long (32 / 64-bit signed); outside the
  model's own bounds the message quotes the model's, otherwise the type's (``Member must have value less than
  or equal to 2147483647``). AWS's JSON front ends may instead refuse such a number while parsing
  (``SerializationException``); either way it is a 400 that never reaches a service.
* Not from AWS (a decoder bug, not a client error, on AWS): a value of the wrong Python type gives
  ``Member must be of type <type>``; a whole input that is not a dict is reported at path ``input``; a
  union without exactly one member gives ``Member must have exactly one member set``.

Each shape is compiled once into closures (cached on the botocore ``Shape`` object and per resolver), so the
per-request cost is a few dict lookups and comparisons per member.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import regex
from botocore.model import Shape

from strongroom.core.errors import ValidationError

log = logging.getLogger(__name__)

__all__ = ["format_message", "validate", "validation_errors"]

# A scalar check returns None when the value is fine, else the violated constraint texts.
ScalarCheck = Callable[[Any], tuple[str, ...] | None]
# A container check appends full error strings for the value found at ``path``.
ContainerCheck = Callable[[Any, str, list[str]], None]

_CACHE_ATTR = "_strongroom_validator"
_COMPILE_LOCK = threading.RLock()
# Matching a pattern against a long string may backtrack badly; beyond this length a timeout applies.
_REGEX_TIMEOUT_FROM = 256
_REGEX_TIMEOUT_SECONDS = 0.05
_SURROGATE_PAIR = regex.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", regex.IGNORECASE)


# ---------------------------------------------------------------------------------------------- public API


def validation_errors(shape: Shape | None, params: Any) -> list[str]:
    """Every constraint violation of ``params`` against ``shape``, each as one AWS-worded sentence."""
    if shape is None:
        return []
    check = shape.__dict__.get(_CACHE_ATTR)
    if check is None:
        # One compilation at a time: a recursive structure is published half-built (its forwarding box still
        # empty) while its members compile, and a concurrent first request must never run it.
        with _COMPILE_LOCK:
            check = shape.__dict__.get(_CACHE_ATTR)
            if check is None:
                check = _Compiler.for_resolver(shape).container(shape, redact=False)
                shape.__dict__[_CACHE_ATTR] = check
    errors: list[str] = []
    check(params, "", errors)
    return errors


def validate(shape: Shape | None, params: Any) -> None:
    """Raise ``ValidationError`` (``ValidationException``) when ``params`` breaks the model's constraints."""
    errors = validation_errors(shape, params)
    if errors:
        raise ValidationError(format_message(errors))


def format_message(errors: list[str]) -> str:
    """AWS's combined message; callers re-raise it under their protocol's code (IAM: ``ValidationError``)."""
    n = len(errors)
    noun = "error" if n == 1 else "errors"
    return f"{n} validation {noun} detected: " + "; ".join(errors)


# ---------------------------------------------------------------------------------------------- rendering


def _java(value: Any) -> str:
    """The text Java's toString() would give for the decoded value, which is what AWS echoes."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.1f}" if value.is_integer() and abs(value) < 1e7 else repr(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        n = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_java(k)}={_java(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_java(v) for v in value) + "]"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _error(value: Any, path: str, constraint: str, redact: bool) -> str:
    shown = "" if redact else f" '{_java(value)}'"
    return f"Value{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


# ---------------------------------------------------------------------------------------------- patterns


@lru_cache(maxsize=4096)
def _compile_pattern(pattern: str) -> regex.Pattern[str] | None:
    """Java regex -> ``regex`` module; None (pattern skipped) when it cannot be translated."""
    # Java writes astral ranges as UTF-16 surrogate pairs; Python strings hold code points.
    source = _SURROGATE_PAIR.sub(
        lambda m: "\\U%08X" % (0x10000 + ((int(m.group(1), 16) - 0xD800) << 10) + (int(m.group(2), 16) - 0xDC00)),
        pattern,
    )
    try:
        # Java's \w, \d, \s and \b are ASCII-only unless UNICODE_CHARACTER_CLASS is set; \p{..} stays Unicode.
        return regex.compile(source, regex.ASCII)
    except Exception as exc:  # any failure to translate must not break request handling
        log.debug("skipping uncompilable model pattern %r: %s", pattern, exc)
        return None


def _pattern_ok(compiled: regex.Pattern[str], value: str) -> bool:
    # Java's matches(): the whole string must match, anchored or not.
    if len(value) < _REGEX_TIMEOUT_FROM:
        return compiled.fullmatch(value) is not None
    try:
        return compiled.fullmatch(value, timeout=_REGEX_TIMEOUT_SECONDS) is not None
    except TimeoutError:
        return False


# ---------------------------------------------------------------------------------------------- compiler


# The Java types AWS binds ``integer`` and ``long`` members to: values outside them never reach a service.
_INTEGRAL_RANGE: dict[str, tuple[int, int]] = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}

_TYPE_NAMES = {
    "string": "string",
    "blob": "blob",
    "integer": "integer",
    "long": "long",
    "float": "float",
    "double": "double",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "structure": "structure",
    "list": "list",
    "map": "map",
}


def _type_text(type_name: str) -> str:
    return f"Member must be of type {_TYPE_NAMES.get(type_name, type_name)}"


class _Scalar:
    """A compiled scalar shape: its check, and the full constraint list that collection messages quote."""

    __slots__ = ("check", "constraints", "type_error")

    def __init__(self, check: ScalarCheck, constraints: tuple[str, ...], type_error: tuple[str, ...]) -> None:
        self.check = check
        self.constraints = constraints
        self.type_error = type_error


class _Compiler:
    """Compiles the shapes of one botocore model; one instance per shape resolver (i.e. per service)."""

    _instances: dict[int, tuple[object, _Compiler]] = {}

    def __init__(self) -> None:
        self._containers: dict[tuple[str, bool], ContainerCheck] = {}
        self._scalars: dict[str, _Scalar] = {}
        self._sensitive: dict[str, bool] = {}

    @classmethod
    def for_resolver(cls, shape: Shape) -> _Compiler:
        resolver = getattr(shape, "_shape_resolver", None)
        key = id(resolver)
        entry = cls._instances.get(key)
        if entry is None or entry[0] is not resolver:
            entry = (resolver, cls())  # holding the resolver keeps its id from being reused
            cls._instances[key] = entry
        return entry[1]

    # ----------------------------------------------------------------------------------------- helpers

    @staticmethod
    def _is_scalar(shape: Shape) -> bool:
        return shape.type_name not in ("structure", "list", "map")

    def contains_sensitive(self, shape: Shape, seen: frozenset[str] = frozenset()) -> bool:
        """Whether any value inside ``shape`` is sensitive, so that echoing the whole would leak it."""
        cached = self._sensitive.get(shape.name)
        if cached is not None:
            return cached
        if shape.metadata.get("sensitive"):
            result = True
        elif shape.name in seen:
            return False  # recursion: the answer comes from the other members of the cycle
        else:
            inner = seen | {shape.name}
            children: Iterable[Shape]
            if shape.type_name == "structure":
                children = shape.members.values()
            elif shape.type_name == "list":
                children = (shape.member,)
            elif shape.type_name == "map":
                children = (shape.key, shape.value)
            else:
                children = ()
            result = any(self.contains_sensitive(c, inner) for c in children)
        if not seen:
            self._sensitive[shape.name] = result
        return result

    # ----------------------------------------------------------------------------------------- scalars

    def scalar(self, shape: Shape) -> _Scalar:
        found = self._scalars.get(shape.name)
        if found is None:
            found = self._build_scalar(shape)
            self._scalars[shape.name] = found
        return found

    def _build_scalar(self, shape: Shape) -> _Scalar:
        kind = shape.type_name
        meta = shape.metadata
        type_error = (_type_text(kind),)
        lo, hi = meta.get("min"), meta.get("max")
        constraints: list[str] = []

        if kind in ("string", "blob"):
            enum = tuple(shape.enum) if kind == "string" else ()
            enum_set = frozenset(enum)
            enum_text = f"Member must satisfy enum value set: [{', '.join(enum)}]" if enum else ""
            lo_n = int(lo) if lo is not None and lo > 0 else None
            hi_n = int(hi) if hi is not None else None
            lo_text = f"Member must have length greater than or equal to {lo_n}"
            hi_text = f"Member must have length less than or equal to {hi_n}"
            raw_pattern = meta.get("pattern") if kind == "string" else None
            compiled = _compile_pattern(raw_pattern) if raw_pattern else None
            pat_text = f"Member must satisfy regular expression pattern: {raw_pattern}"
            # AWS lists a member's constraints max, min, pattern, enum inside collection messages.
            if hi_n is not None:
                constraints.append(hi_text)
            if lo_n is not None:
                constraints.append(lo_text)
            if compiled is not None:
                constraints.append(pat_text)
            if enum:
                constraints.append(enum_text)
            streaming = bool(meta.get("streaming") or shape.serialization.get("streaming"))

            if kind == "string":

                def check(value: Any) -> tuple[str, ...] | None:
                    if not isinstance(value, str):
                        return type_error
                    out: tuple[str, ...] | None = None
                    if enum_set and value not in enum_set:
                        out = (enum_text,)
                    if lo_n is not None or hi_n is not None:
                        n = len(value)
                        if lo_n is not None and n < lo_n:
                            out = (*(out or ()), lo_text)
                        elif hi_n is not None and n > hi_n:
                            out = (*(out or ()), hi_text)
                    if compiled is not None and not _pattern_ok(compiled, value):
                        out = (*(out or ()), pat_text)
                    return out

            else:

                def check(value: Any) -> tuple[str, ...] | None:
                    if not isinstance(value, (bytes, bytearray, memoryview)):
                        return None if streaming else type_error
                    n = len(value)  # blob lengths count bytes
                    if lo_n is not None and n < lo_n:
                        return (lo_text,)
                    if hi_n is not None and n > hi_n:
                        return (hi_text,)
                    return None

            return _Scalar(check, tuple(constraints), type_error)

        if kind in ("integer", "long", "float", "double"):
            integral = kind in ("integer", "long")
            lo_text = f"Member must have value greater than or equal to {lo}"
            hi_text = f"Member must have value less than or equal to {hi}"
            if hi is not None:
                constraints.append(hi_text)
            if lo is not None:
                constraints.append(lo_text)
            accepted: tuple[type, ...] = (int,) if integral else (int, float)
            # The model's bounds are checked first (AWS quotes them); a value inside them, or a member without
            # them, must still fit the Java type the service binds it to (Integer / Long): Python's ints are
            # unbounded, and a value past 64 bits would otherwise reach the providers and the audit record.
            type_range = _INTEGRAL_RANGE.get(kind)
            type_lo: Any = type_range[0] if type_range is not None else None
            type_hi: Any = type_range[1] if type_range is not None else None
            type_lo_text = f"Member must have value greater than or equal to {type_lo}"
            type_hi_text = f"Member must have value less than or equal to {type_hi}"

            def check(value: Any) -> tuple[str, ...] | None:
                if not isinstance(value, accepted) or isinstance(value, bool):
                    return type_error
                if isinstance(value, float) and math.isnan(value):
                    # NaN compares false with every bound, so it is outside any range the model sets.
                    return (hi_text,) if hi is not None else ((lo_text,) if lo is not None else None)
                if lo is not None and value < lo:
                    return (lo_text,)
                if hi is not None and value > hi:
                    return (hi_text,)
                if type_lo is not None and value < type_lo:
                    return (type_lo_text,)
                if type_hi is not None and value > type_hi:
                    return (type_hi_text,)
                return None

            return _Scalar(check, tuple(constraints), type_error)

        if kind == "boolean":

            def check(value: Any) -> tuple[str, ...] | None:
                return None if isinstance(value, bool) else type_error

            return _Scalar(check, (), type_error)

        if kind == "timestamp":

            def check(value: Any) -> tuple[str, ...] | None:
                return None if isinstance(value, (datetime, date)) else type_error

            return _Scalar(check, (), type_error)

        def accept(value: Any) -> tuple[str, ...] | None:  # unknown kinds: nothing to check
            return None

        return _Scalar(accept, (), type_error)

    # ----------------------------------------------------------------------------------------- containers

    def container(self, shape: Shape, redact: bool) -> ContainerCheck:
        """A check for a value at a given path; ``redact`` is inherited from a sensitive ancestor."""
        redact = redact or bool(shape.metadata.get("sensitive"))
        key = (shape.name, redact)
        found = self._containers.get(key)
        if found is not None:
            return found
        if shape.type_name == "structure":
            # Registered before the members are compiled so recursive shapes reach it through the box.
            box: list[ContainerCheck] = []

            def forward(value: Any, path: str, errors: list[str]) -> None:
                box[0](value, path, errors)

            self._containers[key] = forward
            built = self._structure(shape, redact)
            box.append(built)
        elif shape.type_name == "list":
            built = self._list(shape, redact)
        elif shape.type_name == "map":
            built = self._map(shape, redact)
        else:
            built = self._scalar_as_container(shape, redact)
        self._containers[key] = built
        return built

    def _scalar_as_container(self, shape: Shape, redact: bool) -> ContainerCheck:
        scalar = self.scalar(shape)
        check = scalar.check

        def run(value: Any, path: str, errors: list[str]) -> None:
            bad = check(value)
            if bad is not None:
                errors.extend(_error(value, path, c, redact) for c in bad)

        return run

    def _structure(self, shape: Shape, redact: bool) -> ContainerCheck:
        if shape.metadata.get("document"):

            def anything(value: Any, path: str, errors: list[str]) -> None:
                return None

            return anything

        required = set(shape.required_members)
        union = bool(shape.metadata.get("union"))
        type_error = _type_text("structure")
        show_redacted = redact or self.contains_sensitive(shape)
        # (member name, path segment, scalar check or None, container check or None, required, redact)
        specs: list[tuple[str, str, ScalarCheck | None, ContainerCheck | None, bool, bool]] = []
        for name, member in shape.members.items():
            member_redact = redact or bool(member.metadata.get("sensitive"))
            if self._is_scalar(member):
                specs.append(
                    (name, _lower_first(name), self.scalar(member).check, None, name in required, member_redact)
                )
            else:
                specs.append((name, _lower_first(name), None, self.container(member, redact), name in required, False))
        frozen = tuple(specs)

        def run(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                errors.append(_error(value, path or "input", type_error, show_redacted))
                return
            prefix = path + "." if path else ""
            for name, segment, scalar, nested, is_required, member_redact in frozen:
                v = value.get(name)
                if v is None:
                    if is_required:
                        errors.append(
                            f"Value null at '{prefix}{segment}' failed to satisfy constraint: Member must not be null"
                        )
                    continue
                if scalar is not None:
                    bad = scalar(v)
                    if bad is not None:
                        member_path = prefix + segment
                        errors.extend(_error(v, member_path, c, member_redact) for c in bad)
                elif nested is not None:
                    nested(v, prefix + segment, errors)
            if union:
                present = sum(1 for name, *_ in frozen if value.get(name) is not None)
                if present != 1:
                    errors.append(
                        _error(value, path or "input", "Member must have exactly one member set", show_redacted)
                    )

        return run

    def _length_checks(self, shape: Shape) -> tuple[int | None, int | None, str, str]:
        lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
        lo_n = int(lo) if lo is not None and lo > 0 else None
        hi_n = int(hi) if hi is not None else None
        return (
            lo_n,
            hi_n,
            f"Member must have length greater than or equal to {lo_n}",
            f"Member must have length less than or equal to {hi_n}",
        )

    def _list(self, shape: Shape, redact: bool) -> ContainerCheck:
        member = shape.member
        lo_n, hi_n, lo_text, hi_text = self._length_checks(shape)
        show_redacted = redact or self.contains_sensitive(shape)
        type_error = _type_text("list")
        element_redact = redact or bool(member.metadata.get("sensitive"))

        if self._is_scalar(member):
            scalar = self.scalar(member)
            element = scalar.check
            element_type_error = scalar.type_error
            # Elements of a list are implicitly non-null, and AWS lists that too.
            bracket = (
                "Member must satisfy constraint: [" + ", ".join((*scalar.constraints, "Member must not be null")) + "]"
            )

            def run(value: Any, path: str, errors: list[str]) -> None:
                if not isinstance(value, (list, tuple)):
                    errors.append(_error(value, path, type_error, show_redacted))
                    return
                n = len(value)
                if lo_n is not None and n < lo_n:
                    errors.append(_error(value, path, lo_text, show_redacted))
                elif hi_n is not None and n > hi_n:
                    errors.append(_error(value, path, hi_text, show_redacted))
                collection_error = False
                for i, item in enumerate(value, 1):
                    bad = None if item is None else element(item)
                    if item is None or (bad is not None and bad is not element_type_error):
                        collection_error = True
                    elif bad is not None:
                        errors.append(_error(item, f"{path}.{i}.member", bad[0], element_redact))
                if collection_error:
                    errors.append(_error(value, path, bracket, show_redacted))

            return run

        nested = self.container(member, redact)

        def run_nested(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, (list, tuple)):
                errors.append(_error(value, path, type_error, show_redacted))
                return
            n = len(value)
            if lo_n is not None and n < lo_n:
                errors.append(_error(value, path, lo_text, show_redacted))
            elif hi_n is not None and n > hi_n:
                errors.append(_error(value, path, hi_text, show_redacted))
            for i, item in enumerate(value, 1):
                item_path = f"{path}.{i}.member"
                if item is None:
                    errors.append(f"Value null at '{item_path}' failed to satisfy constraint: Member must not be null")
                else:
                    nested(item, item_path, errors)

        return run_nested

    def _map(self, shape: Shape, redact: bool) -> ContainerCheck:
        lo_n, hi_n, lo_text, hi_text = self._length_checks(shape)
        show_redacted = redact or self.contains_sensitive(shape)
        type_error = _type_text("map")
        key_scalar = self.scalar(shape.key)
        key_check = key_scalar.check
        key_redact = redact or bool(shape.key.metadata.get("sensitive"))
        key_bracket = "Map keys must satisfy constraint: [" + ", ".join(key_scalar.constraints) + "]"
        value_shape = shape.value
        value_redact = redact or bool(value_shape.metadata.get("sensitive"))
        scalar_values = self._is_scalar(value_shape)
        value_scalar = self.scalar(value_shape) if scalar_values else None
        value_check = value_scalar.check if value_scalar is not None else None
        value_type_error = value_scalar.type_error if value_scalar is not None else ()
        value_bracket = (
            "Map value must satisfy constraint: [" + ", ".join(value_scalar.constraints) + "]"
            if value_scalar is not None
            else ""
        )
        nested = None if scalar_values else self.container(value_shape, redact)

        def run(value: Any, path: str, errors: list[str]) -> None:
            if not isinstance(value, dict):
                errors.append(_error(value, path, type_error, show_redacted))
                return
            n = len(value)
            if lo_n is not None and n < lo_n:
                errors.append(_error(value, path, lo_text, show_redacted))
            elif hi_n is not None and n > hi_n:
                errors.append(_error(value, path, hi_text, show_redacted))
            keys_bad = values_bad = False
            for k, v in value.items():
                bad = key_check(k)
                if bad is not None:
                    if bad is key_scalar.type_error:
                        errors.append(_error(k, path, bad[0], show_redacted))
                    else:
                        keys_bad = True
                entry_path = f"{path}.{'*' if key_redact else _java(k)}"
                if v is None:
                    errors.append(f"Value null at '{entry_path}' failed to satisfy constraint: Member must not be null")
                elif value_check is not None:
                    bad = value_check(v)
                    if bad is value_type_error:
                        errors.append(_error(v, entry_path, bad[0], value_redact))
                    elif bad is not None:
                        values_bad = True
                elif nested is not None:
                    nested(v, entry_path, errors)
            if keys_bad:
                errors.append(_error(value, path, key_bracket, show_redacted))
            if values_bad:
                errors.append(_error(value, path, value_bracket, show_redacted))

        return run
