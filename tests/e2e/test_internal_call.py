"""One service calling another in-process, as its caller: validation, provider, audit with invokedBy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.core.context import Principal, RequestContext
from strongroom.core.errors import AwsError
from strongroom.server.runtime import Runtime
from tests.support.inprocess import inprocess_server
from tests.support.server import ServerProcess


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, Runtime]]:
    with inprocess_server(Path(tmp_path_factory.mktemp("internal"))) as (handle, runtime, _):
        yield handle, runtime


def _caller(runtime: Runtime, handle: ServerProcess) -> RequestContext:
    account = handle.client("sts").get_caller_identity()["Account"]
    return RequestContext(
        runtime=runtime,
        request_id="r-1",
        service="ssm",
        operation="PutParameter",
        region="us-east-1",
        principal=Principal.root(account, handle.access_key),
    )


def test_internal_encrypt_and_decrypt(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    key = handle.client("kms").create_key()["KeyMetadata"]
    ctx = _caller(runtime, handle)
    context = {"PARAMETER_ARN": "arn:aws:ssm:us-east-1:111122223333:parameter/x"}
    out = ctx.call("kms", "Encrypt", {"KeyId": key["KeyId"], "Plaintext": b"s3cret", "EncryptionContext": context})
    assert out["KeyId"] == key["Arn"]
    back = ctx.call("kms", "Decrypt", {"CiphertextBlob": out["CiphertextBlob"], "EncryptionContext": context})
    assert back["Plaintext"] == b"s3cret"


def test_internal_errors_are_the_target_services(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    ctx = _caller(runtime, handle)
    with pytest.raises(AwsError) as exc:
        ctx.call("kms", "Encrypt", {"KeyId": "alias/none", "Plaintext": b"x"})
    assert exc.value.code == "NotFoundException"
    with pytest.raises(AwsError) as exc:
        ctx.call("kms", "Encrypt", {"KeyId": "k", "Plaintext": b""})
    assert exc.value.code == "ValidationException"


def test_internal_calls_are_audited_with_invoked_by(node: tuple[ServerProcess, Runtime]) -> None:
    handle, runtime = node
    ctx = _caller(runtime, handle)
    ctx.call("kms", "CreateKey", {"Description": "made by ssm"})
    runtime.audit.flush()
    events = handle.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateKey"}]
    )["Events"]
    records: list[dict[str, Any]] = [json.loads(e["CloudTrailEvent"]) for e in events]
    mine = [r for r in records if r["userIdentity"].get("invokedBy") == "ssm.amazonaws.com"]
    assert mine and mine[0]["sourceIPAddress"] == "ssm.amazonaws.com"
