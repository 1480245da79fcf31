"""Deployments (the snapshot of an API a stage serves) and stages.

CreateDeployment stores one JSON document per deployment (``snapshot()``): the API's settings, every resource
with its methods and integrations, and the authorizers, request validators, models and gateway responses the
methods refer to. Later changes to the API do not reach a stage until the next deployment, as on AWS.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, dumps, loads, new_id, stage_arn
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException
from strongroom.services.apigateway.model import client_certificates, deployments, stages

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

_STAGE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")
_VARIABLE_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_VARIABLE_VALUE = re.compile(r"^[A-Za-z0-9\-._~:/?#&=,]*$")

# What a method setting holds once any of its members was set: AWS fills the rest with these.
METHOD_SETTING_DEFAULTS: Doc = {
    "metricsEnabled": False,
    "loggingLevel": "OFF",
    "dataTraceEnabled": False,
    "throttlingBurstLimit": 5000,
    "throttlingRateLimit": 10000.0,
    "cachingEnabled": False,
    "cacheTtlInSeconds": 300,
    "cacheDataEncrypted": False,
    "requireAuthorizationForCacheControl": True,
    "unauthorizedCacheControlHeaderStrategy": "SUCCEED_WITH_RESPONSE_HEADER",
}
# method-setting path suffix -> (MethodSetting member, converter)
_SETTINGS: dict[str, tuple[str, patch.Convert]] = {
    "metrics/enabled": ("metricsEnabled", patch.as_bool),
    "logging/loglevel": ("loggingLevel", patch.as_str),
    "logging/dataTrace": ("dataTraceEnabled", patch.as_bool),
    "throttling/burstLimit": ("throttlingBurstLimit", patch.as_int),
    "throttling/rateLimit": ("throttlingRateLimit", patch.as_float),
    "caching/ttlInSeconds": ("cacheTtlInSeconds", patch.as_int),
    "caching/enabled": ("cachingEnabled", patch.as_bool),
    "caching/dataEncrypted": ("cacheDataEncrypted", patch.as_bool),
    "caching/requireAuthorizationForCacheControl": ("requireAuthorizationForCacheControl", patch.as_bool),
    "caching/unauthorizedCacheControlHeaderStrategy": ("unauthorizedCacheControlHeaderStrategy", patch.as_str),
}
STAGE_PATHS = (
    "/deploymentId",
    "/description",
    "/cacheClusterEnabled",
    "/cacheClusterSize",
    "/clientCertificateId",
    "/accessLogSettings",
    "/accessLogSettings/destinationArn",
    "/accessLogSettings/format",
    *(f"/{{resourcePath}}/{{httpMethod}}/{suffix}" for suffix in _SETTINGS),
    *(f"/*/*/{suffix}" for suffix in _SETTINGS),
    "/variables/{variable_name}",
    "/tracingEnabled",
)
_LOG_LEVELS = ("OFF", "ERROR", "INFO")
_CACHE_STRATEGIES = ("FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER")


def check_stage_name(name: str) -> None:
    if not _STAGE_NAME.match(name):
        raise BadRequestException("Stage name only allows a-zA-Z0-9_")


def check_variables(variables: dict[str, str] | None) -> None:
    for name, value in (variables or {}).items():
        if not _VARIABLE_NAME.match(name):
            raise BadRequestException(f"Stage variable name {name} should only contain alphanumeric and underscore")
        if len(value) > 512 or not _VARIABLE_VALUE.match(value):
            raise BadRequestException(
                f"Stage variable value {value} is invalid: it can contain up to 512 alphanumeric characters and "
                "-._~:/?#&=,"
            )


def _method_setting(stage: Doc, op: str, path: str, value: Any) -> bool:
    """Apply a ``/{resourcePath}/{httpMethod}/{group}/{member}`` path; False when the path is not one."""
    parts = path.lstrip("/").split("/")
    if len(parts) == 2 and op == "remove":  # "/*/*" or "/~1pets/GET": the whole setting
        key = _setting_key(parts[0], parts[1])
        if key not in (stage.get("methodSettings") or {}):
            raise BadRequestException(
                f"Cannot remove method setting {key} because there is no method setting for this method "
            )
        del stage["methodSettings"][key]
        return True
    if len(parts) != 4:
        return False
    setting = _SETTINGS.get(f"{parts[2]}/{parts[3]}")
    if setting is None or op not in ("replace", "add"):
        return False
    member, convert = setting
    converted = convert(path, value)
    if member == "loggingLevel" and converted not in _LOG_LEVELS:
        raise BadRequestException(f"Invalid logging level specified: {converted}. Valid options are OFF,ERROR,INFO")
    if member == "unauthorizedCacheControlHeaderStrategy" and converted not in _CACHE_STRATEGIES:
        raise BadRequestException(f"Invalid unauthorizedCacheControlHeaderStrategy specified: {converted}")
    if member in ("throttlingBurstLimit", "throttlingRateLimit", "cacheTtlInSeconds") and converted < 0:
        raise BadRequestException(f"{member} must be non-negative")
    key = _setting_key(parts[0], parts[1])
    settings = stage.setdefault("methodSettings", {})
    settings.setdefault(key, dict(METHOD_SETTING_DEFAULTS))[member] = converted
    return True


def _setting_key(resource: str, verb: str) -> str:
    """A methodSettings key: ``*/*``, or the resource path without its leading slash and the verb."""
    if resource == "*" and verb == "*":
        return "*/*"
    return patch.unescape(resource).lstrip("/") + "/" + verb


