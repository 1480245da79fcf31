"""Enforcing web ACLs in this process: the compiled web ACL of a protected resource, and what follows a decision.

An enforcement point (the API Gateway stage ``server/waf_gateway.py``; later the proxy) holds one ``Enforcer``:

* ``protection(resource_arn)``: the resource's web ACL compiled into a ``WebAclEvaluator``, or None. The change
  stamp (``enforced.change_stamp``) and the logging configuration are read at most once per ``POLL_SECONDS`` per
  resource; the web ACL is recompiled only when the stamp differs, and compiled ACLs are shared by stamp. A web ACL
  the engine cannot compile is reported once and leaves the resource unprotected (fail open, as below).
* ``evaluate(protection, request, source_id=...)``: the decision (a ``WafOutcome``). Evaluation errors never fail
  the request: AWS WAF on API Gateway fails open (the request goes on as if allowed) and so does this; the error is
  logged and published as ``$context.waf.error``. Rate-based rules count in the web ACL's store from
  ``ratecounters.rate_store_for`` (shared through the database on PostgreSQL or with several SQLite workers);
  ``managed_rules_provider`` and ``token_key`` are the places for the managed rules' IP lists and the CAPTCHA /
  Challenge token key.
* after each decision, off the request's thread (``services/base/shipper.BatchShipper``): sampled requests
  (``enforced.record_sample``, for rules with ``SampledRequestsEnabled``, bounded by ``adapter.SampleGate``),
  rate-limited addresses (``enforced.record_rate_keys``, for GetRateBasedStatementManagedKeys), and WAF log
  records to the logging configuration's destination.

Log delivery writes through the pipeline (``ctx.call``, as the web ACL's account, via ``wafv2``), as API
Gateway's access logs and Lambda's logs do:

* CloudWatch Logs group ``aws-waf-logs-*``: ``PutLogEvents`` into the stream ``<region>_<web-acl-name>_0`` (AWS
  names WAF log streams ``<region>_<web-acl-name>_<n>``), created when missing; one event per record.
* S3 bucket ``aws-waf-logs-*`` (optionally ``/prefix``): one gzip'ed NDJSON object per flush and web ACL at
  ``[prefix/]AWSLogs/<account>/WAFLogs/<region>/<web-acl-name>/YYYY/MM/DD/HH/mm/
  <account>_waflogs_<region>_<web-acl-name>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`` (``mm`` on a 5-minute boundary, as
  AWS's 5-minute files are). AWS publishes every 5 minutes; this flushes every ``LOG_FLUSH_SECONDS``.

A destination that refuses (missing group or bucket, denied) loses that batch with a log line; requests never see it.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from strongroom.core import context
from strongroom.core.clock import clock
from strongroom.core.errors import AwsError
from strongroom.services.base.installation_keys import installation_key
from strongroom.services.base.shipper import BatchShipper
from strongroom.services.wafv2 import enforced
from strongroom.services.wafv2.ratecounters import rate_store_for
from strongroom.waf import WafCompileError, WafRequest, WebAclEvaluator
from strongroom.waf.adapter import (
    Sample,
    SampleGate,
    SamplingPlan,
    ScopedRateStore,
    WafOutcome,
    log_entry,
    sample_request,
)
from strongroom.waf.geoip import IpResolvers
from strongroom.waf.logs import log_events_batches, log_stream_name, s3_log_object
from strongroom.waf.managed import ManagedRulesProvider

if TYPE_CHECKING:
    from strongroom.services.base.runtime import ServiceRuntime
    from strongroom.waf.decision import Decision

log = logging.getLogger("strongroom.wafv2")

POLL_SECONDS = 1.0
LOG_FLUSH_SECONDS = 1.0
SAMPLE_FLUSH_SECONDS = 0.5
MAX_COMPILED = 256
# A limited address is re-recorded for GetRateBasedStatementManagedKeys when its "until" moved this much.
RATE_KEY_REFRESH = 5.0
MAX_RATE_KEYS = 10_000  # GetRateBasedStatementManagedKeys lists at most this many addresses per rule, as AWS does


def managed_rules_provider(runtime: ServiceRuntime) -> ManagedRulesProvider | None:
    """The managed rule groups' content for the engine; None: the engine's default, the AWS-named groups built from
    OWASP CRS (``waf.managed.CrsManagedRules``). The one place to supply operator-loaded IP reputation lists."""
    return None


TOKEN_KEY_SETTING = "wafv2_token_key"


def token_key(runtime: ServiceRuntime) -> bytes | None:
    """The HMAC key of the ``aws-waf-token`` cookies the server's enforcement points issue and accept: one per
    installation, sealed (``services/base/installation_keys``). A token is bound to the domain it was issued for
    (and the web ACL's TokenDomains), as AWS's tokens are, not to one web ACL; ``/.aws-waf/`` on this server
    (``server/waf_interstitial.py``) issues them."""
    return installation_key(runtime, TOKEN_KEY_SETTING)


@dataclass(frozen=True)
class Protection:
    """A protected resource's web ACL, compiled; ``evaluator`` None when it did not compile (``error`` says why)."""

    web_acl_arn: str
    web_acl_name: str
    account_id: str
    region: str
    stamp: enforced.Stamp
    evaluator: WebAclEvaluator | None
    plan: SamplingPlan
    logging: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class _Entry:
    checked: float
    stamp: enforced.Stamp | None
    protection: Protection | None


@dataclass
class _Limited:
    """The addresses a rate-based rule limits now (CIDR -> until, server time)."""

    addresses: dict[str, datetime] = field(default_factory=dict)


Destination = tuple[str, str, str, str]  # kind (logs | s3), account, region, destination ARN + web ACL name


class Enforcer:
    def __init__(self, runtime: ServiceRuntime, *, resource_type: str = "API_GATEWAY") -> None:
        self.runtime = runtime
        self.resource_type = resource_type
        # --geoip-db / --asn-db lookups (the server runtime's; none configured: GeoMatch / AsnMatch match nothing)
        self.ip_resolvers: IpResolvers = getattr(runtime, "waf_ip_resolvers", None) or IpResolvers()
        self.managed_rules = managed_rules_provider(runtime)
        self.gate = SampleGate()
        self._entries: dict[str, _Entry] = {}
        self._compiled: dict[enforced.Stamp, Protection] = {}
        self._lock = threading.Lock()
        self._limited: dict[tuple[str, str], _Limited] = {}
        self._streams: set[tuple[str, str, str]] = set()
        self.records: BatchShipper[Destination, dict[str, Any]] = BatchShipper(
            "waf-logs", self._deliver, flush_seconds=LOG_FLUSH_SECONDS, log=log
        )
        self.samples: BatchShipper[str, tuple[Sample, datetime]] = BatchShipper(
            "waf-samples", self._record_samples, flush_seconds=SAMPLE_FLUSH_SECONDS, log=log
        )
        self.rate_keys: BatchShipper[tuple[str, str], dict[str, datetime]] = BatchShipper(
            "waf-rate-keys", self._record_rate_keys, flush_seconds=SAMPLE_FLUSH_SECONDS, log=log
        )

    @property
    def token_key(self) -> bytes | None:
        # read when a web ACL compiles, not at start-up: the seal may still be sealed when the gateway is built
        return token_key(self.runtime)

    def close(self) -> None:
        for shipper in (self.records, self.samples, self.rate_keys):
            shipper.close()

    # -- which web ACL ------------------------------------------------------------------------------------------

    def protection(self, resource_arn: str) -> Protection | None:
        now = time.monotonic()
        entry = self._entries.get(resource_arn)
        if entry is not None and now - entry.checked < POLL_SECONDS:
            return entry.protection
        store = self.runtime.store
        stamp = enforced.change_stamp(store, resource_arn)
        if stamp is None:
            found = None
        elif entry is not None and entry.stamp == stamp and entry.protection is not None:
            found = entry.protection
        else:
            found = self._compiled.get(stamp) or self._compile(resource_arn)
        if found is not None:
            logging_config = enforced.logging_configuration(store, found.web_acl_arn)
            if logging_config != found.logging:
                found = replace(found, logging=logging_config)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[resource_arn] = _Entry(now, None if found is None else found.stamp, found)
        return found

    def _compile(self, resource_arn: str) -> Protection | None:
        acl = enforced.web_acl_for_resource(self.runtime.store, resource_arn)
        if acl is None:
            return None
        parts = acl.web_acl_arn.split(":")
        web_acl = acl.web_acl
        evaluator: WebAclEvaluator | None = None
        error = None
        try:
            evaluator = WebAclEvaluator(
                web_acl,
                ip_sets=acl.ip_sets.get,
                regex_pattern_sets=acl.regex_sets.get,
                rule_groups=acl.rule_groups.get,
                rate_store=ScopedRateStore(rate_store_for(self.runtime, acl.web_acl_arn), acl.web_acl_arn),
                resource_type=self.resource_type,
                managed_rules=self.managed_rules,
                token_key=self.token_key,
            )
        except WafCompileError as exc:
            error = f"web ACL not compiled: {exc}"
        except Exception as exc:  # an engine bug must not take the protected resource down
            log.exception("web ACL %s not compiled", acl.web_acl_arn)
            error = f"web ACL not compiled: {type(exc).__name__}"
        if error is not None:
            log.warning("%s (%s): requests to %s pass unprotected", error, acl.web_acl_arn, resource_arn)
        found = Protection(
            web_acl_arn=acl.web_acl_arn,
            web_acl_name=str(web_acl.get("Name", "")),
            account_id=parts[4] if len(parts) > 4 else "",
            region=parts[3] if len(parts) > 3 else "",
            stamp=acl.stamp,
            evaluator=evaluator,
            plan=SamplingPlan.of(web_acl),
            error=error,
        )
        with self._lock:
            if len(self._compiled) >= MAX_COMPILED:
                self._compiled.clear()
            self._compiled[acl.stamp] = found
        return found

    # -- deciding -----------------------------------------------------------------------------------------------

    def evaluate(self, protection: Protection, request: WafRequest, *, source_name: str, source_id: str) -> WafOutcome:
        """The decision for one request; never raises (fail open: ``decision`` None, ``error`` set)."""
        if protection.evaluator is None:
            return WafOutcome(protection.web_acl_arn, None, error=protection.error)
        started = time.perf_counter()
        now = clock.time()
        try:
            decision = protection.evaluator.evaluate(request, now=now)
        except Exception as exc:
            log.exception("WAF evaluation failed for %s; the request goes on (fail open)", protection.web_acl_arn)
            return WafOutcome(protection.web_acl_arn, None, error=f"evaluation failed: {type(exc).__name__}")
        latency = int((time.perf_counter() - started) * 1000)
        try:
            self._after(protection, request, decision, now, source_name, source_id)
        except Exception:
            log.exception("WAF samples or logs not queued for %s", protection.web_acl_arn)
        return WafOutcome(protection.web_acl_arn, decision, latency_ms=latency)

    def _after(
        self,
        protection: Protection,
        request: WafRequest,
        decision: Decision,
        now: float,
        source_name: str,
        source_id: str,
    ) -> None:
        arn = protection.web_acl_arn
        samples = protection.plan.samples(decision, {})
        if samples:
            at = datetime.fromtimestamp(now, UTC)
            shown = sample_request(request)
            for sample in samples:
                weight = self.gate.weight(arn, sample.metric_name, now)
                if weight:
                    self.samples.put(arn, (replace(sample, request=shown, weight=weight), at))
        for hit in decision.rate_based:
            self._note_limited(arn, hit, now)
        config = protection.logging
        if config:
            record = log_entry(
                decision,
                request,
                web_acl_arn=arn,
                timestamp_ms=int(now * 1000),
                logging_configuration=config,
                http_source_name=source_name,
                http_source_id=source_id,
            )
            destinations = config.get("LogDestinationConfigs") or []
            if record is not None and destinations:
                kind = "logs" if str(destinations[0]).startswith("arn:aws:logs:") else "s3"
                self.records.put(
                    (kind, protection.account_id, protection.region, f"{destinations[0]}\n{protection.web_acl_name}"),
                    record,
                )

    def _note_limited(self, arn: str, hit: dict[str, Any], now: float) -> None:
        """Addresses limited by IP (or forwarded IP) aggregation, for GetRateBasedStatementManagedKeys; AWS lists
        addresses only, so custom-key and constant aggregation are not recorded."""
        if hit.get("limitKey") not in ("IP", "FORWARDED_IP"):
            return
        address = str(hit.get("limitValue", ""))
        cidr = address + ("/128" if ":" in address else "/32")
        until = datetime.fromtimestamp(now + int(hit.get("evaluationWindowSec") or 300), UTC)
        key = (arn, str(hit.get("rateBasedRuleName", "")))
        with self._lock:
            limited = self._limited.setdefault(key, _Limited())
            previous = limited.addresses.get(cidr)
            if previous is not None and (until - previous).total_seconds() < RATE_KEY_REFRESH:
                return
            current = {a: u for a, u in limited.addresses.items() if u > datetime.fromtimestamp(now, UTC)}
            if cidr not in current and len(current) >= MAX_RATE_KEYS:
                return
            limited.addresses = current | {cidr: until}
            snapshot = dict(limited.addresses)
        self.rate_keys.put(key, snapshot)

    # -- background writers -------------------------------------------------------------------------------------

    def _record_samples(self, arn: str, items: list[tuple[Sample, datetime]]) -> None:
        for sample, at in items:
            enforced.record_sample(
                self.runtime.store,
                arn,
                sample.metric_name,
                sample.request,
                sample.action,
                labels=sample.labels,
                weight=sample.weight,
                rule_name_within_rule_group=sample.rule_name_within_rule_group,
                response_code=sample.response_code,
                at=at,
            )

    def _record_rate_keys(self, key: tuple[str, str], snapshots: list[dict[str, datetime]]) -> None:
        arn, rule = key
        enforced.record_rate_keys(self.runtime.store, arn, rule, snapshots[-1])

    def _deliver(self, destination: Destination, records: list[dict[str, Any]]) -> None:
        kind, account, region, target = destination
        arn, _, acl_name = target.partition("\n")
        call_region = arn.split(":")[3] if kind == "logs" else region  # the log group's Region
        ctx: context.RequestContext[Any] = context.service_context(
            self.runtime, "wafv2", "PutLogEvents", call_region, account
        )
        try:
            if kind == "logs":
                self._to_log_group(ctx, arn, region, acl_name, records)
            else:
                self._to_bucket(ctx, arn, account, region, acl_name, records)
        except AwsError as exc:
            log.info("WAF log records of %s not delivered to %s: %s", acl_name, arn, exc.code)

    def _to_log_group(
        self, ctx: context.RequestContext[Any], arn: str, region: str, acl_name: str, records: list[dict[str, Any]]
    ) -> None:
        parts = arn.split(":", 6)
        group = parts[6][:-2] if parts[6].endswith(":*") else parts[6]
        stream = log_stream_name(region, acl_name)
        if (parts[4], group, stream) not in self._streams:
            try:
                ctx.call("logs", "CreateLogStream", {"logGroupName": group, "logStreamName": stream})
            except AwsError as exc:
                if exc.code != "ResourceAlreadyExistsException":
                    raise
            self._streams.add((parts[4], group, stream))
        try:
            for batch in log_events_batches(records):
                ctx.call("logs", "PutLogEvents", {"logGroupName": group, "logStreamName": stream, "logEvents": batch})
        except AwsError:
            self._streams.discard((parts[4], group, stream))
            raise

    def _to_bucket(
        self,
        ctx: context.RequestContext[Any],
        arn: str,
        account: str,
        region: str,
        acl_name: str,
        records: list[dict[str, Any]],
    ) -> None:
        bucket, _, prefix = arn.removeprefix("arn:aws:s3:::").partition("/")
        key, body = s3_log_object(records, account=account, region=region, web_acl_name=acl_name, prefix=prefix)
        ctx.call("s3", "PutObject", {"Bucket": bucket, "Key": key, "Body": body, "ContentType": "application/x-gzip"})


def stage_arn(region: str, api_id: str, stage: str) -> str:
    """The API Gateway stage ARN AssociateWebACL takes."""
    return f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}"
