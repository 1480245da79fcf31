"""Deployed REST APIs in front of Lambda: AWS_PROXY (headers, multi-value headers, base64 bodies, malformed answers,
the function's resource policy) and Lambda TOKEN authorizers (allow, deny, 401s, configuration errors, caching)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.apigateway_invoke_support import Backend, as_json, deploy, invoke, method, resource, upstream
from tests.e2e.apigateway_support import make_api
from tests.e2e.test_lambda_functions import create, make_role
from tests.support.server import ServerProcess

__all__ = ["upstream"]

PROXY_FN = """
import base64, json
def handler(event, context):
    path = event["path"]
    if path == "/malformed":
        return {"statusCode": 200, "unexpected": 1}
    if path == "/raise":
        raise ValueError("boom")
    if path == "/binary":
        return {"statusCode": 200, "headers": {"Content-Type": "application/octet-stream"},
                "body": base64.b64encode(b"\\x89PNG\\x00\\x01").decode(), "isBase64Encoded": True}
    return {
        "statusCode": 201,
        "headers": {"X-Single": "s", "X-Both": "single"},
        "multiValueHeaders": {"X-Multi": ["a", "b"], "X-Both": ["multi"]},
        "body": json.dumps({
            "path": path,
            "resource": event["resource"],
            "params": event["pathParameters"],
            "stage": event["requestContext"]["stage"],
            "vars": event["stageVariables"],
            "query": event["multiValueQueryStringParameters"],
            "authorizer": event["requestContext"].get("authorizer"),
        }),
    }
"""

REQUEST_AUTHORIZER_FN = """
def handler(event, context):
    headers = {k.lower(): v for k, v in event["headers"].items()}
    allowed = headers.get("x-team") == "red" and event["queryStringParameters"].get("v") == "1"
    effect = "Allow" if allowed else "Deny"
    return {
        "principalId": "team-" + headers.get("x-team", ""),
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
        "context": {"path": event["path"], "type": event["type"]},
    }
"""

NON_PROXY_FN = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("Bad input: " + event["fail"])
    return {"greeting": "hello " + event["name"]}
"""

AUTHORIZER_FN = """
import os, urllib.request
def handler(event, context):
    urllib.request.urlopen(os.environ["COUNT_URL"]).read()
    token = event["authorizationToken"]
    if token == "unauth":
        raise Exception("Unauthorized")
    if token == "garbage":
        return {"nope": 1}
    effect = "Allow" if token.startswith("allow") else "Deny"
    return {
        "principalId": "user-" + token,
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"].split("/")[0] + "/*"}]},
        "context": {"user": "alice", "n": 7},
    }
"""


@pytest.fixture(scope="module")
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


@pytest.fixture(scope="module")
def account(server: ServerProcess) -> str:
    return str(server.client("sts").get_caller_identity()["Account"])


@pytest.fixture(scope="module")
def role(server: ServerProcess) -> str:
    return make_role(server)


def lambda_uri(function_arn: str) -> str:
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{function_arn}/invocations"


