"""Packages against advisories: OSV ``ranges`` (ECOSYSTEM / SEMVER events introduced, fixed, last_affected,
limit) and ``versions`` lists under each ecosystem's own ordering; aliases merged into one finding per
(package, vulnerability); ``fixed_in`` the smallest fix above the installed version.

The range walk is OSV's own algorithm (https://ossf.github.io/osv-schema/#evaluation): events sorted by version
("0" first), ``introduced`` turns the affected state on, ``fixed`` (v >= fixed) and ``last_affected``
(v > last_affected) turn it off; with ``limit`` events, the version must also be below one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from strongroom.vulnscan.ecosystems import UnparsableVersion, base_ecosystem, normalize_name, parse_version
from strongroom.vulnscan.model import Advisory, AdvisorySource, Package, PackageMatch
from strongroom.vulnscan.scoring import cvss_entries, severity

NOT_AVAILABLE = "NotAvailable"
_CVE = re.compile(r"^CVE-\d{4}-\d+$")
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


def _key(ecosystem: str, text: str) -> Any | None:
    try:
        return parse_version(ecosystem, text)
    except UnparsableVersion:
        return None


def range_affects(ecosystem: str, version: Any, events: Sequence[Mapping[str, Any]]) -> tuple[bool, list[Any]]:
    """Whether the parsed ``version`` is inside one OSV range, and the range's parsed ``fixed`` versions.

    Events whose version does not parse under the ecosystem's rules are skipped (an OSV range is only
    meaningful with orderable versions); ``introduced: "0"`` sorts before everything."""
    ordered: list[tuple[int, Any, str]] = []  # (0 for "0" else 1, parsed, kind)
    limits: list[Any] = []
    fixes: list[Any] = []
    for event in events:
        for kind in _EVENT_KINDS:
            if kind not in event:
                continue
            raw = str(event[kind])
            if kind == "introduced" and raw == "0":
                ordered.append((0, None, kind))
                continue
            parsed = _key(ecosystem, raw)
            if parsed is None:
                continue
            if kind == "limit":
                limits.append(parsed)
                continue
            if kind == "fixed":
                fixes.append(parsed)
            ordered.append((1, parsed, kind))
    if limits and not any(version < limit for limit in limits):
        return False, fixes
    # At equal versions "fixed"/"last_affected" go before "introduced": a range listing adjacent intervals
    # ([a, X) and [X, b), in any order) affects X.
    rank = {"fixed": 0, "last_affected": 0, "introduced": 1}
    ordered.sort(key=lambda e: (1, e[1], rank[e[2]]) if e[0] else (0,))
    affected = False
    for zero, parsed, kind in ordered:
        if kind == "introduced":
            if zero == 0 or version >= parsed:
                affected = True
        elif kind == "fixed":
            if version >= parsed:
                affected = False
        elif version > parsed:  # last_affected
            affected = False
    return affected, fixes


def affected_entry_hit(ecosystem: str, version_text: str, entry: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether ``version_text`` is affected by one OSV ``affected`` entry, and the entry's fixed versions above it
    (as written in the advisory), smallest first."""
    version = _key(ecosystem, version_text)
    hit = False
    listed = entry.get("versions") or ()
    if version_text in listed:
        hit = True
    elif version is not None and listed:
        hit = any(_key(ecosystem, str(v)) == version for v in listed)
    fixed_above: list[tuple[Any, str]] = []
    for rng in entry.get("ranges") or ():
        if str(rng.get("type", "")) not in ("ECOSYSTEM", "SEMVER") or version is None:
            continue  # GIT ranges name commits: nothing an inventory of released packages can be placed in
        events = rng.get("events") or ()
        inside, _fixes = range_affects(ecosystem, version, events)
        hit = hit or inside
        for event in events:
            if "fixed" in event:
                parsed = _key(ecosystem, str(event["fixed"]))
                if parsed is not None and parsed > version:
                    fixed_above.append((parsed, str(event["fixed"])))
    fixed_above.sort(key=lambda f: f[0])
    return hit, [text for _p, text in fixed_above]


