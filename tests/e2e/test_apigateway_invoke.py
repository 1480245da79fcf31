"""Deployed REST APIs answer requests: invoke URLs, HTTP/HTTP_PROXY/MOCK integrations, mapping templates, resource
policies, AWS_IAM, API keys and usage plans, custom domains, access logs, and AWS's error answers."""

from __future__ import annotations

import http.client
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tests.e2e.acm_support import wait_status
from tests.e2e.apigateway_invoke_support import (
    HTTP,
    Backend,
    as_json,
    deploy,
    invoke,
    method,
    resource,
    upstream,
)
from tests.e2e.apigateway_support import make_api, unique
from tests.e2e.pca_support import make_root
from tests.support.server import ServerProcess

__all__ = ["upstream"]  # the fixture, used by the tests below

MOCK_OK = {"type": "MOCK", "requestTemplates": {"application/json": '{"statusCode": 200}'}}


@pytest.fixture(scope="module")
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


def proxy_api(apigw: Any, upstream: Backend, **api_kwargs: Any) -> str:
    """``/{proxy+}`` ANY -> HTTP_PROXY ``BACKEND/${stageVariables.base}/{proxy}``, deployed as ``test``."""
    api = make_api(apigw, **api_kwargs)
    proxy = resource(apigw, api["id"], api["rootResourceId"], "{proxy+}")
    method(
        apigw,
        api["id"],
        proxy,
        "ANY",
        integration={
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": upstream.url + "/${stageVariables.base}/{proxy}",
        },
    )
    deploy(apigw, api["id"], variables={"base": "v1"})
    return str(api["id"])


def test_http_proxy_through_both_invoke_url_forms(server: ServerProcess, apigw: Any, upstream: Backend) -> None:
    api_id = proxy_api(apigw, upstream)
    for form in ("user", "host"):
        response = invoke(
            server,
            api_id,
            "test",
            "/pets/7?color=red&color=blue",
            "POST",
            form=form,
            body=b'{"a": 1}',
            headers={"Content-Type": "application/json", "X-Custom": "c"},
        )
        assert response.status == 200, response.data
        assert as_json(response)["path"] == "/v1/pets/7?color=red&color=blue"
        assert as_json(response)["body"] == {"a": 1}
        seen = upstream.last()
        assert seen.method == "POST" and seen.headers["x-custom"] == "c"
        assert seen.headers["host"] == f"127.0.0.1:{upstream.port}"
        assert seen.headers["x-forwarded-for"].endswith("127.0.0.1")
        assert response.headers["X-Backend"] == "yes"
        assert response.headers["x-amzn-RequestId"] and response.headers["x-amz-apigw-id"]
        assert "x-amzn-Remapped-Server" in response.headers

    # The control plane's own /restapis/... API still answers (no _user_request_).
    assert apigw.get_rest_api(restApiId=api_id)["id"] == api_id


def test_proxy_paths_cannot_climb_out_of_the_backend_base_path(
    server: ServerProcess, apigw: Any, upstream: Backend
) -> None:
    api_id = proxy_api(apigw, upstream)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    for raw in ("/a/../../secret", "/a/%2E%2E/%2e%2e/secret", "/a/..%2F..%2Fsecret"):
        conn.request("GET", f"/restapis/{api_id}/test/_user_request_{raw}")
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 200
        path = upstream.last().path
        assert path.startswith("/v1/a/") and "/../" not in path and not path.startswith("/secret"), path
    conn.close()


