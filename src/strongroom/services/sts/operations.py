"""STS's operations table: the four operations Strongroom serves.

AssumeRole is asked on the role (``RoleArn``, with its trust policy: ``access.py``); GetCallerIdentity and
GetSessionToken need no permission (``access.NO_PERMISSION_NEEDED``). CloudTrail records AssumeRole and
GetSessionToken as read-only, but they write a session row, so they run in worker threads, not on the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("AssumeRole", resource="RoleArn", read_only=True, on_loop=False),
    Operation("GetAccessKeyInfo"),
    Operation("GetCallerIdentity"),
    Operation("GetSessionToken", read_only=True, on_loop=False),
)
