"""Helpers for Firewall Manager's end-to-end tests: an organization whose accounts are administered through
``OrganizationAccountAccessRole``, deployed API Gateway stages, WAF rule groups, and one remediation cycle."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.e2e.access_support import allow, client_for, make_user
from tests.e2e.apigateway_support import deployable
from tests.e2e.organizations_support import Account, created_account, new_org
from tests.support.server import ServerProcess

CYCLE = 300  # services/fms/remediation.CYCLE_SECONDS
STAGE_TYPE = "AWS::ApiGateway::Stage"


@dataclass
class Org:
    server: ServerProcess
    mgmt: Account
    orgs: Any
    org: dict[str, Any]
    admin_user: dict[str, Any]
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def create_account(self, name: str) -> str:
        return created_account(self.orgs, f"{name}-{uuid.uuid4().hex[:6]}")

    def creds(self, account_id: str) -> dict[str, Any]:
        """Credentials of ``OrganizationAccountAccessRole`` in ``account_id`` (the management account's own user)."""
        if account_id == self.mgmt.account_id:
            return self.admin_user
        if account_id not in self.sessions:
            sts = client_for(self.server, "sts", self.admin_user)
            role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
            self.sessions[account_id] = sts.assume_role(RoleArn=role, RoleSessionName="fms-test")["Credentials"]
        return self.sessions[account_id]

    def client(self, account_id: str, service: str) -> Any:
        return client_for(self.server, service, self.creds(account_id))


def new_fms_org(server: ServerProcess) -> Org:
    mgmt, orgs, org = new_org(server)
    user = make_user(mgmt.client("iam"), allow("*"))
    return Org(server, mgmt, orgs, org, user)


def stage(apigw: Any, name: str = "test", tags: dict[str, str] | None = None) -> tuple[str, str]:
    """A deployed API (GET /pets, MOCK 200) with stage ``name``: (api id, stage ARN)."""
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName=name)
    if tags:
        arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/{name}"
        apigw.tag_resource(resourceArn=arn, tags=tags)
    return api_id, f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/{name}"


def blocking_rule_group(waf: Any, header: str = "x-attack") -> str:
    """A rule group blocking requests whose ``header`` is ``yes``: its ARN."""
    name = f"fms-rg-{uuid.uuid4().hex[:8]}"
    rule = {
        "Name": "block-attack",
        "Priority": 0,
        "Statement": {
            "ByteMatchStatement": {
                "FieldToMatch": {"SingleHeader": {"Name": header}},
                "SearchString": b"yes",
                "PositionalConstraint": "EXACTLY",
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
        "Action": {"Block": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "b"},
    }
    vis = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
    group = waf.create_rule_group(Name=name, Scope="REGIONAL", Capacity=10, Rules=[rule], VisibilityConfig=vis)
    return str(group["Summary"]["ARN"])


def waf_data(pre: list[str], post: list[str] | None = None, **extra: Any) -> str:
    def entries(arns: list[str]) -> list[dict[str, Any]]:
        return [
            {"ruleGroupArn": a, "overrideAction": {"type": "NONE"}, "ruleGroupType": "RuleGroup", "excludeRules": []}
            for a in arns
        ]

    data = {
        "type": "WAFV2",
        "preProcessRuleGroups": entries(pre),
        "postProcessRuleGroups": entries(post or []),
        "defaultAction": {"type": "ALLOW"},
        "overrideCustomerWebACLAssociation": False,
        **extra,
    }
    return json.dumps(data)


def waf_policy(name: str, data: str, **kw: Any) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "PolicyName": name,
        "SecurityServicePolicyData": {"Type": "WAFV2", "ManagedServiceData": data},
        "ResourceType": STAGE_TYPE,
        "ExcludeResourceTags": False,
        "RemediationEnabled": True,
    }
    policy.update(kw)
    return policy


def until(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.2)
