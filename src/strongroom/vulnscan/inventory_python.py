"""Python inventories: installed distributions (``*.dist-info/METADATA``, ``*.egg-info/PKG-INFO``) and lock files
(``requirements*.txt`` pinned with ``==``, ``poetry.lock``, ``Pipfile.lock``, ``uv.lock``)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator

import orjson

from strongroom.vulnscan.ecosystems import make_purl
from strongroom.vulnscan.model import Package

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;#,\\]+)\s*(?:[;#\\].*)?$")


def _pkg(name: str, version: str, path: str, manager: str) -> Package:
    return Package(name, version, "PyPI", path, manager, make_purl("PyPI", name, version))


def is_python_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    parent = path.rsplit("/", 2)[-2] if path.count("/") else ""
    return (
        (base == "METADATA" and parent.endswith(".dist-info"))
        or (base == "PKG-INFO" and parent.endswith(".egg-info"))
        or (base.endswith(".egg-info") and "/" in path)  # old-style egg-info as a single file
        or (base.startswith("requirements") and base.endswith(".txt"))
        or base in ("poetry.lock", "Pipfile.lock", "uv.lock")
    )


def python_packages(path: str, data: bytes) -> Iterator[Package]:
    base = path.rsplit("/", 1)[-1]
    if base in ("METADATA", "PKG-INFO") or base.endswith(".egg-info"):
        found = metadata(data)
        if found:
            yield _pkg(found[0], found[1], path, "PYTHONPKG")
    elif base.startswith("requirements"):
        for name, version in requirements(data):
            yield _pkg(name, version, path, "PIP")
    elif base == "poetry.lock":
        for name, version in toml_packages(data, skip_local=False):
            yield _pkg(name, version, path, "POETRY")
    elif base == "uv.lock":
        for name, version in toml_packages(data, skip_local=True):
            yield _pkg(name, version, path, "PIP")
    elif base == "Pipfile.lock":
        for name, version in pipfile_lock(data):
            yield _pkg(name, version, path, "PIPENV")


def metadata(data: bytes) -> tuple[str, str] | None:
    """(Name, Version) from a core-metadata file's header block (RFC 822 style, headers end at the first blank)."""
    name = version = ""
    for line in data.decode("utf-8", "replace").splitlines():
        if not line.strip():
            break
        if line.startswith("Name:"):
            name = line[5:].strip()
        elif line.startswith("Version:"):
            version = line[8:].strip()
    return (name, version) if name and version else None


def requirements(data: bytes) -> Iterator[tuple[str, str]]:
    """Pinned (``==``/``===``) requirements; ranges, URLs, editables and options say nothing about what is
    installed, so they are skipped. Backslash continuations (``--hash`` lines) are joined first."""
    text = data.decode("utf-8", "replace").replace("\\\r\n", " ").replace("\\\n", " ")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", "-")):
            continue
        found = _REQ.match(stripped.split(" --hash", 1)[0])
        if found:
            yield found.group(1), found.group(2)


def toml_packages(data: bytes, *, skip_local: bool) -> Iterator[tuple[str, str]]:
    """``[[package]]`` tables of poetry.lock / uv.lock; with ``skip_local``, the project itself and path
    dependencies (uv marks them ``source = { editable | virtual | directory = … }``) are not registry packages."""
    try:
        doc = tomllib.loads(data.decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError:
        return
    for entry in doc.get("package") or ():
        if not isinstance(entry, dict) or not entry.get("name") or not entry.get("version"):
            continue
        source = entry.get("source") or {}
        if skip_local and isinstance(source, dict) and {"editable", "virtual", "directory", "path"} & set(source):
            continue
        yield str(entry["name"]), str(entry["version"])


def pipfile_lock(data: bytes) -> Iterator[tuple[str, str]]:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return
    if not isinstance(doc, dict):
        return
    for section in ("default", "develop"):
        for name, spec in (doc.get(section) or {}).items():
            version = str((spec or {}).get("version", "")) if isinstance(spec, dict) else ""
            if version.startswith("=="):
                yield name, version.lstrip("=")
