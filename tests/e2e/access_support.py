"""Helpers for the access-control end-to-end tests: users with policies and a second account."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.support.server import ServerProcess


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str | list[str] = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def client_for(server: ServerProcess, service: str, creds: dict[str, Any]) -> Any:
    return server.client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def make_user(iam: Any, *statements: dict[str, Any]) -> dict[str, Any]:
    """A user with an access key and (optionally) one inline policy; waits out nothing (caches drop on writes)."""
    name = f"u-{uuid.uuid4().hex[:10]}"
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"Name": name, "Arn": arn, "AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def second_account(server: ServerProcess) -> tuple[str, dict[str, Any]]:
    """Create another account (and its root access key) in the running server's store, as an operator would."""
    from strongroom.core.config import Config
    from strongroom.iam.accounts import AccountDirectory
    from strongroom.keyring.seal import FileSeal
    from strongroom.store.engine import Store

    config = Config(data_dir=server.data_dir, database_url=server.database_url)
    store = Store(config.effective_database_url())
    try:
        directory = AccountDirectory(store, FileSeal(config.root_key_file))
        account = directory.create_account(name="second")
        key = directory.create_access_key(account)
    finally:
        store.dispose()
    return account, {"AccessKeyId": key.access_key_id, "SecretAccessKey": key.secret_access_key}


def audit_record(server: ServerProcess, request_id: str, event_name: str) -> dict[str, Any]:
    """The CloudTrail record of one request (failed calls are recorded asynchronously: wait briefly)."""
    ct = server.client("cloudtrail")
    deadline = time.monotonic() + 5
    while True:
        attrs = [{"AttributeKey": "EventName", "AttributeValue": event_name}]
        for event in ct.lookup_events(LookupAttributes=attrs, MaxResults=50)["Events"]:
            record = json.loads(event["CloudTrailEvent"])
            if record["requestID"] == request_id:
                return dict(record)
        if time.monotonic() > deadline:
            raise AssertionError(f"no audit record for {request_id}")
        time.sleep(0.05)
