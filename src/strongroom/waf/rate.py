"""RateBasedStatement: aggregate keys, scope-down, and the counter store."""

from __future__ import annotations

from collections.abc import Callable

from strongroom.waf import transforms
from strongroom.waf.context import Ctx, Predicate, WafCompileError, client_ips, label_matches
from strongroom.waf.ratelimit import RateCounterStore

KeyPart = Callable[[Ctx], str | None]  # None: the request lacks the key, so it is not counted


def _text_key(get: Callable[[Ctx], str | None], spec: dict) -> KeyPart:
    chain = transforms.compile_transforms(spec.get("TextTransformations", []))

    def part(c: Ctx) -> str | None:
        value = get(c)
        if value is None or value == "":
            return None
        return transforms.apply(chain, value.encode("utf-8", "surrogateescape")).decode("latin-1")

    return part


def _first(values: list[str]) -> str | None:
    return values[0] if values else None


def _custom_key(key: dict, fw_ips: Callable[[Ctx], str | None]) -> KeyPart:
    ((kind, spec),) = key.items()
    spec = spec or {}
    if kind == "Header":
        name = spec["Name"]
        return _text_key(lambda c: _first(c.request.header_values(name)), spec)
    if kind == "Cookie":
        name = spec["Name"]
        return _text_key(lambda c: _first([v for k, v in c.request.cookies() if k == name]), spec)
    if kind == "QueryArgument":
        name = spec["Name"].lower()
        return _text_key(lambda c: _first([v for k, v in c.request.query_args() if k.lower() == name]), spec)
    if kind == "QueryString":
        return _text_key(lambda c: c.request.query_string, spec)
    if kind == "UriPath":
        return _text_key(lambda c: c.request.uri_path, spec)
    if kind == "HTTPMethod":
        return lambda c: c.request.method
    if kind == "IP":
        return lambda c: c.request.source_ip
    if kind == "ForwardedIP":
        return fw_ips
    if kind == "LabelNamespace":
        ns = spec["Namespace"]
        return lambda c: ",".join(sorted(lbl for lbl in c.labels if label_matches(lbl, ns, "NAMESPACE"))) or None
    if kind == "JA3Fingerprint":
        return lambda c: c.request.ja3_fingerprint
    if kind == "JA4Fingerprint":
        return lambda c: c.request.ja4_fingerprint
    if kind == "ASN":
        return lambda c: str(c.request.asn_resolver(c.request.source_ip)) if c.request.asn_resolver else None
    raise WafCompileError(f"unsupported rate-based custom key {kind}")


def compile_rate(spec: dict, scope: Predicate | None, store: RateCounterStore, rule_id: str) -> Predicate:
    limit = int(spec["Limit"])
    window = int(spec.get("EvaluationWindowSec", 300))
    if window not in (60, 120, 300, 600):
        raise WafCompileError("EvaluationWindowSec must be one of 60, 120, 300, 600")
    if limit < 10:
        raise WafCompileError("Limit must be at least 10")
    agg = spec.get("AggregateKeyType", "IP")
    fw = client_ips(spec, "ForwardedIPConfig", "FIRST")

    def fw_ip(c: Ctx) -> str | None:
        got = fw(c.request)
        return None if isinstance(got, bool) else got[0]

    parts: list[KeyPart]
    if agg == "IP":
        parts = [lambda c: c.request.source_ip]
    elif agg == "FORWARDED_IP":
        if not spec.get("ForwardedIPConfig"):
            raise WafCompileError("FORWARDED_IP aggregation needs ForwardedIPConfig")
        parts = [fw_ip]
    elif agg == "CONSTANT":
        parts = [lambda c: "*"]
    elif agg == "CUSTOM_KEYS":
        keys = spec.get("CustomKeys") or []
        if not 1 <= len(keys) <= 5:
            raise WafCompileError("CUSTOM_KEYS needs 1 to 5 CustomKeys")
        parts = [_custom_key(k, fw_ip) for k in keys]
    else:
        raise WafCompileError(f"unknown AggregateKeyType {agg}")

    def pred(c: Ctx) -> bool:
        if scope is not None and not scope(c):
            return False
        values = [p(c) for p in parts]
        if any(v is None for v in values):
            return False  # AWS does not count a request that lacks one of the keys
        key = "\x1f".join(v for v in values if v is not None)
        count = store.hit(rule_id, key, c.now, window, limit)
        if count > limit:
            c.rate_hits.append(
                {
                    "rateBasedRuleName": rule_id.rsplit(":", 1)[-1],  # the id is namespaced; AWS logs the name
                    "limitKey": agg,
                    "maxRateAllowed": limit,
                    "evaluationWindowSec": str(window),
                    "limitValue": key.replace("\x1f", ","),
                }
            )
            return True
        return False

    return pred
