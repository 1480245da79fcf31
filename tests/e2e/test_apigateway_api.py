"""API Gateway REST APIs, end to end with boto3: REST APIs, resources, methods, integrations, deployments, stages,
authorizers, request validators, models and gateway responses (happy paths, AWS's errors, pages, patches)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.e2e.apigateway_support import LAMBDA_URI, deployable, make_api, unique
from tests.support.errors import error_of_call as _error
from tests.support.server import ServerProcess

ID = re.compile(r"^[a-z0-9]{10}$")


@pytest.fixture
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


def _patch(*ops: tuple[str, str, Any]) -> list[dict[str, Any]]:
    return [{"op": op, "path": path, **({"value": value} if value is not None else {})} for op, path, value in ops]


def test_rest_api_lifecycle(apigw: Any) -> None:
    created = apigw.create_rest_api(
        name="pets",
        description="the pet store",
        version="1.0",
        binaryMediaTypes=["image/png"],
        minimumCompressionSize=1024,
        apiKeySource="AUTHORIZER",
        endpointConfiguration={"types": ["REGIONAL"]},
        policy=json.dumps({"Version": "2012-10-17", "Statement": []}),
        tags={"team": "a"},
    )
    assert ID.match(created["id"]) and ID.match(created["rootResourceId"])
    assert created["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert created["apiKeySource"] == "AUTHORIZER" and created["tags"] == {"team": "a"}
    assert created["disableExecuteApiEndpoint"] is False and created["createdDate"]
    got = apigw.get_rest_api(restApiId=created["id"])
    assert {k: got[k] for k in ("name", "description", "version", "binaryMediaTypes", "minimumCompressionSize")} == {
        "name": "pets",
        "description": "the pet store",
        "version": "1.0",
        "binaryMediaTypes": ["image/png"],
        "minimumCompressionSize": 1024,
    }
    default = apigw.create_rest_api(name="plain")
    assert default["endpointConfiguration"]["types"] == ["EDGE"] and default["apiKeySource"] == "HEADER"
    assert "tags" not in default and "description" not in default
    resources = apigw.get_resources(restApiId=created["id"])["items"]
    assert resources == [{"id": created["rootResourceId"], "path": "/"}]
    models = {m["name"] for m in apigw.get_models(restApiId=created["id"])["items"]}
    assert models == {"Empty", "Error"}

    updated = apigw.update_rest_api(
        restApiId=created["id"],
        patchOperations=_patch(
            ("replace", "/name", "pets2"),
            ("add", "/binaryMediaTypes/image~1jpeg", None),
            ("remove", "/binaryMediaTypes/image~1png", None),
            ("replace", "/minimumCompressionSize", "0"),
            ("replace", "/endpointConfiguration/types/REGIONAL", "EDGE"),
            ("replace", "/disableExecuteApiEndpoint", "true"),
        ),
    )
    assert updated["name"] == "pets2" and updated["binaryMediaTypes"] == ["image/jpeg"]
    assert updated["minimumCompressionSize"] == 0 and updated["endpointConfiguration"]["types"] == ["EDGE"]
    assert updated["disableExecuteApiEndpoint"] is True

    apigw.delete_rest_api(restApiId=created["id"])
    code, message, status = _error(lambda: apigw.get_rest_api(restApiId=created["id"]))
    assert (code, status) == ("NotFoundException", 404)
    assert re.match(r"^Invalid API identifier specified \d{12}:" + created["id"] + "$", message)


def test_rest_api_validation(apigw: Any) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"description": ""}, "Description cannot be an empty string"),
        ({"minimumCompressionSize": 10485761}, "Invalid minimum compression size, must be between 0 and 10485760"),
        ({"policy": "{not json"}, "Invalid policy document."),
        (
            {"endpointConfiguration": {"types": ["EDGE", "REGIONAL"]}},
            "Cannot create an api with multiple Endpoint Types.",
        ),
        ({"endpointConfiguration": {"types": ["REGIONAL"], "vpcEndpointIds": ["vpce-1"]}}, "VPC endpoint IDs"),
    ]
    for kwargs, expected in cases:
        code, message, status = _error(lambda kwargs=kwargs: apigw.create_rest_api(name=unique("bad"), **kwargs))
        assert (code, status) == ("BadRequestException", 400), kwargs
        assert message.startswith(expected), message
    api = make_api(apigw)
    code, message, _ = _error(
        lambda: apigw.update_rest_api(restApiId=api["id"], patchOperations=_patch(("replace", "/nope", "x")))
    )
    assert code == "BadRequestException"
    assert message.startswith("Invalid patch path  '/nope' specified for op 'replace'. Must be one of: [")
    code, message, _ = _error(
        lambda: apigw.update_rest_api(restApiId=api["id"], patchOperations=_patch(("add", "/name", "x")))
    )
    assert message == "Invalid patch path  '/name' specified for op 'add'. Please choose supported operations"
    code, message, _ = _error(
        lambda: apigw.update_rest_api(
            restApiId=api["id"], patchOperations=_patch(("replace", "/apiKeySource", "QUERY"))
        )
    )
    assert code == "BadRequestException" and "HEADER,AUTHORIZER" in message


def test_rest_api_pages(apigw: Any) -> None:
    made = {make_api(apigw)["id"] for _ in range(5)}
    seen: list[str] = []
    page = apigw.get_rest_apis(limit=2)
    while True:
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        if "position" not in page:
            break
        page = apigw.get_rest_apis(limit=2, position=page["position"])
    assert made <= set(seen) and len(seen) == len(set(seen))
    paginated = [
        i["id"]
        for p in apigw.get_paginator("get_rest_apis").paginate(PaginationConfig={"PageSize": 3})
        for i in p["items"]
    ]
    assert set(paginated) == set(seen)
    code, _, _ = _error(lambda: apigw.get_rest_apis(position="garbage!"))
    assert code == "BadRequestException"


def test_resources_tree(apigw: Any) -> None:
    api = make_api(apigw)
    root = api["rootResourceId"]
    users = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="users")
    assert users["path"] == "/users" and users["parentId"] == root and users["pathPart"] == "users"
    user = apigw.create_resource(restApiId=api["id"], parentId=users["id"], pathPart="{id}")
    assert user["path"] == "/users/{id}"
    proxy = apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="{proxy+}")

    code, message, status = _error(lambda: apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="users"))
    assert (code, status, message) == (
        "ConflictException",
        409,
        "Another resource with the same parent already has this name: users",
    )
    code, message, _ = _error(lambda: apigw.create_resource(restApiId=api["id"], parentId=proxy["id"], pathPart="x"))
    assert (code, message) == (
        "BadRequestException",
        "Cannot create a child of a resource with a greedy path variable: {proxy+}",
    )
    code, message, _ = _error(
        lambda: apigw.create_resource(restApiId=api["id"], parentId=users["id"], pathPart="{name}")
    )
    assert code == "BadRequestException" and message.startswith(
        "A sibling ({id}) of this resource already has a variable"
    )
    code, message, _ = _error(lambda: apigw.create_resource(restApiId=api["id"], parentId=root, pathPart="a b"))
    assert code == "BadRequestException" and message.startswith("Resource's path part only allow a-zA-Z0-9._-")
    code, message, _ = _error(lambda: apigw.create_resource(restApiId=api["id"], parentId="nope000000", pathPart="x"))
    assert (code, message) == ("NotFoundException", "Invalid Resource identifier specified")

    moved = apigw.update_resource(
        restApiId=api["id"], resourceId=users["id"], patchOperations=_patch(("replace", "/pathPart", "people"))
    )
    assert moved["path"] == "/people"
    assert apigw.get_resource(restApiId=api["id"], resourceId=user["id"])["path"] == "/people/{id}"
    code, message, _ = _error(
        lambda: apigw.update_resource(
            restApiId=api["id"], resourceId=users["id"], patchOperations=_patch(("replace", "/parentId", user["id"]))
        )
    )
    assert (code, message) == ("BadRequestException", "Resources cannot be cyclical.")
    code, message, _ = _error(
        lambda: apigw.update_resource(
            restApiId=api["id"], resourceId=users["id"], patchOperations=_patch(("replace", "/path", "/x"))
        )
    )
    assert message == "Invalid patch path  '/path' specified for op 'replace'. Must be one of: [/parentId, /pathPart]"

    pages = apigw.get_resources(restApiId=api["id"], limit=2)
    assert len(pages["items"]) == 2 and "position" in pages
    apigw.delete_resource(restApiId=api["id"], resourceId=users["id"])
    left = {r["path"] for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert left == {"/", "/{proxy+}"}  # the child went with its parent
    code, message, _ = _error(lambda: apigw.get_resource(restApiId=api["id"], resourceId=user["id"]))
    assert (code, message) == ("NotFoundException", "Invalid Resource identifier specified")


def test_methods_and_integrations(apigw: Any) -> None:
    api = make_api(apigw)
    api_id = api["id"]
    res = apigw.create_resource(restApiId=api_id, parentId=api["rootResourceId"], pathPart="items")["id"]
    validator = apigw.create_request_validator(restApiId=api_id, name="params", validateRequestParameters=True)
    method = apigw.put_method(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        apiKeyRequired=True,
        operationName="CreateItem",
        requestParameters={"method.request.querystring.q": True, "method.request.header.X-Trace": False},
        requestModels={"application/json": "Empty"},
        requestValidatorId=validator["id"],
    )
    assert method["httpMethod"] == "POST" and method["apiKeyRequired"] is True
    assert method["requestValidatorId"] == validator["id"]
    code, message, status = _error(
        lambda: apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="POST", authorizationType="NONE")
    )
    assert (code, status, message) == ("ConflictException", 409, "Method already exists for this resource")
    bad_cases: list[tuple[dict[str, Any], str, str]] = [
        ({"httpMethod": "FETCH", "authorizationType": "NONE"}, "BadRequestException", "Invalid HttpMethod specified."),
        (
            {"httpMethod": "GET", "authorizationType": "CUSTOM"},
            "BadRequestException",
            "Invalid authorizer ID specified.",
        ),
        (
            {"httpMethod": "GET", "authorizationType": "NONE", "requestParameters": {"method.request.body.x": True}},
            "BadRequestException",
            "Invalid mapping expression specified",
        ),
        (
            {"httpMethod": "GET", "authorizationType": "NONE", "requestModels": {"application/json": "Nope"}},
            "BadRequestException",
            "Invalid model identifier specified: Nope",
        ),
        (
            {"httpMethod": "GET", "authorizationType": "NONE", "requestValidatorId": "zzzzzz"},
            "BadRequestException",
            "Invalid Request Validator identifier specified",
        ),
    ]
    for kwargs, code_wanted, text in bad_cases:
        code, message, _ = _error(lambda kwargs=kwargs: apigw.put_method(restApiId=api_id, resourceId=res, **kwargs))
        assert code == code_wanted and message.startswith(text), (kwargs, message)

    updated = apigw.update_method(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        patchOperations=_patch(
            ("replace", "/apiKeyRequired", "false"),
            ("add", "/requestParameters/method.request.path.id", "true"),
            ("remove", "/requestParameters/method.request.header.X-Trace", None),
            ("replace", "/operationName", "Make"),
        ),
    )
    assert updated["apiKeyRequired"] is False and updated["operationName"] == "Make"
    assert updated["requestParameters"] == {"method.request.querystring.q": True, "method.request.path.id": True}

    response = apigw.put_method_response(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        statusCode="201",
        responseParameters={"method.response.header.Location": True},
        responseModels={"application/json": "Empty"},
    )
    assert response["statusCode"] == "201"
    code, message, _ = _error(
        lambda: apigw.put_method_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="201")
    )
    assert (code, message) == ("ConflictException", "Response already exists for this resource")
    code, message, _ = _error(
        lambda: apigw.get_method_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="500")
    )
    assert (code, message) == ("NotFoundException", "Invalid Response status code specified")

    code, message, _ = _error(lambda: apigw.get_integration(restApiId=api_id, resourceId=res, httpMethod="POST"))
    assert (code, message) == ("NotFoundException", "Invalid Integration identifier specified")
    integration_errors: list[tuple[dict[str, Any], str]] = [
        ({"type": "HTTP", "uri": "https://example.com"}, "Enumeration value for HttpMethod must be non-empty"),
        ({"type": "HTTP", "integrationHttpMethod": "GET", "uri": "ftp:/x"}, "Invalid HTTP endpoint specified for URI"),
        (
            {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": "https://example.com"},
            "Integrations of type 'AWS_PROXY' currently only supports Lambda function",
        ),
        (
            {"type": "AWS", "integrationHttpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:s3"},
            "AWS ARN for integration must contain path or action",
        ),
        (
            {"type": "MOCK", "timeoutInMillis": 30000},
            "Timeout should be between 50 ms and 29000 ms",
        ),
    ]
    for kwargs, text in integration_errors:
        code, message, _ = _error(
            lambda kwargs=kwargs: apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="POST", **kwargs)
        )
        assert code == "BadRequestException" and message.startswith(text), (kwargs, message)

    integration = apigw.put_integration(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=LAMBDA_URI,
        credentials="arn:aws:iam::123456789012:role/apigw",
        cacheKeyParameters=["method.request.querystring.q"],
    )
    assert integration["timeoutInMillis"] == 29000 and integration["passthroughBehavior"] == "WHEN_NO_MATCH"
    assert integration["uri"] == LAMBDA_URI and integration["cacheNamespace"] == res
    code, message, _ = _error(
        lambda: apigw.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="404")
    )
    assert (code, message) == ("NotFoundException", "Invalid Response status code specified")
    ir = apigw.put_integration_response(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        statusCode="201",
        selectionPattern="",
        responseTemplates={"application/json": "$input.body"},
    )
    assert ir["selectionPattern"] == "" and ir["responseTemplates"] == {"application/json": "$input.body"}
    changed = apigw.update_integration(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        patchOperations=_patch(("replace", "/timeoutInMillis", "5000"), ("add", "/requestTemplates/text~1plain", "x")),
    )
    assert changed["timeoutInMillis"] == 5000 and changed["requestTemplates"] == {"text/plain": "x"}
    code, message, _ = _error(
        lambda: apigw.update_integration(
            restApiId=api_id,
            resourceId=res,
            httpMethod="POST",
            patchOperations=_patch(("replace", "/timeoutInMillis", "10")),
        )
    )
    assert message == "Timeout should be between 50 ms and 29000 ms"
    apigw.update_integration_response(
        restApiId=api_id,
        resourceId=res,
        httpMethod="POST",
        statusCode="201",
        patchOperations=_patch(("replace", "/selectionPattern", "2\\d{2}")),
    )
    full = apigw.get_method(restApiId=api_id, resourceId=res, httpMethod="POST")
    assert full["methodResponses"]["201"]["statusCode"] == "201"
    assert full["methodIntegration"]["integrationResponses"]["201"]["selectionPattern"] == "2\\d{2}"
    embedded = apigw.get_resource(restApiId=api_id, resourceId=res, embed=["methods"])
    assert embedded["resourceMethods"]["POST"]["methodIntegration"]["type"] == "AWS_PROXY"

    apigw.delete_integration_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="201")
    apigw.delete_integration(restApiId=api_id, resourceId=res, httpMethod="POST")
    apigw.delete_method_response(restApiId=api_id, resourceId=res, httpMethod="POST", statusCode="201")
    apigw.delete_method(restApiId=api_id, resourceId=res, httpMethod="POST")
    code, message, _ = _error(lambda: apigw.get_method(restApiId=api_id, resourceId=res, httpMethod="POST"))
    assert (code, message) == ("NotFoundException", "Invalid Method identifier specified")


def test_deployments_and_stages(apigw: Any) -> None:
    api_id, _, _ = deployable(apigw)
    empty = make_api(apigw)
    code, message, _ = _error(lambda: apigw.create_deployment(restApiId=empty["id"], stageName="prod"))
    assert (code, message) == ("BadRequestException", "The REST API doesn't contain any methods")
    apigw.put_method(
        restApiId=empty["id"], resourceId=empty["rootResourceId"], httpMethod="GET", authorizationType="NONE"
    )
    code, message, _ = _error(lambda: apigw.create_deployment(restApiId=empty["id"]))
    assert (code, message) == ("BadRequestException", "No integration defined for method")

    first = apigw.create_deployment(restApiId=api_id, stageName="prod", description="v1", variables={"color": "blue"})
    assert re.match(r"^[a-z0-9]{6}$", first["id"]) and first["description"] == "v1"
    stage = apigw.get_stage(restApiId=api_id, stageName="prod")
    assert stage["deploymentId"] == first["id"] and stage["variables"] == {"color": "blue"}
    assert stage["cacheClusterStatus"] == "NOT_AVAILABLE" and stage["tracingEnabled"] is False
    summary = apigw.get_deployment(restApiId=api_id, deploymentId=first["id"], embed=["apisummary"])["apiSummary"]
    assert summary == {"/pets": {"GET": {"authorizationType": "NONE", "apiKeyRequired": False}}}

    second = apigw.create_deployment(restApiId=api_id)
    staged = apigw.create_stage(
        restApiId=api_id, stageName="dev", deploymentId=second["id"], description="dev", tags={"env": "dev"}
    )
    assert staged["tags"] == {"env": "dev"} and staged["methodSettings"] == {}
    code, message, status = _error(
        lambda: apigw.create_stage(restApiId=api_id, stageName="dev", deploymentId=second["id"])
    )
    assert (code, status, message) == ("ConflictException", 409, "Stage already exists")
    code, message, _ = _error(lambda: apigw.create_stage(restApiId=api_id, stageName="x", deploymentId="nope00"))
    assert (code, message) == ("BadRequestException", "Deployment id does not exist")
    assert [s["stageName"] for s in apigw.get_stages(restApiId=api_id)["item"]] == ["dev", "prod"]
    assert [d["id"] for d in apigw.get_deployments(restApiId=api_id)["items"]] == sorted([first["id"], second["id"]])

    updated = apigw.update_stage(
        restApiId=api_id,
        stageName="dev",
        patchOperations=_patch(
            ("replace", "/variables/backend", "https://b.example"),
            ("replace", "/*/*/throttling/rateLimit", "100"),
            ("replace", "/*/*/throttling/burstLimit", "50"),
            ("replace", "/~1pets/GET/logging/loglevel", "INFO"),
            ("replace", "/accessLogSettings/destinationArn", "arn:aws:logs:us-east-1:123456789012:log-group:gw"),
            ("replace", "/accessLogSettings/format", "$context.requestId"),
            ("replace", "/tracingEnabled", "true"),
            ("replace", "/description", "dev stage"),
            ("replace", "/deploymentId", first["id"]),
        ),
    )
    assert updated["variables"] == {"backend": "https://b.example"}
    assert updated["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert updated["methodSettings"]["*/*"]["throttlingBurstLimit"] == 50
    assert updated["methodSettings"]["pets/GET"]["loggingLevel"] == "INFO"
    assert updated["accessLogSettings"] == {
        "destinationArn": "arn:aws:logs:us-east-1:123456789012:log-group:gw",
        "format": "$context.requestId",
    }
    assert updated["tracingEnabled"] is True and updated["deploymentId"] == first["id"]
    code, message, _ = _error(
        lambda: apigw.update_stage(
            restApiId=api_id, stageName="dev", patchOperations=_patch(("replace", "/bogus", "1"))
        )
    )
    assert code == "BadRequestException" and message.startswith(
        "Invalid method setting path: /bogus. Must be one of: ["
    )
    code, message, _ = _error(
        lambda: apigw.update_stage(
            restApiId=api_id, stageName="dev", patchOperations=_patch(("replace", "/*/*/logging/loglevel", "LOUD"))
        )
    )
    assert code == "BadRequestException"
    apigw.flush_stage_cache(restApiId=api_id, stageName="dev")
    apigw.flush_stage_authorizers_cache(restApiId=api_id, stageName="dev")
    code, _, _ = _error(lambda: apigw.flush_stage_cache(restApiId=api_id, stageName="nope"))
    assert code == "NotFoundException"
    removed = apigw.update_stage(restApiId=api_id, stageName="dev", patchOperations=_patch(("remove", "/*/*", None)))
    assert "*/*" not in removed["methodSettings"]

    code, message, _ = _error(lambda: apigw.delete_deployment(restApiId=api_id, deploymentId=first["id"]))
    assert (code, message) == (
        "BadRequestException",
        "Active stages pointing to this deployment must be moved or deleted",
    )
    apigw.delete_deployment(restApiId=api_id, deploymentId=second["id"])
    apigw.delete_stage(restApiId=api_id, stageName="dev")
    code, message, _ = _error(lambda: apigw.get_stage(restApiId=api_id, stageName="dev"))
    assert (code, message) == ("NotFoundException", "Invalid Stage identifier specified")
    code, message, _ = _error(lambda: apigw.get_deployment(restApiId=api_id, deploymentId=second["id"]))
    assert (code, message) == ("NotFoundException", "Invalid Deployment identifier specified")


def test_authorizers_validators_models(apigw: Any) -> None:
    api_id, _, pets = deployable(apigw)
    token = apigw.create_authorizer(
        restApiId=api_id,
        name="tok",
        type="TOKEN",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^Bearer .+$",
    )
    assert token["authorizerResultTtlInSeconds"] == 300 and re.match(r"^[a-z0-9]{6}$", token["id"])
    request = apigw.create_authorizer(
        restApiId=api_id,
        name="req",
        type="REQUEST",
        authorizerUri=LAMBDA_URI,
        identitySource="method.request.header.X-Key,method.request.querystring.k",
        authorizerResultTtlInSeconds=0,
    )
    assert request["authorizerResultTtlInSeconds"] == 0
    cognito = apigw.create_authorizer(
        restApiId=api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"],
        identitySource="method.request.header.Authorization",
    )
    assert cognito["providerARNs"] == ["arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]
    for kwargs in (
        {"name": "x", "type": "TOKEN", "identitySource": "method.request.header.A"},
        {
            "name": "x",
            "type": "TOKEN",
            "authorizerUri": LAMBDA_URI,
            "identitySource": "method.request.header.A",
            "authorizerResultTtlInSeconds": 3601,
        },
        {"name": "x", "type": "COGNITO_USER_POOLS", "identitySource": "method.request.header.A"},
    ):
        code, _, _ = _error(lambda kwargs=kwargs: apigw.create_authorizer(restApiId=api_id, **kwargs))
        assert code == "BadRequestException", kwargs
    code, message, _ = _error(
        lambda: apigw.create_authorizer(
            restApiId=api_id,
            name="q",
            type="TOKEN",
            authorizerUri=LAMBDA_URI,
            identitySource="method.request.querystring.key",
        )
    )
    assert (code, message) == (
        "BadRequestException",
        "Invalid token source expression: method.request.querystring.key. The source must be a method request "
        "header, matching 'method.request.header.[a-zA-Z0-9._-]+'.",
    )
    assert {a["name"] for a in apigw.get_authorizers(restApiId=api_id)["items"]} == {"tok", "req", "pool"}
    changed = apigw.update_authorizer(
        restApiId=api_id,
        authorizerId=token["id"],
        patchOperations=_patch(("replace", "/authorizerResultTtlInSeconds", "60")),
    )
    assert changed["authorizerResultTtlInSeconds"] == 60
    apigw.update_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        patchOperations=_patch(("replace", "/authorizationType", "CUSTOM"), ("replace", "/authorizerId", token["id"])),
    )
    code, message, _ = _error(lambda: apigw.delete_authorizer(restApiId=api_id, authorizerId=token["id"]))
    assert code == "ConflictException" and "/pets/GET" in message
    apigw.delete_authorizer(restApiId=api_id, authorizerId=request["id"])
    code, message, _ = _error(lambda: apigw.get_authorizer(restApiId=api_id, authorizerId=request["id"]))
    assert (code, message) == ("NotFoundException", "Invalid Authorizer identifier specified")

    validator = apigw.create_request_validator(restApiId=api_id, name="body")
    assert validator["validateRequestBody"] is False and validator["validateRequestParameters"] is False
    updated = apigw.update_request_validator(
        restApiId=api_id,
        requestValidatorId=validator["id"],
        patchOperations=_patch(("replace", "/validateRequestBody", "true")),
    )
    assert updated["validateRequestBody"] is True
    code, message, _ = _error(
        lambda: apigw.update_request_validator(
            restApiId=api_id, requestValidatorId=validator["id"], patchOperations=_patch(("replace", "/x", "1"))
        )
    )
    assert message == (
        "Invalid patch path  '/x' specified for op 'replace'. Must be one of: "
        "[/name, /validateRequestParameters, /validateRequestBody]"
    )
    apigw.delete_request_validator(restApiId=api_id, requestValidatorId=validator["id"])
    code, message, _ = _error(lambda: apigw.get_request_validator(restApiId=api_id, requestValidatorId=validator["id"]))
    assert (code, message) == ("NotFoundException", "Invalid Request Validator identifier specified")

    schema = json.dumps({"type": "object", "properties": {"name": {"type": "string"}}})
    model = apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=schema)
    assert model["schema"] == schema
    code, message, status = _error(
        lambda: apigw.create_model(restApiId=api_id, name="Pet", contentType="application/json", schema=schema)
    )
    assert (code, status, message) == ("ConflictException", 409, "Model name already exists for this REST API")
    code, message, _ = _error(lambda: apigw.create_model(restApiId=api_id, name="Bad", contentType="application/json"))
    assert (code, message) == (
        "BadRequestException",
        "Model schema must have at least 1 property or array items defined",
    )
    apigw.update_method(
        restApiId=api_id,
        resourceId=pets,
        httpMethod="GET",
        patchOperations=_patch(("add", "/requestModels/application~1json", "Pet")),
    )
    code, message, _ = _error(lambda: apigw.delete_model(restApiId=api_id, modelName="Pet"))
    assert (code, message) == (
        "ConflictException",
        "Cannot delete model 'Pet', is referenced in method request: /pets/GET",
    )
    described = apigw.update_model(
        restApiId=api_id, modelName="Pet", patchOperations=_patch(("replace", "/description", "a pet"))
    )
    assert described["description"] == "a pet"
    code, message, _ = _error(lambda: apigw.get_model(restApiId=api_id, modelName="Nope"))
    assert (code, message) == ("NotFoundException", "Invalid model name specified: Nope")


def test_gateway_responses(apigw: Any) -> None:
    api = make_api(apigw)
    every = apigw.get_gateway_responses(restApiId=api["id"])["items"]
    assert len(every) == 21 and all(r["defaultResponse"] for r in every)
    by_type = {r["responseType"]: r for r in every}
    assert by_type["RESOURCE_NOT_FOUND"]["statusCode"] == "404" and "statusCode" not in by_type["DEFAULT_4XX"]
    assert by_type["THROTTLED"]["responseTemplates"] == {"application/json": '{"message":$context.error.messageString}'}
    put = apigw.put_gateway_response(
        restApiId=api["id"],
        responseType="UNAUTHORIZED",
        statusCode="401",
        responseParameters={"gatewayresponse.header.WWW-Authenticate": "'Bearer'"},
        responseTemplates={"application/json": '{"error":"unauthorized"}'},
    )
    assert put["defaultResponse"] is False
    again = apigw.get_gateway_response(restApiId=api["id"], responseType="UNAUTHORIZED")
    assert again["responseParameters"] == {"gatewayresponse.header.WWW-Authenticate": "'Bearer'"}
    updated = apigw.update_gateway_response(
        restApiId=api["id"], responseType="THROTTLED", patchOperations=_patch(("replace", "/statusCode", "503"))
    )
    assert updated["statusCode"] == "503" and updated["defaultResponse"] is False
    apigw.delete_gateway_response(restApiId=api["id"], responseType="UNAUTHORIZED")
    assert apigw.get_gateway_response(restApiId=api["id"], responseType="UNAUTHORIZED")["defaultResponse"] is True
    code, message, _ = _error(lambda: apigw.delete_gateway_response(restApiId=api["id"], responseType="UNAUTHORIZED"))
    assert (code, message) == ("NotFoundException", "Gateway response type not defined on api")
    page = apigw.get_gateway_responses(restApiId=api["id"], limit=5)
    assert len(page["items"]) == 5 and page["position"]
