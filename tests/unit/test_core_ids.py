"""Identifiers: the hand-rolled UUID text is exactly what the uuid module would print for the same bytes."""

from __future__ import annotations

import uuid

from strongroom.core import ids


def test_uuid4_is_a_canonical_version_4_uuid() -> None:
    seen = set()
    for _ in range(2000):
        text = ids.uuid4()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
        seen.add(text)
    assert len(seen) == 2000
