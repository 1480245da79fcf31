"""The data plane: one ``Gateway`` per server process answers invoke-URL requests through the chain.

``Gateway.handle(request, target, http)`` runs ``chain.STANDARD_STAGES`` (plus ``resource_policy`` after ``route``)
over a ``GatewayContext``; the server (``server/gateway.py``) decides which requests are gateway requests and runs
this in its worker threads. Stages live in ``security.py``, ``authorizers.py`` and ``integrations.py``; what they
share is on ``ctx.attributes["gateway"]`` (``state.RequestState``). Access log lines go to CloudWatch Logs from a
background thread (``access_logs.AccessLogShipper``).
"""

from __future__ import annotations

import base64
import os
import threading
from functools import partial
from typing import TYPE_CHECKING, Any

import urllib3

from strongroom.core import context, ids
from strongroom.services.apigateway import deployed
from strongroom.services.apigateway.dataplane import chain as chains
from strongroom.services.apigateway.dataplane import paths, throttle
from strongroom.services.apigateway.dataplane.chain import GatewayContext, GatewayRequest
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse
from strongroom.services.apigateway.invoke import authorizers, integrations, security
from strongroom.services.apigateway.invoke.access_logs import AccessLogShipper
from strongroom.services.apigateway.invoke.state import (
    LOOKUP_TTL,
    STAGE_TTL,
    Compiled,
    Deployed,
    RequestState,
    TtlCache,
)

if TYPE_CHECKING:
    from strongroom.iam.accounts import AccessKey
    from strongroom.iam.authorize import Authorizer
    from strongroom.services.base.runtime import ServiceRuntime


def apigw_id() -> str:
    """An ``x-amz-apigw-id`` (AWS's are 12 base64 characters ending in ``=``)."""
    return base64.b64encode(os.urandom(8)).decode()[:11] + "="


class Gateway:
    def __init__(self, runtime: ServiceRuntime, iam: Authorizer) -> None:
        self.runtime = runtime
        self.iam = iam
        self.stages: TtlCache[Deployed | None] = TtlCache(STAGE_TTL)
        self._compiled: dict[tuple[str, str], Compiled] = {}
        self._compiled_lock = threading.Lock()
        self.keys: TtlCache[Any] = TtlCache(LOOKUP_TTL)
        self.plans: TtlCache[Any] = TtlCache(LOOKUP_TTL)
        self.authorizer_answers: TtlCache[Any] = TtlCache(300)
        self.throttler = throttle.Throttler()
        self.http = urllib3.PoolManager(num_pools=50, maxsize=10, block=False)
        self.access_logs = AccessLogShipper(runtime)
        self.chain = chains.Chain(
            [
                ("resolve", self.resolve),
                ("route", self.route),
                ("resource_policy", partial(security.resource_policy, self)),
                ("api_key", partial(security.api_key, self)),
                ("authorize", partial(authorizers.authorize, self)),
                ("throttling", partial(security.throttling, self)),
                ("quota", partial(security.quota, self)),
                ("validate", partial(security.validate, self)),
                ("integration_request", partial(integrations.integration_request, self)),
                ("integration", partial(integrations.integration, self)),
                ("integration_response", partial(integrations.integration_response, self)),
            ]
        )

    def close(self) -> None:
        self.access_logs.close()
        self.http.clear()

    # -- entry -------------------------------------------------------------------------------------------------

    def handle(
        self, request: GatewayRequest, target: paths.InvokeTarget, http: Any, *, via_domain: str | None = None
    ) -> tuple[GatewayResponse, GatewayContext]:
        ctx = GatewayContext(request=request, request_id=ids.uuid4(), extended_request_id=apigw_id())
        ctx.domain_name = via_domain or ""
        ctx.path = target.path
        ctx.attributes["gateway"] = RequestState(target, via_domain=via_domain is not None)
        ctx.attributes["http"] = http
        response = self.chain.run(ctx)
        response.headers.append(("x-amzn-RequestId", ctx.request_id))
        response.headers.append(("x-amz-apigw-id", ctx.extended_request_id))
        if ctx.stage and ctx.account_id:
            self.access_logs.record(ctx)
        return response, ctx

    # -- resolve and route -------------------------------------------------------------------------------------

    def deployed(self, api_id: str, stage: str) -> Deployed | None:
        """The stage as served: re-read every ``STAGE_TTL`` seconds, compiled once per deployment."""
        return self.stages.get((api_id, stage), partial(self._load, api_id, stage))

    def _load(self, api_id: str, stage: str) -> Deployed | None:
        config = deployed.load_stage(self.runtime.store, api_id, stage)
        if config is None:
            return None
        key = (api_id, config.deployment_id)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = Compiled.of(config)
            with self._compiled_lock:
                if len(self._compiled) >= 1000:  # only a cache: deployments no stage serves go with it
                    self._compiled.clear()
                self._compiled[key] = compiled
        return Deployed(config, compiled)

    def resolve(self, ctx: GatewayContext) -> GatewayResponse | None:
        state = security.state_of(ctx)
        target = state.target
        found = self.deployed(target.api_id, target.stage)
        if found is None:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", log_reason="no such API or stage")
        api = found.config.api
        if api.disable_execute_api_endpoint and not state.via_domain:
            raise GatewayError("ACCESS_DENIED", "Forbidden", log_reason="the execute-api endpoint is disabled")
        state.deployed = found
        state.region = api.region
        ctx.account_id = api.account_id
        ctx.api_id = api.id
        ctx.stage = found.config.stage_name
        ctx.stage_variables = dict(found.config.variables)
        ctx.gateway_responses = found.compiled.gateway_responses
        if not ctx.domain_name:
            ctx.domain_name = f"{api.id}.execute-api.{api.region}.amazonaws.com"
        return None

    def route(self, ctx: GatewayContext) -> GatewayResponse | None:
        state = security.state_of(ctx)
        try:
            match = state.compiled.matcher.match(ctx.request.method, ctx.path)
        except paths.NoRoute:
            raise GatewayError("MISSING_AUTHENTICATION_TOKEN", log_reason="no resource or method matches") from None
        ctx.resource_id = match.resource_id
        ctx.resource_path = match.resource_path
        ctx.http_method = match.http_method
        ctx.path_parameters = dict(match.path_parameters)
        ctx.method = match.method
        return None

    # -- callers -----------------------------------------------------------------------------------------------

    def principal_for_key(self, key: AccessKey | None, access_key_id: str) -> context.Principal:
        if key is None:  # --dev: any key is the default account's root
            return context.Principal.root(self.runtime.accounts.init_account() or "000000000000", access_key_id)
        return key.principal()
