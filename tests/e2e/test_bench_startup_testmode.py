"""bench/startup.py and bench/testmode.py, run through ``bench.run`` at tiny size so they cannot rot (no timing is
asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.run import Options, run
from bench.startup import BEGIN as STARTUP_BEGIN
from bench.startup import StartupOptions
from bench.testmode import BEGIN as TESTMODE_BEGIN
from bench.testmode import NORMAL, TEST


def test_the_startup_and_test_mode_sections_run_and_render(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nwritten analysis\n")
    report = run(
        Options(
            seconds=0.3,
            concurrency=(1, 2),
            pool=4,
            keys=0,
            audit_records=0,
            targets=("strongroom",),
            workloads=("test mode", "startup"),
            generator="python",
            out=out,
            work_dir=tmp_path,
            verbose=False,
            startup=StartupOptions.tiny(),
        )
    )
    assert report.test_mode is not None and report.startup is not None
    for mode in (NORMAL, TEST):
        for conc in (1, 2):
            cell = report.test_mode.cells[mode][conc]
            assert cell.requests > 0 and cell.errors == 0, (mode, cell.first_error)
    assert report.test_mode.ratio() is not None
    assert len(report.startup.seconds[1]) == 1 and report.startup.seconds[1][0] > 0
    assert not report.results  # no other section ran
    text = out.read_text()
    assert "written analysis" in text and STARTUP_BEGIN in text and TESTMODE_BEGIN in text
    again = run(  # a second run replaces the block, not appends another
        Options(
            keys=0,
            audit_records=0,
            targets=("strongroom",),
            workloads=("startup",),
            generator="python",
            out=out,
            work_dir=tmp_path,
            verbose=False,
            startup=StartupOptions.tiny(),
        )
    )
    assert again.startup is not None and again.test_mode is None
    assert out.read_text().count(STARTUP_BEGIN) == 1 and out.read_text().count(TESTMODE_BEGIN) == 1
