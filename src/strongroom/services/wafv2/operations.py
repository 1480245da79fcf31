"""WAF v2's operations table: one row per implemented operation.

Authorization is computed by ``access.py`` (the entity ARN is built from Scope + Name + Id, or read from the
request's ARN members); the read-only and on-loop classes follow CloudTrail's prefix rule, except CheckCapacity
(a read: it only computes); GetDecryptedAPIKey and ListAPIKeys unseal keys, so they stay off the loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssociateWebACL"),
    Operation("CheckCapacity", read_only=True),
    Operation("CreateAPIKey"),
    Operation("CreateIPSet"),
    Operation("CreateRegexPatternSet"),
    Operation("CreateRuleGroup"),
    Operation("CreateWebACL"),
    Operation("DeleteAPIKey"),
    Operation("DeleteIPSet"),
    Operation("DeleteLoggingConfiguration"),
    Operation("DeletePermissionPolicy"),
    Operation("DeleteRegexPatternSet"),
    Operation("DeleteRuleGroup"),
    Operation("DeleteWebACL"),
    Operation("DescribeAllManagedProducts"),
    Operation("DescribeManagedProductsByVendor"),
    Operation("DescribeManagedRuleGroup"),
    Operation("DisassociateWebACL"),
    Operation("GetDecryptedAPIKey", read_only=True, on_loop=False),
    Operation("GetIPSet"),
    Operation("GetLoggingConfiguration"),
    Operation("GetManagedRuleSet"),
    Operation("GetPermissionPolicy"),
    Operation("GetRateBasedStatementManagedKeys"),
    Operation("GetRegexPatternSet"),
    Operation("GetRuleGroup"),
    Operation("GetSampledRequests"),
    Operation("GetWebACL"),
    Operation("GetWebACLForResource"),
    Operation("ListAPIKeys", on_loop=False),
    Operation("ListAvailableManagedRuleGroupVersions"),
    Operation("ListAvailableManagedRuleGroups"),
    Operation("ListIPSets"),
    Operation("ListLoggingConfigurations"),
    Operation("ListManagedRuleSets"),
    Operation("ListRegexPatternSets"),
    Operation("ListResourcesForWebACL"),
    Operation("ListRuleGroups"),
    Operation("ListTagsForResource"),
    Operation("ListWebACLs"),
    Operation("PutLoggingConfiguration"),
    Operation("PutManagedRuleSetVersions"),
    Operation("PutPermissionPolicy"),
    Operation("TagResource"),
    Operation("UntagResource"),
    Operation("UpdateIPSet"),
    Operation("UpdateManagedRuleSetVersionExpiryDate"),
    Operation("UpdateRegexPatternSet"),
    Operation("UpdateRuleGroup"),
    Operation("UpdateWebACL"),
)
