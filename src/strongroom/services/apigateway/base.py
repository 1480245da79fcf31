"""What every family of API Gateway operations shares: ids, finding an API and its parts, tags, pages."""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.apigateway.errors import BadRequestException, NotFoundException
from strongroom.services.apigateway.model import api_items, resources, rest_apis, tags
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

Doc = dict[str, Any]
T = TypeVar("T")

_ALPHABET = string.ascii_lowercase + string.digits
DEFAULT_LIMIT = 25  # AWS's page size when ``limit`` is not given
MAX_LIMIT = 500


def new_id(length: int = 10) -> str:
    """An identifier as API Gateway makes them: lowercase letters and digits (APIs, resources, keys: 10; the
    parts of an API, deployments and usage plans: 6)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Doc:
    return dict(json.loads(text)) if text else {}


def api_arn(region: str, api_id: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}"


def stage_arn(region: str, api_id: str, stage: str) -> str:
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def bad_position() -> AwsError:
    return BadRequestException("Invalid position parameter")


class ApiGatewayBase(ServiceBase):
    """Shared helpers; the families (restapis.py, methods.py, ...) derive from this."""

    # -- what one family provides to the others (Provider lists every family; these come last in its MRO) --

    def api_wire(self, conn: Connection, row: dict[str, Any]) -> Doc:
        raise NotImplementedError  # restapis.py (RestApiOperations)

    @staticmethod
    def now() -> datetime:
        """API Gateway's dates have whole seconds (``createdDate``: epoch seconds on the wire)."""
        return clock.now().replace(microsecond=0)

    # -- pages (position / limit) -----------------------------------------------------------------------------

    @staticmethod
    def page(request: dict[str, Any], items: Sequence[T], key: Callable[[T], pages.Key]) -> tuple[list[T], str | None]:
        limit = request.get("limit")
        size = DEFAULT_LIMIT if limit is None else int(limit)
        if size < 1 or size > MAX_LIMIT:
            raise BadRequestException(f"Invalid limit value specified: {limit}. Must be between 1 and {MAX_LIMIT}")
        return pages.after_page(items, request.get("position"), size, key, bad_position)

    @staticmethod
    def listing(items: list[Doc], position: str | None, member: str = "items") -> dict[str, Any]:
        out: dict[str, Any] = {member: items}
        if position:
            out["position"] = position
        return out

    # -- REST APIs ----------------------------------------------------------------------------------------------

    @staticmethod
    def not_found_api(ctx: RequestContext, api_id: str) -> AwsError:
        return NotFoundException(f"Invalid API identifier specified {ctx.account_id}:{api_id}")

    def api_row(self, conn: Connection, ctx: RequestContext, api_id: str, *, lock: bool = False) -> dict[str, Any]:
        """The API's row; ``lock`` (in a write) holds it until commit, so changes to one API's parts, which are
        read-modify-writes of JSON documents, follow one another on PostgreSQL (SQLite has one writer anyway)."""
        query = select(rest_apis).where(rest_apis.c.id == api_id)
        row = conn.execute(query.with_for_update() if lock else query).one_or_none()
        if row is None or row.account_id != ctx.account_id or row.region != ctx.region:
            raise self.not_found_api(ctx, api_id)
        return dict(row._mapping)

    def require_api(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        with self.runtime.store.read() as conn:
            return self.api_row(conn, ctx, api_id)

    # -- resources ----------------------------------------------------------------------------------------------

    @staticmethod
    def resource_rows(conn: Connection, api_id: str) -> dict[str, dict[str, Any]]:
        rows = conn.execute(select(resources).where(resources.c.api_id == api_id)).all()
        return {r.id: dict(r._mapping) for r in rows}

    @staticmethod
    def resource_row(conn: Connection, api_id: str, resource_id: str) -> dict[str, Any]:
        row = conn.execute(
            select(resources).where(resources.c.api_id == api_id, resources.c.id == resource_id)
        ).one_or_none()
        if row is None:
            raise NotFoundException("Invalid Resource identifier specified")
        return dict(row._mapping)

    @staticmethod
    def save_resource(conn: Connection, api_id: str, resource_id: str, doc: Doc, **values: Any) -> None:
        conn.execute(
            update(resources)
            .where(resources.c.api_id == api_id, resources.c.id == resource_id)
            .values(doc=dumps(doc), **values)
        )

    @staticmethod
    def resource_wire(row: dict[str, Any], *, embed_methods: bool = True) -> Doc:
        doc = loads(row["doc"])
        out: Doc = {"id": row["id"]}
        if row["parent_id"] is not None:
            out["parentId"] = row["parent_id"]
            out["pathPart"] = doc.get("pathPart", "")
        out["path"] = row["path"]
        methods = doc.get("resourceMethods")
        if methods:
            # Without embed=methods AWS still names the methods, each with nothing but its verb's presence.
            out["resourceMethods"] = methods if embed_methods else {verb: {} for verb in methods}
        return out

    # -- the parts of an API (authorizers, request validators, models, gateway responses) ------------------------

    @staticmethod
    def items(conn: Connection, api_id: str, kind: str) -> list[dict[str, Any]]:
        rows = conn.execute(
            select(api_items).where(api_items.c.api_id == api_id, api_items.c.kind == kind).order_by(api_items.c.key)
        ).all()
        return [dict(r._mapping) for r in rows]

    @staticmethod
    def item(conn: Connection, api_id: str, kind: str, key: str) -> Doc | None:
        text = conn.execute(
            select(api_items.c.doc).where(
                api_items.c.api_id == api_id, api_items.c.kind == kind, api_items.c.key == key
            )
        ).scalar_one_or_none()
        return None if text is None else loads(text)

    def put_item(self, conn: Connection, api_id: str, kind: str, key: str, doc: Doc) -> None:
        done = conn.execute(
            update(api_items)
            .where(api_items.c.api_id == api_id, api_items.c.kind == kind, api_items.c.key == key)
            .values(doc=dumps(doc))
        )
        if not done.rowcount:
            conn.execute(
                insert(api_items).values(api_id=api_id, kind=kind, key=key, created_at=self.now(), doc=dumps(doc))
            )

    @staticmethod
    def delete_item(conn: Connection, api_id: str, kind: str, key: str) -> bool:
        done = conn.execute(
            delete(api_items).where(api_items.c.api_id == api_id, api_items.c.kind == kind, api_items.c.key == key)
        )
        return bool(done.rowcount)

    # -- tags -------------------------------------------------------------------------------------------------------

    @staticmethod
    def tags_of(conn: Connection, arn: str) -> dict[str, str]:
        rows = conn.execute(select(tags.c.key, tags.c.value).where(tags.c.arn == arn)).all()
        return {r.key: r.value for r in rows}

    @staticmethod
    def set_tags(conn: Connection, arn: str, new: dict[str, str] | None) -> None:
        for key, value in (new or {}).items():
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key == key))
            conn.execute(insert(tags).values(arn=arn, key=key, value=value))

    @staticmethod
    def drop_tags(conn: Connection, arn: str, *, children: bool = False) -> None:
        where = tags.c.arn == arn
        if children:
            where = where | tags.c.arn.startswith(arn + "/", autoescape=True)
        conn.execute(delete(tags).where(where))

    @staticmethod
    def check_tags(new: dict[str, str] | None) -> None:
        for key, value in (new or {}).items():
            if key.lower().startswith("aws:"):
                raise BadRequestException("Tag keys cannot start with 'aws:'")
            if not key or len(key) > 128 or len(value) > 256:
                raise BadRequestException("Invalid tag: keys are 1-128 and values 0-256 characters long")
