"""Console sign-in with an IAM user's password and TOTP code (``POST /_strongroom/console/sign-in``), against the
real server: the session it hands out is the user's (its permissions, MFA in the policy context), codes are single
use, unknown users and wrong passwords answer alike, a required password change obeys the password policy, failed
attempts are throttled, and every attempt is a ``ConsoleLogin`` record in the event history under the user."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import boto3
import pytest
import urllib3
from botocore.exceptions import ClientError

from strongroom.iam import totp
from tests.e2e.events_support import log_entries, log_target, wait_for
from tests.support.server import ServerProcess

FAILED = "Your authentication information is incorrect. Please try again."
PASSWORD = "Corr3ct-Horse!"
# Everything, but KMS only with MFA: shows that the password + code session carries aws:MultiFactorAuthPresent.
MFA_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Effect": "Deny",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def post(server: ServerProcess, body: Any, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    r = urllib3.PoolManager().request(
        "POST",
        server.endpoint + "/_strongroom/console/sign-in",
        body=json.dumps(body).encode(),
        headers={"Content-Type": content_type, "User-Agent": "console-test"},
        retries=False,
    )
    assert "Set-Cookie" not in r.headers and r.headers["Cache-Control"] == "no-store"
    return r.status, json.loads(r.data)


def account_id(server: ServerProcess) -> str:
    return str(server.client("sts").get_caller_identity()["Account"])


def new_user(server: ServerProcess, prefix: str, *, reset: bool = False) -> str:
    iam = server.client("iam")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="console", PolicyDocument=json.dumps(MFA_POLICY))
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    return name


def add_mfa(server: ServerProcess, user: str) -> tuple[str, bytes, int]:
    """A virtual MFA device enabled for ``user``; (serial, seed, the server's current step).

    Enabled with the codes of two steps before now, so the codes of the next three steps (now-1 .. now+1, all
    within the accepted window) are each good for one sign-in without moving the clock."""
    iam = server.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)["VirtualMFADevice"]
    text = device["Base32StringSeed"].decode()
    seed = base64.b32decode(text + "=" * (-len(text) % 8))
    step = totp.step_of(server.now().timestamp())
    code = lambda s: totp.code_at(seed, s * totp.STEP)  # noqa: E731
    serial = device["SerialNumber"]
    iam.enable_mfa_device(
        UserName=user, SerialNumber=serial, AuthenticationCode1=code(step - 3), AuthenticationCode2=code(step - 2)
    )
    return serial, seed, step


def session_client(server: ServerProcess, service: str, creds: dict[str, str]) -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=server.endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def console_logins(server: ServerProcess, user: str) -> list[dict[str, Any]]:
    pages = (
        server.client("cloudtrail")
        .get_paginator("lookup_events")
        .paginate(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": user}])
    )
    events = [e for p in pages for e in p["Events"]]
    return [json.loads(e["CloudTrailEvent"]) for e in events if e["EventName"] == "ConsoleLogin"]


def test_password_and_totp_sign_in(server: ServerProcess) -> None:
    account = account_id(server)
    user = new_user(server, "signin-mfa")
    serial, seed, step = add_mfa(server, user)
    code = lambda s: totp.code_at(seed, s * totp.STEP)  # noqa: E731
    base = {"account": account, "userName": user, "password": PASSWORD}
    # EventBridge hears sign-ins under their own detail type, as on AWS
    events = server.client("events")
    pattern = {"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"]}
    events.put_rule(Name=user, EventPattern=json.dumps({**pattern, "detail": {"userIdentity": {"userName": [user]}}}))
    events.put_targets(Rule=user, Targets=[{"Id": "log", "Arn": log_target(server, user)}])

    # the password first; then the code is asked for
    assert post(server, base) == (401, {"code": "MFARequired", "message": "Enter the code from your MFA device."})
    status, body = post(server, {**base, "mfaCode": code(step - 1)})
    assert status == 200, body
    creds = body["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and body["MFAUsed"] is True
    who = session_client(server, "sts", creds).get_caller_identity()
    assert who["Arn"].endswith(f":user/{user}")
    # the session is the user's own, with MFA present: KMS (MFA-only in its policy) answers
    session_client(server, "kms", creds).list_keys()

    # the same code again is refused (replay), as is a wrong one; both with the one message
    assert post(server, {**base, "mfaCode": code(step - 1)}) == (
        401,
        {"code": "AuthenticationFailed", "message": FAILED},
    )
    wrong = f"{(int(code(step)) + 1) % 1_000_000:06d}"
    assert post(server, {**base, "mfaCode": wrong}) == (401, {"code": "AuthenticationFailed", "message": FAILED})
    # a wrong password and an unknown user answer alike
    assert post(server, {**base, "password": "Wr0ng-password!", "mfaCode": code(step)})[1]["message"] == FAILED
    assert post(server, {**base, "userName": "no-such-user-" + user}) == (
        401,
        {"code": "AuthenticationFailed", "message": FAILED},
    )
    # the next code still works (nothing was consumed by the refusals)
    status, body = post(server, {**base, "mfaCode": code(step)})
    assert status == 200, body

    records = console_logins(server, user)
    outcomes = sorted((r["responseElements"]["ConsoleLogin"], r["additionalEventData"]["MFAUsed"]) for r in records)
    assert outcomes == [
        ("Failure", "No"),
        ("Failure", "Yes"),
        ("Failure", "Yes"),
        ("Success", "Yes"),
        ("Success", "Yes"),
    ]
    success = next(r for r in records if r["responseElements"]["ConsoleLogin"] == "Success")
    assert success["eventSource"] == "signin.amazonaws.com" and success["eventType"] == "AwsConsoleSignIn"
    assert success["userIdentity"]["type"] == "IAMUser" and success["userIdentity"]["userName"] == user
    assert success["additionalEventData"]["MFAIdentifier"] == serial
    assert success["userAgent"] == "console-test" and success["recipientAccountId"] == account
    failure = next(r for r in records if r["responseElements"]["ConsoleLogin"] == "Failure")
    assert failure["errorMessage"] == "Failed authentication"
    assert PASSWORD not in json.dumps(records) and "Wr0ng-password!" not in json.dumps(records)
    heard = wait_for(
        lambda: len(log_entries(server, user)) >= 5 and log_entries(server, user), nudge=lambda: server.advance(0)
    )
    assert {e["detail"]["eventName"] for e in heard} == {"ConsoleLogin"}
    # an unknown user name is recorded hidden (it may be a password typed in the wrong box)
    hidden = console_logins(server, "HIDDEN_DUE_TO_SECURITY_REASONS")
    assert any(r["responseElements"]["ConsoleLogin"] == "Failure" for r in hidden)


def test_password_reset_required_with_alias(server: ServerProcess) -> None:
    iam = server.client("iam")
    user = new_user(server, "signin-reset", reset=True)
    alias = f"sr-{uuid.uuid4().hex[:10]}"
    iam.create_account_alias(AccountAlias=alias)
    try:
        base = {"account": alias, "userName": user, "password": PASSWORD}
        status, body = post(server, base)
        assert (status, body["code"]) == (401, "PasswordResetRequired")
        # the new password obeys the account password policy (AWS's default: 8 chars, three character kinds)
        status, body = post(server, {**base, "newPassword": "short"})
        assert (status, body["code"]) == (400, "PasswordPolicyViolation")
        assert "minimum length of 8" in body["message"]
        assert post(server, {**base, "newPassword": PASSWORD})[1]["code"] == "PasswordPolicyViolation"
        status, body = post(server, {**base, "newPassword": "N3w-Passw0rd!"})
        assert status == 200, body
        assert iam.get_login_profile(UserName=user)["LoginProfile"]["PasswordResetRequired"] is False
        # the old password is gone; the new one signs in with no further step
        assert post(server, base)[0] == 401
        status, body = post(server, {**base, "password": "N3w-Passw0rd!"})
        assert status == 200 and body["MFAUsed"] is False
        # no MFA in this session: the policy's MFA condition denies KMS
        with pytest.raises(ClientError) as denied:
            session_client(server, "kms", body["Credentials"]).list_keys()
        assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
        records = console_logins(server, user)
        successes = [r for r in records if r["responseElements"]["ConsoleLogin"] == "Success"]
        assert [r["additionalEventData"]["MFAUsed"] for r in successes] == ["No", "No"]
    finally:
        iam.delete_account_alias(AccountAlias=alias)


def test_throttling_and_validation(server: ServerProcess) -> None:
    account = account_id(server)
    user = new_user(server, "signin-throttle")
    base = {"account": account, "userName": user, "password": PASSWORD}
    for _ in range(5):
        assert post(server, {**base, "password": "Wr0ng-password!"})[0] == 401
    # now even the right password is refused until the window passes (no password check is made)
    status, body = post(server, base)
    assert (status, body["code"]) == (429, "TooManyAttempts")
    server.advance(301)
    status, body = post(server, base)
    assert status == 200, body
    # malformed requests answer a validation error, never a 500
    assert post(server, {"account": account})[1]["code"] == "ValidationError"
    assert post(server, {**base, "password": 7})[1]["code"] == "ValidationError"
    assert post(server, ["not", "an", "object"])[0] == 400
    assert post(server, base, content_type="text/plain")[0] == 415
    # a user without a login profile, and an unknown account, answer as a wrong password does
    server.client("iam").create_user(UserName=user + "-nologin")
    refused = (401, {"code": "AuthenticationFailed", "message": FAILED})
    assert post(server, {**base, "userName": user + "-nologin"}) == refused
    assert post(server, {**base, "account": "000000000001"}) == refused
