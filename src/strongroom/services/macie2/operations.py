"""Macie's operations table: one row per implemented operation (all follow the general rules: IAM action
``macie2:<Operation>``, CloudTrail's read-only prefixes). Resources are decided in ``access.py``.

Reads that call S3 or KMS in-process (the words file, the bucket inventory, the reveal key) or run the engine
(TestCustomDataIdentifier) stay off the event loop."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("BatchGetCustomDataIdentifiers"),
    Operation("CreateAllowList"),
    Operation("CreateClassificationJob"),
    Operation("CreateCustomDataIdentifier"),
    Operation("CreateFindingsFilter"),
    Operation("CreateMember"),
    Operation("CreateSampleFindings"),
    Operation("DeleteAllowList"),
    Operation("DeleteCustomDataIdentifier"),
    Operation("DeleteFindingsFilter"),
    Operation("DeleteMember"),
    Operation("DescribeBuckets", on_loop=False),
    Operation("DescribeClassificationJob"),
    Operation("DescribeOrganizationConfiguration"),
    Operation("DisableMacie"),
    Operation("DisableOrganizationAdminAccount"),
    Operation("DisassociateMember"),
    Operation("EnableMacie"),
    Operation("EnableOrganizationAdminAccount"),
    Operation("GetAdministratorAccount"),
    Operation("GetAllowList", on_loop=False),
    Operation("GetAutomatedDiscoveryConfiguration"),
    Operation("GetBucketStatistics", on_loop=False),
    Operation("GetClassificationExportConfiguration"),
    Operation("GetCustomDataIdentifier"),
    Operation("GetFindingStatistics"),
    Operation("GetFindings"),
    Operation("GetFindingsFilter"),
    Operation("GetMacieSession"),
    Operation("GetMasterAccount"),
    Operation("GetMember"),
    Operation("GetRevealConfiguration"),
    Operation("GetSensitiveDataOccurrences", on_loop=False),
    Operation("GetSensitiveDataOccurrencesAvailability"),
    Operation("ListAllowLists"),
    Operation("ListClassificationJobs"),
    Operation("ListCustomDataIdentifiers"),
    Operation("ListFindings"),
    Operation("ListFindingsFilters"),
    Operation("ListManagedDataIdentifiers"),
    Operation("ListMembers"),
    Operation("ListOrganizationAdminAccounts"),
    Operation("ListTagsForResource"),
    Operation("PutClassificationExportConfiguration"),
    Operation("SearchResources", on_loop=False),
    Operation("TagResource"),
    Operation("TestCustomDataIdentifier", on_loop=False),
    Operation("UntagResource"),
    Operation("UpdateAllowList"),
    Operation("UpdateAutomatedDiscoveryConfiguration"),
    Operation("UpdateClassificationJob"),
    Operation("UpdateFindingsFilter"),
    Operation("UpdateMacieSession"),
    Operation("UpdateOrganizationConfiguration"),
    Operation("UpdateRevealConfiguration"),
)
