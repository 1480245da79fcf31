"""Imported certificates (checks, re-import), daily expiry events on the server clock, keys never in plaintext,
private certificates through ACM PCA."""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests.e2e.acm_support import acm_event_log, acm_events, wait_status
from tests.support.server import ServerProcess

DAY = 86400


def _self_signed(cn: str, days: int, key: Any = None) -> tuple[bytes, bytes]:
    key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


@pytest.fixture
def own_server(make_server: Any) -> ServerProcess:
    srv: ServerProcess = make_server("--test-mode")
    srv.start()
    return srv


def test_imported_certificate_gets_daily_expiry_events(own_server: ServerProcess) -> None:
    acm = own_server.client("acm")
    log = acm_event_log(own_server)
    cert, key = _self_signed("imported.example.com", days=50)
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "IMPORTED" and detail["Status"] == "ISSUED"
    assert detail["RenewalEligibility"] == "INELIGIBLE"
    assert "ImportedAt" in detail and "CreatedAt" in detail  # AWS reports both for imported certificates
    assert detail["KeyAlgorithm"] == "EC-prime256v1"

    own_server.advance(5 * DAY + 3600)  # now 45 days before expiry: the first event
    own_server.advance(2 * DAY)  # two more days: two more events
    events = acm_events(own_server, log, "ACM Certificate Approaching Expiration", arn, at_least=3)
    assert len(events) == 3
    assert [e["detail"]["DaysToExpiry"] for e in events] == sorted(
        (e["detail"]["DaysToExpiry"] for e in events), reverse=True
    )
    assert events[0]["detail"]["CommonName"] == "imported.example.com"
    assert events[0]["source"] == "aws.acm" and events[0]["resources"] == [arn]

    # Re-import keeps the ARN and restarts the schedule from the new expiry.
    cert2, key2 = _self_signed("imported.example.com", days=400)
    assert acm.import_certificate(CertificateArn=arn, Certificate=cert2, PrivateKey=key2)["CertificateArn"] == arn
    assert acm.get_certificate(CertificateArn=arn)["Certificate"] == cert2.decode()
    own_server.advance(50 * DAY)
    assert acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED"

    short, short_key = _self_signed("short.example.com", days=60)  # the server clock is 57 days ahead
    short_arn = acm.import_certificate(Certificate=short, PrivateKey=short_key)["CertificateArn"]
    own_server.advance(4 * DAY)
    assert acm.describe_certificate(CertificateArn=short_arn)["Certificate"]["Status"] == "EXPIRED"


def test_import_checks(own_server: ServerProcess) -> None:
    acm = own_server.client("acm")
    cert, _ = _self_signed("a.example.com", days=30)
    _, other_key = _self_signed("b.example.com", days=30)
    for kwargs in (
        {"Certificate": cert, "PrivateKey": other_key},
        {"Certificate": b"not a certificate", "PrivateKey": other_key},
        {"Certificate": cert, "PrivateKey": b"junk"},
    ):
        with pytest.raises(ClientError) as exc:
            acm.import_certificate(**kwargs)
        assert exc.value.response["Error"]["Code"] == "ValidationException"
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert3, key3 = _self_signed("c.example.com", days=30, key=rsa_key)
    encrypted = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
    )
    with pytest.raises(ClientError) as exc:
        acm.import_certificate(Certificate=cert3, PrivateKey=encrypted)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    arn = acm.import_certificate(Certificate=cert3, PrivateKey=key3)["CertificateArn"]
    with pytest.raises(ClientError) as exc:
        acm.export_certificate(CertificateArn=arn, Passphrase=b"passphrase")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_private_keys_are_never_stored_in_plaintext(own_server: ServerProcess) -> None:
    acm = own_server.client("acm")
    cert, key_pem = _self_signed("secret.example.com", days=30)
    acm.import_certificate(Certificate=cert, PrivateKey=key_pem)
    key = serialization.load_pem_private_key(key_pem, password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    arn = acm.request_certificate(
        DomainName="generated.example.com", ValidationMethod="DNS", Options={"Export": "ENABLED"}
    )
    assert arn["CertificateArn"]
    blobs = b"".join(p.read_bytes() for p in own_server.data_dir.rglob("*") if p.is_file() and p.name != "root.key")
    assert b"PRIVATE KEY" not in blobs
    assert der not in blobs and der[-64:] not in blobs
    assert key_pem.split(b"\n")[2] not in blobs


@pytest.mark.skipif(
    importlib.util.find_spec("strongroom.services.acm_pca.provider") is None,
    reason="ACM Private CA (services/acm_pca) has no provider yet in this tree",
)
def test_private_certificate_through_acm_pca(own_server: ServerProcess) -> None:
    pca = own_server.client("acm-pca")
    acm = own_server.client("acm")
    ca_arn = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={
            "KeyAlgorithm": "EC_prime256v1",
            "SigningAlgorithm": "SHA256WITHECDSA",
            "Subject": {"CommonName": "acm test root"},
        },
        CertificateAuthorityType="ROOT",
    )["CertificateAuthorityArn"]
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=ca_arn)["Csr"]
    root_arn = pca.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr.encode(),
        SigningAlgorithm="SHA256WITHECDSA",
        TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
        Validity={"Value": 3650, "Type": "DAYS"},
    )["CertificateArn"]
    root = None
    for _ in range(50):
        try:
            root = pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=root_arn)["Certificate"]
            break
        except ClientError:
            import time

            time.sleep(0.1)
    assert root
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=ca_arn, Certificate=root.encode())
    arn = acm.request_certificate(DomainName="internal.corp.example", CertificateAuthorityArn=ca_arn)["CertificateArn"]
    detail = wait_status(acm, arn, "ISSUED")
    assert detail["Type"] == "PRIVATE" and detail["CertificateAuthorityArn"] == ca_arn
    out = acm.export_certificate(CertificateArn=arn, Passphrase=b"private pass")
    leaf = x509.load_pem_x509_certificate(out["Certificate"].encode())
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(root.encode()))
    serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"private pass")
