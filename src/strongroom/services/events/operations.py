"""EventBridge's operations table: every operation of the model.

``resource`` is the request member naming the resource the operation is authorized on (``access.py`` builds its
ARN: rules with their EventBusName, connections and API destinations read from their stored ARN). PutEvents is
asked once per event bus its entries name (``Entries[].EventBusName``), so it has no single member. Every
EventBridge operation is read-only or not by CloudTrail's prefix rule, and runs on the event loop when read-only.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    # buses.py
    Operation("CreateEventBus", resource="Name"),
    Operation("DeleteEventBus", resource="Name"),
    Operation("DescribeEventBus", resource="Name"),
    Operation("ListEventBuses"),
    Operation("UpdateEventBus", resource="Name"),
    Operation("ListTagsForResource", resource="ResourceARN"),
    Operation("TagResource", resource="ResourceARN"),
    Operation("UntagResource", resource="ResourceARN"),
    # rules.py
    Operation("DeleteRule", resource="Name"),
    Operation("DescribeRule", resource="Name"),
    Operation("DisableRule", resource="Name"),
    Operation("EnableRule", resource="Name"),
    Operation("ListRuleNamesByTarget"),
    Operation("ListRules"),
    Operation("PutRule", resource="Name"),
    # target_ops.py
    Operation("ListTargetsByRule", resource="Rule"),
    Operation("PutTargets", resource="Rule"),
    Operation("RemoveTargets", resource="Rule"),
    # publishing.py
    Operation("PutEvents"),
    Operation("TestEventPattern"),
    # connections.py
    Operation("CreateConnection", resource="Name"),
    Operation("DeauthorizeConnection", resource="Name"),
    Operation("DeleteConnection", resource="Name"),
    Operation("DescribeConnection", resource="Name"),
    Operation("ListConnections"),
    Operation("UpdateConnection", resource="Name"),
    Operation("CreateApiDestination", resource="Name"),
    Operation("DeleteApiDestination", resource="Name"),
    Operation("DescribeApiDestination", resource="Name"),
    Operation("ListApiDestinations"),
    Operation("UpdateApiDestination", resource="Name"),
    # archives.py
    Operation("CancelReplay", resource="ReplayName"),
    Operation("CreateArchive", resource="ArchiveName"),
    Operation("DeleteArchive", resource="ArchiveName"),
    Operation("DescribeArchive", resource="ArchiveName"),
    Operation("DescribeReplay", resource="ReplayName"),
    Operation("ListArchives"),
    Operation("ListReplays"),
    Operation("StartReplay", resource="ReplayName"),
    Operation("UpdateArchive", resource="ArchiveName"),
    # permissions.py
    Operation("ActivateEventSource"),
    Operation("CreateEndpoint", resource="Name"),
    Operation("CreatePartnerEventSource"),
    Operation("DeactivateEventSource"),
    Operation("DeleteEndpoint", resource="Name"),
    Operation("DeletePartnerEventSource"),
    Operation("DescribeEndpoint", resource="Name"),
    Operation("DescribeEventSource"),
    Operation("DescribePartnerEventSource"),
    Operation("ListEndpoints"),
    Operation("ListEventSources"),
    Operation("ListPartnerEventSourceAccounts"),
    Operation("ListPartnerEventSources"),
    Operation("PutPartnerEvents"),
    Operation("PutPermission", resource="EventBusName"),
    Operation("RemovePermission", resource="EventBusName"),
    Operation("UpdateEndpoint", resource="Name"),
)
