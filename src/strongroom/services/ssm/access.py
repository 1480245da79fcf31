"""What the access-control evaluator needs from Parameter Store: the authorization table and resource policies.

``checks(ctx, params)`` names the action and parameter ARN(s) of each operation (Service Authorization
Reference, "Actions, resources, and condition keys for AWS Systems Manager"): ``ssm:GetParameters`` is asked
once per named parameter, ``ssm:GetParametersByPath`` on the path's ARN, DescribeParameters on ``*``.

``resource_policy(runtime, arn)`` merges the statements of every resource policy attached to a parameter (as
PutResourcePolicy stores them) into one document, or returns None (the documents are read by ``sharing.py``,
which also holds the narrow cross-account check the provider applies itself).

For GetParameter(s) on the caller's own names, the parameter's current version is read together with its
resource policies, in one query, and handed to the operation through ``ctx.extras`` (see
:func:`take_prefetched`): the hot path reads the database once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Row, bindparam, select

from strongroom.iam.authorize import Check
from strongroom.services.ssm import model
from strongroom.services.ssm.base import CURRENT_ON, named
from strongroom.services.ssm.operations import OPERATIONS
from strongroom.services.ssm.sharing import POLICIES_OF, documents, merged, parsed

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime

# Names whose ARN has no account (see arn_for): public parameters and Secrets Manager references.
_NOT_STORED = ("/aws/service/", "/aws/reference/")
_PREFETCH = "ssm.prefetched_versions"  # ctx.extras key: {name: current version row or None}


_rp = model.resource_policies


# GetParameter(s)'s hot read: the current version with the resource policies of the ARN authorized, one row per
# policy (or one with a NULL policy). Only the columns an answer needs (SsmBase.view).
_v, _p = model.versions, model.parameters
_CURRENT = (
    select(_v.c.type, _v.c.value, _v.c.version, _v.c.modified_at, _v.c.data_type, _rp.c.policy)
    .join(_p, CURRENT_ON)
    .outerjoin(_rp, _rp.c.resource_arn == bindparam("arn"))
    .where(*named(_p))
    .order_by(_rp.c.created_at)
)


def resource_policy(runtime: ServiceRuntime, arn: str) -> str | None:
    return merged(documents(runtime, arn))


def arn_for(ctx: RequestContext, raw: str) -> str:
    """The ARN a request names: parameter ARNs as given (less a selector), names joined to the caller's prefix."""
    if raw.startswith("arn:"):
        head, _, tail = raw.partition(":parameter/")
        return f"{head}:parameter/{tail.split(':', 1)[0]}" if tail else raw
    name = raw.split(":", 1)[0]
    account = "" if name.startswith(("/aws/service/", "/aws/reference/")) else ctx.account_id
    return f"arn:aws:ssm:{ctx.region}:{account}:parameter/{name.lstrip('/')}"


def _prefetchable(raw: str) -> bool:
    """A plain name of the caller's own stored parameter, latest version (the hot GetParameter* case)."""
    return ":" not in raw and not raw.startswith(_NOT_STORED)


def _read_checks(ctx: RequestContext, names: list[str]) -> list[Check]:
    """GetParameter(s): the checks, reading each plain name's policies and current version in one read.

    The versions go to the operation through ``ctx.extras`` (see :func:`take_prefetched`), so the hot path
    runs one query instead of three, and authorizes and answers from the same row.
    """
    action = f"ssm:{ctx.operation}"
    arns = {n: arn_for(ctx, n) for n in names}  # for plain names, the parameter row's ARN (parameter_arn)
    plain = [n for n in names if _prefetchable(n)]
    policies: dict[str, str | None] = {}
    if plain:
        found: dict[str, Row[Any] | None] = {}
        with ctx.runtime.store.read() as conn:
            for name in plain:
                arn = arns[name]
                key = {"k_account": ctx.account_id, "k_region": ctx.region, "k_name": name, "arn": arn}
                rows: list[Row[Any]] = list(conn.execute(_CURRENT, key))
                found[name] = rows[0] if rows else None
                # No parameter, no joined row: its policies (normally none) are still what authorization sees.
                texts = [r.policy for r in (rows or conn.execute(POLICIES_OF, {"arn": arn}))]
                policies[name] = merged(parsed((arn, text) for text in texts if text is not None))
        ctx.extras[_PREFETCH] = found
    return [
        Check(action, arns[n], resource_policy=policies[n], lookup_resource_policy=False)
        if n in policies
        else Check(action, arns[n])
        for n in names
    ]


def take_prefetched(ctx: RequestContext, raw: str) -> tuple[bool, Row[Any] | None]:
    """``(True, version or None)`` when authorization already read ``raw``'s current version (used once)."""
    found = ctx.extras.get(_PREFETCH)
    if isinstance(found, dict) and raw in found:
        return True, found.pop(raw)
    return False, None


def checks(ctx: RequestContext, params: dict[str, Any]) -> list[Check] | None:
    op, action = ctx.operation, f"ssm:{ctx.operation}"
    row = OPERATIONS.get(op)
    member = row.resource if row is not None else None  # the request member naming the parameter/resource
    if op == "GetParameter" and isinstance(params.get("Name"), str):
        return _read_checks(ctx, [params["Name"]])
    if op == "GetParameters" and isinstance(params.get("Names"), list):
        return _read_checks(ctx, [n for n in dict.fromkeys(params["Names"]) if isinstance(n, str)])
    if member == "Name" and isinstance(params.get("Name"), str):
        # PutParameter stores the name without surrounding spaces (rules.normalize_name): authorize that ARN.
        name = params["Name"].strip(" ") if op == "PutParameter" else params["Name"]
        return [Check(action, arn_for(ctx, name))]
    if member == "Names" and isinstance(params.get("Names"), list):
        return [Check(action, arn_for(ctx, n)) for n in dict.fromkeys(params["Names"]) if isinstance(n, str)]
    if op == "GetParametersByPath" and isinstance(params.get("Path"), str):
        return [Check(action, arn_for(ctx, params["Path"]))]
    if (
        member == "ResourceId"
        and params.get("ResourceType") == "Parameter"
        and isinstance(params.get("ResourceId"), str)
    ):
        return [Check(action, arn_for(ctx, params["ResourceId"]))]
    if member == "ResourceArn" and isinstance(params.get("ResourceArn"), str):
        return [Check(action, params["ResourceArn"])]
    if member == "SettingId" and isinstance(params.get("SettingId"), str):
        setting = params["SettingId"]
        return [Check(action, setting if setting.startswith("arn:") else ctx.arn("ssm", "servicesetting" + setting))]
    return None
