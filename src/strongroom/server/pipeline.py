"""The request pipeline: route -> authenticate -> decode -> validate -> provider -> encode.

Every failure on the way becomes the AWS error of the request's protocol; nothing escapes as a
traceback. The pipeline is synchronous (providers use the synchronous SQLAlchemy API). Calls that may block run in
the server's worker threads; on SQLite, read-only calls run on the event loop itself (``on_loop``): they
are CPU work under the GIL either way, and skipping the hand-off to a thread and back is worth ~45% more
requests per second for KMS Encrypt.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from botocore.model import OperationModel, ServiceModel

from strongroom.audit.pipeline import claimed_key, operation_hint
from strongroom.audit.records import CallFacts, is_read_only
from strongroom.audit.store import AuditUnavailable
from strongroom.audit.store import internal_error as audit_internal_error
from strongroom.core import ids
from strongroom.core.clock import clock
from strongroom.core.context import SERVICE_LINKED_ROLE, Principal, RequestContext
from strongroom.core.errors import AwsError, InternalFailure, NotImplementedOperation
from strongroom.iam import sigv4
from strongroom.keyring.factory import SEALED_MESSAGE, sealed_error_code
from strongroom.protocol.catalog import signing_name
from strongroom.protocol.codecs import codec_for
from strongroom.protocol.http import HttpRequest, HttpResponse
from strongroom.protocol.router import Route, RoutingError, credential_scope, resolve
from strongroom.protocol.s3route import is_s3_request
from strongroom.protocol.validate import format_message, validation_errors
from strongroom.scheduler.jobs import ClockFollower
from strongroom.server import limits, s3plane
from strongroom.server.logs import log_request
from strongroom.services.base.runtime import ServiceRuntime

if TYPE_CHECKING:
    from strongroom.core.operations import Operation
    from strongroom.iam.authorize import Authorizer
    from strongroom.server.metrics import Metrics
    from strongroom.services.registry import ProviderRegistry


class PipelineRuntime(ServiceRuntime, Protocol):
    """What the pipeline uses of the server's ``Runtime`` (typed here so the pipeline does not import it)."""

    @property
    def metrics(self) -> Metrics: ...
    @property
    def providers(self) -> ProviderRegistry: ...
    @property
    def authorizer(self) -> Authorizer: ...


# What an in-process call inherits of its caller's context (see Pipeline.call).
_CARRIED_EXTRAS = ("source_arn", "source_account", SERVICE_LINKED_ROLE)
log = logging.getLogger("strongroom.request")

_VALIDATION_CODE = {"query": "ValidationError"}
# Services that answer the model's constraint failures with an error of their own (same message text).
_SERVICE_VALIDATION_CODE = {"logs": "InvalidParameterException"}
_DIGITS = frozenset("0123456789")


def validation_code(service: str, protocol: str) -> str:
    """The code a service answers input it cannot accept with (the model's constraints, input nested too deeply)."""
    return _SERVICE_VALIDATION_CODE.get(service, _VALIDATION_CODE.get(protocol, "ValidationException"))


# Read-only as CloudTrail counts them, yet writing (STS stores a session): operations with no row (not implemented)
# that would hold up every other connection of the process, so they stay in the worker threads. Implemented
# operations say so in their row (``on_loop=False``: KMS key-pair generation, STS sessions).
_NO_ROW_OFF_LOOP = frozenset({"sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity", "sts:GetFederationToken"})


def runs_on_loop(service: str, operation: str, spec: Operation | None = None) -> bool:
    """Whether a call may run on the event loop (on SQLite): the row's ``on_loop`` when it says, else read-only
    (``audit.records.is_read_only``); operations without a row: not in ``_NO_ROW_OFF_LOOP`` either."""
    if spec is not None:
        return spec.on_loop if spec.on_loop is not None else is_read_only(service, operation, spec)
    return is_read_only(service, operation) and f"{service}:{operation}" not in _NO_ROW_OFF_LOOP


