"""The benchmark code, run once at tiny size so it cannot rot. No timing is asserted anywhere."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bench.apigateway import DIRECT, GATEWAY, ApiGatewayOptions
from bench.load import Cell
from bench.postgres import PostgresOptions
from bench.report import BEGIN, END
from bench.run import Options, run
from bench.s3 import S3Options, Upload
from bench.scale import ScaleOptions
from bench.startup import StartupOptions
from bench.waf import BACKEND, WafOptions


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
            s3=S3Options.tiny(),
            apigateway=ApiGatewayOptions.tiny(),
            waf=WafOptions.tiny(),
            guardduty=False,  # tests/unit/test_detection_bench.py runs it at small size
            macie=False,  # tests/unit/test_sensitive.py scores a sample of its corpus
            inspector=False,  # tests/unit/test_vulnscan_bench.py runs it on the tests' advisory subset
            startup=StartupOptions.tiny(),  # tests/e2e/test_bench_startup_testmode.py checks it and the test mode
            postgres=PostgresOptions(enabled=False),  # tests/e2e/test_bench_postgres.py runs it at tiny size
            scale=ScaleOptions(enabled=False),  # tests/e2e/test_bench_scale.py runs it at tiny size
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
    s3_cells = report.s3.cells["strongroom"]
    assert len(s3_cells) == 8, s3_cells  # PutObject and GetObject x 2 sizes x SSE-S3 and SSE-KMS
    for name, row in s3_cells.items():
        for cell in row.values():
            assert isinstance(cell, Cell) and cell.requests > 0 and cell.errors == 0, (name, cell)
    assert isinstance(report.s3.upload, Upload) and report.s3.upload.peak_mb > 0, report.s3.upload
    for name in (DIRECT, GATEWAY):
        cell = report.apigateway.cells[name][1]
        assert cell.requests > 0 and cell.errors == 0, (name, cell.first_error)
    text = out.read_text()
    assert "written analysis" in text and "more analysis" in text and "old table" not in text
    assert "KMS Encrypt (256 B)" in text and "Audit on vs off" in text and "## S3 results" in text
    assert "## API Gateway results" in text
    backend = report.waf.cells[BACKEND][1]
    assert backend.requests > 0 and backend.errors == 0, backend.first_error
    assert "## WAF results" in text
    assert report.test_mode is not None and report.startup is not None
