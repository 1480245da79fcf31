"""WAF ``JA3Fingerprint`` / ``JA4Fingerprint`` on API Gateway custom domains served over TLS, end to end.

The test captures the ClientHello its own ``ssl`` client sends (a ``MemoryBIO`` handshake's first flight), parses it
with the small independent parser below, and derives the expected fingerprints from those fields. A web ACL whose
ByteMatch is EXACTLY that JA3 (or JA4) blocks the client over the domain's TLS; a rule naming another fingerprint
does not, and neither does a client with another ClientHello. Without TLS (plain HTTP) ``FallbackBehavior`` decides.
"""

from __future__ import annotations

import datetime
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from strongroom.waf import fingerprints as fp
from tests.conftest import database_url_for
from tests.e2e.apigateway_invoke_support import deploy, invoke
from tests.e2e.apigateway_support import make_api
from tests.support.server import ServerProcess, tls_server

DOMAIN = "ja3.example.test"
TT = [{"Priority": 0, "Type": "NONE"}]
VIS = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}


# -- the test's own ClientHello parser ------------------------------------------------------------------------------


def client_hello_bytes(ctx: ssl.SSLContext, server_name: str) -> bytes:
    """The ClientHello handshake message ``ctx`` sends to ``server_name`` (from its first TLS record)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=server_name)
    with pytest.raises(ssl.SSLWantReadError):
        conn.do_handshake()
    record = outgoing.read()
    assert record[0] == 22, "a handshake record"
    length = int.from_bytes(record[3:5], "big")
    message = record[5 : 5 + length]
    assert message[0] == 1, "a ClientHello"
    return message[4 : 4 + int.from_bytes(message[1:4], "big")]


def parse_client_hello(body: bytes) -> fp.ClientHello:
    def take(n: int) -> bytes:
        nonlocal at
        at += n
        return body[at - n : at]

    def vector(size: int) -> bytes:
        return take(int.from_bytes(take(size), "big"))

    def u16s(data: bytes) -> list[int]:
        return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]

    at = 0
    version = int.from_bytes(take(2), "big")
    take(32)  # random
    vector(1)  # legacy_session_id
    ciphers = u16s(vector(2))
    vector(1)  # compression methods
    extensions, bodies = [], {}
    raw = vector(2)
    i = 0
    while i < len(raw):
        kind, size = int.from_bytes(raw[i : i + 2], "big"), int.from_bytes(raw[i + 2 : i + 4], "big")
        extensions.append(kind)
        bodies[kind] = raw[i + 4 : i + 4 + size]
        i += 4 + size
    alpn, data, j = [], bodies.get(16, b"")[2:], 0
    while j < len(data):
        alpn.append(data[j + 1 : j + 1 + data[j]])
        j += 1 + data[j]
    return fp.ClientHello(
        legacy_version=version,
        ciphers=ciphers,
        extensions=extensions,
        supported_groups=u16s(bodies.get(10, b"\0\0")[2:]),
        ec_point_formats=list(bodies.get(11, b"\0")[1:]),
        signature_algorithms=u16s(bodies.get(13, b"\0\0")[2:]),
        alpn=alpn,
        supported_versions=u16s(bodies.get(43, b"\0")[1:]),
    )


# -- a server with a TLS listener and one custom domain ---------------------------------------------------------------


@dataclass
class Served:
    port: int
    client: Callable[[str], Any]


def _self_signed(name: str) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


@pytest.fixture(scope="module")
def served(backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp(f"waf-ja3-{backend}")
    with tls_server(tmp, database_url_for(backend, request)) as server:
        port, client = server.port, server.client
        cert, key = _self_signed(DOMAIN)
        arn = client("acm").import_certificate(Certificate=cert, PrivateKey=key)["CertificateArn"]
        client("apigateway").create_domain_name(
            domainName=DOMAIN, regionalCertificateArn=arn, endpointConfiguration={"types": ["REGIONAL"]}
        )
        yield Served(port, client)


def _client_context(*, tls12: bool = False) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    if tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _get(port: int, path: str, ctx: ssl.SSLContext) -> int:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        ctx.wrap_socket(raw, server_hostname=DOMAIN) as conn,
    ):
        conn.sendall(f"GET {path} HTTP/1.1\r\nHost: {DOMAIN}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1])


def fingerprint_is(kind: str, value: str, fallback: str = "NO_MATCH") -> dict[str, Any]:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": {kind: {"FallbackBehavior": fallback}},
            "SearchString": value.encode(),
            "PositionalConstraint": "EXACTLY",
            "TextTransformations": TT,
        }
    }


def _protect(waf: Any, stage_arn: str, statements: list[dict[str, Any]]) -> None:
    rules = [
        {"Name": f"r{i}", "Priority": i, "Statement": s, "Action": {"Block": {}}, "VisibilityConfig": VIS}
        for i, s in enumerate(statements)
    ]
    acl = waf.create_web_acl(
        Name=f"acl-{stage_arn.rsplit('/', 1)[1]}-{time.monotonic_ns()}",
        Scope="REGIONAL",
        DefaultAction={"Allow": {}},
        VisibilityConfig=VIS,
        Rules=rules,
    )["Summary"]
    waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=stage_arn)


def _mock_api(apigw: Any, stages: list[str]) -> str:
    api = make_api(apigw, endpointConfiguration={"types": ["REGIONAL"]})
    resource = apigw.create_resource(restApiId=api["id"], parentId=api["rootResourceId"], pathPart="hello")["id"]
    method = {"restApiId": api["id"], "resourceId": resource, "httpMethod": "GET"}
    apigw.put_method(**method, authorizationType="NONE")
    apigw.put_integration(**method, type="MOCK", requestTemplates={"application/json": '{"statusCode": 200}'})
    apigw.put_method_response(**method, statusCode="200")
    apigw.put_integration_response(**method, statusCode="200", responseTemplates={"application/json": "{}"})
    for stage in stages:
        deploy(apigw, api["id"], stage)
    return str(api["id"])


def _settles(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not seen within the caches' re-check intervals"
        time.sleep(0.3)


def test_ja3_and_ja4_match_the_clienthello_the_client_sent(served: Served) -> None:
    ctx = _client_context()
    hello = parse_client_hello(client_hello_bytes(ctx, DOMAIN))
    ja3, ja4 = fp.ja3(hello), fp.ja4(hello)
    assert ja4.startswith("t13d") and ja4[8:10] == "h1", ja4
    other = _client_context(tls12=True)
    other_hello = parse_client_hello(client_hello_bytes(other, DOMAIN))
    assert fp.ja3(other_hello) != ja3 and fp.ja4(other_hello) != ja4

    apigw, waf = served.client("apigateway"), served.client("wafv2")
    stages = ["elsewhere", "byja3", "byja4"]
    api = _mock_api(apigw, stages)
    for stage in stages:
        apigw.create_base_path_mapping(domainName=DOMAIN, restApiId=api, stage=stage, basePath=stage)
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/"
    _protect(
        waf,
        arn + "elsewhere",
        [fingerprint_is("JA3Fingerprint", fp.ja3(other_hello)), fingerprint_is("JA4Fingerprint", "t13d0000h1_x_y")],
    )
    _protect(waf, arn + "byja3", [fingerprint_is("JA3Fingerprint", ja3)])
    _protect(waf, arn + "byja4", [fingerprint_is("JA4Fingerprint", ja4)])

    _settles(lambda: _get(served.port, "/byja3/hello", ctx) == 403)  # the mapping and the association settle
    _settles(lambda: _get(served.port, "/byja4/hello", ctx) == 403)
    assert _get(served.port, "/elsewhere/hello", ctx) == 200  # rules naming other fingerprints do not match
    # Another ClientHello (TLS 1.2 at most): other fingerprints, so the same rules let it through.
    assert _get(served.port, "/byja3/hello", other) == 200
    assert _get(served.port, "/byja4/hello", other) == 200
    assert _get(served.port, "/elsewhere/hello", other) == 403  # its own JA3 is what "elsewhere" names


def test_plain_http_has_no_fingerprint_so_fallback_behavior_decides(server: ServerProcess) -> None:
    apigw, waf = server.client("apigateway"), server.client("wafv2")
    api = _mock_api(apigw, ["match", "nomatch"])
    arn = f"arn:aws:apigateway:us-east-1::/restapis/{api}/stages/"
    _protect(waf, arn + "match", [fingerprint_is("JA3Fingerprint", "anything", fallback="MATCH")])
    _protect(
        waf,
        arn + "nomatch",
        [
            fingerprint_is("JA3Fingerprint", "anything", fallback="NO_MATCH"),
            fingerprint_is("JA4Fingerprint", "anything", fallback="NO_MATCH"),
        ],
    )
    _settles(lambda: invoke(server, api, "match", "/hello").status == 403)
    assert invoke(server, api, "nomatch", "/hello").status == 200
    _protect(waf, arn + "nomatch", [fingerprint_is("JA4Fingerprint", "anything", fallback="MATCH")])
    _settles(lambda: invoke(server, api, "nomatch", "/hello").status == 403)