class Pipeline:
    def __init__(self, runtime: PipelineRuntime) -> None:
        self.runtime = runtime
        # Off only in the protocol round-trip test, whose random inputs ignore regex patterns.
        self.validate_input = True
        self._on_loop: dict[tuple[str, str], bool] = {}
        config = runtime.config
        self.auth_failures = limits.AuthFailureLimiter(config.auth_failure_burst, config.auth_failure_rate)
        # Test mode on SQLite: every request first adopts a clock another worker moved (a memory read unless it
        # moved). None otherwise: the normal mode pays nothing for it.
        follower = ClockFollower(runtime.store) if config.test_mode else None
        self._follow_clock = follower.follow if follower is not None and follower.signal is not None else None

    def follow_clock(self) -> None:
        """Adopt the stored test-mode clock if another process moved it (``scheduler.jobs.ClockFollower``)."""
        if self._follow_clock is not None:
            self._follow_clock()

    def route_of(self, request: HttpRequest) -> Route | None:
        """The request's route, or None when it has none (``handle`` then answers the error)."""
        try:
            return resolve(self.runtime.catalog, request)
        except Exception:
            return None

    def s3_route(self, request: HttpRequest) -> Route | None:
        """The route of an S3 request, from its headers alone (its body streams), or None for other requests."""
        scope = credential_scope(request)
        if "s3" not in self.runtime.catalog.services or not is_s3_request(request, scope[1] if scope else None):
            return None
        route = self.route_of(request)
        return route if route is not None and route.protocol == "rest-xml" else None

    def on_loop(self, route: Route) -> bool:
        """Whether the server may run this call on its event loop instead of a worker thread.

        Only read-only calls on SQLite: they never wait for an audit commit, and their reads are local
        CPU work. On PostgreSQL every query is a round trip, which worker threads overlap.
        """
        key = (route.service.service_name, route.operation.name)
        answer = self._on_loop.get(key)
        if answer is None:
            answer = self.runtime.store.is_sqlite and runs_on_loop(*key, self.spec(*key))
            self._on_loop[key] = answer
        return answer

    def spec(self, service: str, operation: str) -> Operation | None:
        """The operation's row of its service's operations table (None: the service has none yet)."""
        return self.runtime.providers.operation(service, operation)

    def handle(
        self, request: HttpRequest, route: Route | None = None, *, rejection: AwsError | None = None
    ) -> HttpResponse:
        """Answer one request; ``rejection`` (a body refused before it was read) is answered and recorded instead."""
        started = time.perf_counter()
        if self._follow_clock is not None:
            self._follow_clock()
        request_id = ids.request_id()
        service: ServiceModel | None = None
        operation: OperationModel | None = None
        protocol = "json"
        error_code: str | None = None
        account: str | None = None
        facts = CallFacts(
            request_id=request_id,
            event_time=clock.now(),
            source_ip=request.client_ip,
            user_agent=request.headers.get("user-agent", ""),
            tls_host=request.headers.get("host", "") if request.scheme == "https" else None,
        )
        try:
            if rejection is not None:
                route = route or self.route_of(request)
                if route is None:
                    service, protocol = self._guess_service(request)
                    facts.service = service
                    raise rejection
            if route is None:
                route = resolve(self.runtime.catalog, request)
            service, operation, protocol = route.service, route.operation, route.protocol
            facts.service, facts.operation = service, operation
            facts.spec = self.spec(service.service_name, operation.name)
            if rejection is not None:
                raise rejection
            limit = limits.body_limit(service.service_name, operation.name, facts.spec)
            if len(request.body) > limit:
                raise limits.too_large(limit, service.service_name, operation.name)
            if self.runtime.seal.is_sealed:
                raise sealed_error(service.service_name, protocol)
            extras: dict[str, object] | None = None
            if route.protocol == "rest-xml":
                principal, region, extras = self.authenticate_s3(request, route)
            else:
                principal, region = self.authenticate(request, route)
            account = principal.account_id
            facts.principal, facts.region = principal, region
            response = self.dispatch(request, route, principal, region, request_id, facts, extras)
        except RoutingError as exc:
            protocol, error_code = exc.protocol, exc.code
            facts.service = exc.service
            facts.error_code, facts.error_message = exc.code, exc.message
            response = codec_for(exc.protocol).encode_error(
                exc.service or _fallback(self.runtime), None, exc, request_id
            )
        except AwsError as exc:
            error_code = exc.code
            facts.error_code, facts.error_message = exc.code, exc.message
            response = codec_for(protocol).encode_error(service or _fallback(self.runtime), operation, exc, request_id)
        except RecursionError:
            # Input nested past what a parser walks (a policy string of 50,000 brackets): the caller's error, as AWS
            # answers it, not the server's. Logged with its stack, in case the recursion is ours.
            log.warning("input nests too deeply", extra={"request_id": request_id}, exc_info=True)
            name = service.service_name if service else ""
            err = AwsError("The input nests too deeply to be read.", code=validation_code(name, protocol), status=400)
            error_code = err.code
            facts.error_code, facts.error_message = err.code, err.message
            response = codec_for(protocol).encode_error(service or _fallback(self.runtime), operation, err, request_id)
        except Exception:
            log.exception("internal error", extra={"request_id": request_id})
            err = InternalFailure("We encountered an internal error. Please try again.")
            error_code = err.code
            facts.error_code, facts.error_message = err.code, err.message
            response = codec_for(protocol).encode_error(service or _fallback(self.runtime), operation, err, request_id)
        facts.status = response.status
        if not self._audit(request, facts):
            failure = audit_internal_error(service.service_name if service else "")
            error_code = failure.code
            response = codec_for(protocol).encode_error(
                service or _fallback(self.runtime), operation, failure, request_id
            )
        elapsed = time.perf_counter() - started
        service_name = service.service_name if service else "unknown"
        op_name = operation.name if operation else "unknown"
        self.runtime.metrics.observe(service_name, op_name, response.status, elapsed, error_code)
        log_request(request_id, service_name, op_name, response.status, round(elapsed * 1000, 3), account, error_code)
        return response

    def _audit(self, request: HttpRequest, facts: CallFacts) -> bool:
        """Record the call; False when a successful mutating call's record could not be made durable.

        Data events (S3 object operations) are recorded only for the accounts whose trails select them, which the
        audit log decides (``audit/data_events.py``); most are not recorded and cost a time comparison.
        """
        facts.http = request  # S3 data events record its Host, signature and sizes
        try:
            if facts.principal is None:
                claimed_key(self.runtime, request, facts)
            if facts.operation is None:
                facts.operation_hint = operation_hint(request)
            ticket = self.runtime.audit.record_call(facts)
            if ticket.awaited:
                ticket.wait()  # fail closed: never acknowledge a change that has no record
        except Exception as exc:  # whatever went wrong, the call must not be acknowledged unrecorded
            if not isinstance(exc, AuditUnavailable):
                log.exception("audit step failed", extra={"request_id": facts.request_id})
            log.error(
                "audit record not stored; failing the call",
                extra={"request_id": facts.request_id, "error": type(exc).__name__},
            )
            return facts.error_code is not None
        return True

    def body_limit(self, request: HttpRequest) -> int:
        """The largest body the server will read for ``request``, judged from its headers alone.

        Only a request that names a credential the server knows (any, with ``--dev``) may send more than
        ``unauthenticated_body_limit``: its signature can only be checked once the body is read, but an unsigned
        request, an unknown access key or a throttled source never makes the server buffer a large body.
        """
        small = self.runtime.config.unauthenticated_body_limit
        try:
            info = sigv4.parse_credentials(request)
            if info is None or self.auth_failures.blocked(request.client_ip):
                return small
            if not self.runtime.config.dev:
                key = self.runtime.accounts.lookup(info.access_key_id)
                if key is None or key.status != "Active":
                    return small
            route = self.route_of(request)
            if route is not None:
                name, op = route.service.service_name, route.operation.name
                return max(small, limits.body_limit(name, op, self.spec(name, op)))
            service = self.runtime.catalog.by_signing_name(info.service)
            return max(small, limits.body_limit(service.service_name if service is not None else None))
        except Exception:  # a sealed server, a malformed header: the request gets the small allowance
            return small

    def _guess_service(self, request: HttpRequest) -> tuple[ServiceModel | None, str]:
        """The service and protocol a request that cannot be routed yet (its body unread) was meant for."""
        try:
            info = sigv4.parse_credentials(request)
        except sigv4.SigV4Error:
            info = None
        service = self.runtime.catalog.by_signing_name(info.service) if info is not None else None
        if request.headers.get("x-amz-target"):
            return service, "json"
        if service is not None:
            return service, str(service.protocol)
        return None, "query" if "x-www-form-urlencoded" in request.headers.get("content-type", "") else "json"

    def authenticate(self, request: HttpRequest, route: Route) -> tuple[Principal, str]:
        """Who is calling, and in which region. Raises the protocol's auth error (or throttling error).

        A source whose authentication failures used up its allowance (``limits.AuthFailureLimiter``) is refused
        before its signature is checked: a flood of bad signatures costs neither SigV4 work nor key look-ups.
        """
        source = request.client_ip
        if self.auth_failures.blocked(source):
            raise limits.throttled(route.service.service_name, route.protocol)
        try:
            return self._authenticate(request, route)
        except AwsError:
            self.auth_failures.failure(source)
            raise

    def authenticate_s3(self, request: HttpRequest, route: Route) -> tuple[Principal, str, dict[str, object]]:
        """S3's authentication (``server/s3plane.py``), with the same brake on failures; then its body is set up."""
        source = request.client_ip
        if self.auth_failures.blocked(source):
            raise limits.throttled("s3", route.protocol)
        try:
            principal, region, extras, auth = s3plane.authenticate(self.runtime, request, route)
        except AwsError:
            self.auth_failures.failure(source)
            raise
        # An anonymous caller gets the unauthenticated allowance for a body read before authorization.
        cap = self.runtime.config.unauthenticated_body_limit if principal.type == "Anonymous" else None
        s3plane.prepare_body(request, route, auth, cap=cap)
        s3plane.path_style(request, route)
        return principal, region, extras

    def _authenticate(self, request: HttpRequest, route: Route) -> tuple[Principal, str]:
        """Who is calling, and in which region. Raises the protocol's auth error."""
        runtime = self.runtime
        default_region = runtime.config.default_region
        try:
            info = sigv4.parse_credentials(request)
        except sigv4.SigV4Error as exc:
            raise sigv4.to_aws_error(exc.kind, route.protocol, str(exc)) from None
        if info is None:
            if route.operation.auth_type == "none" or route.operation.metadata.get("authtype") == "none":
                account = runtime.accounts.init_account() or "000000000000"
                return Principal("Anonymous", account, "", "anonymous"), default_region
            raise sigv4.to_aws_error("missing_auth", route.protocol)
        if runtime.config.dev:
            return self._dev_principal(info.access_key_id), info.region
        key = runtime.accounts.lookup(info.access_key_id)
        if key is None or key.status != "Active":
            raise sigv4.to_aws_error("unknown_key", route.protocol)
        # temporary credentials need their session token, and expire by the server clock
        session_error = key.session_error(info.session_token, clock.time())
        if session_error is not None:
            raise sigv4.to_aws_error(session_error, route.protocol)
        try:
            sigv4.verify(request, info, key.secret_access_key, service=signing_name(route.service))
        except sigv4.SigV4Error as exc:
            raise sigv4.to_aws_error(exc.kind, route.protocol, str(exc)) from None
        runtime.accounts.touch(key, route.service.service_name, info.region)
        return key.principal(), info.region

    def signed_principal(self, request: HttpRequest, service: str) -> tuple[Principal, str]:
        """The signer of a request to one of the server's own signed endpoints (under ``/_strongroom/``), checked
        as an API call is (the key active, the session's token and expiry, the SigV4 signature for ``service``),
        and the Region it signed for; ``sigv4.SigV4Error`` when it cannot be authenticated."""
        info = sigv4.parse_credentials(request)
        if info is None:
            raise sigv4.SigV4Error("missing_auth")
        if self.runtime.config.dev:
            return self._dev_principal(info.access_key_id), info.region
        key = self.runtime.accounts.lookup(info.access_key_id)
        if key is None or key.status != "Active":
            raise sigv4.SigV4Error("unknown_key")
        session_error = key.session_error(info.session_token, clock.time())
        if session_error is not None:
            raise sigv4.SigV4Error(session_error)
        sigv4.verify(request, info, key.secret_access_key, service=service)
        return key.principal(), info.region

    def authorized_as(
        self,
        request: HttpRequest,
        principal: Principal,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
    ) -> RequestContext[Any]:
        """The context of ``service:operation`` run for a signed request to one of the server's own endpoints
        (``signed_principal``'s caller), once the call is authorized as that operation would be; raises the
        operation's access-denied error otherwise."""
        ctx = self._request_context(request, principal, region, service, operation, ids.request_id())
        self.runtime.authorizer.authorize(ctx, params)
        return ctx

    def _request_context(
        self,
        request: HttpRequest,
        principal: Principal,
        region: str,
        service: str,
        operation: str,
        request_id: str,
        extras: dict[str, object] | None = None,
        spec: Operation | None = None,
    ) -> RequestContext[Any]:
        """The context a provider (and the authorizer) sees of a call made by ``request``'s signer."""
        return RequestContext(
            runtime=self.runtime,
            request_id=request_id,
            service=service,
            operation=operation,
            region=region,
            principal=principal,
            source_ip=request.client_ip,
            user_agent=request.headers.get("user-agent", ""),
            extras=extras if extras is not None else {},
            spec=spec if spec is not None else self.spec(service, operation),
        )

    def _dev_principal(self, access_key_id: str) -> Principal:
        accounts = self.runtime.accounts
        if len(access_key_id) == 12 and set(access_key_id) <= _DIGITS:
            if not accounts.account_exists(access_key_id):
                accounts.create_account(access_key_id, name=f"dev-{access_key_id}")
            return Principal.root(access_key_id, access_key_id)
        return Principal.root(accounts.init_account() or "000000000000", access_key_id)

    def dispatch(
        self,
        request: HttpRequest,
        route: Route,
        principal: Principal,
        region: str,
        request_id: str,
        facts: CallFacts | None = None,
        extras: dict[str, object] | None = None,
    ) -> HttpResponse:
        codec = codec_for(route.protocol)
        operation = route.operation
        params = codec.decode(operation, request)
        if facts is not None:
            facts.params = params
        # S3 never answers ValidationException: its operations check their input and answer S3's own codes
        # (InvalidArgument, MalformedXML, InvalidLocationConstraint, ...).
        if self.validate_input and operation.input_shape is not None and route.protocol != "rest-xml":
            errors = validation_errors(operation.input_shape, params)
            if errors:
                code = validation_code(route.service.service_name, route.protocol)
                raise AwsError(format_message(errors), code=code, status=400)
        service_name = route.service.service_name
        handler = self.runtime.providers.handler(service_name, operation.name)
        if handler is None:
            raise NotImplementedOperation(
                f"Strongroom does not implement {service_name}:{operation.name} yet", code="NotImplemented"
            )
        spec = facts.spec if facts is not None else None
        ctx = self._request_context(request, principal, region, service_name, operation.name, request_id, extras, spec)
        if facts is not None:
            facts.extras = ctx.extras  # what the provider learns about the caller (a federated identity) is recorded
        self.authorize(ctx, operation, params)
        output = handler(ctx, params) or {}
        if facts is not None:
            facts.output = output
        return codec.encode(operation, output, request_id)

    def authorize(self, ctx: RequestContext, operation: OperationModel, params: dict[str, Any]) -> None:
        """The access-control step: raises the service's AccessDenied error when policies do not allow.

        The runtime's authorizer (``iam/authorize.py``) keeps its caches for the process.
        """
        self.runtime.authorizer.authorize(ctx, params)

    def _callee(
        self, caller: RequestContext, service: str, operation_name: str, params: dict[str, Any], via: str
    ) -> tuple[CallFacts, RequestContext, OperationModel]:
        """The facts and context of an in-process call ``caller`` makes through ``via`` (``call``)."""
        model = self.runtime.catalog.service(service)
        operation = model.operation_model(operation_name)
        host = f"{via}.amazonaws.com"
        facts = CallFacts(
            request_id=ids.request_id(),
            event_time=clock.now(),
            source_ip=host,
            user_agent=host,
            service=model,
            operation=operation,
            principal=caller.principal,
            region=caller.region,
            params=params,
            invoked_by=host,
            spec=self.spec(service, operation_name),
        )
        return (
            facts,
            self._callee_context(caller, service, operation_name, via, facts.request_id, facts.spec),
            operation,
        )

    def _callee_context(
        self,
        caller: RequestContext,
        service: str,
        operation_name: str,
        via: str,
        request_id: str,
        spec: Operation | None,
    ) -> RequestContext:
        host = f"{via}.amazonaws.com"
        called_via = [host, *caller.extras.get("called_via", [])]  # type: ignore[misc]
        return RequestContext(
            runtime=self.runtime,
            request_id=request_id,
            service=service,
            operation=operation_name,
            region=caller.region,
            principal=caller.principal,
            source_ip=host,
            user_agent=host,
            extras={
                "via_service": f"{via}.{caller.region}.amazonaws.com",
                "called_via": called_via,
                # what the calling service acts for (aws:SourceArn / aws:SourceAccount), carried to the callee
                # ... and whether it acts as its own service-linked role (exempt from SCPs and RCPs, as on AWS)
                **{k: caller.extras[k] for k in _CARRIED_EXTRAS if k in caller.extras},
            },
            spec=spec,
        )

    def reuse_call(
        self,
        caller: RequestContext,
        service: str,
        operation_name: str,
        params: dict[str, Any],
        *,
        via: str,
        check: Callable[[RequestContext], dict[str, Any] | None],
    ) -> bool:
        """``call`` for a service that reuses what an earlier, complete call gave the same caller (S3 reusing a data
        key KMS opened): the call is authorized with the very context ``call`` builds, ``check(ctx)`` re-checks what
        the handler would (the key's state) and answers the response to record — or None when the earlier result may
        not be reused (then nothing is recorded and the caller makes the complete call). A reuse is recorded in the
        audit trail as the call itself: on AWS every such read is a KMS call with its own CloudTrail record.
        """
        facts, ctx, operation = self._callee(caller, service, operation_name, params, via)
        try:
            self.authorize(ctx, operation, params)
            output = check(ctx)
        except AwsError as exc:
            facts.error_code, facts.error_message, facts.status = exc.code, exc.message, exc.status
            self._record(facts)
            raise
        if output is None:
            return False
        facts.output = output
        self._record(facts)
        return True

    def _record(self, facts: CallFacts) -> None:
        ticket = self.runtime.audit.record_call(facts)
        if ticket.awaited:
            ticket.wait()

    def call(
        self, caller: RequestContext, service: str, operation_name: str, params: dict[str, Any], *, via: str
    ) -> dict[str, Any]:
        """A call one service makes to another on behalf of its caller (SSM or Secrets Manager to KMS).

        It goes through the same validation, authorization and audit as an external call, as the caller,
        with ``kms:ViaService``-style context (``ctx.extras["via_service"]``) and ``invokedBy`` in the
        record. Errors are raised as the target service's exceptions for the calling provider to map.
        """
        facts, ctx, operation = self._callee(caller, service, operation_name, params, via)
        try:
            if operation.input_shape is not None:
                errors = validation_errors(operation.input_shape, params)
                if errors:
                    raise AwsError(format_message(errors), code="ValidationException", status=400)
            handler = self.runtime.providers.handler(service, operation_name)
            if handler is None:
                raise NotImplementedOperation(f"Strongroom does not implement {service}:{operation_name} yet")
            self.authorize(ctx, operation, params)
            output = handler(ctx, params) or {}
            facts.output = output
            return output
        except AwsError as exc:
            facts.error_code, facts.error_message, facts.status = exc.code, exc.message, exc.status
            raise
        finally:
            self._record(facts)


def _fallback(runtime: PipelineRuntime) -> ServiceModel:
    """Errors that name no service still need a model to be encoded against."""
    return runtime.catalog.service("kms")


def sealed_error(service: str, protocol: str) -> AwsError:
    """Every call while the root key is unavailable: nothing can be authenticated or unwrapped."""
    return AwsError(SEALED_MESSAGE, code=sealed_error_code(service, protocol), status=503, sender_fault=False)
