"""Inspector's advisory database in its tables: an idempotent load, the stored AdvisorySource matching as the
engine's in-memory one does, and ScanSbom's reading of package URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from strongroom.services.inspector2 import advisories, sbomscan
from strongroom.store.engine import Store
from strongroom.vulnscan.contract import MemorySource, Package, match

SUBSET = Path(__file__).resolve().parents[1] / "data/pypa-advisory-database"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'i.db'}")
    s.migrate()
    return s


def test_load_is_idempotent_and_versioned(store: Store) -> None:
    assert advisories.source(store) is None
    steps: list[tuple[int, int]] = []
    first = advisories.load(store, [SUBSET], lambda done, total: steps.append((done, total)))
    assert first.changed and first.advisories > 100 and steps[-1][0] == steps[-1][1] == first.advisories
    again = advisories.load(store, [SUBSET])
    assert not again.changed and again.version == first.version
    assert advisories.current_version(store) == first.version == MemorySource.from_paths(SUBSET).version
    info = advisories.database_info(store)
    assert info is not None and info["advisories"] == first.advisories


def test_stored_source_matches_like_the_memory_source(store: Store) -> None:
    advisories.load(store, [SUBSET])
    stored = advisories.source(store)
    assert stored is not None
    packages = [
        Package("Requests", "2.19.0", "PyPI", "x/METADATA", "PIP"),  # PEP 503: the name as the database keys it
        Package("jinja2", "2.10", "PyPI", "y/METADATA", "PIP"),
        Package("not-a-package", "1.0", "PyPI", "z/METADATA", "PIP"),
    ]
    ours = sorted((m.package.name, m.vulnerability_id, m.fixed_in) for m in match(packages, stored))
    theirs = sorted(
        (m.package.name, m.vulnerability_id, m.fixed_in) for m in match(packages, MemorySource.from_paths(SUBSET))
    )
    assert ours == theirs and ("Requests", "CVE-2018-18074", "2.20.0") in ours


def test_scan_sbom_checks_the_document_as_aws(store: Store) -> None:
    advisories.load(store, [SUBSET])
    answer = sbomscan.scan(store, {"bomFormat": "CycloneDX", "components": [{"purl": "pkg:pypi/requests@2.19.0"}]})
    assert "CVE-2018-18074" in {v["id"] for v in answer["vulnerabilities"]}
    with pytest.raises(sbomscan.SbomError) as exc:
        sbomscan.check({"bomFormat": "SPDX"})
    assert exc.value.reason == "UNSUPPORTED_SBOM_TYPE"
    with pytest.raises(sbomscan.SbomError) as exc:
        sbomscan.check({"bomFormat": "CycloneDX", "components": [{}] * 2001})
    assert exc.value.reason == "FIELD_VALIDATION_FAILED"
