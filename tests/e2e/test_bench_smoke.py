"""The benchmark code, run once at tiny size so it cannot rot. No timing is asserted anywhere."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.load import Cell
from bench.report import BEGIN, END
from bench.run import Options, run


def test_bench_runs_end_to_end_at_tiny_size(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text(f"# Benchmarks\n\nwritten analysis\n\n{BEGIN}\nold table\n{END}\n\nmore analysis\n")
    targets = ("strongroom", "bare") + (("moto",) if importlib.util.find_spec("moto") else ())
    report = run(
        Options(
            seconds=0.3,
            concurrency=(1, 2),
            pool=4,
            keys=20,
            audit_records=500,
            targets=targets,
            generator="python",  # wrk may be missing; its driver shares everything but the process it runs
            out=out,
            work_dir=tmp_path,
            verbose=False,
        )
    )
    encrypt = report.results["strongroom"]["KMS Encrypt (256 B)"]
    for concurrency in (1, 2):
        cell = encrypt[concurrency]
        assert isinstance(cell, Cell)
        assert cell.requests > 0 and cell.errors == 0, cell.first_error
        assert cell.rss_mb > 0
    for name in ("KMS Decrypt", "KMS GenerateDataKey", "KMS Sign (ECC_NIST_P256)"):
        cell = report.results["strongroom"][name][1]
        assert isinstance(cell, Cell) and cell.errors == 0, cell
    off = report.results["strongroom-audit-off"]["KMS Encrypt (256 B)"][1]
    assert isinstance(off, Cell) and off.errors == 0
    assert isinstance(report.results["bare"]["fixed body"][1], Cell)
    assert report.memory_counts["keys"] >= 20 and report.memory_counts["audit"] >= 500, report.memory_notes
    text = out.read_text()
    assert "written analysis" in text and "more analysis" in text and "old table" not in text
    assert "KMS Encrypt (256 B)" in text and "Audit on vs off" in text