def apply_stage_patch(stage: Doc, operations: list[dict[str, Any]] | None) -> None:
    listing = "[" + ", ".join(STAGE_PATHS) + "]"
    for operation in operations or ():
        op, path, value = str(operation.get("op")), str(operation.get("path") or ""), operation.get("value")
        if path.startswith("/variables/") and len(path) > len("/variables/"):
            name = patch.unescape(path[len("/variables/") :])
            variables = stage.setdefault("variables", {})
            if op == "remove":
                variables.pop(name, None)
            elif op in ("replace", "add"):
                check_variables({name: patch.as_str(path, value)})
                variables[name] = str(value)
            else:
                raise BadRequestException(
                    f"Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations"
                )
            if not variables:
                stage.pop("variables", None)
            continue
        simple = {
            "/description": ("description", patch.as_str),
            "/deploymentId": ("deploymentId", patch.as_str),
            "/tracingEnabled": ("tracingEnabled", patch.as_bool),
            "/cacheClusterEnabled": ("cacheClusterEnabled", patch.as_bool),
            "/cacheClusterSize": ("cacheClusterSize", patch.as_str),
            "/clientCertificateId": ("clientCertificateId", patch.as_str),
        }.get(path)
        if simple is not None:
            member, convert = simple
            if op == "remove" and member in ("description", "clientCertificateId"):
                stage.pop(member, None)
            elif op == "replace":
                stage[member] = convert(path, value)
            else:
                raise BadRequestException(
                    f"Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations"
                )
            continue
        if path.startswith("/accessLogSettings"):
            logs = stage.setdefault("accessLogSettings", {})
            if path == "/accessLogSettings" and op == "remove":
                stage.pop("accessLogSettings", None)
            elif path in ("/accessLogSettings/destinationArn", "/accessLogSettings/format") and op == "replace":
                member = path.rsplit("/", 1)[1]
                text = patch.as_str(path, value)
                if member == "destinationArn" and not re.match(r"^arn:aws[a-z-]*:(logs|firehose):", text):
                    raise BadRequestException(f"Invalid ARN specified in the request: {text}")
                logs[member] = text
            else:
                raise BadRequestException(
                    f"Invalid patch path  '{path}' specified for op '{op}'. Please choose supported operations"
                )
            continue
        if _method_setting(stage, op, path, value):
            continue
        raise BadRequestException(f"Invalid method setting path: {path}. Must be one of: {listing}")


