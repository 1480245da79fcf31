"""API Gateway end to end with boto3: API keys (sealed at rest), usage plans and their keys, custom domain names
with ACM certificates, base path mappings, tags, account settings, and IAM policies on API Gateway ARNs."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.core.config import Config
from strongroom.protocol.catalog import default_catalog
from strongroom.services.apigateway import deployed
from strongroom.services.apigateway.model import api_keys
from strongroom.services.apigateway.operations import OPERATIONS
from strongroom.services.registry import snake_case
from strongroom.store.engine import Store
from tests.e2e.access_support import allow, client_for, deny, make_user, second_account
from tests.e2e.acm_support import wait_status
from tests.e2e.apigateway_support import deployable, make_api, unique
from tests.e2e.pca_support import make_root
from tests.support.errors import error_of_call as _error
from tests.support.server import ServerProcess


@pytest.fixture
def apigw(server: ServerProcess) -> Any:
    return server.client("apigateway")


def _patch(*ops: tuple[str, str, Any]) -> list[dict[str, Any]]:
    return [{"op": op, "path": path, **({"value": value} if value is not None else {})} for op, path, value in ops]


def _files_containing(root: Path, needles: list[bytes]) -> list[str]:
    return [str(p) for p in root.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


def test_api_keys(server: ServerProcess, apigw: Any) -> None:
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    name = unique("key")
    generated = apigw.create_api_key(name=name, enabled=True, tags={"k": "v"})
    assert len(generated["value"]) == 40 and generated["value"].isalnum() and generated["enabled"] is True
    assert generated["tags"] == {"k": "v"} and generated["stageKeys"] == []
    secret = "my-own-api-key-value-" + generated["id"]
    chosen = apigw.create_api_key(
        name=name + "-b", value=secret, stageKeys=[{"restApiId": api_id, "stageName": "prod"}], customerId="c1"
    )
    assert chosen["value"] == secret and chosen["stageKeys"] == [f"{api_id}/prod"]
    code, message, _ = _error(lambda: apigw.create_api_key(name="dup", value=secret))
    assert (code, message) == ("ConflictException", "API Key already exists")
    code, message, _ = _error(lambda: apigw.create_api_key(name="short", value="too-short"))
    assert (code, message) == ("BadRequestException", "API Key value should be at least 20 characters")
    code, _, _ = _error(lambda: apigw.create_api_key(stageKeys=[{"restApiId": api_id, "stageName": "nope"}]))
    assert code == "BadRequestException"

    got = apigw.get_api_key(apiKey=chosen["id"])
    assert "value" not in got and got["customerId"] == "c1"
    assert apigw.get_api_key(apiKey=chosen["id"], includeValue=True)["value"] == secret
    listed = apigw.get_api_keys(nameQuery=name, includeValues=True)["items"]
    assert {k["id"] for k in listed} == {generated["id"], chosen["id"]} and all("value" in k for k in listed)
    assert all("value" not in k for k in apigw.get_api_keys(nameQuery=name)["items"])
    page = apigw.get_api_keys(nameQuery=name, limit=1)
    assert len(page["items"]) == 1 and page["position"]

    updated = apigw.update_api_key(
        apiKey=chosen["id"],
        patchOperations=_patch(
            ("replace", "/enabled", "true"), ("replace", "/description", "d"), ("remove", "/stages", f"{api_id}/prod")
        ),
    )
    assert updated["enabled"] is True and updated["description"] == "d" and updated["stageKeys"] == []
    code, message, _ = _error(
        lambda: apigw.update_api_key(apiKey=chosen["id"], patchOperations=_patch(("replace", "/value", "x")))
    )
    assert code == "BadRequestException" and message.startswith("Invalid patch path  '/value'")

    # The value is a secret: neither the database (and its WAL) nor the log nor the audit trail holds it.
    server.advance(1)
    needles = [secret.encode(), generated["value"].encode(), base64.b64encode(secret.encode())]
    assert _files_containing(server.data_dir, needles) == []
    events = server.client("cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateApiKey"}], MaxResults=50
    )["Events"]
    assert events and not any(secret in e["CloudTrailEvent"] for e in events)
    store = Store(Config(data_dir=server.data_dir, database_url=server.database_url).effective_database_url())
    try:  # on PostgreSQL the database is not in the data directory: read the rows themselves
        with store.read() as conn:
            rows = [tuple(r) for r in conn.execute(select(api_keys)).all()]
    finally:
        store.dispose()
    assert rows and not any(
        secret.encode() in (c if isinstance(c, bytes) else str(c).encode()) for r in rows for c in r
    )

    apigw.delete_api_key(apiKey=generated["id"])
    code, message, status = _error(lambda: apigw.get_api_key(apiKey=generated["id"]))
    assert (code, status, message) == ("NotFoundException", 404, "Invalid API Key identifier specified")


def test_import_api_keys(server: ServerProcess, apigw: Any) -> None:
    plan = apigw.create_usage_plan(name=unique("plan"))["id"]
    first = "imported-key-value-" + unique("a")
    second = "imported-key-value-" + unique("b")
    body = f'Name,key,description,Enabled,usageplanIds\nkey-a,{first},An imported key,TRUE,"{plan},nope00"\n'
    body += f"key-b,{second},,false,\n"
    answer = apigw.import_api_keys(body=body.encode(), format="csv")
    assert len(answer["ids"]) == 2 and answer["warnings"] == [
        "Invalid usage plan identifier specified on line 2: nope00"
    ]
    a = apigw.get_api_key(apiKey=answer["ids"][0], includeValue=True)
    assert (a["name"], a["value"], a["description"], a["enabled"]) == ("key-a", first, "An imported key", True)
    assert apigw.get_api_key(apiKey=answer["ids"][1])["enabled"] is False
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan)["items"]] == [answer["ids"][0]]
    again = apigw.import_api_keys(body=f"key,NAME\n{first},renamed\n".encode(), format="csv")
    assert again["ids"] == [answer["ids"][0]]  # the same value: the key is overwritten, not duplicated
    assert apigw.get_api_key(apiKey=answer["ids"][0])["name"] == "renamed"
    third = "imported-key-value-" + unique("c")
    code, _, _ = _error(
        lambda: apigw.import_api_keys(
            body=f"name,key,usageplanids\nc,{third},nope00\n".encode(), format="csv", failOnWarnings=True
        )
    )
    assert code == "BadRequestException"
    assert third not in {k.get("value") for k in apigw.get_api_keys(includeValues=True, limit=500)["items"]}
    # (the last: one field past the csv module's 128 KiB limit, answered as a bad file, not a 500)
    for bad in (b"name,description\nx,y\n", b"name,key\nx,short\n", b"name,key\n" + b"x" * 200_000 + b",k\n"):
        code, message, _ = _error(lambda bad=bad: apigw.import_api_keys(body=bad, format="csv"))
        assert code == "BadRequestException" and message.startswith("Invalid API key file"), message
    server.advance(1)
    assert _files_containing(server.data_dir, [first.encode(), second.encode()]) == []


def test_usage_plans(apigw: Any) -> None:
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    plan = apigw.create_usage_plan(
        name=unique("plan"),
        description="gold",
        throttle={"burstLimit": 100, "rateLimit": 50.5},
        quota={"limit": 1000, "offset": 1, "period": "WEEK"},
        apiStages=[{"apiId": api_id, "stage": "prod", "throttle": {"/pets/GET": {"burstLimit": 10, "rateLimit": 5.0}}}],
        tags={"tier": "gold"},
    )
    assert plan["throttle"] == {"burstLimit": 100, "rateLimit": 50.5} and plan["quota"]["period"] == "WEEK"
    assert plan["apiStages"][0]["throttle"]["/pets/GET"]["burstLimit"] == 10 and plan["tags"] == {"tier": "gold"}
    for kwargs in (
        {"quota": {"limit": 10, "offset": 7, "period": "WEEK"}},
        {"apiStages": [{"apiId": api_id, "stage": "nope"}]},
        {"apiStages": [{"apiId": api_id, "stage": "prod", "throttle": {"pets": {"burstLimit": 1}}}]},
    ):
        code, _, _ = _error(lambda kwargs=kwargs: apigw.create_usage_plan(name="bad", **kwargs))
        assert code in ("BadRequestException", "NotFoundException"), kwargs
    updated = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=_patch(
            ("replace", "/throttle/rateLimit", "20"),
            ("replace", "/quota/limit", "500"),
            ("remove", "/apiStages", f"{api_id}:prod"),
        ),
    )
    assert updated["throttle"]["rateLimit"] == 20.0 and updated["quota"]["limit"] == 500 and updated["apiStages"] == []
    apigw.update_usage_plan(usagePlanId=plan["id"], patchOperations=_patch(("add", "/apiStages", f"{api_id}:prod")))
    throttled = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=_patch(
            ("replace", f"/apiStages/{api_id}:prod/throttle/~1pets/GET/rateLimit", "3"),
            ("replace", f"/apiStages/{api_id}:prod/throttle/~1pets/GET/burstLimit", "6"),
        ),
    )
    assert throttled["apiStages"][0]["throttle"] == {"/pets/GET": {"rateLimit": 3.0, "burstLimit": 6}}
    cleared = apigw.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=_patch(("remove", f"/apiStages/{api_id}:prod/throttle/~1pets/GET", None)),
    )
    assert "throttle" not in cleared["apiStages"][0]

    key = apigw.create_api_key(name=unique("k"), enabled=True)
    plan_key = apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert plan_key == {"id": key["id"], "type": "API_KEY", "value": key["value"], "name": key["name"]} | {
        "ResponseMetadata": plan_key["ResponseMetadata"]
    }
    code, _, status = _error(
        lambda: apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    )
    assert (code, status) == ("ConflictException", 409)
    other = apigw.create_usage_plan(name=unique("plan"), apiStages=[{"apiId": api_id, "stage": "prod"}])
    code, message, _ = _error(
        lambda: apigw.create_usage_plan_key(usagePlanId=other["id"], keyId=key["id"], keyType="API_KEY")
    )
    assert code == "ConflictException" and "cannot reference multiple Usage Plans with the same API Stage" in message
    code, message, _ = _error(
        lambda: apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId="nope", keyType="API_KEY")
    )
    assert (code, message) == ("NotFoundException", "Invalid API Key identifier specified")
    assert [k["id"] for k in apigw.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [key["id"]]
    assert apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])["value"] == key["value"]
    assert [p["id"] for p in apigw.get_usage_plans(keyId=key["id"])["items"]] == [plan["id"]]
    usage = apigw.get_usage(usagePlanId=plan["id"], startDate="2026-01-01", endDate="2026-01-02")
    assert usage["usagePlanId"] == plan["id"] and usage["items"] == {}
    apigw.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
    code, _, _ = _error(lambda: apigw.get_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"]))
    assert code == "NotFoundException"
    apigw.delete_usage_plan(usagePlanId=plan["id"])
    code, message, _ = _error(lambda: apigw.get_usage_plan(usagePlanId=plan["id"]))
    assert (code, message) == ("NotFoundException", "Invalid Usage Plan ID specified")


@pytest.fixture(scope="module")
def issued_certificate(server: ServerProcess) -> str:
    """An ACM certificate of the first account, issued by an ACM Private CA."""
    ca_arn, _ = make_root(server.client("acm-pca"))
    acm = server.client("acm")
    arn = str(
        acm.request_certificate(DomainName="api.internal.example", CertificateAuthorityArn=ca_arn)["CertificateArn"]
    )
    wait_status(acm, arn, "ISSUED")
    return arn


def test_domain_names_and_mappings(server: ServerProcess, apigw: Any, issued_certificate: str) -> None:
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    name = f"{unique('api')}.internal.example"
    regional = apigw.create_domain_name(
        domainName=name,
        regionalCertificateArn=issued_certificate,
        endpointConfiguration={"types": ["REGIONAL"]},
        securityPolicy="TLS_1_2",
        mutualTlsAuthentication={"truststoreUri": "s3://trust-bucket/truststore.pem", "truststoreVersion": "1"},
        tags={"d": "1"},
    )
    assert regional["regionalDomainName"].startswith("d-") and regional["regionalDomainName"].endswith(
        ".execute-api.us-east-1.amazonaws.com"
    )
    assert regional["domainNameStatus"] == "AVAILABLE" and regional["regionalCertificateArn"] == issued_certificate
    assert regional["mutualTlsAuthentication"]["truststoreUri"] == "s3://trust-bucket/truststore.pem"
    edge = apigw.create_domain_name(domainName="edge-" + name, certificateArn=issued_certificate)
    assert (
        edge["distributionDomainName"].endswith(".cloudfront.net")
        and edge["distributionHostedZoneId"] == "Z2FDTNDATAQYW2"
    )
    code, message, _ = _error(lambda: apigw.create_domain_name(domainName=name, certificateArn=issued_certificate))
    assert (code, message) == ("BadRequestException", "The domain name you provided already exists.")

    pending = server.client("acm").request_certificate(DomainName="pending.example", ValidationMethod="DNS")[
        "CertificateArn"
    ]
    code, message, _ = _error(
        lambda: apigw.create_domain_name(
            domainName="p-" + name, regionalCertificateArn=pending, endpointConfiguration={"types": ["REGIONAL"]}
        )
    )
    assert code == "BadRequestException" and "not ISSUED" in message
    foreign = issued_certificate.replace(issued_certificate.split(":")[4], "999999999999")
    code, message, _ = _error(
        lambda: apigw.create_domain_name(
            domainName="f-" + name, regionalCertificateArn=foreign, endpointConfiguration={"types": ["REGIONAL"]}
        )
    )
    assert (code, message) == (
        "BadRequestException",
        "The certificate provided must be owned by the account creating the domain.",
    )
    code, message, _ = _error(
        lambda: apigw.create_domain_name(
            domainName="n-" + name,
            regionalCertificateArn=issued_certificate.rsplit("/", 1)[0] + "/00000000-0000-0000-0000-000000000000",
            endpointConfiguration={"types": ["REGIONAL"]},
        )
    )
    assert (code, message) == ("BadRequestException", "The provided certificate does not exist.")
    code, message, _ = _error(lambda: apigw.create_domain_name(domainName="e-" + name))
    assert (code, message) == ("BadRequestException", "A certificate was not provided for the endpoint type EDGE.")
    code, _, _ = _error(
        lambda: apigw.create_domain_name(
            domainName="m-" + name,
            regionalCertificateArn=issued_certificate,
            endpointConfiguration={"types": ["REGIONAL"]},
            mutualTlsAuthentication={"truststoreUri": "https://example.com/t.pem"},
        )
    )
    assert code == "BadRequestException"

    root = apigw.create_base_path_mapping(domainName=name, restApiId=api_id, stage="prod")
    assert root == {"basePath": "(none)", "restApiId": api_id, "stage": "prod"} | {
        "ResponseMetadata": root["ResponseMetadata"]
    }
    apigw.create_base_path_mapping(domainName=name, restApiId=api_id, basePath="v1")
    code, _, _ = _error(lambda: apigw.create_base_path_mapping(domainName=name, restApiId=api_id, basePath="v1"))
    assert code == "ConflictException"
    code, message, _ = _error(lambda: apigw.create_base_path_mapping(domainName=name, restApiId=api_id, basePath="a/b"))
    assert code == "BadRequestException" and message.startswith("API Gateway V1 doesn't support the slash character")
    code, message, _ = _error(lambda: apigw.create_base_path_mapping(domainName=name, restApiId="nope", basePath="v2"))
    assert (code, message) == ("NotFoundException", "Invalid REST API identifier specified")
    moved = apigw.update_base_path_mapping(
        domainName=name,
        basePath="v1",
        patchOperations=_patch(("replace", "/basePath", "v2"), ("replace", "/stage", "prod")),
    )
    assert moved["basePath"] == "v2" and moved["stage"] == "prod"
    assert {m["basePath"] for m in apigw.get_base_path_mappings(domainName=name)["items"]} == {"(none)", "v2"}
    store = Store(Config(data_dir=server.data_dir, database_url=server.database_url).effective_database_url())
    try:  # the data plane's view: the host routes by base path
        route = deployed.find_domain(store, "us-east-1", name.upper() + ":443")
        # A Host does not say which region a regional domain lives in: another region's request still finds it.
        elsewhere = deployed.find_domain(store, "eu-west-1", name)
    finally:
        store.dispose()
    assert route is not None and route.doc["regionalCertificateArn"] == issued_certificate
    assert elsewhere is not None and (elsewhere.region, elsewhere.account_id) == ("us-east-1", route.account_id)
    assert route.match("/v2/pets") == (deployed.Mapping("v2", api_id, "prod"), "/pets")
    assert route.match("/pets") == (deployed.Mapping("(none)", api_id, "prod"), "/pets")
    apigw.delete_base_path_mapping(domainName=name, basePath="v2")
    code, message, _ = _error(lambda: apigw.get_base_path_mapping(domainName=name, basePath="v2"))
    assert (code, message) == ("NotFoundException", "Invalid base path mapping identifier specified")
    code, _, _ = _error(lambda: apigw.delete_rest_api(restApiId=api_id))  # still mapped at (none)
    assert code == "BadRequestException"

    changed = apigw.update_domain_name(
        domainName=name, patchOperations=_patch(("replace", "/securityPolicy", "TLS_1_0"))
    )
    assert changed["securityPolicy"] == "TLS_1_0"
    assert name in {d["domainName"] for d in apigw.get_domain_names()["items"]}
    apigw.delete_domain_name(domainName=name)
    code, message, _ = _error(lambda: apigw.get_domain_name(domainName=name))
    assert (code, message) == ("NotFoundException", "Invalid domain name identifier specified")
    apigw.delete_domain_name(domainName="edge-" + name)


def test_tags_and_account(apigw: Any) -> None:
    api_id, _, _ = deployable(apigw)
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    api_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}"
    stage_arn = api_arn + "/stages/prod"
    apigw.tag_resource(resourceArn=api_arn, tags={"a": "1", "b": "2"})
    apigw.tag_resource(resourceArn=stage_arn, tags={"s": "x"})
    assert apigw.get_tags(resourceArn=api_arn)["tags"] == {"a": "1", "b": "2"}
    assert apigw.get_rest_api(restApiId=api_id)["tags"] == {"a": "1", "b": "2"}
    assert apigw.get_stage(restApiId=api_id, stageName="prod")["tags"] == {"s": "x"}
    apigw.untag_resource(resourceArn=api_arn, tagKeys=["a"])
    assert apigw.get_tags(resourceArn=api_arn)["tags"] == {"b": "2"}
    code, _, _ = _error(lambda: apigw.get_tags(resourceArn="arn:aws:apigateway:us-east-1::/restapis/nope000000"))
    assert code == "NotFoundException"
    code, _, _ = _error(lambda: apigw.tag_resource(resourceArn="not-an-arn", tags={"a": "1"}))
    assert code == "BadRequestException"

    account = apigw.get_account()
    assert account["throttleSettings"] == {"burstLimit": 5000, "rateLimit": 10000.0}
    role = "arn:aws:iam::123456789012:role/apigw-logs"
    assert (
        apigw.update_account(patchOperations=_patch(("replace", "/cloudwatchRoleArn", role)))["cloudwatchRoleArn"]
        == role
    )
    assert apigw.get_account()["cloudwatchRoleArn"] == role
    code, _, _ = _error(lambda: apigw.update_account(patchOperations=_patch(("replace", "/cloudwatchRoleArn", "nope"))))
    assert code == "BadRequestException"
    code, _, _ = _error(
        lambda: apigw.update_account(patchOperations=_patch(("replace", "/throttleSettings/rateLimit", "1")))
    )
    assert code == "BadRequestException"


def test_iam_policy_on_api_arns(server: ServerProcess, apigw: Any) -> None:
    denied_api = make_api(apigw)["id"]
    open_api = make_api(apigw)["id"]
    arn = f"arn:aws:apigateway:*::/restapis/{denied_api}"
    user = make_user(server.client("iam"), allow("apigateway:*"), deny("apigateway:*", [arn, arn + "/*"]))
    client = client_for(server, "apigateway", user)
    assert client.get_rest_api(restApiId=open_api)["id"] == open_api
    client.create_resource(
        restApiId=open_api, parentId=apigw.get_rest_api(restApiId=open_api)["rootResourceId"], pathPart="x"
    )
    for call in (
        lambda: client.get_rest_api(restApiId=denied_api),
        lambda: client.get_resources(restApiId=denied_api),
        lambda: client.delete_rest_api(restApiId=denied_api),
        lambda: client.update_rest_api(restApiId=denied_api, patchOperations=_patch(("replace", "/name", "x"))),
    ):
        code, message, status = _error(call)
        assert (code, status) == ("AccessDeniedException", 403)
        assert "apigateway:" in message and denied_api in message
    assert apigw.get_rest_api(restApiId=denied_api)["id"] == denied_api  # the account root is not affected

    readonly = client_for(server, "apigateway", make_user(server.client("iam"), allow("apigateway:GET")))
    assert readonly.get_rest_apis()["items"] is not None
    code, message, _ = _error(lambda: readonly.create_rest_api(name="nope"))
    assert code == "AccessDeniedException" and "apigateway:POST" in message and "::/restapis" in message


def test_resource_tag_conditions(server: ServerProcess, apigw: Any) -> None:
    locked = apigw.create_rest_api(name=unique("locked"), tags={"locked": "yes"})["id"]
    free = make_api(apigw)["id"]
    condition = {"StringEquals": {"aws:ResourceTag/locked": "yes"}}
    user = make_user(server.client("iam"), allow("apigateway:*"), deny("apigateway:*", "*", Condition=condition))
    client = client_for(server, "apigateway", user)
    assert client.get_rest_api(restApiId=free)["id"] == free
    code, _, status = _error(lambda: client.get_rest_api(restApiId=locked))
    assert (code, status) == ("AccessDeniedException", 403)
    code, _, _ = _error(lambda: client.get_resources(restApiId=locked))  # a child path reads the API's tags
    assert code == "AccessDeniedException"


def test_apis_are_private_to_their_account(server: ServerProcess, apigw: Any) -> None:
    api_id = make_api(apigw)["id"]
    account, creds = second_account(server)
    other = client_for(server, "apigateway", creds)
    code, message, _ = _error(lambda: other.get_rest_api(restApiId=api_id))
    assert (code, message) == ("NotFoundException", f"Invalid API identifier specified {account}:{api_id}")
    assert api_id not in {a["id"] for a in other.get_rest_apis()["items"]}


# A value for every required member of the operations that name a REST API (the deny is decided before any of them
# is looked at, so they only need to pass the model's validation).
_VALUES: dict[str, Any] = {
    "resourceId": "r0",
    "parentId": "r0",
    "httpMethod": "GET",
    "statusCode": "200",
    "stageName": "prod",
    "deploymentId": "d0",
    "authorizerId": "a0",
    "requestValidatorId": "v0",
    "modelName": "Pet",
    "responseType": "THROTTLED",
    "exportType": "oas30",
    "pathPart": "x",
    "authorizationType": "NONE",
    "type": "MOCK",
    "name": "n",
    "contentType": "application/json",
    "body": b"{}",
}


def test_a_deny_on_an_api_arn_denies_every_operation_on_it(server: ServerProcess, apigw: Any) -> None:
    api_id = make_api(apigw)["id"]
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api_id}"
    user = make_user(server.client("iam"), allow("apigateway:*"), deny("apigateway:*", [arn, arn + "/*"]))
    client = client_for(server, "apigateway", user)
    model = default_catalog().service("apigateway")
    checked = 0
    for name, row in sorted(OPERATIONS.items()):
        shape = model.operation_model(name).input_shape
        if shape is None or shape.members.get("restApiId") is None:
            continue
        if shape.members["restApiId"].serialization.get("location") != "uri":
            continue  # CreateBasePathMapping names the API in its body; its resource is the domain name
        params = {m: _VALUES[m] for m in shape.required_members if m != "restApiId"}
        if name == "CreateAuthorizer":
            params["type"] = "TOKEN"
        code, message, status = _error(
            lambda name=name, params=params: getattr(client, snake_case(name))(restApiId=api_id, **params)
        )
        assert (code, status) == ("AccessDeniedException", 403), name
        assert f"perform: {row.actions[0]} on resource: {arn}" in message, (name, message)
        checked += 1
    assert checked > 50
