"""Helpers for GuardDuty's end-to-end tests: a server running the stand-in detection engine, fresh accounts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import database_url_for
from tests.e2e.organizations_support import Account, new_account
from tests.support.server import ServerProcess

STAND_IN = "tests.support.guardduty_engine:build"
NOT_OWNED = "The request is rejected because the input detectorId is not owned by the current account."


def start_server(backend: str, request: pytest.FixtureRequest, tmp: Any) -> Iterator[ServerProcess]:
    """A test-mode server whose GuardDuty uses the stand-in engine (the variable is read by the server process)."""
    srv = ServerProcess(tmp, database_url_for(backend, request), ["--test-mode"])
    srv.init()
    before = os.environ.get("STRONGROOM_GUARDDUTY_ENGINE")
    os.environ["STRONGROOM_GUARDDUTY_ENGINE"] = STAND_IN
    try:
        srv.start()
    finally:
        if before is None:
            del os.environ["STRONGROOM_GUARDDUTY_ENGINE"]
        else:
            os.environ["STRONGROOM_GUARDDUTY_ENGINE"] = before
    yield srv
    srv.stop()


def account_with_detector(server: ServerProcess, **kwargs: Any) -> tuple[Account, Any, str]:
    account = new_account(server)
    gd = account.client("guardduty")
    detector = gd.create_detector(Enable=True, **kwargs)["DetectorId"]
    return account, gd, detector


def error_of(exc: Any) -> tuple[str, str, str]:
    err = exc.value.response["Error"]
    body = exc.value.response
    return str(err["Code"]), str(err.get("Message") or ""), str(body.get("Type") or err.get("Type") or "")
