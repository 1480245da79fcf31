"""GuardDuty's authorization table.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon GuardDuty": the
detector-scoped actions act on the detector (``arn:aws:guardduty:REGION:ACCOUNT:detector/ID``), filters, IP sets,
threat-intel sets and publishing destinations on their own ARNs under it, the tagging actions on the ARN they
name, with ``aws:ResourceTag/*`` from the resource's tags; CreateDetector, ListDetectors and the organization
actions on ``"*"``. GuardDuty has no resource policies: the resource account is the ARN's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check, arn_account
from strongroom.services.base.tags import tag_loader
from strongroom.services.guardduty.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Operation -> (request member, ARN path segment under the detector) for sub-resources.
_SUB = {
    "GetFilter": ("FilterName", "filter"),
    "UpdateFilter": ("FilterName", "filter"),
    "DeleteFilter": ("FilterName", "filter"),
    "GetIPSet": ("IpSetId", "ipset"),
    "UpdateIPSet": ("IpSetId", "ipset"),
    "DeleteIPSet": ("IpSetId", "ipset"),
    "GetThreatIntelSet": ("ThreatIntelSetId", "threatintelset"),
    "UpdateThreatIntelSet": ("ThreatIntelSetId", "threatintelset"),
    "DeleteThreatIntelSet": ("ThreatIntelSetId", "threatintelset"),
    "DescribePublishingDestination": ("DestinationId", "publishingDestination"),
    "UpdatePublishingDestination": ("DestinationId", "publishingDestination"),
    "DeletePublishingDestination": ("DestinationId", "publishingDestination"),
}


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    action = f"guardduty:{op}"
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        arn = params.get("ResourceArn")
    elif isinstance(params.get("DetectorId"), str) and params["DetectorId"]:
        arn = ctx.arn("guardduty", f"detector/{params['DetectorId']}")
        sub = _SUB.get(op)
        if sub is not None and isinstance(params.get(sub[0]), str):
            arn = f"{arn}/{sub[1]}/{params[sub[0]]}"
    else:
        return None  # account-wide actions: guardduty:<Operation> on "*"
    if not isinstance(arn, str) or not arn:
        return None
    return [
        Check(
            action,
            arn,
            resource_account=arn_account(arn),
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn)},
            lookup_resource_policy=False,
        )
    ]
