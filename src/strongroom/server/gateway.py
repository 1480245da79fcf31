"""Which requests are API Gateway invocations, and answering them (the data plane's place in the server).

A request is a gateway request, decided before any AWS-API routing, when

* its Host is ``{api_id}.execute-api.{anything}`` (path ``/{stage}/{path}``);
* its path is ``/restapis/{api_id}/{stage}/_user_request_/{path}`` (LocalStack's form; ``/restapis/...`` without
  ``_user_request_`` stays the control plane's rest-json API);
* its Host is a custom domain name (CreateDomainName), whose base path mappings pick the API and stage.

Custom domains are looked up by host name at most once per ``DOMAIN_TTL`` seconds, found or not (a negative entry),
and hosts that cannot be one (IP literals, ``localhost``, names without a dot, ``*.amazonaws.com``) are never looked
up: ordinary API traffic pays a few string tests. Gateway requests never reach the AWS-API pipeline's handlers; the
integration calls they make block, so they run in worker threads (a pool of their own, ``server/app.py``: a slow
backend never holds up AWS API calls).
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter

from strongroom.core import ids
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.services.apigateway import deployed
from strongroom.services.apigateway.dataplane import paths, responses
from strongroom.services.apigateway.dataplane.chain import GatewayRequest, TlsInfo

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime
    from strongroom.services.apigateway.invoke.gateway import Gateway
    from strongroom.services.shield.traffic import TrafficMonitor
    from strongroom.services.wafv2.enforcement import Enforcer

log = logging.getLogger("strongroom.apigateway")

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload quota (10 MB)
DOMAIN_TTL = 5.0
_USER_REQUEST = "/_user_request_"


@dataclass(frozen=True)
class Target:
    invoke: paths.InvokeTarget | None  # None: a custom domain whose mappings match no API (403)
    domain: str | None = None


class _Pending:
    """The host may be a custom domain: ``GatewayHook.lookup`` (a query) decides, in a worker thread."""


PENDING = _Pending()


@lru_cache(maxsize=1024)  # every request asks (the Host of an S3 GET is 127.0.0.1:port): parsing an address costs
def _cannot_be_domain(name: str) -> bool:
    if not name or "." not in name or name == "localhost" or name.endswith(".amazonaws.com"):
        return True
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


class GatewayHook:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._gateway: Gateway | None = None
        self._waf: Enforcer | None = None
        self._shield_traffic: TrafficMonitor | None = None
        self._lock = threading.Lock()
        self._domains: dict[str, tuple[float, deployed.DomainRoute | None]] = {}
        self.requests = Counter(
            "strongroom_apigateway_requests",
            "API Gateway invocations answered",
            ["api", "stage", "status"],
            registry=runtime.metrics.registry,
        )

    @property
    def gateway(self) -> Gateway:
        if self._gateway is None:
            # The stages' WAF and Shield are imported with the first invocation, not with the app: ~0.2 s of every
            # server start that ordinary API traffic never uses.
            from strongroom.server import shield_gateway, waf_gateway
            from strongroom.services.apigateway.invoke.gateway import Gateway
            from strongroom.services.shield.provider import Provider as ShieldProvider
            from strongroom.services.wafv2.enforcement import Enforcer

            with self._lock:
                if self._gateway is None:
                    gateway = Gateway(self.runtime, self.runtime.authorizer)
                    self._waf = Enforcer(self.runtime, resource_type="API_GATEWAY")
                    waf_gateway.install(gateway, self._waf)  # web ACLs of stages (server/waf_gateway.py)
                    shield = self.runtime.providers.provider("shield")
                    if isinstance(shield, ShieldProvider):  # Shield Advanced's detector (server/shield_gateway.py)
                        shield_gateway.install(gateway, shield.traffic)
                        self._shield_traffic = shield.traffic
                    self._gateway = gateway
        return self._gateway

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
        if self._waf is not None:
            self._waf.close()
        if self._shield_traffic is not None:
            self._shield_traffic.close()

    # -- deciding ----------------------------------------------------------------------------------------------

    def target(self, request: HttpRequest) -> Target | _Pending | None:
        """The gateway target of a request (from headers alone), ``PENDING`` when a lookup must decide, or None."""
        host = request.headers.get("host", "")
        if ".execute-api." in host:
            # An execute-api host is the gateway's whatever the path: no stage is its 403, not an AWS API call.
            return Target(paths.parse_execute_api(host, request.path))
        if request.path.startswith("/restapis/") and _USER_REQUEST in request.path:
            found = paths.parse_user_request_path(request.path)
            if found is not None:
                return Target(found)
        name = host.rsplit(":", 1)[0].lower().rstrip(".") if not host.startswith("[") else host
        if _cannot_be_domain(name):
            return None
        hit = self._domains.get(name)
        if hit is None or hit[0] < time.monotonic():
            return PENDING
        return self._domain_target(hit[1], request.path)

    def lookup(self, request: HttpRequest) -> Target | None:
        """``PENDING`` resolved: the custom domain named by the Host (a query, cached with negatives)."""
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0].lower().rstrip(".")
        route = deployed.find_domain(self.runtime.store, self.runtime.config.default_region, name)
        with self._lock:
            if len(self._domains) > 10_000:
                self._domains.clear()
            self._domains[name] = (time.monotonic() + DOMAIN_TTL, route)
        return self._domain_target(route, request.path)

    @staticmethod
    def _domain_target(route: deployed.DomainRoute | None, path: str) -> Target | None:
        if route is None:
            return None
        mappings = paths.base_path_mappings(
            {"basePath": m.base_path, "restApiId": m.api_id, "stage": m.stage} for m in route.mappings
        )
        return Target(paths.resolve_base_path(mappings, path), route.name)

    # -- answering ---------------------------------------------------------------------------------------------

    def too_large(self) -> HttpResponse:
        response = _error("REQUEST_TOO_LARGE")
        response.headers.append(("Connection", "close"))
        return response

    def handle(
        self,
        request: HttpRequest,
        target: Target,
        raw_headers: list[tuple[str, str]],
        tls: Mapping[str, Any] | None = None,
    ) -> HttpResponse:
        """Answer one gateway request (in a worker thread); ``tls`` is the connection's ASGI TLS extension
        (``server/tls_facts.py``: version, SNI name, the verified client certificate of a mutual TLS domain)."""
        gateway_request = GatewayRequest(
            method=request.method,
            path=request.path,
            headers=raw_headers,
            query=urllib.parse.parse_qsl(request.query_string, keep_blank_values=True),
            body=request.body,
            source_ip=request.client_ip,
            host=request.headers.get("host", ""),
            tls=_tls_info(tls) if request.scheme == "https" else None,
        )
        if target.invoke is None:
            return _error("MISSING_AUTHENTICATION_TOKEN")
        try:
            answer, ctx = self.gateway.handle(gateway_request, target.invoke, request, via_domain=target.domain)
        except Exception:  # the chain answers its stages' failures; this is a failure around it
            log.exception("gateway request failed")
            return _error("DEFAULT_5XX")
        self.requests.labels(ctx.api_id or "-", ctx.stage or "-", str(answer.status)).inc()
        if ctx.error is not None:
            # The response type only: log reasons may quote request content.
            log.info(
                "gateway error",
                extra={"request_id": ctx.request_id, "status": answer.status, "type": ctx.error.response_type},
            )
        return HttpResponse(answer.status, answer.headers, answer.body)


_VERSION_NAMES = {0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}


def _tls_info(facts: Mapping[str, Any] | None) -> TlsInfo:
    if not facts:
        return TlsInfo("TLSv1.2")
    cert = facts.get("client_cert")
    return TlsInfo(
        _VERSION_NAMES.get(facts.get("tls_version") or 0, "TLSv1.2"),
        client_cert_pem=cert.get("clientCertPem") if isinstance(cert, Mapping) else None,
        sni=facts.get("server_name"),
        client_cert=cert if isinstance(cert, Mapping) else None,
        ja3_fingerprint=facts.get("ja3_fingerprint"),
        ja4_fingerprint=facts.get("ja4_fingerprint"),
    )


def _error(response_type: str) -> HttpResponse:
    """A gateway response answered before any API is known (AWS's default, with the request ids every answer has)."""
    answer = responses.render(responses.GatewayError(response_type))
    from strongroom.services.apigateway.invoke.gateway import apigw_id  # with the data plane (see ``gateway``)

    headers = [*answer.headers, ("x-amzn-RequestId", ids.uuid4()), ("x-amz-apigw-id", apigw_id())]
    return HttpResponse(answer.status, headers, answer.body)
