"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias row names a key id within an account and region; ``base.find_key`` resolves aliases through the key
store's cache, so every change here records ``alias_scope`` in the change log and drops it locally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from strongroom.services.kms import materials as mat
from strongroom.services.kms import model
from strongroom.services.kms.base import KmsBase, alias_arn, check_state
from strongroom.services.kms.errors import (
    AlreadyExistsException,
    LimitExceededException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from strongroom.services.kms.keystore import KeyRecord, alias_scope

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# AWS KMS quotas: 50 aliases per KMS key.
MAX_ALIASES_PER_KEY = 50
DEFAULT_ALIAS_PAGE = 100
_MARKER_KIND = "aliases"
RESERVED_PREFIX = "alias/aws/"


def check_alias_name(name: str) -> None:
    """AWS's alias rules beyond the model's pattern (which the protocol layer has already enforced)."""
    if not name.startswith("alias/"):
        raise ValidationException(
            'Alias must start with the prefix "alias/". '
            "Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )
    if name.startswith(RESERVED_PREFIX):
        # KMS answers a reserved alias/aws/ name with this code and no message.
        raise NotAuthorizedException("")
    if ":" in name:
        # The model's pattern allows ':' but KMS rejects it.
        raise ValidationException(f"{name} contains invalid characters for an alias")
    if name == "alias/":
        raise ValidationException(f"{name} is not a valid alias name")


def key_kind(record: KeyRecord) -> str:
    """The "type" UpdateAlias keeps: symmetric encryption, HMAC or asymmetric."""
    if record.key_spec == "SYMMETRIC_DEFAULT":
        return "symmetric"
    if record.key_spec.startswith("HMAC_"):
        return "HMAC"
    return "asymmetric" if mat.is_asymmetric(record.key_spec) else record.key_spec


class AliasOperations(KmsBase):
    def _alias_target_key(self, ctx: RequestContext, target: str) -> KeyRecord:
        """TargetKeyId is a key id or key ARN of this account, never an alias."""
        if target.startswith("alias/") or (target.startswith("arn:") and ":alias/" in target):
            raise ValidationException("Aliases must refer to keys. Not aliases")
        record = self.find_key(ctx, target)
        if record.account_id != ctx.account_id:
            raise NotFoundException(f"Key '{record.arn}' does not exist")
        check_state(record, ctx.operation)
        return record

    def _invalidate(self, conn: Any, ctx: RequestContext) -> None:
        self.keys.changed(conn, [alias_scope(ctx.account_id, ctx.region)])

    def create_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["AliasName"]
        check_alias_name(name)
        record = self._alias_target_key(ctx, request["TargetKeyId"])
        now = ctx.now()
        display = alias_arn(ctx.account_id, ctx.region, name)
        try:
            with self.runtime.store.write() as conn:
                exists = conn.execute(
                    select(model.aliases.c.name).where(
                        model.aliases.c.account_id == ctx.account_id,
                        model.aliases.c.region == ctx.region,
                        model.aliases.c.name == name,
                    )
                ).first()
                if exists is not None:
                    raise AlreadyExistsException(f"An alias with the name {display} already exists")
                self._check_alias_quota(conn, ctx, record)
                conn.execute(
                    model.aliases.insert().values(
                        account_id=ctx.account_id,
                        region=ctx.region,
                        name=name,
                        key_id=record.key_id,
                        created_at=now,
                        updated_at=now,
                    )
                )
                self._invalidate(conn, ctx)
        except IntegrityError:
            # Another node created the same alias between our check and insert: the primary key decided.
            raise AlreadyExistsException(f"An alias with the name {display} already exists") from None
        self.keys.forget([alias_scope(ctx.account_id, ctx.region)])
        return {}

    def _check_alias_quota(self, conn: Any, ctx: RequestContext, record: KeyRecord) -> None:
        count = conn.execute(
            select(func.count()).where(
                model.aliases.c.account_id == ctx.account_id,
                model.aliases.c.region == ctx.region,
                model.aliases.c.key_id == record.key_id,
            )
        ).scalar_one()
        if count >= MAX_ALIASES_PER_KEY:
            raise LimitExceededException(f"A KMS key can have at most {MAX_ALIASES_PER_KEY} aliases.")

    def update_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["AliasName"]
        check_alias_name(name)
        display = alias_arn(ctx.account_id, ctx.region, name)
        current_id = self.keys.alias_target(ctx.account_id, ctx.region, name)
        if current_id is None:
            raise NotFoundException(f"Alias {display} is not found.")
        new = self._alias_target_key(ctx, request["TargetKeyId"])
        current = self.keys.by_id(ctx.account_id, ctx.region, current_id)
        # AWS: the new key must be of the same type (symmetric, asymmetric or HMAC) and key usage.
        if current is not None and (key_kind(current) != key_kind(new) or current.key_usage != new.key_usage):
            raise ValidationException(
                f"Alias {display} cannot be changed from a {key_kind(current)} key with key usage "
                f"{current.key_usage} to a {key_kind(new)} key with key usage {new.key_usage}"
            )
        with self.runtime.store.write() as conn:
            changed = conn.execute(
                update(model.aliases)
                .where(
                    model.aliases.c.account_id == ctx.account_id,
                    model.aliases.c.region == ctx.region,
                    model.aliases.c.name == name,
                )
                .values(key_id=new.key_id, updated_at=ctx.now())
            ).rowcount
            if not changed:
                raise NotFoundException(f"Alias {display} is not found.")
            self._invalidate(conn, ctx)
        self.keys.forget([alias_scope(ctx.account_id, ctx.region)])
        return {}

    def delete_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        name = request["AliasName"]
        check_alias_name(name)
        with self.runtime.store.write() as conn:
            gone = conn.execute(
                delete(model.aliases).where(
                    model.aliases.c.account_id == ctx.account_id,
                    model.aliases.c.region == ctx.region,
                    model.aliases.c.name == name,
                )
            ).rowcount
            if not gone:
                raise NotFoundException(f"Alias {alias_arn(ctx.account_id, ctx.region, name)} is not found.")
            self._invalidate(conn, ctx)
        self.keys.forget([alias_scope(ctx.account_id, ctx.region)])
        return {}

    def list_aliases(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        limit = request.get("Limit") or DEFAULT_ALIAS_PAGE
        a = model.aliases.c
        stmt = (
            select(a.name, a.key_id, a.created_at, a.updated_at)
            .where(a.account_id == ctx.account_id, a.region == ctx.region)
            .order_by(a.name)
            .limit(limit + 1)
        )
        if request.get("KeyId"):
            record = self.find_key(ctx, request["KeyId"])
            if record.account_id != ctx.account_id:
                raise NotFoundException(f"Key '{record.arn}' does not exist")
            stmt = stmt.where(a.key_id == record.key_id)
        marker = request.get("Marker")
        if marker:
            stmt = stmt.where(a.name > self.decode_marker(_MARKER_KIND, marker))
        with self.runtime.store.read() as conn:
            rows = conn.execute(stmt).all()
        page = rows[:limit]
        out: dict[str, Any] = {
            "Aliases": [
                {
                    "AliasName": r.name,
                    "AliasArn": alias_arn(ctx.account_id, ctx.region, r.name),
                    "TargetKeyId": r.key_id,
                    "CreationDate": r.created_at,
                    "LastUpdatedDate": r.updated_at,
                }
                for r in page
            ],
            "Truncated": len(rows) > limit,
        }
        if out["Truncated"]:
            out["NextMarker"] = self.encode_marker(_MARKER_KIND, page[-1].name)
        return out
