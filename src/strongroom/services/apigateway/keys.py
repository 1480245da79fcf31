"""API keys, usage plans and the keys of a usage plan.

An API key's value is a secret: it is stored only sealed (bound to the key's id) plus its SHA-256 digest (how the
data plane finds the key a client presents), never in a log or an error; it leaves the server only in
CreateApiKey's answer, GetApiKey(s) with includeValue(s) and the keys of a usage plan, as on AWS.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import string
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from strongroom.services.apigateway import patch, usage
from strongroom.services.apigateway.base import ApiGatewayBase, Doc, dumps, loads, new_id
from strongroom.services.apigateway.dataplane import throttle
from strongroom.services.apigateway.errors import BadRequestException, ConflictException, NotFoundException
from strongroom.services.apigateway.model import api_key_aad, api_keys, stages, usage_plan_keys, usage_plans

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from strongroom.services.base.runtime import RequestContext

_KEY_ALPHABET = string.ascii_letters + string.digits
MIN_KEY_LENGTH, MAX_KEY_LENGTH = 20, 128
QUOTA_PERIODS = ("DAY", "WEEK", "MONTH")


def value_digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def key_arn(region: str, key_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/apikeys/{key_id}"


def plan_arn(region: str, plan_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/usageplans/{plan_id}"


def _stage_keys(doc: Doc, op: str, key: str, value: Any) -> None:
    given = str(value or "")
    keys = list(doc.get("stageKeys") or [])
    if op == "add":
        if given not in keys:
            keys.append(given)
    else:
        keys = [k for k in keys if k != given]
    doc["stageKeys"] = keys


API_KEY_RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/description"),
        patch.rule("/enabled", convert=patch.as_bool),
        patch.rule("/customerId"),
        patch.rule("/stages", "add", "remove", apply=_stage_keys),
    ]
)


def _plan_stages(doc: Doc, op: str, key: str, value: Any) -> None:
    given = str(value or "")
    if ":" not in given:
        raise BadRequestException(f"Invalid API stage specified: {given}. Use API_ID:STAGE_NAME")
    api_id, stage = given.split(":", 1)
    current = [s for s in doc.get("apiStages") or [] if (s["apiId"], s["stage"]) != (api_id, stage)]
    if op == "add":
        current.append({"apiId": api_id, "stage": stage})
    doc["apiStages"] = current


def _stage_throttle(doc: Doc, op: str, key: str, value: Any) -> None:
    """``/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}[/burstLimit|/rateLimit]``."""
    parts = key.split("/")
    bad = BadRequestException(f"Invalid patch path  '/apiStages/{key}' specified for op '{op}'")
    if len(parts) < 4 or parts[1] != "throttle":
        raise bad
    limit = parts[-1] if parts[-1] in ("burstLimit", "rateLimit") else None
    verb_at = -2 if limit else -1
    method_path = "/".join(parts[2:verb_at]) + "/" + parts[verb_at]
    if not method_path.startswith("/"):
        method_path = "/" + method_path
    entry = next((s for s in doc.get("apiStages") or [] if f"{s['apiId']}:{s['stage']}" == parts[0]), None)
    if entry is None:
        raise BadRequestException(f"Invalid API Stage {parts[0]} specified: it is not in the usage plan")
    throttle = entry.setdefault("throttle", {})
    if op == "remove":
        if limit is None:
            throttle.pop(method_path, None)
        else:
            throttle.get(method_path, {}).pop(limit, None)
    elif limit is None:
        raise bad
    else:
        convert = patch.as_int if limit == "burstLimit" else patch.as_float
        throttle.setdefault(method_path, {})[limit] = convert("/" + limit, value)
    entry["throttle"] = {k: v for k, v in throttle.items() if v}
    if not entry["throttle"]:
        del entry["throttle"]


def _plan_number(member: str, convert: patch.Convert) -> Any:
    group, name = member.split("/")

    def apply(doc: Doc, op: str, key: str, value: Any) -> None:
        target = doc.setdefault(group, {})
        if op == "remove":
            target.pop(name, None)
        else:
            target[name] = convert("/" + member, value)
        if not target:
            doc.pop(group, None)

    return apply


USAGE_PLAN_RULES = patch.Rules(
    [
        patch.rule("/name"),
        patch.rule("/description"),
        patch.rule("/productCode", "replace", "remove"),
        patch.rule(
            "/throttle/burstLimit", "replace", "remove", apply=_plan_number("throttle/burstLimit", patch.as_int)
        ),
        patch.rule(
            "/throttle/rateLimit", "replace", "remove", apply=_plan_number("throttle/rateLimit", patch.as_float)
        ),
        patch.rule("/quota/limit", "replace", "remove", apply=_plan_number("quota/limit", patch.as_int)),
        patch.rule("/quota/offset", "replace", "remove", apply=_plan_number("quota/offset", patch.as_int)),
        patch.rule("/quota/period", "replace", "remove", apply=_plan_number("quota/period", patch.as_str)),
        patch.rule("/apiStages", "add", "remove", apply=_plan_stages),
        patch.rule("/apiStages", "add", "replace", "remove", kind="map", apply=_stage_throttle),
    ]
)


def check_plan(doc: Doc) -> None:
    throttle = doc.get("throttle") or {}
    if throttle.get("burstLimit", 0) < 0 or throttle.get("rateLimit", 0) < 0:
        raise BadRequestException("Throttle burst and rate limits must be non-negative")
    quota = doc.get("quota")
    if quota:
        if quota.get("period") not in QUOTA_PERIODS:
            raise BadRequestException("Invalid quota period specified. Valid options are DAY,WEEK,MONTH")
        if int(quota.get("limit", 0)) <= 0:
            raise BadRequestException("Quota limit must be greater than 0")
        offset, period = int(quota.get("offset", 0)), quota["period"]
        longest = {"DAY": 0, "WEEK": 6, "MONTH": 27}[period]
        if not 0 <= offset <= longest:
            raise BadRequestException(f"Quota offset for period {period} must be between 0 and {longest}")
    for api_stage in doc.get("apiStages") or []:
        for method_path, limits in (api_stage.get("throttle") or {}).items():
            parts = method_path.split("/")
            if len(parts) < 3 or parts[-1] not in (
                "GET",
                "PUT",
                "POST",
                "DELETE",
                "PATCH",
                "OPTIONS",
                "HEAD",
                "ANY",
                "*",
            ):
                raise BadRequestException(
                    f"Invalid method path specified: {method_path}. Use /RESOURCE_PATH/HTTP_METHOD"
                )
            if limits.get("burstLimit", 0) < 0 or limits.get("rateLimit", 0) < 0:
                raise BadRequestException("Throttle burst and rate limits must be non-negative")


def parse_key_file(body: Any) -> list[dict[str, Any]]:
    """The rows of an API key file; BadRequestException naming the first line AWS would refuse."""
    raw = body if isinstance(body, bytes | bytearray) else str(body or "").encode()
    try:
        text = bytes(raw).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequestException("Invalid API key file: it must be UTF-8 text") from None
    try:
        return _key_rows(csv.reader(io.StringIO(text)))
    except csv.Error as exc:  # a field past the csv module's limit (128 KiB), a NUL byte, ...
        raise BadRequestException(f"Invalid API key file: {exc}") from None


def _key_rows(reader: Iterator[list[str]]) -> list[dict[str, Any]]:
    header = [h.strip().lower() for h in next(reader, [])]
    if "name" not in header or "key" not in header:
        raise BadRequestException("Invalid API key file: the Name and Key columns are required")
    rows: list[dict[str, Any]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = dict(zip(header, (c.strip() for c in cells), strict=False))
        key, name = cell.get("key", ""), cell.get("name", "")
        if not MIN_KEY_LENGTH <= len(key) <= MAX_KEY_LENGTH or not key.isascii():
            raise BadRequestException(f"Invalid API key file: the key on line {number} must be 20 to 128 characters")
        if len(name) > 1024:
            raise BadRequestException(f"Invalid API key file: the name on line {number} exceeds 1024 characters")
        enabled = cell.get("enabled", "") or "true"
        if enabled.lower() not in ("true", "false"):
            raise BadRequestException(f"Invalid API key file: Enabled on line {number} must be true or false")
        plans = [p.strip() for p in cell.get("usageplanids", "").strip("'").split(",") if p.strip()]
        rows.append(
            {
                "key": key,
                "name": name,
                "description": cell.get("description", ""),
                "enabled": enabled.lower() == "true",
                "plans": plans,
            }
        )
    return rows


class KeyOperations(ApiGatewayBase):
    # -- API keys -------------------------------------------------------------------------------------------------

    def _check_stage_keys(self, conn: Connection, ctx: RequestContext, keys: list[str]) -> None:
        for item in keys:
            api_id, _, stage = item.partition("/")
            self.api_row(conn, ctx, api_id)
            if (
                conn.execute(select(stages.c.name).where(stages.c.api_id == api_id, stages.c.name == stage)).first()
                is None
            ):
                raise BadRequestException(f"Invalid stage identifier specified: {item}")

    def key_wire(self, conn: Connection, row: Any, *, include_value: bool) -> Doc:
        doc = loads(row.doc)
        out: Doc = {"id": row.id}
        if include_value:
            out["value"] = self.runtime.seal.unwrap(row.sealed_value, api_key_aad(row.id)).decode()
        if row.name is not None:
            out["name"] = row.name
        for key in ("customerId", "description"):
            if doc.get(key):
                out[key] = doc[key]
        out["enabled"] = bool(doc.get("enabled", False))
        out["createdDate"] = row.created_at
        out["lastUpdatedDate"] = row.updated_at
        out["stageKeys"] = doc.get("stageKeys") or []
        found = self.tags_of(conn, key_arn(row.region, row.id))
        if found:
            out["tags"] = found
        return out

    def _key_row(self, conn: Connection, ctx: RequestContext, key_id: str, *, lock: bool = False) -> Any:
        query = select(api_keys).where(api_keys.c.id == key_id)
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None or row.account_id != ctx.account_id or row.region != ctx.region:
            raise NotFoundException("Invalid API Key identifier specified")
        return row

    def create_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        value = request.get("value")
        if value is None:
            value = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(40))
        elif not MIN_KEY_LENGTH <= len(value) <= MAX_KEY_LENGTH or not value.isascii():
            raise BadRequestException(f"API Key value should be at least {MIN_KEY_LENGTH} characters")
        self.check_tags(request.get("tags"))
        keys = [f"{k.get('restApiId')}/{k.get('stageName')}" for k in request.get("stageKeys") or []]
        doc: Doc = {"enabled": bool(request.get("enabled", False)), "stageKeys": keys}
        for key in ("customerId", "description"):
            if request.get(key):
                doc[key] = request[key]
        key_id, now, digest = new_id(), self.now(), value_digest(value)
        with self.runtime.store.write() as conn:
            self._check_stage_keys(conn, ctx, keys)
            clash = conn.execute(
                select(api_keys.c.id).where(
                    api_keys.c.value_digest == digest,
                    api_keys.c.account_id == ctx.account_id,
                    api_keys.c.region == ctx.region,
                )
            ).first()
            if clash is not None:
                raise ConflictException("API Key already exists")
            conn.execute(
                insert(api_keys).values(
                    id=key_id,
                    account_id=ctx.account_id,
                    region=ctx.region,
                    name=request.get("name"),
                    created_at=now,
                    updated_at=now,
                    sealed_value=self.runtime.seal.wrap(value.encode(), api_key_aad(key_id)),
                    value_digest=digest,
                    doc=dumps(doc),
                )
            )
            self.set_tags(conn, key_arn(ctx.region, key_id), request.get("tags"))
            return self.key_wire(conn, self._key_row(conn, ctx, key_id), include_value=True)

    def import_api_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Keys from a CSV file (AWS's "API key file format"): Name and Key columns required, Description, Enabled
        (default true) and UsagePlanIds optional, headers in any case and order; a key whose value exists already is
        overwritten. A usage plan that does not exist is a warning, or refuses the whole file with failOnWarnings."""
        rows = parse_key_file(request.get("body"))
        ids: list[str] = []
        warnings: list[str] = []
        now = self.now()
        with self.runtime.store.write() as conn:
            for number, row in enumerate(rows, start=2):
                value, digest = row["key"], value_digest(row["key"])
                doc: Doc = {"enabled": row["enabled"], "stageKeys": []}
                if row["description"]:
                    doc["description"] = row["description"]
                existing = conn.execute(
                    select(api_keys).where(
                        api_keys.c.value_digest == digest,
                        api_keys.c.account_id == ctx.account_id,
                        api_keys.c.region == ctx.region,
                    )
                ).one_or_none()
                if existing is not None:
                    key_id = existing.id
                    doc["stageKeys"] = loads(existing.doc).get("stageKeys") or []
                    conn.execute(
                        update(api_keys)
                        .where(api_keys.c.id == key_id)
                        .values(name=row["name"], doc=dumps(doc), updated_at=now)
                    )
                else:
                    key_id = new_id()
                    conn.execute(
                        insert(api_keys).values(
                            id=key_id,
                            account_id=ctx.account_id,
                            region=ctx.region,
                            name=row["name"],
                            created_at=now,
                            updated_at=now,
                            sealed_value=self.runtime.seal.wrap(value.encode(), api_key_aad(key_id)),
                            value_digest=digest,
                            doc=dumps(doc),
                        )
                    )
                for plan_id in row["plans"]:
                    try:
                        plan = self._plan_row(conn, ctx, plan_id)
                    except NotFoundException:
                        warnings.append(f"Invalid usage plan identifier specified on line {number}: {plan_id}")
                        continue
                    linked = conn.execute(
                        select(usage_plan_keys.c.key_id).where(
                            usage_plan_keys.c.plan_id == plan.id, usage_plan_keys.c.key_id == key_id
                        )
                    ).first()
                    if linked is None:
                        conn.execute(insert(usage_plan_keys).values(plan_id=plan.id, key_id=key_id, key_type="API_KEY"))
                ids.append(key_id)
            if warnings and request.get("failOnWarnings"):
                raise BadRequestException("; ".join(warnings))  # the transaction rolls every key back
        return {"ids": ids, "warnings": warnings}

    def get_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            row = self._key_row(conn, ctx, request["apiKey"])
            return self.key_wire(conn, row, include_value=bool(request.get("includeValue")))

    def get_api_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            query = select(api_keys).where(api_keys.c.account_id == ctx.account_id, api_keys.c.region == ctx.region)
            rows = conn.execute(query).all()
            name, customer = request.get("nameQuery"), request.get("customerId")
            rows = [
                r
                for r in rows
                if (not name or (r.name or "").startswith(name))
                and (not customer or loads(r.doc).get("customerId") == customer)
            ]
            page, position = self.page(request, rows, lambda r: r.id)
            items = [self.key_wire(conn, r, include_value=bool(request.get("includeValues"))) for r in page]
        return self.listing(items, position)

    def update_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._key_row(conn, ctx, request["apiKey"], lock=True)
            doc = loads(row.doc)
            if row.name is not None:
                doc["name"] = row.name
            before = list(doc.get("stageKeys") or [])
            patch.apply(doc, request.get("patchOperations"), API_KEY_RULES)
            self._check_stage_keys(conn, ctx, [k for k in doc.get("stageKeys") or [] if k not in before])
            name = doc.pop("name", None)
            conn.execute(
                update(api_keys).where(api_keys.c.id == row.id).values(name=name, doc=dumps(doc), updated_at=self.now())
            )
            return self.key_wire(conn, self._key_row(conn, ctx, row.id), include_value=False)

    def delete_api_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._key_row(conn, ctx, request["apiKey"], lock=True)
            conn.execute(delete(usage_plan_keys).where(usage_plan_keys.c.key_id == row.id))
            conn.execute(delete(api_keys).where(api_keys.c.id == row.id))
            self.drop_tags(conn, key_arn(ctx.region, row.id))
        return {}

    # -- Usage plans ----------------------------------------------------------------------------------------------

    def _check_plan_stages(self, conn: Connection, ctx: RequestContext, doc: Doc, plan: str) -> None:
        for api_stage in doc.get("apiStages") or []:
            api_id, stage = api_stage.get("apiId", ""), api_stage.get("stage", "")
            row = conn.execute(select(stages.c.name).where(stages.c.api_id == api_id, stages.c.name == stage)).first()
            try:
                self.api_row(conn, ctx, api_id)
            except NotFoundException:
                row = None
            if row is None:
                raise BadRequestException(
                    f"Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan {plan}"
                )

    def plan_wire(self, conn: Connection, row: Any) -> Doc:
        doc = loads(row.doc)
        out: Doc = {"id": row.id, "name": doc["name"]}
        if doc.get("description"):
            out["description"] = doc["description"]
        out["apiStages"] = doc.get("apiStages") or []
        for key in ("throttle", "quota", "productCode"):
            if doc.get(key):
                out[key] = doc[key]
        found = self.tags_of(conn, plan_arn(row.region, row.id))
        if found:
            out["tags"] = found
        return out

    def _plan_row(self, conn: Connection, ctx: RequestContext, plan_id: str, *, lock: bool = False) -> Any:
        query = select(usage_plans).where(usage_plans.c.id == plan_id)
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None or row.account_id != ctx.account_id or row.region != ctx.region:
            raise NotFoundException("Invalid Usage Plan ID specified")
        return row

    def create_usage_plan(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        doc: Doc = {"name": request["name"]}
        for key in ("description", "apiStages", "throttle", "quota"):
            if request.get(key):
                doc[key] = request[key]
        check_plan(doc)
        self.check_tags(request.get("tags"))
        plan_id = new_id(6)
        with self.runtime.store.write() as conn:
            self._check_plan_stages(conn, ctx, doc, plan_id)
            conn.execute(
                insert(usage_plans).values(
                    id=plan_id, account_id=ctx.account_id, region=ctx.region, created_at=self.now(), doc=dumps(doc)
                )
            )
            self.set_tags(conn, plan_arn(ctx.region, plan_id), request.get("tags"))
            return self.plan_wire(conn, self._plan_row(conn, ctx, plan_id))

    def get_usage_plan(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self.plan_wire(conn, self._plan_row(conn, ctx, request["usagePlanId"]))

    def get_usage_plans(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            query = select(usage_plans).where(
                usage_plans.c.account_id == ctx.account_id, usage_plans.c.region == ctx.region
            )
            if request.get("keyId"):
                query = query.where(
                    usage_plans.c.id.in_(
                        select(usage_plan_keys.c.plan_id).where(usage_plan_keys.c.key_id == request["keyId"])
                    )
                )
            page, position = self.page(request, conn.execute(query).all(), lambda r: r.id)
            return self.listing([self.plan_wire(conn, r) for r in page], position)

    def update_usage_plan(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._plan_row(conn, ctx, request["usagePlanId"], lock=True)
            doc = loads(row.doc)
            patch.apply(doc, request.get("patchOperations"), USAGE_PLAN_RULES)
            if not doc.get("name"):
                raise BadRequestException("Usage plan name must be non-empty")
            check_plan(doc)
            self._check_plan_stages(conn, ctx, doc, row.id)
            conn.execute(update(usage_plans).where(usage_plans.c.id == row.id).values(doc=dumps(doc)))
            return self.plan_wire(conn, self._plan_row(conn, ctx, row.id))

    def delete_usage_plan(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            row = self._plan_row(conn, ctx, request["usagePlanId"], lock=True)
            conn.execute(delete(usage_plan_keys).where(usage_plan_keys.c.plan_id == row.id))
            conn.execute(delete(usage_plans).where(usage_plans.c.id == row.id))
            self.drop_tags(conn, plan_arn(ctx.region, row.id))
        return {}

    # -- Usage plan keys ------------------------------------------------------------------------------------------

    def _plan_key_wire(self, row: Any) -> Doc:
        return {
            "id": row.id,
            "type": "API_KEY",
            "value": self.runtime.seal.unwrap(row.sealed_value, api_key_aad(row.id)).decode(),
            **({"name": row.name} if row.name is not None else {}),
        }

    def create_usage_plan_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request["keyType"] != "API_KEY":
            raise BadRequestException(f"Invalid key type specified: {request['keyType']}. Valid options are API_KEY")
        with self.runtime.store.write() as conn:
            plan = self._plan_row(conn, ctx, request["usagePlanId"], lock=True)
            key = self._key_row(conn, ctx, request["keyId"])
            exists = conn.execute(
                select(usage_plan_keys.c.key_id).where(
                    usage_plan_keys.c.plan_id == plan.id, usage_plan_keys.c.key_id == key.id
                )
            ).first()
            if exists is not None:
                raise ConflictException(f"Usage Plan {plan.id} already contains API Key {key.id}")
            mine = {(s["apiId"], s["stage"]) for s in loads(plan.doc).get("apiStages") or []}
            others = conn.execute(
                select(usage_plans.c.id, usage_plans.c.doc).where(
                    usage_plans.c.id.in_(select(usage_plan_keys.c.plan_id).where(usage_plan_keys.c.key_id == key.id))
                )
            ).all()
            for other in others:
                theirs = {(s["apiId"], s["stage"]) for s in loads(other.doc).get("apiStages") or []}
                if mine & theirs:
                    raise ConflictException(
                        f"Usage Plan {plan.id} cannot be added because API Key {key.id} cannot reference multiple "
                        "Usage Plans with the same API Stage"
                    )
            conn.execute(insert(usage_plan_keys).values(plan_id=plan.id, key_id=key.id, key_type="API_KEY"))
        return self._plan_key_wire(key)

    def get_usage_plan_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            plan = self._plan_row(conn, ctx, request["usagePlanId"])
            row = conn.execute(
                select(api_keys)
                .join(usage_plan_keys, usage_plan_keys.c.key_id == api_keys.c.id)
                .where(usage_plan_keys.c.plan_id == plan.id, api_keys.c.id == request["keyId"])
            ).one_or_none()
        if row is None:
            raise NotFoundException("Invalid Usage Plan Key identifier specified")
        return self._plan_key_wire(row)

    def get_usage_plan_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            plan = self._plan_row(conn, ctx, request["usagePlanId"])
            rows = conn.execute(
                select(api_keys)
                .join(usage_plan_keys, usage_plan_keys.c.key_id == api_keys.c.id)
                .where(usage_plan_keys.c.plan_id == plan.id)
            ).all()
        name = request.get("nameQuery")
        rows = [r for r in rows if not name or (r.name or "").startswith(name)]
        page, position = self.page(request, rows, lambda r: r.id)
        return self.listing([self._plan_key_wire(r) for r in page], position)

    def delete_usage_plan_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            plan = self._plan_row(conn, ctx, request["usagePlanId"], lock=True)
            done = conn.execute(
                delete(usage_plan_keys).where(
                    usage_plan_keys.c.plan_id == plan.id, usage_plan_keys.c.key_id == request["keyId"]
                )
            )
            if not done.rowcount:
                raise NotFoundException("Invalid Usage Plan Key identifier specified")
        return {}

    def get_usage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        """Daily ``[used, remaining]`` per API key of the plan that was used in the interval (counted by the data
        plane); ``remaining`` is what the key had left in its quota period at the end of that day."""
        first, last = _usage_date(request["startDate"]), _usage_date(request["endDate"])
        if last < first:
            raise BadRequestException("The end date must not be before the start date")
        if (last - first).days >= MAX_USAGE_DAYS:
            raise BadRequestException(f"The date range must not exceed {MAX_USAGE_DAYS} days")
        with self.runtime.store.read() as conn:
            plan = self._plan_row(conn, ctx, request["usagePlanId"])
            if request.get("keyId"):
                self._key_row(conn, ctx, request["keyId"])
                key_ids = [request["keyId"]]
            else:
                key_ids = list(
                    conn.execute(select(usage_plan_keys.c.key_id).where(usage_plan_keys.c.plan_id == plan.id)).scalars()
                )
        quota = loads(plan.doc).get("quota")
        period = str((quota or {}).get("period") or "DAY")
        # Remaining at a day's end counts the whole quota period up to it, which may start before `first`.
        since = throttle.period_start(datetime.combine(first, time(), UTC), period).date()
        counted = usage.daily_usage(self.runtime.store, plan.id, key_ids, since, last)
        items: dict[str, list[list[int]]] = {}
        for key_id, days in sorted(counted.items()):
            if not any(first <= day <= last for day in days):
                continue
            daily = []
            for offset in range((last - first).days + 1):
                day = first + timedelta(days=offset)
                at = datetime.combine(day, time(), UTC)
                start = throttle.period_start(at, period).date()
                in_period = sum(n for d, n in days.items() if start <= d <= day)
                left = throttle.quota_remaining(quota, in_period, at, plan.created_at) if quota else 0
                daily.append([days.get(day, 0), left])
            items[key_id] = daily
        dates = {"startDate": request["startDate"], "endDate": request["endDate"]}
        return {"usagePlanId": plan.id, **dates, "items": items}


MAX_USAGE_DAYS = 366  # bounds the answer's size; AWS keeps usage for a limited time too


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _usage_date(value: str) -> date:
    try:
        if _DATE.match(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise BadRequestException(f"Invalid date format: {value}. Expected yyyy-MM-dd")
