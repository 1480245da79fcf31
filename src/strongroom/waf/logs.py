"""The AWS WAF log record for a decision, RedactedFields, and LoggingFilter, as pure functions."""

from __future__ import annotations

import gzip
import json
import os
from datetime import UTC, datetime
from typing import Any

from strongroom.waf.decision import Decision
from strongroom.waf.request import WafRequest

REDACTED = "REDACTED"


def _redactions(fields: list[dict]) -> tuple[set[str], set[str]]:
    """(whole components to redact: URI / QUERY / METHOD, header names lowercased)."""
    parts: set[str] = set()
    headers: set[str] = set()
    for f in fields:
        if "SingleHeader" in f:
            headers.add(f["SingleHeader"]["Name"].lower())
        elif "UriPath" in f:
            parts.add("uri")
        elif "QueryString" in f:
            parts.add("args")
        elif "Method" in f:
            parts.add("method")
    return parts, headers


def log_record(
    decision: Decision,
    request: WafRequest,
    *,
    web_acl_arn: str,
    timestamp_ms: int,
    http_source_name: str = "APIGW",
    http_source_id: str = "",
    country: str | None = None,
    redacted_fields: list[dict] | None = None,
) -> dict[str, Any]:
    parts, redact_headers = _redactions(redacted_fields or [])
    headers = [{"name": n, "value": REDACTED if n.lower() in redact_headers else v} for n, v in request.headers]
    group_list: list[dict] = []
    if decision.terminating_group is not None:
        group_list.append(
            {
                "ruleGroupId": decision.terminating_group,
                "terminatingRule": {
                    "ruleId": decision.terminating_group_rule,
                    "action": decision.action,
                    "ruleMatchDetails": decision.terminating_details or None,
                },
                "nonTerminatingMatchingRules": [],
                "excludedRules": None,
            }
        )
    for m in decision.count_matches:
        if m.group is None:
            continue
        entry = next((g for g in group_list if g["ruleGroupId"] == m.group), None)
        if entry is None:
            entry = {
                "ruleGroupId": m.group,
                "terminatingRule": None,
                "nonTerminatingMatchingRules": [],
                "excludedRules": None,
            }
            group_list.append(entry)
        entry["nonTerminatingMatchingRules"].append(
            {"ruleId": m.rule, "action": m.action, "ruleMatchDetails": m.details}
        )
    record: dict[str, Any] = {
        "timestamp": timestamp_ms,
        "formatVersion": 1,
        "webaclId": web_acl_arn,
        "terminatingRuleId": decision.terminating_rule,
        "terminatingRuleType": decision.terminating_rule_type,
        "action": decision.action,
        "terminatingRuleMatchDetails": decision.terminating_details,
        "httpSourceName": http_source_name,
        "httpSourceId": http_source_id,
        "ruleGroupList": group_list,
        "rateBasedRuleList": decision.rate_based,
        "nonTerminatingMatchingRules": [
            {"ruleId": m.rule, "action": m.action, "ruleMatchDetails": m.details}
            for m in decision.count_matches
            if m.group is None
        ],
        "requestHeadersInserted": [{"name": n, "value": v} for n, v in decision.inserted_headers] or None,
        "responseCodeSent": decision.response.status if decision.response is not None else None,
        "httpRequest": {
            "clientIp": request.source_ip,
            "country": country or "-",
            "headers": headers,
            "uri": REDACTED if "uri" in parts else request.uri_path,
            "args": REDACTED if "args" in parts else request.query_string,
            "httpVersion": request.http_version,
            "httpMethod": REDACTED if "method" in parts else request.method,
            "requestId": request.request_id,
        },
    }
    # AWS adds the client's TLS fingerprints at the top level when it has them (no TLS here: left out).
    if request.ja3_fingerprint is not None:
        record["ja3Fingerprint"] = request.ja3_fingerprint
    if request.ja4_fingerprint is not None:
        record["ja4Fingerprint"] = request.ja4_fingerprint
    if decision.labels:
        record["labels"] = [{"name": lbl} for lbl in decision.labels]
    for kind, key in (("captcha", "captchaResponse"), ("challenge", "challengeResponse")):
        state = decision.token_status.get(kind)
        if state is None:
            continue
        if state == "accepted":
            record[key] = {"responseCode": 0, "solveTimestamp": timestamp_ms // 1000}
        else:
            code = {"absent": "TOKEN_MISSING", "expired": "TOKEN_EXPIRED"}.get(state, "TOKEN_INVALID")
            record[key] = {"responseCode": 405 if kind == "captcha" else 202, "failureReason": code}
    return record


def _condition(cond: dict, record: dict) -> bool:
    if "ActionCondition" in cond:
        wanted = cond["ActionCondition"]["Action"]
        if wanted == "EXCLUDED_AS_COUNT":
            return any(r.get("excludedRules") for r in record.get("ruleGroupList") or [])
        actions = {record["action"]} | {m["action"] for m in record.get("nonTerminatingMatchingRules") or []}
        return wanted in actions
    if "LabelNameCondition" in cond:
        name = cond["LabelNameCondition"]["LabelName"]
        return any(lbl["name"] == name for lbl in record.get("labels") or [])
    raise ValueError("a filter condition is ActionCondition or LabelNameCondition")


def should_log(record: dict, logging_filter: dict | None) -> bool:
    """LoggingFilter: the first filter whose requirement holds decides KEEP / DROP, else DefaultBehavior."""
    if not logging_filter:
        return True
    for f in logging_filter.get("Filters") or []:
        results = [_condition(c, record) for c in f.get("Conditions") or []]
        met = all(results) if f.get("Requirement") == "MEETS_ALL" else any(results)
        if met:
            return bool(f["Behavior"] == "KEEP")
    return bool(logging_filter.get("DefaultBehavior", "KEEP") == "KEEP")


# --- where records go: AWS's delivery formats (the server's enforcement and the proxy / middleware share them) ----

PUT_LOG_EVENTS_BYTES = 1_048_576  # PutLogEvents: at most 1 MB per call (each event's UTF-8 message + 26 bytes)
PUT_LOG_EVENTS_COUNT = 10_000  # ... and 10,000 events


def log_stream_name(region: str, web_acl_name: str) -> str:
    """The CloudWatch Logs stream AWS WAF writes a web ACL's records to: ``<region>_<web-acl-name>_<n>``."""
    return f"{region}_{web_acl_name}_0"


def log_events_batches(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The records as PutLogEvents ``logEvents`` (oldest first), cut at the call's size and count limits."""
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for record in sorted(records, key=lambda r: int(r["timestamp"])):
        message = json.dumps(record, separators=(",", ":"))
        event = {"timestamp": int(record["timestamp"]), "message": message}
        cost = len(message.encode()) + 26
        if batches[-1] and (size + cost > PUT_LOG_EVENTS_BYTES or len(batches[-1]) >= PUT_LOG_EVENTS_COUNT):
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += cost
    return [b for b in batches if b]


def s3_log_object(
    records: list[dict[str, Any]], *, account: str, region: str, web_acl_name: str, prefix: str = ""
) -> tuple[str, bytes]:
    """(key, body) of the object AWS WAF delivers a batch of records as to an ``aws-waf-logs-*`` bucket:
    ``[prefix/]AWSLogs/<account>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/<account>_waflogs_<region>_<web-acl>_
    <YYYYMMDDTHHmmZ>_<hash>.log.gz`` (``mm`` on AWS's 5-minute boundaries), gzip'ed JSON lines."""
    first = datetime.fromtimestamp(min(int(r["timestamp"]) for r in records) / 1000, UTC)
    slot = first.replace(minute=first.minute - first.minute % 5, second=0, microsecond=0)
    stem = f"{account}_waflogs_{region}_{web_acl_name}_{first:%Y%m%dT%H%MZ}_{os.urandom(4).hex()}.log.gz"
    key = f"AWSLogs/{account}/WAFLogs/{region}/{web_acl_name}/{slot:%Y/%m/%d/%H/%M}/{stem}"
    if prefix.strip("/"):
        key = prefix.strip("/") + "/" + key
    body = gzip.compress(b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in records))
    return key, body
