"""ACM PCA issuance: root -> subordinate -> end-entity chains that verify, key algorithms, every template."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID as EKU
from cryptography.x509.oid import ExtensionOID
from cryptography.x509.verification import PolicyBuilder, Store

from tests.e2e.pca_support import (
    REVOCATION,
    TEMPLATE,
    issue_leaf,
    leaf_csr,
    load,
    make_root,
    make_sub,
    openssl,
    wait_issued,
    write,
)


@pytest.fixture(scope="module")
def chain(server: Any) -> dict[str, Any]:
    pca = server.client("acm-pca")
    root, root_pem = make_root(pca, revocation=REVOCATION)
    sub, sub_pem = make_sub(pca, root, template="SubordinateCACertificate_PathLen1/V1", revocation=REVOCATION)
    return {"pca": pca, "root": root, "root_pem": root_pem, "sub": sub, "sub_pem": sub_pem}


def test_root_subordinate_leaf_verify_with_openssl_and_cryptography(chain: dict[str, Any], tmp_path: Path) -> None:
    pca = chain["pca"]
    leaf = issue_leaf(pca, chain["sub"], "EndEntityServerAuthCertificate/V1")
    cert = load(leaf["Certificate"])
    assert leaf["CertificateChain"].count("BEGIN CERTIFICATE") == 2  # the subordinate, then the root
    at = str(int((cert.not_valid_before_utc + timedelta(minutes=1)).timestamp()))
    root_file = write(tmp_path, "root.pem", chain["root_pem"])
    untrusted = write(tmp_path, "sub.pem", chain["sub_pem"])
    leaf_file = write(tmp_path, "leaf.pem", leaf["Certificate"])
    result = openssl("verify", "-attime", at, "-CAfile", root_file, "-untrusted", untrusted, leaf_file)
    assert result.returncode == 0 and result.stdout.strip().endswith("OK"), result.stdout + result.stderr
    verifier = (
        PolicyBuilder()
        .store(Store([load(chain["root_pem"])]))
        .time(cert.not_valid_before_utc + timedelta(minutes=1))
        .build_server_verifier(x509.DNSName("svc.example.com"))
    )
    path = verifier.verify(cert, [load(chain["sub_pem"])])
    assert [c.subject for c in path] == [cert.subject, load(chain["sub_pem"]).subject, load(chain["root_pem"]).subject]
    got = pca.get_certificate_authority_certificate(CertificateAuthorityArn=chain["sub"])
    assert got["Certificate"].strip() == chain["sub_pem"].strip()
    assert got["CertificateChain"].strip() == chain["root_pem"].strip()


@pytest.mark.parametrize(
    ("key", "signing", "leaf_signing"),
    [
        ("EC_secp384r1", "SHA384WITHECDSA", "SHA384WITHECDSA"),
        ("RSA_3072", "SHA256WITHRSA_PSS", "SHA512WITHRSA"),
        ("ML_DSA_65", "ML_DSA_65", "ML_DSA_65"),
    ],
)
def test_key_and_signing_algorithms(server: Any, key: str, signing: str, leaf_signing: str) -> None:
    pca = server.client("acm-pca")
    root, root_pem = make_root(pca, key=key, signing=signing)
    leaf = load(issue_leaf(pca, root, signing=leaf_signing)["Certificate"])
    root_cert = load(root_pem)
    leaf.verify_directly_issued_by(root_cert)
    root_cert.verify_directly_issued_by(root_cert)
    described = pca.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]
    assert described["Status"] == "ACTIVE" and described["CertificateAuthorityConfiguration"]["KeyAlgorithm"] == key


DS, KE, KA = "digital_signature", "key_encipherment", "key_agreement"
CA_KU = {DS, "key_cert_sign", "crl_sign"}
EE = {
    "EndEntityCertificate": ({DS, KE}, [EKU.SERVER_AUTH, EKU.CLIENT_AUTH], False),
    "EndEntityClientAuthCertificate": ({DS, KA}, [EKU.CLIENT_AUTH], False),
    "EndEntityServerAuthCertificate": ({DS, KE}, [EKU.SERVER_AUTH], False),
    "CodeSigningCertificate": ({DS}, [EKU.CODE_SIGNING], True),
    "OCSPSigningCertificate": ({DS}, [EKU.OCSP_SIGNING], True),
}


def _expected() -> dict[str, dict[str, Any]]:
    """Template -> what AWS's template definitions put in the certificate."""
    table: dict[str, dict[str, Any]] = {}
    for base, (ku, eku, eku_critical) in EE.items():
        for suffix in ("", "_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"):
            table[f"{base}{suffix}/V1"] = {"ca": False, "ku": ku, "eku": eku, "eku_critical": eku_critical}
    for n in range(4):
        for suffix in ("", "_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"):
            table[f"SubordinateCACertificate_PathLen{n}{suffix}/V1"] = {"ca": True, "path": n, "ku": CA_KU}
        for suffix in ("_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"):
            table[f"BlankSubordinateCACertificate_PathLen{n}{suffix}/V1"] = {"ca": True, "path": n, "ku": CA_KU}
    for name in ("BlankEndEntityCertificate_APIPassthrough/V1", "BlankEndEntityCertificate_APICSRPassthrough/V1"):
        table[name] = {"ca": False, "bc_critical": False, "ku": None, "eku": None}
    for suffix in ("_APIPassthrough", "_APICSRPassthrough", "_CSRPassthrough"):
        table[f"BlankEndEntityCertificate_CriticalBasicConstraints{suffix}/V1"] = {"ca": False, "ku": None, "eku": None}
    return table


