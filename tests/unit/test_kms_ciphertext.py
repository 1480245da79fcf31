"""The symmetric ciphertext blob: every byte is authenticated, the context is bound, its order does not matter."""

from __future__ import annotations

import os

import pytest

from strongroom.services.kms import ciphertext as ct

HEADER = ct.Header("123456789012", "1234abcd-12ab-34cd-56ef-1234567890ab", "ab" * 32)
MATERIAL = os.urandom(32)


def seal(context: dict[str, str] | None = None, plaintext: bytes = b"attack at dawn") -> bytes:
    return ct.seal(HEADER, MATERIAL, plaintext, context)


def open_(blob: bytes, context: dict[str, str] | None = None, material: bytes = MATERIAL) -> bytes:
    _, offset = ct.parse_header(blob)
    return ct.open_blob(blob, offset, material, context)


def test_round_trip_and_header() -> None:
    blob = seal({"a": "1"})
    header, _ = ct.parse_header(blob)
    assert header == HEADER
    assert open_(blob, {"a": "1"}) == b"attack at dawn"
    assert blob[0] == ct.VERSION


def test_every_byte_is_authenticated() -> None:
    blob = seal({"k": "v"})
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(ct.MalformedCiphertext):
            open_(bytes(tampered), {"k": "v"})


def test_truncation_and_garbage() -> None:
    blob = seal()
    for cut in range(len(blob)):
        with pytest.raises(ct.MalformedCiphertext):
            open_(blob[:cut])
    for garbage in (b"", b"\x01", os.urandom(200), b"\x01" + b"x" * 120):
        with pytest.raises(ct.MalformedCiphertext):
            open_(garbage)


def test_context_is_bound_and_order_independent() -> None:
    context = {"b": "2", "a": "1", "ü": "ß"}
    blob = seal(context)
    assert open_(blob, dict(sorted(context.items()))) == b"attack at dawn"
    assert open_(blob, dict(reversed(list(context.items())))) == b"attack at dawn"
    for wrong in (None, {}, {"a": "1", "b": "2"}, {**context, "c": "3"}, {"b": "2", "a": "1", "ü": "ss"}):
        with pytest.raises(ct.MalformedCiphertext):
            open_(blob, wrong)


def test_context_encoding_is_unambiguous() -> None:
    # Concatenation alone would make these equal; the length prefixes keep them apart.
    assert ct.canonical_context({"ab": "c"}) != ct.canonical_context({"a": "bc"})
    assert ct.canonical_context(None) == ct.canonical_context({}) == b""
    blob = seal({"ab": "c"})
    with pytest.raises(ct.MalformedCiphertext):
        open_(blob, {"a": "bc"})


def test_wrong_material_and_fresh_keys() -> None:
    blob = seal()
    with pytest.raises(ct.MalformedCiphertext):
        open_(blob, material=os.urandom(32))
    assert seal() != seal()  # fresh salt and IV every call
