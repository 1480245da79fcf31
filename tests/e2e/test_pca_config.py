"""ACM PCA settings from strongroom.toml: public base URL for CRL/OCSP links, CRL directory, issuance delay."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from tests.e2e.pca_support import REVOCATION, create_ca, leaf_csr, load, wait_issued


def test_configured_urls_directory_and_issue_delay(make_server: Any, tmp_path: Path) -> None:
    srv = make_server("--test-mode")
    crl_dir = tmp_path / "published-crls"
    (srv.data_dir / "strongroom.toml").write_text(
        f'pca_public_base_url = "https://pki.example.net/"\npca_crl_dir = "{crl_dir}"\npca_issue_delay_seconds = 30\n'
    )
    srv.start()
    pca = srv.client("acm-pca")
    root = create_ca(pca, "ROOT", "configured", RevocationConfiguration=REVOCATION)
    csr, _ = leaf_csr("late.example.com")
    own = pca.issue_certificate(
        CertificateAuthorityArn=root,
        Csr=pca.get_certificate_authority_csr(CertificateAuthorityArn=root)["Csr"].encode(),
        SigningAlgorithm="SHA256WITHRSA",
        TemplateArn="arn:aws:acm-pca:::template/RootCACertificate/V1",
        Validity={"Value": 1, "Type": "YEARS"},
    )["CertificateArn"]
    with pytest.raises(ClientError) as err:
        pca.get_certificate(CertificateAuthorityArn=root, CertificateArn=own)
    assert err.value.response["Error"]["Code"] == "RequestInProgressException"
    srv.advance(31)
    pem = wait_issued(pca, root, own)["Certificate"]
    pca.import_certificate_authority_certificate(CertificateAuthorityArn=root, Certificate=pem.encode())
    leaf_arn = pca.issue_certificate(
        CertificateAuthorityArn=root, Csr=csr, SigningAlgorithm="SHA256WITHRSA", Validity={"Value": 1, "Type": "DAYS"}
    )["CertificateArn"]
    srv.advance(31)
    leaf = load(wait_issued(pca, root, leaf_arn)["Certificate"])
    points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    ca_id = root.rsplit("/", 1)[1]
    assert points[0].full_name[0].value == f"https://pki.example.net/_strongroom/pca/crl/{ca_id}.crl"
    aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "https://pki.example.net/_strongroom/pca/ocsp"
    assert list(crl_dir.glob(f"*/crl/{ca_id}.crl"))
