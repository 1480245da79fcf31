"""``strongroom server --tls``: HTTPS with an internal-CA certificate that boto3 trusts through export-ca, renewed
in place (same process, same listening socket) when the server clock passes the renewal point."""

from __future__ import annotations

import json
import os
import ssl
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cryptography import x509

from tests.support.server import ServerProcess, tls_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, Path, ServerProcess]]:
    with tls_server(tmp_path) as server:
        yield server.port, server.bundle, server.srv


def _served_serial(port: int) -> int:
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    return x509.load_pem_x509_certificate(pem.encode()).serial_number


def test_boto3_over_https_with_the_exported_ca_bundle(
    served: tuple[int, Path, ServerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, bundle, srv = served
    monkeypatch.setenv("AWS_CA_BUNDLE", str(bundle))
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=f"https://127.0.0.1:{port}",
        aws_access_key_id=srv.access_key,
        aws_secret_access_key=srv.secret_key,
    )
    assert sts.get_caller_identity()["Account"].isdigit()
    sts.close()
    assert "PRIVATE KEY-----\n" not in "".join(
        p.read_text(errors="replace") for p in (srv.data_dir / "tls").iterdir() if p.suffix == ".key"
    ).replace("ENCRYPTED PRIVATE KEY-----\n", "")

    first = _served_serial(port)
    context = ssl.create_default_context(cafile=str(bundle))
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/_strongroom/clock", data=json.dumps({"advance": 21 * 86400}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        assert response.status == 200
    deadline = time.monotonic() + 20
    while _served_serial(port) == first:
        assert time.monotonic() < deadline, "the TLS certificate was not renewed"
        time.sleep(0.3)
    assert os.path.exists(srv.data_dir / "tls" / "server.pem")
