"""SBOM documents for CreateSbomExport (CycloneDX 1.4 and SPDX 2.3 JSON, AWS's ``SbomReportFormat``) and the
CycloneDX 1.5 answer of inspector-scan ScanSbom (components + ``vulnerabilities``, as AWS answers it).

Kept small and here until the engine ships shared SBOM writers (``strongroom.vulnscan``); the package URLs are the
engine's (``make_purl``), so the documents name packages exactly as the scanner matched them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from strongroom.vulnscan.contract import Package, PackageMatch
from strongroom.vulnscan.ecosystems import make_purl

TOOL = {"vendor": "Strongroom", "name": "Amazon Inspector (Strongroom)"}


def _purl(pkg: Package) -> str:
    return pkg.purl or make_purl(pkg.ecosystem, pkg.name, pkg.version)


def _unique(packages: Iterable[Package]) -> list[Package]:
    seen: dict[str, Package] = {}
    for pkg in packages:
        seen.setdefault(_purl(pkg), pkg)
    return [seen[k] for k in sorted(seen)]


def cyclonedx(name: str, arn: str, packages: Sequence[Package], now: datetime, spec: str = "1.4") -> dict[str, Any]:
    components = [
        {
            "type": "library",
            "bom-ref": _purl(p),
            "name": p.name,
            "version": p.version,
            "purl": _purl(p),
            "properties": [{"name": "amazon:inspector:sbom_collector:path", "value": p.file_path}],
        }
        for p in _unique(packages)
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "tools": [TOOL],
            "component": {"type": "application", "bom-ref": arn, "name": name},
        },
        "components": components,
    }


def spdx(name: str, arn: str, packages: Sequence[Package], now: datetime) -> dict[str, Any]:
    unique = _unique(packages)
    items = [
        {
            "SPDXID": f"SPDXRef-Package-{i}",
            "name": p.name,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": False,
            "externalRefs": [
                {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": _purl(p)}
            ],
        }
        for i, p in enumerate(unique, 1)
    ]
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://inspector2.amazonaws.com/sbom/{uuid.uuid4()}",
        "creationInfo": {"created": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "creators": [f"Tool: {TOOL['name']}"]},
        "documentDescribes": [],
        "packages": items,
        "comment": arn,
    }


def document(fmt: str, name: str, arn: str, packages: Sequence[Package], now: datetime) -> dict[str, Any]:
    return spdx(name, arn, packages, now) if fmt == "SPDX_2_3" else cyclonedx(name, arn, packages, now)


def _rating(m: PackageMatch) -> list[dict[str, Any]]:
    ratings = []
    for c in m.cvss:
        version = str(c.get("version", ""))
        method = "CVSSv4" if version.startswith("4") else "CVSSv31" if version == "3.1" else "CVSSv3"
        ratings.append(
            {
                "source": {"name": str(c.get("source") or "OSV")},
                "score": c.get("baseScore"),
                "severity": m.severity.lower(),
                "method": method,
                "vector": c.get("scoringVector"),
            }
        )
    if not ratings:
        ratings.append({"severity": m.severity.lower() if m.severity != "UNTRIAGED" else "unknown"})
    return ratings


def scan_answer(sbom: dict[str, Any], matches: Sequence[PackageMatch], now: datetime) -> dict[str, Any]:
    """ScanSbom's CycloneDX answer: the SBOM's components, and one vulnerability per (vulnerability, package)."""
    refs: dict[str, str] = {}
    components = []
    for comp in sbom.get("components") or []:
        if isinstance(comp, dict) and comp.get("purl"):
            ref = str(comp.get("bom-ref") or comp["purl"])
            refs[str(comp["purl"])] = ref
            components.append({**comp, "bom-ref": ref})
    vulnerabilities: list[dict[str, Any]] = []
    for m in matches:
        ref = refs.get(m.package.purl) or refs.get(_purl(m.package)) or _purl(m.package)
        entry: dict[str, Any] = {
            "bom-ref": f"vuln-{len(vulnerabilities) + 1}",
            "id": m.vulnerability_id,
            "source": {
                "name": m.vulnerability_id.split("-", 1)[0],
                "url": f"https://osv.dev/vulnerability/{m.advisory.id}",
            },
            "references": [{"id": other, "source": {"name": other.split("-", 1)[0]}} for other in m.related],
            "ratings": _rating(m),
            "description": m.advisory.summary or m.advisory.details[:1000],
            "advisories": [{"url": url} for url in list(m.advisory.references)[:20]],
            "affects": [{"ref": ref}],
            "properties": [
                {"name": "amazon:inspector:sbom_scanner:fixed_version", "value": m.fixed_in or "NotAvailable"},
                {"name": "amazon:inspector:sbom_scanner:installed_version", "value": m.package.version},
            ],
        }
        if m.advisory.published:
            entry["published"] = m.advisory.published
        if m.advisory.modified:
            entry["updated"] = m.advisory.modified
        vulnerabilities.append(entry)
    meta = dict(sbom.get("metadata") or {})
    meta["timestamp"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    meta["properties"] = [
        *(meta.get("properties") or []),
        {"name": "amazon:inspector:sbom_scanner:critical_vulnerabilities", "value": str(_count(matches, "CRITICAL"))},
        {"name": "amazon:inspector:sbom_scanner:high_vulnerabilities", "value": str(_count(matches, "HIGH"))},
        {"name": "amazon:inspector:sbom_scanner:medium_vulnerabilities", "value": str(_count(matches, "MEDIUM"))},
        {"name": "amazon:inspector:sbom_scanner:low_vulnerabilities", "value": str(_count(matches, "LOW"))},
    ]
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": meta,
        "components": components,
        "vulnerabilities": vulnerabilities,
    }


def _count(matches: Sequence[PackageMatch], level: str) -> int:
    return sum(1 for m in matches if m.severity == level)
