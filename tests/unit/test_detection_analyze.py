"""``strongroom guardduty analyze`` over the Stratus sample in every input form a trail delivers, its JSON as AWS's
Finding shape (checked member by member against botocore's guardduty model), and the table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from strongroom.cli.main import main
from strongroom.detection.logfiles import read_records

SAMPLE = Path(__file__).parent.parent / "data" / "stratus-sample"


def _analyze(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["guardduty", "analyze", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_findings_over_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _analyze(capsys, "--learn-days", "0", str(SAMPLE))
    assert code == 0
    findings = json.loads(out)
    types = {f["Type"] for f in findings}
    assert "Stealth:IAMUser/CloudTrailLoggingDisabled" in types
    assert "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS" in types
    assert "AttackSequence:IAM/CompromisedCredentials" in types
    assert "findings" in err and "8 files" in err  # the summary, on stderr
    trail = next(f for f in findings if f["Type"] == "Stealth:IAMUser/CloudTrailLoggingDisabled")
    assert trail["Service"]["Count"] == 1 and trail["SchemaVersion"] == "2.0"
    assert trail["Arn"].endswith("/finding/" + trail["Id"]) and len(trail["Id"]) == 32


def test_every_member_is_aws_finding_shape(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _analyze(capsys, "--quiet", "--learn-days", "0", str(SAMPLE))
    model = botocore.session.get_session().get_service_model("guardduty")
    for finding in json.loads(out):
        _conforms(finding, model.shape_for("Finding"), finding["Type"])


def _conforms(value: Any, shape: Any, where: str) -> None:
    if shape.type_name == "structure":
        assert isinstance(value, dict), where
        for key, child in value.items():
            assert key in shape.members, f"{where}.{key} is not in {shape.name}"
            _conforms(child, shape.members[key], f"{where}.{key}")
    elif shape.type_name == "list":
        assert isinstance(value, list), where
        for item in value:
            _conforms(item, shape.member, where + "[]")
    elif shape.type_name == "map":
        assert isinstance(value, dict), where
    elif shape.type_name in ("double", "float"):
        assert isinstance(value, int | float), where
    elif shape.type_name in ("integer", "long"):
        assert isinstance(value, int), where
    elif shape.type_name == "boolean":
        assert isinstance(value, bool), where
    elif shape.type_name == "string":
        assert isinstance(value, str), where


def test_input_forms(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = read_records(SAMPLE / "aws.defense-evasion.cloudtrail-stop.json")
    nested = tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-east-1" / "2024" / "07" / "31"
    nested.mkdir(parents=True)
    (nested / "trail.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    (tmp_path / "lines.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    for path in (tmp_path / "AWSLogs", tmp_path / "lines.jsonl"):
        code, out, _ = _analyze(capsys, "--quiet", str(path))
        assert code == 0
        assert [f["Type"] for f in json.loads(out)] == ["Stealth:IAMUser/CloudTrailLoggingDisabled"]


def test_table_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _analyze(
        capsys, "--format", "table", "--quiet", str(SAMPLE / "aws.defense-evasion.cloudtrail-stop.json")
    )
    assert code == 0
    header, row = out.splitlines()
    assert header.startswith("SEVERITY") and "Stealth:IAMUser/CloudTrailLoggingDisabled" in row and "Low" in row
    assert _analyze(capsys, str(tmp_path / "absent.json"))[0] == 2
    bad = tmp_path / "bad.json"
    bad.write_text("{not json\n")
    code, out, err = _analyze(capsys, str(bad))
    assert code == 0 and json.loads(out) == [] and "skipped" in err


def test_threat_and_trusted_lists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-07-31T13:06:24Z",
        "eventSource": "kms.amazonaws.com",
        "eventName": "CreateKey",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.13.0",
        "recipientAccountId": "123456789012",
        "userIdentity": {
            "type": "IAMUser",
            "accountId": "123456789012",
            "arn": "arn:aws:iam::123456789012:user/mallory",
            "principalId": "AIDAEXAMPLE",
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "mallory",
        },
    }
    trail = tmp_path / "trail.json"
    trail.write_text(json.dumps({"Records": [record]}))
    (tmp_path / "bad-actors.txt").write_text("# listed\n203.0.113.0/24\n")
    (tmp_path / "tor-exit.csv").write_text("Indicator type,Indicator,Description\nIPv4,203.0.113.9,exit\n")
    (tmp_path / "office.txt").write_text("203.0.113.9\n")

    code, out, _ = _analyze(capsys, "--quiet", "--threat-list", str(tmp_path / "bad-actors.txt"), str(trail))
    [finding] = json.loads(out)
    assert code == 0 and finding["Type"] == "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom"
    details = finding["Service"]["Evidence"]["ThreatIntelligenceDetails"]
    assert details == [{"ThreatListName": "bad-actors", "ThreatNames": ["CustomThreatList"]}]

    spec = "OTX_CSV:" + str(tmp_path / "tor-exit.csv")
    code, out, _ = _analyze(capsys, "--quiet", "--threat-list", spec, str(trail))
    assert [f["Type"] for f in json.loads(out)] == ["UnauthorizedAccess:IAMUser/TorIPCaller"]

    trusted = str(tmp_path / "office.txt")
    code, out, _ = _analyze(capsys, "--quiet", "--threat-list", spec, "--trusted-list", trusted, str(trail))
    assert json.loads(out) == []
    code, _, err = _analyze(capsys, "--threat-list", str(tmp_path / "absent.txt"), str(trail))
    assert code == 2 and "absent.txt" in err
