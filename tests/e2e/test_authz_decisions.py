"""Remembered authorization decisions (iam/decisions.py) never outlive what they were decided from.

Each test warms the decision cache with the same allowed call repeated, changes one input through the API and
asserts that the very next call (no wait) gets the new answer, and the call after the change is undone gets the
old one back: an identity policy, a key policy, a bucket policy, a condition key's value, a deleted and re-created
user of the same name.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user, policy
from tests.support.errors import code_of
from tests.support.server import ServerProcess

WARM = 5


def _denied(call: Callable[[], object]) -> bool:
    with pytest.raises(ClientError) as exc:
        call()
    assert code_of(exc) in ("AccessDeniedException", "AccessDenied"), exc.value
    return True


def _warm_encrypter(server: ServerProcess) -> tuple[str, dict[str, Any], Any]:
    """A new key, a user whose policy allows kms:Encrypt on it, and that user's client, after WARM Encrypts (the
    decision is in the cache)."""
    key = server.client("kms").create_key()["KeyMetadata"]["Arn"]
    user = make_user(server.client("iam"), allow("kms:Encrypt", key))
    mine = client_for(server, "kms", user)
    for _ in range(WARM):
        mine.encrypt(KeyId=key, Plaintext=b"x")
    return key, user, mine


def test_identity_policy_change_applies_at_once(server: ServerProcess) -> None:
    iam = server.client("iam")
    key, user, mine = _warm_encrypter(server)
    iam.put_user_policy(UserName=user["Name"], PolicyName="no", PolicyDocument=policy(deny("kms:Encrypt", key)))
    assert _denied(lambda: mine.encrypt(KeyId=key, Plaintext=b"x"))
    iam.delete_user_policy(UserName=user["Name"], PolicyName="no")
    mine.encrypt(KeyId=key, Plaintext=b"x")


def test_key_policy_change_applies_at_once(server: ServerProcess) -> None:
    kms = server.client("kms")
    key, user, mine = _warm_encrypter(server)
    account = key.split(":")[4]
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    refuse = {"Effect": "Deny", "Principal": {"AWS": user["Arn"]}, "Action": "kms:Encrypt", "Resource": "*"}
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(trust, refuse))
    assert _denied(lambda: mine.encrypt(KeyId=key, Plaintext=b"x"))
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=policy(trust))
    mine.encrypt(KeyId=key, Plaintext=b"x")


def test_condition_values_are_part_of_the_decision(server: ServerProcess) -> None:
    iam, kms = server.client("iam"), server.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    only_blue = allow("kms:Encrypt", key, Condition={"StringEquals": {"kms:EncryptionContext:team": "blue"}})
    mine = client_for(server, "kms", make_user(iam, only_blue))
    for _ in range(WARM):  # interleaved: each answer is its own context's, never the previous call's
        mine.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"team": "blue"})
        assert _denied(lambda: mine.encrypt(KeyId=key, Plaintext=b"x", EncryptionContext={"team": "red"}))
        assert _denied(lambda: mine.encrypt(KeyId=key, Plaintext=b"x"))


def test_bucket_policy_change_applies_at_once(server: ServerProcess) -> None:
    iam, s3 = server.client("iam"), server.client("s3")
    bucket = f"dc-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    user = make_user(iam, allow("s3:GetObject", f"arn:aws:s3:::{bucket}/*"))
    mine = client_for(server, "s3", user)
    for _ in range(WARM):
        assert mine.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    refuse = {
        "Effect": "Deny",
        "Principal": {"AWS": user["Arn"]},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=policy(refuse))
    assert _denied(lambda: mine.get_object(Bucket=bucket, Key="k"))
    s3.delete_bucket_policy(Bucket=bucket)
    assert mine.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"


def test_recreated_user_does_not_inherit_decisions(server: ServerProcess) -> None:
    iam = server.client("iam")
    key, user, mine = _warm_encrypter(server)
    name = user["Name"]
    iam.delete_user_policy(UserName=name, PolicyName="p")
    iam.delete_access_key(UserName=name, AccessKeyId=user["AccessKeyId"])
    iam.delete_user(UserName=name)
    iam.create_user(UserName=name)  # same name and ARN, no policy
    fresh = iam.create_access_key(UserName=name)["AccessKey"]
    again = client_for(server, "kms", fresh)
    assert _denied(lambda: again.encrypt(KeyId=key, Plaintext=b"x"))
    with pytest.raises(ClientError):  # the old key died with the old user
        mine.encrypt(KeyId=key, Plaintext=b"x")


def test_policy_documents_are_json(server: ServerProcess) -> None:
    """The helpers above build documents the server accepts (a guard against a silently ignored policy)."""
    assert json.loads(policy(allow("kms:Encrypt")))["Statement"][0]["Effect"] == "Allow"
