"""The parts of an API that methods refer to: authorizers, request validators, models and gateway responses."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, loads, new_id
from strongroom.services.apigateway.dataplane.responses import DEFAULT_TEMPLATES, RESPONSE_TYPES
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

AUTHORIZER_TYPES = ("TOKEN", "REQUEST", "COGNITO_USER_POOLS")
DEFAULT_TTL, MAX_TTL = 300, 3600
_MODEL_NAME = re.compile(r"^[a-zA-Z0-9]+$")
_LAMBDA_AUTHORIZER_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/.+/invocations$"
)
_TOKEN_SOURCE = re.compile(r"^method\.request\.header\.[a-zA-Z0-9._-]+$")
_REQUEST_SOURCE = re.compile(
    r"^(method\.request\.(header|querystring|multivalueheader|multivaluequerystring)|stageVariables|context)"
    r"\.[a-zA-Z0-9._$-]+$"
)
_USER_POOL = re.compile(r"^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:\d{12}:userpool/.+$")

# API Gateway's gateway responses and the status each answers with by default (DEFAULT_4XX/5XX: the error's own).
# The gateway response types and their default status codes come from the data plane's table, which also
# answers requests with them: one list, so GetGatewayResponses and the responses sent cannot drift apart.
GATEWAY_RESPONSE_STATUS: dict[str, str | None] = {
    name: None if t.status is None else str(t.status) for name, t in RESPONSE_TYPES.items()
}
DEFAULT_TEMPLATE = dict(DEFAULT_TEMPLATES)


def default_gateway_response(kind: str) -> Doc:
    out: Doc = {"responseType": kind}
    if GATEWAY_RESPONSE_STATUS[kind] is not None:
        out["statusCode"] = GATEWAY_RESPONSE_STATUS[kind]
    out["responseParameters"] = {}
    out["responseTemplates"] = dict(DEFAULT_TEMPLATE)
    out["defaultResponse"] = True
    return out


def check_authorizer(doc: Doc) -> None:
    kind = doc.get("type")
    if kind not in AUTHORIZER_TYPES:
        raise BadRequestException(
            f"Invalid authorizer type specified: {kind}. Valid options are TOKEN,REQUEST,COGNITO_USER_POOLS"
        )
    if not doc.get("name"):
        raise BadRequestException("Authorizer name must be non-empty")
    ttl = int(doc.get("authorizerResultTtlInSeconds", DEFAULT_TTL))
    if not 0 <= ttl <= MAX_TTL:
        raise BadRequestException(f"Invalid authorizer TTL specified: {ttl}. Must be between 0 and {MAX_TTL}")
    if kind == "COGNITO_USER_POOLS":
        arns = doc.get("providerARNs") or []
        if not arns:
            raise BadRequestException("Provider ARNs must be specified for authorizer type COGNITO_USER_POOLS")
        for arn in arns:
            if not _USER_POOL.match(arn):
                raise BadRequestException(f"Invalid provider ARN specified: {arn}")
        if not doc.get("identitySource"):
            raise BadRequestException("Identity source must be specified for authorizer type COGNITO_USER_POOLS")
        return
    uri = doc.get("authorizerUri")
    if not uri:
        raise BadRequestException(f"Authorizer URI must be specified for authorizer type {kind}")
    if not _LAMBDA_AUTHORIZER_URI.match(uri):
        raise BadRequestException(f"Invalid Authorizer URI specified: {uri}")
    source = doc.get("identitySource")
    if kind == "TOKEN":
        if not source or not _TOKEN_SOURCE.match(source):
            raise BadRequestException(
                f"Invalid token source expression: {source}. The source must be a method request header, matching "
                "'method.request.header.[a-zA-Z0-9._-]+'."
            )
        return
    if ttl > 0 and not source:
        raise BadRequestException("Identity source must be specified when caching is enabled for REQUEST authorizers")
    for expression in (e.strip() for e in (source or "").split(",") if e.strip()):
        if not _REQUEST_SOURCE.match(expression):
            raise BadRequestException(f"Invalid identity source expression: {expression}")


AUTHORIZER_RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/type"),
        patch.rule("/authType", "replace", "remove"),
        patch.rule("/authorizerUri", "replace", "remove"),
        patch.rule("/authorizerCredentials", "replace", "remove"),
        patch.rule("/identitySource", "replace", "remove"),
        patch.rule("/identityValidationExpression", "replace", "remove"),
        patch.rule("/authorizerResultTtlInSeconds", convert=patch.as_int),
        patch.rule("/providerARNs", "add", "remove", kind="set"),
    ]
)
VALIDATOR_RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/validateRequestBody", convert=patch.as_bool),
        patch.rule("/validateRequestParameters", convert=patch.as_bool),
    ],
    listing="[/name, /validateRequestParameters, /validateRequestBody]",
)
MODEL_RULES = patch.Rules([patch.rule("/description"), patch.rule("/schema")], listing="[/description, /schema]")
GATEWAY_RESPONSE_RULES = patch.Rules(
    [
        patch.rule("/statusCode"),
        patch.rule("/responseParameters", "add", "remove", "replace", kind="map"),
        patch.rule("/responseTemplates", "add", "remove", "replace", kind="map"),
    ]
)


def check_schema(schema: Any) -> None:
    if not schema:
        raise BadRequestException("Model schema must have at least 1 property or array items defined")
    try:
        parsed = json.loads(str(schema))
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise BadRequestException(
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified. "
            "Unsupported keyword(s): [] Model schema must be a valid JSON object]"
        )


class ApiPartOperations(ApiGatewayBase):
    def _methods_using(self, conn: Connection, api_id: str, test: Any) -> str | None:
        """``path/VERB`` of the first method for which ``test(method)`` holds (a reference blocking a delete)."""
        for row in sorted(self.resource_rows(conn, api_id).values(), key=lambda r: r["path"]):
            for verb, method in (loads(row["doc"]).get("resourceMethods") or {}).items():
                if test(method):
                    return f"{row['path']}/{verb}"
        return None

    def _list(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            rows = self.items(conn, api["id"], kind)
        page, position = self.page(request, rows, lambda r: r["key"])
        return self.listing([loads(r["doc"]) for r in page], position)

    # -- Authorizers ----------------------------------------------------------------------------------------------

    def create_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        doc: Doc = {"id": new_id(6)}
        for key in (
            "name",
            "type",
            "providerARNs",
            "authType",
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
        ):
            if request.get(key) is not None:
                doc[key] = request[key]
        ttl = request.get("authorizerResultTtlInSeconds")
        doc["authorizerResultTtlInSeconds"] = DEFAULT_TTL if ttl is None else int(ttl)
        check_authorizer(doc)
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self.put_item(conn, api["id"], "authorizer", doc["id"], doc)
        return doc

    def _authorizer(self, conn: Connection, api_id: str, authorizer_id: str) -> Doc:
        doc = self.item(conn, api_id, "authorizer", authorizer_id)
        if doc is None:
            raise NotFoundException("Invalid Authorizer identifier specified")
        return doc

    def get_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            return self._authorizer(conn, api["id"], request["authorizerId"])

    def get_authorizers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list(ctx, request, "authorizer")

    def update_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = self._authorizer(conn, api["id"], request["authorizerId"])
            patch.apply(doc, request.get("patchOperations"), AUTHORIZER_RULES)
            check_authorizer(doc)
            self.put_item(conn, api["id"], "authorizer", doc["id"], doc)
        return doc

    def delete_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        authorizer_id = request["authorizerId"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = self._authorizer(conn, api["id"], authorizer_id)
            used = self._methods_using(conn, api["id"], lambda m: m.get("authorizerId") == authorizer_id)
            if used is not None:
                raise ConflictException(
                    f"Cannot delete authorizer '{doc.get('name')}', is referenced in method: {used}"
                )
            self.delete_item(conn, api["id"], "authorizer", authorizer_id)
        return {}

    # -- Request validators ---------------------------------------------------------------------------------------

    def create_request_validator(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        doc: Doc = {"id": new_id(6)}
        if request.get("name") is not None:
            doc["name"] = request["name"]
        doc["validateRequestBody"] = bool(request.get("validateRequestBody", False))
        doc["validateRequestParameters"] = bool(request.get("validateRequestParameters", False))
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self.put_item(conn, api["id"], "validator", doc["id"], doc)
        return doc

    def _validator(self, conn: Connection, api_id: str, validator_id: str) -> Doc:
        doc = self.item(conn, api_id, "validator", validator_id)
        if doc is None:
            raise NotFoundException("Invalid Request Validator identifier specified")
        return doc

    def get_request_validator(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            return self._validator(conn, api["id"], request["requestValidatorId"])

    def get_request_validators(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list(ctx, request, "validator")

    def update_request_validator(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = self._validator(conn, api["id"], request["requestValidatorId"])
            patch.apply(doc, request.get("patchOperations"), VALIDATOR_RULES)
            if "name" in doc and not doc["name"]:
                raise BadRequestException("Request Validator name cannot be blank")
            self.put_item(conn, api["id"], "validator", doc["id"], doc)
        return doc

    def delete_request_validator(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        validator_id = request["requestValidatorId"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self._validator(conn, api["id"], validator_id)
            used = self._methods_using(conn, api["id"], lambda m: m.get("requestValidatorId") == validator_id)
            if used is not None:
                raise ConflictException(f"Cannot delete request validator, is referenced in method: {used}")
            self.delete_item(conn, api["id"], "validator", validator_id)
        return {}

    # -- Models -----------------------------------------------------------------------------------------------------

    def create_model(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["name"]
        if not name:
            raise BadRequestException("Model name must be non-empty")
        if not _MODEL_NAME.match(name):
            raise BadRequestException("Model name must be alphanumeric")
        check_schema(request.get("schema"))
        doc: Doc = {"id": new_id(6), "name": name}
        if request.get("description"):
            doc["description"] = request["description"]
        doc["schema"] = request["schema"]
        doc["contentType"] = request["contentType"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            if self.item(conn, api["id"], "model", name) is not None:
                raise ConflictException("Model name already exists for this REST API")
            self.put_item(conn, api["id"], "model", name, doc)
        return doc

    def _model(self, conn: Connection, api_id: str, name: str) -> Doc:
        doc = self.item(conn, api_id, "model", name)
        if doc is None:
            raise NotFoundException(f"Invalid model name specified: {name}")
        return doc

    def get_model(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            return self._model(conn, api["id"], request["modelName"])

    def get_models(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._list(ctx, request, "model")

    def update_model(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = self._model(conn, api["id"], request["modelName"])
            patch.apply(doc, request.get("patchOperations"), MODEL_RULES)
            check_schema(doc.get("schema"))
            if not doc.get("description"):
                doc.pop("description", None)
            self.put_item(conn, api["id"], "model", doc["name"], doc)
        return doc

    def delete_model(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["modelName"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self._model(conn, api["id"], name)
            used = self._methods_using(conn, api["id"], lambda m: name in (m.get("requestModels") or {}).values())
            if used is not None:
                raise ConflictException(f"Cannot delete model '{name}', is referenced in method request: {used}")
            self.delete_item(conn, api["id"], "model", name)
        return {}

    # -- Gateway responses ------------------------------------------------------------------------------------------

    @staticmethod
    def _response_type(kind: str) -> str:
        if kind not in GATEWAY_RESPONSE_STATUS:
            raise BadRequestException(f"Invalid response type specified: {kind}")
        return kind

    def put_gateway_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = self._response_type(request["responseType"])
        doc: Doc = {"responseType": kind}
        if request.get("statusCode"):
            doc["statusCode"] = request["statusCode"]
        doc["responseParameters"] = request.get("responseParameters") or {}
        doc["responseTemplates"] = request.get("responseTemplates") or {}
        doc["defaultResponse"] = False
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self.put_item(conn, api["id"], "gatewayresponse", kind, doc)
        return doc

    def get_gateway_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = self._response_type(request["responseType"])
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            return self.item(conn, api["id"], "gatewayresponse", kind) or default_gateway_response(kind)

    def get_gateway_responses(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            put = {r["key"]: loads(r["doc"]) for r in self.items(conn, api["id"], "gatewayresponse")}
        every = [put.get(kind) or default_gateway_response(kind) for kind in GATEWAY_RESPONSE_STATUS]
        page, position = self.page(request, every, lambda r: str(r["responseType"]))
        return self.listing(page, position)

    def update_gateway_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = self._response_type(request["responseType"])
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = self.item(conn, api["id"], "gatewayresponse", kind) or default_gateway_response(kind)
            patch.apply(doc, request.get("patchOperations"), GATEWAY_RESPONSE_RULES)
            doc["defaultResponse"] = False
            doc.setdefault("responseParameters", {})
            doc.setdefault("responseTemplates", {})
            self.put_item(conn, api["id"], "gatewayresponse", kind, doc)
        return doc

    def delete_gateway_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = self._response_type(request["responseType"])
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            if not self.delete_item(conn, api["id"], "gatewayresponse", kind):
                raise NotFoundException("Gateway response type not defined on api")
        return {}
