"""SigV4 credential scope (service and region) and AWS's exact texts for signature failures, per protocol."""

from __future__ import annotations

import datetime
import re
from typing import Any
from unittest import mock

import orjson
import pytest
import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)


def _send(
    server: ServerProcess,
    *,
    scope_service: str,
    region: str = "us-east-1",
    kms: bool = True,
    secret: str | None = None,
    signed_at: datetime.datetime | None = None,
) -> tuple[int, str, str]:
    """One request signed by botocore's own signer for any scope: KMS ListKeys (json) or STS GetCallerIdentity
    (query). Returns (status, error code, message)."""
    if kms:
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "TrentService.ListKeys"}
        body = b"{}"
    else:
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        body = b"Action=GetCallerIdentity&Version=2011-06-15"
    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers=headers)
    signer = SigV4Auth(Credentials(server.access_key, secret or server.secret_key), scope_service, region)
    if signed_at is None:
        signer.add_auth(request)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=signed_at):
            signer.add_auth(request)
    prepared = request.prepare()
    resp = urllib3.PoolManager().request("POST", prepared.url, body=prepared.body, headers=dict(prepared.headers))
    text = resp.data.decode()
    if resp.status == 200:
        return 200, "", ""
    if kms:
        doc = orjson.loads(resp.data)
        return resp.status, doc["__type"], doc.get("message", "")
    code = re.search(r"<Code>(.*?)</Code>", text)
    message = re.search(r"<Message>(.*?)</Message>", text, re.S)
    return resp.status, code.group(1) if code else "", message.group(1) if message else ""


@pytest.mark.parametrize("wrong", ["s3", "sts", "kms-fips"])
def test_kms_request_signed_for_another_service_is_refused(server: ServerProcess, wrong: str) -> None:
    assert _send(server, scope_service=wrong) == (
        400,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'kms'. ",
    )


def test_sts_request_signed_for_kms_is_refused(server: ServerProcess) -> None:
    assert _send(server, scope_service="kms", kms=False) == (
        403,
        "SignatureDoesNotMatch",
        "Credential should be scoped to correct service: 'sts'. ",
    )


@pytest.mark.parametrize("region", ["mars-1", "local", "us-east", "aws-global", "US-EAST-1"])
def test_request_signed_for_a_region_aws_cannot_have_is_refused(server: ServerProcess, region: str) -> None:
    message = f"Credential should be scoped to a valid region, not '{region}'. "
    assert _send(server, scope_service="kms", region=region) == (400, "InvalidSignatureException", message)
    assert _send(server, scope_service="sts", region=region, kms=False) == (403, "SignatureDoesNotMatch", message)


def test_a_boto3_client_configured_for_an_invalid_region_gets_the_scope_error(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("kms", region="mars-1").list_keys()
    assert exc.value.response["Error"] == {
        "Code": "InvalidSignatureException",
        "Message": "Credential should be scoped to a valid region, not 'mars-1'. ",
    }


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-7", "cn-north-1", "us-gov-west-1"])
def test_every_partitions_regions_are_accepted(server: ServerProcess, region: str) -> None:
    assert _send(server, scope_service="kms", region=region)[0] == 200
    assert _send(server, scope_service="sts", region=region, kms=False)[0] == 200


def test_a_region_newer_than_botocore_is_accepted_when_named_like_its_partitions(server: ServerProcess) -> None:
    assert _send(server, scope_service="kms", region="eu-north-9")[0] == 200
    assert _send(server, scope_service="kms", region="us-gov-north-7")[0] == 200


def test_signature_mismatch_has_aws_text_only(server: ServerProcess) -> None:
    assert _send(server, scope_service="kms", secret="x" * 40) == (400, "InvalidSignatureException", MISMATCH)
    assert _send(server, scope_service="sts", kms=False, secret="x" * 40) == (403, "SignatureDoesNotMatch", MISMATCH)


def test_expired_signature_has_aws_text_only(server: ServerProcess) -> None:
    signed_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - datetime.timedelta(minutes=10)
    expected = re.compile(
        r"Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)"
    )
    for kms, (status, code) in ((True, (400, "InvalidSignatureException")), (False, (403, "SignatureDoesNotMatch"))):
        got = _send(server, scope_service="kms" if kms else "sts", kms=kms, signed_at=signed_at)
        assert got[:2] == (status, code)
        match = expected.fullmatch(got[2])
        assert match, got[2]
        assert match.group(1) == signed_at.strftime("%Y%m%dT%H%M%SZ")


def test_signature_not_yet_current_has_aws_text_only(server: ServerProcess) -> None:
    signed_at = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + datetime.timedelta(minutes=10)
    status, code, message = _send(server, scope_service="kms", signed_at=signed_at)
    assert (status, code) == (400, "InvalidSignatureException")
    assert re.fullmatch(
        r"Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)", message
    ), message


def test_the_scope_is_checked_before_the_signature(server: ServerProcess) -> None:
    # a wrong secret too: AWS reports the scope, which tells the caller what to fix first
    got = _send(server, scope_service="s3", secret="y" * 40)
    assert got == (400, "InvalidSignatureException", "Credential should be scoped to correct service: 'kms'. ")


def test_audit_record_carries_the_aws_text(server: ServerProcess) -> None:
    _send(server, scope_service="s3")
    events: list[dict[str, Any]] = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListKeys"}], MaxResults=20
    )["Events"]
    records = [orjson.loads(e["CloudTrailEvent"]) for e in events]
    assert any(r.get("errorMessage") == "Credential should be scoped to correct service: 'kms'. " for r in records), (
        records
    )
    assert not any((r.get("errorMessage") or "").startswith(("mismatch", "expired")) for r in records)


def test_malformed_authorization_header_has_aws_text_only(server: ServerProcess) -> None:
    auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, Signature=abc"
    resp = urllib3.PoolManager().request(
        "POST",
        server.endpoint + "/",
        body=b"{}",
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "TrentService.ListKeys",
            "X-Amz-Date": "20150830T123600Z",
            "Authorization": auth,
        },
    )
    doc = orjson.loads(resp.data)
    assert (resp.status, doc["__type"]) == (400, "IncompleteSignatureException")
    assert doc["message"] == f"Authorization header requires 'SignedHeaders' parameter. Authorization={auth}"
