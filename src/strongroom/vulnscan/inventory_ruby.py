"""Ruby inventories: ``Gemfile.lock`` (the GEM section's specs: gems from a registry; GIT and PATH sources are
not registry releases) and vendored ``specifications/<name>-<version>.gemspec`` files of an installed bundle."""

from __future__ import annotations

import re
from collections.abc import Iterator

from strongroom.vulnscan.ecosystems import make_purl
from strongroom.vulnscan.model import Package

_SPEC = re.compile(r"^    ([^\s(]+) \(([^)]+)\)$")
# RubyGems versions have no "-": what follows one is the platform ("1.13.10-x86_64-linux").
_GEMSPEC = re.compile(r"^(.+)-(\d+(?:\.[0-9A-Za-z]+)*)(?:-[A-Za-z0-9_]+(?:-[A-Za-z0-9_.]+)*)?\.gemspec$")


def _pkg(name: str, version: str, path: str, manager: str) -> Package:
    return Package(name, version, "RubyGems", path, manager, make_purl("RubyGems", name, version))


def is_ruby_file(path: str) -> bool:
    base = path.rsplit("/", 1)[-1]
    return base == "Gemfile.lock" or (base.endswith(".gemspec") and "/specifications/" in f"/{path}")


def ruby_packages(path: str, data: bytes) -> Iterator[Package]:
    base = path.rsplit("/", 1)[-1]
    if base == "Gemfile.lock":
        for name, version in gemfile_lock(data):
            yield _pkg(name, version, path, "BUNDLER")
        return
    found = _GEMSPEC.match(base)
    if found:
        yield _pkg(found.group(1), found.group(2), path, "GEMSPEC")


def gemfile_lock(data: bytes) -> Iterator[tuple[str, str]]:
    section = ""
    for line in data.decode("utf-8", "replace").splitlines():
        if line and not line.startswith(" "):
            section = line.strip()
            continue
        if section != "GEM":
            continue
        found = _SPEC.match(line)
        if found:
            yield found.group(1), found.group(2).split("-", 1)[0]
