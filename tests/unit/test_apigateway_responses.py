"""Gateway responses: AWS's defaults, DEFAULT_4XX/5XX inheritance, customized status, headers and templates."""

from __future__ import annotations

import json
from typing import Any

import botocore.session
import pytest

from strongroom.services.apigateway.dataplane import responses, vtl
from strongroom.services.apigateway.dataplane.responses import RESPONSE_TYPES, GatewayError

# Every type botocore's model lists for PutGatewayResponse.
MODEL_TYPES = {
    "DEFAULT_4XX", "DEFAULT_5XX", "RESOURCE_NOT_FOUND", "UNAUTHORIZED", "INVALID_API_KEY", "ACCESS_DENIED",
    "AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR", "INVALID_SIGNATURE", "EXPIRED_TOKEN",
    "MISSING_AUTHENTICATION_TOKEN", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE", "BAD_REQUEST_PARAMETERS", "BAD_REQUEST_BODY", "REQUEST_TOO_LARGE", "THROTTLED",
    "QUOTA_EXCEEDED", "WAF_FILTERED",
}  # fmt: skip


def test_every_model_type_is_known() -> None:
    model = botocore.session.get_session().get_service_model("apigateway")
    assert set(model.shape_for("GatewayResponseType").enum) == MODEL_TYPES == set(RESPONSE_TYPES)


@pytest.mark.parametrize(
    ("kind", "status", "body", "error_type"),
    [
        (
            "MISSING_AUTHENTICATION_TOKEN",
            403,
            {"message": "Missing Authentication Token"},
            "MissingAuthenticationTokenException",
        ),
        ("INVALID_API_KEY", 403, {"message": "Forbidden"}, "ForbiddenException"),
        ("UNAUTHORIZED", 401, {"message": "Unauthorized"}, "UnauthorizedException"),
        ("THROTTLED", 429, {"message": "Too Many Requests"}, "TooManyRequestsException"),
        ("QUOTA_EXCEEDED", 429, {"message": "Limit Exceeded"}, "LimitExceededException"),
        ("INTEGRATION_TIMEOUT", 504, {"message": "Endpoint request timed out"}, "InternalServerErrorException"),
        ("API_CONFIGURATION_ERROR", 500, {"message": "Internal server error"}, "InternalServerErrorException"),
        ("AUTHORIZER_CONFIGURATION_ERROR", 500, {"message": None}, "AuthorizerConfigurationException"),
        ("REQUEST_TOO_LARGE", 413, {"message": "Request Too Long"}, "RequestTooLongException"),
        ("BAD_REQUEST_BODY", 400, {"message": "Invalid request body"}, "BadRequestException"),
        ("UNSUPPORTED_MEDIA_TYPE", 415, {"message": "Unsupported Media Type"}, "UnsupportedMediaTypeException"),
        ("ACCESS_DENIED", 403, {"message": "User is not authorized to access this resource"}, "AccessDeniedException"),
        ("RESOURCE_NOT_FOUND", 404, {"message": "Not Found"}, "NotFoundException"),
        ("WAF_FILTERED", 403, {"message": "Forbidden"}, "ForbiddenException"),
        ("DEFAULT_4XX", 400, {"message": "Bad Request"}, "BadRequestException"),
        ("DEFAULT_5XX", 500, {"message": "Internal server error"}, "InternalServerErrorException"),
    ],
)
def test_defaults(kind: str, status: int, body: dict[str, Any], error_type: str) -> None:
    out = responses.render(GatewayError(kind))
    assert out.status == status
    assert json.loads(out.body) == body
    assert out.header("x-amzn-ErrorType") == error_type
    assert out.header("Content-Type") == "application/json"


def test_default_body_is_compact_like_aws() -> None:
    assert (
        responses.render(GatewayError("MISSING_AUTHENTICATION_TOKEN")).body
        == b'{"message":"Missing Authentication Token"}'
    )


def test_message_is_json_escaped() -> None:
    out = responses.render(GatewayError("BAD_REQUEST_PARAMETERS", 'Missing required request parameters: ["q"]\n'))
    assert json.loads(out.body) == {"message": 'Missing required request parameters: ["q"]\n'}


