"""bench/postgres.py run through ``bench.run`` at tiny size so it cannot rot: a private PostgreSQL, two nodes on
it and one SQLite server, every workload answered without errors, the block rendered (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.postgres import BEGIN, POSTGRES, SECTION_WORKLOADS, SQLITE, PostgresOptions, PostgresResults, render
from bench.run import Options, run

from tests.support.postgres import find_pg_bin


@pytest.mark.skipif(find_pg_bin() is None, reason="no PostgreSQL server binaries (apt-get install -y postgresql)")
def test_the_postgresql_section_runs_and_renders(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nwritten analysis\n")
    report = run(
        Options(
            seconds=0.3,
            pool=4,
            keys=0,
            audit_records=0,
            targets=("strongroom",),
            workloads=("postgres",),
            generator="python",
            out=out,
            work_dir=tmp_path,
            verbose=False,
            postgres=PostgresOptions.tiny(),
        )
    )
    assert report.postgres is not None and report.test_mode is None and report.startup is None
    assert not report.results  # no other section ran
    for side in (SQLITE, POSTGRES):
        for workload in SECTION_WORKLOADS:
            cell = report.postgres.cell(side, workload.name, 2)
            assert cell is not None, (side, workload.name, report.postgres.notes)
            assert cell.requests > 0 and cell.errors == 0, (side, workload.name, cell.first_error)
    assert report.postgres.errors_at(2) == 0
    text = out.read_text()
    assert "written analysis" in text and text.count(BEGIN) == 1
    assert "PG 2-node req/s" in text and "not measured (largest concurrency 2)" in text


def test_a_run_without_postgresql_renders_as_not_measured() -> None:
    results = PostgresResults()
    results.notes.append("not measured: no PostgreSQL server binaries")
    text = render(results, "# Benchmarks\n")
    assert text.count(BEGIN) == 1
    assert "no errors under 64 concurrent clients (PostgreSQL, 2 nodes): not measured." in text
