"""Access keys of IAM users (and of the root user): create, list, update status, delete, last used."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from strongroom.core import ids
from strongroom.iam.model import access_keys
from strongroom.services.iam.base import IamBase, page
from strongroom.services.iam.errors import LimitExceeded, NoSuchEntity, ValidationError

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement, Connection

    from strongroom.services.base.runtime import RequestContext

MAX_KEYS_PER_USER = 2


class AccessKeyOperations(IamBase):
    def _key_owner(self, conn: Connection, ctx: RequestContext, name: str | None) -> str | None:
        """The user the request is about: the named one, else the caller (None: the root user)."""
        if name is not None:
            return self.require_user(conn, ctx, name).name
        p = ctx.principal
        if p.type == "IAMUser" and p.user_name:
            return p.user_name
        if p.type == "Root":
            return None
        raise ValidationError("Must specify userName when calling with non-User credentials")

    @staticmethod
    def _owned_by(account_id: str, user: str | None) -> ColumnElement[bool]:
        if user is None:
            return (access_keys.c.account_id == account_id) & access_keys.c.user_name.is_(None)
        return (access_keys.c.account_id == account_id) & (func.lower(access_keys.c.user_name) == user.lower())

    def create_access_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.write() as conn:
            user = self._key_owner(conn, ctx, request.get("UserName"))
            count = conn.execute(select(func.count()).where(self._owned_by(ctx.account_id, user))).scalar() or 0
            if count >= MAX_KEYS_PER_USER:
                raise LimitExceeded(f"Cannot exceed quota for AccessKeysPerUser: {MAX_KEYS_PER_USER}")
            key_id, secret = ids.access_key_id(), ids.secret_access_key()
            created = ctx.now()
            conn.execute(
                insert(access_keys).values(
                    access_key_id=key_id,
                    account_id=ctx.account_id,
                    secret_sealed=self.runtime.accounts.seal_secret(key_id, secret),
                    user_name=user,
                    status="Active",
                    created_at=created,
                )
            )
        out: dict[str, Any] = {
            "AccessKeyId": key_id,
            "SecretAccessKey": secret,
            "Status": "Active",
            "CreateDate": created,
        }
        out["UserName"] = user
        return {"AccessKey": out}

    def list_access_keys(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            user = self._key_owner(conn, ctx, request.get("UserName"))
            rows = conn.execute(
                select(access_keys).where(self._owned_by(ctx.account_id, user)).order_by(access_keys.c.created_at)
            ).all()
        items = [
            {"UserName": r.user_name, "AccessKeyId": r.access_key_id, "Status": r.status, "CreateDate": r.created_at}
            for r in rows
        ]
        return page(request, items, "AccessKeyMetadata")

    def _require_key(self, conn: Connection, ctx: RequestContext, key_id: str, user: str | None) -> None:
        row = conn.execute(
            select(access_keys.c.access_key_id).where(
                self._owned_by(ctx.account_id, user), access_keys.c.access_key_id == key_id
            )
        ).first()
        if row is None:
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")

    def update_access_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key_id = request["AccessKeyId"]
        with self.runtime.store.write() as conn:
            user = self._key_owner(conn, ctx, request.get("UserName"))
            self._require_key(conn, ctx, key_id, user)
            conn.execute(
                update(access_keys).where(access_keys.c.access_key_id == key_id).values(status=request["Status"])
            )
        self.runtime.accounts.forget(key_id)
        return {}

    def delete_access_key(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key_id = request["AccessKeyId"]
        with self.runtime.store.write() as conn:
            user = self._key_owner(conn, ctx, request.get("UserName"))
            self._require_key(conn, ctx, key_id, user)
            conn.execute(delete(access_keys).where(access_keys.c.access_key_id == key_id))
        self.runtime.accounts.forget(key_id)
        return {}

    def get_access_key_last_used(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key_id = request["AccessKeyId"]
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(access_keys).where(
                    access_keys.c.access_key_id == key_id, access_keys.c.account_id == ctx.account_id
                )
            ).first()
        if row is None:
            # AWS answers AccessDenied for a key it cannot attribute to the caller's account
            raise NoSuchEntity(f"The Access Key with id {key_id} cannot be found.")
        last: dict[str, Any]
        if row.last_used_at is None:
            last = {"ServiceName": "N/A", "Region": "N/A"}
        else:
            last = {
                "LastUsedDate": row.last_used_at,
                "ServiceName": row.last_used_service,
                "Region": row.last_used_region,
            }
        return {"UserName": row.user_name, "AccessKeyLastUsed": last}
