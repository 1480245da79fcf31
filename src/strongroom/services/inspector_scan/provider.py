"""Amazon Inspector Scan (inspector-scan): the index of every operation Strongroom serves (all of them)."""

from __future__ import annotations

from strongroom.services.inspector_scan.scanning import ScanOperations


class Provider(ScanOperations):
    """ScanSbom: CycloneDX SBOMs matched against Inspector's advisory database."""

    # scanning.py
    scan_sbom = ScanOperations.scan_sbom
