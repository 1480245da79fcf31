"""Helpers for Shield Advanced's end-to-end tests."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from tests.e2e.apigateway_invoke_support import deploy
from tests.e2e.apigateway_support import deployable


def subscribe(shield: Any) -> None:
    """Subscribe the client's account (tests share the server: an existing subscription is fine)."""
    try:
        shield.create_subscription()
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceAlreadyExistsException":
            raise


def deployed_stage(apigw: Any, stage: str = "test") -> tuple[str, str]:
    """GET /pets (MOCK 200) deployed as ``stage``: (api id, stage ARN)."""
    api_id, _, _ = deployable(apigw)
    deploy(apigw, api_id, stage)
    return api_id, f"arn:aws:apigateway:us-east-1::/restapis/{api_id}/stages/{stage}"


def code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])
