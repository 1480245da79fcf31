"""Go inventories: a binary's embedded build info (the ``\\xff Go buildinf:`` blob the linker writes: the Go
version, the main module and every dependency module with its version, replacements applied), and ``go.mod`` /
``go.sum``.

Build info layout (Go's ``debug/buildinfo``): a 32-byte header aligned to 16 — the 14-byte magic, pointer size,
flags — then, when flag 2 is set (Go ≥ 1.18), two varint-length-prefixed strings inline: the runtime version and
the module info, the latter wrapped in 16-byte sentinels. Older binaries keep pointers to those strings instead;
for them the module info is found by its sentinels (the Go version is then not read, so ``stdlib`` is not listed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from strongroom.vulnscan.ecosystems import UnparsableVersion, make_purl, parse_version
from strongroom.vulnscan.model import Package

MAGIC = b"\xff Go buildinf:"
_INFO_START = bytes.fromhex("3077af0c9274080241e1c107e6d618e6")
_INFO_END = bytes.fromhex("f932433186182072008242104116d8f2")
_EXECUTABLE_MAGICS = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
)
_GO_VERSION = re.compile(r"^go(\d+(?:\.\d+){0,2})")
_REQUIRE = re.compile(r"^(?:require\s+)?([^\s()]+)\s+(v\S+)$")


def _pkg(name: str, version: str, path: str, manager: str) -> Package:
    return Package(name, version, "Go", path, manager, make_purl("Go", name, version))


def is_go_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    # Binaries have no fixed name (a Lambda custom runtime's is "bootstrap"): files without a suffix, and .exe,
    # are read and sniffed for the magic.
    return base in ("go.mod", "go.sum") or "." not in base or base.endswith(".exe")


def looks_executable(head: bytes) -> bool:
    return head.startswith(_EXECUTABLE_MAGICS)


def go_packages(path: str, data: bytes) -> Iterator[Package]:
    base = path.rsplit("/", 1)[-1]
    if base == "go.mod":
        for name, version in go_mod(data):
            yield _pkg(name, version, path, "GOMOD")
    elif base == "go.sum":
        for name, version in go_sum(data):
            yield _pkg(name, version, path, "GOMOD")
    elif looks_executable(data[:4]):
        for name, version in build_info(data):
            yield _pkg(name, version, path, "GOBINARY")


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
        if shift > 63:
            break
    raise ValueError("bad varint in Go build info")


def _inline_strings(data: bytes) -> tuple[str, str] | None:
    at = data.find(MAGIC)
    while at != -1 and at % 16:
        at = data.find(MAGIC, at + 1)
    if at == -1 or at + 32 > len(data) or not data[at + 15] & 0x2:
        return None
    pos = at + 32
    length, pos = _uvarint(data, pos)
    version = data[pos : pos + length].decode("utf-8", "replace")
    pos += length
    length, pos = _uvarint(data, pos)
    modinfo = data[pos : pos + length]
    if len(modinfo) >= 33 and modinfo[-17:-16] == b"\n":
        modinfo = modinfo[16:-16]
    return version, modinfo.decode("utf-8", "replace")


def build_info(data: bytes) -> Iterator[tuple[str, str]]:
    """(module, version) for the binary's main module (when it has a real version), its dependencies (after
    ``=>`` replacements) and ``stdlib`` at the Go version it was built with."""
    if MAGIC not in data:
        return
    inline = _inline_strings(data)
    if inline is not None:
        go_version, modinfo = inline
    else:
        start = data.find(_INFO_START)
        end = data.find(_INFO_END, start + 16) if start != -1 else -1
        if end == -1:
            return
        go_version, modinfo = "", data[start + 16 : end].decode("utf-8", "replace")
    found = _GO_VERSION.match(go_version)
    if found:
        yield "stdlib", found.group(1)
    modules: list[list[str]] = []
    for line in modinfo.splitlines():
        fields = line.split("\t")
        if fields[0] in ("mod", "dep") and len(fields) >= 3:
            modules.append([fields[1], fields[2]])
        elif fields[0] == "=>" and len(fields) >= 3 and modules:
            modules[-1] = [fields[1], fields[2]]  # the replacement is what was built
    for name, version in modules:
        if version.startswith("v"):  # "(devel)" main modules and local replacements have no version
            yield name, version


def go_mod(data: bytes) -> Iterator[tuple[str, str]]:
    """``require`` directives (single and block)."""
    in_block = False
    for raw in data.decode("utf-8", "replace").splitlines():
        line = raw.split("//", 1)[0].strip()  # "// indirect" and other comments
        if line.startswith("require ("):
            in_block = True
            continue
        if in_block and line.startswith(")"):
            in_block = False
            continue
        if in_block or line.startswith("require "):
            found = _REQUIRE.match(line)
            if found:
                yield found.group(1), found.group(2)


def go_sum(data: bytes) -> Iterator[tuple[str, str]]:
    """Modules whose content was downloaded (lines without ``/go.mod``), the highest version of each."""
    best: dict[str, tuple[object, str]] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        fields = line.split()
        if len(fields) != 3 or fields[1].endswith("/go.mod"):
            continue
        name, version = fields[0], fields[1]
        try:
            key = parse_version("Go", version)
        except UnparsableVersion:
            continue
        if name not in best or key > best[name][0]:
            best[name] = (key, version)
    for name in sorted(best):
        yield name, best[name][1]
