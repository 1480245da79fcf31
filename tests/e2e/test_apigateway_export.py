"""GetExport, ImportRestApi and PutRestApi end to end with boto3: an API exported as OpenAPI 3 / Swagger 2 (JSON
and YAML) with API Gateway's extensions imports back into the same API, and PutRestApi merges or overwrites."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.e2e.apigateway_support import LAMBDA_URI, unique
from tests.support.errors import error_of_call as _error
from tests.support.server import ServerProcess


@pytest.fixture
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


def _build(apigw: Any) -> str:
    api = apigw.create_rest_api(name=unique("exp"), description="exported", binaryMediaTypes=["image/png"])
    api_id, root = api["id"], api["rootResourceId"]
    pets = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="pets")["id"]
    pet = apigw.create_resource(restApiId=api_id, parentId=pets, pathPart="{id}")["id"]
    apigw.create_model(
        restApiId=api_id,
        name="Pet",
        contentType="application/json",
        schema=json.dumps({"type": "object", "properties": {"name": {"type": "string"}}}),
    )
    validator = apigw.create_request_validator(restApiId=api_id, name="all", validateRequestBody=True)
    authorizer = apigw.create_authorizer(
        restApiId=api_id,
        name="tok",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        authorizationType="NONE",
        requestParameters={"method.request.querystring.limit": False},
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigw.put_method_response(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        statusCode="200",
        responseParameters={"method.response.header.X-Count": False},
        responseModels={"application/json": "Pet"},
    )
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": "[]"},
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        apiKeyRequired=True,
        requestModels={"application/json": "Pet"},
        requestValidatorId=validator["id"],
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=LAMBDA_URI,
    )
    apigw.put_method(
        restApiId=api_id,
        resourceId=pet,
        httpMethod="ANY",
        authorizationType="CUSTOM",
        authorizerId=authorizer["id"],
        requestParameters={"method.request.path.id": True},
    )
    apigw.put_integration(
        restApiId=api_id,
        resourceId=pet,
        httpMethod="ANY",
        type="HTTP_PROXY",
        integrationHttpMethod="ANY",
        uri="https://backend.example/pets/{id}",
        requestParameters={"integration.request.path.id": "method.request.path.id"},
    )
    apigw.put_gateway_response(restApiId=api_id, responseType="UNAUTHORIZED", statusCode="401")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return str(api_id)


def _export(apigw: Any, api_id: str, kind: str = "oas30", accepts: str = "application/json") -> Any:
    answer = apigw.get_export(
        restApiId=api_id, stageName="prod", exportType=kind, parameters={"extensions": "integrations"}, accepts=accepts
    )
    assert answer["contentType"] == accepts and "attachment" in answer["contentDisposition"]
    body = answer["body"].read()
    return json.loads(body) if accepts == "application/json" else yaml.safe_load(body)


def test_export_and_import_round_trip(apigw: Any) -> None:
    api_id = _build(apigw)
    first = _export(apigw, api_id)
    assert first["openapi"] == "3.0.1" and first["info"]["title"].startswith("exp-")
    assert set(first["paths"]) == {"/", "/pets", "/pets/{id}"}
    get = first["paths"]["/pets"]["get"]
    assert get["x-amazon-apigateway-integration"]["type"] == "mock"
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Pet"}
    post = first["paths"]["/pets"]["post"]
    assert {"sigv4": []} in post["security"] and {"api_key": []} in post["security"]
    assert post["x-amazon-apigateway-request-validator"] == "all"
    any_method = first["paths"]["/pets/{id}"]["x-amazon-apigateway-any-method"]
    assert any_method["security"] == [{"tok": []}]
    assert first["components"]["securitySchemes"]["tok"]["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert first["x-amazon-apigateway-gateway-responses"]["UNAUTHORIZED"]["statusCode"] == "401"
    plain = apigw.get_export(restApiId=api_id, stageName="prod", exportType="oas30")["body"].read()
    assert "x-amazon-apigateway-integration" not in plain.decode()

    swagger = _export(apigw, api_id, "swagger", "application/yaml")
    assert swagger["swagger"] == "2.0" and swagger["basePath"] == "/prod" and "Pet" in swagger["definitions"]

    imported = apigw.import_rest_api(
        body=json.dumps(first).encode(), parameters={"endpointConfigurationTypes": "REGIONAL"}
    )
    assert imported["name"] == first["info"]["title"] and imported["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert imported["binaryMediaTypes"] == ["image/png"]
    apigw.create_deployment(restApiId=imported["id"], stageName="prod")
    again = _export(apigw, imported["id"])
    assert again["paths"] == first["paths"]
    assert again["components"] == first["components"]
    assert again["x-amazon-apigateway-request-validators"] == first["x-amazon-apigateway-request-validators"]

    from_yaml = apigw.import_rest_api(body=yaml.safe_dump(swagger).encode())
    apigw.create_deployment(restApiId=from_yaml["id"], stageName="prod")
    assert _export(apigw, from_yaml["id"], "swagger", "application/yaml")["paths"] == swagger["paths"]


def test_put_rest_api_merge_and_overwrite(apigw: Any) -> None:
    api_id = _build(apigw)
    toys = {
        "openapi": "3.0.1",
        "info": {"title": "toys", "version": "2"},
        "paths": {
            "/toys": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": {
                        "type": "mock",
                        "responses": {"default": {"statusCode": "200"}},
                    },
                }
            }
        },
    }
    merged = apigw.put_rest_api(restApiId=api_id, mode="merge", body=json.dumps(toys).encode())
    assert merged["name"] == "toys"
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert {"/pets", "/pets/{id}", "/toys"} <= paths
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(toys).encode())
    paths = {r["path"] for r in apigw.get_resources(restApiId=api_id)["items"]}
    assert paths == {"/", "/toys"}
    assert apigw.get_authorizers(restApiId=api_id)["items"] == []


def test_export_import_errors(apigw: Any) -> None:
    api_id = _build(apigw)
    code, message, _ = _error(lambda: apigw.get_export(restApiId=api_id, stageName="nope", exportType="oas30"))
    assert (code, message) == ("NotFoundException", "Invalid Stage identifier specified")
    code, _, _ = _error(lambda: apigw.get_export(restApiId=api_id, stageName="prod", exportType="raml"))
    assert code == "BadRequestException"
    deep = b"[" * 5_000 + b"]" * 5_000  # JSON and YAML alike, nested past either parser
    for body in (b"not a definition", json.dumps({"openapi": "3.0.1", "paths": {}}).encode(), deep):
        code, message, _ = _error(lambda body=body: apigw.import_rest_api(body=body))
        assert code == "BadRequestException" and message.startswith("Invalid OpenAPI input"), message
    broken = {
        "openapi": "3.0.1",
        "info": {"title": "broken"},
        "paths": {"/x": {"get": {"x-amazon-apigateway-integration": {"type": "http", "uri": "https://e.example"}}}},
    }
    code, message, _ = _error(lambda: apigw.import_rest_api(body=json.dumps(broken).encode()))
    assert (code, message) == ("BadRequestException", "Enumeration value for HttpMethod must be non-empty")
    assert "broken" not in {a["name"] for a in apigw.get_rest_apis(limit=500)["items"]}
    code, _, _ = _error(lambda: apigw.put_rest_api(restApiId=api_id, mode="replace", body=b"{}"))
    assert code == "ValidationException"  # the model's enum, checked before the call as AWS does


def test_arbitrary_patches_and_definitions_answer_4xx(server: ServerProcess, apigw: Any) -> None:
    """Every Update* call, given paths and values it does not take, answers a client error, never a fault."""
    api_id = _build(apigw)
    resource = next(r for r in apigw.get_resources(restApiId=api_id)["items"] if r["path"] == "/pets")["id"]
    key = apigw.create_api_key(name=unique("k"))["id"]
    plan = apigw.create_usage_plan(name=unique("p"))["id"]
    targets: list[tuple[str, dict[str, Any]]] = [
        ("update_rest_api", {"restApiId": api_id}),
        ("update_resource", {"restApiId": api_id, "resourceId": resource}),
        ("update_method", {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}),
        (
            "update_method_response",
            {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET", "statusCode": "200"},
        ),
        ("update_integration", {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET"}),
        (
            "update_integration_response",
            {"restApiId": api_id, "resourceId": resource, "httpMethod": "GET", "statusCode": "200"},
        ),
        ("update_stage", {"restApiId": api_id, "stageName": "prod"}),
        ("update_gateway_response", {"restApiId": api_id, "responseType": "THROTTLED"}),
        ("update_model", {"restApiId": api_id, "modelName": "Pet"}),
        ("update_api_key", {"apiKey": key}),
        ("update_usage_plan", {"usagePlanId": plan}),
        ("update_account", {}),
    ]
    patches = [
        {"op": "replace", "path": "/"},
        {"op": "add", "path": "/requestParameters/"},
        {"op": "remove", "path": "/name"},
        {"op": "replace", "path": "/timeoutInMillis", "value": "ten"},
        {"op": "move", "path": "/description", "from": "/name"},
        {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "fast"},
        {"op": "replace", "path": "/throttle/burstLimit", "value": "-1"},
        {"op": "add", "path": "/binaryMediaTypes/x", "value": ""},
    ]
    for method, kwargs in targets:
        for operation in patches:
            try:
                getattr(apigw, method)(patchOperations=[operation], **kwargs)
            except apigw.exceptions.ClientError as exc:
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                assert 400 <= status < 500, (method, operation, exc.response["Error"])
    for body in (
        b"[]",
        b'{"openapi": "3", "info": {"title": "t"}, "paths": {"/a": {"get": {"responses": []}}}}',
        b"openapi: [1",
    ):
        try:
            apigw.import_rest_api(body=body)
        except apigw.exceptions.ClientError as exc:
            assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 400, body
