"""ListComplianceStatus and GetComplianceDetail: what the policy's last remediation cycle found (remediation.py).

The administrator reads every account's; a member account reads its own detail. AWS keeps an evaluation's detail
for a while (``ExpiredAt``); here it stands until the next cycle replaces it, and ExpiredAt says when that is due.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.fms.base import FmsBase, not_found, page
from strongroom.services.fms.model import compliance, policies
from strongroom.services.fms.remediation import CYCLE_SECONDS

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

Row = dict[str, Any]


class ComplianceOperations(FmsBase):
    def _policy(self, ctx: RequestContext, policy_id: str, *, member: str | None = None) -> Row:
        """The policy the caller may read compliance of: its administrator's, or (``member``) the member's own."""
        with self.runtime.store.read() as conn:
            row = conn.execute(select(policies).where(policies.c.policy_id == policy_id)).first()
        if row is None or row.region != ctx.region:
            raise not_found("The specified policy was not found.")
        if row.account_id != ctx.account_id:
            org = self.org_of(ctx.account_id)
            if member != ctx.account_id or org is None or self.admin_of(org.org_id) != row.account_id:
                raise not_found("The specified policy was not found.")
        return dict(row._mapping)

    def list_compliance_status(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        policy = self._policy(ctx, request["PolicyId"])
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(compliance)
                .where(compliance.c.policy_id == policy["policy_id"])
                .order_by(compliance.c.member_account)
            ).all()
        items = [
            {
                "PolicyOwner": policy["account_id"],
                "PolicyId": policy["policy_id"],
                "PolicyName": policy["name"],
                "MemberAccount": r.member_account,
                "EvaluationResults": [
                    {
                        "ComplianceStatus": r.status,
                        "ViolatorCount": len(json.loads(r.violators)),
                        "EvaluationLimitExceeded": False,
                    }
                ],
                "LastUpdated": r.evaluated_at,
                "IssueInfoMap": {},
            }
            for r in rows
        ]
        got, token = page(items, request)
        return {"PolicyComplianceStatusList": got, **token}

    def get_compliance_detail(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        member = str(request["MemberAccount"])
        policy = self._policy(ctx, request["PolicyId"], member=member)
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(compliance).where(
                    compliance.c.policy_id == policy["policy_id"], compliance.c.member_account == member
                )
            ).first()
        if row is None:
            raise not_found(f"No compliance information for account {member} and this policy.")
        return {
            "PolicyComplianceDetail": {
                "PolicyOwner": policy["account_id"],
                "PolicyId": policy["policy_id"],
                "MemberAccount": member,
                "Violators": json.loads(row.violators),
                "EvaluationLimitExceeded": False,
                "ExpiredAt": row.evaluated_at + timedelta(seconds=CYCLE_SECONDS),
                "IssueInfoMap": {},
            }
        }
