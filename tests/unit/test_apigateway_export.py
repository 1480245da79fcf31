"""OpenAPI export and import (services/apigateway/export.py, importer.py) and the data plane's base-path routing,
without a server: a snapshot exports to a document that plans back into the same methods."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.core.errors import AwsError
from strongroom.services.apigateway import importer
from strongroom.services.apigateway.deployed import DomainRoute, Mapping
from strongroom.services.apigateway.export import export_document, read_plan

LAMBDA = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:f/invocations"
)
SNAPSHOT: dict[str, Any] = {
    "api": {"id": "abcdefghij", "name": "pets", "apiKeySource": "HEADER", "binaryMediaTypes": ["image/png"]},
    "resources": [
        {"id": "r0", "path": "/"},
        {
            "id": "r1",
            "parentId": "r0",
            "pathPart": "{id}",
            "path": "/{id}",
            "resourceMethods": {
                "GET": {
                    "httpMethod": "GET",
                    "authorizationType": "CUSTOM",
                    "authorizerId": "au1",
                    "apiKeyRequired": True,
                    "requestParameters": {"method.request.path.id": True, "method.request.header.X-A": False},
                    "methodResponses": {"200": {"statusCode": "200", "responseModels": {"application/json": "Pet"}}},
                    "methodIntegration": {
                        "type": "AWS_PROXY",
                        "httpMethod": "POST",
                        "uri": LAMBDA,
                        "passthroughBehavior": "WHEN_NO_MATCH",
                        "timeoutInMillis": 29000,
                        "cacheKeyParameters": [],
                        "integrationResponses": {"200": {"statusCode": "200", "selectionPattern": ""}},
                    },
                }
            },
        },
    ],
    "authorizers": [
        {
            "id": "au1",
            "name": "tok",
            "type": "TOKEN",
            "authorizerUri": LAMBDA,
            "identitySource": "method.request.header.Authorization",
            "authorizerResultTtlInSeconds": 300,
        }
    ],
    "requestValidators": [],
    "models": [{"id": "m1", "name": "Pet", "contentType": "application/json", "schema": '{"type": "object"}'}],
    "gatewayResponses": [],
}


@pytest.mark.parametrize("kind", ["oas30", "swagger"])
def test_export_plans_back_into_the_same_methods(kind: str) -> None:
    doc = export_document(SNAPSHOT, "prod", kind, {"integrations"}, "us-east-1")
    plan = read_plan(json.dumps(doc).encode())
    assert plan.settings == {"name": "pets", "version": "1.0", "binaryMediaTypes": ["image/png"]}
    assert set(plan.paths) == {"/", "/{id}"} and set(plan.models) == {"Pet"} and set(plan.authorizers) == {"tok"}
    method = plan.paths["/{id}"]["GET"]
    original = SNAPSHOT["resources"][1]["resourceMethods"]["GET"]
    assert method["authorizationType"] == "CUSTOM" and method["authorizerId"] == "tok"  # the name, until written
    assert method["apiKeyRequired"] is True
    assert method["requestParameters"] == {"method.request.path.id": True, "method.request.header.X-A": False}
    assert method["methodResponses"] == original["methodResponses"]
    integration = method["methodIntegration"]
    assert (integration["type"], integration["uri"], integration["integrationResponses"]) == (
        "AWS_PROXY",
        LAMBDA,
        {"200": {"statusCode": "200"}},  # an empty selection pattern exports as "default"
    )


def test_without_extensions_no_integration_is_exported() -> None:
    doc = export_document(SNAPSHOT, "prod", "oas30", set(), "us-east-1")
    text = json.dumps(doc)
    assert "x-amazon-apigateway-integration" not in text and "x-amazon-apigateway-authorizer" not in text
    assert doc["servers"][0]["variables"]["basePath"]["default"] == "prod"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"[1, 2]",
        b'{"openapi": "3.0.1", "paths": {}}',
        b'{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a": {"get": {"security": [{"nope": []}]}}}}',
        b'{"openapi": "3.0.1", "info": {"title": "t"}, "paths": {"/a": {"get": {"requestBody": {"content": '
        b'{"application/json": {"schema": {"$ref": "#/components/schemas/Missing"}}}}}}}}',
        b'{"swagger": "2.0", "info": {"title": "t"}, "paths": {"/a": {"get": {"responses": 5}}}}',
    ],
)
def test_bad_definitions_are_refused(body: bytes) -> None:
    with pytest.raises(AwsError) as err:
        read_plan(body)
    assert err.value.code == "BadRequestException" and err.value.message.startswith("Invalid OpenAPI input")


def test_yaml_definitions_are_read() -> None:
    plan = read_plan(b"openapi: 3.0.1\ninfo:\n  title: y\npaths:\n  /a:\n    get: {}\n")
    assert plan.paths == {"/a": {"GET": {"httpMethod": "GET", "authorizationType": "NONE", "apiKeyRequired": False}}}
    assert importer.ANY == "x-amazon-apigateway-any-method"


def test_base_path_routing() -> None:
    route = DomainRoute(
        "api.example", "123456789012", "us-east-1", {}, (Mapping("v1/beta", "b", None), Mapping("v1", "a", "s"))
    )
    assert route.match("/v1/beta/x") == (Mapping("v1/beta", "b", None), "/x")
    assert route.match("/v1/x") == (Mapping("v1", "a", "s"), "/x")
    assert route.match("/other") is None
