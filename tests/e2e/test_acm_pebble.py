"""ACM end to end against Pebble: DNS validation through pebble-challtestsrv, ACME issuance, managed renewal."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.acm_support import acm_event_log, acm_events, wait_status
from tests.e2e.events_support import unique
from tests.support import pebble as pebble_support
from tests.support.server import ServerProcess, clean_env

pytestmark = pytest.mark.skipif(not pebble_support.available(), reason="Debian package pebble is not installed")


@pytest.fixture(scope="module")
def pebble(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pebble_support.Pebble]:
    instance = pebble_support.Pebble(tmp_path_factory.mktemp("pebble"))
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture
def acme_server(make_server: Any, pebble: pebble_support.Pebble) -> ServerProcess:
    srv: ServerProcess = make_server("--test-mode")
    (srv.data_dir / "strongroom.toml").write_text(pebble.strongroom_config())
    srv.start()
    return srv


def _verify(tmp_path: Path, cert: str, chain: str, root: str) -> subprocess.CompletedProcess[str]:
    for name, text in (("leaf.pem", cert), ("chain.pem", chain), ("root.pem", root)):
        (tmp_path / name).write_text(text)
    return subprocess.run(
        ["openssl", "verify", "-CAfile", str(tmp_path / "root.pem"), "-untrusted", str(tmp_path / "chain.pem"),
         str(tmp_path / "leaf.pem")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_dns_validated_certificate_is_issued_by_acme_and_renewed(
    acme_server: ServerProcess, pebble: pebble_support.Pebble, tmp_path: Path
) -> None:
    acm = acme_server.client("acm")
    log = acm_event_log(acme_server)
    domain = f"{unique('www')}.example.com"
    arn = acm.request_certificate(DomainName=domain, SubjectAlternativeNames=[f"*.{domain}"], ValidationMethod="DNS")[
        "CertificateArn"
    ]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION"
    assert detail["Type"] == "AMAZON_ISSUED"
    options = detail["DomainValidationOptions"]
    assert [o["DomainName"] for o in options] == [domain, f"*.{domain}"]
    record = options[0]["ResourceRecord"]
    assert options[1]["ResourceRecord"] == record  # the wildcard shares its base domain's record
    assert record["Type"] == "CNAME"
    assert record["Name"].startswith("_") and record["Name"].endswith(f".{domain}.")
    assert record["Value"].startswith("_") and record["Value"].endswith(".acm-validations.aws.")
    with pytest.raises(acm.exceptions.RequestInProgressException):
        acm.get_certificate(CertificateArn=arn)
    time.sleep(1.5)  # a few validation checks find nothing
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "PENDING_VALIDATION"

    pebble.set_cname(record["Name"], record["Value"])
    detail = wait_status(acm, arn, "ISSUED", timeout=60)
    assert {o["ValidationStatus"] for o in detail["DomainValidationOptions"]} == {"SUCCESS"}
    assert detail["Issuer"].startswith("Pebble")
    assert set(detail["SubjectAlternativeNames"]) == {domain, f"*.{domain}"}
    issued = acm.get_certificate(CertificateArn=arn)
    result = _verify(tmp_path, issued["Certificate"], issued["CertificateChain"], pebble.root_pem())
    assert result.returncode == 0, result.stderr
    first_serial = detail["Serial"]
    assert acm_events(acme_server, log, "ACM Certificate Available", arn)

    # Pebble issues for 90 days: managed renewal starts 60 days before expiry, under the same ARN.
    acme_server.advance(31 * 86400)
    deadline = time.monotonic() + 60
    while True:
        renewed = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        if renewed["Serial"] != first_serial:
            break
        assert time.monotonic() < deadline, renewed.get("RenewalSummary")
        time.sleep(0.3)
    assert renewed["Status"] == "ISSUED"
    assert renewed["RenewalSummary"]["RenewalStatus"] == "SUCCESS"
    assert renewed["NotAfter"] > detail["NotAfter"]
    again = acm.get_certificate(CertificateArn=arn)
    assert _verify(tmp_path, again["Certificate"], again["CertificateChain"], pebble.root_pem()).returncode == 0
    available = acm_events(acme_server, log, "ACM Certificate Available", arn)
    assert {e["detail"]["Action"] for e in available} >= {"ISSUANCE", "RENEWAL"}


def test_renewal_waits_for_the_cname_and_asks_for_action(
    acme_server: ServerProcess, pebble: pebble_support.Pebble
) -> None:
    acm = acme_server.client("acm")
    log = acm_event_log(acme_server)
    domain = f"{unique('api')}.example.org"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    pebble.set_cname(record["Name"], record["Value"])
    serial = wait_status(acm, arn, "ISSUED", timeout=60)["Serial"]
    pebble.clear_cname(record["Name"])
    acme_server.advance(31 * 86400)
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Serial"] == serial
    assert detail["RenewalSummary"]["RenewalStatus"] == "PENDING_VALIDATION"
    action = acm_events(acme_server, log, "ACM Certificate Renewal Action Required", arn)
    assert action and action[0]["source"] == "aws.acm"
    assert action[0]["detail"]["CommonName"] == domain


def test_cli_waiter_returns_once_the_cname_exists(
    acme_server: ServerProcess, pebble: pebble_support.Pebble, tmp_path: Path
) -> None:
    acm = acme_server.client("acm")
    domain = f"{unique('wait')}.example.net"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    record = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"][0]["ResourceRecord"]
    # The same waiter botocore ships (DescribeCertificate until ISSUED), polling every second instead of 60.
    import botocore

    shipped = Path(botocore.__file__).parent / "data" / "acm" / "2015-12-08" / "waiters-2.json"
    waiters = json.loads(shipped.read_text())
    waiters["waiters"]["CertificateValidated"]["delay"] = 1
    custom = tmp_path / "models" / "acm" / "2015-12-08"
    custom.mkdir(parents=True)
    (custom / "waiters-2.json").write_text(json.dumps(waiters))
    env = clean_env() | {
        "AWS_ACCESS_KEY_ID": acme_server.access_key,
        "AWS_SECRET_ACCESS_KEY": acme_server.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_DATA_PATH": str(tmp_path / "models"),
    }
    waiter = subprocess.Popen(
        [sys.executable, "-m", "awscli", "acm", "wait", "certificate-validated", "--certificate-arn", arn,
         "--endpoint-url", acme_server.endpoint],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        time.sleep(2)
        assert waiter.poll() is None  # still waiting: no CNAME yet
        pebble.set_cname(record["Name"], record["Value"])
        _out, err = waiter.communicate(timeout=60)
    finally:
        if waiter.poll() is None:
            waiter.kill()
    assert waiter.returncode == 0, err
    # The waiter accepts once every domain validation is SUCCESS (issuance follows right after).
    validations = acm.describe_certificate(CertificateArn=arn)["Certificate"]["DomainValidationOptions"]
    assert {v["ValidationStatus"] for v in validations} == {"SUCCESS"}
    wait_status(acm, arn, "ISSUED", timeout=60)
