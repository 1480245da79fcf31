"""The stages that decide whether a request may go on: resource policy, API key, AWS_IAM, throttling, quota,
request validation.

Every policy decision is the IAM evaluator's (``iam/authorize.py`` ``evaluate_check``): a resource policy is
``execute-api:Invoke`` on ``arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/VERB/PATH`` with ``aws:SourceIp`` and
``aws:SourceVpce`` (the ``x-amzn-vpce-id`` header, as a VPC endpoint presents it to a PRIVATE API).
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import orjson

from strongroom.core.clock import clock
from strongroom.iam import sigv4
from strongroom.iam.authorize import CallerPolicies, Check, evaluate_check
from strongroom.iam.policy import Decision, PrincipalInfo, PrincipalType
from strongroom.services.apigateway import deployed
from strongroom.services.apigateway.dataplane import throttle
from strongroom.services.apigateway.dataplane.chain import GatewayContext
from strongroom.services.apigateway.dataplane.responses import GatewayError, GatewayResponse
from strongroom.services.apigateway.invoke.state import GatewayParts, RequestState, execute_api_arn
from strongroom.services.apigateway.keys import value_digest
from strongroom.services.apigateway.usage import count_request

ANONYMOUS = CallerPolicies(PrincipalInfo(arn="anonymous", account="", type=PrincipalType.ANONYMOUS))
INVOKE = "execute-api:Invoke"


def state_of(ctx: GatewayContext) -> RequestState:
    state = ctx.attributes["gateway"]
    assert isinstance(state, RequestState)
    return state


def method_arn(ctx: GatewayContext) -> str:
    state = state_of(ctx)
    return execute_api_arn(state.region, ctx.account_id, ctx.api_id, ctx.stage, ctx.request.method.upper(), ctx.path)


def condition_context(ctx: GatewayContext) -> dict[str, Any]:
    out: dict[str, Any] = {"aws:SourceIp": ctx.request.source_ip}
    vpce = ctx.request.header("x-amzn-vpce-id")
    if vpce:
        out["aws:SourceVpce"] = vpce
    now = int(clock.time())
    out["aws:EpochTime"] = str(now)
    return out


def api_policy(ctx: GatewayContext) -> str | None:
    """The API's resource policy, AWS's ``execute-api:/...`` shorthand expanded to this API's ARNs (as AWS stores
    it); the text is parsed once and cached by the evaluator."""
    state = state_of(ctx)
    policy = state.config.api.policy
    if not policy:
        return None
    prefix = f"arn:aws:execute-api:{state.region}:{ctx.account_id}:{ctx.api_id}/"
    return policy.replace('"execute-api:/', '"' + prefix)


def policy_denied(user: str, arn: str, explicit: bool) -> GatewayResponse:
    """AWS's answer to a resource-policy refusal (a capitalised ``Message``, as API Gateway words it)."""
    text = f"User: {user} is not authorized to perform: {INVOKE} on resource: {arn}"
    return access_denied(text + (" with an explicit deny" if explicit else ""))


def access_denied(text: str) -> GatewayResponse:
    body = orjson.dumps({"Message": text})
    return GatewayResponse(
        403, [("Content-Type", "application/json"), ("x-amzn-ErrorType", "AccessDeniedException")], body
    )


