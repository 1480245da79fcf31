"""Methods, method responses, integrations and integration responses.

They live inside their resource's row (``resourceMethods``: the document GetResource ``embed=methods`` answers), so
each operation here is a read-modify-write of one resource row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, loads
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD", "ANY")
AUTHORIZATION_TYPES = ("NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS")
INTEGRATION_TYPES = ("HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY", "MOCK")
PASSTHROUGH = ("WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER")
MIN_TIMEOUT, MAX_TIMEOUT = 50, 29_000

_METHOD_PARAMETER = re.compile(
    r"^method\.request\.(querystring|path|header|multivaluequerystring|multivalueheader)\.[^.\s]+$"
)
_STATUS = re.compile(r"^[1-5]\d\d$")
# AWS_PROXY to Lambda: the function's invocation URI through API Gateway's Lambda service path.
_LAMBDA_URI = re.compile(
    r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/"
    r"(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_${}.-]+(:[A-Za-z0-9_${}.-]+)?|\$\{stageVariables\.[A-Za-z0-9_]+\})"
    r"/invocations$"
)
_AWS_URI = re.compile(r"^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:[a-z0-9.-]+:(path|action)/.+$")
_HTTP_URI = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_INTEGRATION_PARAMETER = re.compile(
    r"^integration\.request\.(querystring|path|header|multivaluequerystring|multivalueheader)\.[^\s]+$"
)
_RESPONSE_PARAMETER = re.compile(r"^method\.response\.header\.[^\s]+$")


def _bool_map(check: Callable[[str], None]) -> patch.Convert:
    def convert(path: str, value: Any) -> bool:
        check(path.split("/", 2)[-1].replace("~1", "/"))
        return patch.as_bool(path, value) if value not in (None, "") else False

    return convert


def check_method_parameter(name: str) -> None:
    if not _METHOD_PARAMETER.match(name):
        raise BadRequestException(
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
            f"[Invalid method request parameter name specified: {name}]"
        )


def check_integration_parameter(name: str) -> None:
    if not _INTEGRATION_PARAMETER.match(name):
        raise BadRequestException(
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
            f"[Parameter name should match the following regular expression: {_INTEGRATION_PARAMETER.pattern}]"
        )


def check_response_parameter(name: str) -> None:
    if not _RESPONSE_PARAMETER.match(name):
        raise BadRequestException(
            "Invalid mapping expression specified: Validation Result: warnings : [], errors : "
            f"[Invalid method response parameter name specified: {name}]"
        )


def check_status(code: str) -> None:
    if not _STATUS.match(code):
        raise BadRequestException(f"Invalid status code specified: {code}")


def check_integration(doc: Doc) -> None:
    """AWS's checks of an integration's type, HTTP method, URI, timeout and passthrough behaviour."""
    kind = doc.get("type")
    if kind not in INTEGRATION_TYPES:
        raise BadRequestException(
            f"Invalid integration type specified: {kind}. Valid options are HTTP, HTTP_PROXY, AWS, AWS_PROXY, MOCK"
        )
    uri = doc.get("uri")
    if kind != "MOCK":
        verb = doc.get("httpMethod")
        if not verb:
            raise BadRequestException("Enumeration value for HttpMethod must be non-empty")
        if verb not in HTTP_METHODS:
            raise BadRequestException(
                "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
            )
        if kind in ("HTTP", "HTTP_PROXY"):
            if not uri or not (_HTTP_URI.match(uri) or "${stageVariables." in uri):
                raise BadRequestException("Invalid HTTP endpoint specified for URI")
        elif kind == "AWS_PROXY":
            if not uri or not (_LAMBDA_URI.match(uri) or ":firehose:" in uri):
                raise BadRequestException(
                    "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream "
                    "invocations."
                )
        elif not uri or not _AWS_URI.match(uri):
            raise BadRequestException("AWS ARN for integration must contain path or action")
    timeout = doc.get("timeoutInMillis")
    if timeout is not None and not MIN_TIMEOUT <= int(timeout) <= MAX_TIMEOUT:
        raise BadRequestException(f"Timeout should be between {MIN_TIMEOUT} ms and {MAX_TIMEOUT} ms")
    if doc.get("passthroughBehavior") not in PASSTHROUGH:
        raise BadRequestException(
            "Invalid passthrough behavior specified: "
            f"{doc.get('passthroughBehavior')}. Valid options are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER"
        )
    if doc.get("connectionType", "INTERNET") != "INTERNET":
        raise BadRequestException("VPC_LINK connections are not supported by this server; use INTERNET")
    for name in doc.get("requestParameters") or {}:
        check_integration_parameter(name)


METHOD_RULES = patch.Rules(
    [
        patch.rule("/authorizationType"),
        patch.rule("/authorizerId", "replace", "remove"),
        patch.rule("/apiKeyRequired", convert=patch.as_bool),
        patch.rule("/operationName", "replace", "remove"),
        patch.rule("/requestValidatorId", "replace", "remove"),
        patch.rule("/authorizationScopes", "add", "remove", kind="set"),
        patch.rule(
            "/requestParameters", "add", "remove", "replace", kind="map", convert=_bool_map(check_method_parameter)
        ),
        patch.rule("/requestModels", "add", "remove", "replace", kind="map"),
    ]
)
METHOD_RESPONSE_RULES = patch.Rules(
    [
        patch.rule(
            "/responseParameters", "add", "remove", "replace", kind="map", convert=_bool_map(check_response_parameter)
        ),
        patch.rule("/responseModels", "add", "remove", "replace", kind="map"),
    ]
)


def _cache_keys(doc: Doc, op: str, key: str, value: Any) -> None:
    keys = list(doc.get("cacheKeyParameters") or [])
    if op == "add":
        if key not in keys:
            keys.append(key)
    else:
        keys = [k for k in keys if k != key]
    doc["cacheKeyParameters"] = keys


INTEGRATION_RULES = patch.Rules(
    [
        patch.rule("/type"),
        patch.rule("/httpMethod"),
        patch.rule("/uri"),
        patch.rule("/connectionType"),
        patch.rule("/connectionId", "replace", "remove"),
        patch.rule("/credentials", "replace", "remove"),
        patch.rule("/passthroughBehavior"),
        patch.rule("/contentHandling", "replace", "remove"),
        patch.rule("/timeoutInMillis", convert=patch.as_int),
        patch.rule("/cacheNamespace"),
        patch.rule("/cacheKeyParameters", "add", "remove", kind="set", apply=_cache_keys),
        patch.rule("/requestParameters", "add", "remove", "replace", kind="map"),
        patch.rule("/requestTemplates", "add", "remove", "replace", kind="map"),
    ]
)
INTEGRATION_RESPONSE_RULES = patch.Rules(
    [
        patch.rule("/selectionPattern", "replace", "remove"),
        patch.rule("/contentHandling", "replace", "remove"),
        patch.rule("/responseParameters", "add", "remove", "replace", kind="map"),
        patch.rule("/responseTemplates", "add", "remove", "replace", kind="map"),
    ]
)


class MethodOperations(ApiGatewayBase):
    # -- finding a method ---------------------------------------------------------------------------------------

    def _method_doc(
        self, conn: Connection, ctx: RequestContext, request: dict[str, Any], *, lock: bool = True
    ) -> tuple[str, dict[str, Any], Doc, Doc]:
        """(API id, resource row, resource doc, method doc) for the request's method; NotFound as AWS says it.
        ``lock``: the API's row is held until commit (the caller writes the resource document back)."""
        api = self.api_row(conn, ctx, request["restApiId"], lock=lock)
        row = self.resource_row(conn, api["id"], request["resourceId"])
        doc = loads(row["doc"])
        method = (doc.get("resourceMethods") or {}).get(request["httpMethod"])
        if method is None:
            raise NotFoundException("Invalid Method identifier specified")
        return api["id"], row, doc, method

    def _check_method_refs(self, conn: Connection, api_id: str, method: Doc) -> None:
        if method.get("authorizationType") not in AUTHORIZATION_TYPES:
            raise BadRequestException(
                f"Invalid authorization type specified: {method.get('authorizationType')}. Valid options are "
                "NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS"
            )
        if method["authorizationType"] in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer = self.item(conn, api_id, "authorizer", str(method.get("authorizerId") or ""))
            if authorizer is None:
                raise BadRequestException(
                    "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS "
                    "requires a valid authorizer."
                )
            kind = "COGNITO_USER_POOLS" if authorizer.get("type") == "COGNITO_USER_POOLS" else "CUSTOM"
            if kind != method["authorizationType"]:
                raise BadRequestException(
                    f"Invalid authorization type {method['authorizationType']} for authorizer of type "
                    f"{authorizer.get('type')}"
                )
        else:
            method.pop("authorizerId", None)
            if method.get("authorizationScopes") and method["authorizationType"] != "COGNITO_USER_POOLS":
                raise BadRequestException("Authorization scopes are only supported for COGNITO_USER_POOLS authorizers")
        validator = method.get("requestValidatorId")
        if validator and self.item(conn, api_id, "validator", validator) is None:
            raise BadRequestException("Invalid Request Validator identifier specified")
        if not validator:
            method.pop("requestValidatorId", None)
        for model in (method.get("requestModels") or {}).values():
            if self.item(conn, api_id, "model", model) is None:
                raise BadRequestException(f"Invalid model identifier specified: {model}")
        params = method.get("requestParameters") or {}
        for name in params:
            check_method_parameter(name)
        short = [name.rsplit(".", 1)[-1] for name in params]
        if len(set(short)) != len(short):
            raise BadRequestException("Parameter names must be unique across querystring, header and path")

    # -- Methods --------------------------------------------------------------------------------------------------

    def put_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        verb = request["httpMethod"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            row = self.resource_row(conn, api["id"], request["resourceId"])
            if verb not in HTTP_METHODS:
                raise BadRequestException(
                    "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY"
                )
            method: Doc = {
                "httpMethod": verb,
                "authorizationType": request["authorizationType"],
                "apiKeyRequired": bool(request.get("apiKeyRequired", False)),
            }
            for key in (
                "authorizerId",
                "operationName",
                "requestParameters",
                "requestModels",
                "requestValidatorId",
                "authorizationScopes",
            ):
                if request.get(key) is not None:
                    method[key] = request[key]
            self._check_method_refs(conn, api["id"], method)
            doc = loads(row["doc"])
            if verb in (doc.get("resourceMethods") or {}):
                raise ConflictException("Method already exists for this resource")
            doc.setdefault("resourceMethods", {})[verb] = method
            self.save_resource(conn, api["id"], row["id"], doc)
        return method

    def get_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self._method_doc(conn, ctx, request, lock=False)[3]

    def update_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            patch.apply(method, request.get("patchOperations"), METHOD_RULES)
            self._check_method_refs(conn, api_id, method)
            self.save_resource(conn, api_id, row["id"], doc)
        return method

    def delete_method(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, _ = self._method_doc(conn, ctx, request)
            del doc["resourceMethods"][request["httpMethod"]]
            if not doc["resourceMethods"]:
                del doc["resourceMethods"]
            self.save_resource(conn, api_id, row["id"], doc)
        return {}

    # -- Method responses -------------------------------------------------------------------------------------------

    def _check_method_response(self, conn: Connection, api_id: str, response: Doc) -> None:
        for name in response.get("responseParameters") or {}:
            check_response_parameter(name)
        for model in (response.get("responseModels") or {}).values():
            if self.item(conn, api_id, "model", model) is None:
                raise BadRequestException(f"Invalid model identifier specified: {model}")

    def put_method_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        code = request["statusCode"]
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            check_status(code)
            response: Doc = {"statusCode": code}
            for key in ("responseParameters", "responseModels"):
                if request.get(key) is not None:
                    response[key] = request[key]
            self._check_method_response(conn, api_id, response)
            if code in (method.get("methodResponses") or {}):
                raise ConflictException("Response already exists for this resource")
            method.setdefault("methodResponses", {})[code] = response
            self.save_resource(conn, api_id, row["id"], doc)
        return response

    def _method_response(self, method: Doc, code: str) -> Doc:
        response = (method.get("methodResponses") or {}).get(code)
        if response is None:
            raise NotFoundException("Invalid Response status code specified")
        return dict(response)

    def get_method_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            method = self._method_doc(conn, ctx, request, lock=False)[3]
        return self._method_response(method, request["statusCode"])

    def update_method_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            response = self._method_response(method, request["statusCode"])
            patch.apply(response, request.get("patchOperations"), METHOD_RESPONSE_RULES)
            self._check_method_response(conn, api_id, response)
            method["methodResponses"][request["statusCode"]] = response
            self.save_resource(conn, api_id, row["id"], doc)
        return response

    def delete_method_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            self._method_response(method, request["statusCode"])
            del method["methodResponses"][request["statusCode"]]
            if not method["methodResponses"]:
                del method["methodResponses"]
            self.save_resource(conn, api_id, row["id"], doc)
        return {}

    # -- Integrations ---------------------------------------------------------------------------------------------

    def put_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            integration: Doc = {"type": request["type"]}
            if request.get("integrationHttpMethod"):
                integration["httpMethod"] = request["integrationHttpMethod"]
            for key in ("uri", "credentials", "requestParameters", "requestTemplates", "contentHandling"):
                if request.get(key) is not None:
                    integration[key] = request[key]
            if request["type"] != "MOCK" or request.get("connectionType"):
                integration["connectionType"] = request.get("connectionType") or "INTERNET"
            if request.get("connectionId"):
                integration["connectionId"] = request["connectionId"]
            integration["passthroughBehavior"] = request.get("passthroughBehavior") or "WHEN_NO_MATCH"
            integration["timeoutInMillis"] = (
                request["timeoutInMillis"] if request.get("timeoutInMillis") is not None else MAX_TIMEOUT
            )
            integration["cacheNamespace"] = request.get("cacheNamespace") or row["id"]
            integration["cacheKeyParameters"] = list(request.get("cacheKeyParameters") or [])
            check_integration(integration)
            method["methodIntegration"] = integration  # PutIntegration replaces it (and its responses)
            self.save_resource(conn, api_id, row["id"], doc)
        return integration

    @staticmethod
    def _integration(method: Doc, missing: str = "Invalid Integration identifier specified") -> Doc:
        integration = method.get("methodIntegration")
        if integration is None:
            raise NotFoundException(missing)
        return dict(integration)

    def get_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self._integration(self._method_doc(conn, ctx, request, lock=False)[3])

    def update_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            integration = self._integration(method)
            patch.apply(integration, request.get("patchOperations"), INTEGRATION_RULES)
            check_integration(integration)
            method["methodIntegration"] = integration
            self.save_resource(conn, api_id, row["id"], doc)
        return integration

    def delete_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            self._integration(method)
            del method["methodIntegration"]
            self.save_resource(conn, api_id, row["id"], doc)
        return {}

    # -- Integration responses ------------------------------------------------------------------------------------

    @staticmethod
    def _check_integration_response(method: Doc, response: Doc) -> None:
        if response["statusCode"] not in (method.get("methodResponses") or {}):
            raise NotFoundException("Invalid Response status code specified")
        for name in response.get("responseParameters") or {}:
            check_response_parameter(name)

    def put_integration_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        code = request["statusCode"]
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            integration = self._integration(method, "No integration defined for method")
            check_status(code)
            response: Doc = {"statusCode": code}
            for key in ("selectionPattern", "responseParameters", "responseTemplates", "contentHandling"):
                if request.get(key) is not None:
                    response[key] = request[key]
            self._check_integration_response(method, response)
            integration.setdefault("integrationResponses", {})[code] = response
            method["methodIntegration"] = integration
            self.save_resource(conn, api_id, row["id"], doc)
        return response

    def _integration_response(self, method: Doc, code: str) -> Doc:
        integration = self._integration(method, "No integration defined for method")
        response = (integration.get("integrationResponses") or {}).get(code)
        if response is None:
            raise NotFoundException("Invalid Response status code specified")
        return dict(response)

    def get_integration_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            method = self._method_doc(conn, ctx, request, lock=False)[3]
        return self._integration_response(method, request["statusCode"])

    def update_integration_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        code = request["statusCode"]
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            response = self._integration_response(method, code)
            patch.apply(response, request.get("patchOperations"), INTEGRATION_RESPONSE_RULES)
            self._check_integration_response(method, response)
            method["methodIntegration"]["integrationResponses"][code] = response
            self.save_resource(conn, api_id, row["id"], doc)
        return response

    def delete_integration_response(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        code = request["statusCode"]
        with self.runtime.store.write() as conn:
            api_id, row, doc, method = self._method_doc(conn, ctx, request)
            self._integration_response(method, code)
            responses = method["methodIntegration"]["integrationResponses"]
            del responses[code]
            if not responses:
                del method["methodIntegration"]["integrationResponses"]
            self.save_resource(conn, api_id, row["id"], doc)
        return {}
