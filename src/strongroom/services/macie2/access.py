"""Macie's authorization table.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon Macie": the
actions on one custom data identifier, allow list, classification job or findings filter act on its ARN
(``arn:aws:macie2:REGION:ACCOUNT:custom-data-identifier/ID``, ``allow-list/ID``, ``classification-job/ID``,
``findings-filter/ID``) with ``aws:ResourceTag/*`` from its tags; the tagging actions on the ARN they name;
everything else on ``"*"``. Macie has no resource policies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check, resource_tag_context
from strongroom.services.macie2.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

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


def _tags(runtime: ServiceRuntime, arn: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        with runtime.store.read() as conn:
            rows = conn.execute(select(tags.c.key, tags.c.value).where(tags.c.arn == arn)).all()
        return resource_tag_context({r.key: r.value for r in rows})

    return load


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" and parts[4] else None


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
            resource_account=_arn_account(arn),
            lazy={"aws:resourcetag": _tags(ctx.runtime, arn)},
            lookup_resource_policy=False,
        )
    ]
