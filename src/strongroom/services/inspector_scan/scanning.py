"""ScanSbom over Inspector's advisory database (``services/inspector2/sbomscan.py``, an in-process API).

Only the CycloneDX 1.5 output (``CYCLONE_DX_1_5``, the default) is produced; ``INSPECTOR`` / ``INSPECTOR_ALT``
(AWS's proprietary report shapes) answer the same CycloneDX document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strongroom.services.base.errors import ModelErrors
from strongroom.services.base.family import ServiceBase
from strongroom.services.inspector2.sbomscan import SbomError, scan

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext

_errors = ModelErrors("inspector-scan")


class ScanOperations(ServiceBase):
    def scan_sbom(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        del ctx
        document = request["sbom"]
        if not isinstance(document, dict):
            raise _errors("ValidationException")("The SBOM must be a JSON object.", reason="CANNOT_PARSE")
        try:
            return {"sbom": scan(self.runtime.store, document)}
        except SbomError as exc:
            raise _errors("ValidationException")(str(exc), reason=exc.reason) from None
