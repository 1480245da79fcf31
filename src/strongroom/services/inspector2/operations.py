"""Inspector's operations table: one row per implemented operation. All follow the general rules (IAM action
``inspector2:<Operation>`` on ``"*"``, CloudTrail's read-only prefixes), except the reads named by other verbs."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssociateMember"),
    Operation("BatchGetAccountStatus", read_only=True),
    Operation("BatchGetFindingDetails", read_only=True),
    Operation("BatchGetFreeTrialInfo", read_only=True),
    Operation("CancelFindingsReport"),
    Operation("CancelSbomExport"),
    Operation("CreateFilter"),
    Operation("CreateFindingsReport"),
    Operation("CreateSbomExport"),
    Operation("DeleteFilter"),
    Operation("DescribeOrganizationConfiguration"),
    Operation("Disable"),
    Operation("DisableDelegatedAdminAccount"),
    Operation("DisassociateMember"),
    Operation("Enable"),
    Operation("EnableDelegatedAdminAccount"),
    Operation("GetDelegatedAdminAccount"),
    Operation("GetFindingsReportStatus"),
    Operation("GetMember"),
    Operation("GetSbomExport"),
    Operation("ListCoverage"),
    Operation("ListCoverageStatistics"),
    Operation("ListDelegatedAdminAccounts"),
    Operation("ListFilters"),
    Operation("ListFindingAggregations"),
    Operation("ListFindings"),
    Operation("ListMembers"),
    Operation("ListTagsForResource"),
    Operation("SearchVulnerabilities", read_only=True),
    Operation("TagResource"),
    Operation("UntagResource"),
    Operation("UpdateFilter"),
    Operation("UpdateOrganizationConfiguration"),
)
