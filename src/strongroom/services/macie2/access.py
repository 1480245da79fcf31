"""Macie's authorization table.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon Macie": the
actions on one custom data identifier, allow list, classification job or findings filter act on its ARN
(``arn:aws:macie2:REGION:ACCOUNT:custom-data-identifier/ID``, ``allow-list/ID``, ``classification-job/ID``,
``findings-filter/ID``) with ``aws:ResourceTag/*`` from its tags; the tagging actions on the ARN they name;
everything else on ``"*"``. Macie has no resource policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check, arn_account
from strongroom.services.base.tags import tag_loader
from strongroom.services.macie2.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Operation -> (request member, ARN resource type).
_RESOURCE = {
    "GetCustomDataIdentifier": ("id", "custom-data-identifier"),
    "DeleteCustomDataIdentifier": ("id", "custom-data-identifier"),
    "GetAllowList": ("id", "allow-list"),
    "UpdateAllowList": ("id", "allow-list"),
    "DeleteAllowList": ("id", "allow-list"),
    "DescribeClassificationJob": ("jobId", "classification-job"),
    "UpdateClassificationJob": ("jobId", "classification-job"),
    "GetFindingsFilter": ("id", "findings-filter"),
    "UpdateFindingsFilter": ("id", "findings-filter"),
    "DeleteFindingsFilter": ("id", "findings-filter"),
}


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    if op in ("TagResource", "UntagResource", "ListTagsForResource"):
        arn = params.get("resourceArn")
    elif op in _RESOURCE and isinstance(params.get(_RESOURCE[op][0]), str) and params[_RESOURCE[op][0]]:
        member, kind = _RESOURCE[op]
        arn = ctx.arn("macie2", f"{kind}/{params[member]}")
    else:
        return None  # account-wide actions: macie2:<Operation> on "*"
    if not isinstance(arn, str) or not arn:
        return None
    return [
        Check(
            f"macie2:{op}",
            arn,
            resource_account=arn_account(arn),
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn)},
            lookup_resource_policy=False,
        )
    ]
