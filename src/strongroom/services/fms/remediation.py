"""The remediation cycle: one scheduled job per policy, run when the policy is put and then every ``CYCLE_SECONDS``
of server time (``POST /_strongroom/clock`` drives it in tests: one advance of ``CYCLE_SECONDS`` is one cycle).

A cycle, for each account of the administrator's organization in the policy's scope (scope.py), in the policy's
region:

1. finds the account's resources of the policy's types with their tags — API Gateway stages, through API Gateway's
   GetRestApis / GetStages called as the account (``invokedBy: fms.amazonaws.com``) — and keeps those in scope;
2. evaluates compliance and stores it (ListComplianceStatus / GetComplianceDetail answer the last evaluation):
   WAFV2 — a stage without a web ACL is ``RESOURCE_MISSING_WEB_ACL``, with another web ACL
   ``RESOURCE_INCORRECT_WEB_ACL``, with the policy's web ACL missing the policy's rule groups
   ``WEB_ACL_MISSING_RULE_GROUP``; SHIELD_ADVANCED — a stage without a Shield protection
   ``RESOURCE_MISSING_SHIELD_PROTECTION``;
3. with ``RemediationEnabled``, fixes what it found: WAFV2 — creates ``FMManagedWebACLV2-<policy name>-<epoch ms>``
   in the account (CreateWebACL as the account), sets its first and last rule groups and default action through
   WAF's in-process API (``wafv2/firewall_manager.py``), and associates it with every in-scope stage that has no
   web ACL (or another one, when ``overrideCustomerWebACLAssociation``); SHIELD_ADVANCED — ``shield_protect``: the
   account's Shield subscription, CreateProtection and the policy's automatic application-layer response, through
   Shield's public API as the account (while Shield has no provider its calls answer NotImplemented and the
   policy's stages are neither evaluated nor protected).

Compliance is evaluated before remediating, as AWS reports it: a cycle that fixes a violation still reports it; the
next cycle reports the account COMPLIANT. Accounts that leave the scope lose the policy's associations (and, with
``DeleteUnusedFMManagedResources``, its web ACL) and their compliance rows.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import delete, select

from strongroom.core.errors import AwsError
from strongroom.scheduler.jobs import JobContext, JobResult
from strongroom.services.fms import scope, servicedata
from strongroom.services.fms.admin import POLICY_JOB
from strongroom.services.fms.base import FmsBase, Stage, dumps
from strongroom.services.fms.model import compliance, managed_acls, policies

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

log = logging.getLogger("strongroom.fms")

CYCLE_SECONDS = 300


@dataclass(slots=True)
class Evaluation:
    violators: list[dict[str, Any]] = field(default_factory=list)
    fixes: list[Callable[[], None]] = field(default_factory=list)

    def violate(self, resource: str, reason: str, resource_type: str = scope.STAGE) -> None:
        self.violators.append({"ResourceId": resource, "ViolationReason": reason, "ResourceType": resource_type})


def web_acl_name(policy_name: str, at_ms: int) -> str:
    """``FMManagedWebACLV2-<policy name>-<epoch ms>`` within WAF's name rules (ASCII letters, digits, ``_`` and
    ``-``; 128 characters)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", policy_name)[:80] or "policy"
    return f"FMManagedWebACLV2-{safe}-{at_ms}"


