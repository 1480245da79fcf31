"""Web ACLs managed by Firewall Manager: the in-process API FMS remediation calls, no AWS operation of its own.

AWS's Firewall Manager creates ``FMManagedWebACLV2-…`` web ACLs in member accounts (CreateWebACL, through the
pipeline as the account) and then sets their first and last rule groups through an API of WAF's own that no SDK
exposes. Here that API is ``put_firewall_manager_rule_groups`` on the provider, which FMS reaches through the
provider registry (services never import each other). The groups are kept in the web ACL's document under
``FirewallManager`` — ``{"PolicyId", "Pre": [FirewallManagerRuleGroup…], "Post": […], "Refs": [rule group ARNs]}``
— so that:

- GetWebACL answers ``ManagedByFirewallManager`` and ``Pre/PostProcessFirewallManagerRuleGroups`` (base.py);
- UpdateWebACL by the account changes only the account's own rules, between the two sets (acls.py keeps them);
- enforcement evaluates the first groups, the account's rules, then the last groups (``enforced.effective_rules``).

The referenced rule groups may belong to the FMS administrator's account, as at AWS; they join the web ACL's
references so that the enforcement side loads them and follows their changes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update

from strongroom.core import ids
from strongroom.services.wafv2 import documents
from strongroom.services.wafv2.base import FMS_KEY, WafBase
from strongroom.services.wafv2.model import entities


def group_refs(groups: Sequence[Mapping[str, Any]]) -> set[str]:
    """The rule group ARNs that FirewallManagerRuleGroups reference (managed groups are not entities)."""
    out: set[str] = set()
    for group in groups:
        ref = (group.get("FirewallManagerStatement") or {}).get("RuleGroupReferenceStatement")
        if isinstance(ref, Mapping) and ref.get("ARN"):
            out.add(str(ref["ARN"]))
    return out


class FirewallManagerRules(WafBase):
    def firewall_manager_state(self, web_acl_arn: str) -> dict[str, Any] | None:
        """``{"PolicyId", "Pre", "Post"}`` of an FMS-managed web ACL; ``{}`` for another web ACL; None if none."""
        row = self.by_arn(web_acl_arn)
        if row is None or row["kind"] != "webacl":
            return None
        state: dict[str, Any] = documents.loads(row["document"]).get(FMS_KEY) or {}
        return state

    def put_firewall_manager_rule_groups(
        self,
        web_acl_arn: str,
        policy_id: str,
        pre: Sequence[Mapping[str, Any]],
        post: Sequence[Mapping[str, Any]],
        default_action: Mapping[str, Any] | None = None,
    ) -> bool:
        """Set the web ACL's first and last rule groups (and its default action) for FMS policy ``policy_id``;
        False when the web ACL is gone. A new lock token and version, as any change, so enforcement follows."""
        with self.runtime.store.write() as conn:
            row = conn.execute(select(entities).where(entities.c.arn == web_acl_arn)).one_or_none()
            if row is None or row.kind != "webacl":
                return False
            doc = documents.loads(row.document)
            own = set(json.loads(row.refs)) - set((doc.get(FMS_KEY) or {}).get("Refs") or [])
            fms_refs = sorted(group_refs([*pre, *post]))
            doc[FMS_KEY] = {"PolicyId": policy_id, "Pre": list(pre), "Post": list(post), "Refs": fms_refs}
            if default_action is not None:
                doc["DefaultAction"] = dict(default_action)
            conn.execute(
                update(entities)
                .where(entities.c.arn == web_acl_arn)
                .values(
                    document=documents.dumps(doc),
                    refs=json.dumps(sorted(own | set(fms_refs))),
                    lock_token=ids.uuid4(),
                    version=entities.c.version + 1,
                    updated_at=self.now(),
                )
            )
        return True

    def release_firewall_manager(self, web_acl_arn: str) -> bool:
        """Drop Firewall Manager's rule groups: the web ACL becomes the account's own (its rules stay). False when
        the web ACL is gone."""
        with self.runtime.store.write() as conn:
            row = conn.execute(select(entities).where(entities.c.arn == web_acl_arn)).one_or_none()
            if row is None or row.kind != "webacl":
                return False
            doc = documents.loads(row.document)
            fms = doc.pop(FMS_KEY, None) or {}
            refs = set(json.loads(row.refs)) - set(fms.get("Refs") or [])
            conn.execute(
                update(entities)
                .where(entities.c.arn == web_acl_arn)
                .values(
                    document=documents.dumps(doc),
                    refs=json.dumps(sorted(refs)),
                    lock_token=ids.uuid4(),
                    version=entities.c.version + 1,
                    updated_at=self.now(),
                )
            )
        return True
