"""The CRL and OCSP endpoints under ``/_strongroom/pca/``: unauthenticated, like AWS's public CRL buckets and
OCSP responders, since relying parties fetch them without AWS credentials."""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.services.acm_pca.ocsp import respond
from strongroom.services.acm_pca.revocation import stored_crl

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

CRL_PREFIX = "/_strongroom/pca/crl/"
OCSP_PATH = "/_strongroom/pca/ocsp"
_CA_ID = re.compile(r"^[0-9a-f-]{36}$")
_NOT_FOUND = HttpResponse(404, [("Content-Type", "text/plain")], b"Not Found")


def handle_pca_http(runtime: ServiceRuntime, request: HttpRequest) -> HttpResponse:
    path = request.path
    if path.startswith(CRL_PREFIX) and request.method in ("GET", "HEAD"):
        name = path[len(CRL_PREFIX) :]
        if not name.endswith(".crl") or not _CA_ID.match(name[:-4]):
            return _NOT_FOUND
        der = stored_crl(runtime, name[:-4])
        if der is None:
            return _NOT_FOUND
        body = b"" if request.method == "HEAD" else der
        return HttpResponse(200, [("Content-Type", "application/pkix-crl"), ("Content-Length", str(len(der)))], body)
    if path.rstrip("/") == OCSP_PATH and request.method == "POST":
        return _ocsp(runtime, request.body)
    if path.startswith(OCSP_PATH + "/") and request.method == "GET":
        encoded = unquote(path[len(OCSP_PATH) + 1 :])
        try:
            der = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=False)
        except (binascii.Error, ValueError):
            der = b""
        return _ocsp(runtime, der)
    return _NOT_FOUND


def _ocsp(runtime: ServiceRuntime, der: bytes) -> HttpResponse:
    body = respond(runtime, der)
    headers = [
        ("Content-Type", "application/ocsp-response"),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "max-age=3600, public, no-transform, must-revalidate"),
    ]
    return HttpResponse(200, headers, body)
