"""What the Parameter Store tests share: unique names (the ``ssm`` fixture is in conftest)."""

from __future__ import annotations

import uuid


def unique_name(prefix: str) -> str:
    """A parameter name no other test (or backend run) uses."""
    return f"{prefix}/{uuid.uuid4().hex[:10]}"
