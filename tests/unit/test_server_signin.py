"""The console's password sign-in, its pure parts: the request's validation, the failed-attempt throttle, the
ConsoleLogin record's shape, and the answers that need no storage (wrong content type, malformed bodies)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

import pytest

from strongroom.audit.records import console_login_record
from strongroom.protocol.http import HttpRequest
from strongroom.server.signin import HIDDEN, Attempt, SignInError, Throttle, handle_sign_in


def test_attempt_parses_and_normalises() -> None:
    attempt = Attempt.parse(
        json.dumps({"account": " MyAlias ", "userName": " alice ", "password": " p w ", "mfaCode": " 123456 "}).encode()
    )
    # the account alias is case-insensitive, the password is taken exactly as typed
    assert attempt == Attempt("myalias", "alice", " p w ", "123456", None)
    assert Attempt.parse(b'{"account": "1", "userName": "u", "password": "p", "mfaCode": ""}').mfa_code is None


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"userName": "u", "password": "p"}',
        b'{"account": "1", "userName": "u"}',
        b'{"account": "1", "userName": "u", "password": 5}',
        b'{"account": "1", "userName": "u", "password": "p", "mfaCode": "12345678901234567"}',
        json.dumps({"account": "1", "userName": "u", "password": "x" * 129}).encode(),
        b'{"account": "1", "userName": "u", "password": "' + b"x" * 9000 + b'"}',
    ],
)
def test_attempt_refuses_malformed_bodies(body: bytes) -> None:
    with pytest.raises(SignInError) as caught:
        Attempt.parse(body)
    assert caught.value.status == 400 and caught.value.code == "ValidationError"


def test_handler_answers_validation_without_storage() -> None:
    runtime = cast(Any, None)  # never reached: the request is refused before any lookup
    form = HttpRequest(
        "POST", "/_strongroom/console/sign-in", "", {"content-type": "application/x-www-form-urlencoded"}
    )
    assert handle_sign_in(runtime, form)[0] == 415
    bad = HttpRequest("POST", "/_strongroom/console/sign-in", "", {"content-type": "application/json"}, b"{}")
    status, body = handle_sign_in(runtime, bad)
    assert status == 400 and body["code"] == "ValidationError"


def test_throttle_per_user_and_per_address() -> None:
    throttle = Throttle(user_limit=3, ip_limit=5, window=60)
    for t in range(3):
        assert not throttle.blocked("acct/alice", "10.0.0.1", t)
        throttle.failed("acct/alice", "10.0.0.1", t)
    assert throttle.blocked("acct/alice", "10.0.0.9", 3)  # the user, from anywhere
    assert not throttle.blocked("acct/bob", "10.0.0.9", 3)
    # the oldest failure ages out of the window
    assert not throttle.blocked("acct/alice", "10.0.0.9", 60.5)
    # a success clears the user's count, not the address's
    throttle.succeeded("acct/alice")
    assert not throttle.blocked("acct/alice", "10.0.0.9", 4)
    for t in range(2):
        throttle.failed(f"acct/user{t}", "10.0.0.1", 4)
    assert throttle.blocked("acct/carol", "10.0.0.1", 5)  # five failures from the address, any users
    assert not throttle.blocked("acct/carol", "10.0.0.2", 5)


def test_console_login_record_shape() -> None:
    at = datetime(2026, 12, 7, 3, 0, 0, tzinfo=UTC)
    identity = {"type": "IAMUser", "principalId": "AIDAX", "arn": "arn:aws:iam::111122223333:user/alice"}
    ok = console_login_record(
        {**identity, "accountId": "111122223333", "userName": "alice"},
        "111122223333",
        success=True,
        mfa_used=True,
        source_ip="192.0.2.1",
        user_agent="Mozilla/5.0",
        login_to="https://127.0.0.1:4566/console/",
        at=at,
        mfa_serial="arn:aws:iam::111122223333:mfa/alice",
    )
    assert ok["eventSource"] == "signin.amazonaws.com" and ok["eventName"] == "ConsoleLogin"
    assert ok["eventType"] == "AwsConsoleSignIn" and ok["eventTime"] == "2026-12-07T03:00:00Z"
    assert ok["responseElements"] == {"ConsoleLogin": "Success"} and "errorMessage" not in ok
    assert ok["additionalEventData"] == {
        "LoginTo": "https://127.0.0.1:4566/console/",
        "MobileVersion": "No",
        "MFAUsed": "Yes",
        "MFAIdentifier": "arn:aws:iam::111122223333:mfa/alice",
    }
    assert ok["requestParameters"] is None and ok["readOnly"] is False and ok["recipientAccountId"] == "111122223333"
    failed = console_login_record(
        {"type": "IAMUser", "accountId": "111122223333", "accessKeyId": "", "userName": HIDDEN},
        "111122223333",
        success=False,
        mfa_used=False,
        source_ip="192.0.2.1",
        user_agent="",
        login_to="x",
        at=at,
    )
    assert failed["responseElements"] == {"ConsoleLogin": "Failure"}
    assert failed["errorMessage"] == "Failed authentication"
    assert failed["additionalEventData"]["MFAUsed"] == "No" and "MFAIdentifier" not in failed["additionalEventData"]
