"""API Gateway's operations table and access table: ``apigateway:<HTTP verb>`` on the ARN of the URI called.

Read-only, on-loop and body limits are checked for every service by tests/unit/test_operations.py, one row per
listed operation by tests/unit/test_providers_index.py.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.protocol.catalog import default_catalog
from strongroom.services.apigateway import access
from strongroom.services.apigateway.operations import OPERATIONS

MODEL = default_catalog().service("apigateway")


@pytest.mark.parametrize("op", sorted(OPERATIONS))
def test_action_is_the_http_verb(op: str) -> None:
    assert OPERATIONS[op].actions == (f"apigateway:{MODEL.operation_model(op).http['method']}",)


def _ctx(op: str) -> Any:
    runtime = SimpleNamespace(catalog=default_catalog(), store=None)
    return SimpleNamespace(operation=op, region="eu-west-1", account_id="123456789012", runtime=runtime)


@pytest.mark.parametrize(
    ("op", "params", "action", "resource"),
    [
        ("GetRestApis", {}, "apigateway:GET", "/restapis"),
        ("CreateRestApi", {"name": "x"}, "apigateway:POST", "/restapis"),
        ("GetRestApi", {"restApiId": "abc"}, "apigateway:GET", "/restapis/abc"),
        (
            "PutIntegration",
            {"restApiId": "a", "resourceId": "r", "httpMethod": "GET", "type": "MOCK"},
            "apigateway:PUT",
            "/restapis/a/resources/r/methods/GET/integration",
        ),
        ("UpdateStage", {"restApiId": "a", "stageName": "prod"}, "apigateway:PATCH", "/restapis/a/stages/prod"),
        ("DeleteApiKey", {"apiKey": "k"}, "apigateway:DELETE", "/apikeys/k"),
        ("GetAccount", {}, "apigateway:GET", "/account"),
        (
            "TagResource",
            {"resourceArn": "arn:aws:apigateway:eu-west-1::/restapis/a", "tags": {}},
            "apigateway:PUT",
            "/tags/arn%3Aaws%3Aapigateway%3Aeu-west-1%3A%3A%2Frestapis%2Fa",
        ),
        (
            "GetBasePathMapping",
            {"domainName": "d.example", "basePath": "(none)"},
            "apigateway:GET",
            "/domainnames/d.example/basepathmappings/(none)",
        ),
    ],
)
def test_checks_name_the_uri(op: str, params: dict[str, Any], action: str, resource: str) -> None:
    (check,) = access.checks(_ctx(op), params) or []
    assert check.action == action
    assert check.resource == "arn:aws:apigateway:eu-west-1::" + resource
    assert check.resource_account == "123456789012" and not check.lookup_resource_policy


def test_resource_tags_are_read_from_the_top_level_resource() -> None:
    (check,) = access.checks(_ctx("GetStage"), {"restApiId": "a", "stageName": "prod"}) or []
    assert set(check.lazy) == {"aws:resourcetag"}
    (check,) = access.checks(_ctx("GetAccount"), {}) or []
    assert check.lazy == {}
