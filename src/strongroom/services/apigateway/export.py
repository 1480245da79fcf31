"""GetExport, ImportRestApi and PutRestApi: a stage's deployment as OpenAPI 3.0 (``oas30``) or Swagger 2.0
(``swagger``), JSON or YAML, with API Gateway's ``x-amazon-apigateway-*`` extensions; and an API built (or
overwritten, or merged into) from such a document. What GetExport writes, ImportRestApi reads back.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert

from strongroom.services.apigateway import importer
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, dumps, loads, new_id
from strongroom.services.apigateway.errors import BadRequestException, NotFoundException
from strongroom.services.apigateway.model import api_items, deployments, resources, rest_apis, stages
from strongroom.services.apigateway.restapis import RestApiOperations, is_greedy

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

ANY = importer.ANY
X_INTEGRATION = importer.X_INTEGRATION
X_AUTHORIZER = importer.X_AUTHORIZER


def _ref(kind: str, name: str) -> Doc:
    return {"$ref": f"#/{'components/schemas' if kind == 'oas30' else 'definitions'}/{name}"}


def export_integration(integration: Doc) -> Doc:
    out: Doc = {"type": str(integration["type"]).lower()}
    for key in ("httpMethod", "uri", "credentials", "requestParameters", "requestTemplates", "contentHandling"):
        if integration.get(key) not in (None, {}, ""):
            out[key] = integration[key]
    out["passthroughBehavior"] = str(integration.get("passthroughBehavior", "WHEN_NO_MATCH")).lower()
    out["timeoutInMillis"] = integration.get("timeoutInMillis", 29000)
    if integration.get("cacheKeyParameters"):
        out["cacheKeyParameters"] = integration["cacheKeyParameters"]
    responses: Doc = {}
    for code, response in (integration.get("integrationResponses") or {}).items():
        entry: Doc = {"statusCode": code}
        for key in ("responseParameters", "responseTemplates", "contentHandling"):
            if response.get(key):
                entry[key] = response[key]
        responses[response.get("selectionPattern") or "default"] = entry
    if responses:
        out["responses"] = responses
    return out


def export_document(snapshot: Doc, stage: str, kind: str, extensions: set[str], region: str) -> Doc:
    """The OpenAPI document of a deployment snapshot (deployments.snapshot())."""
    api = snapshot["api"]
    with_integrations = bool(extensions & {"integrations", "apigateway"})
    with_authorizers = with_integrations or "authorizers" in extensions
    authorizers = {a["id"]: a for a in snapshot.get("authorizers") or []}
    validators = {v["id"]: v for v in snapshot.get("requestValidators") or []}
    schemes: Doc = {}
    paths: Doc = {}
    for resource in snapshot.get("resources") or []:
        item: Doc = {}
        for verb, method in sorted((resource.get("resourceMethods") or {}).items()):
            op: Doc = {}
            if method.get("operationName"):
                op["operationId"] = method["operationName"]
            params = []
            for name, required in sorted((method.get("requestParameters") or {}).items()):
                _, _, where, pname = name.split(".", 3)
                place = {"querystring": "query", "path": "path", "header": "header"}.get(where, where)
                param: Doc = {"name": pname, "in": place, "required": bool(required) or place == "path"}
                param.update({"schema": {"type": "string"}} if kind == "oas30" else {"type": "string"})
                params.append(param)
            models = method.get("requestModels") or {}
            if models and kind == "swagger":
                for model in sorted(set(models.values())):
                    params.append({"in": "body", "name": model, "required": True, "schema": _ref(kind, model)})
            if params:
                op["parameters"] = params
            if models and kind == "oas30":
                op["requestBody"] = {
                    "content": {ct: {"schema": _ref(kind, m)} for ct, m in sorted(models.items())},
                    "required": True,
                }
            responses: Doc = {}
            for code, response in sorted((method.get("methodResponses") or {}).items()):
                entry: Doc = {"description": f"{code} response"}
                headers = {
                    h.rsplit(".", 1)[-1]: ({"schema": {"type": "string"}} if kind == "oas30" else {"type": "string"})
                    for h in response.get("responseParameters") or {}
                }
                if headers:
                    entry["headers"] = headers
                for ct, model in sorted((response.get("responseModels") or {}).items()):
                    if kind == "oas30":
                        entry.setdefault("content", {})[ct] = {"schema": _ref(kind, model)}
                    else:
                        entry["schema"] = _ref(kind, model)
                responses[code] = entry
            op["responses"] = responses
            security: list[Doc] = []
            auth = method.get("authorizationType", "NONE")
            if auth == "AWS_IAM":
                schemes["sigv4"] = {
                    "type": "apiKey",
                    "name": "Authorization",
                    "in": "header",
                    "x-amazon-apigateway-authtype": "awsSigv4",
                }
                security.append({"sigv4": []})
            elif auth in ("CUSTOM", "COGNITO_USER_POOLS") and method.get("authorizerId") in authorizers:
                authorizer = authorizers[method["authorizerId"]]
                scheme: Doc = {
                    "type": "apiKey",
                    "name": str(authorizer.get("identitySource") or "Authorization").rsplit(".", 1)[-1],
                    "in": "header",
                    "x-amazon-apigateway-authtype": "cognito_user_pools" if auth == "COGNITO_USER_POOLS" else "custom",
                }
                if with_authorizers:
                    ext: Doc = {"type": str(authorizer["type"]).lower()}
                    for key in (
                        "authorizerUri",
                        "authorizerCredentials",
                        "identitySource",
                        "identityValidationExpression",
                        "authorizerResultTtlInSeconds",
                        "providerARNs",
                    ):
                        if authorizer.get(key) is not None:
                            ext[key] = authorizer[key]
                    scheme[X_AUTHORIZER] = ext
                schemes[authorizer["name"]] = scheme
                security.append({authorizer["name"]: list(method.get("authorizationScopes") or [])})
            if method.get("apiKeyRequired"):
                schemes["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
                security.append({"api_key": []})
            if security:
                op["security"] = security
            validator = validators.get(method.get("requestValidatorId") or "")
            if validator is not None and with_integrations:
                op["x-amazon-apigateway-request-validator"] = validator.get("name") or validator["id"]
            if with_integrations and method.get("methodIntegration"):
                op[X_INTEGRATION] = export_integration(method["methodIntegration"])
            item[ANY if verb == "ANY" else verb.lower()] = op
        paths[resource["path"]] = item
    schemas = {m["name"]: json.loads(m["schema"]) for m in snapshot.get("models") or [] if m.get("schema")}
    # AWS names the deployment's date as the version of an API that has none of its own.
    info: Doc = {"title": api["name"]}
    if api.get("description"):
        info["description"] = api["description"]
    info["version"] = api.get("version") or snapshot.get("deployedAt") or "1.0"
    if kind == "oas30":
        doc: Doc = {
            "openapi": "3.0.1",
            "info": info,
            "servers": [
                {
                    "url": f"https://{api['id']}.execute-api.{region}.amazonaws.com/{{basePath}}",
                    "variables": {"basePath": {"default": stage}},
                }
            ],
            "paths": paths,
            "components": {"schemas": schemas, **({"securitySchemes": schemes} if schemes else {})},
        }
    else:
        doc = {
            "swagger": "2.0",
            "info": info,
            "host": f"{api['id']}.execute-api.{region}.amazonaws.com",
            "basePath": f"/{stage}",
            "schemes": ["https"],
            "paths": paths,
            "definitions": schemas,
            **({"securityDefinitions": schemes} if schemes else {}),
        }
    if with_integrations:
        if validators:
            doc["x-amazon-apigateway-request-validators"] = {
                (v.get("name") or v["id"]): {
                    "validateRequestBody": v["validateRequestBody"],
                    "validateRequestParameters": v["validateRequestParameters"],
                }
                for v in validators.values()
            }
        responses = {
            r["responseType"]: {k: r[k] for k in ("statusCode", "responseParameters", "responseTemplates") if r.get(k)}
            for r in snapshot.get("gatewayResponses") or []
        }
        if responses:
            doc["x-amazon-apigateway-gateway-responses"] = responses
        if api.get("binaryMediaTypes"):
            doc["x-amazon-apigateway-binary-media-types"] = api["binaryMediaTypes"]
        if api.get("apiKeySource", "HEADER") != "HEADER":
            doc["x-amazon-apigateway-api-key-source"] = api["apiKeySource"]
        if api.get("minimumCompressionSize") is not None:
            doc["x-amazon-apigateway-minimum-compression-size"] = api["minimumCompressionSize"]
        if api.get("policy"):
            doc["x-amazon-apigateway-policy"] = json.loads(api["policy"])
    return doc


def parse_definition(body: Any) -> Doc:
    raw = body if isinstance(body, bytes | bytearray) else str(body or "").encode()
    try:
        doc = json.loads(raw)
    except RecursionError:  # nested past the parser: no definition nests that deep
        doc = None
    except ValueError:
        import yaml  # PyYAML with the first YAML definition or export, not in every server process

        try:
            doc = yaml.safe_load(raw)
        except (yaml.YAMLError, RecursionError):
            doc = None
    if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc):
        raise BadRequestException(
            "Invalid OpenAPI input: the body must be an OpenAPI 3.0 or Swagger 2.0 definition in JSON or YAML"
        )
    if not isinstance(doc.get("paths", {}), dict):
        raise BadRequestException("Invalid OpenAPI input: paths must be an object")
    return doc


def read_plan(body: Any) -> importer.ImportPlan:
    """The import plan of a definition; a definition of the wrong shape (a list where an object belongs, a number
    that is not one) is the caller's error, not a server fault."""
    try:
        return importer.plan(parse_definition(body))
    except (AttributeError, TypeError, ValueError, KeyError) as exc:
        raise BadRequestException(
            f"Invalid OpenAPI input: the definition is malformed ({type(exc).__name__})"
        ) from None


