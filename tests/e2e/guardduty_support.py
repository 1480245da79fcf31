"""Helpers for GuardDuty's end-to-end tests: a server running the stand-in detection engine, fresh accounts."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import database_url_for
from tests.e2e.access_support import policy
from tests.e2e.organizations_support import Account, new_account
from tests.support.server import ServerProcess

STAND_IN = "tests.support.guardduty_engine:build"
NOT_OWNED = "The request is rejected because the input detectorId is not owned by the current account."


def start_server(
    backend: str, request: pytest.FixtureRequest, tmp: Any, engine: str | None = STAND_IN, *extra_args: str
) -> Iterator[ServerProcess]:
    """A test-mode server whose GuardDuty uses the stand-in engine, or with ``engine=None`` the real one (the
    variable is read by the server process)."""
    srv = ServerProcess(tmp, database_url_for(backend, request), ["--test-mode", *extra_args])
    srv.init()
    before = os.environ.get("STRONGROOM_GUARDDUTY_ENGINE")
    if engine is None:
        os.environ.pop("STRONGROOM_GUARDDUTY_ENGINE", None)
    else:
        os.environ["STRONGROOM_GUARDDUTY_ENGINE"] = engine
    try:
        srv.start()
    finally:
        if before is None:
            os.environ.pop("STRONGROOM_GUARDDUTY_ENGINE", None)
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


def finding_rule(account: Account, log: str) -> None:
    """An EventBridge rule on the account's default bus sending ``GuardDuty Finding`` events to the log ``log``."""
    events = account.client("events")
    name = f"gd-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=name,
        EventPattern=json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}),
    )
    events.put_targets(
        Rule=name, Targets=[{"Id": "log", "Arn": f"arn:strongroom:events-log:us-east-1:{account.account_id}:{log}"}]
    )


def findings_of(gd: Any, detector: str, finding_type: str | None = None) -> list[dict[str, Any]]:
    """The detector's findings (of one type), every page."""
    criteria = {"Criterion": {"type": {"Eq": [finding_type]}}} if finding_type else {"Criterion": {}}
    ids: list[str] = []
    token = ""
    while True:
        more = {"NextToken": token} if token else {}
        page = gd.list_findings(DetectorId=detector, FindingCriteria=criteria, MaxResults=50, **more)
        ids += page["FindingIds"]
        token = page.get("NextToken") or ""
        if not token:
            break
    out: list[dict[str, Any]] = []
    for start in range(0, len(ids), 50):
        out += gd.get_findings(DetectorId=detector, FindingIds=ids[start : start + 50])["Findings"]
    return out


def export_bucket(account: Any, allow_guardduty: bool) -> tuple[str, str]:
    """A bucket and a KMS key for a publishing destination; the bucket policy lets GuardDuty write if told."""
    s3, kms = account.client("s3"), account.client("kms")
    bucket = f"gd-export-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    root = f"arn:aws:iam::{account.account_id}:root"
    key_policy = policy(
        {"Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"},
        {
            "Effect": "Allow",
            "Principal": {"Service": "guardduty.amazonaws.com"},
            "Action": ["kms:GenerateDataKey", "kms:Encrypt"],
            "Resource": "*",
        },
    )
    key = kms.create_key(Policy=key_policy)["KeyMetadata"]["Arn"]
    if allow_guardduty:
        s3.put_bucket_policy(
            Bucket=bucket,
            Policy=policy(
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "guardduty.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id}},
                }
            ),
        )
    return bucket, key
