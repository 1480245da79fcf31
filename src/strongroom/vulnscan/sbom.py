"""SBOMs out: CycloneDX 1.5 JSON (with a ``vulnerabilities`` section the way ``inspector-scan ScanSbom`` answers,
``amazon:inspector:sbom_scanner:*`` properties included) and SPDX 2.3 JSON, for ScanSbom, CreateSbomExport and
``strongroom inspector scan --format cyclonedx``.

The engine reads no clock and draws no random numbers: the caller passes the timestamp, and serial numbers and
document namespaces are derived from the content (uuid5), so the same inventory gives the same document.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from strongroom.vulnscan.ecosystems import make_purl
from strongroom.vulnscan.findings import source_url
from strongroom.vulnscan.inventory_sbom import from_purl
from strongroom.vulnscan.matching import NOT_AVAILABLE, match, source_of
from strongroom.vulnscan.model import AdvisorySource, Package, PackageMatch

NS = "amazon:inspector:sbom_scanner"
TOOL = {"type": "application", "name": "Strongroom Inspector", "version": "1"}
_METHOD = {"2.0": "CVSSv2", "3.0": "CVSSv3", "3.1": "CVSSv31", "4.0": "CVSSv4"}
_LEVELS = ("critical", "high", "medium", "low")


def _serial(seed: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'strongroom:sbom:' + seed)}"


def _purl(pkg: Package) -> str:
    return pkg.purl or make_purl(pkg.ecosystem, pkg.name, pkg.version)


def _component(pkg: Package, ref: str) -> dict[str, Any]:
    name, group = pkg.name, None
    if pkg.ecosystem == "Maven" and ":" in pkg.name:
        group, name = pkg.name.split(":", 1)
    component: dict[str, Any] = {"bom-ref": ref, "type": "library", "name": name, "version": pkg.version}
    if group:
        component["group"] = group
    component["purl"] = _purl(pkg)
    component["properties"] = [{"name": f"{NS}:path", "value": pkg.file_path}]
    return component


def _ratings(m: PackageMatch) -> list[dict[str, Any]]:
    ratings = []
    for c in m.cvss:
        vector = str(c["scoringVector"])
        ratings.append(
            {
                "source": {"name": str(c["source"]), "url": source_url(m.vulnerability_id)},
                "score": float(c["baseScore"]),
                "severity": m.severity.lower() if m.severity != "UNTRIAGED" else "unknown",
                "method": _METHOD.get(str(c["version"]), "other"),
                # CycloneDX wants the vector without the "CVSS:3.1/" prefix
                "vector": vector.split("/", 1)[1] if vector.startswith("CVSS:") else vector,
            }
        )
    if not ratings:
        ratings.append({"severity": m.severity.lower() if m.severity != "UNTRIAGED" else "unknown"})
    return ratings


def vulnerabilities(matches: Sequence[PackageMatch], refs: Mapping[int, str]) -> list[dict[str, Any]]:
    """CycloneDX ``vulnerabilities`` for matches; ``refs`` maps id(match.package) to its component's bom-ref.
    One entry per vulnerability, affecting every component it matched."""
    by_vuln: dict[str, list[PackageMatch]] = {}
    for m in matches:
        by_vuln.setdefault(m.vulnerability_id, []).append(m)
    out: list[dict[str, Any]] = []
    for n, (vuln_id, group) in enumerate(sorted(by_vuln.items()), start=1):
        first = group[0]
        adv = first.advisory
        entry: dict[str, Any] = {
            "bom-ref": f"vuln-{n}",
            "id": vuln_id,
            "source": {"name": source_of(vuln_id), "url": source_url(vuln_id)},
            "references": [
                {"id": other, "source": {"name": source_of(other), "url": source_url(other)}} for other in first.related
            ],
            "ratings": _ratings(first),
            "description": adv.summary or adv.details,
            "advisories": [{"url": url} for url in dict.fromkeys(adv.references)],
            "affects": [{"ref": refs[id(m.package)]} for m in group],
            "properties": [
                {"name": f"{NS}:fixed_version:{refs[id(m.package)]}", "value": m.fixed_in or NOT_AVAILABLE}
                for m in group
            ]
            + [{"name": f"{NS}:exploit_available", "value": "false"}],
        }
        if adv.details and adv.summary:
            entry["detail"] = adv.details
        if adv.published:
            entry["published"] = adv.published
            entry["created"] = adv.published
        if adv.modified:
            entry["updated"] = adv.modified
        out.append(entry)
    return out


def _counts(matches: Sequence[PackageMatch]) -> list[dict[str, str]]:
    seen: dict[str, str] = {}
    for m in matches:
        seen[m.vulnerability_id] = m.severity.lower()
    return [
        {"name": f"{NS}:{level}_vulnerabilities", "value": str(sum(1 for s in seen.values() if s == level))}
        for level in _LEVELS
    ]


def cyclonedx(
    packages: Sequence[Package],
    matches: Sequence[PackageMatch] = (),
    *,
    timestamp: str,
    name: str = "",
    with_vulnerabilities: bool = True,
) -> dict[str, Any]:
    """A CycloneDX 1.5 document for an inventory (and its matches' vulnerabilities)."""
    refs: dict[int, str] = {}
    components: list[dict[str, Any]] = []
    index: dict[tuple[str, str, str, str], str] = {}
    for pkg in packages:
        key = (pkg.ecosystem, pkg.name, pkg.version, pkg.file_path)
        if key not in index:
            index[key] = f"comp-{len(index) + 1}"
            components.append(_component(pkg, index[key]))
        refs[id(pkg)] = index[key]
    for m in matches:  # a match may carry an equal-but-distinct Package object
        pkg = m.package
        refs.setdefault(id(pkg), index.get((pkg.ecosystem, pkg.name, pkg.version, pkg.file_path), "comp-0"))
    seed = "\n".join(c["purl"] + "|" + c["properties"][0]["value"] for c in components)
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": _serial(seed),
        "version": 1,
        "metadata": {"timestamp": timestamp, "tools": {"components": [TOOL]}},
        "components": components,
    }
    if name:
        doc["metadata"]["component"] = {"type": "application", "name": name, "bom-ref": "root"}
    if with_vulnerabilities:
        doc["metadata"]["properties"] = _counts(matches)
        doc["vulnerabilities"] = vulnerabilities(matches, refs)
    return doc