def _ku_members(cert: x509.Certificate) -> set[str]:
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical
    names = ["digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement"]
    names += ["key_cert_sign", "crl_sign"]
    return {n for n in names if getattr(ku.value, n)}


def test_every_template_yields_its_extensions(chain: dict[str, Any]) -> None:
    pca, root = chain["pca"], chain["root"]
    table = _expected()
    email = x509.SubjectAlternativeName([x509.RFC822Name("ops@example.com")])
    csr, _ = leaf_csr("t.example.com", ["t.example.com"], [x509.OCSPNoCheck(), email][:1])
    issued = {}
    for name in table:
        issued[name] = pca.issue_certificate(
            CertificateAuthorityArn=root,
            Csr=csr,
            SigningAlgorithm="SHA256WITHRSA",
            TemplateArn=TEMPLATE + name,
            Validity={"Value": 7, "Type": "DAYS"},
        )["CertificateArn"]
    for name, expect in table.items():
        cert = load(wait_issued(pca, root, issued[name])["Certificate"])
        ext = cert.extensions
        bc = ext.get_extension_for_class(x509.BasicConstraints)
        assert bc.value.ca is expect["ca"], name
        assert bc.critical is expect.get("bc_critical", True), name
        if expect["ca"]:
            assert bc.value.path_length == expect["path"], name
        if expect["ku"] is None:
            with pytest.raises(x509.ExtensionNotFound):
                ext.get_extension_for_class(x509.KeyUsage)
        else:
            assert _ku_members(cert) == expect["ku"], name
        if expect.get("eku"):
            eku = ext.get_extension_for_class(x509.ExtendedKeyUsage)
            assert list(eku.value) == expect["eku"], name
            assert eku.critical is expect["eku_critical"], name
        elif not expect["ca"] and expect.get("eku", 1) is None:
            with pytest.raises(x509.ExtensionNotFound):
                ext.get_extension_for_class(x509.ExtendedKeyUsage)
        for cls in (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier, x509.CRLDistributionPoints):
            ext.get_extension_for_class(cls)
        ext.get_extension_for_class(x509.AuthorityInformationAccess)
        copied = "CSRPassthrough" in name
        oids = {e.oid for e in ext}
        assert (ExtensionOID.OCSP_NO_CHECK in oids) is copied, name
        if not expect["ca"]:
            # end-entity templates carry the CSR's SANs (base ones copy just the SAN extension)
            sans = ext.get_extension_for_class(x509.SubjectAlternativeName).value
            assert sans.get_values_for_type(x509.DNSName) == ["t.example.com"], name


