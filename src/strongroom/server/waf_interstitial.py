"""``/.aws-waf/``: the endpoints the CAPTCHA and Challenge pages of the server's enforcement points call.

A web ACL on an API Gateway stage answers CAPTCHA / Challenge with an interstitial page whose script fetches a
puzzle from ``/.aws-waf/challenge`` (or ``/captcha``) on the same host and posts the solution to ``.../verify``;
the answer sets the ``aws-waf-token`` cookie for that host, signed with the installation's token key
(``services/wafv2/enforcement.token_key``), which every stage's web ACL accepts for its domain (and TokenDomains).
On AWS these calls go to the web ACL's integration endpoint; here the server answers them on every host it serves
(execute-api hosts, custom domains, the path-style form), as ``waf/interstitial.py`` describes. The path cannot
clash with S3 (a bucket name never starts with a dot) or with a stage (stage names are word characters).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from strongroom.core.clock import clock
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.services.wafv2.enforcement import token_key
from strongroom.waf.interstitial import MAX_BODY, Interstitials

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

PREFIX = "/.aws-waf/"
_pages = Interstitials()  # per process: the spent-nonce ledger and the per-client limiter


def handle_interstitial(runtime: Runtime, request: HttpRequest) -> HttpResponse:
    cookies: list[tuple[str, str]] = []
    for part in request.headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name:
            cookies.append((name, value))
    body = request.body if request.method == "POST" and len(request.body) <= MAX_BODY else None
    answer = _pages.answer(
        token_key(runtime),
        request.method,
        request.path[len(PREFIX) - 1 :],
        host=request.headers.get("host", ""),
        client_ip=request.client_ip,
        body=body,
        cookies=cookies,
        https=request.scheme == "https",
        now=clock.time(),
    )
    headers = [("Content-Type", "application/json"), ("Cache-Control", "no-store"), *answer.headers]
    return HttpResponse(answer.status, headers, json.dumps(answer.body).encode())
