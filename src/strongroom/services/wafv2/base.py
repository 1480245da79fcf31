"""What every family of WAF v2 operations shares: scopes, ARNs, entities with lock tokens, the managed catalog."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, select, update

from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.wafv2 import documents, errors
from strongroom.services.wafv2.model import entities, permission_policies, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

Row = dict[str, Any]

KINDS = ("ipset", "regexpatternset", "rulegroup", "webacl")
# Per account, region and scope (AWS WAF quotas: web ACLs, rule groups and IP sets 100 each, regex sets 10).
KIND_LIMITS = {"webacl": 100, "rulegroup": 100, "ipset": 100, "regexpatternset": 10}
CLOUDFRONT_REGION = "us-east-1"
DEFAULT_LIMIT = 100
# The web ACL document's key for Firewall Manager's first and last rule groups (firewall_manager.py).
FMS_KEY = "FirewallManager"
# Members of CreateWebACL / UpdateWebACL stored as given and returned by GetWebACL.
WEB_ACL_MEMBERS = (
    "DefaultAction",
    "Rules",
    "VisibilityConfig",
    "DataProtectionConfig",
    "CustomResponseBodies",
    "CaptchaConfig",
    "ChallengeConfig",
    "TokenDomains",
    "AssociationConfig",
    "OnSourceDDoSProtectionConfig",
    "ApplicationConfig",
    "MonetizationConfig",
    "AnalyticsConfig",
)


@dataclass(frozen=True, slots=True)
class WafArn:
    region: str
    account: str
    scope: str
    kind: str
    name: str
    id: str


def parse_arn(arn: str) -> WafArn | None:
    """``arn:aws:wafv2:REGION:ACCOUNT:regional|global/KIND/NAME/ID`` -> its parts (None if not one)."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "wafv2":
        return None
    path = parts[5].split("/")
    if len(path) != 4 or path[0] not in ("regional", "global") or path[1] not in KINDS:
        return None
    scope = "REGIONAL" if path[0] == "regional" else "CLOUDFRONT"
    return WafArn(parts[3], parts[4], scope, path[1], path[2], path[3])


