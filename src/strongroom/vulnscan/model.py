"""The engine's data types (the contract's, kept here so the engine's modules can import them without a cycle).

From the contract between Inspector's scanning engine and what feeds it.

``strongroom.vulnscan`` is a pure layer (imports only ``strongroom.core``): it reads a package inventory from what
a Lambda zip, a directory, a virtualenv, a lock file or an SBOM really contains, matches it against OSV advisories
with each ecosystem's own version rules, and scans Python/JavaScript code. Two callers share it:

* ``services/inspector2`` scans Lambda functions (on create / code or layer change / database change), stores the
  advisories (loaded by ``strongroom inspector update-db``) in its tables and gives them to the engine through an
  ``AdvisorySource``; also ``inspector-scan`` ScanSbom and SBOM export;
* ``strongroom inspector scan PATH`` with an ``AdvisorySource`` over the loaded database (or ``--db PATH`` of OSV
  files read into memory) and prints the same findings.

The engine never reads a clock, the network or the main database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Ecosystem = Literal["PyPI", "npm", "Go", "Maven", "RubyGems", "Debian"]


@dataclass(frozen=True, slots=True)
class Package:
    """One installed/locked package as Inspector's ``vulnerablePackages`` names it."""

    name: str
    version: str
    ecosystem: Ecosystem
    file_path: str  # where in the zip/dir it was found (AWS's ``filePath``)
    package_manager: (
        str  # AWS's PackageManager: PIP / POETRY / PIPENV / NPM / YARN / GOBINARY / GOMOD / JAR / GEMSPEC ...
    )
    purl: str = ""


@dataclass(frozen=True, slots=True)
class Advisory:
    """One OSV advisory (withdrawn ones never reach the engine)."""

    id: str  # "GHSA-…", "PYSEC-…"
    aliases: tuple[str, ...]  # CVE-…, GHSA-…, PYSEC-… (merged: one finding per (package, vulnerability))
    summary: str
    details: str
    published: str
    modified: str
    severity: Sequence[Mapping[str, str]]  # OSV ``severity`` entries: {"type": "CVSS_V3", "score": "CVSS:3.1/…"}
    affected: Sequence[Mapping[str, Any]]  # OSV ``affected`` entries (package, ranges, versions)
    references: Sequence[str]
    raw: Mapping[str, Any] = field(default_factory=dict)


class AdvisorySource(Protocol):
    """The loaded database: advisories for one (ecosystem, name); ``version`` names the database build."""

    version: str

    def advisories_for(self, ecosystem: str, name: str) -> Sequence[Advisory]: ...


@dataclass(slots=True)
class PackageMatch:
    """A package in an advisory's affected set: becomes a PACKAGE_VULNERABILITY finding."""

    package: Package
    vulnerability_id: str  # the CVE when the advisory has one (AWS titles findings by CVE), else its id
    related: tuple[str, ...]  # the other ids
    fixed_in: str | None  # the smallest fixed version above the installed one ("NotAvailable" when none)
    cvss: list[dict[str, Any]]  # [{"version": "3.1", "baseScore": 9.8, "scoringVector": "CVSS:3.1/…", "source": …}]
    severity: str  # CRITICAL / HIGH / MEDIUM / LOW / UNTRIAGED
    advisory: Advisory


@dataclass(slots=True)
class CodeMatch:
    """A code-scanning result: becomes a CODE_VULNERABILITY finding."""

    file_path: str
    start_line: int
    end_line: int
    cwes: tuple[str, ...]  # "CWE-798"
    detector_id: str
    detector_name: str
    rule_id: str
    severity: str
    description: str
