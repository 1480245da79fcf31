"""Shield's operations table: one row per implemented operation.

IAM actions are the general rule (``shield:<Operation>`` on ``*``); the read-only and on-loop classes follow
CloudTrail's prefix rule, except the calls that reach another service in-process (IAM's GetRole, API Gateway's
GetStage, WAF's web ACL calls): those wait for the other service and stay off the loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssociateDRTLogBucket"),
    Operation("AssociateDRTRole"),
    Operation("AssociateHealthCheck"),
    Operation("AssociateProactiveEngagementDetails"),
    Operation("CreateProtection"),
    Operation("CreateProtectionGroup"),
    Operation("CreateSubscription"),
    Operation("DeleteProtection"),
    Operation("DeleteProtectionGroup"),
    Operation("DeleteSubscription"),
    Operation("DescribeAttack"),
    Operation("DescribeAttackStatistics"),
    Operation("DescribeDRTAccess"),
    Operation("DescribeEmergencyContactSettings"),
    Operation("DescribeProtection"),
    Operation("DescribeProtectionGroup"),
    Operation("DescribeSubscription"),
    Operation("DisableApplicationLayerAutomaticResponse"),
    Operation("DisableProactiveEngagement"),
    Operation("DisassociateDRTLogBucket"),
    Operation("DisassociateDRTRole"),
    Operation("DisassociateHealthCheck"),
    Operation("EnableApplicationLayerAutomaticResponse"),
    Operation("EnableProactiveEngagement"),
    Operation("GetSubscriptionState"),
    Operation("ListAttacks"),
    Operation("ListProtectionGroups"),
    Operation("ListProtections"),
    Operation("ListResourcesInProtectionGroup"),
    Operation("ListTagsForResource"),
    Operation("TagResource"),
    Operation("UntagResource"),
    Operation("UpdateApplicationLayerAutomaticResponse"),
    Operation("UpdateEmergencyContactSettings"),
    Operation("UpdateProtectionGroup"),
    Operation("UpdateSubscription"),
)
