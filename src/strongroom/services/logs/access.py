"""CloudWatch Logs' authorization table, for the access-control evaluator.

Source: the Service Authorization Reference, "Actions, resources, and condition keys for Amazon CloudWatch Logs".
Operations on a log group are checked as ``logs:<Operation>`` on ``arn:aws:logs:<region>:<account>:log-group:<name>:*``
(the ``arn`` DescribeLogGroups shows, the form IAM policies name log groups by); operations on a log stream
(CreateLogStream, DeleteLogStream, PutLogEvents, GetLogEvents) on
``arn:aws:logs:<region>:<account>:log-group:<name>:log-stream:<stream>``, so the usual
``log-group:/aws/lambda/fn:*`` grants both. DescribeLogGroups is checked on ``*``. Group checks carry the group's
tags as ``aws:ResourceTag/*``, and requests with tags (CreateLogGroup, Tag*/Untag*) ``aws:RequestTag/*`` and
``aws:TagKeys``. Log groups have no resource policies here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.core.errors import AwsError
from strongroom.iam.authorize import Check
from strongroom.services.base.tags import tag_loader
from strongroom.services.logs.base import group_arn, parse_group_arn, stream_arn
from strongroom.services.logs.errors import AccessDeniedException
from strongroom.services.logs.model import tags

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

STREAM_OPERATIONS = frozenset({"CreateLogStream", "DeleteLogStream", "PutLogEvents", "GetLogEvents"})
ARN_OPERATIONS = {"TagResource": "resourceArn", "UntagResource": "resourceArn", "ListTagsForResource": "resourceArn"}


def _group(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, str] | None:
    """(group ARN without ``:*``, its account) the request names, or None when it names none we can read."""
    member = ARN_OPERATIONS.get(ctx.operation)
    ident = params.get(member) if member else params.get("logGroupName") or params.get("logGroupIdentifier")
    if ident is None and ctx.operation in ("AssociateKmsKey", "DisassociateKmsKey"):
        ident = params.get("resourceIdentifier")
    if not isinstance(ident, str) or not ident:
        return None
    if ident.startswith("arn:"):
        parsed = parse_group_arn(ident)
        if parsed is None:
            return None
        region, account, name = parsed
        return group_arn(region, account, name), account
    return group_arn(ctx.region, ctx.account_id, ident), ctx.account_id


def _request_tags(params: dict[str, Any]) -> dict[str, Any]:
    """aws:RequestTag/* and aws:TagKeys from CloudWatch Logs' lower-case members: ``tags`` (a map, or UntagLogGroup's
    list of keys) and ``tagKeys``."""
    given = params.get("tags")
    tag_map = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
    keys = list(tag_map) + [str(k) for k in (given if isinstance(given, list) else [])]
    keys += [str(k) for k in params.get("tagKeys") or []]
    out: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tag_map.items()}
    if keys:
        out["aws:TagKeys"] = keys
    return out


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    found = _group(ctx, params)
    if found is None:
        return None  # DescribeLogGroups, or a request the operation itself refuses: logs:<Operation> on "*"
    arn, account = found
    action = f"logs:{ctx.operation}"
    if ctx.operation in STREAM_OPERATIONS and isinstance(params.get("logStreamName"), str):
        resource = stream_arn(arn, params["logStreamName"])
    else:
        resource = f"{arn}:*"
    return [
        Check(
            action,
            resource,
            context=_request_tags(params),
            resource_account=account,
            lazy={"aws:resourcetag": tag_loader(ctx.runtime, tags, arn, arn_column="group_arn")},
            lookup_resource_policy=False,
        )
    ]


def access_denied(message: str) -> AwsError:
    return AccessDeniedException(message)
