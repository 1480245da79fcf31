"""Matches as Inspector's findings: the PACKAGE_VULNERABILITY and CODE_VULNERABILITY parts of AWS's ``Finding``
shape (inspector2's model), shared by the service (which adds the ARN, account, resource, status and
timestamps) and ``strongroom inspector scan`` (which prints them as they are).

Timestamps from the advisories (``vendorCreatedAt``/``vendorUpdatedAt``) are kept as the RFC 3339 strings OSV
gives; the service turns them into its wire timestamps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from strongroom.vulnscan.ecosystems import base_ecosystem, normalize_name
from strongroom.vulnscan.matching import NOT_AVAILABLE, source_of
from strongroom.vulnscan.model import CodeMatch, PackageMatch

DETECTOR_LIBRARY = "https://docs.aws.amazon.com/codeguru/detector-library"
_UPGRADE = {
    "PyPI": "pip install --upgrade '{name}=={fixed}'",
    "npm": "npm install {name}@{fixed}",
    "Go": "go get {name}@v{fixed}",
    "Maven": "Update {name} to {fixed} in the project's build file",
    "RubyGems": "bundle update {name} (to {fixed})",
    "Debian": "apt-get install --only-upgrade {name}={fixed}",
}
SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "INFORMATIONAL": 4, "UNTRIAGED": 5}


def source_url(vulnerability_id: str) -> str:
    if vulnerability_id.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vulnerability_id}"
    if vulnerability_id.startswith("GHSA-"):
        return f"https://github.com/advisories/{vulnerability_id}"
    return f"https://osv.dev/vulnerability/{vulnerability_id}"


def package_key(m: PackageMatch) -> str:
    """A stable identity for one (vulnerability, package, file) finding across scans: the installed version is
    not part of it, so an upgrade that is still vulnerable keeps the finding and one that is fixed closes it."""
    eco = base_ecosystem(m.package.ecosystem)
    parts = (m.vulnerability_id, eco, normalize_name(eco, m.package.name), m.package.file_path)
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def code_key(c: CodeMatch) -> str:
    """A stable identity for a code finding: the detector, rule and file (line numbers move with edits above)."""
    parts = (c.detector_id, c.rule_id, c.file_path, str(c.start_line))
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def _epss(raw: Mapping[str, Any]) -> float | None:
    # OSV has no EPSS field; some databases put it under database_specific (e.g. {"epss": {"score": 0.97}}).
    specific = raw.get("database_specific") if isinstance(raw, Mapping) else None
    epss = specific.get("epss") if isinstance(specific, Mapping) else None
    score = epss.get("score") if isinstance(epss, Mapping) else epss
    try:
        return float(score) if score is not None else None
    except (TypeError, ValueError):
        return None


def package_vulnerability(m: PackageMatch) -> dict[str, Any]:
    """The PACKAGE_VULNERABILITY finding for one match (without ARN, account, resources, status, timestamps)."""
    pkg = m.package
    adv = m.advisory
    eco = base_ecosystem(pkg.ecosystem)
    vulnerable: dict[str, Any] = {
        "name": pkg.name,
        "version": pkg.version,
        "packageManager": pkg.package_manager,
        "filePath": pkg.file_path,
        "fixedInVersion": m.fixed_in or NOT_AVAILABLE,
    }
    if pkg.purl:
        vulnerable["purl"] = pkg.purl
    fixed = m.fixed_in not in (None, NOT_AVAILABLE)
    if fixed:
        vulnerable["remediation"] = _UPGRADE.get(eco, "Upgrade {name} to {fixed}").format(
            name=pkg.name, fixed=m.fixed_in
        )
    details: dict[str, Any] = {
        "vulnerabilityId": m.vulnerability_id,
        "source": source_of(m.vulnerability_id),
        "sourceUrl": source_url(m.vulnerability_id),
        "vulnerablePackages": [vulnerable],
        "cvss": [dict(c) for c in m.cvss],
        "relatedVulnerabilities": list(m.related),
        "referenceUrls": list(dict.fromkeys(adv.references))[:100],
    }
    vendor = (adv.raw.get("database_specific") or {}).get("severity") if adv.raw else None
    if vendor:
        details["vendorSeverity"] = str(vendor)
    if adv.published:
        details["vendorCreatedAt"] = adv.published
    if adv.modified:
        details["vendorUpdatedAt"] = adv.modified
    description = adv.summary or adv.details or f"{m.vulnerability_id} affects {pkg.name} {pkg.version}."
    finding: dict[str, Any] = {
        "type": "PACKAGE_VULNERABILITY",
        "title": f"{m.vulnerability_id} - {pkg.name}",
        "description": description[:1024] if adv.summary else description[:4096],
        "severity": m.severity,
        "remediation": {"recommendation": {"text": "None Provided"}},
        "packageVulnerabilityDetails": details,
        "fixAvailable": "YES" if fixed else "NO",
        # Inspector marks exploits from threat intel this database does not have: never "YES" here.
        "exploitAvailable": "NO",
    }
    if m.cvss:
        first = m.cvss[0]
        finding["inspectorScore"] = float(first["baseScore"])
        finding["inspectorScoreDetails"] = {
            "adjustedCvss": {
                "scoreSource": str(first["source"]),
                "cvssSource": str(first["source"]),
                "version": str(first["version"]),
                "score": float(first["baseScore"]),
                "scoringVector": str(first["scoringVector"]),
                # A Lambda function's environment changes no base metric (Inspector adjusts for EC2 network
                # reachability, which Lambda scans do not have).
                "adjustments": [],
            }
        }
    epss = _epss(adv.raw)
    if epss is not None:
        finding["epss"] = {"score": epss}
    return finding


def code_vulnerability(c: CodeMatch) -> dict[str, Any]:
    """The CODE_VULNERABILITY finding for one code match (without ARN, account, resources, status, timestamps)."""
    numbers = [cwe.split("-", 1)[1] for cwe in c.cwes if "-" in cwe]
    title = f"CWE-{','.join(numbers)} - {c.detector_name}" if numbers else c.detector_name
    language, _, slug = c.detector_id.partition("/")
    slug = slug.split("@", 1)[0]
    url = f"{DETECTOR_LIBRARY}/{language}/{slug}/"
    return {
        "type": "CODE_VULNERABILITY",
        "title": title,
        "description": c.description,
        "severity": c.severity,
        "remediation": {"recommendation": {"text": c.description, "Url": url}},
        "codeVulnerabilityDetails": {
            "filePath": {
                "fileName": c.file_path.rsplit("/", 1)[-1],
                "filePath": c.file_path,
                "startLine": c.start_line,
                "endLine": c.end_line,
            },
            "detectorId": c.detector_id,
            "detectorName": c.detector_name,
            "detectorTags": [language, "security"],
            "cwes": list(c.cwes),
            "ruleId": c.rule_id,
            "referenceUrls": [url],
        },
        "fixAvailable": "NO",
        "exploitAvailable": "NO",
    }


def findings(packages: Iterable[PackageMatch], code: Iterable[CodeMatch] = ()) -> list[dict[str, Any]]:
    """All findings, most severe first (then by title and place), as ``scan`` prints and the service stores."""
    out = [package_vulnerability(m) for m in packages] + [code_vulnerability(c) for c in code]
    out.sort(key=lambda f: (SEVERITY_ORDER.get(f["severity"], 9), f["title"], _where(f)))
    return out


def _where(finding: Mapping[str, Any]) -> str:
    if "packageVulnerabilityDetails" in finding:
        pkg = finding["packageVulnerabilityDetails"]["vulnerablePackages"][0]
        return f"{pkg['filePath']}:{pkg['version']}"
    path = finding["codeVulnerabilityDetails"]["filePath"]
    return f"{path['filePath']}:{path['startLine']:08d}"
