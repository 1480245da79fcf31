"""``strongroom macie scan`` (the engine over local files) and a classification job (the engine over S3 objects)
print the same ClassificationResult for the same files."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from tests.e2e import macie_support as docs
from tests.e2e.organizations_support import new_account
from tests.support.server import ServerProcess, strongroom


def _plain(value: Any) -> Any:
    """JSON without nulls (the API leaves absent members out; the CLI prints them as null)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def test_scan_and_job_agree(server: ServerProcess, tmp_path: Path) -> None:
    files = {
        "people.csv": docs.csv_doc(),
        "customers.json": docs.json_doc(),
        "deploy.txt": docs.text_doc(),
        "report.pdf": docs.pdf_doc([f"Card number {docs.CARD_1}", f"contact {docs.EMAIL_1}"]),
        "cards.xlsx": docs.xlsx_doc(),
        "table.parquet": docs.parquet_doc(),
        "bundle.zip": docs.zip_doc(),
        "clean.txt": b"nothing to report\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    out = strongroom("macie", "scan", "--format", "json", "--selector", "ALL", "--quiet", str(tmp_path))
    scanned = {Path(r["path"]).name: _plain(r["result"]) for r in json.loads(out.stdout)}
    assert set(scanned) == set(files)

    account = new_account(server)
    macie = account.client("macie2")
    macie.enable_macie()
    s3 = account.client("s3")
    bucket = docs.unique("macie-agree")
    s3.create_bucket(Bucket=bucket)
    for name, body in files.items():
        s3.put_object(Bucket=bucket, Key=name, Body=body)
    job = macie.create_classification_job(
        jobType="ONE_TIME",
        name="agree",
        clientToken=str(uuid.uuid4()),
        managedDataIdentifierSelector="ALL",
        s3JobDefinition={"bucketDefinitions": [{"accountId": account.account_id, "buckets": [bucket]}]},
    )["jobId"]
    docs.wait_job(macie, server, job)
    ids = macie.list_findings(findingCriteria={"criterion": {"classificationDetails.jobId": {"eq": [job]}}})
    findings = macie.get_findings(findingIds=ids["findingIds"])["findings"]
    by_key = {f["resourcesAffected"]["s3Object"]["key"]: _plain(f["classificationDetails"]["result"]) for f in findings}

    assert set(by_key) == {name for name, result in scanned.items() if result["sensitiveData"]}
    for name, result in by_key.items():
        assert result == scanned[name], name
    assert scanned["clean.txt"]["sensitiveData"] == [] and scanned["clean.txt"]["status"]["code"] == "COMPLETE"
