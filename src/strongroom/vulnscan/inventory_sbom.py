"""SBOMs in: CycloneDX JSON (1.2–1.6; components and their nested components, by purl) and SPDX 2.x JSON
(packages' ``purl`` external references). Components without a purl of a supported type name nothing the
advisories can be matched against, and are skipped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from packageurl import PackageURL

from strongroom.vulnscan.model import Ecosystem, Package

_TYPES: dict[str, tuple[Ecosystem, str]] = {
    "pypi": ("PyPI", "PIP"),
    "npm": ("npm", "NPM"),
    "golang": ("Go", "GOMOD"),
    "maven": ("Maven", "POM"),
    "gem": ("RubyGems", "GEMSPEC"),
    "deb": ("Debian", "OS"),
}


def is_sbom_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1].lower()
    return base.endswith((".cdx.json", ".spdx.json", ".bom.json")) or base in ("bom.json", "sbom.json")


def is_sbom(doc: Any) -> bool:
    return isinstance(doc, Mapping) and (doc.get("bomFormat") == "CycloneDX" or "spdxVersion" in doc)


def sbom_packages(path: str, data: bytes) -> Iterator[Package]:
    doc = orjson.loads(data)
    if not is_sbom(doc):
        return
    yield from document_packages(doc, path)


def document_packages(doc: Mapping[str, Any], path: str) -> Iterator[Package]:
    if doc.get("bomFormat") == "CycloneDX":
        for component in _components(doc.get("components") or ()):
            found = from_purl(str(component.get("purl") or ""), path)
            if found:
                yield found
        return
    for package in doc.get("packages") or ():
        for ref in (package or {}).get("externalRefs") or ():
            if isinstance(ref, Mapping) and ref.get("referenceType") == "purl":
                found = from_purl(str(ref.get("referenceLocator") or ""), path)
                if found:
                    yield found


def _components(components: Any) -> Iterator[Mapping[str, Any]]:
    for component in components:
        if isinstance(component, Mapping):
            yield component
            yield from _components(component.get("components") or ())


def from_purl(purl: str, path: str) -> Package | None:
    """A Package for one purl, named the way its ecosystem's advisories name it."""
    if not purl.startswith("pkg:"):
        return None
    try:
        parsed = PackageURL.from_string(purl)
    except ValueError:
        return None
    kind = _TYPES.get(parsed.type)
    if kind is None or not parsed.version:
        return None
    ecosystem, manager = kind
    name = parsed.name
    if parsed.namespace and ecosystem == "Maven":
        name = f"{parsed.namespace}:{parsed.name}"
    elif parsed.namespace and ecosystem in ("npm", "Go"):
        name = f"{parsed.namespace}/{parsed.name}"
    return Package(name, parsed.version, ecosystem, path, manager, purl)
