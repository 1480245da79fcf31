"""API Gateway custom domain names served over TLS (``strongroom server --tls``): SNI picks the domain's ACM
certificate and PCA chain, its security policy, mutual TLS against a truststore in S3, and the server's own
certificate for every other name; and one API answering through its custom domain over TLS.

Runs on each test backend (SQLite, PostgreSQL): the listener reads the domain and certificate tables from the
event loop during handshakes.
"""

from __future__ import annotations

import datetime
import json
import shutil
import socket
import ssl
import subprocess
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import database_url_for
from tests.e2e.acm_support import wait_status
from tests.e2e.pca_support import make_root, make_sub
from tests.support.server import tls_server

API = "api.example.test"
LEGACY = "legacy.example.test"
MTLS = "mtls.example.test"
BROKEN = "broken.example.test"
WILD = "*.wild.example.test"
NAMES = [API, LEGACY, MTLS, BROKEN, WILD]


@dataclass
class Tls:
    port: int
    bundle: Path  # the server's own CA (strongroom tls export-ca)
    tmp: Path
    client: Callable[..., Any]
    pca_root: str  # PEM of the ACM PCA root that issued the domains' certificate (through a subordinate)
    chain: list[str]  # the ACM certificate, then its chain, as GetCertificate answers them
    client_ca: Path
    client_cert: Path
    client_key: Path
    data_dir: Path


def _pems(text: str) -> list[str]:
    marker = "-----END CERTIFICATE-----"
    return [part.strip() + "\n" + marker + "\n" for part in text.split(marker) if "BEGIN CERTIFICATE" in part]


def _client_pki(tmp: Path) -> tuple[Path, Path, Path]:
    """A client CA (the truststore) and a client certificate it issued."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Truststore CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client-1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = tmp / "client-ca.pem", tmp / "client.pem", tmp / "client.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


@pytest.fixture(scope="module")
def tls(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tls]:
    tmp = tmp_path_factory.mktemp(f"domain-tls-{backend}")
    with tls_server(tmp, database_url_for(backend, request)) as server:
        port, bundle, srv, client = server.port, server.bundle, server.srv, server.client
        pca = client("acm-pca")
        root_arn, root_pem = make_root(pca)
        sub_arn, _ = make_sub(pca, root_arn)
        acm = client("acm")
        arn = acm.request_certificate(
            DomainName=API, SubjectAlternativeNames=[n for n in NAMES if n != API], CertificateAuthorityArn=sub_arn
        )["CertificateArn"]
        wait_status(acm, arn, "ISSUED")
        got = acm.get_certificate(CertificateArn=arn)
        client_ca, client_cert, client_key = _client_pki(tmp)
        s3 = client("s3")
        s3.create_bucket(Bucket="truststores")
        s3.put_object(Bucket="truststores", Key="ca.pem", Body=client_ca.read_bytes())
        apigw = client("apigateway")
        for name, extra in (
            (API, {"securityPolicy": "TLS_1_2"}),
            (LEGACY, {"securityPolicy": "TLS_1_0"}),
            (WILD, {}),
            (MTLS, {"mutualTlsAuthentication": {"truststoreUri": "s3://truststores/ca.pem"}}),
            (BROKEN, {"mutualTlsAuthentication": {"truststoreUri": "s3://truststores/missing.pem"}}),
        ):
            apigw.create_domain_name(
                domainName=name, regionalCertificateArn=arn, endpointConfiguration={"types": ["REGIONAL"]}, **extra
            )
        yield Tls(
            port=port,
            bundle=bundle,
            tmp=tmp,
            client=client,
            pca_root=root_pem,
            chain=[got["Certificate"], *_pems(got["CertificateChain"])],
            client_ca=client_ca,
            client_cert=client_cert,
            client_key=client_key,
            data_dir=srv.data_dir,
        )


def _context(
    cafile: Path | str | None = None, *, tls10: bool = False, cert: tuple[Path, Path] | None = None
) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(cafile=str(cafile))
    if tls10:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def _served(port: int, name: str | None, ctx: ssl.SSLContext | None = None) -> tuple[x509.Certificate, str]:
    """The certificate the server presents for ``name`` and the negotiated version; a request's answer is read so
    that a TLS 1.3 client-certificate failure (reported after the client's Finished) surfaces here too."""
    ctx = ctx or _context()
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=name) as conn,
    ):
        der = conn.getpeercert(binary_form=True)
        version = conn.version() or ""
        conn.sendall(f"GET /_strongroom/health HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        assert conn.recv(64).startswith(b"HTTP/1.1 ")
    assert der is not None
    return x509.load_der_x509_certificate(der), version


def _names(cert: x509.Certificate) -> list[str]:
    return cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)


