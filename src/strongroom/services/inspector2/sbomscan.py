"""inspector-scan ScanSbom's work, kept beside the advisory database it reads (``services/inspector_scan`` calls it
in-process: the database is Inspector's; listed in pyproject's import-linter exceptions).

The document is checked as AWS checks it (a CycloneDX JSON SBOM of at most 2,000 components), then the engine
matches its components' package URLs against the loaded database and answers CycloneDX 1.5 with
``vulnerabilities`` (``strongroom.vulnscan.sbom.scan_sbom``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom.core.clock import clock
from strongroom.services.inspector2 import advisories
from strongroom.store.engine import Store
from strongroom.vulnscan.sbom import scan_sbom

MAX_COMPONENTS = 2000  # AWS: "This format limits you to passing 2000 components"


class SbomError(ValueError):
    """The document is not a CycloneDX JSON SBOM Inspector can read (``reason`` as ScanSbom answers it)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class _Empty:
    version = "none"

    def advisories_for(self, ecosystem: str, name: str) -> list[Any]:
        del ecosystem, name
        return []


def check(document: Mapping[str, Any]) -> None:
    if document.get("bomFormat") != "CycloneDX":
        raise SbomError("The SBOM must be a CycloneDX document.", "UNSUPPORTED_SBOM_TYPE")
    components = document.get("components") or []
    if not isinstance(components, list):
        raise SbomError("components must be a list.", "CANNOT_PARSE")
    if len(components) > MAX_COMPONENTS:
        raise SbomError(f"The SBOM has more than {MAX_COMPONENTS} components.", "FIELD_VALIDATION_FAILED")


def scan(store: Store, document: Mapping[str, Any]) -> dict[str, Any]:
    """The CycloneDX 1.5 answer for ``document``; SbomError when it cannot be read."""
    check(document)
    source: Any = advisories.source(store) or _Empty()
    return scan_sbom(document, source, timestamp=clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"))
