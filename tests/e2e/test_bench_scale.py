"""bench/scale.py run through ``bench.run`` at tiny size so it cannot rot (no timing is asserted)."""

from __future__ import annotations

from pathlib import Path

from bench.run import Options, run
from bench.scale import BEGIN, ScaleOptions


def test_the_scale_section_runs_and_renders(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    out.write_text("# Benchmarks\n\nwritten analysis\n")
    options = ScaleOptions.tiny()
    report = run(
        Options(
            keys=0,
            audit_records=0,
            targets=("strongroom",),
            workloads=("scale",),
            generator="python",
            out=out,
            work_dir=tmp_path,
            verbose=False,
            scale=options,
        )
    )
    scale = report.scale
    assert scale is not None and not report.results and report.startup is None
    assert scale.records >= options.audit_records
    assert len(scale.lookups) == 9, list(scale.lookups)  # 8 lookups and the second page
    for label, (cell, events) in scale.lookups.items():
        assert cell.requests > 0 and cell.errors == 0, (label, cell.first_error)
        assert events > 0, label  # every lookup finds records among the clones
    for listing in ("ListKeys", "ListSecrets"):
        assert set(scale.listing[listing]) == {"page 1", "page N/2", "last page"}
        for label, cell in scale.listing[listing].items():
            assert cell.requests > 0 and cell.errors == 0, (listing, label, cell.first_error)
    assert len(scale.rss) == options.steps + 1 and all(mb > 0 for _, mb in scale.rss)
    text = out.read_text()
    assert "written analysis" in text and BEGIN in text
    run(  # a second run replaces the block
        Options(
            keys=0,
            audit_records=0,
            targets=("strongroom",),
            workloads=("scale",),
            generator="python",
            out=out,
            work_dir=tmp_path,
            verbose=False,
            scale=options,
        )
    )
    assert out.read_text().count(BEGIN) == 1
