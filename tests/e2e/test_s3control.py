"""S3 Control's account-level Block Public Access, through boto3's s3control client, and its effect on buckets."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, deny, make_user
from tests.support.errors import code_of as code
from tests.support.s3control import s3control_client
from tests.support.server import ServerProcess


@pytest.fixture
def account(server: ServerProcess) -> str:
    return str(server.client("sts").get_caller_identity()["Account"])


def _public_policy(bucket: str) -> str:
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_account_public_access_block_round_trip_and_errors(server: ServerProcess, account: str) -> None:
    control = s3control_client(server)
    control.delete_public_access_block(AccountId=account)
    with pytest.raises(ClientError) as err:
        control.get_public_access_block(AccountId=account)
    assert code(err) == "NoSuchPublicAccessBlockConfiguration"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    control.put_public_access_block(
        AccountId=account, PublicAccessBlockConfiguration={"BlockPublicPolicy": True, "IgnorePublicAcls": True}
    )
    got = control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]
    assert got == {
        "BlockPublicAcls": False,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False,
    }
    with pytest.raises(ClientError) as err:
        control.get_public_access_block(AccountId="111122223333")  # another account's settings
    assert code(err) == "AccessDenied"
    control.delete_public_access_block(AccountId=account)


def test_account_setting_overrides_the_buckets(server: ServerProcess, account: str) -> None:
    """Each flag is the OR of the account's and the bucket's: the account's BlockPublicPolicy refuses a public
    policy even on a bucket whose own Block Public Access is off."""
    control = s3control_client(server)
    s3 = server.client("s3")
    bucket = f"acct-bpa-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.delete_public_access_block(Bucket=bucket)
    control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    try:
        with pytest.raises(ClientError) as err:
            s3.put_bucket_policy(Bucket=bucket, Policy=_public_policy(bucket))
        assert code(err) == "AccessDenied"
    finally:
        control.delete_public_access_block(AccountId=account)
    s3.put_bucket_policy(Bucket=bucket, Policy=_public_policy(bucket))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True


def test_actions_are_the_account_actions(server: ServerProcess, account: str) -> None:
    iam = server.client("iam")
    reader = make_user(iam, allow("s3:GetAccountPublicAccessBlock"), deny("s3:PutAccountPublicAccessBlock"))
    control = s3control_client(
        server, aws_access_key_id=reader["AccessKeyId"], aws_secret_access_key=reader["SecretAccessKey"]
    )
    s3control_client(server).put_public_access_block(
        AccountId=account, PublicAccessBlockConfiguration={"BlockPublicAcls": True}
    )
    try:
        assert control.get_public_access_block(AccountId=account)["PublicAccessBlockConfiguration"]["BlockPublicAcls"]
        for call in (
            lambda: control.put_public_access_block(AccountId=account, PublicAccessBlockConfiguration={}),
            lambda: control.delete_public_access_block(AccountId=account),
        ):
            with pytest.raises(ClientError) as err:
                call()
            assert code(err) == "AccessDenied"
    finally:
        s3control_client(server).delete_public_access_block(AccountId=account)
