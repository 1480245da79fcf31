"""Code scanning (bandit as a library, credential and JavaScript rules) and the findings/SBOM output shapes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from strongroom.vulnscan.contract import (
    MemorySource,
    code_vulnerability,
    cyclonedx,
    findings,
    inventory,
    match,
    package_vulnerability,
    scan_code,
    scan_sbom,
    spdx,
)

DATA = Path(__file__).resolve().parents[1] / "data"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS's documented example key

PYTHON = f'''import hashlib
import subprocess

import yaml

AWS_SECRET_ACCESS_KEY = "{SECRET}"


def handler(event, context):
    subprocess.run(event["cmd"], shell=True)
    digest = hashlib.md5(event["x"].encode()).hexdigest()
    cursor.execute("SELECT * FROM t WHERE id = '%s'" % event["id"])
    return yaml.load(event["doc"]), digest
'''.encode()

JAVASCRIPT = f"""const {{ exec }} = require("child_process");
const crypto = require("crypto");
const config = {{
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "{SECRET}",
}};
exports.handler = async (event) => {{
  exec(`convert ${{event.file}} out.png`);
  const h = crypto.createHash("md5").update(event.body).digest("hex");
  return eval(event.expression);
}};
""".encode()


@pytest.fixture(scope="module")
def source() -> MemorySource:
    return MemorySource.from_paths(DATA / "pypa-advisory-database", DATA / "inspector" / "osv")


def _by_rule(found: list) -> dict[str, tuple[int, int, tuple[str, ...], str]]:
    return {m.detector_id: (m.start_line, m.end_line, m.cwes, m.severity) for m in found}


def test_python_is_scanned_by_bandit_and_mapped_to_cwe_and_detectors() -> None:
    found = _by_rule(scan_code({"app.py": PYTHON}))
    assert found["python/hardcoded-credentials@v1.0"] == (6, 6, ("CWE-798",), "CRITICAL")
    assert found["python/os-command-injection@v1.0"][:3] == (10, 10, ("CWE-77", "CWE-78", "CWE-88"))
    assert found["python/insecure-hashing@v1.0"][0] == 11
    assert found["python/sql-injection@v1.0"][:3] == (12, 12, ("CWE-89",))
    assert found["python/unsafe-deserialization@v1.0"][2] == ("CWE-502",)


def test_javascript_credentials_injection_and_weak_hashes() -> None:
    found = scan_code({"src/index.js": JAVASCRIPT})
    rules = {(m.rule_id, m.start_line) for m in found}
    assert ("javascript-aws-access-key-id", 4) in rules
    assert ("javascript-aws-secret-access-key", 5) in rules
    assert ("javascript-js-child-process-exec", 8) in rules
    assert ("javascript-js-weak-hash", 9) in rules
    assert ("javascript-js-eval", 10) in rules


def test_no_finding_carries_the_secret_and_vendored_code_is_skipped() -> None:
    files = {
        "app.py": PYTHON + b'password = "hunter2-is-a-secret"\n',
        "index.js": JAVASCRIPT,
        "requests/sessions.py": b'password = "not-ours-to-report"\n',
        "requests-2.31.0.dist-info/RECORD": b"requests/sessions.py,sha256=abc,10\n",
        "node_modules/lodash/lodash.js": b"eval(x)",
    }
    found = scan_code(files)
    assert {m.file_path for m in found} == {"app.py", "index.js"}
    text = repr([code_vulnerability(m) for m in found])
    assert SECRET not in text and "hunter2" not in text


def test_a_clean_function_and_unparsable_python_give_nothing() -> None:
    clean = b"import json\n\ndef handler(event, context):\n    return json.dumps(event)\n"
    assert scan_code({"app.py": clean, "broken.py": b"def (:\n", "notes.txt": b"AKIAIOSFODNN7EXAMPLE"}) == []


def test_code_finding_shape() -> None:
    finding = code_vulnerability(scan_code({"app.py": PYTHON})[0])
    assert finding["type"] == "CODE_VULNERABILITY"
    assert finding["title"] == "CWE-798 - Hardcoded credentials"
    details = finding["codeVulnerabilityDetails"]
    assert details["filePath"] == {"fileName": "app.py", "filePath": "app.py", "startLine": 6, "endLine": 6}
    assert details["detectorId"] == "python/hardcoded-credentials@v1.0" and details["cwes"] == ["CWE-798"]


def test_package_finding_shape_with_cvss_and_merged_aliases(source: MemorySource) -> None:
    (m,) = [
        m
        for m in match(inventory({"requirements.txt": b"requests==2.19.0\n"}), source)
        if "18074" in m.vulnerability_id
    ]
    finding = package_vulnerability(m)
    assert finding["title"] == "CVE-2018-18074 - requests"
    assert finding["severity"] == "HIGH" and finding["inspectorScore"] == 7.5
    details = finding["packageVulnerabilityDetails"]
    assert details["vulnerabilityId"] == "CVE-2018-18074" and details["source"] == "NVD"
    assert details["relatedVulnerabilities"] == ["GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"]
    assert details["cvss"][0]["scoringVector"] == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
    (pkg,) = details["vulnerablePackages"]
    assert (
        pkg["fixedInVersion"] == "2.20.0" and pkg["packageManager"] == "PIP" and pkg["filePath"] == "requirements.txt"
    )
    assert finding["fixAvailable"] == "YES"
    assert finding["inspectorScoreDetails"]["adjustedCvss"]["score"] == 7.5


def test_findings_are_ordered_most_severe_first(source: MemorySource) -> None:
    packages = inventory(str(DATA / "inspector" / "lockfiles" / "node-app"))
    out = findings(match(packages, source), scan_code({"app.py": PYTHON}))
    severities = [f["severity"] for f in out]
    order = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNTRIAGED"]
    assert severities == sorted(severities, key=order.index)


def test_cyclonedx_export_and_scan_sbom_as_inspector_scan_answers(source: MemorySource) -> None:
    packages = inventory(str(DATA / "inspector" / "lockfiles" / "node-app"))
    doc = cyclonedx(packages, match(packages, source), timestamp="2026-01-01T00:00:00Z")
    assert doc["bomFormat"] == "CycloneDX" and doc["specVersion"] == "1.5"
    assert re.match(r"^urn:uuid:[0-9a-f-]{36}$", doc["serialNumber"])
    assert doc == cyclonedx(packages, match(packages, source), timestamp="2026-01-01T00:00:00Z")  # reproducible
    ids = {v["id"]: v for v in doc["vulnerabilities"]}
    minimist = ids["CVE-2021-44906"]
    refs = {c["bom-ref"]: c for c in doc["components"]}
    assert sorted(refs[a["ref"]]["version"] for a in minimist["affects"]) == ["1.2.5"]
    assert minimist["ratings"][0]["method"] == "CVSSv31" and minimist["ratings"][0]["severity"] == "critical"
    fixed = [p for p in minimist["properties"] if p["name"].startswith("amazon:inspector:sbom_scanner:fixed_version:")]
    assert fixed[0]["value"] == "1.2.6"
    counts = {p["name"]: p["value"] for p in doc["metadata"]["properties"]}
    assert counts["amazon:inspector:sbom_scanner:critical_vulnerabilities"] == "1"

    given = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "components": [
            {
                "bom-ref": "my-ref",
                "type": "library",
                "name": "lodash",
                "version": "4.17.20",
                "purl": "pkg:npm/lodash@4.17.20",
            },
            {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"},
        ],
    }
    answered = scan_sbom(given, source, timestamp="2026-01-01T00:00:00Z")
    assert [v["id"] for v in answered["vulnerabilities"]] == ["CVE-2021-23337"]
    assert answered["vulnerabilities"][0]["affects"] == [{"ref": "my-ref"}]
    assert answered["components"][1]["bom-ref"] == "comp-2"
    assert "vulnerabilities" not in given  # the caller's document is not changed


def test_spdx_export() -> None:
    packages = inventory(str(DATA / "inspector" / "lockfiles" / "ruby-app" / "Gemfile.lock"))
    doc = spdx(packages, timestamp="2026-01-01T00:00:00Z", name="fn")
    assert doc["spdxVersion"] == "SPDX-2.3" and doc["dataLicense"] == "CC0-1.0"
    rack = next(p for p in doc["packages"] if p["name"] == "rack")
    assert rack["externalRefs"][0]["referenceLocator"] == "pkg:gem/rack@2.2.3"
    assert len(doc["relationships"]) == len(doc["packages"]) == 6


def _cyclonedx_errors(doc: dict[str, Any]) -> list[str]:
    folder = DATA / "cyclonedx-1.5-schema"
    schemas = {p.name: json.loads(p.read_text()) for p in folder.glob("*.json")}
    registry = Registry().with_resources(
        (name, Resource.from_contents(body)) for name, body in schemas.items() if not name.startswith("bom-")
    )
    validator = Draft7Validator(schemas["bom-1.5.SNAPSHOT.schema.json"], registry=registry)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]


def test_the_sboms_written_are_valid_cyclonedx_1_5(source: MemorySource) -> None:
    packages = inventory(str(DATA / "inspector" / "lockfiles"))
    assert (
        _cyclonedx_errors(cyclonedx(packages, match(packages, source), timestamp="2026-01-01T00:00:00Z", name="fn"))
        == []
    )
    given = json.loads((DATA / "inspector" / "lockfiles" / "sbom.cdx.json").read_text())
    assert _cyclonedx_errors(scan_sbom(given, source, timestamp="2026-01-01T00:00:00Z")) == []
    assert _cyclonedx_errors({"bomFormat": "CycloneDX", "specVersion": "1.5", "vulnerabilities": [{"ratings": 1}]})
