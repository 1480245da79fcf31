"""bench/inspector.py on the tests' advisory subset, so it cannot rot: its correctness targets at small size (its
speed target is measured by `make bench` only: a loaded machine must not fail the suite)."""

from __future__ import annotations

from bench import inspector


def test_bench_targets_hold_on_the_subset() -> None:
    results = inspector.measure(
        inspector.TESTS / "pypa-advisory-database", say=lambda _m: None, runs=1, specifiers=False
    )
    assert results.pairs > 10_000
    assert results.disagreements == []  # range membership agrees with packaging on every pair
    assert results.lock_missing == [] and results.lock_extra == []  # the lock files give what the data implies
    assert results.lock_expected >= 50 and results.lock_duplicates == 0
    # the SBOM's 2,000 components were scanned; how fast is the bench's to say (`make bench`), not a test's
    assert len(results.sbom_seconds) == 1 and results.sbom_seconds[0] > 0
    text = inspector.render(results, "# Benchmarks\n")
    assert inspector.BEGIN in text and inspector.render(results, text).count(inspector.BEGIN) == 1
