"""What every enforcement point does around the engine: request in, decision out, and what follows from it.

The API Gateway stage (``server/waf_gateway.py``), the ``strongroom waf proxy`` and the ASGI middleware all
protect a request the same way, so the steps they share live here, pure (no store, no clock of their own):

* ``inspection_request``: the ``WafRequest`` from a received request's parts, the body cut at the web ACL's
  inspection limit with its original length kept (oversize handling needs it);
* ``ScopedRateStore``: one process-wide rate counter store shared by several web ACLs without two ACLs' rules of
  the same name counting together;
* ``forwarded_headers``: the request headers to send upstream once the request is allowed (the ``x-amzn-waf-*``
  headers the matching rules inserted replace any the client sent under those names, so a client cannot forge
  them);
* ``SamplingPlan`` / ``SampleGate``: which ``VisibilityConfig`` metric names a decision is sampled under (those
  with ``SampledRequestsEnabled``) and how many samples a busy rule keeps (``Weight`` stands for the rest);
* ``sample_request``: the ``HTTPRequest`` shape GetSampledRequests answers;
* ``log_entry``: AWS's WAF log record for the decision, with the logging configuration's redacted fields and
  logging filter applied (None when the filter drops it);
* ``context_variables``: the ``$context.waf*`` / ``webaclArn`` values API Gateway publishes for access logs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.waf.decision import Decision
from strongroom.waf.logs import log_record, should_log
from strongroom.waf.ratelimit import RateCounterStore
from strongroom.waf.request import WafRequest

INSERTED_PREFIX = "x-amzn-waf-"
# Per (web ACL, metric name) and minute: this many requests are sampled one by one; past it, one request in
# ``weight`` is, with that Weight (AWS samples "from among the first 5,000 requests" of a window; weights tell
# GetSampledRequests' readers how many requests a sample stands for).
SAMPLES_PER_MINUTE = 50
SAMPLE_BUCKET_SECONDS = 60


def inspection_request(
    method: str,
    uri_path: str,
    query_string: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    body_limit: int,
    source_ip: str,
    http_version: str = "HTTP/1.1",
    request_id: str = "",
    uri_fragment: str | None = None,
    ja3_fingerprint: str | None = None,
    ja4_fingerprint: str | None = None,
    country_resolver: Callable[[str], str | None] | None = None,
    region_resolver: Callable[[str], str | None] | None = None,
    asn_resolver: Callable[[str], int | None] | None = None,
    body_length: int | None = None,
) -> WafRequest:
    """The request as the engine inspects it: only the first ``body_limit`` bytes of the body travel, with the
    original length (AWS forwards at most the inspection limit to WAF; the rest is oversize handling's business).
    ``body_length``: the whole body's length when ``body`` is only its first part (a streaming enforcement point
    reads no further than the limit)."""
    return WafRequest(
        method=method.upper(),
        uri_path=uri_path or "/",
        query_string=query_string,
        headers=tuple((str(k), str(v)) for k, v in headers),
        body=body[:body_limit],
        body_length=len(body) if body_length is None else body_length,
        source_ip=source_ip or "127.0.0.1",
        http_version=http_version,
        uri_fragment=uri_fragment,
        ja3_fingerprint=ja3_fingerprint,
        ja4_fingerprint=ja4_fingerprint,
        request_id=request_id,
        country_resolver=country_resolver,
        region_resolver=region_resolver,
        asn_resolver=asn_resolver,
    )


class ScopedRateStore:
    """A view of a shared ``RateCounterStore`` whose rule ids are prefixed with the web ACL's ARN: rate-based rules
    are per web ACL, while the engine names them by rule name alone."""

    def __init__(self, store: RateCounterStore, scope: str) -> None:
        self._store = store
        self._scope = scope

    def hit(self, rule: str, key: str, now: float, window: int, limit: int) -> int:
        return self._store.hit(f"{self._scope}\x1e{rule}", key, now, window, limit)


def forwarded_headers(headers: Iterable[tuple[str, str]], decision: Decision | None) -> list[tuple[str, str]]:
    """The request headers to forward: the client's, minus any it sent under a name a rule inserts, plus the
    inserted ``x-amzn-waf-*`` headers."""
    inserted = list(decision.inserted_headers) if decision is not None else []
    if not inserted:
        return list(headers)
    names = {name.lower() for name, _ in inserted}
    return [(k, v) for k, v in headers if k.lower() not in names] + inserted


def is_default_block(decision: Decision) -> bool:
    """A Block without a CustomResponse: each protected resource answers it its own way (API Gateway: its
    ``WAF_FILTERED`` gateway response)."""
    return decision.action == "BLOCK" and decision.response is not None and decision.response.default_block


# --- sampled requests ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """One sampled request, in ``enforced.record_sample``'s terms."""

    metric_name: str
    action: str
    request: dict[str, Any]
    labels: tuple[str, ...] = ()
    rule_name_within_rule_group: str | None = None
    response_code: int | None = None
    weight: int = 1


