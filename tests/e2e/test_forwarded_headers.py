"""X-Forwarded-For / X-Forwarded-Proto: ignored unless they come from a proxy the operator names.

The caller's address is ``aws:SourceIp`` in policies and ``sourceIPAddress`` in audit records, so a client that
could choose it would pass any IP-restricted policy.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson
import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess

ONLY_FROM_10 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["kms:ListKeys", "kms:ListAliases"],
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    ],
}


def _user_limited_to_10(server: ServerProcess) -> dict[str, str]:
    iam = server.client("iam")
    name = f"ip-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="from-10", PolicyDocument=json.dumps(ONLY_FROM_10))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def _kms_forwarded(server: ServerProcess, creds: dict[str, str], forwarded_for: str) -> Any:
    """A KMS client whose requests carry X-Forwarded-For (added after signing, as a proxy would add it)."""
    kms = server.client("kms", **creds)

    def add_header(request: Any, **_: Any) -> None:
        request.headers["X-Forwarded-For"] = forwarded_for

    kms.meta.events.register("before-send.kms.*", add_header)
    return kms


def _source_ips(server: ServerProcess, event_name: str, access_key: str) -> list[str]:
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}], MaxResults=50
    )["Events"]
    records = [orjson.loads(e["CloudTrailEvent"]) for e in events]
    return [r["sourceIPAddress"] for r in records if r.get("userIdentity", {}).get("accessKeyId") == access_key]


def test_forwarded_for_is_ignored_by_default(server: ServerProcess) -> None:
    creds = _user_limited_to_10(server)
    kms = _kms_forwarded(server, creds, "10.1.2.3")
    with pytest.raises(ClientError) as exc:
        kms.list_keys()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert _source_ips(server, "ListKeys", creds["aws_access_key_id"]) == ["127.0.0.1"]


def test_forwarded_for_is_believed_from_a_named_proxy(make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode", "--forwarded-allow-ips", "127.0.0.1,::1")
    srv.start()
    creds = _user_limited_to_10(srv)
    _kms_forwarded(srv, creds, "10.1.2.3").list_keys()
    assert _source_ips(srv, "ListKeys", creds["aws_access_key_id"]) == ["10.1.2.3"]
    # the client's own claim in front of what the proxy appended does not count: the right-most address that is
    # not a trusted proxy is the client
    with pytest.raises(ClientError) as exc:
        _kms_forwarded(srv, creds, "10.1.2.3, 192.0.2.7").list_aliases()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert _source_ips(srv, "ListAliases", creds["aws_access_key_id"]) == ["192.0.2.7"]
    # without the header the peer itself is the caller
    with pytest.raises(ClientError):
        srv.client("kms", **creds).list_keys()


def test_forwarded_for_from_a_peer_that_is_not_a_named_proxy_is_ignored(make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode", "--forwarded-allow-ips", "192.0.2.0/24")
    srv.start()
    creds = _user_limited_to_10(srv)
    with pytest.raises(ClientError) as exc:
        _kms_forwarded(srv, creds, "10.1.2.3").list_keys()
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert _source_ips(srv, "ListKeys", creds["aws_access_key_id"]) == ["127.0.0.1"]


def test_named_proxies_from_strongroom_toml(make_server: Any) -> None:
    srv: ServerProcess = make_server("--test-mode")
    (srv.data_dir / "strongroom.toml").write_text('forwarded_allow_ips = ["127.0.0.0/8", "::1"]\n')
    srv.start()
    creds = _user_limited_to_10(srv)
    _kms_forwarded(srv, creds, "10.9.8.7").list_keys()
    assert _source_ips(srv, "ListKeys", creds["aws_access_key_id"]) == ["10.9.8.7"]


def test_uvicorn_environment_variable_alone_trusts_nobody(make_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # uvicorn's own FORWARDED_ALLOW_IPS must not switch the headers on behind the operator's back
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    creds = _user_limited_to_10(srv)
    with pytest.raises(ClientError):
        _kms_forwarded(srv, creds, "10.1.2.3").list_keys()


def test_strongroom_environment_variable_names_proxies(make_server: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRONGROOM_FORWARDED_ALLOW_IPS", "127.0.0.1")
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    creds = _user_limited_to_10(srv)
    _kms_forwarded(srv, creds, "10.1.2.3").list_keys()


def test_workers_ignore_forwarded_for_by_default_and_believe_named_proxies(make_server: Any) -> None:
    # --workers N configures uvicorn in each worker process: the same rule applies there
    srv: ServerProcess = make_server("--test-mode", "--workers", "2")
    srv.start()
    creds = _user_limited_to_10(srv)
    with pytest.raises(ClientError):
        _kms_forwarded(srv, creds, "10.1.2.3").list_keys()
    srv.stop()
    srv.extra_args += ["--forwarded-allow-ips", "127.0.0.1"]
    srv.start()
    _kms_forwarded(srv, creds, "10.1.2.3").list_keys()
