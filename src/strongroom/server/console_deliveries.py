"""The console's view of an EventBridge rule's deliveries: ``POST /_strongroom/console/events-deliveries``.

AWS shows what happened to a rule's deliveries only as CloudWatch metrics (``Invocations``, ``FailedInvocations``,
``DeadLetterInvocations``, ``RetryInvocationAttempts``, per rule) and, for the failed events, in the target's
dead-letter queue. Strongroom serves neither CloudWatch metrics nor SQS, and no EventBridge API returns what its
outbox knows (docs/events.md), so the console reads it here. The request is the console's own, signed with SigV4
by the session for the ``events`` service in the console's Region, and it is allowed exactly when
``events:ListTargetsByRule`` on the rule is (the same evaluator, the same denial as that API): whoever may see a
rule's targets may see how their deliveries went. The answer holds states, times, counts and error texts; never
an event or a payload.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import orjson

from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.events.delivery import delivery_state
from strongroom.iam import sigv4
from strongroom.protocol.http import HttpRequest

if TYPE_CHECKING:
    from strongroom.server.runtime import Runtime

WINDOW = timedelta(hours=3)  # the chart's span, as the console's WAF chart
BUCKET_SECONDS = 60


def _params(request: HttpRequest) -> dict[str, Any]:
    try:
        body = orjson.loads(request.body or b"{}")
    except orjson.JSONDecodeError:
        raise AwsError("The request body is not JSON.", code="ValidationException", status=400) from None
    rule = body.get("Rule") if isinstance(body, dict) else None
    bus = body.get("EventBusName", "default") if isinstance(body, dict) else None
    if not isinstance(rule, str) or not rule or not isinstance(bus, str) or not bus:
        raise AwsError("Rule and EventBusName must be non-empty strings.", code="ValidationException", status=400)
    return {"Rule": rule, "EventBusName": bus}


def events_deliveries(runtime: Runtime, request: HttpRequest) -> tuple[int, dict[str, Any]]:
    """The rule's delivery state per target and its events per minute by outcome over the last three hours."""
    try:
        principal, region = runtime.pipeline.signed_principal(request, "events")
    except sigv4.SigV4Error as exc:
        error = exc.to_aws_error("json")
        return error.status, {"__type": error.code, "message": error.message}
    try:
        params = _params(request)
        ctx = runtime.pipeline.authorized_as(request, principal, region, "events", "ListTargetsByRule", params)
        # The rule must exist (ResourceNotFoundException as DescribeRule words it); its ARN names its outbox rows.
        describe = runtime.providers.handler("events", "DescribeRule")
        assert describe is not None
        rule_arn = str((describe(ctx, {"Name": params["Rule"], "EventBusName": params["EventBusName"]}) or {})["Arn"])
    except AwsError as exc:
        return exc.status, {"__type": exc.code, "message": exc.message}
    now = clock.now()
    since = now - WINDOW
    with runtime.store.read() as conn:
        state = delivery_state(conn, rule_arn, since, BUCKET_SECONDS)
    for target in state["targets"]:  # times as epoch seconds, as the JSON protocols send them
        if target["lastDelivery"] is not None:
            target["lastDelivery"] = target["lastDelivery"].timestamp()
        if target["lastFailure"] is not None:
            target["lastFailure"]["eventTime"] = target["lastFailure"]["eventTime"].timestamp()
    return 200, {
        "RuleArn": rule_arn,
        "Now": now.timestamp(),
        "Since": since.timestamp(),
        "BucketSeconds": BUCKET_SECONDS,
        **state,
    }
