"""The subscription and what hangs on it: emergency contacts, proactive engagement, Shield Response Team access.

CreateSubscription starts a one-year commitment with automatic renewal, as AWS's does (with AutoRenew ENABLED it
renews for another year at each end; DISABLED, it lapses); DeleteSubscription is refused
(LockedSubscriptionException) while the commitment runs, as AWS refuses it. Emergency contacts and proactive
engagement are stored and answered; nothing calls anyone. DRT access (AssociateDRTRole / AssociateDRTLogBucket) is
stored: the role must exist in the account (checked through IAM's GetRole), the log buckets are at most ten and
need an associated role first, as AWS requires.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, update

from strongroom.core import ids
from strongroom.core.errors import AwsError
from strongroom.services.shield import errors
from strongroom.services.shield.base import COMMITMENT, SHIELD_REGION, ShieldBase
from strongroom.services.shield.model import subscriptions

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

MAX_LOG_BUCKETS = 10
MAX_CONTACTS = 10
# AWS's subscription limits (Subscription.SubscriptionLimits): protections per resource type, protection groups.
RESOURCE_TYPE_LIMITS = [
    {"Type": "ELASTIC_IP_ADDRESS", "Max": 100},
    {"Type": "APPLICATION_LOAD_BALANCER", "Max": 50},
]


class SubscriptionOperations(ShieldBase):
    def create_subscription(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        existing = self.subscription_row(ctx.account_id)
        if existing is not None and existing["end_time"] > now:
            raise errors.ResourceAlreadyExistsException("The subscription already exists.", resourceType="subscription")
        with self.runtime.store.write() as conn:
            conn.execute(delete(subscriptions).where(subscriptions.c.account_id == ctx.account_id))
            conn.execute(
                subscriptions.insert().values(
                    account_id=ctx.account_id,
                    id=ids.uuid4(),
                    start_time=now,
                    end_time=now + COMMITMENT,
                    auto_renew="ENABLED",
                    proactive=None,
                    contacts="[]",
                    drt_role=None,
                    drt_buckets="[]",
                )
            )
        return {}

    def describe_subscription(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        out: dict[str, Any] = {
            "StartTime": row["start_time"],
            "EndTime": row["end_time"],
            "TimeCommitmentInSeconds": int(COMMITMENT.total_seconds()),
            "AutoRenew": row["auto_renew"],
            "Limits": RESOURCE_TYPE_LIMITS,
        }
        if row["proactive"]:
            out["ProactiveEngagementStatus"] = row["proactive"]
        out["SubscriptionLimits"] = {
            "ProtectionLimits": {"ProtectedResourceTypeLimits": RESOURCE_TYPE_LIMITS},
            "ProtectionGroupLimits": {
                "MaxProtectionGroups": 50,
                "PatternTypeLimits": {"ArbitraryPatternLimits": {"MaxMembers": 10000}},
            },
        }
        out["SubscriptionArn"] = self.shield_arn(ctx.account_id, f"subscription/{row['id']}")
        return {"Subscription": out}

    def get_subscription_state(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscription_row(ctx.account_id)
        active = row is not None and row["end_time"] > self.now()
        return {"SubscriptionState": "ACTIVE" if active else "INACTIVE"}

    def update_subscription(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        renew = request.get("AutoRenew")
        if renew is not None and renew != row["auto_renew"]:
            with self.runtime.store.write() as conn:
                conn.execute(
                    update(subscriptions).where(subscriptions.c.account_id == ctx.account_id).values(auto_renew=renew)
                )
        return {}

    def delete_subscription(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["end_time"] > self.now():
            raise errors.LockedSubscriptionException(
                "You can't delete the subscription during its time commitment period."
            )
        return {}  # unreachable while subscribed() requires an unexpired subscription

    # -- emergency contacts and proactive engagement --------------------------------------------------------------

    @staticmethod
    def _contacts(request: dict[str, Any]) -> list[dict[str, Any]]:
        contacts = list(request.get("EmergencyContactList") or [])
        if len(contacts) > MAX_CONTACTS:
            raise errors.InvalidParameterException(
                f"The emergency contact list can have at most {MAX_CONTACTS} contacts.", reason="OTHER"
            )
        return contacts

    def _set(self, account_id: str, **values: Any) -> None:
        with self.runtime.store.write() as conn:
            conn.execute(update(subscriptions).where(subscriptions.c.account_id == account_id).values(**values))

    def update_emergency_contact_settings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        contacts = self._contacts(request)
        if row["proactive"] == "ENABLED" and not contacts:
            raise errors.InvalidParameterException(
                "Proactive engagement needs at least one emergency contact.", reason="OTHER"
            )
        self._set(ctx.account_id, contacts=json.dumps(contacts))
        return {}

    def describe_emergency_contact_settings(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        return {"EmergencyContactList": json.loads(row["contacts"])}

    def associate_proactive_engagement_details(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["proactive"] is not None:
            raise errors.InvalidOperationException(
                "Proactive engagement details are already associated; use UpdateEmergencyContactSettings."
            )
        contacts = self._contacts(request)
        if not any(c.get("PhoneNumber") for c in contacts):
            raise errors.InvalidParameterException(
                "Proactive engagement needs an emergency contact with a phone number.", reason="OTHER"
            )
        self._set(ctx.account_id, contacts=json.dumps(contacts), proactive="ENABLED")
        return {}

    def enable_proactive_engagement(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["proactive"] is None or not json.loads(row["contacts"]):
            raise errors.InvalidOperationException(
                "Proactive engagement needs emergency contacts; call AssociateProactiveEngagementDetails first."
            )
        self._set(ctx.account_id, proactive="ENABLED")
        return {}

    def disable_proactive_engagement(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["proactive"] is None:
            raise errors.InvalidOperationException("Proactive engagement is not configured.")
        self._set(ctx.account_id, proactive="DISABLED")
        return {}

    # -- Shield Response Team access ------------------------------------------------------------------------------

    def associate_drt_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        role = str(request["RoleArn"])
        parts = role.split(":", 5)
        if len(parts) != 6 or parts[2] != "iam" or not parts[5].startswith("role/"):
            raise errors.InvalidParameterException("The role ARN is not valid.", reason="OTHER")
        if parts[4] != ctx.account_id:
            raise errors.InvalidParameterException("The role must be in your account.", reason="OTHER")
        try:
            self.acting_as(ctx.account_id, SHIELD_REGION, ctx.operation).call(
                "iam", "GetRole", {"RoleName": parts[5].rsplit("/", 1)[-1]}
            )
        except AwsError as exc:
            if exc.code == "NoSuchEntity":
                raise errors.InvalidParameterException("The role does not exist.", reason="OTHER") from None
            raise
        self._set(ctx.account_id, drt_role=role)
        return {}

    def disassociate_drt_role(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.subscribed(ctx)
        self._set(ctx.account_id, drt_role=None)  # idempotent, as AWS answers it
        return {}

    def associate_drt_log_bucket(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["drt_role"] is None:
            raise errors.NoAssociatedRoleException("Associate a role with AssociateDRTRole first.")
        buckets = list(json.loads(row["drt_buckets"]))
        bucket = str(request["LogBucket"])
        if bucket not in buckets:
            if len(buckets) >= MAX_LOG_BUCKETS:
                raise errors.LimitsExceededException(
                    "You can associate at most 10 log buckets.", Type="LOG_BUCKETS", Limit=MAX_LOG_BUCKETS
                )
            buckets.append(bucket)
            self._set(ctx.account_id, drt_buckets=json.dumps(buckets))
        return {}

    def disassociate_drt_log_bucket(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        if row["drt_role"] is None:
            raise errors.NoAssociatedRoleException("No role is associated.")
        buckets = [b for b in json.loads(row["drt_buckets"]) if b != request["LogBucket"]]
        self._set(ctx.account_id, drt_buckets=json.dumps(buckets))
        return {}

    def describe_drt_access(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        row = self.subscribed(ctx)
        out: dict[str, Any] = {}
        if row["drt_role"]:
            out["RoleArn"] = row["drt_role"]
        out["LogBucketList"] = json.loads(row["drt_buckets"])
        return out
