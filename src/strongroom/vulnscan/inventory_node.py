"""Node inventories: ``package-lock.json`` (lockfileVersion 1–3), ``yarn.lock`` (classic v1 and Berry's YAML),
and installed ``node_modules/**/package.json``."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from strongroom.vulnscan.ecosystems import make_purl
from strongroom.vulnscan.model import Package

_YARN_V1_KEY = re.compile(r'^"?((?:@[^@/\s"]+/)?[^@\s",]+)@')
_YARN_VERSION = re.compile(r'^\s+version:?\s+"?([^"\s]+)"?\s*$')


def _pkg(name: str, version: str, path: str, manager: str) -> Package:
    return Package(name, version, "npm", path, manager, make_purl("npm", name, version))


def is_node_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    if base in ("package-lock.json", "npm-shrinkwrap.json", "yarn.lock"):
        return True
    # node_modules/<name>/package.json or node_modules/@scope/<name>/package.json (nested node_modules too)
    if base != "package.json" or "node_modules/" not in path:
        return False
    parts = path.split("/")
    return parts[-3] == "node_modules" or (len(parts) >= 4 and parts[-4] == "node_modules" and parts[-3][:1] == "@")


def node_packages(path: str, data: bytes) -> Iterator[Package]:
    base = path.rsplit("/", 1)[-1]
    if base in ("package-lock.json", "npm-shrinkwrap.json"):
        for name, version in package_lock(data):
            yield _pkg(name, version, path, "NPM")
    elif base == "yarn.lock":
        for name, version in yarn_lock(data):
            yield _pkg(name, version, path, "YARN")
    else:
        doc = orjson.loads(data)
        if isinstance(doc, dict) and isinstance(doc.get("name"), str) and isinstance(doc.get("version"), str):
            yield _pkg(doc["name"], doc["version"], path, "NODEPKG")


def package_lock(data: bytes) -> Iterator[tuple[str, str]]:
    """v2/v3 list every installed copy under ``packages`` keyed by its node_modules path; v1 nests
    ``dependencies``. Links (workspaces) and the root project are not registry packages."""
    doc = orjson.loads(data)
    if not isinstance(doc, dict):
        return
    packages = doc.get("packages")
    if isinstance(packages, dict):
        for key, entry in packages.items():
            if not key or not isinstance(entry, dict) or entry.get("link") or "node_modules/" not in key:
                continue
            version = entry.get("version")
            name = entry.get("name") or key.rsplit("node_modules/", 1)[1]
            if isinstance(version, str) and version and not version.startswith(("file:", "link:")):
                yield str(name), version
        return
    yield from _lock_v1(doc.get("dependencies") or {})


def _lock_v1(deps: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, entry in deps.items():
        if not isinstance(entry, dict):
            continue
        version = entry.get("version")
        if isinstance(version, str) and version and not version.startswith(("file:", "link:", "git")):
            # aliases ("npm:real-name@1.2.3") install the real package
            if version.startswith("npm:"):
                real, _, version = version[4:].rpartition("@")
                name = real or name
            yield name, version
        yield from _lock_v1(entry.get("dependencies") or {})


def yarn_lock(data: bytes) -> Iterator[tuple[str, str]]:
    text = data.decode("utf-8", "replace")
    if "__metadata:" in text:
        yield from _yarn_berry(text)
        return
    name = ""
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if not line.startswith(" "):
            found = _YARN_V1_KEY.match(line)
            name = found.group(1) if found else ""
            continue
        version = _YARN_VERSION.match(line)
        if name and version:
            yield name, version.group(1)
            name = ""


def _yarn_berry(text: str) -> Iterator[tuple[str, str]]:
    import yaml  # with the first Yarn lockfile: PyYAML is not in every server process

    # every scalar a string: a version "1.10" must not become the float 1.1
    doc = yaml.load(text, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
    if not isinstance(doc, dict):
        return
    for key, entry in doc.items():
        if key == "__metadata" or not isinstance(entry, dict) or "version" not in entry:
            continue
        resolution = str(entry.get("resolution") or str(key).split(",")[0].strip())
        found = _YARN_V1_KEY.match(resolution)
        if not found or "@workspace:" in resolution or "@link:" in resolution or "@portal:" in resolution:
            continue
        yield found.group(1), str(entry["version"])
