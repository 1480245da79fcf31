"""inspector-scan's operations table: ScanSbom (not read-only in CloudTrail's classification; on a thread, as
a large SBOM's matching is CPU work worth keeping off the loop)."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(Operation("ScanSbom", on_loop=False))