def _group_name(statement: Mapping[str, Any]) -> str | None:
    if "ManagedRuleGroupStatement" in statement:
        return str(statement["ManagedRuleGroupStatement"].get("Name", ""))
    ref = statement.get("RuleGroupReferenceStatement")
    if ref is not None:
        # arn:aws:wafv2:REGION:ACCOUNT:regional/rulegroup/NAME/ID
        parts = str(ref.get("ARN", "")).split("/")
        return parts[-2] if len(parts) >= 3 else None
    return None


@dataclass(frozen=True)
class SamplingPlan:
    """The metric names a web ACL samples under: its rules' (and the referenced groups', keyed by the top-level
    rule that references them) where ``SampledRequestsEnabled``, and the web ACL's own for the default action."""

    acl_metric: str | None
    rule_metrics: Mapping[str, str]  # top-level rule name -> metric name (sampling rules only)
    group_rules: Mapping[str, str]  # rule group name -> the top-level rule referencing it

    @classmethod
    def of(cls, web_acl: Mapping[str, Any]) -> SamplingPlan:
        vis = web_acl.get("VisibilityConfig") or {}
        acl_metric = None
        if vis.get("SampledRequestsEnabled"):
            acl_metric = str(vis.get("MetricName") or web_acl.get("Name") or "")
        metrics: dict[str, str] = {}
        groups: dict[str, str] = {}
        for rule in web_acl.get("Rules") or []:
            name = str(rule.get("Name", ""))
            rule_vis = rule.get("VisibilityConfig") or {}
            if rule_vis.get("SampledRequestsEnabled"):
                metrics[name] = str(rule_vis.get("MetricName") or name)
            group = _group_name(rule.get("Statement") or {})
            if group is not None:
                groups[group] = name
        return cls(acl_metric, metrics, groups)

    def samples(self, decision: Decision, request: dict[str, Any]) -> list[Sample]:
        """The samples one decision makes: the terminating rule's (or the web ACL's, for the default action) and
        those of every rule that counted it."""
        out: list[Sample] = []
        labels = tuple(decision.labels)
        code = decision.response.status if decision.response is not None else None
        if decision.terminating_rule == "Default_Action":
            if self.acl_metric:
                out.append(Sample(self.acl_metric, decision.action, request, labels, None, code))
        else:
            metric = self.rule_metrics.get(decision.terminating_rule)
            if metric:
                out.append(Sample(metric, decision.action, request, labels, decision.terminating_group_rule, code))
        seen = {s.metric_name for s in out}
        for match in decision.count_matches:
            top = self.group_rules.get(match.group, match.group) if match.group else match.rule
            metric = self.rule_metrics.get(top or "")
            if metric and metric not in seen:
                seen.add(metric)
                inner = match.rule if match.group else None
                out.append(Sample(metric, match.action, request, labels, inner, code))
        return out


