"""Helpers the ACM PCA tests share: build root -> subordinate -> end-entity chains through the real API."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any

from botocore.config import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

TEMPLATE = "arn:aws:acm-pca:::template/"
FAST_WAIT = {"Delay": 0.2, "MaxAttempts": 100}
NO_CHECKS = Config(parameter_validation=False)
REVOCATION = {"CrlConfiguration": {"Enabled": True, "ExpirationInDays": 7}, "OcspConfiguration": {"Enabled": True}}


def subject(cn: str) -> dict[str, str]:
    return {"Country": "US", "Organization": "Strongroom Tests", "CommonName": cn}


def wait_issued(pca: Any, ca_arn: str, cert_arn: str) -> dict[str, Any]:
    pca.get_waiter("certificate_issued").wait(
        CertificateAuthorityArn=ca_arn, CertificateArn=cert_arn, WaiterConfig=FAST_WAIT
    )
    return dict(pca.get_certificate(CertificateAuthorityArn=ca_arn, CertificateArn=cert_arn))


def create_ca(pca: Any, ca_type: str, cn: str, key: str = "RSA_2048", signing: str = "SHA256WITHRSA", **kw: Any) -> str:
    out = pca.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": key, "SigningAlgorithm": signing, "Subject": subject(cn)},
        CertificateAuthorityType=ca_type,
        **kw,
    )
    return str(out["CertificateAuthorityArn"])


def make_root(
    pca: Any, key: str = "RSA_2048", signing: str = "SHA256WITHRSA", revocation: dict[str, Any] | None = None
) -> tuple[str, str]:
    """A ROOT CA that signed its own certificate (RootCACertificate/V1) and imported it: (arn, cert PEM)."""
    kw = {"RevocationConfiguration": revocation} if revocation else {}
    arn = create_ca(pca, "ROOT", f"root-{uuid.uuid4().hex[:8]}", key, signing, **kw)
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    issued = pca.issue_certificate(
        CertificateAuthorityArn=arn,
        Csr=csr.encode(),
        SigningAlgorithm=signing,
        TemplateArn=TEMPLATE + "RootCACertificate/V1",
        Validity={"Value": 10, "Type": "YEARS"},
    )
    cert = wait_issued(pca, arn, issued["CertificateArn"])["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=arn, Certificate=cert.encode())
    return arn, cert


def make_sub(
    pca: Any,
    parent: str,
    template: str = "SubordinateCACertificate_PathLen0/V1",
    key: str = "EC_prime256v1",
    signing: str = "SHA256WITHECDSA",
    revocation: dict[str, Any] | None = None,
    parent_signing: str = "SHA256WITHRSA",
) -> tuple[str, str]:
    kw = {"RevocationConfiguration": revocation} if revocation else {}
    arn = create_ca(pca, "SUBORDINATE", f"sub-{uuid.uuid4().hex[:8]}", key, signing, **kw)
    csr = pca.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]
    issued = pca.issue_certificate(
        CertificateAuthorityArn=parent,
        Csr=csr.encode(),
        SigningAlgorithm=parent_signing,
        TemplateArn=TEMPLATE + template,
        Validity={"Value": 5, "Type": "YEARS"},
    )
    got = wait_issued(pca, parent, issued["CertificateArn"])
    pca.import_certificate_authority_certificate(
        CertificateAuthorityArn=arn,
        Certificate=got["Certificate"].encode(),
        CertificateChain=got["CertificateChain"].encode(),
    )
    return arn, got["Certificate"]


def leaf_csr(cn: str, sans: list[str] | None = None, extensions: list[Any] | None = None) -> tuple[bytes, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    for ext in extensions or []:
        builder = builder.add_extension(ext, critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM), key


def issue_leaf(
    pca: Any,
    ca_arn: str,
    template: str = "EndEntityCertificate/V1",
    signing: str = "SHA256WITHECDSA",
    csr: bytes | None = None,
    **kw: Any,
) -> dict[str, Any]:
    csr = csr or leaf_csr("svc.example.com", ["svc.example.com"])[0]
    issued = pca.issue_certificate(
        CertificateAuthorityArn=ca_arn,
        Csr=csr,
        SigningAlgorithm=signing,
        TemplateArn=TEMPLATE + template,
        Validity=kw.pop("Validity", {"Value": 30, "Type": "DAYS"}),
        **kw,
    )
    got = wait_issued(pca, ca_arn, issued["CertificateArn"])
    got["CertificateArn"] = issued["CertificateArn"]
    return got


def load(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def write(tmp: Path, name: str, text: str | bytes) -> str:
    path = tmp / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


def openssl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60, check=False)
