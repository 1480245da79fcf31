"""Virtual MFA (RFC 6238 codes), GetSessionToken with MFA and the aws:MultiFactorAuth* keys, login profiles and the
account password policy (complexity, reuse prevention) enforced on Create/UpdateLoginProfile and ChangePassword."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from strongroom.iam import totp
from tests.support.errors import code_of, status_of
from tests.support.server import ServerProcess


def server_now(server: ServerProcess) -> float:
    return datetime.fromisoformat(server.admin("GET", "clock")[1]["now"].replace("Z", "+00:00")).timestamp()


def _client(server: ServerProcess, service: str, creds: dict[str, Any]) -> Any:
    return server.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


@pytest.fixture
def user(server: ServerProcess) -> Iterator[dict[str, Any]]:
    iam = server.client("iam")
    name = f"mfa-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    # Everything in IAM's read side, but only with MFA (AWS's documented "require MFA" pattern)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                },
            }
        ],
    }
    iam.put_user_policy(UserName=name, PolicyName="mfa", PolicyDocument=json.dumps(policy))
    yield {"Name": name, "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def test_virtual_mfa_and_session_with_mfa(server: ServerProcess, user: dict[str, Any]) -> None:
    iam = server.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user["Name"], Tags=[{"Key": "k", "Value": "v"}])[
        "VirtualMFADevice"
    ]
    serial = device["SerialNumber"]
    seed_text = device["Base32StringSeed"].decode()
    seed = base64.b32decode(seed_text + "=" * (-len(seed_text) % 8))
    assert device["QRCodePNG"].startswith(b"\x89PNG")
    now = server_now(server)
    code1, code2 = totp.code_at(seed, now - 30), totp.code_at(seed, now)

    with pytest.raises(ClientError) as exc:
        iam.enable_mfa_device(
            UserName=user["Name"], SerialNumber=serial, AuthenticationCode1=code2, AuthenticationCode2=code1
        )
    assert code_of(exc) == "InvalidAuthenticationCode"
    iam.enable_mfa_device(
        UserName=user["Name"], SerialNumber=serial, AuthenticationCode1=code1, AuthenticationCode2=code2
    )
    listed = iam.list_mfa_devices(UserName=user["Name"])["MFADevices"]
    assert [d["SerialNumber"] for d in listed] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert any(d["SerialNumber"] == serial and d["User"]["UserName"] == user["Name"] for d in assigned)
    assert iam.list_mfa_device_tags(SerialNumber=serial)["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert code_of(exc) == "DeleteConflict"

    sts = _client(server, "sts", user)
    # without MFA: the long-term key and a session without MFA are both denied
    with pytest.raises(ClientError) as exc:
        _client(server, "iam", user).list_roles()
    assert code_of(exc) == "AccessDenied"
    plain = sts.get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError) as exc:
        _client(server, "iam", plain).list_roles()
    assert code_of(exc) == "AccessDenied"
    # a wrong code, and a code already used to enable, are refused
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode="000000" if code2 != "000000" else "111111")
    assert (code_of(exc), status_of(exc)) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as exc:
        sts.get_session_token(SerialNumber=serial, TokenCode=code2)
    assert code_of(exc) == "AccessDenied"
    # the next code works, once
    code3 = totp.code_at(seed, now + 30)
    with_mfa = sts.get_session_token(SerialNumber=serial, TokenCode=code3, DurationSeconds=900)["Credentials"]
    _client(server, "iam", with_mfa).list_roles(MaxItems=1)

    # a role whose trust policy requires MFA: AssumeRole with the device's next code
    user_arn = iam.get_user(UserName=user["Name"])["User"]["Arn"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": user_arn},
                "Action": "sts:AssumeRole",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            }
        ],
    }
    role = iam.create_role(RoleName=user["Name"] + "-r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="nomfa")
    assert code_of(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="bad", SerialNumber=serial, TokenCode=code3)  # used
    assert code_of(exc) == "AccessDenied"
    server.advance(30)  # the next code belongs to the next step: within one step of the server clock
    code4 = totp.code_at(seed, now + 60)
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="mfa", SerialNumber=serial, TokenCode=code4)

    iam.deactivate_mfa_device(UserName=user["Name"], SerialNumber=serial)
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    with pytest.raises(ClientError) as exc:
        iam.get_mfa_device(SerialNumber=serial)
    assert code_of(exc) == "NoSuchEntity"


def test_password_policy_and_login_profiles(server: ServerProcess, user: dict[str, Any]) -> None:
    iam = server.client("iam")
    name = user["Name"]
    try:
        iam.update_account_password_policy(
            MinimumPasswordLength=12,
            RequireSymbols=True,
            RequireNumbers=True,
            RequireUppercaseCharacters=True,
            RequireLowercaseCharacters=True,
            AllowUsersToChangePassword=True,
            MaxPasswordAge=90,
            PasswordReusePrevention=2,
        )
        policy = iam.get_account_password_policy()["PasswordPolicy"]
        assert policy["MinimumPasswordLength"] == 12 and policy["ExpirePasswords"] is True
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password="short1!A")
        assert code_of(exc) == "PasswordPolicyViolation"
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password="nouppercase1!xx")
        assert code_of(exc) == "PasswordPolicyViolation"
        first = "Correct-Horse-1!"
        profile = iam.create_login_profile(UserName=name, Password=first, PasswordResetRequired=True)["LoginProfile"]
        assert profile["UserName"] == name and profile["PasswordResetRequired"] is True
        with pytest.raises(ClientError) as exc:
            iam.create_login_profile(UserName=name, Password=first)
        assert code_of(exc) == "EntityAlreadyExists"

        own = _client(server, "iam", user)
        with pytest.raises(ClientError) as exc:
            own.change_password(OldPassword="Wrong-Password-1!", NewPassword="Another-Horse-2!")
        assert code_of(exc) == "AccessDenied"
        own.change_password(OldPassword=first, NewPassword="Another-Horse-2!")
        assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
        # reuse prevention: the last two passwords are refused
        with pytest.raises(ClientError) as exc:
            own.change_password(OldPassword="Another-Horse-2!", NewPassword=first)
        assert code_of(exc) == "PasswordPolicyViolation"
        with pytest.raises(ClientError) as exc:
            iam.update_login_profile(UserName=name, Password="Another-Horse-2!")
        assert code_of(exc) == "PasswordPolicyViolation"
        iam.update_login_profile(UserName=name, Password="Third-Horse-33!")
        iam.delete_login_profile(UserName=name)
        with pytest.raises(ClientError) as exc:
            iam.get_login_profile(UserName=name)
        assert (code_of(exc), status_of(exc)) == ("NoSuchEntity", 404)
    finally:
        iam.delete_account_password_policy()
    with pytest.raises(ClientError) as exc:
        iam.get_account_password_policy()
    assert code_of(exc) == "NoSuchEntity"
