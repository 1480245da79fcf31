"""Loading OSV advisories: directories of OSV JSON/YAML, the per-ecosystem ``all.zip`` dumps OSV publishes, single
files; withdrawn advisories dropped; the database's version a hash of its content.

The PyPA advisory database (https://github.com/pypa/advisory-database) is OSV in YAML, one file per advisory;
OSV's own dumps (``<ecosystem>/all.zip``) hold one JSON file per advisory. Both load the same way.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from strongroom.vulnscan.ecosystems import base_ecosystem, normalize_name
from strongroom.vulnscan.model import Advisory

_SUFFIXES = (".json", ".yaml", ".yml")


class OsvError(ValueError):
    """A file that is not an OSV advisory (or a dump of them)."""


def parse_document(name: str, data: bytes) -> Any:
    if name.endswith(".json"):
        return orjson.loads(data)
    # The base loader keeps every scalar a string, as OSV's JSON has them: an unquoted version "1.10" must not
    # become the float 1.1 (nor a timestamp a datetime). libyaml's when it is there: the PyPA database is 2,600
    # YAML files.
    import yaml  # with the first YAML advisory: PyYAML is not in every server process

    loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
    return yaml.load(data, Loader=loader)


def parse_advisory(doc: Mapping[str, Any]) -> Advisory | None:
    """An Advisory from one OSV document; None for a withdrawn one (or one without an id)."""
    if not isinstance(doc, Mapping) or not doc.get("id") or withdrawn(doc):
        return None
    refs = [str(r["url"]) for r in doc.get("references") or () if isinstance(r, Mapping) and r.get("url")]
    return Advisory(
        id=str(doc["id"]),
        aliases=tuple(str(a) for a in doc.get("aliases") or () if a),
        summary=str(doc.get("summary") or ""),
        details=str(doc.get("details") or ""),
        published=_timestamp(doc.get("published")),
        modified=_timestamp(doc.get("modified")),
        severity=[
            {"type": str(s.get("type", "")), "score": str(s.get("score", ""))}
            for s in doc.get("severity") or ()
            if isinstance(s, Mapping)
        ],
        affected=[a for a in doc.get("affected") or () if isinstance(a, Mapping)],
        references=refs,
        raw=doc,
    )


def withdrawn(doc: Mapping[str, Any]) -> bool:
    # YAML read with the base loader leaves "null"/"~" as strings
    return str(doc.get("withdrawn") or "").strip() not in ("", "null", "Null", "NULL", "~")


def _timestamp(value: Any) -> str:
    # YAML turns unquoted timestamps into datetimes; OSV's are RFC 3339 strings.
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return str(value.isoformat()).replace("+00:00", "Z")
    return str(value)


def iter_documents(path: str | Path) -> Iterator[tuple[str, Any]]:
    """(name, parsed document) for every advisory file under ``path``: a directory (walked; zips inside it are
    read too), an OSV ``all.zip`` dump, or one JSON/YAML file. A JSON file holding a list yields each item."""
    root = Path(path)
    if root.is_dir():
        for file in sorted(root.rglob("*")):
            if file.is_file() and (file.suffix in _SUFFIXES or file.suffix == ".zip"):
                yield from iter_documents(file)
        return
    if not root.is_file():
        raise OsvError(f"{path}: no such file or directory")
    if root.suffix == ".zip" or zipfile.is_zipfile(root):
        yield from _zip_documents(root.read_bytes(), str(root))
        return
    yield from _documents(str(root), root.read_bytes())


def _zip_documents(data: bytes, label: str) -> Iterator[tuple[str, Any]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise OsvError(f"{label}: not a zip file") from exc
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            if not info.is_dir() and info.filename.endswith(_SUFFIXES):
                yield from _documents(f"{label}!{info.filename}", archive.read(info))


def _documents(name: str, data: bytes) -> Iterator[tuple[str, Any]]:
    import yaml

    try:
        doc = parse_document(name, data)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise OsvError(f"{name}: not JSON/YAML: {exc}") from exc
    if isinstance(doc, list):
        for item in doc:
            yield name, item
    elif isinstance(doc, Mapping) and "id" in doc:
        yield name, doc


def load_advisories(paths: Iterable[str | Path]) -> tuple[list[Advisory], int]:
    """Every non-withdrawn advisory under ``paths`` (a later file with the same id and a newer ``modified``
    wins), and how many withdrawn ones were dropped."""
    by_id: dict[str, Advisory] = {}
    dropped = 0
    for path in paths:
        for _name, doc in iter_documents(path):
            adv = parse_advisory(doc)
            if adv is None:
                dropped += 1 if isinstance(doc, Mapping) and withdrawn(doc) else 0
                continue
            old = by_id.get(adv.id)
            if old is None or adv.modified >= old.modified:
                by_id[adv.id] = adv
    return [by_id[k] for k in sorted(by_id)], dropped


def database_version(advisories: Iterable[Advisory]) -> str:
    """A content hash of the database: the same advisories give the same version, whatever files held them."""
    digest = hashlib.sha256()
    for adv in sorted(advisories, key=lambda a: a.id):
        digest.update(orjson.dumps(adv.raw or {"id": adv.id}, option=orjson.OPT_SORT_KEYS, default=str))
        digest.update(b"\n")
    return "osv-" + digest.hexdigest()[:24]


def affected_keys(adv: Advisory) -> set[tuple[str, str]]:
    """(ecosystem, normalised name) of each package an advisory affects."""
    keys: set[tuple[str, str]] = set()
    for aff in adv.affected:
        pkg = aff.get("package") or {}
        eco, name = str(pkg.get("ecosystem", "")), str(pkg.get("name", ""))
        if eco and name:
            keys.add((base_ecosystem(eco), normalize_name(eco, name)))
    return keys


class MemorySource:
    """An AdvisorySource held in memory: for the CLI (``--db PATH``), the tests and the benchmarks."""

    def __init__(self, advisories: Sequence[Advisory], version: str | None = None) -> None:
        self.advisories = list(advisories)
        self.version = version or database_version(self.advisories)
        self._index: dict[tuple[str, str], list[Advisory]] = {}
        for adv in self.advisories:
            for key in affected_keys(adv):
                self._index.setdefault(key, []).append(adv)

    @classmethod
    def from_paths(cls, *paths: str | Path) -> MemorySource:
        advisories, _ = load_advisories(paths)
        return cls(advisories)

    def advisories_for(self, ecosystem: str, name: str) -> Sequence[Advisory]:
        return self._index.get((base_ecosystem(ecosystem), normalize_name(ecosystem, name)), ())

    def __len__(self) -> int:
        return len(self.advisories)
