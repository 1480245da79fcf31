"""EventBridge's authorization table (Service Authorization Reference, "Amazon EventBridge").

Actions are ``events:<Operation>``; resources are the rule, event bus, connection, API destination, archive,
replay or endpoint ARN the operation names. Event buses carry resource policies (PutPermission), which the
authorizer reads through :func:`resource_policy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.events import model
from strongroom.iam.authorize import Check

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

# Operation -> (resource type, request member with its name); rules also use EventBusName.
NAMED: dict[str, tuple[str, str]] = {
    **{op: ("rule", "Name") for op in ("DeleteRule", "DescribeRule", "DisableRule", "EnableRule", "PutRule")},
    **{op: ("rule", "Rule") for op in ("PutTargets", "RemoveTargets", "ListTargetsByRule")},
    **{op: ("event-bus", "Name") for op in ("CreateEventBus", "DeleteEventBus", "DescribeEventBus", "UpdateEventBus")},
    **{op: ("event-bus", "EventBusName") for op in ("PutPermission", "RemovePermission")},
    **{
        op: ("connection", "Name")
        for op in ("CreateConnection", "DeleteConnection", "DescribeConnection", "UpdateConnection")
    },
    "DeauthorizeConnection": ("connection", "Name"),
    **{
        op: ("api-destination", "Name")
        for op in ("CreateApiDestination", "DeleteApiDestination", "DescribeApiDestination", "UpdateApiDestination")
    },
    **{op: ("archive", "ArchiveName") for op in ("CreateArchive", "DeleteArchive", "DescribeArchive", "UpdateArchive")},
    **{op: ("replay", "ReplayName") for op in ("StartReplay", "CancelReplay", "DescribeReplay")},
    **{op: ("endpoint", "Name") for op in ("CreateEndpoint", "DeleteEndpoint", "DescribeEndpoint", "UpdateEndpoint")},
}
TAGGING = frozenset({"TagResource", "UntagResource", "ListTagsForResource"})


# Resources whose ARN ends in a generated id (``connection/NAME/UUID``): the ARN is read, not built from the name.
_STORED = {"connection": model.connections, "api-destination": model.api_destinations}


def _arn(ctx: RequestContext, kind: str, name: str) -> str:
    if name.startswith("arn:"):
        return name
    table = _STORED.get(kind)
    if table is not None:
        with ctx.runtime.store.read() as conn:
            found = conn.execute(
                select(table.c.arn).where(
                    table.c.account_id == ctx.account_id, table.c.region == ctx.region, table.c.name == name
                )
            ).scalar_one_or_none()
        if found is not None:
            return str(found)
    return f"arn:aws:events:{ctx.region}:{ctx.account_id}:{kind}/{name}"


def _check(action: str, arn: str) -> Check:
    """The resource's account is the ARN's: another account's rule, bus or connection needs its resource policy."""
    parts = arn.split(":", 5)
    return Check(action, arn, resource_account=parts[4] if len(parts) == 6 and parts[4] else None)


def _bus_arn(ctx: RequestContext, bus: str | None) -> str:
    return _arn(ctx, "event-bus", bus or "default")


def _rule_arn(ctx: RequestContext, name: str, bus: str | None) -> str:
    if name.startswith("arn:"):
        return name
    bus_name = (bus or "default").rsplit("/", 1)[-1]
    path = name if bus_name == "default" else f"{bus_name}/{name}"
    return f"arn:aws:events:{ctx.region}:{ctx.account_id}:rule/{path}"


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"events:{op}"
    if op in NAMED:
        kind, member = NAMED[op]
        name = str(params.get(member) or "")
        if not name and kind != "event-bus":
            return None
        if kind == "rule":
            return [_check(action, _rule_arn(ctx, name, params.get("EventBusName")))]
        if kind == "event-bus":
            return [_check(action, _bus_arn(ctx, name or None))]
        return [_check(action, _arn(ctx, kind, name))]
    if op in TAGGING and params.get("ResourceARN"):
        return [_check(action, str(params["ResourceARN"]))]
    if op == "PutEvents":
        buses = {_bus_arn(ctx, e.get("EventBusName")) for e in params.get("Entries") or [] if isinstance(e, dict)}
        # another account's bus (named by ARN) is allowed by its policy (PutPermission), read by the authorizer
        return [_check(action, arn) for arn in sorted(buses)] or None
    return None


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    """An event bus's resource policy (PutPermission); other EventBridge resources have none."""
    if ":event-bus/" not in arn:
        return None
    with runtime.store.read() as conn:
        return conn.execute(select(model.buses.c.policy).where(model.buses.c.arn == arn)).scalar_one_or_none()
