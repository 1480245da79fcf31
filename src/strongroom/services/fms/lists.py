"""Apps lists and protocols lists: Put (create, or update with the current token), Get, List, Delete.

They are stored and answered as AWS does (the previous versions under PreviousAppsList / PreviousProtocolsList,
keyed by the update token they replaced); Strongroom has no security group or network ACL policies to use them.
AWS's managed default lists (``DefaultList`` / ``DefaultLists``) are not served: Get with DefaultList answers
ResourceNotFoundException and List with DefaultLists answers an empty list.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.services.fms.base import FmsBase, dumps, new_id, new_token, not_found, page
from strongroom.services.fms.errors import InvalidOperationException
from strongroom.services.fms.model import lists

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# kind -> (request/response member, its list member, previous-versions member, ARN resource type, wire id member)
_KINDS = {
    "APPS": ("AppsList", "AppsList", "PreviousAppsList", "applications-list"),
    "PROTOCOLS": ("ProtocolsList", "ProtocolsList", "PreviousProtocolsList", "protocols-list"),
}


class ListOperations(FmsBase):
    def _put(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> dict[str, Any]:
        self.admin(ctx)
        member, items_key, previous_key, arn_kind = _KINDS[kind]
        data = dict(request[member])
        token, now = data.get("ListUpdateToken"), self.now()
        list_id = str(data.get("ListId") or "")
        updating = bool(list_id)
        with self.runtime.store.write() as conn:
            if updating:
                row = self._list_row(conn, ctx, list_id, kind)
                if token != row.update_token:
                    raise InvalidOperationException("The ListUpdateToken does not match the current version.")
                doc = json.loads(row.document)
                previous = dict(doc.get(previous_key) or {})
                previous[row.update_token] = doc[items_key]
                created_at = row.created_at
            else:
                list_id, previous, created_at = new_id(), dict(data.get(previous_key) or {}), now
            new = new_token()
            doc = {"ListName": data["ListName"], items_key: data[items_key], previous_key: previous}
            if updating:
                conn.execute(
                    update(lists)
                    .where(lists.c.list_id == list_id)
                    .values(name=data["ListName"], document=dumps(doc), update_token=new, updated_at=now)
                )
            else:
                conn.execute(
                    lists.insert().values(
                        list_id=list_id,
                        kind=kind,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        name=data["ListName"],
                        document=dumps(doc),
                        update_token=new,
                        created_at=now,
                        updated_at=now,
                    )
                )
            arn = self.arn(ctx, arn_kind, list_id)
            if request.get("TagList"):
                self.write_tags(conn, arn, request["TagList"])
        shape = {
            "ListId": list_id,
            "ListName": data["ListName"],
            "ListUpdateToken": new,
            "CreateTime": created_at,
            "LastUpdateTime": now,
            items_key: data[items_key],
        }
        if previous:
            shape[previous_key] = previous
        return {member: shape, f"{member}Arn": arn}

    @staticmethod
    def _list_row(conn: Any, ctx: RequestContext, list_id: str, kind: str) -> Any:
        row = conn.execute(
            select(lists).where(
                lists.c.list_id == list_id,
                lists.c.kind == kind,
                lists.c.account_id == ctx.account_id,
                lists.c.region == ctx.region,
            )
        ).first()
        if row is None:
            raise not_found("The specified list was not found.")
        return row

    def _list_shape(self, row: Any, kind: str) -> dict[str, Any]:
        _, items_key, previous_key, _ = _KINDS[kind]
        doc = json.loads(row.document)
        out = {
            "ListId": row.list_id,
            "ListName": row.name,
            "ListUpdateToken": row.update_token,
            "CreateTime": row.created_at,
            "LastUpdateTime": row.updated_at,
            items_key: doc[items_key],
        }
        if doc.get(previous_key):
            out[previous_key] = doc[previous_key]
        return out

    def _get(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> dict[str, Any]:
        self.admin(ctx)
        member, _, _, arn_kind = _KINDS[kind]
        if request.get("DefaultList"):
            raise not_found("The specified default list was not found.")
        with self.runtime.store.read() as conn:
            row = self._list_row(conn, ctx, request["ListId"], kind)
        return {member: self._list_shape(row, kind), f"{member}Arn": self.arn(ctx, arn_kind, row.list_id)}

    def _list(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> list[dict[str, Any]]:
        self.admin(ctx)
        _, items_key, _, arn_kind = _KINDS[kind]
        if request.get("DefaultLists"):
            return []
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(lists)
                .where(lists.c.kind == kind, lists.c.account_id == ctx.account_id, lists.c.region == ctx.region)
                .order_by(lists.c.created_at, lists.c.list_id)
            ).all()
        return [
            {
                "ListArn": self.arn(ctx, arn_kind, r.list_id),
                "ListId": r.list_id,
                "ListName": r.name,
                items_key: json.loads(r.document)[items_key],
            }
            for r in rows
        ]

    def _delete(self, ctx: RequestContext, request: dict[str, Any], kind: str) -> None:
        self.admin(ctx)
        with self.runtime.store.write() as conn:
            row = self._list_row(conn, ctx, request["ListId"], kind)
            conn.execute(delete(lists).where(lists.c.list_id == row.list_id))
            self.drop_tags(conn, self.arn(ctx, _KINDS[kind][3], row.list_id))

    # -- the operations ----------------------------------------------------------------------------------------

    def put_apps_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._put(ctx, request, "APPS")

    def get_apps_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get(ctx, request, "APPS")

    def list_apps_lists(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        got, token = page(self._list(ctx, request, "APPS"), request)
        return {"AppsLists": got, **token}

    def delete_apps_list(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self._delete(ctx, request, "APPS")

    def put_protocols_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._put(ctx, request, "PROTOCOLS")

    def get_protocols_list(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._get(ctx, request, "PROTOCOLS")

    def list_protocols_lists(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        got, token = page(self._list(ctx, request, "PROTOCOLS"), request)
        return {"ProtocolsLists": got, **token}

    def delete_protocols_list(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self._delete(ctx, request, "PROTOCOLS")
