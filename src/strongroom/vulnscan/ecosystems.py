"""Each ecosystem's own rules: package-name normalisation and version ordering, through maintained libraries.

Versions are never compared as strings: PyPI through ``packaging`` (PEP 440), the others through ``univers``
(npm: node-semver via ``semantic_version``; Go: semver with ``v`` prefixes and pseudo-versions; Maven: Maven's
ComparableVersion rules; RubyGems: ``Gem::Version``; Debian: dpkg's epoch/upstream/revision ordering).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from packageurl import PackageURL
from packaging.version import InvalidVersion as PepInvalidVersion
from packaging.version import Version as PepVersion

ECOSYSTEMS = ("PyPI", "npm", "Go", "Maven", "RubyGems", "Debian")
_PEP503 = re.compile(r"[-_.]+")


class UnparsableVersion(ValueError):
    """A version string the ecosystem's rules do not accept."""


def base_ecosystem(name: str) -> str:
    """OSV names Debian releases ``Debian:12``; the ordering rules are the ecosystem's, whatever the release."""
    return name.split(":", 1)[0]


def normalize_name(ecosystem: str, name: str) -> str:
    """The name as the ecosystem compares it: PEP 503 for PyPI, lower case where the registry is case-insensitive."""
    eco = base_ecosystem(ecosystem)
    if eco == "PyPI":
        return _PEP503.sub("-", name).lower()
    if eco in ("Debian", "RubyGems"):
        # RubyGems names are case-sensitive in theory, but the registry refuses names differing only in case.
        return name.lower()
    if eco == "Go":
        return name.strip()
    return name  # npm names are lower case by rule; Maven "group:artifact" are exact


@functools.cache
def _uv() -> Any:
    """univers' version classes, imported with the first non-PyPI version parsed (~2 MB with semver, in every
    server process that loads Inspector)."""
    from univers import versions

    return versions


def _go(text: str) -> Any:
    # Go modules carry a "v" prefix ("v1.2.3", "v0.0.0-20200101000000-abcdef123456"); OSV's Go ranges omit it.
    # "+incompatible" is build metadata to semver and is dropped before comparing, as Go does.
    return _uv().GolangVersion(text.removeprefix("v").removesuffix("+incompatible"))


def _npm(text: str) -> Any:
    return _uv().SemverVersion(text.removeprefix("v").removeprefix("="))


def _univers(name: str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        return getattr(_uv(), name)(text)

    return parse


_PARSERS: dict[str, Callable[[str], Any]] = {
    "npm": _npm,
    "Go": _go,
    "Maven": _univers("MavenVersion"),
    "RubyGems": _univers("RubygemsVersion"),
    "Debian": _univers("DebianVersion"),
}


@functools.lru_cache(maxsize=65536)
def parse_version(ecosystem: str, text: str) -> Any:
    """An ordered version object for ``text`` under ``ecosystem``'s rules; raises UnparsableVersion."""
    eco = base_ecosystem(ecosystem)
    if eco == "PyPI":
        try:
            return PepVersion(text)
        except PepInvalidVersion as exc:
            raise UnparsableVersion(f"{text!r} is not a PEP 440 version") from exc
    parser = _PARSERS.get(eco)
    if parser is None:
        raise UnparsableVersion(f"no version rules for ecosystem {ecosystem!r}")
    try:
        return parser(text)
    except Exception as exc:  # univers raises ValueError, InvalidVersion and TypeError depending on the scheme
        raise UnparsableVersion(f"{text!r} is not a valid {eco} version") from exc


def supported(ecosystem: str) -> bool:
    return base_ecosystem(ecosystem) in ECOSYSTEMS


def purl_type(ecosystem: str) -> str:
    return {"PyPI": "pypi", "npm": "npm", "Go": "golang", "Maven": "maven", "RubyGems": "gem", "Debian": "deb"}[
        base_ecosystem(ecosystem)
    ]


def make_purl(ecosystem: str, name: str, version: str) -> str:
    """The package URL (purl spec) for one package; namespaces split the way each type defines them."""
    eco = base_ecosystem(ecosystem)
    namespace: str | None = None
    short = name
    if eco == "Maven" and ":" in name:
        namespace, short = name.split(":", 1)
    elif eco == "npm" and name.startswith("@") and "/" in name:
        namespace, short = name.split("/", 1)
    elif eco == "Go" and "/" in name:
        namespace, short = name.rsplit("/", 1)
    elif eco == "Debian":
        namespace = "debian"
    return str(PackageURL(type=purl_type(eco), namespace=namespace, name=short, version=version or None).to_string())
