"""Access logs: a stage's ``accessLogSettings`` line per request, shipped to CloudWatch Logs in batches.

Lines are rendered on the request's thread (``dataplane/access_log.py``) and queued; one background thread sends
them every ``FLUSH_SECONDS`` with ``PutLogEvents`` through the pipeline (``ctx.call``, as the API's account, via
``apigateway``), creating the stream ``{apiId}_{stage}`` when it is missing. A full queue drops lines rather than
slow requests down. The API key value and the Authorization header are never rendered: ``$context.identity.apiKey``
is blanked before the line is built (AWS logs it; Strongroom keeps secrets out of logs), and no ``$context``
variable holds request headers.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from strongroom.core import context, ids
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.apigateway.dataplane import access_log
from strongroom.services.apigateway.dataplane.chain import GatewayContext, context_variables

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
        self._queue: queue.Queue[tuple[Destination, int, str]] = queue.Queue(MAX_QUEUED)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
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
        try:
            self._queue.put_nowait((destination, int(clock.time() * 1000), line))
        except queue.Full:
            log.warning("access log queue full; line dropped", extra={"api": ctx.api_id})
            return
        self._start()

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="apigw-access-logs", daemon=True)
                self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            try:
                self.flush()
            except Exception:
                log.exception("access log delivery failed")

    def flush(self) -> None:
        batches: dict[Destination, list[dict[str, Any]]] = defaultdict(list)
        while True:
            try:
                destination, timestamp, line = self._queue.get_nowait()
            except queue.Empty:
                break
            batches[destination].append({"timestamp": timestamp, "message": line})
        for destination, events in batches.items():
            for start in range(0, len(events), MAX_BATCH):
                self._send(destination, events[start : start + MAX_BATCH])

    def _send(self, destination: Destination, events: list[dict[str, Any]]) -> None:
        account, region, group, stream = destination
        principal = context.Principal.root(account)
        ctx: context.RequestContext[Any] = context.RequestContext(
            self.runtime, ids.request_id(), "apigateway", "PutLogEvents", region, principal
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
