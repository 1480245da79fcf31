"""The pieces of custom-domain TLS that need no server: ACM's in-process hand-over of a certificate and its key,
finding a domain by server name (wildcards, regions), the client-certificate facts, and the native helpers'
layout check on this interpreter."""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import ssl
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from strongroom.keyring.seal import AesGcmSeal
from strongroom.server import tls_native
from strongroom.server.domain_tls import TLS_1_0_CIPHERS, TLS_1_2_CIPHERS, tls10_available
from strongroom.server.httpproto import CoalescingHttpToolsProtocol
from strongroom.server.tls_facts import client_cert_identity, note_server_name, tls_scope
from strongroom.services.acm import certs
from strongroom.services.acm.model import certificate_key_aad, certificates
from strongroom.services.acm.served import served_certificate, served_version
from strongroom.services.apigateway.model import domain_names
from strongroom.services.apigateway.tls_domains import candidates, find_tls_domain
from strongroom.store.engine import Store
from strongroom.store.schema import metadata

NOW = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.UTC)
ARN = "arn:aws:acm:us-east-1:111122223333:certificate/0b5f6e54-0000-4000-8000-000000000001"


def _cert(
    cn: str = "api.example.test", *, ca: bool = False, start: datetime.datetime = NOW
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "T")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(0xA1B2C)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert, key


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path / 'x.db'}")
    metadata.create_all(s.engine, tables=[certificates, domain_names])
    return s


def _insert_certificate(store: Store, seal: AesGcmSeal, status: str = "ISSUED") -> x509.Certificate:
    cert, key = _cert()
    with store.write() as conn:
        conn.execute(
            certificates.insert().values(
                arn=ARN,
                account_id="111122223333",
                region="us-east-1",
                domain_name="api.example.test",
                sans="[]",
                type="PRIVATE",
                status=status,
                key_algorithm="EC_prime256v1",
                options="{}",
                created_at=NOW,
                not_after=NOW + datetime.timedelta(days=1),
                serial="0a:1b:2c",
                certificate=cert.public_bytes(serialization.Encoding.PEM).decode(),
                chain="",
                sealed_key=seal.wrap(certs.key_der(key), certificate_key_aad(ARN)),
                exported=False,
                issue_attempts=0,
                validation="[]",
                key_usages="[]",
                extended_key_usages="[]",
            )
        )
    return cert


def test_acm_hands_over_the_certificate_and_unsealed_key(store: Store) -> None:
    seal = AesGcmSeal(b"k" * 32)
    cert = _insert_certificate(store, seal)
    served = served_certificate(store, seal, ARN)
    assert served is not None and served.version == served_version(store, ARN)
    assert x509.load_pem_x509_certificate(served.certificate_pem.encode()) == cert
    assert served.key.public_key().public_numbers() == cert.public_key().public_numbers()  # type: ignore[union-attr]
    assert served_certificate(store, seal, ARN.replace("0001", "0002")) is None
    with store.read() as conn:
        row = conn.execute(certificates.select()).one()
    assert row.exported is False  # a listener's use is not an export


def test_revoked_or_pending_certificates_are_not_served(store: Store) -> None:
    seal = AesGcmSeal(b"k" * 32)
    _insert_certificate(store, seal, status="REVOKED")
    assert served_certificate(store, seal, ARN) is None and served_version(store, ARN) is None


def _domain(store: Store, region: str, name: str, **doc: object) -> None:
    body = {"regionalCertificateArn": ARN, "securityPolicy": "TLS_1_2", **doc}
    with store.write() as conn:
        conn.execute(
            domain_names.insert().values(
                region=region, name=name, account_id="111122223333", created_at=NOW, doc=json.dumps(body)
            )
        )


def test_server_names_find_their_domain_or_wildcard(store: Store) -> None:
    assert candidates("API.Example.test.") == ["api.example.test", "*.example.test"]
    _domain(store, "us-east-1", "api.example.test", securityPolicy="TLS_1_0")
    _domain(store, "eu-west-1", "*.example.test", mutualTlsAuthentication={"truststoreUri": "s3://b/ca.pem"})
    exact = find_tls_domain(store, "API.example.test")
    assert exact is not None and (exact.name, exact.security_policy, exact.truststore_uri) == (
        "api.example.test",
        "TLS_1_0",
        None,
    )
    wild = find_tls_domain(store, "other.example.test")
    assert wild is not None and (wild.name, wild.region, wild.truststore_uri) == (
        "*.example.test",
        "eu-west-1",
        "s3://b/ca.pem",
    )
    assert find_tls_domain(store, "a.b.example.test") is None  # a wildcard covers one label
    assert find_tls_domain(store, "example.test") is None
    before = exact.fingerprint
    with store.write() as conn:
        conn.execute(domain_names.update().where(domain_names.c.region == "us-east-1").values(doc="{}"))
    fallback = find_tls_domain(store, "api.example.test")  # a domain without a certificate serves nothing
    assert fallback is not None and fallback.name == "*.example.test"
    _domain(store, "ap-south-1", "api.example.test")  # the first region in sort order with a certificate
    changed = find_tls_domain(store, "api.example.test")
    assert changed is not None and (changed.region, changed.name) == ("ap-south-1", "api.example.test")
    assert changed.fingerprint != before


