"""``strongroom inspector scan``: the engine on the command line, over a directory, a zip, a lock file, an SBOM."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import orjson
import pytest

from strongroom.cli.main import main

DATA = Path(__file__).resolve().parents[1] / "data"
DB = ["--db", str(DATA / "pypa-advisory-database"), "--db", str(DATA / "inspector" / "osv")]


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["inspector", "scan", *DB, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_findings_of_a_lambda_zip_with_the_database_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "function.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("requirements.txt", "requests==2.19.0\n")
        zf.writestr("handler.py", 'KEY = "AKIAIOSFODNN7EXAMPLE"\n')
    archive.write_bytes(buf.getvalue())
    code, out, err = _scan(capsys, str(archive))
    assert code == 0
    body = orjson.loads(out)
    assert body["databaseVersion"].startswith("osv-")
    kinds = {(f["type"], f["title"]) for f in body["findings"]}
    assert ("PACKAGE_VULNERABILITY", "CVE-2018-18074 - requests") in kinds
    assert ("CODE_VULNERABILITY", "CWE-798 - Hardcoded credentials") in kinds
    assert "packages" in err and "findings" in err  # the summary goes to stderr, not into the JSON


def test_table_cyclonedx_no_code_and_fail_on(capsys: pytest.CaptureFixture[str]) -> None:
    lock = str(DATA / "inspector" / "lockfiles" / "node-app" / "package-lock.json")
    code, out, _ = _scan(capsys, "--format", "table", "--fail-on", "critical", lock)
    assert code == 1  # minimist 1.2.5: CVE-2021-44906 is critical
    assert out.splitlines()[0].split()[:2] == ["SEVERITY", "ID"] and "CVE-2021-44906" in out
    code, out, _ = _scan(
        capsys, "--format", "cyclonedx", "--quiet", str(DATA / "inspector" / "lockfiles" / "sbom.cdx.json")
    )
    doc = orjson.loads(out)
    assert code == 0 and doc["specVersion"] == "1.5"
    assert {"CVE-2021-44228", "CVE-2022-32149"} <= {v["id"] for v in doc["vulnerabilities"]}
    code, out, _ = _scan(capsys, "--no-code", "--quiet", str(DATA / "inspector" / "lockfiles" / "go-app"))
    assert [f["title"] for f in orjson.loads(out)["findings"]] == ["CVE-2022-32149 - golang.org/x/text"]


def test_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _scan(capsys, str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err
    monkeypatch.delenv("STRONGROOM_INSPECTOR_DB", raising=False)
    assert main(["inspector", "scan", str(tmp_path)]) == 2
    assert "no vulnerability database" in capsys.readouterr().err
