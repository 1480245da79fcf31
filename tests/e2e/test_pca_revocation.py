"""Revocation: the CRL (served over HTTP and written to disk) and the OCSP responder, checked with openssl."""

from __future__ import annotations

import base64
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import urllib3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from tests.e2e.pca_support import REVOCATION, issue_leaf, load, make_root, make_sub, openssl, write


def _crl_url(cert: x509.Certificate) -> str:
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return str(points[0].full_name[0].value)


def _ocsp_url(cert: x509.Certificate) -> str:
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    return str(aia[0].access_location.value)


@pytest.fixture(scope="module")
def pki(server: Any) -> dict[str, Any]:
    pca = server.client("acm-pca")
    root, root_pem = make_root(pca, revocation=REVOCATION)
    sub, sub_pem = make_sub(pca, root, revocation=REVOCATION)
    good = issue_leaf(pca, sub)
    bad = issue_leaf(pca, sub)
    serial = load(bad["Certificate"]).serial_number
    colon = ":".join(f"{serial:032x}"[i : i + 2] for i in range(0, 32, 2))
    pca.revoke_certificate(CertificateAuthorityArn=sub, CertificateSerial=colon, RevocationReason="KEY_COMPROMISE")
    return {"pca": pca, "root": root, "root_pem": root_pem, "sub": sub, "sub_pem": sub_pem, "good": good, "bad": bad}


def test_revoked_certificate_is_in_the_next_crl(pki: dict[str, Any], server: Any, tmp_path: Path) -> None:
    bad, good = load(pki["bad"]["Certificate"]), load(pki["good"]["Certificate"])
    url = _crl_url(bad)
    assert url.startswith(server.endpoint + "/_strongroom/pca/crl/")
    resp = urllib3.PoolManager().request("GET", url)
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/pkix-crl"
    crl = x509.load_der_x509_crl(resp.data)
    assert crl.is_signature_valid(load(pki["sub_pem"]).public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(bad.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(good.serial_number) is None
    # the same DER is published to the CRL directory, under the key AWS writes to the bucket
    ca_id = pki["sub"].rsplit("/", 1)[1]
    files = list(server.data_dir.glob(f"pca/crl/*/crl/{ca_id}.crl"))
    assert len(files) == 1 and files[0].read_bytes() == resp.data
    # openssl: the chain with the CRL fails for the revoked certificate and passes for the good one
    at = str(int((bad.not_valid_before_utc + timedelta(minutes=1)).timestamp()))
    crl_pem = crl.public_bytes(serialization.Encoding.PEM).decode()
    cafile = write(tmp_path, "ca.pem", pki["root_pem"] + pki["sub_pem"])
    crlfile = write(tmp_path, "crl.pem", crl_pem)
    args = ["verify", "-attime", at, "-crl_check", "-CAfile", cafile, "-CRLfile", crlfile]
    revoked = openssl(*args, write(tmp_path, "bad.pem", pki["bad"]["Certificate"]))
    assert revoked.returncode != 0 and "revoked" in (revoked.stdout + revoked.stderr)
    ok = openssl(*args, write(tmp_path, "good.pem", pki["good"]["Certificate"]))
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_revoking_twice_or_unknown_serial(pki: dict[str, Any]) -> None:
    pca = pki["pca"]
    serial = f"{load(pki['bad']['Certificate']).serial_number:x}"
    with pytest.raises(pca.exceptions.RequestAlreadyProcessedException):
        pca.revoke_certificate(
            CertificateAuthorityArn=pki["sub"], CertificateSerial=serial, RevocationReason="SUPERSEDED"
        )
    with pytest.raises(pca.exceptions.ResourceNotFoundException):
        pca.revoke_certificate(
            CertificateAuthorityArn=pki["sub"], CertificateSerial="0badc0de", RevocationReason="SUPERSEDED"
        )


def _openssl_ocsp(pki: dict[str, Any], tmp_path: Path, which: str) -> str:
    cert = load(pki[which]["Certificate"])
    result = openssl(
        "ocsp",
        "-issuer",
        write(tmp_path, "issuer.pem", pki["sub_pem"]),
        "-cert",
        write(tmp_path, f"{which}.pem", pki[which]["Certificate"]),
        "-url",
        _ocsp_url(cert),
        "-CAfile",
        write(tmp_path, "ca.pem", pki["root_pem"] + pki["sub_pem"]),
        "-validity_period",
        str(10 * 365 * 86400),
    )
    assert "Response verify OK" in result.stdout + result.stderr, result.stdout + result.stderr
    return result.stdout


def test_openssl_ocsp_answers_revoked_and_good(pki: dict[str, Any], tmp_path: Path) -> None:
    assert ": revoked" in _openssl_ocsp(pki, tmp_path, "bad")
    assert "Reason: keyCompromise" in _openssl_ocsp(pki, tmp_path, "bad")
    assert ": good" in _openssl_ocsp(pki, tmp_path, "good")


def test_ocsp_get_form_and_unknown_serial(pki: dict[str, Any], server: Any) -> None:
    issuer = load(pki["sub_pem"])
    good = load(pki["good"]["Certificate"])
    request = ocsp.OCSPRequestBuilder().add_certificate(good, issuer, hashes.SHA256()).build()
    encoded = urllib.parse.quote(base64.b64encode(request.public_bytes(serialization.Encoding.DER)).decode(), safe="")
    resp = urllib3.PoolManager().request("GET", f"{_ocsp_url(good)}/{encoded}")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/ocsp-response"
    answer = ocsp.load_der_ocsp_response(resp.data)
    assert answer.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
    assert answer.certificate_status == ocsp.OCSPCertStatus.GOOD and answer.serial_number == good.serial_number
    unknown = (
        ocsp.OCSPRequestBuilder()
        .add_certificate_by_hash(answer.issuer_name_hash, answer.issuer_key_hash, 12345, hashes.SHA256())
        .build()
    )
    resp = urllib3.PoolManager().request(
        "POST",
        _ocsp_url(good),
        body=unknown.public_bytes(serialization.Encoding.DER),
        headers={"Content-Type": "application/ocsp-request"},
    )
    assert ocsp.load_der_ocsp_response(resp.data).certificate_status == ocsp.OCSPCertStatus.UNKNOWN
    garbage = urllib3.PoolManager().request("POST", _ocsp_url(good), body=b"nonsense")
    assert ocsp.load_der_ocsp_response(garbage.data).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_crl_is_regenerated_before_it_expires(pki: dict[str, Any], server: Any) -> None:
    url = _crl_url(load(pki["good"]["Certificate"]))
    before = x509.load_der_x509_crl(urllib3.PoolManager().request("GET", url).data)
    server.advance(4 * 86400)  # past half of the 7-day CRL validity: the scheduler signs a fresh one
    after = x509.load_der_x509_crl(urllib3.PoolManager().request("GET", url).data)
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert after.next_update_utc is not None and after.next_update_utc > before.next_update_utc  # type: ignore[operator]
    assert after.get_revoked_certificate_by_serial_number(load(pki["bad"]["Certificate"]).serial_number) is not None