def allow_apigateway(server: ServerProcess, function: str, account: str, api_id: str) -> None:
    server.client("lambda").add_permission(
        FunctionName=function,
        StatementId="apigw",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{account}:{api_id}/*",
    )


def test_lambda_proxy(server: ServerProcess, apigw: Any, role: str, account: str) -> None:
    fn = create(server, role, PROXY_FN)
    api = make_api(apigw)
    proxy = resource(apigw, api["id"], api["rootResourceId"], "{proxy+}")
    integration = {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(fn["FunctionArn"])}
    method(apigw, api["id"], proxy, "ANY", integration=integration)
    deploy(apigw, api["id"], variables={"color": "blue"})

    # Without the function's permission for API Gateway: AWS's configuration error (500).
    refused = invoke(server, api["id"], "test", "/pets/1")
    assert (refused.status, as_json(refused)) == (500, {"message": "Internal server error"})

    allow_apigateway(server, fn["FunctionName"], account, api["id"])
    response = invoke(server, api["id"], "test", "/pets/1?tag=a&tag=b", form="host")
    assert response.status == 201, response.data
    assert as_json(response) == {
        "path": "/pets/1",
        "resource": "/{proxy+}",
        "params": {"proxy": "pets/1"},
        "stage": "test",
        "vars": {"color": "blue"},
        "query": {"tag": ["a", "b"]},
        "authorizer": None,
    }
    assert response.headers["X-Single"] == "s"
    assert response.headers.getlist("X-Multi") == ["a", "b"]
    assert response.headers.getlist("X-Both") == ["multi"]

    plain = invoke(server, api["id"], "test", "/pets/2")  # the path form reaches the same function
    assert plain.status == 201 and as_json(plain)["params"] == {"proxy": "pets/2"}

    binary = invoke(server, api["id"], "test", "/binary")
    assert binary.status == 200 and binary.data == b"\x89PNG\x00\x01"
    assert binary.headers["Content-Type"] == "application/octet-stream"

    for path in ("/malformed", "/raise"):
        bad = invoke(server, api["id"], "test", path)
        assert (bad.status, as_json(bad)) == (502, {"message": "Internal server error"}), path


def test_token_authorizer(server: ServerProcess, apigw: Any, role: str, account: str, upstream: Backend) -> None:
    counter = f"auth-{uuid.uuid4().hex[:8]}"  # the module's upstream outlives one backend's run of this test
    authorizer_fn = create(
        server, role, AUTHORIZER_FN, Environment={"Variables": {"COUNT_URL": f"{upstream.url}/count/{counter}"}}
    )
    proxy_fn = create(server, role, PROXY_FN)
    api = make_api(apigw)
    authorizer = apigw.create_authorizer(
        restApiId=api["id"],
        name="tokens",
        type="TOKEN",
        authorizerUri=lambda_uri(authorizer_fn["FunctionArn"]),
        identitySource="method.request.header.Authorization",
        identityValidationExpression="^[a-z0-9]+$",
        authorizerResultTtlInSeconds=300,
    )
    for fn in (authorizer_fn, proxy_fn):
        allow_apigateway(server, fn["FunctionName"], account, api["id"])
    guarded = {"authorizationType": "CUSTOM", "authorizerId": authorizer["id"]}
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    template = '{"principal": "$context.authorizer.principalId", "user": "$context.authorizer.user"}'
    method(
        apigw,
        api["id"],
        pets,
        integration={"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}},
        responses={"200": {"selectionPattern": "", "responseTemplates": {"application/json": template}}},
        **guarded,
    )
    fn_resource = resource(apigw, api["id"], api["rootResourceId"], "fn")
    integration = {"type": "AWS_PROXY", "integrationHttpMethod": "POST", "uri": lambda_uri(proxy_fn["FunctionArn"])}
    method(apigw, api["id"], fn_resource, integration=integration, **guarded)
    deploy(apigw, api["id"])

    def call(path: str, token: str | None) -> Any:
        headers = {"Authorization": token} if token is not None else {}
        return invoke(server, api["id"], "test", path, headers=headers)

    first = call("/pets", "allow1")
    assert (first.status, as_json(first)) == (200, {"principal": "user-allow1", "user": "alice"})
    assert call("/pets", "allow1").status == 200
    assert upstream.counts[counter] == 1  # the second answer came from the cache (its policy covers every method)
    proxied = call("/fn", "allow1")
    assert as_json(proxied)["authorizer"] == {"principalId": "user-allow1", "user": "alice", "n": 7}
    assert upstream.counts[counter] == 1

    denied = call("/pets", "deny")
    assert (denied.status, as_json(denied)) == (
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
    )
    unauthorized = {"message": "Unauthorized"}
    for token in (None, "Not-Valid!", "unauth"):
        answer = call("/pets", token)
        assert (answer.status, as_json(answer)) == (401, unauthorized), token
    broken = call("/pets", "garbage")
    assert (broken.status, as_json(broken)) == (500, {"message": None})
    assert broken.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert upstream.counts[counter] == 4  # deny, unauth, garbage: the invalid and missing tokens never invoked it


def test_request_authorizer_and_non_proxy_lambda(server: ServerProcess, apigw: Any, role: str, account: str) -> None:
    authorizer_fn = create(server, role, REQUEST_AUTHORIZER_FN)
    backend_fn = create(server, role, NON_PROXY_FN)
    api = make_api(apigw)
    authorizer = apigw.create_authorizer(
        restApiId=api["id"],
        name="requests",
        type="REQUEST",
        authorizerUri=lambda_uri(authorizer_fn["FunctionArn"]),
        identitySource="method.request.header.X-Team, method.request.querystring.v",
        authorizerResultTtlInSeconds=0,
    )
    for fn in (authorizer_fn, backend_fn):
        allow_apigateway(server, fn["FunctionName"], account, api["id"])
    hello = resource(apigw, api["id"], api["rootResourceId"], "hello")
    method(
        apigw,
        api["id"],
        hello,
        "POST",
        authorizationType="CUSTOM",
        authorizerId=authorizer["id"],
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": lambda_uri(backend_fn["FunctionArn"]),
            "requestTemplates": {
                "application/json": '{"name": $input.json(\'$.name\'), "fail": "$!input.path(\'$.fail\')"}'
            },
        },
        responses={
            "200": {
                "selectionPattern": "",
                "responseTemplates": {
                    "application/json": '{"said": $input.json(\'$.greeting\'), "by": "$context.authorizer.principalId"}'
                },
            },
            "400": {
                "selectionPattern": "Bad input: .*",
                "responseTemplates": {"application/json": "{\"error\": $input.json('$.errorMessage')}"},
            },
        },
    )
    deploy(apigw, api["id"])

    def call(body: bytes, team: str | None = "red", version: str = "1") -> Any:
        headers = {"Content-Type": "application/json", **({"X-Team": team} if team else {})}
        return invoke(server, api["id"], "test", f"/hello?v={version}", "POST", headers=headers, body=body)

    ok = call(b'{"name": "rex"}')
    assert (ok.status, as_json(ok)) == (200, {"said": "hello rex", "by": "team-red"})
    failed = call(b'{"name": "rex", "fail": "no name"}')
    assert (failed.status, as_json(failed)) == (400, {"error": "Bad input: no name"})
    assert call(b"{}", team="blue").status == 403
    assert call(b"{}", team=None).status == 401  # an identity source missing: not invoked
