"""The web console: a static single-page app at ``/console/`` and its server endpoints, sign-in and sign-out.

The console holds no server-side state and no cookies. The browser signs in by calling STS GetSessionToken with
the access key pair (signed with SigV4 in the page), keeps only the temporary credentials, and calls the public
AWS APIs on this same port with them: what the console may do is exactly what the signed-in principal may do,
and every call is in the audit trail under that principal. No cookie means no ambient authority, so there is
nothing for a cross-site request to ride on (CSRF); the headers below keep the page out of frames and scripts
to its own files.

Routing. S3 shares the port and path-style bucket names are path segments, so ``/console/...`` could name a
bucket called ``console``. The console only answers requests no S3 client sends for a bucket it can see:
anonymous (no ``Authorization``, no presigned query), ``GET``/``HEAD``, no query string, on a host that names no
bucket (virtual-hosted style goes to S3), and a path that is one of the console's own files. Every signed request
(the SDKs, the CLI) and every other anonymous request reaches S3 as before; what is shadowed is an anonymous
path-style read of an object in a public bucket named ``console`` whose key is one of the console's file names
(docs/console.md).

Password sign-in (``POST /_strongroom/console/sign-in``, JSON) is in ``signin.py``.

Sign-out (``POST /_strongroom/console/sign-out``, SigV4-signed by the session itself) deletes the session's row,
so its credentials are refused from then on (InvalidClientTokenId). AWS has no call by which a session ends
itself; its "revoke active sessions" denies every session of a role or user issued before a time, which would
also end the principal's other sessions (the CLI's too), so the console revokes only its own.

An EventBridge rule's delivery state (``POST /_strongroom/console/events-deliveries``) is in
``console_deliveries.py``: no public API exposes it here (AWS shows it as CloudWatch metrics).
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import delete

from strongroom.core.clock import clock
from strongroom.iam import sigv4
from strongroom.iam.model import sessions
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.protocol.s3route import virtual_bucket

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

log = logging.getLogger("strongroom.console")

MOUNT = "/console"
API_PREFIX = "console/"  # under the admin prefix: /_strongroom/console/...
STATIC = Path(__file__).resolve().parent.parent / "console" / "static"

# The page loads only its own files and talks only to its own origin; nothing may frame it.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; manifest-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
]
_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
}
_PRESIGNED = ("X-Amz-Credential=", "X-Amz-Signature=", "AWSAccessKeyId=", "Signature=")


@cache
def assets() -> dict[str, tuple[bytes, str, str]]:
    """Every file of the app by its path under ``/console/``: (body, content type, ETag); read once per process."""
    files: dict[str, tuple[bytes, str, str]] = {}
    if not STATIC.is_dir():  # pragma: no cover - a broken install
        log.warning("console assets missing at %s", STATIC)
        return files
    for path in sorted(STATIC.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        body = path.read_bytes()
        kind = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        files[path.relative_to(STATIC).as_posix()] = (body, kind, etag)
    return files


def is_console_request(request: HttpRequest) -> bool:
    """Whether the request is the browser asking for the console's files (see the module docstring)."""
    if request.method not in ("GET", "HEAD") or request.query_string:
        return False
    if request.path != MOUNT and not request.path.startswith(MOUNT + "/"):
        return False
    if "authorization" in request.headers or any(p in request.query_string for p in _PRESIGNED):
        return False
    if virtual_bucket(request) is not None:
        return False
    name = _asset_name(request.path)
    return name is not None and (name == "" or name in assets())


def _asset_name(path: str) -> str | None:
    if path == MOUNT:
        return ""
    rest = path[len(MOUNT) + 1 :]
    if ".." in rest or "%" in rest or "//" in rest:
        return None
    return rest


def serve_console(request: HttpRequest) -> HttpResponse:
    if request.path == MOUNT:  # relative module paths need the trailing slash
        return HttpResponse(301, [("Location", MOUNT + "/"), *SECURITY_HEADERS], b"")
    name = _asset_name(request.path) or "index.html"
    body, kind, etag = assets()[name]
    # No Strict-Transport-Security: it binds the whole host name, every port, for its max-age — on localhost or a
    # shared internal name it would force https onto unrelated services; TLS is the operator's choice of listener.
    headers = [("Content-Type", kind), ("ETag", etag), ("Cache-Control", "no-cache"), *SECURITY_HEADERS]
    if request.headers.get("if-none-match") == etag:
        return HttpResponse(304, headers, b"")
    return HttpResponse(200, headers, b"" if request.method == "HEAD" else body)


def _json(status: int, body: object) -> HttpResponse:
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *SECURITY_HEADERS]
    return HttpResponse(status, headers, orjson.dumps(body))


def handle_console_api(runtime: Runtime, request: HttpRequest, path: str) -> HttpResponse | None:
    """``/_strongroom/console/<path>``; None when there is no such endpoint."""
    if path == "sign-out" and request.method == "POST":
        return _sign_out(runtime, request)
    if path == "sign-in" and request.method == "POST":
        # Imported with the first sign-in: this module is imported with the app, and sign-in's modules (IAM logins,
        # STS sessions, a password hash computed at import) would cost every server start ~0.15 s.
        from strongroom.server.signin import handle_sign_in

        status, body = handle_sign_in(runtime, request)
        return _json(status, body)
    if path == "events-deliveries" and request.method == "POST":
        from strongroom.server.console_deliveries import events_deliveries  # with its first use, as sign-in

        status, body = events_deliveries(runtime, request)
        return _json(status, body)
    return None


def _sign_out(runtime: Runtime, request: HttpRequest) -> HttpResponse:
    """End the session that signed this request: its row goes, so its key is unknown from now on."""
    try:
        info = sigv4.parse_credentials(request)
        if info is None:
            raise sigv4.SigV4Error("missing_auth")
        key = runtime.accounts.lookup(info.access_key_id)
        if key is None or key.session_token_sha256 is None:
            # only temporary credentials sign out; a long-term key is never ended from the console
            raise sigv4.SigV4Error("unknown_key")
        session_error = key.session_error(info.session_token, clock.time())
        if session_error is not None:
            raise sigv4.SigV4Error(session_error)
        sigv4.verify(request, info, key.secret_access_key, service="sts")
    except sigv4.SigV4Error as exc:
        error = exc.to_aws_error("json")
        return _json(error.status, {"__type": error.code, "message": error.message})
    with runtime.store.write() as conn:
        conn.execute(delete(sessions).where(sessions.c.access_key_id == key.access_key_id))
    # Other worker processes drop their cached copy within the directory's cache time (seconds).
    runtime.accounts.forget(key.access_key_id)
    log.info("console session signed out", extra={"access_key_id": key.access_key_id})
    return _json(200, {"signedOut": True})
