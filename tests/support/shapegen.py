"""Random valid values for botocore shapes, for round-trip tests of the protocol layer.

Values respect min/max lengths, ranges and enums (not regex patterns: codecs do not validate).
Recursion is bounded so recursive shapes terminate.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime
from typing import Any

from botocore.model import Shape

_ALPHABET = string.ascii_letters + string.digits + "-_./:+= %&?#é中"


class ShapeGenerator:
    def __init__(self, seed: int = 0, max_depth: int = 4, *, required_nonempty: bool = False) -> None:
        self.rng = random.Random(seed)
        self.max_depth = max_depth
        # A required list or map left empty is absent on the XML wire, which S3 refuses as MalformedXML (as AWS
        # does): round trips through rest-xml ask for at least one item there.
        self.required_nonempty = required_nonempty
        self._at_least = 0

    def value(self, shape: Shape, depth: int = 0, *, location: str | None = None) -> Any:
        method = getattr(self, "_" + shape.type_name)
        return method(shape, depth, location)

    def _structure(self, shape: Any, depth: int, location: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        is_union = bool(shape.metadata.get("union"))
        names = list(shape.members)
        if is_union:
            names = [self.rng.choice(names)] if names else []
        for name in names:
            member = shape.members[name]
            if member.serialization.get("eventstream") or (
                member.type_name == "structure" and member.metadata.get("eventstream")
            ):
                continue
            if member.serialization.get("streaming") or member.metadata.get("streaming"):
                continue
            if name not in required and not is_union and (depth >= self.max_depth or self.rng.random() < 0.35):
                continue
            loc = member.serialization.get("location")
            self._at_least = 1 if self.required_nonempty and name in required else 0
            value = self.value(member, depth + 1, location=loc)
            self._at_least = 0
            out[name] = value
        return out

    def _list(self, shape: Any, depth: int, location: str | None) -> list[Any]:
        lo = max(shape.metadata.get("min", 0), self._at_least)
        self._at_least = 0
        hi = shape.metadata.get("max", 3)
        n = lo if depth >= self.max_depth else self.rng.randint(lo, max(lo, min(hi, lo + 3)))
        return [self.value(shape.member, depth + 1, location=location) for _ in range(n)]

    def _map(self, shape: Any, depth: int, location: str | None) -> dict[str, Any]:
        lo = max(shape.metadata.get("min", 0), self._at_least)
        self._at_least = 0
        n = lo if depth >= self.max_depth else self.rng.randint(lo, lo + 2)
        out: dict[str, Any] = {}
        for _ in range(n * 3):
            if len(out) >= n:
                break
            key = self._string(shape.key, depth + 1, location)
            out[key] = self.value(shape.value, depth + 1, location=location)
        return out

    def _string(self, shape: Any, depth: int, location: str | None) -> str:
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        lo = shape.metadata.get("min", 1) or 0
        hi = shape.metadata.get("max", 24)
        n = self.rng.randint(max(lo, 1), max(lo, 1, min(hi, lo + 20)))
        alphabet = _ALPHABET
        if location in ("header", "headers"):
            alphabet = string.ascii_letters + string.digits + "-_./:"
        elif location == "uri":
            alphabet = string.ascii_letters + string.digits + "-_./:%+ "
        if shape.metadata.get("jsonvalue"):
            return '{"k": ["v", 1]}'
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def _integer(self, shape: Any, depth: int, location: str | None) -> int:
        if location == "statusCode":
            return 200
        lo = int(shape.metadata.get("min", 0))
        hi = int(shape.metadata.get("max", lo + 1000))
        return self.rng.randint(lo, max(lo, hi))

    _long = _integer

    def _float(self, shape: Any, depth: int, location: str | None) -> float:
        return round(self.rng.uniform(0, 1000), 3)

    _double = _float

    def _boolean(self, shape: Any, depth: int, location: str | None) -> bool:
        return self.rng.random() < 0.5

    def _blob(self, shape: Any, depth: int, location: str | None) -> bytes:
        lo = shape.metadata.get("min", 1) or 1
        return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(lo, lo + 32)))

    def _timestamp(self, shape: Any, depth: int, location: str | None) -> datetime:
        return datetime.fromtimestamp(self.rng.randint(1_000_000_000, 2_000_000_000), UTC)


def operation_input(operation: Any, seed: int = 0, *, required_nonempty: bool = False) -> dict[str, Any]:
    shape = operation.input_shape
    return {} if shape is None else ShapeGenerator(seed, required_nonempty=required_nonempty).value(shape)


def operation_output(operation: Any, seed: int = 0) -> dict[str, Any]:
    shape = operation.output_shape
    return {} if shape is None else ShapeGenerator(seed).value(shape)
