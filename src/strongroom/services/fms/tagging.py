"""Tags of policies, apps lists, protocols lists and resource sets (TagResource, UntagResource,
ListTagsForResource), and the notification channel (Put/Get/DeleteNotificationChannel).

The notification channel (an SNS topic and the role FMS publishes with) is stored and answered as given:
Strongroom has no SNS, so no message is sent. AWS documents no EventBridge events of Firewall Manager's own (only
its API calls through CloudTrail, which the bus carries like every service's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from strongroom.services.fms.base import FmsBase, not_found
from strongroom.services.fms.model import channels, lists, policies, resource_sets, tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_KINDS = {"policy", "applications-list", "protocols-list", "resource-set"}


class TaggingOperations(FmsBase):
    def _resource(self, ctx: RequestContext, arn: str) -> str:
        """``arn`` when it names an existing resource of the administrator's, else ResourceNotFoundException."""
        self.admin(ctx)
        prefix = f"arn:aws:fms:{ctx.region}:{ctx.account_id}:"
        kind, _, resource_id = arn.removeprefix(prefix).partition("/")
        if not arn.startswith(prefix) or kind not in _KINDS:
            raise not_found(f"The resource {arn} was not found.")
        column = {
            "policy": policies.c.policy_id,
            "applications-list": lists.c.list_id,
            "protocols-list": lists.c.list_id,
            "resource-set": resource_sets.c.set_id,
        }[kind]
        with self.runtime.store.read() as conn:
            if conn.execute(select(column).where(column == resource_id)).first() is None:
                raise not_found(f"The resource {arn} was not found.")
        return arn

    def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(ctx, request["ResourceArn"])
        with self.runtime.store.write() as conn:
            self.write_tags(conn, arn, request["TagList"])
        return {}

    def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(ctx, request["ResourceArn"])
        with self.runtime.store.write() as conn:
            conn.execute(delete(tags).where(tags.c.arn == arn, tags.c.key.in_(list(request["TagKeys"]))))
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        arn = self._resource(ctx, request["ResourceArn"])
        with self.runtime.store.read() as conn:
            rows = conn.execute(select(tags).where(tags.c.arn == arn).order_by(tags.c.key)).all()
        return {"TagList": [{"Key": r.key, "Value": r.value} for r in rows]}

    # -- the notification channel --------------------------------------------------------------------------------

    def put_notification_channel(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self.admin(ctx)
        c = channels.c
        with self.runtime.store.write() as conn:
            conn.execute(delete(channels).where(c.account_id == ctx.account_id, c.region == ctx.region))
            conn.execute(
                channels.insert().values(
                    account_id=ctx.account_id,
                    region=ctx.region,
                    topic_arn=request["SnsTopicArn"],
                    role_arn=request["SnsRoleName"],
                )
            )

    def get_notification_channel(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        c = channels.c
        with self.runtime.store.read() as conn:
            row = conn.execute(select(channels).where(c.account_id == ctx.account_id, c.region == ctx.region)).first()
        if row is None:
            return {}
        return {"SnsTopicArn": row.topic_arn, "SnsRoleName": row.role_arn}

    def delete_notification_channel(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        self.admin(ctx)
        c = channels.c
        with self.runtime.store.write() as conn:
            gone = conn.execute(delete(channels).where(c.account_id == ctx.account_id, c.region == ctx.region))
        if not gone.rowcount:
            raise not_found("No notification channel is set.")