class ExportOperations(ApiGatewayBase):
    # -- GetExport ------------------------------------------------------------------------------------------------

    def get_export(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = request["exportType"]
        if kind not in ("oas30", "swagger"):
            raise BadRequestException(f"Invalid export type specified: {kind}. Valid options are oas30,swagger")
        accepts = request.get("accepts") or "application/json"
        if accepts not in ("application/json", "application/yaml"):
            accepts = "application/json"
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            stage = conn.execute(
                stages.select().where(stages.c.api_id == api["id"], stages.c.name == request["stageName"])
            ).one_or_none()
            if stage is None:
                raise NotFoundException("Invalid Stage identifier specified")
            snapshot = self.deployment_snapshot(conn, api["id"], stage.deployment_id)
        extensions = {e.strip() for e in str((request.get("parameters") or {}).get("extensions", "")).split(",")}
        doc = export_document(snapshot, stage.name, kind, extensions, ctx.region)
        if accepts == "application/yaml":
            import yaml

            body = yaml.safe_dump(doc, sort_keys=False).encode()
        else:
            body = json.dumps(doc, indent=2).encode()
        ext = "yaml" if accepts == "application/yaml" else "json"
        return {
            "contentType": accepts,
            "contentDisposition": f'attachment; filename="{kind}_{doc["info"]["version"]}.{ext}"',
            "body": body,
        }

    def deployment_snapshot(self, conn: Connection, api_id: str, deployment_id: str) -> Doc:
        text = conn.execute(
            deployments.select()
            .with_only_columns(deployments.c.snapshot)
            .where(deployments.c.api_id == api_id, deployments.c.id == deployment_id)
        ).scalar_one_or_none()
        if text is None:
            raise NotFoundException("Invalid Deployment identifier specified")
        return loads(text)

    # -- ImportRestApi / PutRestApi -------------------------------------------------------------------------------

    def import_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        plan = read_plan(request.get("body"))
        params = request.get("parameters") or {}
        kind = str(params.get("endpointConfigurationTypes") or "EDGE").upper()
        if kind not in ("EDGE", "REGIONAL", "PRIVATE"):
            raise BadRequestException(f"Invalid endpoint type specified: {kind}")
        api_id, root_id, now = new_id(), new_id(), self.now()
        doc: Doc = {
            "apiKeySource": "HEADER",
            "endpointConfiguration": {"types": [kind], "ipAddressType": "dualstack" if kind == "PRIVATE" else "ipv4"},
            "disableExecuteApiEndpoint": False,
            "rootResourceId": root_id,
        }
        with self.runtime.store.write() as conn:
            conn.execute(
                insert(rest_apis).values(
                    id=api_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=plan.settings["name"],
                    created_at=now,
                    doc=dumps(doc),
                )
            )
            conn.execute(insert(resources).values(api_id=api_id, id=root_id, parent_id=None, path="/", doc="{}"))
            self.apply_plan(conn, ctx, api_id, plan, overwrite=True)
            return self.api_wire(conn, self.api_row(conn, ctx, api_id))

    def put_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        mode = request.get("mode") or "merge"
        if mode not in ("merge", "overwrite"):
            raise BadRequestException(f"Invalid mode specified: {mode}. Valid options are merge,overwrite")
        plan = read_plan(request.get("body"))
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self.apply_plan(conn, ctx, api["id"], plan, overwrite=mode == "overwrite")
            return self.api_wire(conn, self.api_row(conn, ctx, api["id"]))

    def apply_plan(
        self, conn: Connection, ctx: RequestContext, api_id: str, plan: importer.ImportPlan, *, overwrite: bool
    ) -> None:
        api = self.api_row(conn, ctx, api_id)
        doc = loads(api["doc"])
        if overwrite:
            for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
                doc.pop(key, None)
            doc["apiKeySource"] = "HEADER"
            conn.execute(delete(resources).where(resources.c.api_id == api_id, resources.c.parent_id.is_not(None)))
            self.save_resource(conn, api_id, doc["rootResourceId"], {})
            conn.execute(delete(api_items).where(api_items.c.api_id == api_id))
        settings = dict(plan.settings)
        name = settings.pop("name")
        doc.update(settings)
        conn.execute(rest_apis.update().where(rest_apis.c.id == api_id).values(name=name, doc=dumps(doc)))

        def by_name(kind: str) -> dict[str, Doc]:
            return {loads(r["doc"]).get("name", r["key"]): loads(r["doc"]) for r in self.items(conn, api_id, kind)}

        for model_name, model in plan.models.items():
            existing = self.item(conn, api_id, "model", model_name)
            self.put_item(conn, api_id, "model", model_name, {"id": existing["id"] if existing else new_id(6), **model})
        ids: dict[str, dict[str, str]] = {"authorizer": {}, "validator": {}}
        for kind, wanted in (("authorizer", plan.authorizers), ("validator", plan.validators)):
            current = by_name(kind)
            for item_name, item in wanted.items():
                item_id = current[item_name]["id"] if item_name in current else new_id(6)
                self.put_item(conn, api_id, kind, item_id, {"id": item_id, **item})
                ids[kind][item_name] = item_id
        for kind, response in plan.gateway_responses.items():
            self.put_item(conn, api_id, "gatewayresponse", kind, response)

        rows = self.resource_rows(conn, api_id)
        for path, methods in sorted(plan.paths.items()):
            row = self._ensure_path(conn, api_id, rows, doc["rootResourceId"], path)
            resource_doc = loads(row["doc"])
            current_methods = {} if overwrite else dict(resource_doc.get("resourceMethods") or {})
            for verb, method in methods.items():
                method = json.loads(json.dumps(method))
                if "authorizerId" in method:
                    method["authorizerId"] = ids["authorizer"][method["authorizerId"]]
                if "requestValidatorId" in method:
                    method["requestValidatorId"] = ids["validator"][method["requestValidatorId"]]
                if "methodIntegration" in method:
                    method["methodIntegration"].setdefault("cacheNamespace", row["id"])
                current_methods[verb] = method
            if current_methods:
                resource_doc["resourceMethods"] = current_methods
            self.save_resource(conn, api_id, row["id"], resource_doc)
            row["doc"] = dumps(resource_doc)

    def _ensure_path(
        self, conn: Connection, api_id: str, rows: dict[str, dict[str, Any]], root_id: str, path: str
    ) -> dict[str, Any]:
        """The resource at ``path``, creating the missing resources along it (AWS's path-part rules apply)."""
        row = rows[root_id]
        for part in [p for p in path.split("/") if p]:
            child = next(
                (r for r in rows.values() if r["parent_id"] == row["id"] and loads(r["doc"]).get("pathPart") == part),
                None,
            )
            if child is None:
                if is_greedy(loads(row["doc"]).get("pathPart", "")):
                    raise BadRequestException(f"Invalid OpenAPI input: {path} continues past a greedy path variable")
                RestApiOperations.check_child(rows, row, part, None)
                child = {
                    "api_id": api_id,
                    "id": new_id(),
                    "parent_id": row["id"],
                    "path": row["path"].rstrip("/") + "/" + part,
                    "doc": dumps({"pathPart": part}),
                }
                conn.execute(insert(resources).values(**child))
                rows[child["id"]] = child
            row = child
        return row
