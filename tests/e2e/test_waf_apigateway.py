"""AWS WAF enforced on API Gateway stages, end to end: a web ACL associated with a deployed stage blocks (AWS's
WAF_FILTERED body or a custom response), counts and labels, matches IP sets and headers, rate-limits and recovers on
the server clock, follows UpdateWebACL and DisassociateWebACL within a second or two, logs to CloudWatch Logs and
S3 in AWS's WAF log format (redacted fields redacted), and feeds GetSampledRequests and
GetRateBasedStatementManagedKeys; hostile requests never answer 500."""

from __future__ import annotations

import gzip
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.apigateway_invoke_support import Backend, as_json, deploy, invoke, method, resource, upstream
from tests.e2e.apigateway_support import make_api
from tests.support.server import ServerProcess

__all__ = ["upstream"]  # the fixture, used by the tests below

TT = [{"Priority": 0, "Type": "NONE"}]


def vis(metric: str) -> dict[str, Any]:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": metric}


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def header_is(header: str, value: str) -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {"SingleHeader": {"Name": header}},
            "SearchString": value.encode(),
            "PositionalConstraint": "EXACTLY",
            "TextTransformations": TT,
        }
    }


def rule(rule_name: str, priority: int, statement: dict[str, Any], action: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return {
        "Name": rule_name,
        "Priority": priority,
        "Statement": statement,
        "Action": action,
        "VisibilityConfig": vis(rule_name),
        **kw,
    }


def until(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(every)


@pytest.fixture(scope="module")
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


@pytest.fixture(scope="module")
def waf(server: ServerProcess) -> Any:
    return server.client("wafv2")


def proxied_stage(apigw: Any, upstream: Backend) -> tuple[str, str]:
    """``/{proxy+}`` ANY -> HTTP_PROXY to the loopback backend, deployed as ``test``: (api id, stage ARN)."""
    api = make_api(apigw)
    proxy = resource(apigw, api["id"], api["rootResourceId"], "{proxy+}")
    method(
        apigw,
        api["id"],
        proxy,
        "ANY",
        integration={"type": "HTTP_PROXY", "integrationHttpMethod": "ANY", "uri": upstream.url + "/{proxy}"},
    )
    deploy(apigw, api["id"])
    return str(api["id"]), f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}/stages/test"


def protect(waf: Any, stage_arn: str, rules: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
    summary = dict(
        waf.create_web_acl(
            Name=name("acl"),
            Scope="REGIONAL",
            DefaultAction=kw.pop("DefaultAction", {"Allow": {}}),
            VisibilityConfig=vis("acl-metric"),
            Rules=rules,
            **kw,
        )["Summary"]
    )
    waf.associate_web_acl(WebACLArn=summary["ARN"], ResourceArn=stage_arn)
    return summary


def test_block_count_labels_ip_sets_and_custom_responses(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    assert invoke(server, api_id, "test", "/open").status == 200  # not protected yet
    here = waf.create_ip_set(Name=name("ips"), Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["127.0.0.1/32"])
    forwarded = waf.create_ip_set(
        Name=name("ips"), Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=["203.0.113.0/24"]
    )
    rules = [
        rule(
            "tag",
            0,
            header_is("x-tag", "1"),
            {"Count": {"CustomRequestHandling": {"InsertHeaders": [{"Name": "tagged", "Value": "yes"}]}}},
            RuleLabels=[{"Name": "suspicious"}],
        ),
        rule(
            "tagged-and-flagged",
            1,
            {
                "AndStatement": {
                    "Statements": [
                        {"LabelMatchStatement": {"Scope": "LABEL", "Key": "suspicious"}},
                        header_is("x-flag", "1"),
                    ]
                }
            },
            {"Block": {}},
        ),
        rule("attack-header", 2, header_is("x-attack", "1"), {"Block": {}}),
        rule(
            "custom",
            3,
            header_is("x-custom", "1"),
            {
                "Block": {
                    "CustomResponse": {
                        "ResponseCode": 429,
                        "CustomResponseBodyKey": "slow",
                        "ResponseHeaders": [{"Name": "retry-after", "Value": "30"}],
                    }
                }
            },
        ),
        rule(
            "from-here",
            4,
            {
                "AndStatement": {
                    "Statements": [
                        {"IPSetReferenceStatement": {"ARN": here["Summary"]["ARN"]}},
                        header_is("x-check-ip", "1"),
                    ]
                }
            },
            {"Block": {}},
        ),
        rule(
            "forwarded",
            5,
            {
                "IPSetReferenceStatement": {
                    "ARN": forwarded["Summary"]["ARN"],
                    "IPSetForwardedIPConfig": {
                        "HeaderName": "X-Forwarded-For",
                        "FallbackBehavior": "NO_MATCH",
                        "Position": "FIRST",
                    },
                }
            },
            {"Block": {}},
        ),
        rule("puzzle", 6, header_is("x-captcha", "1"), {"Captcha": {}}),
    ]
    protect(
        waf,
        stage_arn,
        rules,
        CustomResponseBodies={"slow": {"ContentType": "APPLICATION_JSON", "Content": '{"error":"slow down"}'}},
    )
    # The stage was seen unprotected: the association is noticed within a second.
    blocked = until(lambda: (r := invoke(server, api_id, "test", "/x", headers={"x-attack": "1"})).status == 403 and r)
    assert blocked.status == 403 and as_json(blocked) == {"message": "Forbidden"}  # API Gateway's WAF_FILTERED
    assert blocked.headers["x-amzn-ErrorType"] == "ForbiddenException"
    forwarded_before = len(upstream.seen)
    assert invoke(server, api_id, "test", "/x", form="host", headers={"x-attack": "1"}).status == 403
    custom = invoke(server, api_id, "test", "/x", headers={"x-custom": "1"})
    assert custom.status == 429 and as_json(custom) == {"error": "slow down"}
    assert custom.headers["retry-after"] == "30" and custom.headers["Content-Type"] == "application/json"
    assert invoke(server, api_id, "test", "/x", headers={"x-check-ip": "1"}).status == 403
    assert invoke(server, api_id, "test", "/x", headers={"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}).status == 403
    assert invoke(server, api_id, "test", "/x", headers={"X-Forwarded-For": "198.51.100.1"}).status == 200
    captcha = invoke(server, api_id, "test", "/x", headers={"x-captcha": "1"})
    assert captcha.status == 405 and captcha.headers["x-amzn-waf-action"] == "captcha"
    # Count labels the request for the rules after it, and inserts its header for the integration.
    assert invoke(server, api_id, "test", "/x", headers={"x-tag": "1", "x-flag": "1"}).status == 403
    assert invoke(server, api_id, "test", "/x", headers={"x-flag": "1"}).status == 200  # no label, no block
    passed = invoke(server, api_id, "test", "/tagged", headers={"x-tag": "1", "x-amzn-waf-tagged": "forged"})
    assert passed.status == 200
    seen = upstream.last()
    assert seen.path == "/tagged" and seen.headers["x-amzn-waf-tagged"] == "yes"
    # Blocked requests never reached the backend.
    assert all("x-attack" not in s.headers and "x-flag" not in s.headers for s in upstream.seen[forwarded_before:-2])


def test_rate_based_blocking_recovers_on_the_server_clock(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    rate = rule(
        "rate",
        0,
        {
            "RateBasedStatement": {
                "Limit": 10,
                "EvaluationWindowSec": 60,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": header_is("x-rate", "1"),
            }
        },
        {"Block": {}},
    )
    acl = protect(waf, stage_arn, [rate])
    statuses = [invoke(server, api_id, "test", "/r", headers={"x-rate": "1"}).status for _ in range(12)]
    assert statuses[:10] == [200] * 10 and statuses[10:] == [403, 403]
    assert invoke(server, api_id, "test", "/r").status == 200  # outside the scope-down: not counted, not blocked

    def limited() -> list[str]:
        keys = waf.get_rate_based_statement_managed_keys(
            Scope="REGIONAL", WebACLName=acl["Name"], WebACLId=acl["Id"], RuleName="rate"
        )
        return list(keys["ManagedKeysIPV4"]["Addresses"])

    assert until(limited) == ["127.0.0.1/32"]
    # Two windows: on PostgreSQL the shared counter estimates the rate from the current window-long bucket plus a
    # share of the previous one, so one window later the previous bucket may still weigh in (AWS's own count is
    # approximate too); after two windows no counted request is in either.
    server.advance(121)
    assert invoke(server, api_id, "test", "/r", headers={"x-rate": "1"}).status == 200
    assert limited() == []


def test_changes_and_disassociation_follow_within_seconds(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    acl = protect(waf, stage_arn, [rule("attack", 0, header_is("x-attack", "1"), {"Block": {}})])
    attack = {"x-attack": "1"}
    assert invoke(server, api_id, "test", "/c", headers=attack).status == 403
    got = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
    started = time.monotonic()
    waf.update_web_acl(
        Name=acl["Name"],
        Scope="REGIONAL",
        Id=acl["Id"],
        DefaultAction={"Allow": {}},
        VisibilityConfig=vis("acl-metric"),
        Rules=[rule("other", 0, header_is("x-other", "1"), {"Block": {}})],
        LockToken=got["LockToken"],
    )
    assert until(lambda: invoke(server, api_id, "test", "/c", headers=attack).status == 200, timeout=5)
    assert time.monotonic() - started < 2.5
    assert invoke(server, api_id, "test", "/c", headers={"x-other": "1"}).status == 403
    started = time.monotonic()
    waf.disassociate_web_acl(ResourceArn=stage_arn)
    assert until(lambda: invoke(server, api_id, "test", "/c", headers={"x-other": "1"}).status == 200, timeout=5)
    assert time.monotonic() - started < 2.5


def _records(messages: list[str], request_ids: set[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for message in messages:
        record = json.loads(message)
        if record["httpRequest"]["requestId"] in request_ids:
            out[record["httpRequest"]["requestId"]] = record
    return out


def test_logs_reach_cloudwatch_logs_and_s3_in_the_waf_log_format(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    account = server.client("sts").get_caller_identity()["Account"]
    logs, s3 = server.client("logs"), server.client("s3")
    group = name("aws-waf-logs-grp")
    logs.create_log_group(logGroupName=group)
    acl = protect(
        waf,
        stage_arn,
        [
            rule("tag", 0, header_is("x-tag", "1"), {"Count": {}}, RuleLabels=[{"Name": "seen"}]),
            rule("attack", 1, header_is("x-attack", "1"), {"Block": {}}),
        ],
    )
    with pytest.raises(ClientError) as refused:  # AWS: destinations are named aws-waf-logs-*
        waf.put_logging_configuration(
            LoggingConfiguration={
                "ResourceArn": acl["ARN"],
                "LogDestinationConfigs": [f"arn:aws:logs:us-east-1:{account}:log-group:{name('plain')}"],
            }
        )
    assert refused.value.response["Error"]["Code"] == "WAFInvalidParameterException"
    waf.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": acl["ARN"],
            "LogDestinationConfigs": [f"arn:aws:logs:us-east-1:{account}:log-group:{group}"],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}, {"QueryString": {}}],
        }
    )
    secret = {"Authorization": "Bearer very-secret"}
    blocked = invoke(server, api_id, "test", "/l?q=private", headers={**secret, "x-attack": "1"})
    counted = invoke(server, api_id, "test", "/l", headers={**secret, "x-tag": "1"})
    assert (blocked.status, counted.status) == (403, 200)
    ids = {blocked.headers["x-amzn-RequestId"], counted.headers["x-amzn-RequestId"]}

    def from_group() -> dict[str, dict[str, Any]]:
        events = logs.filter_log_events(logGroupName=group).get("events", [])
        found = _records([e["message"] for e in events], ids)
        return found if len(found) == 2 else {}

    records = until(from_group)
    assert records, "no WAF log records in the log group"
    streams = [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]
    assert streams == [f"us-east-1_{acl['Name']}_0"]
    block = records[blocked.headers["x-amzn-RequestId"]]
    assert block["action"] == "BLOCK" and block["terminatingRuleId"] == "attack"
    assert block["terminatingRuleType"] == "REGULAR" and block["webaclId"] == acl["ARN"]
    assert block["httpSourceName"] == "APIGW" and block["httpSourceId"] == f"{account}:{api_id}:test"
    assert block["formatVersion"] == 1 and block["responseCodeSent"] == 403
    request = block["httpRequest"]
    assert request["clientIp"] == "127.0.0.1" and request["httpMethod"] == "GET"
    assert request["uri"] == "/test/l" and request["args"] == "REDACTED"
    assert {"name": "authorization", "value": "REDACTED"} in request["headers"]
    assert "very-secret" not in json.dumps(records)
    count = records[counted.headers["x-amzn-RequestId"]]
    assert count["action"] == "ALLOW" and count["terminatingRuleId"] == "Default_Action"
    assert count["nonTerminatingMatchingRules"] == [{"ruleId": "tag", "action": "COUNT", "ruleMatchDetails": []}]
    assert count["labels"] == [{"name": f"awswaf:{account}:webacl:{acl['Name']}:seen"}]

    bucket = name("aws-waf-logs-bkt")
    s3.create_bucket(Bucket=bucket)
    keep_blocks = {
        "DefaultBehavior": "KEEP",
        "Filters": [
            {"Behavior": "DROP", "Requirement": "MEETS_ANY", "Conditions": [{"ActionCondition": {"Action": "ALLOW"}}]}
        ],
    }
    waf.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": acl["ARN"],
            "LogDestinationConfigs": [f"arn:aws:s3:::{bucket}/waf"],
            "LoggingFilter": keep_blocks,
        }
    )
    time.sleep(1.2)  # the logging configuration is re-read at most once a second
    dropped = invoke(server, api_id, "test", "/s3-allowed")
    again = invoke(server, api_id, "test", "/s3", headers={"x-attack": "1"})
    wanted = {again.headers["x-amzn-RequestId"], dropped.headers["x-amzn-RequestId"]}
    prefix = f"waf/AWSLogs/{account}/WAFLogs/us-east-1/{acl['Name']}/"

    def from_bucket() -> tuple[str, dict[str, dict[str, Any]]] | None:
        for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()).decode()
            found = _records([line for line in body.splitlines() if line], wanted)
            if found:
                return obj["Key"], found
        return None

    got = until(from_bucket)
    assert got, "no WAF log file in the bucket"
    key, found = got
    file_name = key.rsplit("/", 1)[1]
    assert file_name.startswith(f"{account}_waflogs_us-east-1_{acl['Name']}_") and file_name.endswith(".log.gz")
    assert len(key[len(prefix) :].split("/")) == 6  # YYYY/MM/DD/HH/mm/file
    assert found[again.headers["x-amzn-RequestId"]]["action"] == "BLOCK"
    time.sleep(1.5)  # a later flush would hold the allowed request's record, if the filter had kept it
    assert dropped.headers["x-amzn-RequestId"] not in from_bucket()[1]  # type: ignore[index]


def test_waf_runs_before_routes_api_keys_and_authorization(server: ServerProcess, apigw: Any, waf: Any) -> None:
    api = make_api(apigw)
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    mock = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    method(apigw, api["id"], pets, integration=mock, responses={"200": {"selectionPattern": ""}}, apiKeyRequired=True)
    method(
        apigw,
        api["id"],
        pets,
        "POST",
        integration=mock,
        responses={"200": {"selectionPattern": ""}},
        authorizationType="AWS_IAM",
    )
    deploy(apigw, api["id"])
    stage = f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}/stages/test"
    teapot = {"Block": {"CustomResponse": {"ResponseCode": 418}}}
    protect(waf, stage, [rule("teapot", 0, header_is("x-teapot", "1"), teapot)])
    assert invoke(server, api["id"], "test", "/pets").status == 403  # no API key
    assert invoke(server, api["id"], "test", "/pets", headers={"x-teapot": "1"}).status == 418
    assert invoke(server, api["id"], "test", "/pets", "POST", headers={"x-teapot": "1"}).status == 418  # unsigned
    assert invoke(server, api["id"], "test", "/nowhere", headers={"x-teapot": "1"}).status == 418  # no such route


def test_sampled_requests_show_blocks_counts_and_rule_group_rules(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    group = waf.create_rule_group(
        Name=name("rg"),
        Scope="REGIONAL",
        Capacity=10,
        VisibilityConfig=vis("grp"),
        Rules=[rule("inner", 0, header_is("x-inner", "1"), {"Block": {}})],
    )["Summary"]
    acl = protect(
        waf,
        stage_arn,
        [
            rule("tag", 0, header_is("x-tag", "1"), {"Count": {}}, RuleLabels=[{"Name": "seen"}]),
            rule("attack", 1, header_is("x-attack", "1"), {"Block": {}}),
            {
                "Name": "group",
                "Priority": 2,
                "Statement": {"RuleGroupReferenceStatement": {"ARN": group["ARN"]}},
                "OverrideAction": {"None": {}},
                "VisibilityConfig": vis("group-ref"),
            },
        ],
    )
    start = server.now() - timedelta(minutes=1)
    invoke(
        server,
        api_id,
        "test",
        "/sampled",
        headers={"x-attack": "1", "x-tag": "1", "User-Agent": "sampler", "Authorization": "Bearer tok-42"},
    )
    invoke(server, api_id, "test", "/inner", headers={"x-inner": "1"})
    invoke(server, api_id, "test", "/fine")

    def sampled(metric: str) -> list[dict[str, Any]]:
        out = waf.get_sampled_requests(
            WebAclArn=acl["ARN"],
            RuleMetricName=metric,
            Scope="REGIONAL",
            MaxItems=100,
            TimeWindow={"StartTime": start, "EndTime": server.now() + timedelta(minutes=1)},
        )
        return list(out["SampledRequests"])

    blocked = until(lambda: sampled("attack"))
    assert len(blocked) == 1
    sample = blocked[0]
    assert sample["Action"] == "BLOCK" and sample["ResponseCodeSent"] == 403 and sample["Weight"] == 1
    assert sample["Request"]["URI"] == "/test/sampled" and sample["Request"]["ClientIP"] == "127.0.0.1"
    assert {"Name": "user-agent", "Value": "sampler"} in sample["Request"]["Headers"]
    assert {"Name": "authorization", "Value": "REDACTED"} in sample["Request"]["Headers"]  # credentials never stored
    account = acl["ARN"].split(":")[4]
    assert sample["Labels"] == [{"Name": f"awswaf:{account}:webacl:{acl['Name']}:seen"}]
    counted = until(lambda: sampled("tag"))
    assert [s["Action"] for s in counted] == ["COUNT"]
    inner = until(lambda: sampled("group-ref"))
    assert inner and inner[0]["RuleNameWithinRuleGroup"] == "inner" and inner[0]["Action"] == "BLOCK"
    default = until(lambda: [s for s in sampled("acl-metric") if s["Request"]["URI"] == "/test/fine"])
    assert default and default[0]["Action"] == "ALLOW"


def test_hostile_requests_never_answer_500_and_access_logs_name_the_web_acl(
    server: ServerProcess, apigw: Any, waf: Any, upstream: Backend
) -> None:
    api_id, stage_arn = proxied_stage(apigw, upstream)
    account = server.client("sts").get_caller_identity()["Account"]
    logs = server.client("logs")
    access_group = name("/apigw/waf-access")
    logs.create_log_group(logGroupName=access_group)
    apigw.update_stage(
        restApiId=api_id,
        stageName="test",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:us-east-1:{account}:log-group:{access_group}",
            },
            {
                "op": "replace",
                "path": "/accessLogSettings/format",
                "value": '{"id":"$context.requestId","waf":"$context.wafResponseCode","acl":"$context.webaclArn",'
                '"wafStatus":"$context.waf.status"}',
            },
        ],
    )
    json_rule = {
        "ByteMatchStatement": {
            "FieldToMatch": {
                "JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "InvalidFallbackBehavior": "MATCH"}
            },
            "SearchString": b"evil",
            "PositionalConstraint": "CONTAINS",
            "TextTransformations": [
                {"Priority": 0, "Type": "URL_DECODE"},
                {"Priority": 1, "Type": "HTML_ENTITY_DECODE"},
            ],
        }
    }
    acl = protect(
        waf,
        stage_arn,
        [
            rule("json", 0, json_rule, {"Block": {}}),
            rule(
                "sqli",
                1,
                {
                    "SqliMatchStatement": {
                        "FieldToMatch": {"AllQueryArguments": {}},
                        "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
                    }
                },
                {"Block": {}},
            ),
        ],
    )
    time.sleep(1.2)  # the stage's access log settings are re-read at most every second
    hostile = [
        ("POST", "/h", {"Content-Type": "application/json"}, b'{"a": [1, 2, {"b": "evil"}]}', 403),
        ("POST", "/h", {"Content-Type": "application/json"}, b"{not json", 403),
        ("POST", "/h", {}, b"\xff\xfe\x00binary" * 5000, 403),  # not JSON: InvalidFallbackBehavior MATCH
        ("GET", "/h?%zz=%u12&&=&a=" + "%" * 50, {}, None, 200),
        ("GET", "/h?id=1%27%20OR%201%3D1--", {}, None, 403),
        # past 200 header fields: Shield Standard's --max-headers refuses it before API Gateway (no request id)
        ("GET", "/h", {f"x-h{i}": "v" * 50 for i in range(300)}, None, 431),
        ("GET", "/h/%2e%2e/%c0%af", {"Cookie": "a=b; ;=;c"}, None, 200),
    ]
    ids = []
    for verb, path, headers, body, expected in hostile:
        answer = invoke(server, api_id, "test", path, verb, headers=headers, body=body)
        assert answer.status == expected, (path, answer.status, answer.data[:200])
        if expected != 431:
            ids.append(answer.headers["x-amzn-RequestId"])

    def lines() -> list[dict[str, Any]]:
        events = logs.filter_log_events(logGroupName=access_group).get("events", [])
        parsed = [json.loads(e["message"]) for e in events]
        return [p for p in parsed if p["id"] in ids[:1]]

    got = until(lines)
    assert got == [{"id": ids[0], "waf": "WAF_BLOCK", "acl": acl["ARN"], "wafStatus": "403"}]
