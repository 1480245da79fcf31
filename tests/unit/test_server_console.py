"""Which requests the web console answers: only anonymous GETs of its own files, never anything S3 could own."""

from __future__ import annotations

import pytest

from strongroom.protocol.http import HttpRequest
from strongroom.server.console import CSP, assets, is_console_request, serve_console


def req(path: str, method: str = "GET", query: str = "", **headers: str) -> HttpRequest:
    return HttpRequest(method, path, query, {"host": "127.0.0.1:4566", **headers})


def test_assets_are_packaged() -> None:
    files = assets()
    assert {"index.html", "app.css", "js/app.js", "js/sigv4.js", "js/api.js", "js/session.js"} <= set(files)
    assert files["js/app.js"][1] == "text/javascript; charset=utf-8"


@pytest.mark.parametrize("path", ["/console", "/console/", "/console/index.html", "/console/js/app.js"])
def test_console_files(path: str) -> None:
    assert is_console_request(req(path))
    assert is_console_request(req(path, "HEAD"))


@pytest.mark.parametrize(
    "request_",
    [
        req("/console/", authorization="AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/s3/aws4_request"),
        req("/console/", authorization="AWS AKIA:sig"),  # SigV2
        req("/console/index.html", query="X-Amz-Credential=x&X-Amz-Signature=y"),  # presigned
        req("/console/", query="list-type=2"),  # anonymous ListObjectsV2 on a bucket named console
        req("/console/other-object"),  # not one of the console's files: S3's
        req("/console/js/../index.html"),
        req("/console/%2e%2e/x"),
        req("/console/", "PUT"),
        req("/console/", "POST"),
        req("/console/", host="console.s3.localhost"),  # virtual-hosted: the host names a bucket
        req("/consoles/"),
        req("/"),
    ],
)
def test_not_console(request_: HttpRequest) -> None:
    assert not is_console_request(request_)


def test_headers_and_conditional_get() -> None:
    first = serve_console(req("/console/"))
    assert first.status == 200 and first.body.startswith(b"<!DOCTYPE html>")
    assert first.header("Content-Security-Policy") == CSP and "frame-ancestors 'none'" in CSP
    assert first.header("X-Content-Type-Options") == "nosniff" and first.header("Set-Cookie") is None
    assert first.header("Strict-Transport-Security") is None
    etag = first.header("ETag")
    assert etag is not None
    again = serve_console(req("/console/", **{"if-none-match": etag}))
    assert again.status == 304 and again.body == b""
    head = serve_console(req("/console/js/app.js", "HEAD"))
    assert head.status == 200 and head.body == b""
    tls = serve_console(HttpRequest("GET", "/console/", "", {"host": "x"}, scheme="https"))
    assert tls.status == 200 and tls.header("Strict-Transport-Security") is None  # host-wide: not ours to set
    moved = serve_console(req("/console"))
    assert moved.status == 301 and moved.header("Location") == "/console/"
