"""inspector-scan ScanSbom's work, kept beside the advisory database it reads (``services/inspector_scan`` calls it
in-process: the database is Inspector's; listed in pyproject's import-linter exceptions).

The SBOM's components are read by their package URLs (``pkg:pypi/…``, ``pkg:npm/…``, ``pkg:golang/…``,
``pkg:maven/…``, ``pkg:gem/…``, ``pkg:deb/…``), matched against the loaded database with the engine, and answered
as CycloneDX 1.5 with ``vulnerabilities`` (``sbom.scan_answer``). Components without a purl, or of another type,
are kept in the answer and not matched, as AWS does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from packageurl import PackageURL

from strongroom.core.clock import clock
from strongroom.services.inspector2 import advisories, sbom
from strongroom.store.engine import Store
from strongroom.vulnscan.contract import Package, match

MAX_COMPONENTS = 2000  # AWS: "This format limits you to passing 2000 components"
_ECOSYSTEMS = {"pypi": "PyPI", "npm": "npm", "golang": "Go", "maven": "Maven", "gem": "RubyGems", "deb": "Debian"}
_MANAGERS = {"pypi": "PIP", "npm": "NPM", "golang": "GOMOD", "maven": "JAR", "gem": "GEMSPEC", "deb": "DPKG"}


class SbomError(ValueError):
    """The document is not a CycloneDX 1.5 JSON SBOM Inspector can read (``reason`` as ScanSbom answers it)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def packages_of(document: Mapping[str, Any]) -> list[Package]:
    if document.get("bomFormat") != "CycloneDX":
        raise SbomError("The SBOM must be a CycloneDX document.", "UNSUPPORTED_SBOM_TYPE")
    components = document.get("components") or []
    if not isinstance(components, list):
        raise SbomError("components must be a list.", "CANNOT_PARSE")
    if len(components) > MAX_COMPONENTS:
        raise SbomError(f"The SBOM has more than {MAX_COMPONENTS} components.", "FIELD_VALIDATION_FAILED")
    out = []
    for comp in components:
        if not isinstance(comp, Mapping) or not isinstance(comp.get("purl"), str):
            continue
        try:
            purl = PackageURL.from_string(comp["purl"])
        except ValueError:
            continue
        ecosystem = _ECOSYSTEMS.get(purl.type)
        if ecosystem is None or not purl.version:
            continue
        name = purl.name
        if purl.namespace:
            name = f"{purl.namespace}:{purl.name}" if purl.type == "maven" else f"{purl.namespace}/{purl.name}"
        out.append(
            Package(
                name=name,
                version=purl.version,
                ecosystem=ecosystem,  # type: ignore[arg-type]
                file_path="",
                package_manager=_MANAGERS[purl.type],
                purl=comp["purl"],
            )
        )
    return out


def scan(store: Store, document: Mapping[str, Any]) -> dict[str, Any]:
    """The CycloneDX 1.5 answer for ``document``; SbomError when it cannot be read."""
    packages = packages_of(document)
    source = advisories.source(store)
    matches = match(packages, source) if source is not None and packages else []
    return sbom.scan_answer(dict(document), matches, clock.now())