def _is_own(cert: x509.Certificate) -> bool:
    return "localhost" in _names(cert)


def _tls10_possible() -> str | None:
    try:
        _context(tls10=True)
    except (ValueError, ssl.SSLError) as exc:
        return f"this OpenSSL cannot offer TLS 1.0: {exc}"
    return None if ssl.HAS_TLSv1 else "this OpenSSL has no TLS 1.0"


def test_sni_serves_the_domain_certificate_and_pca_chain(tls: Tls) -> None:
    root = tls.tmp / "pca-root.pem"
    root.write_text(tls.pca_root)
    leaf, version = _served(tls.port, API, _context(root))  # verified up to the PCA root, hostname checked
    assert API in _names(leaf) and version in ("TLSv1.2", "TLSv1.3")
    assert leaf.public_bytes(serialization.Encoding.PEM).decode() == tls.chain[0]
    wild, _ = _served(tls.port, "anything.wild.example.test", _context(root))
    assert wild == leaf
    # Not a domain (nor a name one label under a wildcard): the server's own certificate, verified by its CA.
    for name in ("localhost", "a.b.wild.example.test", "unknown.example.test"):
        assert _is_own(_served(tls.port, name)[0]), name
    own, _ = _served(tls.port, "localhost", _context(tls.bundle))
    assert _is_own(own)
    no_sni = x509.load_pem_x509_certificate(ssl.get_server_certificate(("127.0.0.1", tls.port)).encode())
    assert _is_own(no_sni)