def test_mock_and_non_proxy_http_with_mapping_templates(server: ServerProcess, apigw: Any, upstream: Backend) -> None:
    api = make_api(apigw)
    api_id, root = api["id"], api["rootResourceId"]
    mock = resource(apigw, api_id, root, "mock")
    method(
        apigw,
        api_id,
        mock,
        integration={
            "type": "MOCK",
            "requestTemplates": {
                "application/json": "#if($input.params('fail') == 'yes'){\"statusCode\": 404}"
                '#else{"statusCode": 200}#end'
            },
        },
        responses={
            "200": {
                "selectionPattern": "",
                "responseTemplates": {"application/json": '{"stage": "$context.stage", "who": "$stageVariables.who"}'},
                "responseParameters": {"method.response.header.X-Mocked": "'true'"},
            },
            "404": {"selectionPattern": "404", "responseTemplates": {"application/json": '{"missing": true}'}},
        },
    )
    transform = resource(apigw, api_id, root, "transform")
    method(
        apigw,
        api_id,
        transform,
        "POST",
        integration={
            "type": "HTTP",
            "integrationHttpMethod": "POST",
            "uri": upstream.url + "/created/${stageVariables.who}",
            "requestTemplates": {"application/json": '{"wrapped": $input.json(\'$.name\'), "stage": "$context.stage"}'},
        },
        responses={
            "201": {
                "selectionPattern": "2\\d\\d",
                "responseTemplates": {
                    "application/json": '{"echoed": $input.json(\'$.body.wrapped\'), "path": "$input.path(\'$.path\')"}'
                },
                "responseParameters": {"method.response.header.X-From": "integration.response.header.X-Backend"},
            }
        },
    )
    deploy(apigw, api_id, variables={"who": "bob"})

    for form in ("user", "host"):
        ok = invoke(server, api_id, "test", "/mock", form=form)
        assert ok.status == 200 and as_json(ok) == {"stage": "test", "who": "bob"}, form
        assert ok.headers["X-Mocked"] == "true"
    missing = invoke(server, api_id, "test", "/mock?fail=yes")
    assert missing.status == 404 and as_json(missing) == {"missing": True}

    done = invoke(
        server,
        api_id,
        "test",
        "/transform",
        "POST",
        body=b'{"name": "rex"}',
        headers={"Content-Type": "application/json"},
    )
    assert done.status == 201, done.data
    assert as_json(done) == {"echoed": "rex", "path": "/created/bob"}
    assert done.headers["X-From"] == "yes"
    assert json.loads(upstream.last().body) == {"wrapped": "rex", "stage": "test"}


def test_negative_paths(server: ServerProcess, apigw: Any, upstream: Backend) -> None:
    api = make_api(apigw)
    slow = resource(apigw, api["id"], api["rootResourceId"], "slow")
    method(
        apigw,
        api["id"],
        slow,
        integration={
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "GET",
            "uri": upstream.url + "/slow",
            "timeoutInMillis": 300,
        },
    )
    closed = resource(apigw, api["id"], api["rootResourceId"], "closed")
    method(
        apigw,
        api["id"],
        closed,
        integration={"type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": "http://127.0.0.1:1/nothing"},
    )
    deploy(apigw, api["id"])
    refused = invoke(server, api["id"], "test", "/closed")
    assert (refused.status, as_json(refused)) == (500, {"message": "Internal server error"})
    missing = {"message": "Missing Authentication Token"}
    for api_id, stage, path in (
        ("nope123456", "test", "/slow"),
        (api["id"], "nostage", "/slow"),
        (api["id"], "test", "/nothing"),
    ):
        for form in ("user", "host"):
            response = invoke(server, api_id, stage, path, form=form)
            assert (response.status, as_json(response)) == (403, missing), (api_id, stage, path)
            assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert invoke(server, api["id"], "test", "/slow", "POST").status == 403  # no POST method

    timed_out = invoke(server, api["id"], "test", "/slow")
    assert (timed_out.status, as_json(timed_out)) == (504, {"message": "Endpoint request timed out"})

    big = invoke(server, api["id"], "test", "/slow", "POST", body=b"x" * (10 * 1024 * 1024 + 1))
    assert (big.status, as_json(big)) == (413, {"message": "Request Too Long"})
    assert big.headers["x-amzn-RequestId"] and big.headers["x-amz-apigw-id"]

    # Headers far larger than any server accepts: refused, and the server goes on serving.
    try:
        huge = invoke(server, api["id"], "test", "/slow", headers={"X-Big": "a" * 200_000})
        assert huge.status in (400, 431)
    except Exception:  # the server may close the connection instead of answering
        pass
    assert invoke(server, api["id"], "test", "/nothing").status == 403

    # An AWS API call aimed at an invoke URL is the gateway's (its answer), never an AWS operation's.
    kms_like = invoke(
        server,
        api["id"],
        "test",
        "/",
        "POST",
        body=b"{}",
        headers={"X-Amz-Target": "TrentService.ListKeys", "Content-Type": "application/x-amz-json-1.1"},
    )
    assert kms_like.status == 403 and "x-amz-apigw-id" in kms_like.headers


def _signed(server: ServerProcess, url: str, secret: str | None = None) -> dict[str, str]:
    request = AWSRequest(method="GET", url=url)
    creds = Credentials(server.access_key, secret or server.secret_key)
    SigV4Auth(creds, "execute-api", "us-east-1").add_auth(request)
    return dict(request.headers.items())


