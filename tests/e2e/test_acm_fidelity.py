"""DescribeCertificate and ListCertificates field by field against AWS's recorded answers.

The expected shapes come from real AWS output: a requested certificate while PENDING_VALIDATION (Subject,
SignatureAlgorithm and Issuer -- those of the certificate it will get -- and CreatedAt already set; no Serial,
validity or IssuedAt), ``KeyAlgorithm`` spelled ``RSA-2048`` / ``EC-prime256v1`` by these two operations, and an
imported certificate with both CreatedAt and ImportedAt, its names as DomainValidationOptions, certificate
transparency logging DISABLED, and in the list ``KeyUsages: ["ANY"]`` / ``ExtendedKeyUsages: ["NONE"]`` when the
certificate has neither extension.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.acm_support import wait_status
from tests.e2e.events_support import unique
from tests.support.server import ServerProcess, strongroom

NOT_YET = ("Serial", "NotBefore", "NotAfter", "IssuedAt", "ImportedAt", "RevokedAt", "FailureReason")


def _summary(acm: Any, arn: str, **kwargs: Any) -> dict[str, Any]:
    listed = acm.list_certificates(**kwargs)["CertificateSummaryList"]
    return next(s for s in listed if s["CertificateArn"] == arn)


def _self_signed(cn: str) -> tuple[bytes, bytes]:
    """An EC certificate with a SAN and no key usage extensions (as openssl's default self-signed one)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn), x509.DNSName(f"www.{cn}")]), False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def test_pending_requested_certificate_is_described_as_aws_does(server: ServerProcess) -> None:
    acm = server.client("acm")
    domain = f"{unique('pending')}.example.com"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION"
    assert detail["KeyAlgorithm"] == "RSA-2048"
    assert detail["Subject"] == f"CN={domain}"
    assert detail["SignatureAlgorithm"] == "SHA384WITHECDSA"  # the internal issuing CA's (ECDSA P-384)
    assert detail["Issuer"] == "Strongroom"
    assert isinstance(detail["CreatedAt"], datetime)
    assert detail["KeyUsages"] == [] and detail["ExtendedKeyUsages"] == [] and detail["InUseBy"] == []
    assert detail["RenewalEligibility"] == "INELIGIBLE"
    assert detail["Type"] == "AMAZON_ISSUED"
    assert detail["Options"]["CertificateTransparencyLoggingPreference"] == "ENABLED"
    assert not set(NOT_YET) & set(detail)
    (option,) = detail["DomainValidationOptions"]
    assert option["ValidationStatus"] == "PENDING_VALIDATION" and option["ResourceRecord"]["Type"] == "CNAME"

    summary = _summary(acm, arn, CertificateStatuses=["PENDING_VALIDATION"])
    assert summary["KeyAlgorithm"] == "RSA-2048"
    assert summary["KeyUsages"] == [] and summary["ExtendedKeyUsages"] == []
    assert summary["InUse"] is False and summary["RenewalEligibility"] == "INELIGIBLE"
    assert "CreatedAt" in summary and not set(NOT_YET) & set(summary)
    assert "Exported" not in summary  # a public certificate requested without Export cannot be exported


def test_what_a_pending_certificate_reports_is_what_it_is_issued_with(server: ServerProcess) -> None:
    acm = server.client("acm")
    domain = f"{unique('same')}.example.com"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="EMAIL")["CertificateArn"]
    pending = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    args = ["acm", "approve", "--data-dir", str(server.data_dir), "--certificate-arn", arn, "--domain", domain]
    strongroom(*args, *(["--database-url", server.database_url] if server.database_url else []))
    issued = wait_status(acm, arn, "ISSUED")
    for field in ("Subject", "Issuer", "SignatureAlgorithm", "KeyAlgorithm", "CreatedAt"):
        assert pending[field] == issued[field], field
    assert {"Serial", "NotBefore", "NotAfter", "IssuedAt"} <= set(issued)


def test_ec_certificate_key_and_signature_algorithms(server: ServerProcess) -> None:
    acm = server.client("acm")
    domain = f"{unique('ec')}.example.com"
    arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", KeyAlgorithm="EC_secp384r1")[
        "CertificateArn"
    ]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["KeyAlgorithm"] == "EC-secp384r1"
    assert detail["SignatureAlgorithm"] == "SHA384WITHECDSA"
    # The filter still takes the model's spelling; the listed value is AWS's hyphenated one.
    summary = _summary(acm, arn, Includes={"keyTypes": ["EC_secp384r1"]})
    assert summary["KeyAlgorithm"] == "EC-secp384r1"
    assert arn not in {s["CertificateArn"] for s in acm.list_certificates()["CertificateSummaryList"]}


def test_the_hyphenated_spelling_is_not_accepted_as_input(server: ServerProcess) -> None:
    acm = server.client("acm")
    with pytest.raises(ClientError) as exc:
        acm.list_certificates(Includes={"keyTypes": ["RSA-2048"]})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        acm.request_certificate(DomainName="bad-spelling.example.com", KeyAlgorithm="RSA-2048")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_imported_certificate_is_described_and_listed_as_aws_does(server: ServerProcess) -> None:
    acm = server.client("acm")
    domain = f"{unique('imported')}.example.com"
    cert, key = _self_signed(domain)
    arn = acm.import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "IMPORTED" and detail["Status"] == "ISSUED"
    assert isinstance(detail["CreatedAt"], datetime) and isinstance(detail["ImportedAt"], datetime)
    assert "IssuedAt" not in detail
    assert detail["KeyAlgorithm"] == "EC-prime256v1"
    assert detail["DomainValidationOptions"] == [{"DomainName": domain}, {"DomainName": f"www.{domain}"}]
    assert detail["Options"]["CertificateTransparencyLoggingPreference"] == "DISABLED"
    assert detail["Subject"] == f"CN={domain}" and detail["Serial"] and detail["NotAfter"] > detail["NotBefore"]

    summary = _summary(acm, arn, Includes={"keyTypes": ["EC_prime256v1"]})
    assert summary["KeyAlgorithm"] == "EC-prime256v1"
    assert summary["KeyUsages"] == ["ANY"] and summary["ExtendedKeyUsages"] == ["NONE"]
    assert {"CreatedAt", "ImportedAt", "NotBefore", "NotAfter"} <= set(summary)
    assert "IssuedAt" not in summary and "Exported" not in summary
    assert summary["SubjectAlternativeNameSummaries"] == [domain, f"www.{domain}"]
    assert summary["HasAdditionalSubjectAlternativeNames"] is False

    def listed(**includes: Any) -> set[str]:
        out = acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"], **includes})
        return {s["CertificateArn"] for s in out["CertificateSummaryList"]}

    assert arn in listed(extendedKeyUsage=["NONE"])  # the filter's NONE value finds it, as the summary says
    assert arn not in listed(extendedKeyUsage=["TLS_WEB_SERVER_AUTHENTICATION"])
    assert arn not in listed(keyUsage=["DIGITAL_SIGNATURE"])

    # SearchCertificates keeps the model's spelling and the certificate's own (empty) usages.
    found = acm.search_certificates(FilterStatement={"Filter": {"CertificateArn": arn}})["Results"]
    assert found[0]["X509Attributes"]["KeyAlgorithm"] == "EC_prime256v1"
    assert found[0]["X509Attributes"]["KeyUsages"] == []
    assert "CreatedAt" in found[0]["CertificateMetadata"]["AcmCertificateMetadata"]
