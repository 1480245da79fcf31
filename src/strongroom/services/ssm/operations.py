"""Parameter Store's operations table: per implemented operation, the request member naming the parameter(s)
(None: "*") and whether it counts toward the GetParameter* throughput quota (``SsmBase.throttle``).

Authorization reads ``access.py`` (the same members; the tagging operations name a parameter only when
``ResourceType`` is ``Parameter``); read-only and on-loop follow CloudTrail's prefix rule (no exceptions in SSM).
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    # parameters.py
    Operation("PutParameter", resource="Name"),
    Operation("GetParameter", resource="Name", throttled=True),
    Operation("GetParameters", resource="Names", throttled=True),
    Operation("DeleteParameter", resource="Name"),
    Operation("DeleteParameters", resource="Names"),
    # describe.py
    Operation("DescribeParameters"),
    Operation("GetParametersByPath", resource="Path", throttled=True),
    # history.py
    Operation("GetParameterHistory", resource="Name", throttled=True),
    Operation("LabelParameterVersion", resource="Name"),
    Operation("UnlabelParameterVersion", resource="Name"),
    # tags.py
    Operation("AddTagsToResource", resource="ResourceId"),
    Operation("RemoveTagsFromResource", resource="ResourceId"),
    Operation("ListTagsForResource", resource="ResourceId"),
    # resource_policies.py
    Operation("PutResourcePolicy", resource="ResourceArn"),
    Operation("GetResourcePolicies", resource="ResourceArn"),
    Operation("DeleteResourcePolicy", resource="ResourceArn"),
    # settings.py
    Operation("GetServiceSetting", resource="SettingId"),
    Operation("UpdateServiceSetting", resource="SettingId"),
    Operation("ResetServiceSetting", resource="SettingId"),
)
