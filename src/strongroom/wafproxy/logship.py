"""``LogShipper``: AWS WAF log records from the proxy / middleware to the web ACL's logging destination.

The proxy runs outside the server, so it delivers the way any AWS client would, through the public APIs the
logging configuration names: a CloudWatch Logs group (``aws-waf-logs-*``) gets PutLogEvents on the web ACL's
stream (``REGION_ACLNAME_0``, AWS's naming, created when missing); an S3 bucket (``aws-waf-logs-*``) gets one
gzipped object of newline-separated records per flush under AWS's key layout
(``AWSLogs/<account>/WAFLogs/<region>/<acl>/YYYY/MM/DD/HH/mm/...``).

``emit`` only appends to a bounded queue (the request path never waits on delivery); a thread flushes every
``interval`` seconds. When delivery fails the batch is retried at the next flush, and records beyond
``max_queue`` are dropped (counted in ``dropped``) rather than growing without bound.

Sampled requests take another way (no public API writes them): ``samples.SampleShipper``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from strongroom.waf.logs import log_events_batches, log_stream_name, s3_log_object
from strongroom.wafproxy.remote import wafv2_client

log = logging.getLogger("strongroom.wafproxy")

_LOG_GROUP = re.compile(r"^arn:aws:logs:([a-z0-9-]+):(\d{12}):log-group:([^:]+)(:\*)?$")
_BUCKET = re.compile(r"^arn:aws:s3:::([a-z0-9.\-]+)(?:/(.*))?$")
_MAX_BATCH = 5000  # PutLogEvents takes up to 10,000 events and 1 MB


class LogShipper:
    """A ``LogSink`` delivering to wherever ``configuration()`` (the source's LoggingConfiguration) points."""

    def __init__(
        self,
        configuration: Callable[[], Mapping[str, Any] | None],
        web_acl_arn: str,
        *,
        endpoint_url: str | None = None,
        interval: float = 1.0,
        max_queue: int = 100_000,
    ) -> None:
        self.configuration = configuration
        self.web_acl_arn = web_acl_arn
        self.endpoint_url = endpoint_url
        self.interval = interval
        self.queue: deque[dict[str, Any]] = deque()
        self.max_queue = max_queue
        self.dropped = 0
        self.delivered = 0
        region, _, name = self._acl_parts()
        self.stream = log_stream_name(region, name)  # the stream the server writes the same ACL's records to
        self._clients: dict[tuple[str, str], Any] = {}
        self._streams: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def emit(self, record: dict[str, Any]) -> None:
        if len(self.queue) >= self.max_queue:
            self.dropped += 1
            return
        self.queue.append(record)

    def start(self) -> LogShipper:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="waf-log-shipper", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:  # delivery problems must not end the thread
                log.exception("WAF log delivery failed")

    def _client(self, service: str, region: str) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = wafv2_client(region, self.endpoint_url, service=service)
        return self._clients[key]

    def flush(self) -> int:
        """Deliver what is queued; returns how many records went out."""
        if not self.queue:
            return 0
        cfg = self.configuration()
        destinations = list((cfg or {}).get("LogDestinationConfigs") or [])
        batch: list[dict[str, Any]] = []
        while self.queue and len(batch) < _MAX_BATCH:
            batch.append(self.queue.popleft())
        if not destinations:
            return 0  # logging was turned off: the records have nowhere to go
        try:
            self._deliver(destinations[0], batch)
        except Exception:
            # put them back in front (order kept) for the next flush, unless that would overflow the queue
            if len(self.queue) + len(batch) <= self.max_queue:
                self.queue.extendleft(reversed(batch))
            else:
                self.dropped += len(batch)
            raise
        self.delivered += len(batch)
        return len(batch)

    def _deliver(self, destination: str, batch: list[dict[str, Any]]) -> None:
        group = _LOG_GROUP.match(destination)
        if group is not None:
            self._to_log_group(group.group(1), group.group(3), batch)
            return
        bucket = _BUCKET.match(destination)
        if bucket is not None:
            self._to_bucket(bucket.group(1), bucket.group(2) or "", batch)
            return
        raise ValueError(f"unsupported log destination {destination}")

    def _to_log_group(self, region: str, group: str, batch: list[dict[str, Any]]) -> None:
        client = self._client("logs", region)
        if (region, group) not in self._streams:
            try:
                client.create_log_stream(logGroupName=group, logStreamName=self.stream)
            except client.exceptions.ResourceAlreadyExistsException:
                pass
            self._streams.add((region, group))
        for events in log_events_batches(batch):
            client.put_log_events(logGroupName=group, logStreamName=self.stream, logEvents=events)

    def _to_bucket(self, bucket: str, prefix: str, batch: list[dict[str, Any]]) -> None:
        acl_region, account, name = self._acl_parts()
        client = self._client("s3", acl_region)
        key, body = s3_log_object(batch, account=account, region=acl_region, web_acl_name=name, prefix=prefix)
        client.put_object(Bucket=bucket, Key=key, Body=body)

    def _acl_parts(self) -> tuple[str, str, str]:
        parts = self.web_acl_arn.split(":", 5)
        resource = parts[5].split("/")
        return parts[3], parts[4], resource[2]