class DeploymentOperations(ApiGatewayBase):
    # -- snapshots ----------------------------------------------------------------------------------------------

    def snapshot(self, conn: Connection, api: dict[str, Any]) -> Doc:
        """Everything a stage serves, as it is now (the deployment's document; ``deployed.py`` reads it)."""
        api_doc = loads(api["doc"])
        rows = self.resource_rows(conn, api["id"])
        resources_out = [self.resource_wire(r) for r in sorted(rows.values(), key=lambda r: r["path"])]
        methods = [(r["path"], verb, m) for r in resources_out for verb, m in (r.get("resourceMethods") or {}).items()]
        if not methods:
            raise BadRequestException("The REST API doesn't contain any methods")
        for _path, _verb, method in methods:
            if "methodIntegration" not in method:
                raise BadRequestException("No integration defined for method")
        types = (api_doc.get("endpointConfiguration") or {}).get("types") or []
        if types == ["PRIVATE"] and not api_doc.get("policy"):
            raise BadRequestException("Private REST API doesn't have a resource policy attached to it")

        def docs(kind: str) -> list[Doc]:
            return [loads(item["doc"]) for item in self.items(conn, api["id"], kind)]

        return {
            "api": {
                "id": api["id"],
                "name": api["name"],
                **{
                    key: api_doc[key]
                    for key in (
                        "description",
                        "version",
                        "apiKeySource",
                        "binaryMediaTypes",
                        "minimumCompressionSize",
                        "endpointConfiguration",
                        "policy",
                        "disableExecuteApiEndpoint",
                    )
                    if key in api_doc
                },
            },
            "resources": resources_out,
            "authorizers": docs("authorizer"),
            "requestValidators": docs("validator"),
            "models": docs("model"),
            "gatewayResponses": docs("gatewayresponse"),
        }

    @staticmethod
    def api_summary(snapshot: Doc) -> Doc:
        summary: Doc = {}
        for resource in snapshot.get("resources") or []:
            for verb, method in (resource.get("resourceMethods") or {}).items():
                summary.setdefault(resource["path"], {})[verb] = {
                    "authorizationType": method.get("authorizationType", "NONE"),
                    "apiKeyRequired": bool(method.get("apiKeyRequired", False)),
                }
        return summary

    @staticmethod
    def deployment_wire(row: Any, embed: bool = False) -> Doc:
        out: Doc = {"id": row.id}
        if row.description:
            out["description"] = row.description
        out["createdDate"] = row.created_at
        if embed:
            out["apiSummary"] = DeploymentOperations.api_summary(loads(row.snapshot))
        return out

    def _deployment(self, conn: Connection, api_id: str, deployment_id: str) -> Any:
        row = conn.execute(
            select(deployments).where(deployments.c.api_id == api_id, deployments.c.id == deployment_id)
        ).one_or_none()
        if row is None:
            raise NotFoundException("Invalid Deployment identifier specified")
        return row

    def _existing_deployment(self, conn: Connection, api_id: str, deployment_id: str) -> None:
        """A stage's deployment: AWS answers a missing one with BadRequestException, not NotFound."""
        try:
            self._deployment(conn, api_id, deployment_id)
        except NotFoundException:
            raise BadRequestException("Deployment id does not exist") from None

    # -- Deployments --------------------------------------------------------------------------------------------

    def create_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stage_name = request.get("stageName")
        if stage_name is not None:
            check_stage_name(stage_name)
        check_variables(request.get("variables"))
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            snap = self.snapshot(conn, api)
            deployment_id, now = new_id(6), self.now()
            snap["deployedAt"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
            conn.execute(
                insert(deployments).values(
                    api_id=api["id"],
                    id=deployment_id,
                    created_at=now,
                    description=request.get("description"),
                    snapshot=dumps(snap),
                )
            )
            if stage_name:
                existing = self._stage_row(conn, api["id"], stage_name, missing_ok=True)
                if existing is None:
                    doc: Doc = {"cacheClusterEnabled": bool(request.get("cacheClusterEnabled", False))}
                    for key, member in (("stageDescription", "description"), ("cacheClusterSize", "cacheClusterSize")):
                        if request.get(key):
                            doc[member] = request[key]
                    doc["tracingEnabled"] = bool(request.get("tracingEnabled", False))
                    if request.get("variables"):
                        doc["variables"] = request["variables"]
                    conn.execute(
                        insert(stages).values(
                            api_id=api["id"],
                            name=stage_name,
                            deployment_id=deployment_id,
                            created_at=now,
                            updated_at=now,
                            doc=dumps(doc),
                        )
                    )
                else:
                    doc = loads(existing.doc)
                    if request.get("variables") is not None:
                        doc["variables"] = {**(doc.get("variables") or {}), **request["variables"]}
                    conn.execute(
                        update(stages)
                        .where(stages.c.api_id == api["id"], stages.c.name == stage_name)
                        .values(deployment_id=deployment_id, updated_at=now, doc=dumps(doc))
                    )
            return self.deployment_wire(self._deployment(conn, api["id"], deployment_id))

    def get_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            row = self._deployment(conn, api["id"], request["deploymentId"])
        return self.deployment_wire(row, embed="apisummary" in (request.get("embed") or []))

    def get_deployments(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            rows = conn.execute(
                select(deployments.c.id, deployments.c.description, deployments.c.created_at).where(
                    deployments.c.api_id == api["id"]
                )
            ).all()
        page, position = self.page(request, list(rows), lambda r: r.id)
        return self.listing([self.deployment_wire(r) for r in page], position)

    def update_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            row = self._deployment(conn, api["id"], request["deploymentId"])
            doc: Doc = {"description": row.description} if row.description else {}
            patch.apply(doc, request.get("patchOperations"), patch.Rules([patch.rule("/description")]))
            conn.execute(
                update(deployments)
                .where(deployments.c.api_id == api["id"], deployments.c.id == row.id)
                .values(description=doc.get("description"))
            )
            return self.deployment_wire(self._deployment(conn, api["id"], row.id))

    def delete_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            row = self._deployment(conn, api["id"], request["deploymentId"])
            used = conn.execute(
                select(stages.c.name).where(stages.c.api_id == api["id"], stages.c.deployment_id == row.id)
            ).first()
            if used is not None:
                raise BadRequestException("Active stages pointing to this deployment must be moved or deleted")
            conn.execute(delete(deployments).where(deployments.c.api_id == api["id"], deployments.c.id == row.id))
        return {}

    # -- Stages -----------------------------------------------------------------------------------------------------

    @staticmethod
    def _stage_row(conn: Connection, api_id: str, name: str, *, missing_ok: bool = False) -> Any:
        row = conn.execute(select(stages).where(stages.c.api_id == api_id, stages.c.name == name)).one_or_none()
        if row is None and not missing_ok:
            raise NotFoundException("Invalid Stage identifier specified")
        return row

    def stage_wire(self, conn: Connection, region: str, row: Any) -> Doc:
        doc = loads(row.doc)
        out: Doc = {"deploymentId": row.deployment_id, "stageName": row.name}
        if doc.get("description"):
            out["description"] = doc["description"]
        out["cacheClusterEnabled"] = bool(doc.get("cacheClusterEnabled", False))
        if doc.get("cacheClusterSize"):
            out["cacheClusterSize"] = doc["cacheClusterSize"]
        out["cacheClusterStatus"] = "NOT_AVAILABLE"
        out["methodSettings"] = doc.get("methodSettings") or {}
        for key in ("variables", "documentationVersion", "accessLogSettings", "clientCertificateId"):
            if doc.get(key):
                out[key] = doc[key]
        out["tracingEnabled"] = bool(doc.get("tracingEnabled", False))
        found = self.tags_of(conn, stage_arn(region, row.api_id, row.name))
        if found:
            out["tags"] = found
        out["createdDate"] = row.created_at
        out["lastUpdatedDate"] = row.updated_at
        return out

    def create_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["stageName"]
        check_stage_name(name)
        check_variables(request.get("variables"))
        self.check_tags(request.get("tags"))
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            self._existing_deployment(conn, api["id"], request["deploymentId"])
            if self._stage_row(conn, api["id"], name, missing_ok=True) is not None:
                raise ConflictException("Stage already exists")
            doc: Doc = {
                "cacheClusterEnabled": bool(request.get("cacheClusterEnabled", False)),
                "tracingEnabled": bool(request.get("tracingEnabled", False)),
            }
            for key in ("description", "cacheClusterSize", "variables", "documentationVersion"):
                if request.get(key):
                    doc[key] = request[key]
            now = self.now()
            conn.execute(
                insert(stages).values(
                    api_id=api["id"],
                    name=name,
                    deployment_id=request["deploymentId"],
                    created_at=now,
                    updated_at=now,
                    doc=dumps(doc),
                )
            )
            self.set_tags(conn, stage_arn(ctx.region, api["id"], name), request.get("tags"))
            return self.stage_wire(conn, ctx.region, self._stage_row(conn, api["id"], name))

    def get_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            return self.stage_wire(conn, ctx.region, self._stage_row(conn, api["id"], request["stageName"]))

    def get_stages(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            query = select(stages).where(stages.c.api_id == api["id"]).order_by(stages.c.name)
            if request.get("deploymentId"):
                query = query.where(stages.c.deployment_id == request["deploymentId"])
            return {"item": [self.stage_wire(conn, ctx.region, r) for r in conn.execute(query).all()]}

    def update_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            row = self._stage_row(conn, api["id"], request["stageName"])
            doc = loads(row.doc)
            doc["deploymentId"] = row.deployment_id
            apply_stage_patch(doc, request.get("patchOperations"))
            deployment_id = doc.pop("deploymentId")
            if deployment_id != row.deployment_id:
                self._existing_deployment(conn, api["id"], deployment_id)
            certificate = doc.get("clientCertificateId")
            if certificate and certificate != loads(row.doc).get("clientCertificateId"):
                owner = conn.execute(
                    select(client_certificates.c.account_id).where(client_certificates.c.id == certificate)
                ).scalar()
                if owner != ctx.account_id:
                    raise BadRequestException("Invalid Client Certificate identifier specified")
            if not certificate:
                doc.pop("clientCertificateId", None)
            conn.execute(
                update(stages)
                .where(stages.c.api_id == api["id"], stages.c.name == row.name)
                .values(deployment_id=deployment_id, updated_at=self.now(), doc=dumps(doc))
            )
            return self.stage_wire(conn, ctx.region, self._stage_row(conn, api["id"], row.name))

    def delete_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            row = self._stage_row(conn, api["id"], request["stageName"])
            conn.execute(delete(stages).where(stages.c.api_id == api["id"], stages.c.name == row.name))
            self.drop_tags(conn, stage_arn(ctx.region, api["id"], row.name))
        return {}

    def flush_stage_cache(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Nothing is cached before the data plane serves the stage: the stage must exist, and the answer is 202."""
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            self._stage_row(conn, api["id"], request["stageName"])
        return {}

    def flush_stage_authorizers_cache(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self.flush_stage_cache(ctx, request)