class RemediationJobs(FmsBase):
    scheduled_jobs: ClassVar[dict[str, str]] = {POLICY_JOB: "policy_cycle"}

    def policy_cycle(self, job: JobContext) -> JobResult | None:
        with self.runtime.store.read() as conn:
            row = conn.execute(select(policies).where(policies.c.policy_id == job.key)).first()
        if row is None:
            return None  # deleted
        self.run_cycle(dict(row._mapping))
        # From now, not from the due time: a clock moved weeks ahead runs one cycle, not thousands.
        return JobResult.again(job.now + timedelta(seconds=CYCLE_SECONDS))

    # -- one cycle ---------------------------------------------------------------------------------------------

    def run_cycle(self, row: dict[str, Any]) -> None:
        org = self.org_of(row["account_id"])
        if org is None or self.admin_of(org.org_id) != row["account_id"]:
            return  # no longer the administrator: the policy waits
        policy = json.loads(row["document"])
        members = [scope.Account(m.account_id, m.path) for m in self.members(org)]
        in_scope = scope.accounts_in_scope(policy, members)
        self._leave_scope(row, set(in_scope), policy)
        for account in in_scope:
            try:
                self._account_cycle(row, policy, account)
            except AwsError as exc:  # one account's failure must not stop the others
                log.warning("fms policy %s in account %s: %s", row["policy_id"], account, exc.message)

    def _account_cycle(self, row: dict[str, Any], policy: dict[str, Any], account: str) -> None:
        ctx = self.as_account(account, row["region"], "PutPolicy")
        stages = (
            [s for s in self.stages(ctx) if scope.tags_match(policy, s.tags)]
            if scope.STAGE in scope.resource_types(policy)
            else []
        )
        data = json.loads(policy["SecurityServicePolicyData"].get("ManagedServiceData") or "{}")
        result = (
            self._evaluate_waf(ctx, row, data, stages)
            if row["service_type"] == "WAFV2"
            else self._evaluate_shield(ctx, row, data, stages)
        )
        if result is None:
            return
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(compliance).where(
                    compliance.c.policy_id == row["policy_id"], compliance.c.member_account == account
                )
            )
            conn.execute(
                compliance.insert().values(
                    policy_id=row["policy_id"],
                    member_account=account,
                    status="NON_COMPLIANT" if result.violators else "COMPLIANT",
                    violators=dumps(result.violators),
                    evaluated_at=self.now(),
                )
            )
        if policy.get("RemediationEnabled"):
            for fix in result.fixes:
                fix()

    # -- WAFV2 -------------------------------------------------------------------------------------------------

    def _wafv2(self) -> Any:
        provider = self.runtime.providers.provider("wafv2")
        if provider is None:
            raise RuntimeError("WAF v2 is not served")
        return provider

    def _evaluate_waf(
        self,
        ctx: RequestContext,
        row: dict[str, Any],
        data: dict[str, Any],
        stages: list[Stage],
    ) -> Evaluation:
        result = Evaluation()
        pre = servicedata.firewall_manager_groups(data, "preProcessRuleGroups")
        post = servicedata.firewall_manager_groups(data, "postProcessRuleGroups")
        with self.runtime.store.read() as conn:
            mine = conn.execute(
                select(managed_acls).where(
                    managed_acls.c.policy_id == row["policy_id"], managed_acls.c.account_id == ctx.account_id
                )
            ).first()
        acl_arn = mine.web_acl_arn if mine is not None else None
        state = self._wafv2().firewall_manager_state(acl_arn) if acl_arn else None
        if state is None:
            acl_arn = None
        groups_ok = state is not None and state.get("Pre") == pre and state.get("Post") == post
        override = bool(data.get("overrideCustomerWebACLAssociation"))
        to_associate: list[str] = []
        for stage in stages:
            current = ctx.call("wafv2", "GetWebACLForResource", {"ResourceArn": stage.arn}, via="fms").get("WebACL")
            if current is None:
                result.violate(stage.arn, "RESOURCE_MISSING_WEB_ACL")
                to_associate.append(stage.arn)
            elif current["ARN"] != acl_arn:
                result.violate(stage.arn, "RESOURCE_INCORRECT_WEB_ACL")
                if override:
                    to_associate.append(stage.arn)
            elif not groups_ok:
                result.violate(stage.arn, "WEB_ACL_MISSING_RULE_GROUP")

        def fix() -> None:
            arn = acl_arn or self._create_web_acl(ctx, row)
            if not groups_ok or acl_arn is None:
                self._wafv2().put_firewall_manager_rule_groups(
                    arn, row["policy_id"], pre, post, servicedata.default_action(data)
                )
            for resource in to_associate:
                ctx.call("wafv2", "AssociateWebACL", {"WebACLArn": arn, "ResourceArn": resource}, via="fms")

        result.fixes.append(fix)
        return result

    def _create_web_acl(self, ctx: RequestContext, row: dict[str, Any]) -> str:
        name = web_acl_name(row["name"], int(self.now().timestamp() * 1000))
        created = ctx.call(
            "wafv2",
            "CreateWebACL",
            {
                "Name": name,
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "Description": f"Firewall Manager policy {row['policy_id']}",
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": name[:128],
                },
                "Rules": [],
            },
            via="fms",
        )["Summary"]
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(managed_acls).where(
                    managed_acls.c.policy_id == row["policy_id"], managed_acls.c.account_id == ctx.account_id
                )
            )
            conn.execute(
                managed_acls.insert().values(
                    policy_id=row["policy_id"],
                    account_id=ctx.account_id,
                    web_acl_arn=created["ARN"],
                    web_acl_name=created["Name"],
                    web_acl_id=created["Id"],
                )
            )
        return str(created["ARN"])

    def remove_managed_acl(self, account: str, region: str, web_acl_arn: str, *, delete_acl: bool) -> None:
        """Disassociate the policy's web ACL in ``account`` from its resources; with ``delete_acl``, AWS's cleanup:
        Firewall Manager's rule groups leave the web ACL, which is deleted when no rules of the account's remain."""
        ctx = self.as_account(account, region, "DeletePolicy")
        try:
            listed = ctx.call(
                "wafv2", "ListResourcesForWebACL", {"WebACLArn": web_acl_arn, "ResourceType": "API_GATEWAY"}, via="fms"
            )
            for resource in listed.get("ResourceArns") or []:
                ctx.call("wafv2", "DisassociateWebACL", {"ResourceArn": resource}, via="fms")
            if not delete_acl:
                return
            self._wafv2().release_firewall_manager(web_acl_arn)
            name, acl_id = web_acl_arn.split("/")[-2:]
            got = ctx.call("wafv2", "GetWebACL", {"Name": name, "Scope": "REGIONAL", "Id": acl_id}, via="fms")
            if got["WebACL"].get("Rules"):
                return  # the account's own rules: the web ACL is the account's now
            ctx.call(
                "wafv2",
                "DeleteWebACL",
                {"Name": name, "Scope": "REGIONAL", "Id": acl_id, "LockToken": got["LockToken"]},
                via="fms",
            )
        except AwsError as exc:
            if exc.code != "WAFNonexistentItemException":
                raise

    def _leave_scope(self, row: dict[str, Any], in_scope: set[str], policy: dict[str, Any]) -> None:
        with self.runtime.store.read() as conn:
            acls = conn.execute(select(managed_acls).where(managed_acls.c.policy_id == row["policy_id"])).all()
        for acl in acls:
            if acl.account_id in in_scope:
                continue
            if policy.get("RemediationEnabled"):
                try:
                    self.remove_managed_acl(
                        acl.account_id,
                        row["region"],
                        acl.web_acl_arn,
                        delete_acl=bool(policy.get("DeleteUnusedFMManagedResources")),
                    )
                except AwsError as exc:
                    log.warning("fms policy %s leaving account %s: %s", row["policy_id"], acl.account_id, exc.message)
            with self.runtime.store.write() as conn:
                conn.execute(
                    delete(managed_acls).where(
                        managed_acls.c.policy_id == row["policy_id"], managed_acls.c.account_id == acl.account_id
                    )
                )
        with self.runtime.store.write() as conn:
            conn.execute(
                delete(compliance).where(
                    compliance.c.policy_id == row["policy_id"], compliance.c.member_account.not_in(sorted(in_scope))
                )
            )

    # -- SHIELD_ADVANCED ---------------------------------------------------------------------------------------

    def _evaluate_shield(
        self, ctx: RequestContext, row: dict[str, Any], data: dict[str, Any], stages: list[Stage]
    ) -> Evaluation | None:
        """None while Shield answers NotImplemented (its provider is another part of the project)."""
        result = Evaluation()
        for stage in stages:
            try:
                ctx.call("shield", "DescribeProtection", {"ResourceArn": stage.arn}, via="fms")
            except AwsError as exc:
                if exc.code == "NotImplemented":
                    return None
                if exc.code != "ResourceNotFoundException":
                    raise
                result.violate(stage.arn, "RESOURCE_MISSING_SHIELD_PROTECTION")
                result.fixes.append(functools.partial(self.shield_protect, ctx, row, data, stage.arn))
        return result

    def shield_protect(self, ctx: RequestContext, row: dict[str, Any], data: dict[str, Any], resource_arn: str) -> None:
        """Protect ``resource_arn`` with Shield Advanced in ``ctx``'s account, through Shield's public API as the
        account (``invokedBy: fms.amazonaws.com``): the account subscribed if it is not (AWS subscribes the accounts
        a Shield Advanced policy covers), CreateProtection, then the policy's automatic application-layer response
        (EnableApplicationLayerAutomaticResponse, Block or Count) when ``automaticResponseConfiguration`` enables it.
        This is the whole contract with the Shield integration."""
        try:
            ctx.call("shield", "DescribeSubscription", {}, via="fms")
        except AwsError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            ctx.call("shield", "CreateSubscription", {}, via="fms")
        name = re.sub(r"[^A-Za-z0-9_-]", "", f"FMManagedShieldProtectionV2-{row['name']}")[:128]
        ctx.call("shield", "CreateProtection", {"Name": name, "ResourceArn": resource_arn}, via="fms")
        config = data.get("automaticResponseConfiguration") or {}
        if config.get("automaticResponseStatus") == "ENABLED":
            action: dict[str, Any] = (
                {"Block": {}} if config.get("automaticResponseAction") == "BLOCK" else {"Count": {}}
            )
            ctx.call(
                "shield",
                "EnableApplicationLayerAutomaticResponse",
                {"ResourceArn": resource_arn, "Action": action},
                via="fms",
            )
