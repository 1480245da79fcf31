"""inspector-scan's operations table: ScanSbom (read-only: it stores nothing; on a thread, not the event loop, as
a large SBOM's matching is CPU work worth keeping off the loop)."""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.core.operations import Operation
from strongroom.services.base.operations import operations

OPERATIONS: Mapping[str, Operation] = operations(Operation("ScanSbom", read_only=True, on_loop=False))
