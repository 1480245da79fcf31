"""AWS WAF v2 control plane, driven with boto3: entities and lock tokens, rule validation and WCUs, references,
the managed catalog, associations with a real API Gateway stage, logging, samples, API keys, tags, policies, IAM."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.access_support import allow, client_for, deny, make_user
from tests.e2e.apigateway_support import deployable
from tests.support.server import ServerProcess

VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
TT = [{"Priority": 0, "Type": "NONE"}]


def name(prefix: str = "w") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


@pytest.fixture
def waf(server: ServerProcess) -> Any:
    return server.client("wafv2")


def rule(rule_name: str, priority: int, statement: dict[str, Any], action: str = "Block") -> dict[str, Any]:
    return {
        "Name": rule_name,
        "Priority": priority,
        "Statement": statement,
        "Action": {action: {}},
        "VisibilityConfig": {**VIS, "MetricName": rule_name},
    }


def ip_set(waf: Any, addresses: list[str] | None = None) -> dict[str, Any]:
    return dict(
        waf.create_ip_set(
            Name=name("ips"), Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=addresses or ["10.0.0.0/8"]
        )["Summary"]
    )


def web_acl(waf: Any, rules: list[dict[str, Any]] | None = None, **kw: Any) -> dict[str, Any]:
    return dict(
        waf.create_web_acl(
            Name=name("acl"),
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig=VIS,
            Rules=rules or [],
            **kw,
        )["Summary"]
    )


def test_ip_set_lifecycle_and_lock_tokens(waf: Any) -> None:
    summary = ip_set(waf, ["192.0.2.0/24", "10.1.2.3/32"])
    got = waf.get_ip_set(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])
    assert got["IPSet"]["Addresses"] == ["192.0.2.0/24", "10.1.2.3/32"]
    assert got["IPSet"]["ARN"].startswith("arn:aws:wafv2:us-east-1:") and ":regional/ipset/" in got["IPSet"]["ARN"]
    token = got["LockToken"]
    new = waf.update_ip_set(
        Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], Addresses=["198.51.100.0/24"], LockToken=token
    )["NextLockToken"]
    assert new != token
    with pytest.raises(ClientError) as exc:  # the old token is stale
        waf.update_ip_set(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], Addresses=[], LockToken=token)
    assert code(exc) == "WAFOptimisticLockException"
    assert "someone changed the resource" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        waf.delete_ip_set(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], LockToken=token)
    assert code(exc) == "WAFOptimisticLockException"
    names = [s["Name"] for s in waf.list_ip_sets(Scope="REGIONAL", Limit=100)["IPSets"]]
    assert summary["Name"] in names
    waf.delete_ip_set(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"], LockToken=new)
    with pytest.raises(ClientError) as exc:
        waf.get_ip_set(Name=summary["Name"], Scope="REGIONAL", Id=summary["Id"])
    assert code(exc) == "WAFNonexistentItemException"
    assert exc.value.response["Error"]["Message"] == (
        "AWS WAF couldn\u2019t perform the operation because your resource doesn\u2019t exist."
    )


@pytest.mark.parametrize(
    ("version", "address"),
    [
        ("IPV4", "10.0.0.0/33"),
        ("IPV4", "10.0.0.0/0"),
        ("IPV4", "10.0.0.1"),
        ("IPV4", "2001:db8::/32"),
        ("IPV6", "2001:db8::/129"),
        ("IPV4", "not-an-ip/8"),
        ("IPV4", "195.178.188.66/29"),
    ],
)
def test_ip_set_rejects_bad_cidrs(waf: Any, version: str, address: str) -> None:
    with pytest.raises(ClientError) as exc:
        waf.create_ip_set(Name=name(), Scope="REGIONAL", IPAddressVersion=version, Addresses=[address])
    assert code(exc) == "WAFInvalidParameterException"
    assert exc.value.response["Field"] in ("IP_ADDRESS", "IP_ADDRESS_VERSION")
    assert exc.value.response["Parameter"] == address


def test_duplicates_pagination_and_cloudfront_scope(waf: Any, server: ServerProcess) -> None:
    summary = ip_set(waf)
    with pytest.raises(ClientError) as exc:
        waf.create_ip_set(Name=summary["Name"], Scope="REGIONAL", IPAddressVersion="IPV4", Addresses=[])
    assert code(exc) == "WAFDuplicateItemException"
    ip_set(waf)
    first = waf.list_ip_sets(Scope="REGIONAL", Limit=1)
    assert len(first["IPSets"]) == 1 and first["NextMarker"]
    second = waf.list_ip_sets(Scope="REGIONAL", Limit=1, NextMarker=first["NextMarker"])
    assert second["IPSets"][0]["Name"] != first["IPSets"][0]["Name"]
    glob = waf.create_ip_set(Name=name(), Scope="CLOUDFRONT", IPAddressVersion="IPV6", Addresses=["2001:db8::/32"])
    assert ":global/ipset/" in glob["Summary"]["ARN"]
    with pytest.raises(ClientError) as exc:
        server.client("wafv2", region="eu-west-1").list_ip_sets(Scope="CLOUDFRONT")
    assert code(exc) == "WAFInvalidParameterException"
    assert exc.value.response["Field"] == "SCOPE_VALUE"


def test_regex_pattern_sets(waf: Any) -> None:
    created = waf.create_regex_pattern_set(
        Name=name(), Scope="REGIONAL", RegularExpressionList=[{"RegexString": "^/admin"}]
    )["Summary"]
    got = waf.get_regex_pattern_set(Name=created["Name"], Scope="REGIONAL", Id=created["Id"])
    assert got["RegexPatternSet"]["RegularExpressionList"] == [{"RegexString": "^/admin"}]
    # Malformed, too long, and what AWS's dialect (no backreferences, no lookaround) refuses though Python's re takes it
    for bad in ("([a-z]", "a" * 201, r"(a)\1", "(?=admin)", "(?<!x)y"):
        with pytest.raises(ClientError) as exc:
            waf.create_regex_pattern_set(Name=name(), Scope="REGIONAL", RegularExpressionList=[{"RegexString": bad}])
        assert code(exc) == "WAFInvalidParameterException"
    with pytest.raises(ClientError) as exc:
        waf.create_regex_pattern_set(
            Name=name(), Scope="REGIONAL", RegularExpressionList=[{"RegexString": f"x{i}"} for i in range(11)]
        )
    assert code(exc) == "WAFLimitsExceededException"


def test_check_capacity_matches_documented_costs(waf: Any) -> None:
    ips = ip_set(waf)
    regex = waf.create_regex_pattern_set(Name=name(), Scope="REGIONAL", RegularExpressionList=[{"RegexString": "x"}])
    uri = {"UriPath": {}}
    cases = [
        (
            {
                "ByteMatchStatement": {
                    "SearchString": "a",
                    "FieldToMatch": uri,
                    "TextTransformations": TT,
                    "PositionalConstraint": "EXACTLY",
                }
            },
            2,
        ),
        (
            {
                "ByteMatchStatement": {
                    "SearchString": "a",
                    "FieldToMatch": uri,
                    "PositionalConstraint": "CONTAINS",
                    "TextTransformations": [
                        {"Priority": 0, "Type": "LOWERCASE"},
                        {"Priority": 1, "Type": "URL_DECODE"},
                    ],
                }
            },
            30,
        ),
        ({"SqliMatchStatement": {"FieldToMatch": uri, "TextTransformations": TT}}, 20),
        ({"SqliMatchStatement": {"FieldToMatch": uri, "TextTransformations": TT, "SensitivityLevel": "HIGH"}}, 30),
        ({"XssMatchStatement": {"FieldToMatch": {"AllQueryArguments": {}}, "TextTransformations": TT}}, 50),
        ({"GeoMatchStatement": {"CountryCodes": ["US"]}}, 1),
        ({"IPSetReferenceStatement": {"ARN": ips["ARN"]}}, 1),
        (
            {
                "RegexPatternSetReferenceStatement": {
                    "ARN": regex["Summary"]["ARN"],
                    "FieldToMatch": uri,
                    "TextTransformations": TT,
                }
            },
            25,
        ),
        ({"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}, 2),
    ]
    for statement, expected in cases:
        got = waf.check_capacity(Scope="REGIONAL", Rules=[rule("r", 0, statement)])["Capacity"]
        assert got == expected, statement
    total = waf.check_capacity(
        Scope="REGIONAL", Rules=[rule(f"r{i}", i, statement) for i, (statement, _) in enumerate(cases)]
    )["Capacity"]
    assert total == sum(e for _, e in cases)
    managed = {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}}
    got = waf.check_capacity(
        Scope="REGIONAL",
        Rules=[
            {
                "Name": "crs",
                "Priority": 0,
                "Statement": managed,
                "OverrideAction": {"None": {}},
                "VisibilityConfig": VIS,
            }
        ],
    )["Capacity"]
    assert got == 700


def test_rule_validation_errors(waf: Any) -> None:
    geo = {"GeoMatchStatement": {"CountryCodes": ["US"]}}
    both = {**geo, "LabelMatchStatement": {"Scope": "LABEL", "Key": "a"}}
    with pytest.raises(ClientError) as exc:
        web_acl(waf, [rule("a", 0, both)])
    assert code(exc) == "WAFInvalidParameterException"
    with pytest.raises(ClientError) as exc:  # duplicate priorities
        web_acl(waf, [rule("a", 0, geo), rule("b", 0, geo)])
    assert code(exc) == "WAFInvalidParameterException" and exc.value.response["Field"] == "RULE"
    with pytest.raises(ClientError) as exc:  # a rate-based statement cannot be nested
        web_acl(
            waf,
            [
                rule(
                    "a",
                    0,
                    {"NotStatement": {"Statement": {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}}},
                )
            ],
        )
    assert code(exc) == "WAFInvalidParameterException"
    with pytest.raises(ClientError) as exc:  # custom response body key that is not defined
        web_acl(
            waf,
            [
                {
                    **rule("a", 0, geo),
                    "Action": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "missing"}}},
                }
            ],
        )
    assert exc.value.response["Field"] == "CUSTOM_RESPONSE"
    with pytest.raises(ClientError) as exc:  # missing IP set (well-formed ARN of this account)
        acct = waf.list_web_acls(Scope="REGIONAL")  # noqa: F841 - any call; the ARN below is of this account
        ips = ip_set(waf)
        missing = ips["ARN"].rsplit("/", 1)[0] + "/" + str(uuid.uuid4())
        web_acl(waf, [rule("a", 0, {"IPSetReferenceStatement": {"ARN": missing}})])
    assert code(exc) == "WAFNonexistentItemException"
    foreign = ips["ARN"].replace(ips["ARN"].split(":")[4], "999999999999")
    with pytest.raises(ClientError) as exc:
        web_acl(waf, [rule("a", 0, {"IPSetReferenceStatement": {"ARN": foreign}})])
    assert code(exc) == "WAFInvalidParameterException"
    with pytest.raises(ClientError) as exc:  # a managed rule group reference needs OverrideAction
        web_acl(
            waf,
            [rule("a", 0, {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesSQLiRuleSet"}})],
        )
    assert exc.value.response["Field"] == "OVERRIDE_ACTION"
    with pytest.raises(ClientError) as exc:
        web_acl(
            waf,
            [
                {
                    "Name": "m",
                    "Priority": 0,
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": VIS,
                    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "NoSuchGroup"}},
                }
            ],
        )
    assert code(exc) == "WAFNonexistentItemException"


def test_web_acl_with_rule_group_and_references(waf: Any) -> None:
    ips = ip_set(waf)
    group_rules = [rule("blk", 0, {"IPSetReferenceStatement": {"ARN": ips["ARN"]}})]
    group_rules[0]["RuleLabels"] = [{"Name": "bad:ip"}]
    group = waf.create_rule_group(
        Name=name("rg"), Scope="REGIONAL", Capacity=10, VisibilityConfig=VIS, Rules=group_rules
    )["Summary"]
    got = waf.get_rule_group(ARN=group["ARN"])["RuleGroup"]
    assert got["Capacity"] == 10 and got["AvailableLabels"][0]["Name"].endswith(":bad:ip")
    acl = web_acl(
        waf,
        [
            {
                "Name": "rg",
                "Priority": 0,
                "OverrideAction": {"None": {}},
                "VisibilityConfig": VIS,
                "Statement": {"RuleGroupReferenceStatement": {"ARN": group["ARN"]}},
            }
        ],
        CustomResponseBodies={"denied": {"ContentType": "APPLICATION_JSON", "Content": '{"denied": true}'}},
    )
    full = waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])
    assert full["WebACL"]["Capacity"] == 10
    assert waf.get_web_acl(ARN=acl["ARN"])["WebACL"]["Name"] == acl["Name"]
    with pytest.raises(ClientError) as exc:  # referenced: cannot be deleted
        waf.delete_ip_set(Name=ips["Name"], Scope="REGIONAL", Id=ips["Id"], LockToken=ips["LockToken"])
    assert code(exc) == "WAFAssociatedItemException"
    with pytest.raises(ClientError) as exc:
        waf.delete_rule_group(Name=group["Name"], Scope="REGIONAL", Id=group["Id"], LockToken=group["LockToken"])
    assert code(exc) == "WAFAssociatedItemException"
    # The rule group's capacity is fixed: rules beyond it are refused on update.
    xss = rule("xss", 1, {"XssMatchStatement": {"FieldToMatch": {"UriPath": {}}, "TextTransformations": TT}})
    with pytest.raises(ClientError) as exc:
        waf.update_rule_group(
            Name=group["Name"],
            Scope="REGIONAL",
            Id=group["Id"],
            VisibilityConfig=VIS,
            Rules=[*group_rules, xss],
            LockToken=group["LockToken"],
        )
    assert code(exc) == "WAFLimitsExceededException"
    waf.delete_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"], LockToken=full["LockToken"])
    waf.delete_rule_group(Name=group["Name"], Scope="REGIONAL", Id=group["Id"], LockToken=group["LockToken"])
    waf.delete_ip_set(Name=ips["Name"], Scope="REGIONAL", Id=ips["Id"], LockToken=ips["LockToken"])


def test_web_acl_capacity_limit(waf: Any) -> None:
    xss = {
        "XssMatchStatement": {
            "FieldToMatch": {"JsonBody": {"MatchPattern": {"All": {}}, "MatchScope": "ALL"}},
            "TextTransformations": [{"Priority": i, "Type": "URL_DECODE"} for i in range(10)],
        }
    }
    rules = [rule(f"x{i}", i, xss) for i in range(30)]  # (80 + 100) x 30 = 5,400 WCUs
    assert waf.check_capacity(Scope="REGIONAL", Rules=rules)["Capacity"] == 5400
    with pytest.raises(ClientError) as exc:
        web_acl(waf, rules)
    assert code(exc) == "WAFLimitsExceededException"


def test_managed_catalog(waf: Any) -> None:
    groups = waf.list_available_managed_rule_groups(Scope="REGIONAL")["ManagedRuleGroups"]
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesBotControlRuleSet"} <= {g["Name"] for g in groups}
    crs = waf.describe_managed_rule_group(VendorName="AWS", Name="AWSManagedRulesCommonRuleSet", Scope="REGIONAL")
    assert crs["Capacity"] == 700
    rules = {r["Name"] for r in crs["Rules"]}
    assert {"NoUserAgent_HEADER", "SizeRestrictions_BODY"} <= rules
    assert {"Name": "awswaf:managed:aws:core-rule-set:NoUserAgent_Header"} in crs["AvailableLabels"]
    sqli = waf.describe_managed_rule_group(VendorName="AWS", Name="AWSManagedRulesSQLiRuleSet", Scope="REGIONAL")
    assert "SQLi_QUERYARGUMENTS" in {r["Name"] for r in sqli["Rules"]}
    versions = waf.list_available_managed_rule_group_versions(
        VendorName="AWS", Name="AWSManagedRulesCommonRuleSet", Scope="REGIONAL"
    )
    assert versions["Versions"] and versions["CurrentDefaultVersion"]
    with pytest.raises(ClientError) as exc:
        waf.describe_managed_rule_group(VendorName="AWS", Name="Nope", Scope="REGIONAL")
    assert code(exc) == "WAFNonexistentItemException"
    assert waf.list_managed_rule_sets(Scope="REGIONAL")["ManagedRuleSets"] == []
    with pytest.raises(ClientError) as exc:
        waf.get_managed_rule_set(Name="x", Scope="REGIONAL", Id=str(uuid.uuid4()))
    assert code(exc) == "WAFNonexistentItemException"
    products = waf.describe_managed_products_by_vendor(VendorName="AWS", Scope="REGIONAL")["ManagedProducts"]
    assert len(products) == len(groups)


def test_association_with_a_real_stage(waf: Any, server: ServerProcess) -> None:
    apigw = server.client("apigateway")
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    stage_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/prod"
    acl = web_acl(waf)
    assert waf.get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL") is None
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage_arn)
    assert waf.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]["ARN"] == acl["ARN"]
    assert waf.list_resources_for_web_acl(WebACLArn=acl["ARN"], ResourceType="API_GATEWAY")["ResourceArns"] == [
        stage_arn
    ]
    assert waf.list_resources_for_web_acl(WebACLArn=acl["ARN"])["ResourceArns"] == []  # AWS's default: ALBs
    lock = waf.get_web_acl(ARN=acl["ARN"])["LockToken"]
    with pytest.raises(ClientError) as exc:
        waf.delete_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"], LockToken=lock)
    assert code(exc) == "WAFAssociatedItemException"
    other = web_acl(waf)  # one web ACL per resource: associating another replaces it
    waf.associate_web_acl(WebACLArn=other["ARN"], ResourceArn=stage_arn)
    assert waf.get_web_acl_for_resource(ResourceArn=stage_arn)["WebACL"]["ARN"] == other["ARN"]
    waf.disassociate_web_acl(ResourceArn=stage_arn)
    assert waf.get_web_acl_for_resource(ResourceArn=stage_arn).get("WebACL") is None
    missing = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/nope"
    with pytest.raises(ClientError) as exc:
        waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=missing)
    assert code(exc) == "WAFNonexistentItemException"
    alb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef"
    with pytest.raises(ClientError) as exc:
        waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=alb)
    assert code(exc) == "WAFUnavailableEntityException"
    with pytest.raises(ClientError) as exc:
        waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn="arn:aws:sqs:us-east-1:123456789012:q")
    assert code(exc) == "WAFInvalidParameterException"


def test_logging_configuration(waf: Any, server: ServerProcess) -> None:
    acl = web_acl(waf)
    account = acl["ARN"].split(":")[4]
    good = f"arn:aws:logs:us-east-1:{account}:log-group:aws-waf-logs-test"
    for bad in (
        f"arn:aws:logs:us-east-1:{account}:log-group:my-logs",
        "arn:aws:s3:::my-bucket",
        f"arn:aws:firehose:us-east-1:{account}:deliverystream/aws-waf-logs-x",
    ):
        with pytest.raises(ClientError) as exc:
            waf.put_logging_configuration(
                LoggingConfiguration={"ResourceArn": acl["ARN"], "LogDestinationConfigs": [bad]}
            )
        assert code(exc) == "WAFInvalidParameterException" and exc.value.response["Field"] == "LOG_DESTINATION"
    with pytest.raises(ClientError) as exc:
        waf.get_logging_configuration(ResourceArn=acl["ARN"])
    assert code(exc) == "WAFNonexistentItemException"
    put = waf.put_logging_configuration(
        LoggingConfiguration={
            "ResourceArn": acl["ARN"],
            "LogDestinationConfigs": [good],
            "RedactedFields": [{"SingleHeader": {"Name": "authorization"}}],
            "LoggingFilter": {
                "DefaultBehavior": "KEEP",
                "Filters": [
                    {
                        "Behavior": "DROP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [{"ActionCondition": {"Action": "ALLOW"}}],
                    }
                ],
            },
        }
    )["LoggingConfiguration"]
    assert put["LogType"] == "WAF_LOGS" and put["ManagedByFirewallManager"] is False
    assert waf.get_logging_configuration(ResourceArn=acl["ARN"])["LoggingConfiguration"]["LogDestinationConfigs"] == [
        good
    ]
    listed = waf.list_logging_configurations(Scope="REGIONAL")["LoggingConfigurations"]
    assert acl["ARN"] in {c["ResourceArn"] for c in listed}
    waf.put_logging_configuration(
        LoggingConfiguration={"ResourceArn": acl["ARN"], "LogDestinationConfigs": ["arn:aws:s3:::aws-waf-logs-b/p"]}
    )
    waf.delete_logging_configuration(ResourceArn=acl["ARN"])
    with pytest.raises(ClientError):
        waf.get_logging_configuration(ResourceArn=acl["ARN"])


def test_sampled_requests_and_rate_keys_shapes(waf: Any, server: ServerProcess) -> None:
    acl = web_acl(waf, [rule("rate", 0, {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}})])
    now = server.now()
    out = waf.get_sampled_requests(
        WebAclArn=acl["ARN"],
        RuleMetricName="rate",
        Scope="REGIONAL",
        MaxItems=100,
        TimeWindow={"StartTime": now - timedelta(hours=5), "EndTime": now},
    )
    assert out["SampledRequests"] == [] and out["PopulationSize"] == 0
    assert out["TimeWindow"]["StartTime"] >= now - timedelta(hours=3, minutes=1)
    keys = waf.get_rate_based_statement_managed_keys(
        Scope="REGIONAL", WebACLName=acl["Name"], WebACLId=acl["Id"], RuleName="rate"
    )
    assert keys["ManagedKeysIPV4"] == {"IPAddressVersion": "IPV4", "Addresses": []}
    with pytest.raises(ClientError) as exc:
        waf.get_rate_based_statement_managed_keys(
            Scope="REGIONAL", WebACLName=acl["Name"], WebACLId=acl["Id"], RuleName="nope"
        )
    assert code(exc) == "WAFNonexistentItemException"


def test_api_keys_are_sealed(waf: Any, server: ServerProcess) -> None:
    key = waf.create_api_key(Scope="REGIONAL", TokenDomains=["example.com"])["APIKey"]
    got = waf.get_decrypted_api_key(Scope="REGIONAL", APIKey=key)
    assert got["TokenDomains"] == ["example.com"] and got["CreationTimestamp"]
    assert key in {s["APIKey"] for s in waf.list_api_keys(Scope="REGIONAL")["APIKeySummaries"]}
    if server.database_url is None:  # SQLite: the key is nowhere in the data directory's files
        for path in server.data_dir.rglob("*"):
            if path.is_file():
                assert key.encode() not in path.read_bytes(), path
    waf.delete_api_key(Scope="REGIONAL", APIKey=key)
    with pytest.raises(ClientError) as exc:
        waf.get_decrypted_api_key(Scope="REGIONAL", APIKey=key)
    assert code(exc) == "WAFNonexistentItemException"


def test_tags_and_permission_policy(waf: Any) -> None:
    group = waf.create_rule_group(
        Name=name("rg"), Scope="REGIONAL", Capacity=5, VisibilityConfig=VIS, Tags=[{"Key": "team", "Value": "a"}]
    )["Summary"]
    waf.tag_resource(ResourceARN=group["ARN"], Tags=[{"Key": "env", "Value": "prod"}])
    tags = waf.list_tags_for_resource(ResourceARN=group["ARN"])["TagInfoForResource"]["TagList"]
    assert {t["Key"] for t in tags} == {"team", "env"}
    waf.untag_resource(ResourceARN=group["ARN"], TagKeys=["team"])
    tags = waf.list_tags_for_resource(ResourceARN=group["ARN"])["TagInfoForResource"]["TagList"]
    assert tags == [{"Key": "env", "Value": "prod"}]
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": ["wafv2:GetRuleGroup", "wafv2:UpdateWebACL"],
        "Resource": group["ARN"],
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    waf.put_permission_policy(ResourceArn=group["ARN"], Policy=policy)
    assert waf.get_permission_policy(ResourceArn=group["ARN"])["Policy"] == policy
    bad = json.dumps({"Version": "2012-10-17", "Statement": [{**statement, "Action": "wafv2:DeleteRuleGroup"}]})
    with pytest.raises(ClientError) as exc:
        waf.put_permission_policy(ResourceArn=group["ARN"], Policy=bad)
    assert code(exc) == "WAFInvalidPermissionPolicyException"
    waf.delete_permission_policy(ResourceArn=group["ARN"])
    with pytest.raises(ClientError) as exc:
        waf.get_permission_policy(ResourceArn=group["ARN"])
    assert code(exc) == "WAFNonexistentItemException"


def test_iam_deny_on_one_web_acl(waf: Any, server: ServerProcess) -> None:
    denied, allowed = web_acl(waf), web_acl(waf)
    user = make_user(server.client("iam"), allow("wafv2:*"), deny("wafv2:*", denied["ARN"]))
    client = client_for(server, "wafv2", user)
    assert client.get_web_acl(Name=allowed["Name"], Scope="REGIONAL", Id=allowed["Id"])["WebACL"]
    with pytest.raises(ClientError) as exc:
        client.get_web_acl(Name=denied["Name"], Scope="REGIONAL", Id=denied["Id"])
    assert code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        client.get_web_acl(ARN=denied["ARN"])
    assert code(exc) == "AccessDeniedException"
    assert client.list_web_acls(Scope="REGIONAL")["WebACLs"]
    # Associating needs apigateway:SetWebACL on the stage as well.
    apigw = server.client("apigateway")
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="s")
    stage_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/s"
    with pytest.raises(ClientError) as exc:
        client.associate_web_acl(WebACLArn=allowed["ARN"], ResourceArn=stage_arn)
    assert code(exc) == "AccessDeniedException"


def test_enforcement_read_api_follows_changes(waf: Any, server: ServerProcess) -> None:
    """services/wafv2/enforced.py against the running server's store: the resolved web ACL of a stage, its change
    stamp, and a sample recorded there that GetSampledRequests then returns."""
    from strongroom.core.config import Config
    from strongroom.services.wafv2 import enforced
    from strongroom.store.engine import Store

    apigw = server.client("apigateway")
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="live")
    stage_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/live"
    ips = ip_set(waf, ["203.0.113.0/24"])
    acl = web_acl(waf, [rule("ips", 0, {"IPSetReferenceStatement": {"ARN": ips["ARN"]}})])
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage_arn)
    store = Store(Config(data_dir=server.data_dir, database_url=server.database_url).effective_database_url())
    try:
        found = enforced.web_acl_for_resource(store, stage_arn)
        assert found is not None and found.web_acl_arn == acl["ARN"]
        assert found.ip_sets[ips["ARN"]]["Addresses"] == ["203.0.113.0/24"]
        stamp = enforced.change_stamp(store, stage_arn)
        assert stamp == found.stamp
        waf.update_ip_set(
            Name=ips["Name"], Scope="REGIONAL", Id=ips["Id"], Addresses=["198.51.100.7/32"], LockToken=ips["LockToken"]
        )
        assert enforced.change_stamp(store, stage_arn) != stamp  # a referenced set changed
        assert enforced.change_stamp(store, "arn:aws:apigateway:us-east-1::/restapis/none/stages/x") is None
        request = {
            "ClientIP": "198.51.100.7",
            "Country": "US",
            "URI": "/pets",
            "Method": "GET",
            "HTTPVersion": "HTTP/1.1",
            "Headers": [{"Name": "host", "Value": "example.com"}],
        }
        # Stamped by the server's clock, as the server records them (other tests on this server move it forward;
        # this process's own clock has no offset).
        now = server.now()
        enforced.record_sample(store, acl["ARN"], "ips", request, "BLOCK", labels=["awswaf:x:y"], at=now)
    finally:
        store.dispose()
    out = waf.get_sampled_requests(
        WebAclArn=acl["ARN"],
        RuleMetricName="ips",
        Scope="REGIONAL",
        MaxItems=10,
        TimeWindow={"StartTime": now - timedelta(minutes=5), "EndTime": now + timedelta(minutes=1)},
    )
    assert out["PopulationSize"] == 1
    sample = out["SampledRequests"][0]
    assert sample["Request"]["ClientIP"] == "198.51.100.7" and sample["Action"] == "BLOCK"
    assert sample["Labels"] == [{"Name": "awswaf:x:y"}] and sample["Weight"] == 1
    waf.disassociate_web_acl(ResourceArn=stage_arn)
