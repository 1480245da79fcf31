"""GetFunction's ``Code.Location``: a short-lived URL on this server that serves the deployment package.

AWS answers a presigned S3 URL valid for ten minutes; here the token is ``<sha256>.<expiry>.<hmac>``, signed
with an installation key (sealed in the settings table) so every node of a cluster accepts every node's URLs.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import TYPE_CHECKING

from sqlalchemy import select

from strongroom.core.clock import clock
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.services.base.installation_keys import forget_installation_keys, installation_key
from strongroom.services.lambda_ import model

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

URL_SECONDS = 600
PATH_PREFIX = "lambda/code/"
_KEY_SETTING = "lambda_code_url_key"
_AAD = b"lambda:code-url-key"


def endpoint(runtime: ServiceRuntime) -> str:
    """This server's own URL, as a function process or a client on this host reaches it."""
    host = runtime.config.host
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{runtime.config.port}"


def _key(runtime: ServiceRuntime) -> bytes:
    return installation_key(runtime, _KEY_SETTING, aad=_AAD)


def _mac(runtime: ServiceRuntime, digest: str, expires: int) -> str:
    return hmac.new(_key(runtime), f"{digest}.{expires}".encode(), hashlib.sha256).hexdigest()


def code_location(runtime: ServiceRuntime, digest: str) -> str:
    expires = int(clock.time()) + URL_SECONDS
    return f"{endpoint(runtime)}/_strongroom/{PATH_PREFIX}{digest}.{expires}.{_mac(runtime, digest, expires)}"


def serve_code(runtime: ServiceRuntime, request: HttpRequest, path: str) -> HttpResponse:
    """GET /_strongroom/lambda/code/<token>: the zip, or 403 like an expired or tampered S3 URL."""
    denied = HttpResponse(403, [("Content-Type", "text/plain")], b"Access Denied")
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(405, [("Content-Type", "text/plain")], b"Method Not Allowed")
    parts = path[len(PATH_PREFIX) :].split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return denied
    digest, expires, mac = parts[0], int(parts[1]), parts[2]
    if not hmac.compare_digest(mac, _mac(runtime, digest, expires)) or clock.time() > expires:
        return denied
    with runtime.store.read() as conn:
        data = conn.execute(select(model.code.c.zip).where(model.code.c.sha256 == digest)).scalar()
    if data is None:
        return HttpResponse(404, [("Content-Type", "text/plain")], b"Not Found")
    body = b"" if request.method == "HEAD" else bytes(data)
    return HttpResponse(200, [("Content-Type", "application/zip")], body)


def forget_key(runtime: ServiceRuntime) -> None:
    """Test-mode reset wipes the settings table; the next URL signs with a new key."""
    forget_installation_keys(runtime)