class SampleGate:
    """Bounds the samples one process records: per (web ACL, metric) and minute, the first ``SAMPLES_PER_MINUTE``
    requests, then one in ``2**k`` (k growing with the traffic) carrying that weight."""

    def __init__(self, per_minute: int = SAMPLES_PER_MINUTE) -> None:
        self._per_minute = per_minute
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}
        self._lock = threading.Lock()

    def weight(self, web_acl_arn: str, metric: str, now: float) -> int:
        """0: do not record this one; otherwise the sample's Weight."""
        bucket = int(now // SAMPLE_BUCKET_SECONDS)
        key = (web_acl_arn, metric)
        with self._lock:
            seen_bucket, count = self._counts.get(key, (bucket, 0))
            if seen_bucket != bucket:
                count = 0
                if len(self._counts) > 10_000:
                    self._counts.clear()
            count += 1
            self._counts[key] = (bucket, count)
        if count <= self._per_minute:
            return 1
        step = 1 << max(1, (count // self._per_minute).bit_length())
        return step if count % step == 0 else 0


# Credentials in headers: samples are stored by the control plane as plain rows, so these values are never kept
# (AWS samples them unless the web ACL's data protection excludes them; Strongroom keeps secrets out of its rows).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "x-amz-security-token"})


def sample_request(request: WafRequest, country: str | None = None) -> dict[str, Any]:
    """GetSampledRequests' ``HTTPRequest``: what the client sent, as AWS samples it (the logging configuration's
    redacted fields do not apply to samples, AWS says), credential headers' values replaced by ``REDACTED``."""
    return {
        "ClientIP": request.source_ip,
        "Country": country or "-",
        "URI": request.uri_path,
        "Method": request.method,
        "HTTPVersion": request.http_version,
        "Headers": [{"Name": k, "Value": "REDACTED" if k.lower() in SECRET_HEADERS else v} for k, v in request.headers],
    }


# --- logs and $context ---------------------------------------------------------------------------------------------


def log_entry(
    decision: Decision,
    request: WafRequest,
    *,
    web_acl_arn: str,
    timestamp_ms: int,
    logging_configuration: Mapping[str, Any],
    http_source_name: str,
    http_source_id: str,
    country: str | None = None,
) -> dict[str, Any] | None:
    """AWS's log record for this decision under a ``LoggingConfiguration`` (redacted fields, logging filter), or
    None when the filter drops it."""
    record = log_record(
        decision,
        request,
        web_acl_arn=web_acl_arn,
        timestamp_ms=timestamp_ms,
        http_source_name=http_source_name,
        http_source_id=http_source_id,
        country=country,
        redacted_fields=list(logging_configuration.get("RedactedFields") or []),
    )
    return record if should_log(record, logging_configuration.get("LoggingFilter")) else None


@dataclass
class WafOutcome:
    """What an enforcement point learned from one evaluation, for its own logs and metrics."""

    web_acl_arn: str
    decision: Decision | None = None
    error: str | None = None  # the evaluation failed: the request went on (fail open)
    latency_ms: int = 0
    extras: dict[str, Any] = field(default_factory=dict)


def context_variables(outcome: WafOutcome) -> dict[str, Any]:
    """``$context.webaclArn``, ``$context.wafResponseCode`` (WAF_ALLOW / WAF_BLOCK) and ``$context.waf.*``
    (``status``, ``latency``, ``error``) as API Gateway publishes them for access logs."""
    decision = outcome.decision
    blocked = decision is not None and decision.response is not None
    status = decision.response.status if decision is not None and decision.response is not None else 200
    return {
        "webaclArn": outcome.web_acl_arn,
        "wafResponseCode": "WAF_BLOCK" if blocked else "WAF_ALLOW",
        "waf": {
            "status": status,
            "latency": outcome.latency_ms,
            "error": outcome.error or "-",
        },
    }
