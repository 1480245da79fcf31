"""No name a caller chooses puts a file outside the data dir: trail prefixes, CRL and audit-report buckets.

Each test aims a name at its own scratch directory (``tmp_path``, beside the server's data dir) with a ``..`` path and
an absolute one, then checks the API's answer and that the scratch directory stayed empty.
"""

from __future__ import annotations

import gzip
import json
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import database_url_for
from tests.e2e.pca_support import NO_CHECKS, REVOCATION, create_ca, make_root
from tests.e2e.test_audit_trails import server_now
from tests.support.errors import code_of as code
from tests.support.server import ServerProcess, strongroom

BAD_BUCKETS = [
    "ab",
    "a" * 64,
    "Upper-case",
    "under_score",
    "-leading-dash",
    "trailing-dash-",
    "two..periods",
    "192.168.5.4",
    "xn--punycode",
    "sthree-bucket",
    "amzn-s3-demo-bucket",
    "name-s3alias",
    "name--ol-s3",
    "name.mrap",
    "name--x-s3",
    "name--table-s3",
]


@pytest.fixture(scope="module")
def srv(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A server of its own: trails are limited to five per region, and the tests move the clock."""
    data_dir = tmp_path_factory.mktemp(f"confine-{backend}")
    server = ServerProcess(data_dir, database_url_for(backend, request), ["--test-mode"])
    server.init()
    server.start()
    yield server
    server.stop()


def validate(server: Any, trail: str, start: datetime, end: datetime) -> tuple[int, str]:
    """``strongroom audit validate`` against the server's own database (SQLite or PostgreSQL)."""
    database = ["--database-url", server.database_url] if server.database_url else []
    window = ["--start-time", f"{start:%Y-%m-%dT%H:%M:%SZ}", "--end-time", f"{end:%Y-%m-%dT%H:%M:%SZ}"]
    args = ["audit", "validate", "--data-dir", str(server.data_dir), "--trail", trail, *window, *database]
    result = strongroom(*args, check=False)
    return result.returncode, result.stdout + result.stderr


def uid() -> str:
    return uuid.uuid4().hex[:8]


def pca_code(bucket: str, max_length: int) -> str:
    """The modeled length limits are checked first, with the protocol's ValidationException."""
    return "ValidationException" if not 3 <= len(bucket) <= max_length else "InvalidArgsException"


def outside(scratch: Path) -> list[Path]:
    return sorted(scratch.rglob("*"))


def inside(data_dir: Path, files: list[Path]) -> bool:
    root = data_dir.resolve()
    return bool(files) and all(f.resolve().is_relative_to(root) for f in files)


def records(files: list[Path]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for f in files:
        if "CloudTrail-Digest" not in f.name:
            found += json.loads(gzip.decompress(f.read_bytes()))["Records"]
    return found


# -- CloudTrail ------------------------------------------------------------------------------------------------


def test_trail_prefixes_that_traverse_stay_in_the_bucket_directory(srv: Any, tmp_path: Path) -> None:
    ct, kms = srv.client("cloudtrail"), srv.client("kms")
    trails = srv.data_dir / "trails"
    start = server_now(srv) - timedelta(minutes=5)
    dotted, absolute, updated = f"dotted-{uid()}", f"absolute-{uid()}", f"updated-{uid()}"
    # AWS accepts these prefixes (any string is an S3 key); they must still land inside the bucket's directory
    dotted_prefix = os.path.relpath(tmp_path / "dotted", trails / dotted)
    assert dotted_prefix.startswith("../")
    absolute_prefix = str(tmp_path / "absolute")
    ct.create_trail(Name=dotted, S3BucketName=dotted, S3KeyPrefix=dotted_prefix, EnableLogFileValidation=True)
    ct.create_trail(Name=absolute, S3BucketName=absolute, S3KeyPrefix=absolute_prefix)
    ct.create_trail(Name=updated, S3BucketName=updated, S3KeyPrefix="fine")
    out = ct.update_trail(Name=updated, S3KeyPrefix=os.path.relpath(tmp_path / "updated", trails / updated))
    assert out["S3KeyPrefix"].startswith("../")
    assert ct.get_trail(Name=dotted)["Trail"]["S3KeyPrefix"] == dotted_prefix  # kept as given, as on AWS
    try:
        for name in (dotted, absolute, updated):
            ct.start_logging(Name=name)
        kms.create_key(Description=f"confinement {uid()}")
        srv.advance(3700)  # a delivery and the hourly digest
        assert outside(tmp_path) == []
        for name in (dotted, absolute, updated):
            files = sorted((trails / name).rglob("*.json.gz"))
            assert inside(srv.data_dir, files), name
            assert any(r["eventName"] == "CreateKey" for r in records(files)), name
        # the digest names the real S3 key, with its ".." segments, while the file sits inside the bucket directory
        digest = next(f for f in (trails / dotted).rglob("*.json.gz") if "CloudTrail-Digest" in f.name)
        body = json.loads(gzip.decompress(digest.read_bytes()))
        assert body["digestS3Object"].startswith(dotted_prefix + "/AWSLogs/")
        assert all(entry["s3Object"].startswith(dotted_prefix + "/") for entry in body["logFiles"])
        # and validation finds each file from its key
        returncode, report = validate(srv, dotted, start, server_now(srv) + timedelta(minutes=5))
        assert returncode == 0 and "INVALID" not in report, report
        assert "1/1 digest files valid" in report, report
    finally:
        for name in (dotted, absolute, updated):
            ct.delete_trail(Name=name)


def test_trail_prefix_longer_than_200_characters_is_refused(srv: Any) -> None:
    ct = srv.client("cloudtrail")
    name = f"long-{uid()}"
    with pytest.raises(ClientError) as err:
        ct.create_trail(Name=name, S3BucketName=name, S3KeyPrefix="p" * 201)
    assert code(err) == "InvalidS3PrefixException"
    ct.create_trail(Name=name, S3BucketName=name, S3KeyPrefix="p" * 200)
    try:
        with pytest.raises(ClientError) as err:
            ct.update_trail(Name=name, S3KeyPrefix="../" * 67)
        assert code(err) == "InvalidS3PrefixException"
        assert ct.get_trail(Name=name)["Trail"]["S3KeyPrefix"] == "p" * 200
    finally:
        ct.delete_trail(Name=name)


@pytest.mark.parametrize("bucket", ["/tmp/x", "../x", "x/../../y", *BAD_BUCKETS])
def test_trail_bucket_names_follow_s3_rules(srv: Any, bucket: str) -> None:
    ct = srv.client("cloudtrail")
    name = f"bucket-{uid()}"
    with pytest.raises(ClientError) as err:
        ct.create_trail(Name=name, S3BucketName=bucket)
    assert code(err) == "InvalidS3BucketNameException"
    ct.create_trail(Name=name, S3BucketName="good-bucket.example")
    try:
        with pytest.raises(ClientError) as err:
            ct.update_trail(Name=name, S3BucketName=bucket)
        assert code(err) == "InvalidS3BucketNameException"
        assert ct.get_trail(Name=name)["Trail"]["S3BucketName"] == "good-bucket.example"
    finally:
        ct.delete_trail(Name=name)


def test_cloudtrail_dns_label_rule(srv: Any) -> None:
    """CloudTrail's naming page: no dashes adjacent to periods."""
    ct = srv.client("cloudtrail")
    for bucket in ("a-.bucket", "a.-bucket"):
        with pytest.raises(ClientError) as err:
            ct.create_trail(Name=f"labels-{uid()}", S3BucketName=bucket)
        assert code(err) == "InvalidS3BucketNameException"


# -- ACM PCA: CRL bucket ---------------------------------------------------------------------------------------


def _crl(bucket: str) -> dict[str, Any]:
    return {"CrlConfiguration": {"Enabled": True, "ExpirationInDays": 7, "S3BucketName": bucket}}


def test_crl_bucket_cannot_point_outside_the_data_dir(srv: Any, tmp_path: Path) -> None:
    pca = srv.client("acm-pca", config=NO_CHECKS)
    crl_dir = srv.data_dir / "pca" / "crl"
    for bucket in (str(tmp_path / "absolute"), os.path.relpath(tmp_path / "dotted", crl_dir), "../x", "a/b"):
        with pytest.raises(ClientError) as err:
            make_root(pca, revocation=_crl(bucket))
        assert code(err) == "InvalidArgsException", bucket
    assert outside(tmp_path) == []
    # an issuing CA cannot be pointed there either, and keeps its configuration
    root, _ = make_root(pca, revocation=_crl(f"crl-{uid()}.example"))
    for bucket in (str(tmp_path / "updated"), os.path.relpath(tmp_path / "updated", crl_dir), *BAD_BUCKETS):
        with pytest.raises(ClientError) as err:
            pca.update_certificate_authority(CertificateAuthorityArn=root, RevocationConfiguration=_crl(bucket))
        assert code(err) == pca_code(bucket, 255), bucket
    assert outside(tmp_path) == []
    described = pca.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]
    good = described["RevocationConfiguration"]["CrlConfiguration"]["S3BucketName"]
    assert good.startswith("crl-")
    crls = list(crl_dir.glob(f"{good}/crl/*.crl"))
    assert inside(srv.data_dir, crls)


@pytest.mark.parametrize("bucket", BAD_BUCKETS)
def test_crl_bucket_names_follow_s3_rules_on_create(srv: Any, bucket: str) -> None:
    pca = srv.client("acm-pca", config=NO_CHECKS)
    with pytest.raises(ClientError) as err:
        create_ca(pca, "ROOT", f"bad-bucket-{uid()}", RevocationConfiguration=_crl(bucket))
    assert code(err) == pca_code(bucket, 255)


def test_crl_defaults_still_work(srv: Any) -> None:
    """Without a bucket the CRL goes to a directory named after the account, as before."""
    pca = srv.client("acm-pca")
    root, _ = make_root(pca, revocation=REVOCATION)
    ca = root.rsplit("/", 1)[1]
    files = list((srv.data_dir / "pca" / "crl").glob(f"*/crl/{ca}.crl"))
    assert inside(srv.data_dir, files)


# -- ACM PCA: audit reports ------------------------------------------------------------------------------------


def test_audit_report_bucket_cannot_point_outside_the_data_dir(srv: Any, tmp_path: Path) -> None:
    pca = srv.client("acm-pca", config=NO_CHECKS)
    root, _ = make_root(pca)
    reports = srv.data_dir / "pca" / "audit-reports"
    dotted = os.path.relpath(tmp_path / "dotted", reports)
    for bucket in (str(tmp_path / "absolute"), dotted, "../x", "a/b", *BAD_BUCKETS):
        with pytest.raises(ClientError) as err:
            pca.create_certificate_authority_audit_report(
                CertificateAuthorityArn=root, S3BucketName=bucket, AuditReportResponseFormat="JSON"
            )
        assert code(err) == pca_code(bucket, 63), bucket
    assert outside(tmp_path) == []
    bucket = f"reports-{uid()}.example"
    out = pca.create_certificate_authority_audit_report(
        CertificateAuthorityArn=root, S3BucketName=bucket, AuditReportResponseFormat="CSV"
    )
    assert inside(srv.data_dir, [reports / bucket / out["S3Key"]])
