"""REST APIs and their resources: Create/Get/Update/DeleteRestApi, Create/Get/Update/DeleteResource, and the
account-level settings (Get/UpdateAccount)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select

from strongroom.services.apigateway import patch
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, api_arn, dumps, loads, new_id
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException
from strongroom.services.apigateway.model import (
    accounts,
    api_items,
    base_path_mappings,
    deployments,
    resources,
    rest_apis,
    stages,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

MAX_COMPRESSION = 10_485_760
ENDPOINT_TYPES = ("EDGE", "REGIONAL", "PRIVATE")
# A path part: plain characters, or one {variable} (greedy {name+} allowed), as AWS's message says.
_PATH_PART = re.compile(r"^(?:[a-zA-Z0-9._\-:]+|\{[a-zA-Z0-9._\-]+\+?\})$")
_PATH_PART_MESSAGE = (
    "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional "
    "plus sign before the closing brace."
)

# The two models every new API has (AWS creates them with the API).
DEFAULT_MODELS: tuple[Doc, ...] = (
    {
        "name": "Empty",
        "contentType": "application/json",
        "description": "This is a default empty schema model",
        "schema": '{\n  "$schema": "http://json-schema.org/draft-04/schema#",\n  "title" : "Empty Schema",\n'
        '  "type" : "object"\n}',
    },
    {
        "name": "Error",
        "contentType": "application/json",
        "description": "This is a default error schema model",
        "schema": '{\n  "$schema" : "http://json-schema.org/draft-04/schema#",\n  "title" : "Error Schema",\n'
        '  "type" : "object",\n  "properties" : {\n    "message" : { "type" : "string" }\n  }\n}',
    },
)

DEFAULT_ACCOUNT: Doc = {
    "throttleSettings": {"burstLimit": 5000, "rateLimit": 10000.0},
    "features": ["UsagePlans"],
    "apiKeyVersion": "4",
}


def is_variable(part: str) -> bool:
    return part.startswith("{") and part.endswith("}")


def is_greedy(part: str) -> bool:
    return part.startswith("{") and part.endswith("+}")


def check_policy(policy: Any) -> None:
    if policy is None:
        return
    try:
        parsed = json.loads(str(policy))
    except (ValueError, RecursionError):  # nested too deeply to parse is as invalid as malformed
        parsed = None
    if not isinstance(parsed, dict):
        raise BadRequestException(
            "Invalid policy document. Please check the policy syntax and ensure that Principals are valid."
        )


def check_endpoint(config: Doc) -> None:
    types = config.get("types") or []
    if len(types) != 1:
        raise BadRequestException("Cannot create an api with multiple Endpoint Types.")
    if types[0] not in ENDPOINT_TYPES:
        raise BadRequestException(f"Invalid endpoint type specified: {types[0]}")
    if config.get("vpcEndpointIds") and types[0] != "PRIVATE":
        raise BadRequestException("VPC endpoint IDs are only supported for PRIVATE APIs.")


def _replace_endpoint_type(doc: Doc, op: str, key: str, value: Any) -> None:
    config = doc.setdefault("endpointConfiguration", {"types": ["EDGE"]})
    if key not in (config.get("types") or []):
        raise BadRequestException(f"Invalid patch path  '/endpointConfiguration/types/{key}': no such type")
    new = patch.as_str("/endpointConfiguration/types", value)
    config["types"] = [new]
    if new != "PRIVATE":
        config.pop("vpcEndpointIds", None)
    check_endpoint(config)


def _vpc_endpoints(doc: Doc, op: str, key: str, value: Any) -> None:
    config = doc.setdefault("endpointConfiguration", {"types": ["EDGE"]})
    ids = list(config.get("vpcEndpointIds") or [])
    given = [v.strip() for v in str(value or "").split(",") if v.strip()]
    if op == "add":
        ids += [v for v in given if v not in ids]
    elif op == "remove":
        ids = [v for v in ids if v not in given] if given else []
    else:
        ids = given
    if ids:
        config["vpcEndpointIds"] = ids
    else:
        config.pop("vpcEndpointIds", None)
    check_endpoint(config)


def _compression(doc: Doc, op: str, key: str, value: Any) -> None:
    if value is None or str(value) == "":
        doc.pop("minimumCompressionSize", None)
        return
    try:
        size = int(str(value))
    except ValueError:
        size = -1
    if not 0 <= size <= MAX_COMPRESSION:
        raise BadRequestException(f"Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION}")
    doc["minimumCompressionSize"] = size


def _policy(doc: Doc, op: str, key: str, value: Any) -> None:
    if op == "remove" or value in (None, ""):
        doc.pop("policy", None)
        return
    check_policy(value)
    doc["policy"] = str(value)


def _api_key_source(doc: Doc, op: str, key: str, value: Any) -> None:
    if value not in ("HEADER", "AUTHORIZER"):
        raise BadRequestException(f"Invalid API Key source specified: {value}. Valid options are HEADER,AUTHORIZER")
    doc["apiKeySource"] = value


REST_API_RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/description"),
        patch.rule("/version"),
        patch.rule("/apiKeySource", apply=_api_key_source),
        patch.rule("/binaryMediaTypes", "add", "remove", "replace", kind="set"),
        patch.rule("/minimumCompressionSize", apply=_compression),
        patch.rule("/policy", "replace", "remove", apply=_policy),
        patch.rule("/endpointConfiguration/types", kind="map", apply=_replace_endpoint_type),
        patch.rule("/endpointConfiguration/vpcEndpointIds", "add", "remove", "replace", apply=_vpc_endpoints),
        patch.rule("/disableExecuteApiEndpoint", convert=patch.as_bool),
    ]
)

RESOURCE_RULES = patch.Rules(
    [patch.rule("/parentId", "replace"), patch.rule("/pathPart", "replace")], listing="[/parentId, /pathPart]"
)

ACCOUNT_RULES = patch.Rules(
    [patch.rule("/cloudwatchRoleArn", "replace"), patch.rule("/features", "add", "remove", kind="set")]
)


class RestApiOperations(ApiGatewayBase):
    # -- wire shapes --------------------------------------------------------------------------------------------

    def api_wire(self, conn: Connection, row: dict[str, Any]) -> Doc:
        doc = loads(row["doc"])
        out: Doc = {"id": row["id"], "name": row["name"]}
        for key in ("description", "version"):
            if doc.get(key):
                out[key] = doc[key]
        out["createdDate"] = row["created_at"]
        if doc.get("binaryMediaTypes"):
            out["binaryMediaTypes"] = doc["binaryMediaTypes"]
        if doc.get("minimumCompressionSize") is not None:
            out["minimumCompressionSize"] = doc["minimumCompressionSize"]
        out["apiKeySource"] = doc.get("apiKeySource", "HEADER")
        out["endpointConfiguration"] = doc.get("endpointConfiguration") or {"types": ["EDGE"]}
        if doc.get("policy"):
            out["policy"] = doc["policy"]
        found = self.tags_of(conn, api_arn(row["region"], row["id"]))
        if found:
            out["tags"] = found
        out["disableExecuteApiEndpoint"] = bool(doc.get("disableExecuteApiEndpoint", False))
        out["rootResourceId"] = doc["rootResourceId"]
        return out

    # -- RestApis -------------------------------------------------------------------------------------------------

    def create_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request.get("description") == "":
            raise BadRequestException("Description cannot be an empty string")
        size = request.get("minimumCompressionSize")
        if size is not None and not 0 <= int(size) <= MAX_COMPRESSION:
            raise BadRequestException(f"Invalid minimum compression size, must be between 0 and {MAX_COMPRESSION}")
        config = dict(request.get("endpointConfiguration") or {"types": ["EDGE"]})
        config.setdefault("types", ["EDGE"])
        check_endpoint(config)
        config.setdefault("ipAddressType", "dualstack" if config["types"][0] == "PRIVATE" else "ipv4")
        check_policy(request.get("policy"))
        self.check_tags(request.get("tags"))
        if request.get("cloneFrom"):
            raise BadRequestException("cloneFrom is not supported by this server")
        api_id, root_id, now = new_id(), new_id(), self.now()
        doc: Doc = {
            "apiKeySource": request.get("apiKeySource") or "HEADER",
            "endpointConfiguration": config,
            "disableExecuteApiEndpoint": bool(request.get("disableExecuteApiEndpoint", False)),
            "rootResourceId": root_id,
        }
        for key in ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy"):
            if request.get(key) is not None and request.get(key) != []:
                doc[key] = request[key]
        with self.runtime.store.write() as conn:
            conn.execute(
                insert(rest_apis).values(
                    id=api_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request["name"],
                    created_at=now,
                    doc=dumps(doc),
                )
            )
            conn.execute(insert(resources).values(api_id=api_id, id=root_id, parent_id=None, path="/", doc="{}"))
            for model in DEFAULT_MODELS:
                self.put_item(conn, api_id, "model", model["name"], {"id": new_id(6), **model})
            self.set_tags(conn, api_arn(ctx.region, api_id), request.get("tags"))
            return self.api_wire(conn, self.api_row(conn, ctx, api_id))

    def get_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self.api_wire(conn, self.api_row(conn, ctx, request["restApiId"]))

    def get_rest_apis(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(rest_apis).where(rest_apis.c.account_id == ctx.account_id, rest_apis.c.region == ctx.region)
            ).all()
            page, position = self.page(request, [dict(r._mapping) for r in rows], lambda r: r["id"])
            return self.listing([self.api_wire(conn, r) for r in page], position)

    def update_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.api_row(conn, ctx, request["restApiId"], lock=True)
            doc = loads(row["doc"])
            doc["name"] = row["name"]
            patch.apply(doc, request.get("patchOperations"), REST_API_RULES)
            name = doc.pop("name", None)
            if not name:
                raise BadRequestException("Invalid null or empty value in name")
            conn.execute(rest_apis.update().where(rest_apis.c.id == row["id"]).values(name=name, doc=dumps(doc)))
            return self.api_wire(conn, self.api_row(conn, ctx, row["id"]))

    def delete_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self.api_row(conn, ctx, request["restApiId"], lock=True)
            api_id = row["id"]
            mapped = conn.execute(
                select(base_path_mappings.c.domain_name).where(base_path_mappings.c.api_id == api_id)
            ).first()
            if mapped is not None:
                raise BadRequestException(
                    f"Cannot delete REST API {api_id}: it is mapped to the custom domain name {mapped.domain_name}"
                )
            for table in (resources, api_items, deployments, stages):
                conn.execute(delete(table).where(table.c.api_id == api_id))
            conn.execute(delete(rest_apis).where(rest_apis.c.id == api_id))
            self.drop_tags(conn, api_arn(ctx.region, api_id), children=True)
        return {}

    # -- Resources ----------------------------------------------------------------------------------------------

    def create_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        part = request["pathPart"]
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            rows = self.resource_rows(conn, api["id"])
            parent = rows.get(request["parentId"])
            if parent is None:
                raise NotFoundException("Invalid Resource identifier specified")
            self.check_child(rows, parent, part, None)
            resource_id = new_id()
            path = parent["path"].rstrip("/") + "/" + part
            conn.execute(
                insert(resources).values(
                    api_id=api["id"], id=resource_id, parent_id=parent["id"], path=path, doc=dumps({"pathPart": part})
                )
            )
            return self.resource_wire(self.resource_row(conn, api["id"], resource_id))

    @staticmethod
    def check_child(rows: dict[str, dict[str, Any]], parent: dict[str, Any], part: str, moving: str | None) -> None:
        """AWS's rules for a path part under ``parent`` (``moving``: the resource being re-parented or renamed)."""
        if not _PATH_PART.match(part):
            raise BadRequestException(_PATH_PART_MESSAGE)
        parent_part = loads(parent["doc"]).get("pathPart", "")
        if is_greedy(parent_part):
            raise BadRequestException(f"Cannot create a child of a resource with a greedy path variable: {parent_part}")
        for sibling in rows.values():
            if sibling["parent_id"] != parent["id"] or sibling["id"] == moving:
                continue
            sibling_part = loads(sibling["doc"]).get("pathPart", "")
            if sibling_part == part:
                raise ConflictException(f"Another resource with the same parent already has this name: {part}")
            if is_variable(part) and is_variable(sibling_part):
                raise BadRequestException(
                    f"A sibling ({sibling_part}) of this resource already has a variable path part -- only one is "
                    "allowed"
                )

    def get_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            row = self.resource_row(conn, api["id"], request["resourceId"])
        return self.resource_wire(row, embed_methods="methods" in (request.get("embed") or []))

    def get_resources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        embed = "methods" in (request.get("embed") or [])
        with self.runtime.store.read() as conn:
            api = self.api_row(conn, ctx, request["restApiId"])
            rows = list(self.resource_rows(conn, api["id"]).values())
        page, position = self.page(request, rows, lambda r: r["id"])
        return self.listing([self.resource_wire(r, embed_methods=embed) for r in page], position)

    def update_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            rows = self.resource_rows(conn, api["id"])
            row = rows.get(request["resourceId"])
            if row is None:
                raise NotFoundException("Invalid Resource identifier specified")
            doc = loads(row["doc"])
            state: Doc = {"parentId": row["parent_id"], "pathPart": doc.get("pathPart")}
            patch.apply(state, request.get("patchOperations"), RESOURCE_RULES)
            if row["parent_id"] is None and (state["parentId"], state["pathPart"]) != (None, None):
                raise BadRequestException("Root resource cannot update its parentId or pathPart.")
            parent = rows.get(str(state["parentId"]))
            if parent is None:
                raise NotFoundException("Invalid Resource identifier specified")
            # The new parent may not be the resource itself or one of its descendants.
            cursor: dict[str, Any] | None = parent
            while cursor is not None:
                if cursor["id"] == row["id"]:
                    raise BadRequestException("Resources cannot be cyclical.")
                cursor = rows.get(cursor["parent_id"]) if cursor["parent_id"] else None
            part = str(state["pathPart"] or "")
            self.check_child(rows, parent, part, row["id"])
            doc["pathPart"] = part
            row["parent_id"], row["doc"] = parent["id"], dumps(doc)
            self._repath(conn, api["id"], rows)
            return self.resource_wire(self.resource_row(conn, api["id"], row["id"]))

    def _repath(self, conn: Connection, api_id: str, rows: dict[str, dict[str, Any]]) -> None:
        """Recompute every resource's path (after a move or rename) and store the rows that changed."""
        paths: dict[str, str] = {}

        def path_of(rid: str) -> str:
            if rid not in paths:
                r = rows[rid]
                if r["parent_id"] is None:
                    paths[rid] = "/"
                else:
                    paths[rid] = path_of(r["parent_id"]).rstrip("/") + "/" + loads(r["doc"]).get("pathPart", "")
            return paths[rid]

        for rid, r in rows.items():
            conn.execute(
                resources.update()
                .where(resources.c.api_id == api_id, resources.c.id == rid)
                .values(path=path_of(rid), parent_id=r["parent_id"], doc=r["doc"])
            )

    def delete_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            api = self.api_row(conn, ctx, request["restApiId"], lock=True)
            rows = self.resource_rows(conn, api["id"])
            row = rows.get(request["resourceId"])
            if row is None:
                raise NotFoundException("Invalid Resource identifier specified")
            if row["parent_id"] is None:
                raise BadRequestException("Cannot delete root resource")
            doomed = {row["id"]}
            grew = True
            while grew:  # the resource and every descendant
                before = len(doomed)
                doomed |= {rid for rid, r in rows.items() if r["parent_id"] in doomed}
                grew = len(doomed) > before
            conn.execute(delete(resources).where(resources.c.api_id == api["id"], resources.c.id.in_(sorted(doomed))))
        return {}

    # -- Account ------------------------------------------------------------------------------------------------

    def _account(self, conn: Connection, ctx: RequestContext) -> Doc:
        text = conn.execute(
            select(accounts.c.doc).where(accounts.c.account_id == ctx.account_id, accounts.c.region == ctx.region)
        ).scalar_one_or_none()
        return {**DEFAULT_ACCOUNT, **loads(text)}

    def get_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self._account(conn, ctx)

    def update_account(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            doc = self._account(conn, ctx)
            patch.apply(doc, request.get("patchOperations"), ACCOUNT_RULES)
            role = doc.get("cloudwatchRoleArn")
            if role and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", str(role)):
                raise BadRequestException("The role ARN is not well formed")
            if not role:
                doc.pop("cloudwatchRoleArn", None)
            stored = {k: v for k, v in doc.items() if k in ("cloudwatchRoleArn", "features")}
            conn.execute(
                delete(accounts).where(accounts.c.account_id == ctx.account_id, accounts.c.region == ctx.region)
            )
            conn.execute(insert(accounts).values(account_id=ctx.account_id, region=ctx.region, doc=dumps(stored)))
            return doc
