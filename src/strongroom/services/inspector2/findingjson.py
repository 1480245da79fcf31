"""Findings for a Lambda function in AWS's format (the API's member form, timestamps as ISO 8601 text).

* PACKAGE_VULNERABILITY: titled by the vulnerability id and package (``CVE-2023-32681 - requests``), the advisory's
  details, ``packageVulnerabilityDetails`` (the vulnerable package with its file path, package manager, purl and
  fixed-in version; CVSS entries; related ids; references), ``fixAvailable``, ``inspectorScore``.
* CODE_VULNERABILITY: titled by CWE and detector (``CWE-798 - Hardcoded credentials``), ``codeVulnerabilityDetails``
  (file path with line range, detector id and name, CWEs, rule id).

``inspectorScore`` for Lambda functions: AWS documents that for Lambda findings the score is the CVSS base score
(NVD's, else the vendor's) without environmental adjustment — a function has no network reachability or instance
context to adjust for. Here: the highest-version CVSS entry the advisory gives (v3.x before v4.0, as AWS still
scores by v3), ``adjustments`` empty. EPSS appears only when the advisory data carries one
(``database_specific.epss``); the OSV data rarely does.

Reproducibility: the database version a finding was produced from is in its remediation text's source line and in
the stored row; a rescan against another version updates the finding.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from strongroom.services.inspector2.base import LAMBDA_RESOURCE, iso
from strongroom.vulnscan.contract import CodeMatch, PackageMatch


class FunctionInfo(Protocol):
    """What a finding names of a function (Lambda's ``inventory.FunctionInfo``)."""

    @property
    def arn(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def runtime(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def code_sha256(self) -> str: ...
    @property
    def last_modified(self) -> datetime: ...
    @property
    def tags(self) -> dict[str, str]: ...


_SOURCES = {"GHSA": "GITHUB", "PYSEC": "PYPA", "CVE": "NVD", "GO": "GO", "RUSTSEC": "RUSTSEC", "OSV": "OSV"}


def lambda_resource(fn: FunctionInfo, region: str) -> dict[str, Any]:
    return {
        "type": LAMBDA_RESOURCE,
        "id": fn.arn,
        "partition": "aws",
        "region": region,
        "tags": dict(fn.tags),
        "details": {
            "awsLambdaFunction": {
                "functionName": fn.name,
                "runtime": fn.runtime,
                "codeSha256": base64.b64encode(bytes.fromhex(fn.code_sha256)).decode(),
                "version": "$LATEST",
                "executionRoleArn": fn.role,
                "layers": [],
                "packageType": "Zip",
                "architectures": ["X86_64"],
                "lastModifiedAt": iso(fn.last_modified),
            }
        },
    }


def package_key(match: PackageMatch) -> str:
    return f"P|{match.vulnerability_id}|{match.package.ecosystem}|{match.package.name}|{match.package.file_path}"


def code_key(match: CodeMatch) -> str:
    return f"C|{match.rule_id}|{match.file_path}|{match.start_line}"


def _score(cvss: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The entry the Inspector score comes from: CVSS v3.x (highest minor) first, else the newest version."""
    if not cvss:
        return None
    v3 = [c for c in cvss if str(c.get("version", "")).startswith("3")]
    pool = v3 or cvss
    return max(pool, key=lambda c: (str(c.get("version", "")), float(c.get("baseScore") or 0)))


def _source(vulnerability_id: str) -> str:
    return _SOURCES.get(vulnerability_id.split("-", 1)[0], "OSV")


def package_finding(
    match: PackageMatch, fn: FunctionInfo, account_id: str, region: str, db_version: str, now: datetime
) -> dict[str, Any]:
    adv = match.advisory
    pkg = match.package
    fixed = match.fixed_in or "NotAvailable"
    cvss = [
        {
            "baseScore": float(c.get("baseScore") or 0.0),
            "scoringVector": str(c.get("scoringVector") or ""),
            "version": str(c.get("version") or ""),
            "source": str(c.get("source") or _source(adv.id)),
        }
        for c in match.cvss
        if c.get("scoringVector")
    ]
    remedy = f"Upgrade {pkg.name} to {fixed}." if fixed != "NotAvailable" else "None Provided"
    vulnerable: dict[str, Any] = {
        "name": pkg.name,
        "version": pkg.version,
        "packageManager": pkg.package_manager,
        "filePath": pkg.file_path,
        "fixedInVersion": fixed,
        "remediation": remedy,
    }
    if pkg.purl:
        vulnerable["purl"] = pkg.purl
    details: dict[str, Any] = {
        "vulnerabilityId": match.vulnerability_id,
        "vulnerablePackages": [vulnerable],
        "source": _source(match.vulnerability_id),
        "cvss": cvss,
        "relatedVulnerabilities": sorted(set(match.related) - {match.vulnerability_id}),
        "sourceUrl": _source_url(match.vulnerability_id, adv.references),
        "vendorSeverity": match.severity,
        "referenceUrls": list(adv.references)[:50],
    }
    if adv.published:
        details["vendorCreatedAt"] = adv.published
    if adv.modified:
        details["vendorUpdatedAt"] = adv.modified
    finding: dict[str, Any] = {
        "awsAccountId": account_id,
        "type": "PACKAGE_VULNERABILITY",
        "title": f"{match.vulnerability_id} - {pkg.name}",
        "description": (adv.details or adv.summary or match.vulnerability_id)[:10000],
        "remediation": {"recommendation": {"text": f"{remedy} (advisory database {db_version})"}},
        "severity": match.severity,
        "firstObservedAt": iso(now),
        "lastObservedAt": iso(now),
        "updatedAt": iso(now),
        "status": "ACTIVE",
        "resources": [lambda_resource(fn, region)],
        "packageVulnerabilityDetails": details,
        "fixAvailable": "YES" if match.fixed_in and match.fixed_in != "NotAvailable" else "NO",
        "exploitAvailable": "NO",
    }
    scored = _score(cvss)
    if scored is not None:
        finding["inspectorScore"] = scored["baseScore"]
        finding["inspectorScoreDetails"] = {
            "adjustedCvss": {
                "scoreSource": scored["source"],
                "cvssSource": scored["source"],
                "version": scored["version"],
                "score": scored["baseScore"],
                "scoringVector": scored["scoringVector"],
                "adjustments": [],
            }
        }
    epss = _epss(adv.raw)
    if epss is not None:
        finding["epss"] = {"score": epss}
    return finding


def _source_url(vulnerability_id: str, references: Any) -> str:
    if vulnerability_id.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{vulnerability_id}"
    for url in references or ():
        return str(url)
    return f"https://osv.dev/vulnerability/{vulnerability_id}"


def _epss(raw: Mapping[str, Any]) -> float | None:
    value = (raw.get("database_specific") or {}).get("epss") if isinstance(raw, Mapping) else None
    if isinstance(value, Mapping):
        value = value.get("score")
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def code_finding(match: CodeMatch, fn: FunctionInfo, account_id: str, region: str, now: datetime) -> dict[str, Any]:
    cwe = match.cwes[0] if match.cwes else "CWE"
    return {
        "awsAccountId": account_id,
        "type": "CODE_VULNERABILITY",
        "title": f"{cwe} - {match.detector_name}",
        "description": match.description[:10000] or match.detector_name,
        "remediation": {"recommendation": {"text": match.description[:1000] or match.detector_name}},
        "severity": match.severity,
        "firstObservedAt": iso(now),
        "lastObservedAt": iso(now),
        "updatedAt": iso(now),
        "status": "ACTIVE",
        "resources": [lambda_resource(fn, region)],
        "codeVulnerabilityDetails": {
            "filePath": {
                "fileName": match.file_path.rsplit("/", 1)[-1],
                "filePath": match.file_path,
                "startLine": match.start_line,
                "endLine": match.end_line,
            },
            "detectorId": match.detector_id,
            "detectorName": match.detector_name,
            "detectorTags": [],
            "cwes": list(match.cwes),
            "ruleId": match.rule_id,
            "referenceUrls": [],
        },
        "fixAvailable": "NO",
        "exploitAvailable": "NO",
    }
