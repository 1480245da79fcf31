"""The data plane's request pipeline: an ordered chain of named stages over one `GatewayContext`.

A stage is any callable `(ctx) -> GatewayResponse | None`: None lets the request go on to the next stage, a
response ends the chain with it, and a raised `GatewayError` ends it with that gateway response (rendered with the
API's customizations by `Chain.on_error`). Later features add stages without touching the service code:

    chain.insert_before("throttling", "waf", waf_stage)     # AWS WAF evaluates before API keys and throttling
    chain.insert_after("resolve", "shield", shield_stage)

`STANDARD_STAGES` is the order the data plane assembles (each name is an anchor for insertions). Insertions build
a new tuple under a lock, and `run` reads one snapshot, so a chain may be extended while requests run through it.
Every stage's wall time is recorded on `ctx.timings` (name, seconds, outcome) for the access log and metrics; an
exception that is not a `GatewayError` is answered 500 "Internal server error" (DEFAULT_5XX) with the exception kept
as the log reason — never a traceback to the client.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from strongroom.services.apigateway.dataplane import responses, vtl
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse

# The data plane's stages, in order. WAF belongs before "api_key" (AWS evaluates web ACLs first); Shield-style
# connection/rate guards before "resolve".
STANDARD_STAGES = (
    "resolve",  # invoke URL -> API, stage, deployment snapshot
    "route",  # resource + method (paths.ResourceMatcher)
    "api_key",  # x-api-key against the method's apiKeyRequired and usage plans
    "authorize",  # NONE / AWS_IAM / Lambda / Cognito authorizers
    "throttling",  # throttle.Throttler
    "quota",  # usage-plan quotas
    "validate",  # request validators (parameters, body models)
    "integration_request",  # request templates / proxy event
    "integration",  # the call: Lambda, HTTP, MOCK, AWS
    "integration_response",  # response selection, templates, overrides
)


@dataclass(frozen=True)
class TlsInfo:
    version: str  # e.g. "TLSv1.3"
    cipher: str = ""
    client_cert_pem: str | None = None  # mutual TLS
    sni: str | None = None
    # $context.identity.clientCert as AWS shapes it (clientCertPem, subjectDN, issuerDN, serialNumber, validity)
    client_cert: Mapping[str, Any] | None = None
    # The client's TLS fingerprints (JA3, JA4) for WAF's JA3Fingerprint / JA4Fingerprint; None when not read
    ja3_fingerprint: str | None = None
    ja4_fingerprint: str | None = None


@dataclass
class GatewayRequest:
    """The request as received: header and query pairs keep their order and repeated names."""

    method: str
    path: str  # raw (percent-encoded), without the query string
    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    source_ip: str = ""
    host: str = ""
    tls: TlsInfo | None = None
    protocol: str = "HTTP/1.1"
    received_at: float = field(default_factory=time.time)  # epoch seconds

    def header(self, name: str) -> str | None:
        """The last value of a header (case-insensitive), as API Gateway's single-value views take it."""
        values = self.header_values(name)
        return values[-1] if values else None

    def header_values(self, name: str) -> list[str]:
        lowered = name.lower()
        return [v for k, v in self.headers if k.lower() == lowered]

    def query_values(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]


@dataclass
class Identity:
    """`$context.identity.*`: who called (IAM caller fields filled by an AWS_IAM method, the key by api_key)."""

    source_ip: str = ""
    user_agent: str | None = None
    caller: str | None = None
    user: str | None = None
    user_arn: str | None = None
    account_id: str | None = None
    access_key: str | None = None
    api_key: str | None = None
    api_key_id: str | None = None
    principal_org_id: str | None = None
    cognito_identity_id: str | None = None
    cognito_identity_pool_id: str | None = None
    cognito_authentication_type: str | None = None
    cognito_authentication_provider: str | None = None


@dataclass(frozen=True)
class StageTiming:
    name: str
    seconds: float
    outcome: str  # "continue" | "answer" | "error" | "failure"


