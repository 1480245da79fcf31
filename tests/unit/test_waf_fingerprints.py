"""JA3 / JA4 from parsed ClientHello fields: the published vectors, GREASE, and the listener reading its own."""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from pathlib import Path

import pytest

from strongroom.server import tls_facts, tls_hello
from strongroom.waf import WafRequest, WebAclEvaluator
from strongroom.waf import fingerprints as fp
from strongroom.waf.logs import log_record

# JA3's README: "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0" -> ada70206e4...
JA3_README = fp.ClientHello(
    legacy_version=769,
    ciphers=[47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4],
    extensions=[0, 10, 11],
    supported_groups=[23, 24, 25],
    ec_point_formats=[0],
)

# JA4's technical details: Chrome's ClientHello, t13d1516h2_8daaf6152771_e5627efa2ab1 (GREASE added as Chrome sends).
CHROME = fp.ClientHello(
    legacy_version=0x0303,
    ciphers=[
        0x7A7A,
        0x1301,
        0x1302,
        0x1303,
        0xC02B,
        0xC02F,
        0xC02C,
        0xC030,
        0xCCA9,
        0xCCA8,
        0xC013,
        0xC014,
        0x009C,
        0x009D,
        0x002F,
        0x0035,
    ],
    extensions=[
        0x2A2A,
        0x0000,
        0x0017,
        0xFF01,
        0x000A,
        0x000B,
        0x0023,
        0x0010,
        0x0005,
        0x000D,
        0x0012,
        0x0033,
        0x002D,
        0x002B,
        0x001B,
        0x4469,
        0x0015,
        0xBABA,
    ],
    supported_groups=[0x3A3A, 0x001D, 0x0017, 0x0018],
    ec_point_formats=[0],
    signature_algorithms=[0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601],
    alpn=[b"h2", b"http/1.1"],
    supported_versions=[0xDADA, 0x0304, 0x0303],
)


def test_ja3_readme_vector() -> None:
    assert fp.ja3_string(JA3_README) == "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0"
    assert fp.ja3(JA3_README) == "ada70206e40642a3e4461f35503241d5"


def test_ja4_published_chrome_vector() -> None:
    assert fp.ja4(CHROME) == "t13d1516h2_8daaf6152771_e5627efa2ab1"


def test_ja3_drops_grease_but_keeps_order() -> None:
    assert fp.ja3_string(CHROME) == (
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
        "0-23-65281-10-11-35-16-5-13-18-51-45-43-27-17513-21,29-23-24,0"
    )


def test_grease_values() -> None:
    assert all(fp.is_grease(v) for v in (0x0A0A, 0x1A1A, 0xFAFA))
    assert not any(fp.is_grease(v) for v in (0x0A1A, 0x1301, 0x000A, 0xAAAB))


def test_ja4_without_sni_alpn_and_versions() -> None:
    hello = fp.ClientHello(legacy_version=0x0303, ciphers=[0x1301], extensions=[0x000A])
    assert fp.ja4(hello).startswith("t12i0101" + "00_")
    assert fp.ja4(hello).endswith("_" + hashlib.sha256(b"000a").hexdigest()[:12])
    empty = fp.ClientHello(legacy_version=0x0301, ciphers=[], extensions=[])
    assert fp.ja4(empty) == "t10i000000_000000000000_000000000000"


def test_ja4_alpn_non_alphanumeric_uses_hex() -> None:
    hello = fp.ClientHello(legacy_version=0x0303, ciphers=[1], extensions=[16], alpn=[b"\xabx\xcd"])
    assert fp.ja4(hello)[8:10] == "ad"


def test_extension_body_parsers() -> None:
    assert fp.parse_u16_vector(b"\x00\x04\x00\x1d\x00\x17") == [0x1D, 0x17]
    assert fp.parse_supported_versions(b"\x04\x03\x04\x03\x03") == [0x0304, 0x0303]
    assert fp.parse_point_formats(b"\x01\x00") == [0]
    assert fp.parse_alpn(b"\x00\x0c\x02h2\x08http/1.1") == [b"h2", b"http/1.1"]
    assert fp.parse_ciphers(b"\x13\x01\xc0\x2b") == [0x1301, 0xC02B]
    assert fp.parse_u16_vector(b"") == [] and fp.parse_alpn(b"\x00") == [] and fp.parse_point_formats(b"") == []


def test_listener_reads_its_client_hello(tmp_path: Path) -> None:
    """The listening context's client hello callback sees what Python's ssl client sent; the SNI callback takes it."""
    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=x",
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    seen: list[fp.ClientHello | None] = []

    def select(connection: ssl.SSLObject, _name: str | None, _ctx: ssl.SSLContext) -> None:
        hello = tls_hello.take(connection)
        seen.append(hello)
        if hello is not None:
            tls_facts.note_client_hello(connection, hello)

    server.sni_callback = select
    if not tls_hello.install(server):
        pytest.skip("this interpreter's ssl layout is not the one tls_hello checks")
    client = ssl.create_default_context()
    client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
    client.set_alpn_protocols(["h2", "http/1.1"])
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    near = client.wrap_bio(c_in, c_out, server_hostname="api.example.com")
    far = server.wrap_bio(s_in, s_out, server_side=True)
    for _ in range(4):
        for side, out, peer in ((near, c_out, s_in), (far, s_out, c_in)):
            try:
                side.do_handshake()
            except ssl.SSLWantReadError:
                pass
            if data := out.read():
                peer.write(data)
    assert near.version() == "TLSv1.3"
    hello = seen[0]
    assert hello is not None
    assert 0x1301 in hello.ciphers and fp.EXT_SERVER_NAME in hello.extensions
    assert hello.alpn == [b"h2", b"http/1.1"] and 0x0304 in hello.supported_versions
    assert hello.supported_groups and hello.signature_algorithms
    ja4 = fp.ja4(hello)
    assert ja4.startswith("t13d") and ja4[8:10] == "h2"
    facts = tls_facts.tls_scope(type("T", (), {"get_extra_info": lambda _s, _k: far})())
    assert facts is not None and facts["ja4_fingerprint"] == ja4 and facts["ja3_fingerprint"] == fp.ja3(hello)


def test_log_records_carry_the_fingerprints_when_known() -> None:
    acl = {
        "Name": "a",
        "ARN": "arn",
        "DefaultAction": {"Allow": {}},
        "Rules": [],
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"},
    }
    ja3, ja4 = fp.ja3(CHROME), fp.ja4(CHROME)
    with_tls = WafRequest(method="GET", uri_path="/", ja3_fingerprint=ja3, ja4_fingerprint=ja4)
    plain = WafRequest(method="GET", uri_path="/")
    records = [
        log_record(WebAclEvaluator(acl).evaluate(r, 0), r, web_acl_arn="arn", timestamp_ms=0, http_source_id="s")
        for r in (with_tls, plain)
    ]
    assert records[0]["ja3Fingerprint"] == ja3 and records[0]["ja4Fingerprint"] == ja4
    assert "ja3Fingerprint" not in records[1] and "ja4Fingerprint" not in records[1]
