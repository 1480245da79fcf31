"""Helpers for API Gateway's end-to-end tests."""

from __future__ import annotations

import uuid
from typing import Any

LAMBDA_URI = (
    "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
    "arn:aws:lambda:us-east-1:123456789012:function:hello/invocations"
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_api(apigw: Any, **kw: Any) -> dict[str, Any]:
    return dict(apigw.create_rest_api(name=unique("api"), **kw))


def deployable(apigw: Any) -> tuple[str, str, str]:
    """An API with GET /pets (MOCK integration, a 200 response): (api id, root id, /pets id)."""
    api = make_api(apigw)
    pets = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="pets")["id"]
    apigw.put_method(restApiId=api["id"], resourceId=pets, httpMethod="GET", authorizationType="NONE")
    apigw.put_integration(
        restApiId=api["id"],
        resourceId=pets,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    apigw.put_method_response(restApiId=api["id"], resourceId=pets, httpMethod="GET", statusCode="200")
    apigw.put_integration_response(
        restApiId=api["id"], resourceId=pets, httpMethod="GET", statusCode="200", selectionPattern=""
    )
    return api["id"], api["rootResourceId"], pets