@dataclass
class GatewayContext:
    """One request's state through the chain; stages fill it in as they learn things."""

    request: GatewayRequest
    request_id: str
    extended_request_id: str = ""
    account_id: str = ""
    api_id: str = ""
    stage: str = ""
    domain_name: str = ""
    resource_id: str = ""
    resource_path: str = ""
    http_method: str = ""
    path: str = ""  # the path after the stage (or base path), e.g. /pets/7
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)
    identity: Identity = field(default_factory=Identity)
    authorizer: dict[str, Any] = field(default_factory=dict)  # principalId + the authorizer's context
    method: Mapping[str, Any] = field(default_factory=dict)  # GetMethod output of the matched method
    gateway_responses: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # by response type
    error: GatewayError | None = None
    response: GatewayResponse | None = None
    answered_by: str | None = None
    integration: dict[str, Any] = field(default_factory=dict)  # status, latency (ms), error, requestId
    timings: list[StageTiming] = field(default_factory=list)
    attributes: dict[str, Any] = field(default_factory=dict)  # for stages added later (e.g. a WAF verdict)
    # `$context` variables a stage publishes (a WAF stage: `waf`, `wafResponseCode`, `webaclArn`); they add to the
    # standard ones and never replace them.
    context_extras: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


class Stage(Protocol):
    def __call__(self, ctx: GatewayContext, /) -> GatewayResponse | None: ...


ErrorRenderer = Callable[[GatewayContext, GatewayError], GatewayResponse]


def render_error(ctx: GatewayContext, error: GatewayError) -> GatewayResponse:
    """The default `Chain.on_error`: the API's (or AWS's default) gateway response, `$context` included."""
    request = ctx.request
    return responses.render(
        error,
        configured=ctx.gateway_responses,
        context=context_variables(ctx),
        params=params_of(ctx),
        stage_variables=ctx.stage_variables,
        accept=request.header("Accept"),
    )


