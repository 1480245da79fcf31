"""ACM's API against the shared server (both backends): internal-CA issuance after EMAIL approval, export,
listing, search, tags, account configuration and AWS's error codes."""

from __future__ import annotations

from typing import Any

import botocore.config
import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.e2e.acm_support import wait_status
from tests.e2e.events_support import unique
from tests.support.errors import code_of as _code
from tests.support.server import ServerProcess, strongroom

NO_VALIDATION = botocore.config.Config(parameter_validation=False)


def _approve(server: ServerProcess, arn: str, domain: str) -> None:
    args = ["acm", "approve", "--data-dir", str(server.data_dir), "--certificate-arn", arn, "--domain", domain]
    if server.database_url:
        args += ["--database-url", server.database_url]
    assert "approved" in strongroom(*args).stdout


@pytest.fixture
def issued(server: ServerProcess) -> tuple[Any, str, str]:
    """An EMAIL-validated, exportable certificate issued by the internal CA."""
    acm = server.client("acm")
    domain = f"{unique('mail')}.example.com"
    arn = acm.request_certificate(
        DomainName=domain,
        SubjectAlternativeNames=[f"www.{domain}"],
        ValidationMethod="EMAIL",
        Options={"Export": "ENABLED"},
        Tags=[{"Key": "team", "Value": "sec"}],
    )["CertificateArn"]
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Status"] == "PENDING_VALIDATION"
    emails = detail["DomainValidationOptions"][0]["ValidationEmails"]
    assert f"admin@{domain}" in emails and f"webmaster@{domain}" in emails
    _approve(server, arn, domain)
    _approve(server, arn, f"www.{domain}")
    wait_status(acm, arn, "ISSUED")
    return acm, arn, domain


def test_email_validated_certificate_is_issued_by_the_internal_ca(issued: tuple[Any, str, str]) -> None:
    acm, arn, domain = issued
    detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert detail["Type"] == "AMAZON_ISSUED"
    assert detail["Subject"] == f"CN={domain}"
    assert detail["KeyAlgorithm"] == "RSA-2048"  # AWS spells it with a hyphen here (the model: RSA_2048)
    assert detail["RenewalEligibility"] == "ELIGIBLE"
    assert detail["Options"] == {"CertificateTransparencyLoggingPreference": "ENABLED", "Export": "ENABLED"}
    assert {e["Name"] for e in detail["ExtendedKeyUsages"]} == {
        "TLS_WEB_SERVER_AUTHENTICATION",
        "TLS_WEB_CLIENT_AUTHENTICATION",
    }
    assert {"DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"} <= {k["Name"] for k in detail["KeyUsages"]}
    got = acm.get_certificate(CertificateArn=arn)
    leaf = x509.load_pem_x509_certificate(got["Certificate"].encode())
    ca = x509.load_pem_x509_certificate(got["CertificateChain"].encode())
    leaf.verify_directly_issued_by(ca)
    assert "not publicly trusted" in ca.subject.rfc4514_string()


def test_export_encrypts_the_key_with_the_passphrase(issued: tuple[Any, str, str]) -> None:
    acm, arn, _ = issued
    out = acm.export_certificate(CertificateArn=arn, Passphrase=b"correct horse")
    assert "ENCRYPTED PRIVATE KEY" in out["PrivateKey"]
    with pytest.raises((TypeError, ValueError)):
        serialization.load_pem_private_key(out["PrivateKey"].encode(), password=None)
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"wrong passphrase")
    key = serialization.load_pem_private_key(out["PrivateKey"].encode(), password=b"correct horse")
    cert = x509.load_pem_x509_certificate(out["Certificate"].encode())
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(serialization.Encoding.DER, spki) == cert.public_key().public_bytes(
        serialization.Encoding.DER, spki
    )
    summary = next(
        s
        for s in acm.list_certificates(CertificateStatuses=["ISSUED"])["CertificateSummaryList"]
        if s["CertificateArn"] == arn
    )
    assert summary["Exported"] is True