def test_aws_iam_authorization(server: ServerProcess, apigw: Any) -> None:
    api = make_api(apigw)
    secured = resource(apigw, api["id"], api["rootResourceId"], "secured")
    method(
        apigw,
        api["id"],
        secured,
        authorizationType="AWS_IAM",
        integration=MOCK_OK,
        responses={
            "200": {
                "selectionPattern": "",
                "responseTemplates": {"application/json": '{"caller": "$context.identity.userArn"}'},
            }
        },
    )
    deploy(apigw, api["id"])
    url = f"{server.endpoint}/restapis/{api['id']}/test/_user_request_/secured"
    signed = HTTP.request("GET", url, headers=_signed(server, url))
    assert signed.status == 200, signed.data
    assert as_json(signed)["caller"].endswith(":root")

    unsigned = HTTP.request("GET", url)
    assert (unsigned.status, as_json(unsigned)) == (403, {"message": "Missing Authentication Token"})
    forged = HTTP.request("GET", url, headers=_signed(server, url, secret="x" * 40))
    assert forged.status == 403
    assert as_json(forged)["message"].startswith("The request signature we calculated does not match")


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_resource_policy_denies_a_source_ip_range(server: ServerProcess, apigw: Any) -> None:
    allow = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
    deny_loopback = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:SourceIp": ["127.0.0.0/8"]}},
    }
    only_elsewhere = {**allow, "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}}}
    answers = {}
    for name, policy in (
        ("deny", _policy(allow, deny_loopback)),
        ("implicit", _policy(only_elsewhere)),
        ("allow", _policy(allow)),
    ):
        api = make_api(apigw, policy=policy)
        pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
        method(apigw, api["id"], pets, integration=MOCK_OK, responses={"200": {"selectionPattern": ""}})
        deploy(apigw, api["id"])
        answers[name] = (api["id"], invoke(server, api["id"], "test", "/pets"))
    api_id, denied = answers["deny"]
    account = server.client("sts").get_caller_identity()["Account"]
    arn = f"arn:aws:execute-api:us-east-1:{account}:{api_id}/test/GET/pets"
    assert denied.status == 403
    assert as_json(denied) == {
        "Message": f"User: anonymous is not authorized to perform: execute-api:Invoke on resource: {arn} "
        "with an explicit deny"
    }
    api_id, implicit = answers["implicit"]
    assert implicit.status == 403 and as_json(implicit)["Message"].endswith(f"{api_id}/test/GET/pets")
    assert answers["allow"][1].status == 200

    private = make_api(
        apigw,
        endpointConfiguration={"types": ["PRIVATE"]},
        policy=_policy({**allow, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1234"}}}),
    )
    pets = resource(apigw, private["id"], private["rootResourceId"], "pets")
    method(apigw, private["id"], pets, integration=MOCK_OK, responses={"200": {"selectionPattern": ""}})
    deploy(apigw, private["id"])
    assert invoke(server, private["id"], "test", "/pets").status == 403
    assert invoke(server, private["id"], "test", "/pets", headers={"x-amzn-vpce-id": "vpce-9999"}).status == 403
    assert invoke(server, private["id"], "test", "/pets", headers={"x-amzn-vpce-id": "vpce-1234"}).status == 200


def _keyed_api(apigw: Any) -> str:
    api = make_api(apigw)
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    method(
        apigw, api["id"], pets, apiKeyRequired=True, integration=MOCK_OK, responses={"200": {"selectionPattern": ""}}
    )
    deploy(apigw, api["id"])
    return str(api["id"])


def test_api_keys_usage_plan_throttle_and_quota(server: ServerProcess, apigw: Any) -> None:
    throttled_api, quota_api = _keyed_api(apigw), _keyed_api(apigw)
    key = apigw.create_api_key(name=unique("key"), enabled=True)
    throttled = apigw.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": throttled_api, "stage": "test"}],
        throttle={"burstLimit": 2, "rateLimit": 0.01},
    )
    limited = apigw.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": quota_api, "stage": "test"}],
        quota={"limit": 3, "period": "DAY"},
    )
    for plan in (throttled, limited):
        apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    disabled = apigw.create_api_key(name=unique("key"), enabled=False)
    unplanned = apigw.create_api_key(name=unique("key"), enabled=True)
    forbidden = (403, {"message": "Forbidden"})
    for headers in (
        {},
        {"x-api-key": "not-a-key-at-all-0000000000"},
        {"x-api-key": disabled["value"]},
        {"x-api-key": unplanned["value"]},
    ):
        response = invoke(server, throttled_api, "test", "/pets", headers=headers)
        assert (response.status, as_json(response)) == forbidden, headers

    good = {"x-api-key": key["value"]}
    statuses = [invoke(server, throttled_api, "test", "/pets", headers=good).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    too_many = invoke(server, throttled_api, "test", "/pets", headers=good)
    assert (too_many.status, as_json(too_many)) == (429, {"message": "Too Many Requests"})

    statuses = [invoke(server, quota_api, "test", "/pets", headers=good).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    over = invoke(server, quota_api, "test", "/pets", headers=good)
    assert (over.status, as_json(over)) == (429, {"message": "Limit Exceeded"})
    day = server.now().date()
    usage = apigw.get_usage(usagePlanId=limited["id"], startDate=str(day), endDate=str(day))["items"]
    assert list(usage) == [key["id"]] and usage[key["id"]][0][0] >= 3 and usage[key["id"]][0][1] == 0
    server.advance(24 * 3600)  # the next DAY period
    assert invoke(server, quota_api, "test", "/pets", headers=good).status == 200
    usage = apigw.get_usage(
        usagePlanId=limited["id"], keyId=key["id"], startDate=str(day), endDate=str(day + timedelta(days=1))
    )["items"]
    assert usage[key["id"]][1] == [1, 2]  # per day: [used, remaining in the quota period]
    for start, end in (("2026-13-01", "2026-12-31"), ("20260101", "2026-01-02"), ("2026-01-02", "2026-01-01")):
        with pytest.raises(ClientError) as bad:
            apigw.get_usage(usagePlanId=limited["id"], startDate=start, endDate=end)
        assert bad.value.response["Error"]["Code"] == "BadRequestException"

    # `offset` takes requests off the limit in the period the plan was created in.
    offset_api = _keyed_api(apigw)
    offset = apigw.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": offset_api, "stage": "test"}],
        quota={"limit": 3, "offset": 2, "period": "WEEK"},
    )
    apigw.create_usage_plan_key(usagePlanId=offset["id"], keyId=key["id"], keyType="API_KEY")
    statuses = [invoke(server, offset_api, "test", "/pets", headers=good).status for _ in range(2)]
    assert statuses == [200, 429]
    assert key["value"] not in server.logs()


def test_request_validation(server: ServerProcess, apigw: Any) -> None:
    api = make_api(apigw)
    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    apigw.create_model(restApiId=api["id"], name="Pet", contentType="application/json", schema=json.dumps(schema))
    validator = apigw.create_request_validator(
        restApiId=api["id"], name="all", validateRequestBody=True, validateRequestParameters=True
    )
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    method(
        apigw,
        api["id"],
        pets,
        "POST",
        integration=MOCK_OK,
        responses={"200": {"selectionPattern": ""}},
        requestValidatorId=validator["id"],
        requestModels={"application/json": "Pet"},
        requestParameters={"method.request.querystring.owner": True},
    )
    deploy(apigw, api["id"])
    json_type = {"Content-Type": "application/json"}
    missing = invoke(server, api["id"], "test", "/pets", "POST", body=b'{"name": "rex"}', headers=json_type)
    assert (missing.status, as_json(missing)) == (400, {"message": "Missing required request parameters: [owner]"})
    bad = invoke(server, api["id"], "test", "/pets?owner=me", "POST", body=b'{"name": 7}', headers=json_type)
    assert (bad.status, as_json(bad)) == (400, {"message": "Invalid request body"})
    ok = invoke(server, api["id"], "test", "/pets?owner=me", "POST", body=b'{"name": "rex"}', headers=json_type)
    assert ok.status == 200


@pytest.fixture(scope="module")
def certificate(server: ServerProcess) -> str:
    ca_arn, _ = make_root(server.client("acm-pca"))
    acm = server.client("acm")
    arn = str(acm.request_certificate(DomainName="*.invoke.example", CertificateAuthorityArn=ca_arn)["CertificateArn"])
    wait_status(acm, arn, "ISSUED")
    return arn


def test_custom_domain_base_path_mappings(
    server: ServerProcess, apigw: Any, upstream: Backend, certificate: str
) -> None:
    first, second = proxy_api(apigw, upstream), proxy_api(apigw, upstream)
    apigw.create_stage(
        restApiId=second,
        stageName="live",
        deploymentId=apigw.get_stage(restApiId=second, stageName="test")["deploymentId"],
        variables={"base": "v2"},
    )
    name = f"{unique('api')}.invoke.example"
    apigw.create_domain_name(
        domainName=name, regionalCertificateArn=certificate, endpointConfiguration={"types": ["REGIONAL"]}
    )
    apigw.create_base_path_mapping(domainName=name, restApiId=first, stage="test", basePath="one")
    apigw.create_base_path_mapping(domainName=name, restApiId=second, basePath="two")  # stage from the path
    host = {"Host": name}
    one = HTTP.request("GET", f"{server.endpoint}/one/cats/1", headers=host)
    assert one.status == 200 and as_json(one)["path"] == "/v1/cats/1"
    two = HTTP.request("GET", f"{server.endpoint}/two/live/dogs", headers=host)
    assert two.status == 200 and as_json(two)["path"] == "/v2/dogs"
    nothing = HTTP.request("GET", f"{server.endpoint}/three/x", headers=host)
    assert (nothing.status, as_json(nothing)) == (403, {"message": "Missing Authentication Token"})

    # With its execute-api endpoint disabled, an API answers only through its custom domains.
    apigw.update_rest_api(
        restApiId=first, patchOperations=[{"op": "replace", "path": "/disableExecuteApiEndpoint", "value": "true"}]
    )
    apigw.create_deployment(restApiId=first, stageName="test", variables={"base": "v1"})
    time.sleep(1.1)
    direct = invoke(server, first, "test", "/cats/1")
    assert (direct.status, as_json(direct)) == (403, {"message": "Forbidden"})
    assert HTTP.request("GET", f"{server.endpoint}/one/cats/1", headers=host).status == 200


def test_access_log_lines_reach_cloudwatch_logs(server: ServerProcess, apigw: Any, upstream: Backend) -> None:
    logs = server.client("logs")
    group = unique("/apigw/access")
    logs.create_log_group(logGroupName=group)
    account = server.client("sts").get_caller_identity()["Account"]
    api = make_api(apigw)
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    method(
        apigw, api["id"], pets, integration=MOCK_OK, responses={"200": {"selectionPattern": ""}}, apiKeyRequired=False
    )
    deploy(apigw, api["id"])
    log_format = '{"requestId":"$context.requestId","status":"$context.status","key":"$context.identity.apiKey"}'
    apigw.update_stage(
        restApiId=api["id"],
        stageName="test",
        patchOperations=[
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:us-east-1:{account}:log-group:{group}",
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": log_format},
        ],
    )
    time.sleep(1.2)  # the stage's settings are re-read at most every second
    response = invoke(server, api["id"], "test", "/pets", headers={"Authorization": "secret-token-123"})
    request_id = response.headers["x-amzn-RequestId"]
    deadline = time.monotonic() + 10
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline and not found:
        found = logs.filter_log_events(logGroupName=group, filterPattern=f'"{request_id}"').get("events", [])
        time.sleep(0.3)
    assert found, "no access log line"
    line = json.loads(found[0]["message"])
    assert line == {"requestId": request_id, "status": "200", "key": "-"}
    assert "secret-token-123" not in server.logs()


def test_redeployments_stage_throttling_and_metrics(server: ServerProcess, apigw: Any) -> None:
    api = make_api(apigw)
    pets = resource(apigw, api["id"], api["rootResourceId"], "pets")
    first = {"200": {"selectionPattern": "", "responseTemplates": {"application/json": '{"v": 1}'}}}
    method(apigw, api["id"], pets, integration=MOCK_OK, responses=first)
    deploy(apigw, api["id"])
    assert as_json(invoke(server, api["id"], "test", "/pets")) == {"v": 1}
    apigw.put_integration_response(
        restApiId=api["id"],
        resourceId=pets,
        httpMethod="GET",
        statusCode="200",
        selectionPattern="",
        responseTemplates={"application/json": '{"v": 2}'},
    )
    assert as_json(invoke(server, api["id"], "test", "/pets")) == {"v": 1}  # not deployed yet
    deploy(apigw, api["id"])
    time.sleep(1.1)  # a stage's configuration is re-read at most every second
    assert as_json(invoke(server, api["id"], "test", "/pets")) == {"v": 2}

    apigw.update_stage(
        restApiId=api["id"],
        stageName="test",
        patchOperations=[
            {"op": "replace", "path": "/~1pets/GET/throttling/burstLimit", "value": "1"},
            {"op": "replace", "path": "/~1pets/GET/throttling/rateLimit", "value": "0.01"},
        ],
    )
    time.sleep(1.1)
    statuses = [invoke(server, api["id"], "test", "/pets").status for _ in range(2)]
    assert statuses == [200, 429]

    status, metrics = server.admin("GET", "metrics")
    assert status == 200
    text = metrics.decode() if isinstance(metrics, bytes) else str(metrics)
    assert f'strongroom_apigateway_requests_total{{api="{api["id"]}",stage="test",status="429"}} 1.0' in text