def test_status_override_for_a_malformed_lambda_answer() -> None:
    out = responses.render(GatewayError("DEFAULT_5XX", "Internal server error", status=502))
    assert out.status == 502 and json.loads(out.body) == {"message": "Internal server error"}


CUSTOM_4XX = {
    "DEFAULT_4XX": {
        "responseParameters": {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
            "gatewayresponse.header.x-request": "context.requestId",
            "gatewayresponse.header.x-stage-var": "stageVariables.color",
            "gatewayresponse.header.x-trace": "method.request.header.X-Trace",
            "gatewayresponse.header.x-q": "method.request.querystring.q",
            "gatewayresponse.header.x-p": "method.request.path.id",
        },
        "responseTemplates": {
            "application/json": '{"error": $context.error.messageString, "type": "$context.error.responseType", '
            '"rid": "$context.requestId"}'
        },
    }
}  # fmt: skip


def test_customized_default_4xx_applies_to_every_4xx_type_keeping_their_status() -> None:
    out = responses.render(
        GatewayError("THROTTLED"),
        configured=CUSTOM_4XX,
        context={"requestId": "r-1"},
        params=vtl.Params(path={"id": "9"}, querystring={"q": "z"}, header={"x-trace": "t"}),
        stage_variables={"color": "blue"},
    )
    assert out.status == 429
    assert json.loads(out.body) == {"error": "Too Many Requests", "type": "THROTTLED", "rid": "r-1"}
    assert out.header("Access-Control-Allow-Origin") == "*"
    assert (out.header("x-request"), out.header("x-stage-var"), out.header("x-trace")) == ("r-1", "blue", "t")
    assert (out.header("x-q"), out.header("x-p")) == ("z", "9")
    # 5XX types are not touched by DEFAULT_4XX
    five = responses.render(GatewayError("INTEGRATION_TIMEOUT"), configured=CUSTOM_4XX)
    assert five.header("Access-Control-Allow-Origin") is None
    assert json.loads(five.body) == {"message": "Endpoint request timed out"}


def test_a_type_customization_beats_default_4xx_and_sets_the_status() -> None:
    configured = {
        **CUSTOM_4XX,
        "MISSING_AUTHENTICATION_TOKEN": {
            "statusCode": "404",
            "responseTemplates": {"application/json": '{"msg":"no such route"}'},
            "responseParameters": {"gatewayresponse.header.Content-Type": "'application/problem+json'"},
        },
    }
    out = responses.render(GatewayError("MISSING_AUTHENTICATION_TOKEN"), configured=configured)
    assert out.status == 404
    assert out.body == b'{"msg":"no such route"}'
    assert out.header("Content-Type") == "application/problem+json"
    assert [k for k, _ in out.headers].count("Content-Type") == 1


def test_default_5xx_with_a_status_changes_every_5xx() -> None:
    configured = {"DEFAULT_5XX": {"statusCode": "503", "responseTemplates": {"application/json": "down"}}}
    out = responses.render(GatewayError("INTEGRATION_FAILURE"), configured=configured)
    assert (out.status, out.body) == (503, b"down")


def test_a_broken_customized_template_falls_back_to_the_default_body() -> None:
    configured = {"THROTTLED": {"responseTemplates": {"application/json": "#foreach("}}}
    out = responses.render(GatewayError("THROTTLED"), configured=configured)
    assert (out.status, json.loads(out.body)) == (429, {"message": "Too Many Requests"})


def test_template_chosen_by_accept() -> None:
    configured = {
        "UNAUTHORIZED": {"responseTemplates": {"application/json": "json", "application/xml": "<xml/>"}},
    }
    assert (
        responses.render(GatewayError("UNAUTHORIZED"), configured=configured, accept="application/xml").body
        == b"<xml/>"
    )
    assert responses.render(GatewayError("UNAUTHORIZED"), configured=configured).body == b"json"


def test_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        GatewayError("NOT_A_TYPE")


def test_error_context() -> None:
    ctx = responses.error_context(GatewayError("UNAUTHORIZED"))
    assert ctx == {
        "message": "Unauthorized",
        "messageString": '"Unauthorized"',
        "responseType": "UNAUTHORIZED",
        "validationErrorString": "",
    }
    assert responses.error_context(GatewayError("AUTHORIZER_FAILURE"))["messageString"] == "null"
