"""The contract between Inspector's scanning engine and what feeds it.

``strongroom.vulnscan`` is a pure layer (imports only ``strongroom.core``): it reads a package inventory from what
a Lambda zip, a directory, a virtualenv, a lock file or an SBOM really contains, matches it against OSV advisories
with each ecosystem's own version rules, and scans Python/JavaScript code. Two callers share it:

* ``services/inspector2`` scans Lambda functions (on create / code or layer change / database change), stores the
  advisories (loaded by ``strongroom inspector update-db``) in its tables and gives them to the engine through an
  ``AdvisorySource``; also ``inspector-scan`` ScanSbom and SBOM export;
* ``strongroom inspector scan PATH`` with an ``AdvisorySource`` over the loaded database (or ``--db PATH`` of OSV
  files read into memory) and prints the same findings.

The engine never reads a clock, the network or the main database.

The types live in ``model.py`` (so that the engine's own modules can import them without a cycle through this
file); this module is the one callers import: the types, the three entry points, and helpers the service and the
CLI share — the OSV loader (``load_advisories``/``iter_documents``/``parse_advisory``, ``database_version``,
``MemorySource``, ``affected_keys`` — the (ecosystem, normalised name) keys an AdvisorySource indexes an
advisory under), AWS's finding shapes (``package_vulnerability``, ``code_vulnerability``, ``findings``;
``package_key`` / ``code_key``: a finding's identity across scans, so a rescan updates it and a fix closes it)
and SBOMs (``cyclonedx``, ``spdx``, ``scan_sbom`` as inspector-scan ScanSbom answers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from strongroom.vulnscan import codescan, matching
from strongroom.vulnscan import inventory as _inventory
from strongroom.vulnscan.findings import code_key, code_vulnerability, findings, package_key, package_vulnerability
from strongroom.vulnscan.model import (
    Advisory,
    AdvisorySource,
    CodeMatch,
    Ecosystem,
    Package,
    PackageMatch,
)
from strongroom.vulnscan.osv import (
    MemorySource,
    affected_keys,
    database_version,
    iter_documents,
    load_advisories,
    parse_advisory,
)
from strongroom.vulnscan.sbom import cyclonedx, scan_sbom, spdx

__all__ = [
    "Advisory",
    "AdvisorySource",
    "CodeMatch",
    "Ecosystem",
    "MemorySource",
    "Package",
    "PackageMatch",
    "affected_keys",
    "code_key",
    "code_vulnerability",
    "cyclonedx",
    "database_version",
    "findings",
    "inventory",
    "iter_documents",
    "load_advisories",
    "match",
    "package_key",
    "package_vulnerability",
    "parse_advisory",
    "scan_code",
    "scan_sbom",
    "spdx",
]


def inventory(files: Mapping[str, bytes] | str) -> list[Package]:  # a zip's members, or a path
    return _inventory.inventory(files)


def match(packages: Iterable[Package], source: AdvisorySource) -> list[PackageMatch]:
    return matching.match(packages, source)


def scan_code(files: Mapping[str, bytes]) -> list[CodeMatch]:
    return codescan.scan_code(files)
