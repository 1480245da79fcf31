"""What a Lambda zip, a directory, a virtualenv, a lock file or an SBOM really contains: one Package per
installed or locked package, each with the path it was found at.

``inventory`` takes either a zip's members (name → bytes, as Lambda stores them) or a filesystem path. A path is
walked reading only the files that can name packages (plus executables, sniffed for Go build info), so a large
virtualenv is not read whole.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import orjson

from strongroom.vulnscan.inventory_go import go_packages, is_go_file, looks_executable
from strongroom.vulnscan.inventory_java import is_java_file, java_packages
from strongroom.vulnscan.inventory_node import is_node_file, node_packages
from strongroom.vulnscan.inventory_python import is_python_file, python_packages
from strongroom.vulnscan.inventory_ruby import is_ruby_file, ruby_packages
from strongroom.vulnscan.inventory_sbom import document_packages, is_sbom, is_sbom_file, sbom_packages
from strongroom.vulnscan.model import Package

MAX_FILE = 256 * 1024 * 1024  # a member larger than this is not read (Lambda's unzipped limit is 250 MB)

Handler = Callable[[str, bytes], Iterator[Package]]
# (is this file one the handler reads?, the handler); first claim wins.
_HANDLERS: list[tuple[Callable[[str], bool], Handler]] = [
    (is_python_file, python_packages),
    (is_node_file, node_packages),
    (is_java_file, java_packages),
    (is_ruby_file, ruby_packages),
    (is_sbom_file, sbom_packages),
    (is_go_file, go_packages),  # last: it claims every file without a suffix, to sniff for Go build info
]


def wanted(path: str) -> bool:
    return any(claims(path) for claims, _h in _HANDLERS)


def _claimed_by_go_only(path: str) -> bool:
    """The file is one only the Go handler claims (a suffix-less name that may be a binary)."""
    return is_go_file(path) and not any(claims(path) for claims, _h in _HANDLERS[:-1])


def inventory_files(files: Mapping[str, bytes]) -> list[Package]:
    """Packages named by a set of files (a zip's members: path → bytes), in path order, duplicates kept (the
    matcher counts a package once)."""
    out: list[Package] = []
    for path in sorted(files):
        data = files[path]
        for claims, handler in _HANDLERS:
            if claims(path):
                try:
                    out.extend(handler(path, data))
                except (ValueError, KeyError, TypeError, UnicodeError):
                    # a malformed file is skipped, not fatal: the rest of the zip still counts
                    pass
                break
    return out


def read_path(path: str | Path, also: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """The files under ``path`` that can name packages (and those ``also`` wants, e.g. source files for the code
    scan): a directory walked; a zip's members; a single file as itself (named by its base name, so
    ``requirements.txt`` or ``bom.json`` is recognised)."""
    root = Path(path)
    if root.is_dir():
        files: dict[str, bytes] = {}
        for dirpath, _dirs, names in os.walk(root):
            for name in names:
                full = Path(dirpath, name)
                rel = full.relative_to(root).as_posix()
                extra = also is not None and also(rel)
                if not (extra or wanted(rel)) or not full.is_file() or full.stat().st_size > MAX_FILE:
                    continue
                if not extra and _claimed_by_go_only(rel) and not _sniff(full):
                    continue
                files[rel] = full.read_bytes()
        return files
    data = root.read_bytes()
    if root.suffix.lower() in (".zip",) and zipfile.is_zipfile(io.BytesIO(data)):
        return zip_members(data, also)
    return {root.name: data}


def _sniff(path: Path) -> bool:
    """Suffix-less files are read only when they are executables (Go binaries) or a Go module file."""
    if path.name in ("go.mod", "go.sum"):
        return True
    with path.open("rb") as handle:
        return looks_executable(handle.read(4))


def zip_members(data: bytes, also: Callable[[str], bool] | None = None) -> dict[str, bytes]:
    """A zip's members that can name packages or ``also`` wants (directories and oversized members skipped)."""
    out: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size > MAX_FILE:
                continue
            if not wanted(info.filename) and not (also is not None and also(info.filename)):
                continue
            out[info.filename] = archive.read(info)
    return out


def load(path: str | Path, also: Callable[[str], bool] | None = None) -> tuple[list[Package], dict[str, bytes]]:
    """The inventory of a path and the files read for it (with those ``also`` wants)."""
    single = Path(path)
    if single.is_file() and single.suffix.lower() == ".json" and not wanted(single.name):
        # an SBOM under any name ("my-app.json"): recognised by its content
        data = single.read_bytes()
        doc = orjson.loads(data)
        if is_sbom(doc):
            return list(document_packages(doc, single.name)), {single.name: data}
    files = read_path(path, also)
    return inventory_files(files), files


def inventory(files: Mapping[str, bytes] | str) -> list[Package]:
    """A zip's members, or a path (directory, virtualenv, zip, lock file, SBOM)."""
    if isinstance(files, str):
        return load(files)[0]
    return inventory_files(files)