def test_openssl_s_client_shows_the_acm_leaf_and_pca_chain(tls: Tls) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    root = tls.tmp / "pca-root.pem"
    root.write_text(tls.pca_root)
    out = subprocess.run(
        ["openssl", "s_client", "-connect", f"127.0.0.1:{tls.port}", "-servername", API, "-showcerts",
         "-CAfile", str(root), "-verify_hostname", API],
        input="", capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    shown = _pems(out.stdout)
    assert [x509.load_pem_x509_certificate(p.encode()) for p in shown] == [
        x509.load_pem_x509_certificate(p.encode()) for p in tls.chain
    ], out.stdout
    assert "Verify return code: 0 (ok)" in out.stdout, out.stdout


def test_security_policy_tls_versions(tls: Tls) -> None:
    reason = _tls10_possible()
    if reason is not None:
        pytest.skip(reason)
    # TLS_1_2 domains (and the server's own name) refuse TLS 1.0 in the handshake.
    for name in (API, "localhost"):
        # The server answers a protocol_version alert; uvloop may close before it is flushed (an EOF instead).
        with pytest.raises(ssl.SSLError, match=r"PROTOCOL_VERSION|UNEXPECTED_EOF"):
            _served(tls.port, name, _context(tls10=True))
    # TLS_1_0 domains accept it, with the domain's certificate.
    cert, version = _served(tls.port, LEGACY, _context(tls10=True))
    assert version == "TLSv1" and LEGACY in _names(cert)
    # ... and still negotiate the best version a modern client offers.
    assert _served(tls.port, LEGACY)[1] == "TLSv1.3"
    if shutil.which("openssl") is not None:
        legacy = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{tls.port}", "-servername", LEGACY, "-tls1",
             "-cipher", "DEFAULT@SECLEVEL=0"],
            input="", capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert "Protocol  : TLSv1\n" in legacy.stdout and "Cipher is (NONE)" not in legacy.stdout, legacy.stdout
        strict = subprocess.run(
            ["openssl", "s_client", "-connect", f"127.0.0.1:{tls.port}", "-servername", API, "-tls1",
             "-cipher", "DEFAULT@SECLEVEL=0"],
            input="", capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        assert "Cipher is (NONE)" in strict.stdout and "no peer certificate available" in strict.stdout, strict.stdout


def test_mutual_tls_requires_a_client_certificate_from_the_truststore(tls: Tls) -> None:
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        bare = _context()
        bare.maximum_version = version
        with pytest.raises((ssl.SSLError, ConnectionError, AssertionError)):
            _served(tls.port, MTLS, bare)
    cert, _ = _served(tls.port, MTLS, _context(cert=(tls.client_cert, tls.client_key)))
    assert MTLS in _names(cert)
    # A certificate some other CA issued is refused as well.
    (tls.tmp / "other").mkdir(exist_ok=True)
    _, other_cert, other_key = _client_pki(tls.tmp / "other")
    with pytest.raises((ssl.SSLError, ConnectionError, AssertionError)):
        _served(tls.port, MTLS, _context(cert=(other_cert, other_key)))
    # A truststore that cannot be read fails closed: no handshake at all rather than one without client checks.
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _served(tls.port, BROKEN, _context(cert=(tls.client_cert, tls.client_key)))
    # Names without mutual TLS do not ask for a certificate (a client offering none is served).
    assert API in _names(_served(tls.port, API)[0])


def test_no_session_is_resumed_under_another_name(tls: Tls) -> None:
    """A TLS 1.2 session set up for a name without mutual TLS does not skip the client check of another."""
    ctx = _context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection(("127.0.0.1", tls.port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=API) as conn,
    ):
        conn.sendall(f"GET /_strongroom/health HTTP/1.1\r\nHost: {API}\r\nConnection: close\r\n\r\n".encode())
        while conn.recv(4096):
            pass
        session = conn.session
        conn.unwrap()  # close_notify: a cleanly closed session is one OpenSSL would let a client resume
    assert session is not None
    for name in (API, MTLS):
        with socket.create_connection(("127.0.0.1", tls.port), timeout=10) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname=name, session=session) as conn:
                    assert not conn.session_reused
                    assert name == API  # MTLS: the handshake asks for a certificate, and fails without one
            except ssl.SSLError:
                assert name == MTLS


def test_keys_never_on_disk_in_the_clear(tls: Tls) -> None:
    _served(tls.port, API)
    scratch = tls.data_dir / "tls" / "domains"
    assert scratch.is_dir() and oct(scratch.stat().st_mode & 0o777) == "0o700"
    assert list(scratch.iterdir()) == []  # the encrypted key files are removed once loaded


def test_update_renewal_and_delete_take_effect_on_new_connections(tls: Tls) -> None:
    apigw = tls.client("apigateway")
    name = "temp.example.test"
    assert _is_own(_served(tls.port, name)[0])  # cached as "no domain" for a moment
    arn = _temp_certificate(tls, name)
    apigw.create_domain_name(domainName=name, regionalCertificateArn=arn, endpointConfiguration={"types": ["REGIONAL"]})
    _eventually(lambda: name in _names(_served(tls.port, name)[0]))
    first = _served(tls.port, name)[0].serial_number
    if _tls10_possible() is None:
        with pytest.raises(ssl.SSLError):
            _served(tls.port, name, _context(tls10=True))
        apigw.update_domain_name(
            domainName=name, patchOperations=[{"op": "replace", "path": "/securityPolicy", "value": "TLS_1_0"}]
        )
        _eventually(lambda: _handshakes(tls.port, name, _context(tls10=True)))
    # A renewal (a new serial from the PCA) reaches new connections without touching the domain.
    tls.client("acm").renew_certificate(CertificateArn=arn)
    _eventually(lambda: _served(tls.port, name)[0].serial_number != first)
    apigw.delete_domain_name(domainName=name)
    _eventually(lambda: _is_own(_served(tls.port, name)[0]))