def test_client_cert_identity_as_api_gateway_reports_it() -> None:
    cert, _ = _cert("client-1")
    facts = client_cert_identity(cert.public_bytes(serialization.Encoding.DER))
    assert facts["subjectDN"] == "O=T,CN=client-1" and facts["issuerDN"] == "O=T,CN=client-1"
    assert facts["serialNumber"] == "0a:1b:2c"
    assert facts["validity"] == {"notBefore": "Dec 06 12:00:00 2026 GMT", "notAfter": "Dec 07 12:00:00 2026 GMT"}
    assert facts["clientCertPem"].startswith("-----BEGIN CERTIFICATE-----")


def test_policy_cipher_lists_are_known_to_this_openssl() -> None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers(TLS_1_2_CIPHERS)
    names = {c["name"] for c in ctx.get_ciphers()}
    assert "ECDHE-RSA-AES128-GCM-SHA256" in names and "AES128-SHA" not in names
    if tls10_available():
        ctx.set_ciphers(TLS_1_0_CIPHERS + ":@SECLEVEL=0")
        assert "ECDHE-RSA-AES128-SHA" in {c["name"] for c in ctx.get_ciphers()}


def test_native_helpers_find_the_connection_on_this_interpreter() -> None:
    """The ``SSL*`` layout check passes on CPython (mutual TLS depends on it); a foreign object is refused."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    connection = ctx.wrap_bio(incoming, outgoing, server_hostname="api.example.test")
    assert tls_native.available(connection)
    assert tls_native.negotiated_version(connection) is not None
    a, b = socket.socketpair()
    with a, b:
        assert not tls_native.available(a)  # type: ignore[arg-type]


def _handshake(server: ssl.SSLObject, client: ssl.SSLObject, pipes: list[ssl.MemoryBIO]) -> None:
    s_in, s_out, c_in, c_out = pipes
    for _ in range(20):
        done = 0
        for conn in (client, server):
            try:
                conn.do_handshake()
                done += 1
            except ssl.SSLWantReadError:
                pass
        c_in.write(s_out.read())
        s_in.write(c_out.read())
        if done == 2:
            return
    raise AssertionError("no handshake")


def _pki(tmp_path: Path) -> tuple[x509.Certificate, x509.Certificate]:
    """A truststore CA, a client certificate it issued, and a server certificate: written to ``tmp_path``."""
    now = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    ca, ca_key = _cert("Truststore CA", ca=True, start=now)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client-1")]))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key())
        .serial_number(0x0102)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(hours=2))
        .sign(ca_key, hashes.SHA256())
    )
    server_cert, server_key = _cert("api.example.test", start=now)
    for name, data in (
        ("server.pem", server_cert.public_bytes(serialization.Encoding.PEM)),
        ("client.pem", leaf.public_bytes(serialization.Encoding.PEM)),
    ):
        (tmp_path / name).write_bytes(data)
    for name, key in (("server.key", server_key), ("client.key", leaf_key)):
        (tmp_path / name).write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    return ca, leaf


def test_tls_scope_gives_the_data_plane_the_client_certificate(tmp_path: Path) -> None:
    """``scope["extensions"]["tls"]`` as ``server/httpproto.py`` sets it, from a real (in-memory) handshake."""
    ca, leaf = _pki(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "server.pem", tmp_path / "server.key")
    server_ctx.load_verify_locations(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_ctx.check_hostname, client_ctx.verify_mode = False, ssl.CERT_NONE
    client_ctx.load_cert_chain(tmp_path / "client.pem", tmp_path / "client.key")
    pipes = [ssl.MemoryBIO() for _ in range(4)]
    server = server_ctx.wrap_bio(pipes[0], pipes[1], server_side=True)
    client = client_ctx.wrap_bio(pipes[2], pipes[3], server_hostname="api.example.test")
    _handshake(server, client, pipes)
    note_server_name(server, "api.example.test")

    class Transport:
        def get_extra_info(self, name: str) -> object:
            return server if name == "ssl_object" else None

    scope = tls_scope(Transport())
    assert scope is not None
    assert scope["server_name"] == "api.example.test" and scope["tls_version"] == 0x0304
    assert scope["client_cert"]["subjectDN"] == "CN=client-1" and scope["client_cert"]["serialNumber"] == "01:02"
    assert scope["client_cert_chain"] == [leaf.public_bytes(serialization.Encoding.PEM).decode()]
    assert scope["client_cert_name"] == "CN=client-1"
    assert tls_scope(object()) is None  # plain HTTP


def test_https_requests_carry_the_tls_extension(tmp_path: Path) -> None:
    """Through uvicorn (uvloop, as the server runs) with ``CoalescingHttpToolsProtocol``: the app sees the facts."""
    _pki(tmp_path)
    seen: list[dict[str, object]] = []

    async def app(scope: dict[str, object], receive: object, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append(dict(scope.get("extensions", {})))  # type: ignore[call-overload]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,
        log_config=None,
        lifespan="off",
        ssl_certfile=str(tmp_path / "server.pem"),
        ssl_keyfile=str(tmp_path / "server.key"),
        ssl_ca_certs=str(tmp_path / "ca.pem"),
        ssl_cert_reqs=ssl.CERT_REQUIRED,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        client.load_cert_chain(tmp_path / "client.pem", tmp_path / "client.key")
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=client, timeout=10)
        for _ in range(2):  # the facts are computed once per connection, given to every request on it
            conn.request("GET", "/")
            assert conn.getresponse().read() == b""
        conn.close()
    finally:
        server.should_exit = True
        thread.join(10)
    assert len(seen) == 2 and seen[0] == seen[1]
    facts = seen[0]["tls"]
    assert isinstance(facts, dict) and facts["client_cert"]["subjectDN"] == "CN=client-1"
    assert facts["tls_version"] == 0x0304 and facts["server_name"] is None
