"""Reading an OpenAPI 3.0 / Swagger 2.0 definition into what API Gateway stores (ImportRestApi, PutRestApi).

``plan(doc)`` is pure: it validates the whole definition and returns an ``ImportPlan`` (the API's settings, its
models, authorizers, request validators and gateway responses by name, and every path's methods); the provider
writes it in one transaction, so a definition that fails leaves the API as it was.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from strongroom.core.errors import AwsError
from strongroom.services.apigateway.apiparts import GATEWAY_RESPONSE_STATUS, check_authorizer, check_schema
from strongroom.services.apigateway.errors import BadRequestException
from strongroom.services.apigateway.methods import HTTP_METHODS, check_integration

Doc = dict[str, Any]
ANY = "x-amazon-apigateway-any-method"
X_INTEGRATION = "x-amazon-apigateway-integration"
X_AUTHORIZER = "x-amazon-apigateway-authorizer"
_PLACES = {"path": "path", "query": "querystring", "header": "header"}


@dataclass(slots=True)
class ImportPlan:
    settings: Doc  # name, description, version, binaryMediaTypes, apiKeySource, minimumCompressionSize, policy
    models: dict[str, Doc] = field(default_factory=dict)  # name -> Model (without id)
    authorizers: dict[str, Doc] = field(default_factory=dict)  # name -> Authorizer (without id)
    validators: dict[str, Doc] = field(default_factory=dict)  # name -> RequestValidator (without id)
    gateway_responses: dict[str, Doc] = field(default_factory=dict)
    # path -> verb -> Method; authorizerId / requestValidatorId hold the *names* until written
    paths: dict[str, dict[str, Doc]] = field(default_factory=dict)


def _bad(message: str) -> AwsError:
    return BadRequestException(f"Invalid OpenAPI input: {message}")


def _ref_name(node: Any) -> str | None:
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        return str(node["$ref"]).rsplit("/", 1)[-1]
    return None


def _schemes(doc: Doc) -> Doc:
    if "openapi" in doc:
        return dict((doc.get("components") or {}).get("securitySchemes") or {})
    return dict(doc.get("securityDefinitions") or {})


def _authorizer(name: str, scheme: Doc) -> Doc:
    ext = scheme[X_AUTHORIZER]
    kind = str(ext.get("type", "token")).upper()
    out: Doc = {"name": name, "type": kind}
    for key in (
        "authorizerUri",
        "authorizerCredentials",
        "identitySource",
        "identityValidationExpression",
        "providerARNs",
    ):
        if ext.get(key) is not None:
            out[key] = ext[key]
    if kind in ("TOKEN", "COGNITO_USER_POOLS") and "identitySource" not in out:
        out["identitySource"] = f"method.request.header.{scheme.get('name', 'Authorization')}"
    out["authorizerResultTtlInSeconds"] = int(ext.get("authorizerResultTtlInSeconds", 300))
    check_authorizer(out)
    return out


def _integration(ext: Doc) -> Doc:
    out: Doc = {"type": str(ext.get("type", "")).upper()}
    for key in ("httpMethod", "uri", "credentials", "requestParameters", "requestTemplates", "contentHandling"):
        if ext.get(key) is not None:
            out[key] = ext[key]
    if out["type"] != "MOCK":
        out["connectionType"] = str(ext.get("connectionType", "INTERNET")).upper()
    out["passthroughBehavior"] = str(ext.get("passthroughBehavior", "WHEN_NO_MATCH")).upper()
    out["timeoutInMillis"] = int(ext.get("timeoutInMillis", 29000))
    out["cacheKeyParameters"] = list(ext.get("cacheKeyParameters") or [])
    if ext.get("cacheNamespace"):
        out["cacheNamespace"] = ext["cacheNamespace"]
    responses: Doc = {}
    for pattern, response in (ext.get("responses") or {}).items():
        code = str(response.get("statusCode", ""))
        entry: Doc = {"statusCode": code}
        if pattern != "default":
            entry["selectionPattern"] = pattern
        for key in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(key) is not None:
                entry[key] = response[key]
        responses[code] = entry
    if responses:
        out["integrationResponses"] = responses
    check_integration(out)
    return out


def _method(verb: str, op: Doc, shared: list[Any], doc: Doc, schemes: Doc, plan: ImportPlan) -> Doc:
    method: Doc = {"httpMethod": verb, "authorizationType": "NONE", "apiKeyRequired": False}
    if op.get("operationId"):
        method["operationName"] = op["operationId"]
    params: dict[str, bool] = {}
    models: dict[str, str] = {}
    for param in [*shared, *(op.get("parameters") or [])]:
        if not isinstance(param, dict):
            continue
        place = param.get("in")
        if place == "body":
            name = _ref_name(param.get("schema"))
            if name:
                for ct in op.get("consumes") or doc.get("consumes") or ["application/json"]:
                    models[ct] = name
        elif place in _PLACES and param.get("name"):
            params[f"method.request.{_PLACES[place]}.{param['name']}"] = bool(param.get("required", False))
    for ct, media in ((op.get("requestBody") or {}).get("content") or {}).items():
        name = _ref_name((media or {}).get("schema"))
        if name:
            models[ct] = name
    if params:
        method["requestParameters"] = params
    if models:
        method["requestModels"] = models
    responses: Doc = {}
    for code, response in (op.get("responses") or {}).items():
        if not str(code).isdigit() or not isinstance(response, dict):
            continue
        entry: Doc = {"statusCode": str(code)}
        headers = response.get("headers") or {}
        if headers:
            entry["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
        response_models = {
            ct: name
            for ct, media in (response.get("content") or {}).items()
            if (name := _ref_name((media or {}).get("schema")))
        }
        if "schema" in response and _ref_name(response["schema"]):
            for ct in op.get("produces") or doc.get("produces") or ["application/json"]:
                response_models[ct] = str(_ref_name(response["schema"]))
        if response_models:
            entry["responseModels"] = response_models
        responses[str(code)] = entry
    if responses:
        method["methodResponses"] = responses
    for requirement in op.get("security", doc.get("security")) or []:
        for scheme_name, scopes in (requirement or {}).items():
            scheme = schemes.get(scheme_name)
            if scheme is None:
                raise _bad(f"security scheme {scheme_name} is not defined")
            authtype = str(scheme.get("x-amazon-apigateway-authtype", "")).lower()
            if authtype == "awssigv4":
                method["authorizationType"] = "AWS_IAM"
            elif X_AUTHORIZER in scheme:
                authorizer = plan.authorizers[scheme_name]
                cognito = authorizer["type"] == "COGNITO_USER_POOLS"
                method["authorizationType"] = "COGNITO_USER_POOLS" if cognito else "CUSTOM"
                method["authorizerId"] = scheme_name
                if scopes:
                    method["authorizationScopes"] = list(scopes)
            elif scheme.get("type") == "apiKey" and str(scheme.get("name", "")).lower() == "x-api-key":
                method["apiKeyRequired"] = True
    validator = op.get("x-amazon-apigateway-request-validator", doc.get("x-amazon-apigateway-request-validator"))
    if validator:
        if validator not in plan.validators:
            raise _bad(f"request validator {validator} is not defined")
        method["requestValidatorId"] = validator
    for name in [*models.values(), *(m for r in responses.values() for m in (r.get("responseModels") or {}).values())]:
        if name not in plan.models:
            raise _bad(f"model {name} is not defined")
    if isinstance(op.get(X_INTEGRATION), dict):
        method["methodIntegration"] = _integration(op[X_INTEGRATION])
    return method


def plan(doc: Doc) -> ImportPlan:
    info = doc.get("info") or {}
    if not info.get("title"):
        raise _bad("info.title is required: it names the API")
    settings: Doc = {"name": str(info["title"])}
    for key in ("description", "version"):
        if info.get(key):
            settings[key] = str(info[key])
    if doc.get("x-amazon-apigateway-binary-media-types"):
        settings["binaryMediaTypes"] = list(doc["x-amazon-apigateway-binary-media-types"])
    if doc.get("x-amazon-apigateway-api-key-source"):
        settings["apiKeySource"] = str(doc["x-amazon-apigateway-api-key-source"]).upper()
    if doc.get("x-amazon-apigateway-minimum-compression-size") is not None:
        settings["minimumCompressionSize"] = int(doc["x-amazon-apigateway-minimum-compression-size"])
    if doc.get("x-amazon-apigateway-policy"):
        policy = doc["x-amazon-apigateway-policy"]
        settings["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
    out = ImportPlan(settings)
    schemas = (doc.get("components") or {}).get("schemas") if "openapi" in doc else doc.get("definitions")
    for name, schema in (schemas or {}).items():
        text = json.dumps(schema)
        check_schema(text)
        out.models[name] = {"name": name, "contentType": "application/json", "schema": text}
    schemes = _schemes(doc)
    for name, scheme in schemes.items():
        if isinstance(scheme, dict) and isinstance(scheme.get(X_AUTHORIZER), dict):
            out.authorizers[name] = _authorizer(name, scheme)
    for name, validator in (doc.get("x-amazon-apigateway-request-validators") or {}).items():
        out.validators[name] = {
            "name": name,
            "validateRequestBody": bool((validator or {}).get("validateRequestBody", False)),
            "validateRequestParameters": bool((validator or {}).get("validateRequestParameters", False)),
        }
    for kind, response in (doc.get("x-amazon-apigateway-gateway-responses") or {}).items():
        if kind not in GATEWAY_RESPONSE_STATUS:
            raise _bad(f"unknown gateway response type {kind}")
        entry: Doc = {"responseType": kind}
        if (response or {}).get("statusCode"):
            entry["statusCode"] = str(response["statusCode"])
        entry["responseParameters"] = dict((response or {}).get("responseParameters") or {})
        entry["responseTemplates"] = dict((response or {}).get("responseTemplates") or {})
        entry["defaultResponse"] = False
        out.gateway_responses[kind] = entry
    for path, item in (doc.get("paths") or {}).items():
        if not str(path).startswith("/") or not isinstance(item, dict):
            raise _bad(f"invalid path {path}")
        methods: dict[str, Doc] = {}
        for key, op in item.items():
            verb = "ANY" if key == ANY else str(key).upper()
            if verb not in HTTP_METHODS or not isinstance(op, dict):
                continue
            methods[verb] = _method(verb, op, list(item.get("parameters") or []), doc, schemes, out)
        out.paths["/" + str(path).strip("/")] = methods
    return out
