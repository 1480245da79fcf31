"""S3 Control's operations table. AWS's actions for the account's Block Public Access are
``s3:PutAccountPublicAccessBlock`` and ``s3:GetAccountPublicAccessBlock`` (DeletePublicAccessBlock needs the Put
action), on ``*``."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(
    Operation("PutPublicAccessBlock", actions=("s3:PutAccountPublicAccessBlock",), on_loop=False),
    Operation("GetPublicAccessBlock", actions=("s3:GetAccountPublicAccessBlock",), on_loop=False),
    Operation("DeletePublicAccessBlock", actions=("s3:PutAccountPublicAccessBlock",), on_loop=False),
)
