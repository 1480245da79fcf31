"""Java inventories: Maven coordinates from ``META-INF/maven/<group>/<artifact>/pom.properties`` inside jars (and
wars/ears), including jars nested in jars (Spring Boot's ``BOOT-INF/lib``, ``WEB-INF/lib``), and loose
``pom.properties`` files in an unpacked tree. A jar without Maven metadata names no package (its manifest's
title/version are not coordinates the advisories use)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from strongroom.vulnscan.ecosystems import make_purl
from strongroom.vulnscan.model import Package

MAX_DEPTH = 3  # a jar in a jar in a jar; deeper nesting is not how any packaging tool lays them out
_ARCHIVES = (".jar", ".war", ".ear")


def is_java_file(path: str) -> bool:
    lowered = path.lower()
    return lowered.endswith(_ARCHIVES) or (lowered.endswith("/pom.properties") and "meta-inf/maven/" in lowered)


def java_packages(path: str, data: bytes) -> Iterator[Package]:
    if path.lower().endswith("pom.properties"):
        found = pom_properties(data)
        if found:
            yield _pkg(found, path)
        return
    yield from _archive(path, data, 1)


def _pkg(name_version: tuple[str, str], path: str) -> Package:
    name, version = name_version
    return Package(name, version, "Maven", path, "JAR", make_purl("Maven", name, version))


def _archive(path: str, data: bytes, depth: int) -> Iterator[Package]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return
    with archive:
        for info in archive.infolist():
            inner = info.filename
            lowered = inner.lower()
            if lowered.startswith("meta-inf/maven/") and lowered.endswith("/pom.properties"):
                found = pom_properties(archive.read(info))
                if found:
                    yield _pkg(found, path)
            elif lowered.endswith(_ARCHIVES) and depth < MAX_DEPTH:
                yield from _archive(f"{path}!/{inner}", archive.read(info), depth + 1)


def pom_properties(data: bytes) -> tuple[str, str] | None:
    """("group:artifact", version) from a pom.properties (Java properties: key=value, # comments)."""
    props: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        props[key.strip()] = value.strip()
    group, artifact, version = props.get("groupId"), props.get("artifactId"), props.get("version")
    if group and artifact and version:
        return f"{group}:{artifact}", version
    return None
