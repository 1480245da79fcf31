"""The server as users meet it: boto3 and the AWS CLI against a real process, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from typing import Any

import botocore.config
import pytest
import urllib3
from botocore.exceptions import ClientError

from tests.support.errors import error_of
from tests.support.server import ServerProcess, clean_env


def test_get_caller_identity(server: ServerProcess) -> None:
    ident = server.client("sts").get_caller_identity()
    assert len(ident["Account"]) == 12
    assert ident["Arn"] == f"arn:aws:iam::{ident['Account']}:root"
    assert ident["UserId"] == ident["Account"]


def test_aws_cli_v1_get_caller_identity(server: ServerProcess) -> None:
    env = clean_env() | {
        "AWS_SHARED_CREDENTIALS_FILE": str(server.data_dir / "credentials"),
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_CONFIG_FILE": "/dev/null",
    }
    cmd = [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--profile", "strongroom"]
    res = subprocess.run([*cmd, "--endpoint-url", server.endpoint], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert '"Arn": "arn:aws:iam::' in res.stdout


def test_health_and_metrics(server: ServerProcess) -> None:
    status, body = server.admin("GET", "health")
    assert status == 200 and body["status"] == "ok"
    server.client("sts").get_caller_identity()
    status, metrics = server.admin("GET", "metrics")
    assert status == 200
    text = metrics.decode() if isinstance(metrics, bytes) else str(metrics)
    assert 'strongroom_requests_total{operation="GetCallerIdentity",service="sts",status="200"}' in text
    assert "strongroom_request_seconds_bucket" in text


def test_unimplemented_operation_is_a_501_naming_it(server: ServerProcess) -> None:
    with pytest.raises(ClientError) as exc:
        server.client("inspector2").list_usage_totals()
    code, message, status = error_of(exc)
    assert (code, status) == ("NotImplemented", 501)
    assert "inspector2:ListUsageTotals" in message


@pytest.mark.parametrize(
    ("service", "call", "kwargs"),
    [
        ("sts", "get_caller_identity", {}),
        ("kms", "list_keys", {}),
        ("lambda", "list_functions", {}),
        ("acm-pca", "list_certificate_authorities", {}),
    ],
)
def test_unknown_access_key(server: ServerProcess, service: str, call: str, kwargs: dict[str, Any]) -> None:
    client = server.client(service, aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
    with pytest.raises(ClientError) as exc:
        getattr(client, call)(**kwargs)
    code, _, status = error_of(exc)
    expected = {
        "sts": ("InvalidClientTokenId", 403),
        "lambda": ("UnrecognizedClientException", 403),
    }.get(service, ("UnrecognizedClientException", 400))
    assert (code, status) == expected


@pytest.mark.parametrize(
    ("service", "expected"), [("sts", ("SignatureDoesNotMatch", 403)), ("kms", ("InvalidSignatureException", 400))]
)
def test_wrong_secret(server: ServerProcess, service: str, expected: tuple[str, int]) -> None:
    client = server.client(service, aws_secret_access_key="wrong" * 8)
    with pytest.raises(ClientError) as exc:
        client.get_caller_identity() if service == "sts" else client.list_keys()
    code, _, status = error_of(exc)
    assert (code, status) == expected


def test_presigned_url_is_verified(server: ServerProcess) -> None:
    sts = server.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    resp = urllib3.PoolManager().request("GET", url)
    assert resp.status == 200 and b"<Arn>arn:aws:iam::" in resp.data
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    bad = urllib3.PoolManager().request("GET", tampered)
    assert bad.status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in bad.data


def test_unsigned_request_is_refused(server: ServerProcess) -> None:
    resp = urllib3.PoolManager().request(
        "POST",
        server.endpoint + "/",
        body=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert resp.status in (400, 403)
    assert b"MissingAuthenticationToken" in resp.data


def _signed_raw(server: ServerProcess, target: str, body: bytes, content_type: str) -> urllib3.BaseHTTPResponse:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(
        "POST", server.endpoint + "/", data=body, headers={"X-Amz-Target": target, "Content-Type": content_type}
    )
    SigV4Auth(Credentials(server.access_key, server.secret_key), "kms", "us-east-1").add_auth(req)
    prepared = req.prepare()
    return urllib3.PoolManager().request("POST", prepared.url, body=body, headers=dict(prepared.headers))


def test_malformed_json_is_a_serialization_exception(server: ServerProcess) -> None:
    resp = _signed_raw(server, "TrentService.ListKeys", b"{not json", "application/x-amz-json-1.1")
    assert resp.status == 400 and b"SerializationException" in resp.data


def test_unknown_target_is_an_unknown_operation(server: ServerProcess) -> None:
    resp = _signed_raw(server, "TrentService.MakeCoffee", b"{}", "application/x-amz-json-1.1")
    assert resp.status == 400 and b"UnknownOperationException" in resp.data


def test_wrong_content_type_is_refused(server: ServerProcess) -> None:
    resp = _signed_raw(server, "TrentService.ListKeys", b"{}", "text/plain")
    assert resp.status in (400, 404) and b"UnknownOperationException" in resp.data


def test_validation_uses_aws_wording(server: ServerProcess) -> None:
    cfg = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})
    kms = server.client("kms", config=cfg)
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeyUsage="BOGUS", Description="x" * 8193)
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("2 validation errors detected: ")
    assert "at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set" in message
    with pytest.raises(ClientError) as exc:
        kms.describe_key()
    assert error_of(exc)[1] == (
        "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"
    )


def test_query_validation_error_code(server: ServerProcess) -> None:
    cfg = botocore.config.Config(parameter_validation=False, retries={"max_attempts": 1})
    sts = server.client("sts", config=cfg)
    with pytest.raises(ClientError) as exc:
        sts.get_access_key_info(AccessKeyId="short")
    code, _, status = error_of(exc)
    assert (code, status) == ("ValidationError", 400)


def test_test_mode_clock(server: ServerProcess) -> None:
    status, before = server.admin("GET", "clock")
    assert status == 200
    body = server.advance(3600)
    assert body["now"] > before["now"]


def test_admin_endpoints_need_test_mode(make_server: Any) -> None:
    srv = make_server()
    srv.start()
    assert srv.admin("POST", "clock", {"advance": 10})[0] == 404
    assert srv.admin("POST", "reset")[0] == 404
    assert srv.admin("GET", "health")[0] == 200


def test_dev_mode_accepts_any_key(make_server: Any) -> None:
    srv = make_server("--dev")
    srv.start()
    ident = srv.client("sts", aws_access_key_id="111122223333", aws_secret_access_key="anything").get_caller_identity()
    assert ident["Account"] == "111122223333"
    other = srv.client("sts", aws_access_key_id="whatever", aws_secret_access_key="x").get_caller_identity()
    assert other["Account"] == srv.client("sts").get_caller_identity()["Account"]
    assert "DEV MODE" in srv.logs()


def test_logs_are_json_lines_with_request_fields(make_server: Any) -> None:
    import orjson

    srv = make_server()
    srv.start()
    srv.client("sts").get_caller_identity()
    srv.stop()
    lines = [orjson.loads(line) for line in srv.logs().splitlines() if line.startswith("{")]
    requests = [entry for entry in lines if entry.get("msg") == "request"]
    assert requests and requests[-1]["operation"] == "GetCallerIdentity"
    assert {"request_id", "service", "status", "latency_ms"} <= set(requests[-1])
    assert srv.secret_key not in srv.logs()


def _listening_addresses(port: int) -> set[str]:
    """The IPv4 addresses something listens on at ``port`` (Linux /proc/net/tcp: LISTEN is state 0A)."""
    found: set[str] = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(".".join(str(int(address[i : i + 2], 16)) for i in (6, 4, 2, 0)))
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_dev_mode_listens_on_loopback_unless_host_says_otherwise(
    make_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a host from the environment (or strongroom.toml) does not open an any-credentials server to the network
    monkeypatch.setenv("STRONGROOM_HOST", "0.0.0.0")
    srv = make_server("--dev")
    srv.start()
    assert _listening_addresses(srv.port) == {"127.0.0.1"}
    assert "DEV MODE listens on loopback" in srv.logs()
    srv.client("sts", aws_access_key_id="111122223333", aws_secret_access_key="x").get_caller_identity()
    # --host on the command line is the operator saying so
    wide = make_server("--dev", "--host", "0.0.0.0")
    wide.start()
    assert _listening_addresses(wide.port) == {"0.0.0.0"}
    # without --dev the configured host applies as before
    normal = make_server()
    normal.start()
    assert _listening_addresses(normal.port) == {"0.0.0.0"}


def test_clock_jump_delivers_the_calls_made_just_before_it(make_server: Any) -> None:
    srv = make_server("--test-mode")
    srv.start()
    ct, kms = srv.client("cloudtrail"), srv.client("kms")
    ct.create_trail(Name="jump", S3BucketName="jump-bucket")
    ct.start_logging(Name="jump")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    for _ in range(3):
        kms.describe_key(KeyId=key_id)  # read-only: its record may still be queued in the audit writer
    srv.advance(600)  # past the next five-minute trail delivery
    records = []
    for path in sorted((srv.data_dir / "trails" / "jump-bucket").rglob("*.json.gz")):
        records += json.loads(gzip.decompress(path.read_bytes()))["Records"]
    names = [r["eventName"] for r in records]
    assert names.count("DescribeKey") == 3, names
    assert "CreateKey" in names and "StartLogging" in names
