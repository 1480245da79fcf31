"""A fresh clone passes its own tests: nothing reads the development corpora beside the checkout, and the
third-party data the tests use is copied into tests/data/ with its licence and provenance."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("tests", "src", "bench", "Makefile", ".ci")

# The patterns of the before-stop landing check, in Python's syntax and a little wider: a relative path that
# climbs to the sibling folder, a path built from the quoted names shared and data, and a parent (or parents[n])
# joined with the quoted name shared. Written so that they match neither themselves nor the landing check.
OUTSIDE = re.compile(
    rb"\.\./shared"
    rb"|[\"']shared[\"'].*[\"']data[\"']"
    rb"|parents?(?:\[\d+\])? */ *[\"']shared[\"']"
)


def _files(top: Path) -> Iterator[Path]:
    if top.is_file():
        yield top
        return
    for path in sorted(top.rglob("*")):
        parts = path.relative_to(ROOT).parts
        if path.is_file() and not any(p == "__pycache__" or p.startswith(".") for p in parts[1:]):
            yield path


def test_nothing_reads_the_corpora_outside_the_clone() -> None:
    found = []
    for name in SCANNED:
        for path in _files(ROOT / name):
            for number, line in enumerate(path.read_bytes().splitlines(), 1):
                if OUTSIDE.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.decode(errors='replace').strip()}")
    assert not found, "a fresh clone has no sibling shared folder; copy the data into tests/data/:\n" + "\n".join(found)


def test_every_data_folder_keeps_its_license_and_source() -> None:
    folders = sorted(p for p in (ROOT / "tests" / "data").iterdir() if p.is_dir())
    assert folders, "tests/data/ holds the third-party data the tests use"
    missing = [f"{f.name}/{n}" for f in folders for n in ("LICENSE", "SOURCE.md") if not (f / n).is_file()]
    assert not missing, f"each tests/data/ folder keeps its LICENSE and SOURCE.md: {missing}"