def _handshakes(port: int, name: str, ctx: ssl.SSLContext) -> bool:
    try:
        _served(port, name, ctx)
    except (ssl.SSLError, ConnectionError):
        return False
    return True


def _temp_certificate(tls: Tls, name: str) -> str:
    pca = tls.client("acm-pca")
    ca_arn = pca.list_certificate_authorities()["CertificateAuthorities"][0]["Arn"]
    acm = tls.client("acm")
    arn = str(acm.request_certificate(DomainName=name, CertificateAuthorityArn=ca_arn)["CertificateArn"])
    wait_status(acm, arn, "ISSUED")
    return arn


def _eventually(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not seen within the listener's re-check interval"
        time.sleep(0.3)


def _get_over_tls(port: int, name: str, path: str, ctx: ssl.SSLContext) -> tuple[int, bytes]:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=name) as conn,
    ):
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _mock_get(apigw: Any, api: str, parent: str, part: str, response_template: str) -> None:
    """GET /part answered by a MOCK integration rendering ``response_template``."""
    resource = apigw.create_resource(restApiId=api, parentId=parent, pathPart=part)["id"]
    method = {"restApiId": api, "resourceId": resource, "httpMethod": "GET"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(**method, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**method, statusCode="200")
    apigw.put_integration_response(
        **method, statusCode="200", responseTemplates={"application/json": response_template}
    )


def test_an_api_answers_through_its_custom_domain_over_tls(tls: Tls) -> None:
    """The whole path: SNI picks the domain's certificate, the Host its base path mapping, the gateway the API."""
    apigw = tls.client("apigateway")
    api = apigw.create_rest_api(name="over-tls", endpointConfiguration={"types": ["REGIONAL"]})["id"]
    root = next(r["id"] for r in apigw.get_resources(restApiId=api)["items"] if r["path"] == "/")
    _mock_get(apigw, api, root, "hello", '{"domain": "$context.domainName", "stage": "$context.stage"}')
    apigw.create_deployment(restApiId=api, stageName="prod")
    apigw.create_base_path_mapping(domainName=API, restApiId=api, stage="prod", basePath="v1")
    root_ca = tls.tmp / "pca-root-answers.pem"
    root_ca.write_text(tls.pca_root)
    verified = _context(root_ca)  # the domain's ACM chain, verified up to the PCA root, hostname checked
    answers: list[tuple[int, bytes]] = []

    def answered() -> bool:
        answers.append(_get_over_tls(tls.port, API, "/v1/hello", verified))
        return answers[-1][0] == 200

    _eventually(answered)  # the gateway's domain cache notices the new mapping within seconds
    assert json.loads(answers[-1][1]) == {"domain": API, "stage": "prod"}
    status, _ = _get_over_tls(tls.port, API, "/v1/nowhere", verified)
    assert status == 403  # Missing Authentication Token, as AWS answers an unknown path

    # Through the mutual TLS domain, the verified client certificate reaches $context.identity.clientCert.
    whoami = '{"subject": "$context.identity.clientCert.subjectDN", "issuer": "$context.identity.clientCert.issuerDN"}'
    _mock_get(apigw, api, root, "whoami", whoami)
    apigw.create_deployment(restApiId=api, stageName="prod")
    apigw.create_base_path_mapping(domainName=MTLS, restApiId=api, stage="prod", basePath="(none)")
    with_cert = _context(root_ca, cert=(tls.client_cert, tls.client_key))
    answers.clear()
    _eventually(lambda: answers.append(_get_over_tls(tls.port, MTLS, "/whoami", with_cert)) or answers[-1][0] == 200)
    identity = json.loads(answers[-1][1])
    assert "client-1" in identity["subject"] and "Truststore CA" in identity["issuer"], identity
