"""Policies: PutPolicy (create, or update with the current PolicyUpdateToken), GetPolicy, ListPolicies, DeletePolicy.

A policy belongs to the administrator's account and the call's region. Its SecurityServicePolicyData is checked as
AWS documents it (servicedata.py); a WAFV2 policy's customer rule groups must exist in the administrator's account
and region. Putting a policy schedules its remediation cycle (remediation.py) to run at once, then every
``CYCLE_SECONDS`` of server time.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from strongroom.core.errors import AwsError
from strongroom.services.fms import servicedata
from strongroom.services.fms.admin import POLICY_JOB
from strongroom.services.fms.base import FmsBase, dumps, new_id, new_token, not_found, page
from strongroom.services.fms.errors import InvalidInputException, InvalidOperationException
from strongroom.services.fms.model import compliance, managed_acls, policies, resource_sets

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

Row = dict[str, Any]
POLICY_NOT_FOUND = "The specified policy was not found."


class PolicyOperations(FmsBase):
    def policy_row(self, ctx: RequestContext, policy_id: str) -> Row:
        with self.runtime.store.read() as conn:
            row = conn.execute(
                select(policies).where(
                    policies.c.policy_id == policy_id,
                    policies.c.account_id == ctx.account_id,
                    policies.c.region == ctx.region,
                )
            ).first()
        if row is None:
            raise not_found(POLICY_NOT_FOUND)
        return dict(row._mapping)

    @staticmethod
    def policy_shape(row: Row) -> dict[str, Any]:
        doc = json.loads(row["document"])
        return {"PolicyId": row["policy_id"], "PolicyUpdateToken": row["update_token"], **doc}

    def put_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        policy = dict(request["Policy"])
        data_spec = policy["SecurityServicePolicyData"]
        policy_type = str(data_spec["Type"])
        data = servicedata.parse(policy_type, data_spec.get("ManagedServiceData"))
        servicedata.check_resource_types(policy_type, policy)
        self._check_rule_groups(ctx, data)
        self._check_resource_sets(ctx, policy.get("ResourceSetIds") or [])
        for key in ("IncludeMap", "ExcludeMap"):
            if policy.get(key) is not None and not isinstance(policy[key], dict):
                raise InvalidInputException(f"{key} must be a map of ACCOUNT and ORG_UNIT lists.")
        policy_id = policy.pop("PolicyId", None)
        token = policy.pop("PolicyUpdateToken", None)
        policy.setdefault("ResourceTags", [])
        policy.setdefault("DeleteUnusedFMManagedResources", False)
        policy["PolicyStatus"] = "ACTIVE"
        now = self.now()
        with self.runtime.store.write() as conn:
            if policy_id:
                row = conn.execute(
                    select(policies).where(
                        policies.c.policy_id == policy_id,
                        policies.c.account_id == ctx.account_id,
                        policies.c.region == ctx.region,
                    )
                ).first()
                if row is None:
                    raise not_found(POLICY_NOT_FOUND)
                if token != row.update_token:
                    raise InvalidOperationException(
                        "The PolicyUpdateToken does not match the current version of the policy."
                    )
                if row.service_type != policy_type:
                    raise InvalidInputException("The policy type of an existing policy cannot be changed.")
                new = new_token()
                conn.execute(
                    update(policies)
                    .where(policies.c.policy_id == policy_id)
                    .values(name=policy["PolicyName"], document=dumps(policy), update_token=new, updated_at=now)
                )
            else:
                if token:
                    raise InvalidInputException(
                        "A PolicyUpdateToken is only valid with the PolicyId it was issued for."
                    )
                policy_id, new = new_id(), new_token()
                conn.execute(
                    policies.insert().values(
                        policy_id=policy_id,
                        account_id=ctx.account_id,
                        region=ctx.region,
                        name=policy["PolicyName"],
                        service_type=policy_type,
                        document=dumps(policy),
                        update_token=new,
                        created_at=now,
                        updated_at=now,
                    )
                )
            arn = self.arn(ctx, "policy", policy_id)
            if request.get("TagList"):
                self.write_tags(conn, arn, request["TagList"])
            self.runtime.scheduler.schedule(POLICY_JOB, policy_id, now, {}, conn)
        row_now = {"policy_id": policy_id, "update_token": new, "document": dumps(policy)}
        return {"Policy": self.policy_shape(row_now), "PolicyArn": arn}

    def _check_rule_groups(self, ctx: RequestContext, data: dict[str, Any]) -> None:
        admin_ctx = self.as_account(ctx.account_id, ctx.region, ctx.operation)
        for arn in servicedata.rule_group_arns(data):
            parts = arn.split(":")
            if parts[3] != ctx.region or parts[4] != ctx.account_id:
                raise InvalidInputException(
                    f"The rule group {arn} must belong to the administrator account in the policy's Region."
                )
            try:
                admin_ctx.call("wafv2", "GetRuleGroup", {"ARN": arn}, via="fms")
            except AwsError as exc:
                if exc.code == "WAFNonexistentItemException":
                    raise InvalidInputException(f"The rule group {arn} does not exist.") from None
                raise

    def _check_resource_sets(self, ctx: RequestContext, set_ids: list[str]) -> None:
        if not set_ids:
            return
        with self.runtime.store.read() as conn:
            found = set(
                conn.execute(
                    select(resource_sets.c.set_id).where(
                        resource_sets.c.set_id.in_(set_ids),
                        resource_sets.c.account_id == ctx.account_id,
                        resource_sets.c.region == ctx.region,
                    )
                ).scalars()
            )
        missing = [s for s in set_ids if s not in found]
        if missing:
            raise not_found(f"The resource set {missing[0]} was not found.")

    def get_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        row = self.policy_row(ctx, request["PolicyId"])
        return {"Policy": self.policy_shape(row), "PolicyArn": self.arn(ctx, "policy", row["policy_id"])}

    def list_policies(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        with self.runtime.store.read() as conn:
            rows = conn.execute(
                select(policies)
                .where(policies.c.account_id == ctx.account_id, policies.c.region == ctx.region)
                .order_by(policies.c.created_at, policies.c.policy_id)
            ).all()
        items = []
        for row in rows:
            doc = json.loads(row.document)
            items.append(
                {
                    "PolicyArn": self.arn(ctx, "policy", row.policy_id),
                    "PolicyId": row.policy_id,
                    "PolicyName": row.name,
                    "ResourceType": doc["ResourceType"],
                    "SecurityServiceType": row.service_type,
                    "RemediationEnabled": doc["RemediationEnabled"],
                    "DeleteUnusedFMManagedResources": doc.get("DeleteUnusedFMManagedResources", False),
                    "PolicyStatus": "ACTIVE",
                }
            )
        got, token = page(items, request)
        return {"PolicyList": got, **token}

    def delete_policy(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        self.admin(ctx)
        row = self.policy_row(ctx, request["PolicyId"])
        if request.get("DeleteAllPolicyResources"):
            with self.runtime.store.read() as conn:
                acls = conn.execute(select(managed_acls).where(managed_acls.c.policy_id == row["policy_id"])).all()
            for acl in acls:
                self.remove_managed_acl(acl.account_id, row["region"], acl.web_acl_arn, delete_acl=True)
        with self.runtime.store.write() as conn:
            conn.execute(delete(policies).where(policies.c.policy_id == row["policy_id"]))
            conn.execute(delete(compliance).where(compliance.c.policy_id == row["policy_id"]))
            conn.execute(delete(managed_acls).where(managed_acls.c.policy_id == row["policy_id"]))
            self.drop_tags(conn, self.arn(ctx, "policy", row["policy_id"]))
            self.runtime.scheduler.cancel(POLICY_JOB, row["policy_id"], conn)
        return {}