def scan_sbom(sbom: Mapping[str, Any], source: AdvisorySource, *, timestamp: str) -> dict[str, Any]:
    """ScanSbom: the CycloneDX document given, its components keeping their bom-refs (``comp-N`` given to those
    without), with Inspector's vulnerabilities and severity counts added."""
    doc = copy.deepcopy(dict(sbom))
    packages: list[Package] = []
    refs: dict[int, str] = {}
    counter = 0

    def walk(components: Iterable[Any]) -> None:
        nonlocal counter
        for component in components:
            if not isinstance(component, dict):
                continue
            counter += 1
            ref = component.setdefault("bom-ref", f"comp-{counter}")
            pkg = from_purl(str(component.get("purl") or ""), "")
            if pkg is not None:
                packages.append(pkg)
                refs[id(pkg)] = str(ref)
            walk(component.get("components") or ())

    walk(doc.get("components") or ())
    matches = match(packages, source)
    for m in matches:
        refs.setdefault(id(m.package), "")
    metadata = doc.setdefault("metadata", {})
    metadata["timestamp"] = timestamp
    props = [p for p in metadata.get("properties") or () if not str(p.get("name", "")).startswith(NS)]
    metadata["properties"] = props + _counts(matches)
    doc["vulnerabilities"] = vulnerabilities(matches, refs)
    doc.setdefault("specVersion", "1.5")
    return doc


def spdx(packages: Sequence[Package], *, timestamp: str, name: str = "strongroom-inventory") -> dict[str, Any]:
    """An SPDX 2.3 JSON document: one package per inventory entry, each with its purl as an external ref."""
    spdx_packages: list[dict[str, Any]] = []
    relationships: list[dict[str, str]] = []
    seen: set[tuple[str, str, str]] = set()
    for pkg in packages:
        key = (pkg.ecosystem, pkg.name, pkg.version)
        if key in seen:
            continue
        seen.add(key)
        spdx_id = f"SPDXRef-Package-{len(spdx_packages) + 1}"
        spdx_packages.append(
            {
                "SPDXID": spdx_id,
                "name": pkg.name,
                "versionInfo": pkg.version,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": False,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": "NOASSERTION",
                "copyrightText": "NOASSERTION",
                "sourceInfo": f"found in {pkg.file_path}",
                "externalRefs": [
                    {"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": _purl(pkg)}
                ],
            }
        )
        relationships.append(
            {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": spdx_id}
        )
    seed = "\n".join(p["externalRefs"][0]["referenceLocator"] for p in spdx_packages)
    return {
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": f"https://strongroom.invalid/spdx/{name}-{uuid.uuid5(uuid.NAMESPACE_URL, seed)}",
        "creationInfo": {"created": timestamp, "creators": [f"Tool: {TOOL['name']}-{TOOL['version']}"]},
        "packages": spdx_packages,
        "relationships": relationships,
    }
