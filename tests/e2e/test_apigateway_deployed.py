"""The data plane's read API (services/apigateway/deployed.py) over what boto3 configured: a stage's snapshot, its
settings and variables, domain routing, API keys by value and the usage plans of a stage."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from strongroom.core.config import Config
from strongroom.services.apigateway import deployed
from strongroom.store.engine import Store
from tests.e2e.apigateway_support import unique
from tests.support.server import ServerProcess


@pytest.fixture
def store(server: ServerProcess) -> Iterator[Store]:
    config = Config(data_dir=server.data_dir, database_url=server.database_url)
    opened = Store(config.effective_database_url())
    try:
        yield opened
    finally:
        opened.dispose()


def _mock_get(apigw: Any, api_id: str, resource_id: str) -> None:
    apigw.put_method(
        restApiId=api_id, resourceId=resource_id, httpMethod="GET", authorizationType="NONE", apiKeyRequired=True
    )
    apigw.put_integration(restApiId=api_id, resourceId=resource_id, httpMethod="GET", type="MOCK")
    apigw.put_method_response(restApiId=api_id, resourceId=resource_id, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
    )


def test_a_stage_reads_its_deployment_snapshot(server: ServerProcess, store: Store) -> None:
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique("dp"), endpointConfiguration={"types": ["REGIONAL"]})
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")["id"]
    _mock_get(apigw, api["id"], pets)
    apigw.put_gateway_response(restApiId=api["id"], responseType="THROTTLED", statusCode="503")
    apigw.create_deployment(restApiId=api["id"], stageName="prod", variables={"color": "blue"})
    apigw.update_stage(
        restApiId=api["id"],
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/~1pets/GET/throttling/rateLimit", "value": "5"},
        ],
    )
    # Changed after the deployment: not served until the next one.
    apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="later")

    stage = deployed.load_stage(store, api["id"], "prod")
    assert stage is not None
    assert stage.api.endpoint_types == ("REGIONAL",) and stage.variables == {"color": "blue"}
    assert [r["path"] for r in stage.resources()] == ["/", "/pets"]
    method = stage.resources()[1]["resourceMethods"]["GET"]
    assert method["apiKeyRequired"] is True and method["methodIntegration"]["type"] == "MOCK"
    assert method["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"ok": true}'
    }
    assert stage.snapshot["gatewayResponses"][0]["statusCode"] == "503"
    assert stage.method_setting("/pets", "GET")["throttlingRateLimit"] == 5.0
    assert stage.method_setting("/other", "POST")["throttlingRateLimit"] == 100.0
    assert deployed.load_stage(store, api["id"], "nope") is None
    found = deployed.find_api(store, api["id"])
    assert found is not None and found.name == api["name"] and not found.disable_execute_api_endpoint
    assert deployed.find_api(store, "nope000000") is None


def test_domains_keys_and_plans(server: ServerProcess, store: Store) -> None:
    apigw = server.client("apigateway")
    api = apigw.create_rest_api(name=unique("dp"))
    _mock_get(apigw, api["id"], api["rootResourceId"])
    apigw.create_deployment(restApiId=api["id"], stageName="prod")
    key = apigw.create_api_key(name=unique("k"), enabled=True)
    plan = apigw.create_usage_plan(
        name=unique("p"),
        throttle={"burstLimit": 10, "rateLimit": 2.0},
        quota={"limit": 100, "period": "DAY"},
        apiStages=[{"apiId": api["id"], "stage": "prod", "throttle": {"//GET": {"rateLimit": 1.0}}}],
    )
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")

    record = deployed.find_api_key(store, key["value"], api_id_account(apigw, api["id"]), "us-east-1")
    assert record is not None and record.id == key["id"] and record.enabled and record.usage_plan_ids == (plan["id"],)
    assert deployed.find_api_key(store, key["value"] + "x", record.account_id, "us-east-1") is None
    plans = deployed.stage_usage_plans(store, api["id"], "prod")
    assert [(p.id, p.key_ids, p.quota["limit"]) for p in plans if p.quota] == [(plan["id"], (key["id"],), 100)]
    assert plans[0].method_throttle == {"//GET": {"rateLimit": 1.0}}
    assert deployed.stage_usage_plans(store, api["id"], "other") == []

    route = deployed.DomainRoute(
        name="api.example",
        account_id=record.account_id,
        region="us-east-1",
        doc={},
        mappings=(deployed.Mapping("(none)", "a", "prod"), deployed.Mapping("v1", "b", None)),
    )
    assert route.match("/v1/pets") == (deployed.Mapping("v1", "b", None), "/pets")
    assert route.match("/v1") == (deployed.Mapping("v1", "b", None), "/")
    assert route.match("/v10/x") == (deployed.Mapping("(none)", "a", "prod"), "/v10/x")
    assert deployed.find_domain(store, "us-east-1", "no-such.example") is None


def api_id_account(apigw: Any, api_id: str) -> str:
    """The account of the API (its NotFound message names it)."""
    try:
        apigw.get_rest_api(restApiId="zzzzzzzzzz")
    except apigw.exceptions.NotFoundException as exc:
        return str(exc.response["Error"]["Message"]).rsplit(" ", 1)[1].split(":")[0]
    raise AssertionError("expected NotFound")
