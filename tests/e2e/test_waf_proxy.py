"""``strongroom waf proxy`` as users run it: a subprocess in front of a tiny upstream, its web ACL created with boto3
on the real server and followed as it changes; log records delivered to the ACL's CloudWatch Logs group."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from strongroom.waf import DEFAULT_BLOCK_BODY
from tests.e2e.waf_support import TT, VIS, Proxy, eventually, name, rule, start_proxy, upstream, uri_starts
from tests.support.server import ServerProcess, clean_env, free_port

__all__ = ["start_proxy", "upstream"]  # fixtures


@pytest.fixture
def acl(server: ServerProcess) -> dict[str, Any]:
    return make_acl(server)


def make_acl(server: ServerProcess) -> dict[str, Any]:
    waf = server.client("wafv2")
    ips = waf.create_ip_set(Name=name("ips"), Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["127.0.0.2/32"])[
        "Summary"
    ]
    rules = [
        rule("block-admin", 0, uri_starts("/admin"), {"Block": {}}),
        rule("bad-ips", 1, {"IPSetReferenceStatement": {"ARN": ips["ARN"]}}, {"Block": {}}),
        rule(
            "mark",
            2,
            {
                "ByteMatchStatement": {
                    "SearchString": b"yes",
                    "FieldToMatch": {"SingleHeader": {"Name": "x-mark"}},
                    "TextTransformations": TT,
                    "PositionalConstraint": "EXACTLY",
                }
            },
            {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "marked", "Value": "1"}]}}},
            RuleLabels=[{"Name": "team:marked"}],
        ),
        rule(
            "marked-private",
            3,
            {
                "AndStatement": {
                    "Statements": [
                        {"LabelMatchStatement": {"Scope": "LABEL", "Key": "team:marked"}},
                        uri_starts("/private"),
                    ]
                }
            },
            {"Block": {}},
        ),
        rule(
            "rate",
            4,
            {
                "RateBasedStatement": {
                    "Limit": 10,
                    "EvaluationWindowSec": 60,
                    "AggregateKeyType": "IP",
                    "ScopeDownStatement": uri_starts("/rate"),
                }
            },
            {"Block": {}},
        ),
    ]
    summary = waf.create_web_acl(
        Name=name("proxy"), Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=VIS, Rules=rules
    )["Summary"]
    return {"summary": summary, "ipset": ips, "rules": rules}


def test_proxy_enforces_and_follows_changes(
    server: ServerProcess, acl: dict[str, Any], upstream: str, start_proxy: Callable[..., Proxy]
) -> None:
    proxy = start_proxy(acl["summary"]["ARN"], upstream)

    # Block: AWS's default 403 body; the upstream never sees it
    status, headers, body = proxy.request("GET", "/admin/users")
    assert status == 403 and body == DEFAULT_BLOCK_BODY.encode() and headers["content-type"] == "text/html"

    # Allow: method, path + query, headers and body reach the upstream intact; its answer comes back intact
    payload = json.dumps({"q": "it's fine", "n": list(range(50))}).encode()
    status, headers, body = proxy.request(
        "POST", "/created/x?a=1&b=%20", payload, {"Content-Type": "application/json", "X-Custom": "v1"}
    )
    seen = json.loads(body)
    assert status == 201 and headers["x-upstream"] == "echo" and "date" in headers
    assert seen["method"] == "POST" and seen["path"] == "/created/x?a=1&b=%20" and seen["body"] == payload.decode()
    assert seen["headers"]["x-custom"] == "v1" and seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["host"] == f"127.0.0.1:{proxy.port}"

    # IP set: the same request from 127.0.0.2 is blocked
    assert proxy.request("GET", "/", source="127.0.0.2")[0] == 403

    # Count + label: the label only blocks in combination; the inserted header reaches the upstream
    status, _, body = proxy.request("GET", "/public", headers={"x-mark": "yes", "x-amzn-waf-marked": "forged"})
    assert status == 200 and json.loads(body)["headers"]["x-amzn-waf-marked"] == "1"
    assert proxy.request("GET", "/private/a", headers={"x-mark": "yes"})[0] == 403
    assert proxy.request("GET", "/private/a")[0] == 200

    # rate-based: the 11th request within the window is blocked
    statuses = [proxy.request("GET", "/rate/x")[0] for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [403, 403]
    assert proxy.request("GET", "/other")[0] == 200

    # change the web ACL: a new rule is enforced within about a second
    waf = server.client("wafv2")
    s = acl["summary"]
    got = waf.get_web_acl(Name=s["Name"], Scope="REGIONAL", Id=s["Id"])
    new_rules = [*acl["rules"], rule("block-new", 5, uri_starts("/newly"), {"Block": {}})]
    assert proxy.request("GET", "/newly/x")[0] == 200
    waf.update_web_acl(
        Name=s["Name"],
        Scope="REGIONAL",
        Id=s["Id"],
        DefaultAction={"Allow": {}},
        VisibilityConfig=VIS,
        Rules=new_rules,
        LockToken=got["LockToken"],
    )
    assert eventually(lambda: proxy.request("GET", "/newly/x")[0] == 403, timeout=2.0) < 1.5

    # change a referenced IP set: followed too
    ips = acl["ipset"]
    got_ips = waf.get_ip_set(Name=ips["Name"], Scope="REGIONAL", Id=ips["Id"])
    waf.update_ip_set(
        Name=ips["Name"], Scope="REGIONAL", Id=ips["Id"], Addresses=["127.0.0.3/32"], LockToken=got_ips["LockToken"]
    )
    assert eventually(lambda: proxy.request("GET", "/", source="127.0.0.2")[0] == 200, timeout=2.0) < 1.5
    assert proxy.request("GET", "/", source="127.0.0.3")[0] == 403

    # the default action flips to Block
    got = waf.get_web_acl(Name=s["Name"], Scope="REGIONAL", Id=s["Id"])
    waf.update_web_acl(
        Name=s["Name"],
        Scope="REGIONAL",
        Id=s["Id"],
        DefaultAction={"Block": {}},
        VisibilityConfig=VIS,
        Rules=new_rules,
        LockToken=got["LockToken"],
    )
    eventually(lambda: proxy.request("GET", "/anything")[0] == 403, timeout=2.0)


def test_upstream_down_is_502_and_big_bodies_stream(
    server: ServerProcess, acl: dict[str, Any], upstream: str, start_proxy: Callable[..., Proxy]
) -> None:
    dead = start_proxy(acl["summary"]["ARN"], f"http://127.0.0.1:{free_port()}")
    status, _, body = dead.request("GET", "/")
    assert status == 502 and body == b"Bad Gateway"
    assert dead.request("GET", "/admin")[0] == 403  # the WAF still answers first

    proxy = start_proxy(acl["summary"]["ARN"], upstream, "--workers", "2")
    assert [proxy.request("GET", p)[0] for p in ("/a", "/admin", "/b", "/admin/x")] == [200, 403, 200, 403]
    big = b"x" * 300_000  # past the 16 KB inspection limit: inspected in part, forwarded whole
    status, _, body = proxy.request("PUT", "/upload", big)
    assert status == 200 and len(json.loads(body)["body"]) == 300_000


def test_bad_arguments_and_unknown_acl(server: ServerProcess, upstream: str) -> None:
    env = {
        **clean_env(),
        "AWS_ACCESS_KEY_ID": server.access_key,
        "AWS_SECRET_ACCESS_KEY": server.secret_key,
        "AWS_ENDPOINT_URL": server.endpoint,
    }
    missing = "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/none/0f0f0f0f-0000-4000-8000-000000000000"
    out = subprocess.run(
        [sys.executable, "-m", "strongroom.cli.main", "waf", "proxy", "--web-acl", missing, "--upstream", upstream],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "cannot load the web ACL" in out.stderr and "WAFNonexistentItem" in out.stderr
    out = subprocess.run(
        [sys.executable, "-m", "strongroom.cli.main", "waf", "proxy", "--web-acl", missing, "--upstream", "ftp://x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "--upstream must be http://" in out.stderr


def test_log_records_reach_the_cloudwatch_logs_destination(make_server: Any, upstream: str, tmp_path: Path) -> None:
    # Its own server: the proxy stamps records with the wall clock, and CloudWatch Logs refuses events older than
    # 14 days by the server's clock, which other tests on the shared server move forward by weeks.
    server = make_server("--test-mode")
    server.start()
    acl = make_acl(server)
    logs = server.client("logs")
    group = name("aws-waf-logs-proxy")
    logs.create_log_group(logGroupName=group)
    group_arn = f"arn:aws:logs:us-east-1:{acl['summary']['ARN'].split(':')[4]}:log-group:{group}"
    waf = server.client("wafv2")
    waf.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": acl["summary"]["ARN"],
            "LogDestinationConfigs": [group_arn],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
        }
    )

    def delivered() -> list[dict[str, Any]]:
        events = logs.filter_log_events(logGroupName=group)["events"]
        return [json.loads(e["message"]) for e in events]

    proxy = Proxy(server, acl["summary"]["ARN"], upstream, tmp_path / "proxy.log")
    try:
        assert proxy.request("GET", "/admin/x", headers={"Authorization": "secret-token"})[0] == 403
        assert proxy.request("GET", "/fine")[0] == 200
        eventually(lambda: len(delivered()) >= 2, timeout=8.0)
    finally:
        proxy.stop()

    records = {r["httpRequest"]["uri"]: r for r in delivered()}
    blocked = records["/admin/x"]
    assert blocked["action"] == "BLOCK" and blocked["terminatingRuleId"] == "block-admin"
    assert blocked["webaclId"] == acl["summary"]["ARN"] and blocked["httpSourceName"] == "PROXY"
    auth = [h for h in blocked["httpRequest"]["headers"] if h["name"].lower() == "authorization"]
    assert auth == [{"name": "authorization", "value": "REDACTED"}]
    assert records["/fine"]["action"] == "ALLOW"


def test_samples_reach_get_sampled_requests(
    server: ServerProcess, acl: dict[str, Any], upstream: str, start_proxy: Callable[..., Proxy]
) -> None:
    proxy = start_proxy(acl["summary"]["ARN"], upstream)
    assert proxy.request("GET", "/admin/sampled", headers={"Authorization": "secret-token"})[0] == 403
    assert proxy.request("GET", "/private/x", headers={"x-mark": "yes"})[0] == 403
    waf = server.client("wafv2")
    now = server.now()
    window = {"StartTime": now - timedelta(minutes=5), "EndTime": now + timedelta(minutes=5)}

    def sampled(metric: str) -> list[dict[str, Any]]:
        return list(
            waf.get_sampled_requests(
                WebAclArn=acl["summary"]["ARN"], RuleMetricName=metric, Scope="REGIONAL", TimeWindow=window, MaxItems=10
            )["SampledRequests"]
        )

    eventually(lambda: bool(sampled("block-admin")) and bool(sampled("mark")), timeout=8.0)
    blocked = sampled("block-admin")[0]
    assert blocked["Action"] == "BLOCK" and blocked["Request"]["URI"] == "/admin/sampled"
    assert blocked["Request"]["ClientIP"] == "127.0.0.1" and blocked["ResponseCodeSent"] == 403
    auth = [h for h in blocked["Request"]["Headers"] if h["Name"].lower() == "authorization"]
    assert auth == [{"Name": "authorization", "Value": "REDACTED"}]
    counted = sampled("mark")[0]  # the Count rule that labelled the request
    assert (
        counted["Action"] == "COUNT"
        and {"Name": f"awswaf:{acl['summary']['ARN'].split(':')[4]}:webacl:{acl['summary']['Name']}:team:marked"}
        in counted["Labels"]
    )


def test_samples_endpoint_refuses_unsigned_and_foreign_callers(server: ServerProcess, acl: dict[str, Any]) -> None:
    import urllib3

    body = json.dumps(
        {"WebAclArn": acl["summary"]["ARN"], "Samples": [{"MetricName": "x", "Action": "ALLOW", "Request": {}}]}
    ).encode()
    http = urllib3.PoolManager()
    resp = http.request("POST", server.endpoint + "/_strongroom/wafv2/samples", body=body)
    assert resp.status == 403
    # a user of the same account without wafv2:GetWebACL
    iam = server.client("iam")
    user = name("nosamples")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    url = server.endpoint + "/_strongroom/wafv2/samples"
    req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(key["AccessKeyId"], key["SecretAccessKey"]), "wafv2", "us-east-1").add_auth(req)
    resp = http.request("POST", url, body=body, headers=dict(req.headers.items()))
    assert resp.status == 400 and b"AccessDeniedException" in resp.data, resp.data  # as GetWebACL answers it
