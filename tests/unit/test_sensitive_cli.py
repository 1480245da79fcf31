"""``strongroom macie scan``: the ClassificationResult JSON per file, the table, identifier selection, and never
the matched text."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from strongroom.cli.main import main


def _write(tmp_path: Path) -> Path:
    (tmp_path / "people.csv").write_text("name,ssn,email\nBob,536-22-8726,bob@example.com\n")
    with zipfile.ZipFile(tmp_path / "bundle.zip", "w") as zf:
        zf.writestr("notes.txt", "card: 4539 1488 0343 6467\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    return tmp_path


def test_scan_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path)
    assert main(["macie", "scan", "--quiet", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    results = {Path(r["path"]).name: r["result"] for r in json.loads(out)}
    people = results["people.csv"]
    assert people["status"] == {"code": "COMPLETE"} and people["mimeType"] == "text/csv"
    found = {d["type"]: d for s in people["sensitiveData"] for d in s["detections"]}
    assert found["USA_SOCIAL_SECURITY_NUMBER"]["occurrences"] == {
        "cells": [{"row": 2, "column": 2, "columnName": "ssn", "cellReference": None}]
    }
    bundle = {d["type"] for s in results["bundle.zip"]["sensitiveData"] for d in s["detections"]}
    assert bundle == {"CREDIT_CARD_NUMBER"}
    assert results["photo.png"]["status"] == {"code": "SKIPPED", "reason": "UNSUPPORTED_FILE_TYPE_EXCEPTION"}
    assert "536-22-8726" not in out and "4539" not in out  # the matched text is never printed


def test_scan_identifiers_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path)
    assert main(["macie", "scan", "--quiet", "--format", "table", "--identifiers", "EMAIL_ADDRESS", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "EMAIL_ADDRESS" in out and "USA_SOCIAL_SECURITY_NUMBER" not in out
    assert main(["macie", "scan", "--identifiers", "NOT_AN_ID", str(tmp_path)]) == 2
    assert main(["macie", "scan", str(tmp_path / "missing.txt")]) == 2