def resource_policy(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    """The API's resource policy for callers that are not IAM-authenticated (AWS_IAM methods: ``authorize``)."""
    state = state_of(ctx)
    api = state.config.api
    private = "PRIVATE" in api.endpoint_types
    if private and not ctx.request.header("x-amzn-vpce-id"):
        raise GatewayError("ACCESS_DENIED", "Forbidden", log_reason="PRIVATE API called without a VPC endpoint")
    if str(ctx.method.get("authorizationType") or "NONE") == "AWS_IAM":
        return None
    policy = api_policy(ctx)
    if not policy:
        return None
    arn = method_arn(ctx)
    check = Check(INVOKE, arn, resource_policy=policy, lookup_resource_policy=False, resource_account=api.account_id)
    result = evaluate_check(ANONYMOUS, check, condition_context(ctx))
    if result.allowed:
        return None
    return policy_denied("anonymous", arn, result.decision is Decision.EXPLICIT_DENY)


def api_key(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    """``x-api-key`` for methods with apiKeyRequired: an enabled key in a usage plan of this stage, else 403."""
    state = state_of(ctx)
    if not ctx.method.get("apiKeyRequired"):
        return None
    source = str(state.config.api.doc.get("apiKeySource") or "HEADER")
    if source == "AUTHORIZER":
        return None  # the authorizer's usageIdentifierKey is checked once it has answered (authorize)
    check_key(gw, ctx, ctx.request.header("x-api-key"))
    return None


def check_key(gw: GatewayParts, ctx: GatewayContext, value: str | None) -> None:
    state = state_of(ctx)
    if not value:
        raise GatewayError("INVALID_API_KEY", "Forbidden", log_reason="API key missing")
    api = state.config.api
    store = gw.runtime.store
    digest = value_digest(value)
    key = gw.keys.get(
        ("key", digest, api.account_id, api.region),
        lambda: deployed.find_api_key(store, value, api.account_id, api.region),
    )
    if key is None or not key.enabled:
        raise GatewayError("INVALID_API_KEY", "Forbidden", log_reason="API key not found or disabled")
    plans = gw.plans.get((ctx.api_id, ctx.stage), lambda: deployed.stage_usage_plans(store, ctx.api_id, ctx.stage))
    plan = next((p for p in plans if key.id in p.key_ids), None)
    if plan is None:
        raise GatewayError("INVALID_API_KEY", "Forbidden", log_reason="API key not in a usage plan of the stage")
    state.api_key_id, state.usage_plan = key.id, plan
    ctx.identity.api_key, ctx.identity.api_key_id = value, key.id


def aws_iam(gw: GatewayParts, ctx: GatewayContext) -> None:
    """SigV4 for service ``execute-api`` with the account's keys, then ``execute-api:Invoke`` for that caller."""
    state = state_of(ctx)
    http = ctx.attributes["http"]
    try:
        info = sigv4.parse_credentials(http)
    except sigv4.SigV4Error as exc:
        raise GatewayError("DEFAULT_4XX", str(exc), status=403) from None
    if info is None:
        raise GatewayError("MISSING_AUTHENTICATION_TOKEN")
    runtime = gw.runtime
    if runtime.config.dev:
        principal = gw.principal_for_key(None, info.access_key_id)
    else:
        key = runtime.accounts.lookup(info.access_key_id)
        if key is None or key.status != "Active":
            raise GatewayError("INVALID_SIGNATURE", "The security token included in the request is invalid.")
        session_error = key.session_error(info.session_token, clock.time())
        if session_error is not None:
            raise GatewayError("EXPIRED_TOKEN", "The security token included in the request is expired")
        try:
            sigv4.verify(http, info, key.secret_access_key, service="execute-api")
        except sigv4.SigV4Error as exc:
            raise GatewayError("INVALID_SIGNATURE", str(exc)) from None
        principal = gw.principal_for_key(key, info.access_key_id)
    identity = ctx.identity
    identity.caller = principal.principal_id
    identity.user = principal.principal_id
    identity.user_arn = principal.arn
    identity.account_id = principal.account_id
    identity.access_key = principal.access_key_id
    api = state.config.api
    arn = method_arn(ctx)
    caller = gw.iam.caller(principal)
    check = Check(
        INVOKE, arn, resource_policy=api_policy(ctx), lookup_resource_policy=False, resource_account=api.account_id
    )
    # The caller's SCPs bound execute-api:Invoke like any other action (RCPs do not cover API Gateway).
    result = evaluate_check(caller, check, condition_context(ctx), orgs=gw.iam.orgs)
    if not result.allowed:
        raise Denied(policy_denied(principal.arn, arn, result.decision is Decision.EXPLICIT_DENY))


class Denied(Exception):
    def __init__(self, response: GatewayResponse) -> None:
        super().__init__("denied")
        self.response = response


def throttling(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    state = state_of(ctx)
    plan = state.usage_plan
    plan_doc = None
    if plan is not None:
        plan_doc = {
            "id": plan.id,
            "throttle": plan.throttle,
            "apiStages": [{"apiId": ctx.api_id, "stage": ctx.stage, "throttle": plan.method_throttle}],
        }
    rules = throttle.rules_for(
        account_id=ctx.account_id,
        api_id=ctx.api_id,
        stage=ctx.stage,
        resource_path=ctx.resource_path,
        http_method=ctx.http_method,
        method_settings=state.config.method_settings,
        usage_plan=plan_doc,
        api_key_id=state.api_key_id,
    )
    decision = gw.throttler.check(rules)
    if not decision.allowed:
        scope = decision.throttled_by.scope if decision.throttled_by else ""
        raise GatewayError("THROTTLED", log_reason=f"throttled by the {scope} limit")
    return None


def quota(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    state = state_of(ctx)
    plan = state.usage_plan
    if plan is None or not plan.quota or state.api_key_id is None:
        return None
    now = clock.now()
    period = str(plan.quota.get("period") or "DAY")
    used = count_request(gw.runtime.store, state.api_key_id, plan.id, now, throttle.period_start(now, period))
    if used > throttle.quota_limit(plan.quota, now, plan.created_at):
        raise GatewayError("QUOTA_EXCEEDED")
    return None


_PARAM = re.compile(r"^method\.request\.(querystring|header|path|multivaluequerystring|multivalueheader)\.(.+)$")


def validate(gw: GatewayParts, ctx: GatewayContext) -> GatewayResponse | None:
    """The method's request validator: required parameters, then the body against the content type's model."""
    state = state_of(ctx)
    validator_id = ctx.method.get("requestValidatorId")
    if not validator_id:
        return None
    validator = state.compiled.validators.get(str(validator_id))
    if validator is None:
        return None
    request = ctx.request
    if validator.get("validateRequestParameters"):
        missing = []
        for name, required in (ctx.method.get("requestParameters") or {}).items():
            match = _PARAM.match(str(name))
            if not required or match is None:
                continue
            source, param = match.groups()
            if source.endswith("querystring"):
                present = bool(request.query_values(param))
            elif source.endswith("header"):
                present = bool(request.header_values(param))
            else:
                present = bool(ctx.path_parameters.get(param))
            if not present:
                missing.append(param)
        if missing:
            raise GatewayError("BAD_REQUEST_PARAMETERS", f"Missing required request parameters: [{', '.join(missing)}]")
    if validator.get("validateRequestBody"):
        models = ctx.method.get("requestModels") or {}
        media = (request.header("Content-Type") or "application/json").split(";", 1)[0].strip().lower()
        name = models.get(media) or models.get("$default")
        model = state.compiled.models.get(str(name)) if name else None
        if model is not None and model.get("schema"):
            _check_body(model, request.body)
    return None


def _check_body(model: dict[str, Any], body: bytes) -> None:
    try:
        schema = orjson.loads(str(model["schema"]))
    except orjson.JSONDecodeError:
        raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", log_reason="model schema is not JSON") from None
    try:
        document = orjson.loads(body) if body.strip() else {}
    except orjson.JSONDecodeError:
        raise GatewayError("BAD_REQUEST_BODY", "Invalid request body") from None
    try:
        validator = jsonschema.Draft4Validator(schema)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    except jsonschema.SchemaError:
        raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", log_reason="model schema is invalid") from None
    if errors:
        detail = "; ".join(e.message for e in errors[:5])
        raise GatewayError("BAD_REQUEST_BODY", "Invalid request body", log_reason=f"Invalid request body: {detail}")
