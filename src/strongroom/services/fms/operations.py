"""Firewall Manager's operations table: one row per implemented operation.

Every operation is authorized as ``fms:<Operation>`` on ``"*"`` against the caller's own policies; who may call it
(the organization's management account, the FMS administrator, a member for its own compliance) is the provider's
rule, as AWS answers after IAM allowed. Read-only and on-loop classes follow CloudTrail's prefix rule, except
ListDiscoveredResources, which calls API Gateway for every account it names and so runs in a thread.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssociateAdminAccount"),
    Operation("BatchAssociateResource"),
    Operation("BatchDisassociateResource"),
    Operation("DeleteAppsList"),
    Operation("DeleteNotificationChannel"),
    Operation("DeletePolicy"),
    Operation("DeleteProtocolsList"),
    Operation("DeleteResourceSet"),
    Operation("DisassociateAdminAccount"),
    Operation("GetAdminAccount"),
    Operation("GetAdminScope"),
    Operation("GetAppsList"),
    Operation("GetComplianceDetail"),
    Operation("GetNotificationChannel"),
    Operation("GetPolicy"),
    Operation("GetProtocolsList"),
    Operation("GetResourceSet"),
    Operation("ListAdminAccountsForOrganization"),
    Operation("ListAdminsManagingAccount"),
    Operation("ListAppsLists"),
    Operation("ListComplianceStatus"),
    Operation("ListDiscoveredResources", on_loop=False),  # lists every named account's stages through API Gateway
    Operation("ListMemberAccounts"),
    Operation("ListPolicies"),
    Operation("ListProtocolsLists"),
    Operation("ListResourceSetResources"),
    Operation("ListResourceSets"),
    Operation("ListTagsForResource"),
    Operation("PutAdminAccount"),
    Operation("PutAppsList"),
    Operation("PutNotificationChannel"),
    Operation("PutPolicy"),
    Operation("PutProtocolsList"),
    Operation("PutResourceSet"),
    Operation("TagResource"),
    Operation("UntagResource"),
)
