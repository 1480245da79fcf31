"""CloudTrail's operations table: per implemented operation, the request member naming the trail (None: "*").

ListTags names a list of trails (one check per trail, ``access.py``); the read-only and on-loop classes follow
CloudTrail's prefix rule.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AddTags", resource="ResourceId"),
    Operation("CreateTrail", resource="Name"),
    Operation("DeleteTrail", resource="Name"),
    Operation("DescribeTrails"),
    Operation("GetEventSelectors", resource="TrailName"),
    Operation("GetInsightSelectors", resource="TrailName"),
    Operation("GetTrail", resource="Name"),
    Operation("GetTrailStatus", resource="Name"),
    Operation("ListPublicKeys"),
    Operation("ListTags", resource="ResourceIdList"),
    Operation("ListTrails"),
    Operation("LookupEvents"),
    Operation("PutEventSelectors", resource="TrailName"),
    Operation("PutInsightSelectors", resource="TrailName"),
    Operation("RemoveTags", resource="ResourceId"),
    Operation("StartLogging", resource="Name"),
    Operation("StopLogging", resource="Name"),
    Operation("UpdateTrail", resource="Name"),
    # insights.py
    Operation("ListInsightsData"),
    Operation("ListInsightsMetricData", resource="TrailName"),
    # lake.py, lake_extras.py
    Operation("CancelQuery"),
    Operation("CreateChannel"),
    Operation("CreateDashboard"),
    Operation("CreateEventDataStore"),
    Operation("DeleteChannel"),
    Operation("DeleteDashboard"),
    Operation("DeleteEventDataStore"),
    Operation("DeleteResourcePolicy"),
    Operation("DeregisterOrganizationDelegatedAdmin"),
    Operation("DescribeQuery"),
    Operation("DisableFederation"),
    Operation("EnableFederation"),
    Operation("GenerateQuery"),
    Operation("GetChannel"),
    Operation("GetDashboard"),
    Operation("GetEventConfiguration", resource="TrailName"),
    Operation("GetEventDataStore"),
    Operation("GetImport"),
    Operation("GetQueryResults"),
    Operation("GetResourcePolicy"),
    Operation("ListChannels"),
    Operation("ListDashboards"),
    Operation("ListEventDataStores"),
    Operation("ListImportFailures"),
    Operation("ListImports"),
    Operation("ListQueries"),
    Operation("PutEventConfiguration", resource="TrailName"),
    Operation("PutResourcePolicy"),
    Operation("RegisterOrganizationDelegatedAdmin"),
    Operation("RestoreEventDataStore"),
    Operation("SearchSampleQueries"),
    Operation("StartDashboardRefresh"),
    Operation("StartEventDataStoreIngestion"),
    Operation("StartImport"),
    Operation("StartQuery"),
    Operation("StopEventDataStoreIngestion"),
    Operation("StopImport"),
    Operation("UpdateChannel"),
    Operation("UpdateDashboard"),
    Operation("UpdateEventDataStore"),
)
