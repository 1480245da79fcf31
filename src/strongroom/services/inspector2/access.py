"""Inspector's authorization table.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon Inspector2": the
filter actions that name a filter (UpdateFilter, DeleteFilter, and the tagging actions) act on its ARN
(``arn:aws:inspector2:REGION:ACCOUNT:owner/OWNER/filter/ID``), with ``aws:ResourceTag/*`` from the filter's tags;
every other implemented action is on ``"*"``. Inspector has no resource policies: the resource account is the ARN's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.iam.authorize import Check, resource_tag_context
from strongroom.services.inspector2.model import filters

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

_FILTER_MEMBER = {
    "UpdateFilter": "filterArn",
    "DeleteFilter": "arn",
    "TagResource": "resourceArn",
    "UntagResource": "resourceArn",
    "ListTagsForResource": "resourceArn",
}


def _tags(runtime: ServiceRuntime, arn: str) -> Callable[[], dict[str, Any]]:
    def load() -> dict[str, Any]:
        with runtime.store.read() as conn:
            stored = conn.execute(select(filters.c.tags).where(filters.c.arn == arn)).scalar()
        return resource_tag_context(json.loads(stored) if stored else {})

    return load


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    member = _FILTER_MEMBER.get(ctx.operation)
    arn = params.get(member) if member else None
    if not isinstance(arn, str) or not arn:
        return None  # inspector2:<Operation> on "*"
    parts = arn.split(":", 5)
    account = parts[4] if len(parts) == 6 and parts[4] else None
    return [
        Check(
            f"inspector2:{ctx.operation}",
            arn,
            resource_account=account,
            lazy={"aws:resourcetag": _tags(ctx.runtime, arn)},
            lookup_resource_policy=False,
        )
    ]
