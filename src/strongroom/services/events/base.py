"""What every family of EventBridge operations shares: bus and rule lookup, pagination, tags, job handlers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Connection, Row, delete, select

from strongroom.core.errors import AwsError
from strongroom.events import model
from strongroom.events.bus import bus_arn, ensure_default_bus
from strongroom.services.base import pages
from strongroom.services.base.family import ServiceBase
from strongroom.services.events.errors import ResourceNotFoundException, ValidationException

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

T = TypeVar("T")
DEFAULT_LIMIT = 100


def rule_arn(account_id: str, region: str, bus_name: str, name: str) -> str:
    if bus_name == "default":
        return f"arn:aws:events:{region}:{account_id}:rule/{name}"
    return f"arn:aws:events:{region}:{account_id}:rule/{bus_name}/{name}"


class EventsBase(ServiceBase):
    """The state every family shares (only the runtime); jobs are declared in ``provider.py``."""

    # -- buses ---------------------------------------------------------------------------------------------

    def bus_name(self, ctx: RequestContext, name_or_arn: str | None) -> str:
        """A bus name from a name or an ARN of this account and Region."""
        if not name_or_arn:
            return "default"
        if name_or_arn.startswith("arn:"):
            parts = name_or_arn.split(":", 5)
            if len(parts) != 6 or not parts[5].startswith("event-bus/"):
                raise ValidationException(
                    f"Parameter {name_or_arn} is not valid. Reason: Provided Arn is not in correct format."
                )
            if parts[3] != ctx.region or parts[4] != ctx.account_id:
                raise ResourceNotFoundException(f"Event bus {parts[5][len('event-bus/') :]} does not exist.")
            return parts[5][len("event-bus/") :]
        return name_or_arn

    def require_bus(self, conn: Connection, ctx: RequestContext, name: str) -> Row[Any]:
        if name == "default":
            ensure_default_bus(conn, ctx.account_id, ctx.region)
        row = conn.execute(
            select(model.buses).where(model.buses.c.arn == bus_arn(ctx.account_id, ctx.region, name))
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"Event bus {name} does not exist.")
        return row

    # -- rules ---------------------------------------------------------------------------------------------

    def require_rule(self, conn: Connection, ctx: RequestContext, name: str, bus: str) -> Row[Any]:
        self.require_bus(conn, ctx, bus)
        row = conn.execute(
            select(model.rules).where(model.rules.c.arn == rule_arn(ctx.account_id, ctx.region, bus, name))
        ).one_or_none()
        if row is None:
            raise ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus}.")
        return row

    # -- pagination ----------------------------------------------------------------------------------------

    @staticmethod
    def page(items: Sequence[T], request: dict[str, Any], key: Callable[[T], str]) -> tuple[list[T], str | None]:
        """Items in ``key`` order after NextToken, at most Limit (services/base/pages.py); an empty token is none."""

        def bad() -> AwsError:
            return ValidationException("The NextToken is invalid.")

        limit = request.get("Limit") or DEFAULT_LIMIT
        return pages.after_page(items, request.get("NextToken") or None, limit, key, bad)

    # -- tags ----------------------------------------------------------------------------------------------

    @staticmethod
    def write_tags(conn: Connection, arn: str, tags: list[dict[str, str]]) -> None:
        for tag in tags:
            conn.execute(delete(model.tags).where(model.tags.c.resource_arn == arn, model.tags.c.tag_key == tag["Key"]))
            conn.execute(model.tags.insert().values(resource_arn=arn, tag_key=tag["Key"], tag_value=tag["Value"]))

    @staticmethod
    def drop_tags(conn: Connection, arn: str) -> None:
        conn.execute(delete(model.tags).where(model.tags.c.resource_arn == arn))