class WafBase(ServiceBase):
    """Shared helpers of every WAF v2 family."""

    def now(self) -> datetime:
        return clock.now()

    # -- what one family provides to the others (Provider lists every family; these come last in its MRO) --

    def associated_resources(self, web_acl_arn: str) -> list[str]:
        raise NotImplementedError  # associations.py (AssociationOperations)

    def drop_web_acl_state(self, web_acl_arn: str) -> None:
        raise NotImplementedError  # associations.py (AssociationOperations)

    # -- scope and ARNs --------------------------------------------------------------------------------------

    @staticmethod
    def scope(ctx: RequestContext, request: Mapping[str, Any]) -> str:
        scope = str(request.get("Scope", "REGIONAL"))
        if scope == "CLOUDFRONT" and ctx.region != CLOUDFRONT_REGION:
            raise errors.invalid("SCOPE_VALUE", scope, "The scope is not valid.")
        return scope

    @staticmethod
    def make_arn(ctx: RequestContext, scope: str, kind: str, name: str, entity_id: str) -> str:
        prefix = "regional" if scope == "REGIONAL" else "global"
        return ctx.arn("wafv2", f"{prefix}/{kind}/{name}/{entity_id}")

    # -- entities --------------------------------------------------------------------------------------------

    def find(self, ctx: RequestContext, scope: str, kind: str, name: str, entity_id: str) -> Row:
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(entities).where(
                    entities.c.account_id == ctx.account_id,
                    entities.c.region == ctx.region,
                    entities.c.scope == scope,
                    entities.c.kind == kind,
                    entities.c.name == name,
                    entities.c.id == entity_id,
                )
            ).one_or_none()
        if row is None:
            raise errors.nonexistent()
        return dict(row._mapping)

    def by_arn(self, arn: str) -> Row | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(entities).where(entities.c.arn == arn)).one_or_none()
        return None if row is None else dict(row._mapping)

    def own_by_arn(self, ctx: RequestContext, arn: str, kinds: tuple[str, ...] = KINDS) -> Row:
        """The caller's entity named by ``arn`` (AWS: WAFInvalidParameterException for a malformed ARN)."""
        parsed = parse_arn(arn)
        if parsed is None or parsed.kind not in kinds:
            raise errors.invalid("RESOURCE_ARN", arn, errors.BAD_REFERENCE)
        row = self.by_arn(arn)
        if row is None or row["account_id"] != ctx.account_id or row["region"] != ctx.region:
            raise errors.nonexistent()
        return row

    def create_entity(
        self,
        ctx: RequestContext,
        scope: str,
        kind: str,
        request: Mapping[str, Any],
        document: Mapping[str, Any],
        *,
        capacity: int = 0,
        refs: set[str] | None = None,
    ) -> Row:
        name = str(request["Name"])
        entity_id = ids.uuid4()
        arn = self.make_arn(ctx, scope, kind, name, entity_id)
        now = self.now()
        values = {
            "arn": arn,
            "account_id": ctx.account_id,
            "region": ctx.region,
            "scope": scope,
            "kind": kind,
            "name": name,
            "id": entity_id,
            "description": request.get("Description"),
            "lock_token": ids.uuid4(),
            "document": documents.dumps(document),
            "capacity": capacity,
            "refs": json.dumps(sorted(refs or ())),
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        with self.runtime.store.write() as conn:
            existing = conn.execute(
                select(entities.c.name).where(
                    entities.c.account_id == ctx.account_id,
                    entities.c.region == ctx.region,
                    entities.c.scope == scope,
                    entities.c.kind == kind,
                )
            ).all()
            if any(r.name == name for r in existing):
                raise errors.duplicate()
            if len(existing) >= KIND_LIMITS[kind]:
                raise errors.limits()
            conn.execute(entities.insert().values(**values))
            if request.get("Tags"):
                self.write_tags(conn, arn, request["Tags"])
        return values

    def update_entity(
        self,
        row: Row,
        lock_token: str,
        document: Mapping[str, Any],
        description: str | None,
        *,
        capacity: int | None = None,
        refs: set[str] | None = None,
    ) -> str:
        """Replace the entity's document if ``lock_token`` is still its current one; the next lock token."""
        token = ids.uuid4()
        values: dict[str, Any] = {
            "lock_token": token,
            "document": documents.dumps(document),
            "description": description,
            "version": entities.c.version + 1,
            "updated_at": self.now(),
        }
        if capacity is not None:
            values["capacity"] = capacity
        if refs is not None:
            values["refs"] = json.dumps(sorted(refs))
        with self.runtime.store.write() as conn:
            done = conn.execute(
                update(entities)
                .where(entities.c.arn == row["arn"], entities.c.lock_token == lock_token)
                .values(**values)
            ).rowcount
        if not done:
            raise errors.optimistic_lock()
        return token

    def delete_entity(self, row: Row, lock_token: str) -> None:
        with self.runtime.store.write() as conn:
            # Any account's: Firewall Manager's web ACLs in member accounts use the administrator's rule groups.
            users = conn.execute(
                select(entities.c.arn, entities.c.refs).where(
                    entities.c.refs.contains(json.dumps(row["arn"]), autoescape=True), entities.c.arn != row["arn"]
                )
            ).all()
            if any(row["arn"] in json.loads(u.refs) for u in users):
                raise errors.associated()
            done = conn.execute(
                delete(entities).where(entities.c.arn == row["arn"], entities.c.lock_token == lock_token)
            ).rowcount
            if not done:
                raise errors.optimistic_lock()
            conn.execute(delete(tags).where(tags.c.arn == row["arn"]))
            conn.execute(delete(permission_policies).where(permission_policies.c.arn == row["arn"]))

    def list_entities(
        self, ctx: RequestContext, scope: str, kind: str, request: Mapping[str, Any]
    ) -> tuple[list[Row], str | None]:
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(entities).where(
                    entities.c.account_id == ctx.account_id,
                    entities.c.region == ctx.region,
                    entities.c.scope == scope,
                    entities.c.kind == kind,
                )
            ).all()
        items = [dict(r._mapping) for r in rows]
        size = int(request.get("Limit") or DEFAULT_LIMIT)
        return pages.after_page(
            items,
            request.get("NextMarker"),
            size,
            lambda r: str(r["name"]),
            lambda: errors.invalid("POSITION", request.get("NextMarker"), errors.BAD_VALUE),
        )

    @staticmethod
    def summary(row: Row) -> dict[str, Any]:
        out: dict[str, Any] = {"Name": row["name"], "Id": row["id"]}
        if row["description"] is not None:
            out["Description"] = row["description"]
        out.update({"LockToken": row["lock_token"], "ARN": row["arn"]})
        return out

    @staticmethod
    def web_acl_shape(row: Row) -> dict[str, Any]:
        doc = documents.loads(row["document"])
        out: dict[str, Any] = {"Name": row["name"], "Id": row["id"], "ARN": row["arn"]}
        out["DefaultAction"] = doc["DefaultAction"]
        if row["description"] is not None:
            out["Description"] = row["description"]
        out.update({"Rules": doc.get("Rules", []), "VisibilityConfig": doc["VisibilityConfig"]})
        out["Capacity"] = row["capacity"]
        fms = doc.get(FMS_KEY)
        out["ManagedByFirewallManager"] = bool(fms)
        if fms:
            out["PreProcessFirewallManagerRuleGroups"] = fms.get("Pre") or []
            out["PostProcessFirewallManagerRuleGroups"] = fms.get("Post") or []
        out["LabelNamespace"] = f"awswaf:{row['account_id']}:webacl:{row['name']}:"
        out["RetrofittedByFirewallManager"] = False
        for key in WEB_ACL_MEMBERS[3:]:
            if doc.get(key) is not None:
                out[key] = doc[key]
        return out

    # -- tags ------------------------------------------------------------------------------------------------

    @staticmethod
    def write_tags(conn: Connection, arn: str, items: list[Mapping[str, Any]]) -> None:
        for tag in items:
            if str(tag["Key"]).lower().startswith("aws:"):
                raise errors.invalid("TAGS", tag["Key"], "The tag key uses the reserved prefix aws:.")
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key == tag["Key"]))
            conn.execute(tags.insert().values(arn=arn, key=tag["Key"], value=tag.get("Value", "")))
        count = len(conn.execute(select(tags.c.key).where(tags.c.arn == arn)).all())
        if count > 50:
            raise errors.WAFTagOperationException("The resource would have more than 50 tags.")