class Chain:
    """Named stages run in order; see the module docstring for the insertion API."""

    def __init__(
        self,
        stages: Iterable[tuple[str, Stage]] = (),
        *,
        on_error: ErrorRenderer = render_error,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._lock = threading.Lock()
        self._stages: tuple[tuple[str, Stage], ...] = ()
        self._on_error = on_error
        self._clock = clock
        for name, stage in stages:
            self.append(name, stage)

    def names(self) -> list[str]:
        return [name for name, _ in self._stages]

    def _index(self, name: str) -> int:
        for i, (existing, _) in enumerate(self._stages):
            if existing == name:
                return i
        raise KeyError(f"No stage named {name!r} (stages: {', '.join(self.names())})")

    def _insert(self, index: int, name: str, stage: Stage) -> None:
        if any(existing == name for existing, _ in self._stages):
            raise ValueError(f"A stage named {name!r} is already in the chain")
        stages = list(self._stages)
        stages.insert(index, (name, stage))
        self._stages = tuple(stages)

    def append(self, name: str, stage: Stage) -> None:
        with self._lock:
            self._insert(len(self._stages), name, stage)

    def insert_before(self, anchor: str, name: str, stage: Stage) -> None:
        """Run `stage` just before the stage named `anchor` (KeyError when there is none)."""
        with self._lock:
            self._insert(self._index(anchor), name, stage)

    def insert_after(self, anchor: str, name: str, stage: Stage) -> None:
        with self._lock:
            self._insert(self._index(anchor) + 1, name, stage)

    def replace(self, name: str, stage: Stage) -> None:
        with self._lock:
            stages = list(self._stages)
            stages[self._index(name)] = (name, stage)
            self._stages = tuple(stages)

    def remove(self, name: str) -> None:
        with self._lock:
            index = self._index(name)
            self._stages = self._stages[:index] + self._stages[index + 1 :]

    def run(self, ctx: GatewayContext) -> GatewayResponse:
        """Run the stages until one answers; a chain that runs out of stages without an answer is a 500."""
        for name, stage in self._stages:
            started = self._clock()
            outcome = "continue"
            try:
                answer = stage(ctx)
                if answer is not None:
                    outcome = "answer"
            except GatewayError as raised:
                outcome = "error"
                ctx.error = raised
                answer = self._on_error(ctx, raised)
            except Exception as exc:  # a stage's bug must not become a traceback to the client
                outcome = "failure"
                failure = GatewayError("DEFAULT_5XX", log_reason=f"Stage {name} failed: {type(exc).__name__}: {exc}")
                ctx.error = failure
                answer = self._on_error(ctx, failure)
            ctx.timings.append(StageTiming(name, self._clock() - started, outcome))
            if answer is not None:
                ctx.response = answer
                ctx.answered_by = name
                return answer
        unanswered = GatewayError("DEFAULT_5XX", log_reason="No stage answered the request")
        ctx.error = unanswered
        ctx.response = self._on_error(ctx, unanswered)
        return ctx.response


# --- $context -------------------------------------------------------------------------------------------------------


def request_time(epoch: float) -> str:
    """`$context.requestTime`: CLF-formatted (dd/MMM/yyyy:HH:mm:ss +0000)."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def params_of(ctx: GatewayContext) -> vtl.Params:
    """The `vtl.Params` a template sees for this request (single values: the last of repeated names)."""
    from_query: dict[str, str] = {}
    for key, value in ctx.request.query:
        from_query[key] = value
    headers: dict[str, str] = {}
    for key, value in ctx.request.headers:
        headers[key] = value
    return vtl.Params(path=dict(ctx.path_parameters), querystring=from_query, header=headers)


def context_variables(ctx: GatewayContext) -> dict[str, Any]:
    """The `$context` map of mapping templates, gateway responses and access logs."""
    request = ctx.request
    identity = ctx.identity
    stage_path = f"/{ctx.stage}{ctx.path}" if ctx.stage else ctx.path
    out: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "authorizer": dict(ctx.authorizer),
        "domainName": ctx.domain_name or request.host.split(":", 1)[0],
        "domainPrefix": (ctx.domain_name or request.host).split(".", 1)[0],
        "extendedRequestId": ctx.extended_request_id or ctx.request_id,
        "httpMethod": request.method.upper(),
        "identity": {
            "sourceIp": identity.source_ip or request.source_ip,
            "userAgent": identity.user_agent if identity.user_agent is not None else request.header("User-Agent"),
            "caller": identity.caller,
            "user": identity.user,
            "userArn": identity.user_arn,
            "accountId": identity.account_id,
            "accessKey": identity.access_key,
            "apiKey": identity.api_key,
            "apiKeyId": identity.api_key_id,
            "principalOrgId": identity.principal_org_id,
            "cognitoIdentityId": identity.cognito_identity_id,
            "cognitoIdentityPoolId": identity.cognito_identity_pool_id,
            "cognitoAuthenticationType": identity.cognito_authentication_type,
            "cognitoAuthenticationProvider": identity.cognito_authentication_provider,
        },
        "path": stage_path,
        "protocol": request.protocol,
        "requestId": ctx.request_id,
        "requestTime": request_time(request.received_at),
        "requestTimeEpoch": int(request.received_at * 1000),
        "resourceId": ctx.resource_id,
        "resourcePath": ctx.resource_path,
        "stage": ctx.stage,
        "integration": dict(ctx.integration),
        "integrationLatency": ctx.integration.get("latency"),
        "integrationStatus": ctx.integration.get("status"),
    }
    for key, value in ctx.context_extras.items():
        out.setdefault(key, value)
    if ctx.error is not None:
        out["error"] = responses.error_context(ctx.error)
    if ctx.response is not None:
        out["status"] = ctx.response.status
        out["responseLength"] = len(ctx.response.body)
        out["responseLatency"] = int((time.perf_counter() - ctx.started) * 1000)
    if request.tls is not None:
        cert = request.tls.client_cert
        if cert is None and request.tls.client_cert_pem:
            cert = {"clientCertPem": request.tls.client_cert_pem}
        out["identity"]["clientCert"] = dict(cert) if cert is not None else None
    return out
