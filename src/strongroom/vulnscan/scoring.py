"""CVSS vectors to base scores and Inspector's severity, through the maintained ``cvss`` library (RedHat's).

OSV advisories carry vectors, not scores (``severity: [{type: CVSS_V3, score: "CVSS:3.1/AV:N/…"}]``); Inspector
answers both (``cvss: [{baseScore, scoringVector, version, source}]``). An unparsable vector is dropped rather than
guessed at.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED")
# GitHub's advisory database names its own ratings in database_specific.severity.
_VENDOR = {"CRITICAL": "CRITICAL", "HIGH": "HIGH", "MODERATE": "MEDIUM", "MEDIUM": "MEDIUM", "LOW": "LOW"}


@functools.lru_cache(maxsize=16384)
def base_score(vector: str) -> tuple[str, float] | None:
    """(CVSS version, base score) for a vector string, or None when it does not parse."""
    try:
        if vector.startswith("CVSS:4"):
            v4 = CVSS4(vector)
            return "4.0", float(v4.base_score)
        if vector.startswith("CVSS:3"):
            v3 = CVSS3(vector)
            return vector.split("/", 1)[0].split(":", 1)[1], float(v3.scores()[0])
        v2 = CVSS2(vector)
        return "2.0", float(v2.scores()[0])
    except Exception:  # the library raises its own CVSS*MalformedError family, and ValueError/KeyError on junk
        return None


def cvss_entries(severity: Sequence[Mapping[str, str]], source: str) -> list[dict[str, Any]]:
    """Inspector's ``cvss`` list for an advisory's OSV ``severity`` entries (v3 first, then v4, then v2)."""
    out: list[dict[str, Any]] = []
    for entry in severity:
        kind = str(entry.get("type", ""))
        vector = str(entry.get("score", ""))
        if kind not in ("CVSS_V2", "CVSS_V3", "CVSS_V4") or not vector:
            continue
        scored = base_score(vector)
        if scored is None:
            continue
        version, score = scored
        out.append({"baseScore": score, "scoringVector": vector, "version": version, "source": source})
    order = {"3": 0, "4": 1, "2": 2}
    out.sort(key=lambda c: order.get(str(c["version"])[0], 3))
    return out


def severity_of(score: float) -> str:
    """CVSS's qualitative rating, as Inspector names it."""
    if score >= 9.0:
        return "CRITICAL"
    if score >= 7.0:
        return "HIGH"
    if score >= 4.0:
        return "MEDIUM"
    if score > 0.0:
        return "LOW"
    return "UNTRIAGED"


def severity(cvss: Sequence[Mapping[str, Any]], vendor: str | None = None) -> str:
    """The finding's severity: from the first CVSS score (v3 preferred, as Inspector uses NVD's v3), else the
    vendor's own rating, else UNTRIAGED."""
    if cvss:
        return severity_of(float(cvss[0]["baseScore"]))
    if vendor:
        return _VENDOR.get(vendor.upper(), "UNTRIAGED")
    return "UNTRIAGED"
