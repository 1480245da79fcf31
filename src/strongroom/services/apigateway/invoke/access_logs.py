"""Access logs: a stage's ``accessLogSettings`` line per request, shipped to CloudWatch Logs in batches.

Lines are rendered on the request's thread (``dataplane/access_log.py``) and queued; one background thread sends
them every ``FLUSH_SECONDS`` (``services/base/shipper.BatchShipper``) with ``PutLogEvents`` through the pipeline
(``ctx.call``, as the API's account, via ``apigateway``), creating the stream ``{apiId}_{stage}`` when it is
missing. A full queue drops lines rather than slow requests down. The API key value and the Authorization header are
never rendered: ``$context.identity.apiKey`` is blanked before the line is built (AWS logs it; Strongroom keeps
secrets out of logs), and no ``$context`` variable holds request headers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from strongroom.core import context
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.apigateway.dataplane import access_log
from strongroom.services.apigateway.dataplane.chain import GatewayContext, context_variables
from strongroom.services.base.shipper import BatchShipper

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime

log = logging.getLogger("strongroom.apigateway")

FLUSH_SECONDS = 0.5
MAX_QUEUED = 10_000
MAX_BATCH = 1_000

Destination = tuple[str, str, str, str]  # account, region, log group name, stream


def log_group_name(arn: str) -> str | None:
    """``arn:aws:logs:REGION:ACCOUNT:log-group:NAME[:*]`` -> NAME."""
    parts = arn.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group":
        return None
    name = parts[6]
    return name[:-2] if name.endswith(":*") else name


def line_for(ctx: GatewayContext, log_format: str) -> str:
    variables = context_variables(ctx)
    identity = dict(variables.get("identity") or {})
    identity["apiKey"] = None  # a secret: never written to a log
    variables["identity"] = identity
    return access_log.render(log_format, variables)


class AccessLogShipper:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self._shipper: BatchShipper[Destination, dict[str, Any]] = BatchShipper(
            "apigw-access-logs",
            self._send,
            flush_seconds=FLUSH_SECONDS,
            max_queued=MAX_QUEUED,
            max_batch=MAX_BATCH,
            log=log,
        )
        self._streams: set[Destination] = set()

    def record(self, ctx: GatewayContext) -> None:
        state = ctx.attributes.get("gateway")
        deployed = getattr(state, "deployed", None)
        settings = deployed.config.access_log_settings if deployed is not None else None
        if not settings or not settings.get("destinationArn") or not settings.get("format"):
            return
        group = log_group_name(str(settings["destinationArn"]))
        if group is None:
            return
        arn_parts = str(settings["destinationArn"]).split(":")
        destination = (arn_parts[4] or ctx.account_id, arn_parts[3], group, f"{ctx.api_id}_{ctx.stage}")
        line = line_for(ctx, str(settings["format"]))
        self._shipper.put(destination, {"timestamp": int(clock.time() * 1000), "message": line})

    def close(self) -> None:
        self._shipper.close()

    def flush(self) -> None:
        self._shipper.flush()

    def _send(self, destination: Destination, events: list[dict[str, Any]]) -> None:
        account, region, group, stream = destination
        ctx: context.RequestContext[Any] = context.service_context(
            self.runtime, "apigateway", "PutLogEvents", region, account
        )
        try:
            if destination not in self._streams:
                try:
                    ctx.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream})
                except AwsError as exc:
                    if exc.code != "ResourceAlreadyExistsException":
                        raise
                self._streams.add(destination)
            ctx.call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": events})
        except AwsError as exc:
            self._streams.discard(destination)
            log.info("access log lines not delivered to %s: %s", group, exc.code)