def test_api_passthrough_sets_subject_and_extensions(chain: dict[str, Any]) -> None:
    pca, root = chain["pca"], chain["root"]
    custom = base64.b64encode(b"\x04\x03abc").decode()
    api = {
        "Subject": {"CommonName": "from-api", "Organization": "Ops", "Country": "DE"},
        "Extensions": {
            "KeyUsage": {"DigitalSignature": True, "NonRepudiation": True},
            "ExtendedKeyUsage": [
                {"ExtendedKeyUsageType": "CLIENT_AUTH"},
                {"ExtendedKeyUsageType": "SMART_CARD_LOGIN"},
                {"ExtendedKeyUsageObjectIdentifier": "1.3.6.1.4.1.99999.1"},
            ],
            "SubjectAlternativeNames": [
                {"DnsName": "api.example.com"},
                {"IpAddress": "10.0.0.1"},
                {"Rfc822Name": "a@example.com"},
                {"UniformResourceIdentifier": "spiffe://example.org/x"},
            ],
            "CertificatePolicies": [
                {
                    "CertPolicyId": "2.23.140.1.2.1",
                    "PolicyQualifiers": [{"PolicyQualifierId": "CPS", "Qualifier": {"CpsUri": "https://cps.example"}}],
                }
            ],
            "CustomExtensions": [{"ObjectIdentifier": "1.3.6.1.4.1.99999.2", "Value": custom, "Critical": False}],
        },
    }
    got = issue_leaf(pca, root, "BlankEndEntityCertificate_APIPassthrough/V1", "SHA256WITHRSA", ApiPassthrough=api)
    cert = load(got["Certificate"])
    assert cert.subject.rfc4514_string() == "CN=from-api,O=Ops,C=DE"
    assert _ku_members(cert) == {"digital_signature", "content_commitment"}
    eku = list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert eku == [EKU.CLIENT_AUTH, EKU.SMARTCARD_LOGON, x509.ObjectIdentifier("1.3.6.1.4.1.99999.1")]
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["api.example.com"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    policy = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value[0]
    assert policy.policy_identifier.dotted_string == "2.23.140.1.2.1"
    assert policy.policy_qualifiers == ["https://cps.example"]
    raw = cert.extensions.get_extension_for_oid(x509.ObjectIdentifier("1.3.6.1.4.1.99999.2")).value
    assert raw.value == b"\x04\x03abc"  # type: ignore[attr-defined]
    # a template that defines Key Usage keeps its own over the API's (template order of operations)
    fixed = load(
        issue_leaf(pca, root, "EndEntityServerAuthCertificate_APIPassthrough/V1", "SHA256WITHRSA", ApiPassthrough=api)[
            "Certificate"
        ]
    )
    assert _ku_members(fixed) == {"digital_signature", "key_encipherment"}
    assert fixed.subject.rfc4514_string() == "CN=from-api,O=Ops,C=DE"


def test_validity_types(chain: dict[str, Any]) -> None:
    pca, root = chain["pca"], chain["root"]
    now = load(issue_leaf(pca, root, signing="SHA256WITHRSA")["Certificate"]).not_valid_before_utc
    months = load(
        issue_leaf(pca, root, signing="SHA256WITHRSA", Validity={"Value": 2, "Type": "MONTHS"})["Certificate"]
    )
    assert 58 <= (months.not_valid_after_utc - months.not_valid_before_utc).days <= 62
    end = (now + timedelta(days=3)).replace(microsecond=0)
    absolute = int(end.timestamp())
    got = load(
        issue_leaf(pca, root, signing="SHA256WITHRSA", Validity={"Value": absolute, "Type": "ABSOLUTE"})["Certificate"]
    )
    assert got.not_valid_after_utc == end
    stamp = int(end.strftime("%Y%m%d%H%M%S"))
    start = int((now + timedelta(days=1)).strftime("%Y%m%d%H%M%S"))
    got = load(
        issue_leaf(
            pca,
            root,
            signing="SHA256WITHRSA",
            Validity={"Value": stamp, "Type": "END_DATE"},
            ValidityNotBefore={"Value": start, "Type": "END_DATE"},
        )["Certificate"]
    )
    assert got.not_valid_after_utc == end
    assert got.not_valid_before_utc.strftime("%Y%m%d%H%M%S") == str(start)
    with pytest.raises(pca.exceptions.ClientError) as err:
        issue_leaf(pca, root, signing="SHA256WITHRSA", Validity={"Value": 50, "Type": "YEARS"})
    assert err.value.response["Error"]["Code"] == "ValidationException"