def advisory_hit(adv: Advisory, package: Package) -> tuple[bool, list[str]]:
    """Whether ``package`` is affected by ``adv`` (any of its entries for that package), and its fixes above."""
    eco = base_ecosystem(package.ecosystem)
    name = normalize_name(eco, package.name)
    hit = False
    fixes: list[str] = []
    for entry in adv.affected:
        pkg = entry.get("package") or {}
        if (
            base_ecosystem(str(pkg.get("ecosystem", ""))) != eco
            or normalize_name(eco, str(pkg.get("name", ""))) != name
        ):
            continue
        entry_hit, entry_fixes = affected_entry_hit(eco, package.version, entry)
        if entry_hit:
            hit = True
            fixes.extend(entry_fixes)
    return hit, fixes


def primary_id(ids: Iterable[str]) -> str:
    """The id Inspector titles a finding by: the CVE when there is one, else the GHSA, else the advisory's own."""
    ordered = sorted(set(ids))
    for prefix in ("CVE-", "GHSA-"):
        for i in ordered:
            if i.startswith(prefix) and (prefix != "CVE-" or _CVE.match(i)):
                return i
    return ordered[0]


def source_of(advisory_id: str) -> str:
    """Inspector's ``source`` for a vulnerability id's database."""
    prefix = advisory_id.split("-", 1)[0].upper()
    return {"CVE": "NVD", "GHSA": "GITHUB", "PYSEC": "PYPA", "GO": "GO", "OSV": "OSV"}.get(prefix, prefix or "OSV")


def _groups(hits: list[tuple[Advisory, list[str]]]) -> list[list[tuple[Advisory, list[str]]]]:
    """Advisories sharing an id or alias (transitively) describe one vulnerability: GHSA ↔ CVE ↔ PYSEC."""
    parent = list(range(len(hits)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (adv, _f) in enumerate(hits):
        for ident in (adv.id, *adv.aliases):
            if ident in owner:
                parent[find(i)] = find(owner[ident])
            else:
                owner[ident] = i
    grouped: dict[int, list[tuple[Advisory, list[str]]]] = {}
    for i, hit in enumerate(hits):
        grouped.setdefault(find(i), []).append(hit)
    return list(grouped.values())


def _merge(package: Package, group: list[tuple[Advisory, list[str]]]) -> PackageMatch:
    ids: set[str] = set()
    for adv, _f in group:
        ids.add(adv.id)
        ids.update(adv.aliases)
    vuln_id = primary_id(ids)
    # The advisory that speaks for the group: one with CVSS vectors first, then GitHub's (it has summaries).
    advisories = sorted((adv for adv, _f in group), key=lambda a: (not a.severity, not a.id.startswith("GHSA-"), a.id))
    primary = advisories[0]
    cvss: list[dict[str, Any]] = []
    seen_vectors: set[str] = set()
    for adv in advisories:
        for entry in cvss_entries(adv.severity, source_of(adv.id)):
            if entry["scoringVector"] not in seen_vectors:
                seen_vectors.add(entry["scoringVector"])
                cvss.append(entry)
    cvss.sort(key=lambda c: {"3": 0, "4": 1, "2": 2}.get(str(c["version"])[0], 3))
    fixes = [f for _a, fs in group for f in fs]
    fixed_in = NOT_AVAILABLE
    if fixes:
        eco = package.ecosystem
        fixed_in = min(fixes, key=lambda f: parse_version(eco, f))
    vendor = (primary.raw.get("database_specific") or {}).get("severity") if primary.raw else None
    return PackageMatch(
        package=package,
        vulnerability_id=vuln_id,
        related=tuple(sorted(ids - {vuln_id})),
        fixed_in=fixed_in,
        cvss=cvss,
        severity=severity(cvss, str(vendor) if vendor else None),
        advisory=primary,
    )


def match(packages: Iterable[Package], source: AdvisorySource) -> list[PackageMatch]:
    """Every (package, vulnerability) the source's advisories place the packages in: one match per pair, the
    same package found twice (say in a lock file and in site-packages) counted once, first file kept."""
    out: list[PackageMatch] = []
    seen: set[tuple[str, str, str]] = set()
    for package in packages:
        key = (base_ecosystem(package.ecosystem), normalize_name(package.ecosystem, package.name), package.version)
        if key in seen:
            continue
        seen.add(key)
        hits = [
            (adv, fixes)
            for adv in source.advisories_for(*key[:2])
            for hit, fixes in [advisory_hit(adv, package)]
            if hit
        ]
        out.extend(_merge(package, group) for group in _groups(hits))
    out.sort(key=lambda m: (m.package.ecosystem, m.package.name.lower(), m.package.version, m.vulnerability_id))
    return out
