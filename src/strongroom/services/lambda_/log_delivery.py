"""Function output to CloudWatch Logs, as Lambda writes it: group ``/aws/lambda/<FunctionName>`` (created if missing),
one stream per execution environment (``YYYY/MM/DD/[$LATEST]<32 hex>``; each invocation runs in a fresh one here),
the START / END / REPORT lines and every line the handler printed, one event each, in one PutLogEvents.

Lambda and CloudWatch Logs are separate services: the writes are in-process calls (``ctx.call``) made as the
function's execution-role session, authorized and audited like any other call, so the role needs
``logs:CreateLogGroup``, ``logs:CreateLogStream`` and ``logs:PutLogEvents`` (AWSLambdaBasicExecutionRole). A
refusal or any other failure is logged and dropped: the invocation has succeeded already, as on AWS. Delivery runs
on one background thread, so Invoke does not wait for it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError

if TYPE_CHECKING:
    from strongroom.services.base.runtime import RequestContext, ServiceRuntime
    from strongroom.services.lambda_.records import FunctionRecord
    from strongroom.services.lambda_.runner import Outcome

log = logging.getLogger("strongroom.lambda")


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def log_events(text: str, duration_ms: float, end_ms: int) -> list[dict[str, Any]]:
    """One event per line (newline kept, as Lambda's are); START at the invocation's start, the rest at its end."""
    lines = [line + "\n" for line in text.split("\n") if line]
    start_ms = max(0, end_ms - int(duration_ms))
    return [{"timestamp": start_ms if i == 0 else end_ms, "message": line} for i, line in enumerate(lines)]


class LogDelivery:
    """Ships each invocation's log to CloudWatch Logs on a single background thread."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._executor: ThreadPoolExecutor | None = None

    def submit(self, record: FunctionRecord, principal: context.Principal | None, outcome: Outcome) -> None:
        if principal is None or not outcome.log_stream:
            return
        end_ms = int(clock.time() * 1000)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda-logs")
        self._executor.submit(self.deliver, record, principal, outcome, end_ms)

    def deliver(self, record: FunctionRecord, principal: context.Principal, outcome: Outcome, end_ms: int) -> None:
        ctx: RequestContext = context.RequestContext(
            self.runtime, ids.request_id(), "lambda", "Invoke", record.region, principal
        )
        group, stream = log_group(record.name), outcome.log_stream
        try:
            try:
                ctx.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream})
            except AwsError as exc:
                if exc.code != "ResourceNotFoundException":
                    raise
                try:
                    ctx.call("logs", "CreateLogGroup", {"logGroupName": group})
                except AwsError as again:
                    if again.code != "ResourceAlreadyExistsException":
                        raise
                ctx.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream})
            batch = log_events(outcome.log, outcome.duration_ms, end_ms)
            if batch:
                ctx.call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": batch})
        except AwsError as exc:
            log.info("logs of %s not delivered to %s: %s", record.name, group, exc.code)
        except Exception:
            log.exception("logs of %s not delivered to %s", record.name, group)
