"""Fixtures the end-to-end tests of several services share (the servers themselves are in tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import ServerProcess


@pytest.fixture
def ssm(server: ServerProcess) -> Any:
    """A Parameter Store client of the session's server."""
    return server.client("ssm")
