"""Put/Get/DeleteResourcePolicy: sharing Advanced parameters with other accounts."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.services.ssm import model
from strongroom.services.ssm.base import SsmBase
from strongroom.services.ssm.errors import (
    MalformedResourcePolicyDocumentException,
    ResourceNotFoundException,
    ResourcePolicyConflictException,
    ResourcePolicyInvalidParameterException,
    ResourcePolicyNotFoundException,
)
from strongroom.services.ssm.rules import TIERS

if TYPE_CHECKING:
    from sqlalchemy import Row

    from strongroom.services.base.runtime import RequestContext

POLICY_PAGE = 50


def policy_hash(policy: str) -> str:
    return hashlib.sha256(policy.encode()).hexdigest()


class ResourcePolicyOperations(SsmBase):
    def _policy_target(self, ctx: RequestContext, arn: str) -> Row[Any]:
        if not arn.startswith("arn:"):
            raise ResourcePolicyInvalidParameterException(
                "The resource ARN isn't valid.", ParameterNames=["ResourceArn"]
            )
        ref = self.ref(ctx, arn)
        with self.runtime.store.read() as conn:
            row = self.row(conn, ref) if ref.account_id == ctx.account_id else None
        if row is None:
            raise ResourceNotFoundException(f"The resource {arn} was not found.")
        return row

    def put_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._policy_target(ctx, request["ResourceArn"])
        if not TIERS[row.tier].shareable:
            raise ResourcePolicyInvalidParameterException(
                "Only parameters in the advanced-parameter tier can be shared. Change the parameter to the "
                "Advanced tier and try again.",
                ParameterNames=["ResourceArn"],
            )
        policy = request["Policy"]
        try:
            document = json.loads(policy)
        except ValueError:
            raise MalformedResourcePolicyDocumentException("The policy document is malformed.") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise MalformedResourcePolicyDocumentException("The policy document is malformed.")
        rp = model.resource_policies
        digest = policy_hash(policy)
        with self.runtime.store.write() as conn:
            policy_id = request.get("PolicyId")
            if policy_id:
                found = conn.execute(
                    select(rp).where(rp.c.resource_arn == row.arn, rp.c.policy_id == policy_id)
                ).one_or_none()
                if found is None:
                    raise ResourcePolicyNotFoundException(f"No policy found with id {policy_id}.")
                if request.get("PolicyHash") != found.policy_hash:
                    raise ResourcePolicyConflictException(
                        "The hash provided in the call doesn't match the stored hash. This exception is thrown when "
                        "trying to update an obsolete policy version or when multiple requests to update a policy "
                        "are sent."
                    )
                conn.execute(
                    update(rp)
                    .where(rp.c.resource_arn == row.arn, rp.c.policy_id == policy_id)
                    .values(policy=policy, policy_hash=digest)
                )
            else:
                policy_id = str(uuid.uuid4())
                conn.execute(
                    rp.insert().values(
                        resource_arn=row.arn,
                        policy_id=policy_id,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        policy_hash=digest,
                        policy=policy,
                        created_at=ctx.now(),
                    )
                )
        return {"PolicyId": policy_id, "PolicyHash": digest}

    def get_resource_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._policy_target(ctx, request["ResourceArn"])
        limit = int(request.get("MaxResults") or POLICY_PAGE)
        after = self.decode_token(request["NextToken"]) if request.get("NextToken") else None
        rp = model.resource_policies
        query = select(rp).where(rp.c.resource_arn == row.arn)
        if after is not None:
            query = query.where(rp.c.policy_id > after)
        with self.runtime.store.read() as conn:
            rows = list(conn.execute(query.order_by(rp.c.policy_id).limit(limit + 1)))
        page = rows[:limit]
        out: dict[str, Any] = {
            "Policies": [{"PolicyId": r.policy_id, "PolicyHash": r.policy_hash, "Policy": r.policy} for r in page]
        }
        if len(rows) > limit:
            out["NextToken"] = self.encode_token(page[-1].policy_id)
        return out

    def delete_resource_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self._policy_target(ctx, request["ResourceArn"])
        rp = model.resource_policies
        where = [rp.c.resource_arn == row.arn, rp.c.policy_id == request["PolicyId"]]
        with self.runtime.store.write() as conn:
            found = conn.execute(select(rp).where(*where)).one_or_none()
            if found is None:
                raise ResourcePolicyNotFoundException(f"No policy found with id {request['PolicyId']}.")
            if request["PolicyHash"] != found.policy_hash:
                raise ResourcePolicyConflictException(
                    "The hash provided in the call doesn't match the stored hash. This exception is thrown when "
                    "trying to update an obsolete policy version or when multiple requests to update a policy are "
                    "sent."
                )
            conn.execute(delete(rp).where(*where))
        return {}
