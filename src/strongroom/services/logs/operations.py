"""CloudWatch Logs' operations table: the request member naming the log group (authorization: access.py).

PutLogEvents, GetLogEvents and FilterLogEvents are data-plane calls, which CloudTrail keeps out of event history
(``data_event``); Strongroom's data-event selectors choose S3 object events only so far (audit/data_events.py), so
no trail records them yet. Their messages could never reach a record anyway: audit/records.py leaves ``logEvents``
out of ``requestParameters``, and read-only calls have no ``responseElements``.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

GROUP = "logGroupName"

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssociateKmsKey", resource=GROUP),
    Operation("CreateLogGroup", resource=GROUP),
    Operation("CreateLogStream", resource=GROUP),
    Operation("DeleteLogGroup", resource=GROUP),
    Operation("DeleteLogStream", resource=GROUP),
    Operation("DeleteRetentionPolicy", resource=GROUP),
    Operation("DescribeLogGroups"),
    Operation("DescribeLogStreams", resource=GROUP),
    Operation("DisassociateKmsKey", resource=GROUP),
    # reads that decrypt through KMS (an in-process call that writes its own audit record): in the threads
    Operation("FilterLogEvents", resource=GROUP, read_only=True, on_loop=False, data_event=True),
    Operation("GetLogEvents", resource=GROUP, on_loop=False, data_event=True),
    Operation("ListTagsForResource", resource="resourceArn"),
    Operation("ListTagsLogGroup", resource=GROUP),
    Operation("PutLogEvents", resource=GROUP, data_event=True),
    Operation("PutRetentionPolicy", resource=GROUP),
    Operation("TagLogGroup", resource=GROUP),
    Operation("TagResource", resource="resourceArn"),
    Operation("UntagLogGroup", resource=GROUP),
    Operation("UntagResource", resource="resourceArn"),
)
