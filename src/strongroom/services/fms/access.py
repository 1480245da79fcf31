"""Firewall Manager's authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for AWS Firewall Manager". An
operation naming a policy, apps list, protocols list or resource set is authorized as ``fms:<Operation>`` on its
ARN (``arn:aws:fms:REGION:ACCOUNT:policy/ID``, ``applications-list/ID``, ``protocols-list/ID``,
``resource-set/ID``) with ``aws:ResourceTag/*`` from its tags; the others (and Put* creating a new one) on ``"*"``.
Those resources belong to the administrator's account, the caller's own; FMS has no resource policies.
GetComplianceDetail, which a member account may call for its own compliance, is authorized on ``"*"``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from strongroom.iam.authorize import Check
from strongroom.services.base.tags import tag_loader
from strongroom.services.fms.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

# Operation -> (ARN resource type, how to find the id in the request)
_NAMED: dict[str, tuple[str, Callable[[dict[str, Any]], object]]] = {
    **{op: ("policy", lambda p: p.get("PolicyId")) for op in ("GetPolicy", "DeletePolicy", "ListComplianceStatus")},
    "PutPolicy": ("policy", lambda p: (p.get("Policy") or {}).get("PolicyId")),
    **{op: ("applications-list", lambda p: p.get("ListId")) for op in ("GetAppsList", "DeleteAppsList")},
    "PutAppsList": ("applications-list", lambda p: (p.get("AppsList") or {}).get("ListId")),
    **{op: ("protocols-list", lambda p: p.get("ListId")) for op in ("GetProtocolsList", "DeleteProtocolsList")},
    "PutProtocolsList": ("protocols-list", lambda p: (p.get("ProtocolsList") or {}).get("ListId")),
    **{
        op: ("resource-set", lambda p: p.get("Identifier"))
        for op in ("GetResourceSet", "DeleteResourceSet", "ListResourceSetResources")
    },
    "PutResourceSet": ("resource-set", lambda p: (p.get("ResourceSet") or {}).get("Id")),
    **{
        op: ("resource-set", lambda p: p.get("ResourceSetIdentifier"))
        for op in ("BatchAssociateResource", "BatchDisassociateResource")
    },
}
_TAGGING = ("TagResource", "UntagResource", "ListTagsForResource")


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op = ctx.operation
    if op in _TAGGING:
        arn = params.get("ResourceArn")
    elif op in _NAMED:
        kind, find = _NAMED[op]
        found = find(params)
        # a resource set may be named by its ARN
        arn = (
            (found if found.startswith("arn:") else ctx.arn("fms", f"{kind}/{found}"))
            if isinstance(found, str) and found
            else None
        )
    else:
        arn = None
    if not isinstance(arn, str) or not arn:
        return None  # fms:<Operation> on "*"
    return [
        Check(
            f"fms:{op}",
            arn,
            resource_account=(arn.split(":")[4] if arn.count(":") >= 5 else None) or ctx.account_id,
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn)},
            lookup_resource_policy=False,
        )
    ]