def test_list_search_and_tags(issued: tuple[Any, str, str], server: ServerProcess) -> None:
    acm, arn, domain = issued
    ec_arn = acm.request_certificate(DomainName=f"ec.{domain}", ValidationMethod="DNS", KeyAlgorithm="EC_prime256v1")[
        "CertificateArn"
    ]
    default = {s["CertificateArn"] for s in acm.list_certificates()["CertificateSummaryList"]}
    assert arn in default and ec_arn not in default  # AWS lists only RSA_1024/RSA_2048 unless asked
    with_ec = acm.list_certificates(Includes={"keyTypes": ["EC_prime256v1"]})["CertificateSummaryList"]
    assert [s["CertificateArn"] for s in with_ec if s["CertificateArn"] in (arn, ec_arn)] == [ec_arn]
    pending = acm.list_certificates(
        CertificateStatuses=["PENDING_VALIDATION"], Includes={"keyTypes": ["EC_prime256v1"]}
    )
    assert ec_arn in {s["CertificateArn"] for s in pending["CertificateSummaryList"]}
    page = acm.list_certificates(MaxItems=1)
    assert len(page["CertificateSummaryList"]) == 1 and "NextToken" in page

    found = acm.search_certificates(
        FilterStatement={
            "And": [
                {
                    "Filter": {
                        "X509AttributeFilter": {
                            "Subject": {"CommonName": {"Value": domain, "ComparisonOperator": "EQUALS"}}
                        }
                    }
                },
                {"Filter": {"AcmCertificateMetadataFilter": {"Status": "ISSUED"}}},
            ]
        }
    )["Results"]
    assert [r["CertificateArn"] for r in found] == [arn]
    assert found[0]["X509Attributes"]["Subject"]["CommonName"] == domain

    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "team", "Value": "sec"}]
    acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "env", "Value": "prod"}])
    acm.remove_tags_from_certificate(CertificateArn=arn, Tags=[{"Key": "team"}])
    assert acm.list_tags_for_certificate(CertificateArn=arn)["Tags"] == [{"Key": "env", "Value": "prod"}]
    with pytest.raises(ClientError) as exc:
        acm.add_tags_to_certificate(CertificateArn=arn, Tags=[{"Key": "aws:owner", "Value": "x"}])
    assert _code(exc) == "InvalidTagException"
    acm.delete_certificate(CertificateArn=ec_arn)
    with pytest.raises(ClientError) as exc:
        acm.describe_certificate(CertificateArn=ec_arn)
    assert _code(exc) == "ResourceNotFoundException"


def test_account_configuration_and_options(server: ServerProcess) -> None:
    acm = server.client("acm", region="eu-west-1")
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 45
    acm.put_account_configuration(
        ExpiryEvents={"DaysBeforeExpiry": 30}, IdempotencyToken=unique("t").replace("-", "")[:30]
    )
    assert acm.get_account_configuration()["ExpiryEvents"]["DaysBeforeExpiry"] == 30
    arn = acm.request_certificate(DomainName=f"{unique('opt')}.example.com", ValidationMethod="DNS")["CertificateArn"]
    acm.update_certificate_options(CertificateArn=arn, Options={"CertificateTransparencyLoggingPreference": "DISABLED"})
    options = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Options"]
    assert options["CertificateTransparencyLoggingPreference"] == "DISABLED"


def test_errors(server: ServerProcess) -> None:
    acm = server.client("acm")
    raw = server.client("acm", config=NO_VALIDATION)
    account = server.client("sts").get_caller_identity()["Account"]
    missing = f"arn:aws:acm:us-east-1:{account}:certificate/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as exc:
        acm.describe_certificate(CertificateArn=missing)
    assert _code(exc) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:  # another account's certificate: refused, whether or not it exists
        acm.describe_certificate(CertificateArn=missing.replace(f":{account}:", f":{'1' * 12}:"))
    assert _code(exc) == "AccessDeniedException"
    with pytest.raises(ClientError) as exc:
        raw.describe_certificate(CertificateArn="not-an-arn-at-all-really")
    assert _code(exc) in ("ValidationException", "InvalidArnException")
    with pytest.raises(ClientError) as exc:
        acm.request_certificate(DomainName="example.com", ValidationMethod="DNS", KeyAlgorithm="RSA_4096")
    assert _code(exc) == "InvalidParameterException"
    arn = acm.request_certificate(DomainName=f"{unique('err')}.example.com", ValidationMethod="DNS")["CertificateArn"]
    with pytest.raises(ClientError) as exc:
        acm.get_certificate(CertificateArn=arn)
    assert _code(exc) == "RequestInProgressException"
    with pytest.raises(ClientError) as exc:
        acm.export_certificate(CertificateArn=arn, Passphrase=b"passphrase")
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        acm.renew_certificate(CertificateArn=arn)
    assert _code(exc) == "ValidationException"
    with pytest.raises(ClientError) as exc:
        acm.resend_validation_email(CertificateArn=arn, Domain="example.com", ValidationDomain="example.com")
    assert _code(exc) == "InvalidStateException"
    with pytest.raises(ClientError) as exc:
        acm.request_certificate(
            DomainName=f"{unique('dvo')}.example.com",
            ValidationMethod="EMAIL",
            DomainValidationOptions=[{"DomainName": "other.example.org", "ValidationDomain": "example.org"}],
        )
    assert _code(exc) == "InvalidDomainValidationOptionsException"
    token = unique("idem").replace("-", "")[:30]
    first = acm.request_certificate(DomainName="idem.example.com", ValidationMethod="DNS", IdempotencyToken=token)
    again = acm.request_certificate(DomainName="idem.example.com", ValidationMethod="DNS", IdempotencyToken=token)
    assert first["CertificateArn"] == again["CertificateArn"]
