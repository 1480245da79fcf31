"""CloudTrail's authorization table (Service Authorization Reference, "AWS CloudTrail").

Trail operations act on ``arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME``; LookupEvents, ListTrails,
DescribeTrails and the other account-wide reads on ``"*"``; ListTags on every trail it names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Operation -> the request member naming the trail.
TRAIL_OPERATIONS: dict[str, str] = {
    **{
        op: "Name" for op in ("CreateTrail", "DeleteTrail", "GetTrail", "GetTrailStatus", "StartLogging", "StopLogging")
    },
    "UpdateTrail": "Name",
    **{
        op: "TrailName"
        for op in ("PutEventSelectors", "GetEventSelectors", "PutInsightSelectors", "GetInsightSelectors")
    },
    # a trail named in these is the resource (Lake's own operations are authorized on "*": docs/cloudtrail.md)
    **{op: "TrailName" for op in ("GetEventConfiguration", "PutEventConfiguration", "ListInsightsMetricData")},
    "AddTags": "ResourceId",
    "RemoveTags": "ResourceId",
}


def trail_arn(ctx: RequestContext, name: str) -> str:
    if name.startswith("arn:"):
        return name
    return f"arn:aws:cloudtrail:{ctx.region}:{ctx.account_id}:trail/{name}"


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    if op == "ListTags" and isinstance(params.get("ResourceIdList"), list):
        # one check per trail named: a Deny on any of them refuses the listing
        return [Check(f"cloudtrail:{op}", trail_arn(ctx, str(arn))) for arn in dict.fromkeys(params["ResourceIdList"])]
    member = TRAIL_OPERATIONS.get(op)
    if member is None or not params.get(member):
        return None
    return [Check(f"cloudtrail:{op}", trail_arn(ctx, str(params[member])))]
