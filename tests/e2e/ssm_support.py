"""What the Parameter Store tests share: unique names and error codes (the ``ssm`` fixture is in conftest)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError


def unique_name(prefix: str) -> str:
    """A parameter name no other test (or backend run) uses."""
    return f"{prefix}/{uuid.uuid4().hex[:10]}"


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])
