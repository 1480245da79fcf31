"""The rule language, checked structurally as AWS WAF checks it on Create/Update, and its WCU arithmetic.

Pure: nothing here reads the store. References (IP sets, regex pattern sets, rule groups, managed rule groups) are
resolved through a ``Resolver`` the caller passes, so the same walk serves CreateWebACL, CreateRuleGroup,
UpdateWebACL, UpdateRuleGroup and CheckCapacity. The protocol layer has already checked the model's constraints
(required members, enums, lengths, patterns); this module checks what the model cannot say: exactly one member of
a union-like structure, unique names and priorities, references, nesting rules, custom response keys, and it
sums the capacity.

WCUs ("Rule statements" pages of the AWS WAF Developer Guide, "Web ACL capacity units (WCUs)"):
  ByteMatch EXACTLY / STARTS_WITH / ENDS_WITH 2, CONTAINS / CONTAINS_WORD 10; SqliMatch 20 (HIGH sensitivity 30);
  XssMatch 40; SizeConstraint 1; GeoMatch 1; IPSetReference 1 (5 with a forwarded-IP header at position ANY);
  AsnMatch 1; LabelMatch 1; RegexMatch 3; RegexPatternSetReference 25; And / Or / Not 1 plus their statements;
  RateBased 2, plus 30 per custom aggregation key, plus its scope-down statement; RuleGroupReference the group's
  capacity; ManagedRuleGroup the
  catalog's capacity plus its scope-down statement. Each text transformation other than NONE adds 10. Inspecting
  all query arguments adds 10; inspecting the JSON body doubles the statement's base cost.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from strongroom.services.wafv2.errors import BAD_VALUE, DUPLICATE_VALUE, MISSING, MULTIPLE, invalid, limits, nonexistent
from strongroom.waf.context import WafCompileError
from strongroom.waf.statements import compile_regex

WEB_ACL_MAX_WCU = 5000  # 1,500 included, up to 5,000 billed; beyond it AWS answers WAFLimitsExceededException
RULE_GROUP_MAX_WCU = 5000
MAX_REGEX_LENGTH = 200

_BYTE_MATCH = {"EXACTLY": 2, "STARTS_WITH": 2, "ENDS_WITH": 2, "CONTAINS": 10, "CONTAINS_WORD": 10}
_SIMPLE = {
    "SizeConstraintStatement": 1,
    "GeoMatchStatement": 1,
    "IPSetReferenceStatement": 1,
    "AsnMatchStatement": 1,
    "LabelMatchStatement": 1,
}
_FIELD = {  # statement member -> the Field AWS names in WAFInvalidParameterException
    "ByteMatchStatement": "BYTE_MATCH_STATEMENT",
    "SqliMatchStatement": "SQLI_MATCH_STATEMENT",
    "XssMatchStatement": "XSS_MATCH_STATEMENT",
    "SizeConstraintStatement": "SIZE_CONSTRAINT_STATEMENT",
    "GeoMatchStatement": "GEO_MATCH_STATEMENT",
    "RuleGroupReferenceStatement": "RULE_GROUP_REFERENCE_STATEMENT",
    "IPSetReferenceStatement": "IP_SET_REFERENCE_STATEMENT",
    "RegexPatternSetReferenceStatement": "REGEX_PATTERN_REFERENCE_STATEMENT",
    "RateBasedStatement": "RATE_BASED_STATEMENT",
    "AndStatement": "AND_STATEMENT",
    "OrStatement": "OR_STATEMENT",
    "NotStatement": "NOT_STATEMENT",
    "ManagedRuleGroupStatement": "MANAGED_RULE_SET_STATEMENT",
    "LabelMatchStatement": "LABEL_MATCH_STATEMENT",
    "RegexMatchStatement": "STATEMENT",
    "AsnMatchStatement": "STATEMENT",
}
_TOP_LEVEL_ONLY = ("RateBasedStatement", "RuleGroupReferenceStatement", "ManagedRuleGroupStatement")
_RESERVED_METRICS = {"all", "default_action"}
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_LABEL = re.compile(r"^[0-9A-Za-z_\-:]+$")


class Resolver(Protocol):
    """What validation needs from the store: referenced entities of the caller's scope, region and account."""

    def ip_set(self, arn: str) -> Mapping[str, Any] | None: ...
    def regex_set(self, arn: str) -> Mapping[str, Any] | None: ...
    def rule_group(self, arn: str) -> Mapping[str, Any] | None: ...
    def managed(self, vendor: str, name: str) -> Mapping[str, Any] | None: ...
    def reference_ok(self, arn: str, kind: str) -> bool: ...


@dataclass(slots=True)
class Checked:
    """The outcome of checking a list of rules: their capacity and the ARNs they reference."""

    capacity: int = 0
    references: set[str] = field(default_factory=set)


def one_of(value: Mapping[str, Any] | None, field_name: str, where: str) -> str:
    """The single member set in ``value``; AWS's error when none or several are."""
    keys = [k for k, v in (value or {}).items() if v is not None]
    if not keys:
        raise invalid(field_name, where, MISSING)
    if len(keys) > 1:
        raise invalid(field_name, where, MULTIPLE)
    return keys[0]


def check_regex(pattern: str, field_name: str = "STATEMENT") -> None:
    """AWS's regex dialect, judged by the engine that will run the pattern (RE2: no backreferences, no lookaround),
    so a pattern accepted here always compiles at enforcement."""
    if len(pattern) > MAX_REGEX_LENGTH:
        raise invalid(field_name, pattern, "The regex pattern is too long.")
    try:
        compile_regex(pattern)
    except WafCompileError:
        raise invalid(field_name, pattern, "The regex pattern is not valid.") from None


def transformations_cost(items: list[Mapping[str, Any]]) -> int:
    priorities = [t.get("Priority") for t in items]
    if len(set(priorities)) != len(priorities):
        raise invalid("TEXT_TRANSFORMATION", priorities, DUPLICATE_VALUE)
    return 10 * sum(1 for t in items if t.get("Type") != "NONE")


def _match_pattern(pattern: Mapping[str, Any] | None, members: tuple[str, ...], field_name: str) -> None:
    one_of({k: (pattern or {}).get(k) for k in members}, field_name, json.dumps(pattern))


def field_to_match(ftm: Mapping[str, Any] | None, base: int) -> int:
    """Check a FieldToMatch; the statement's base cost as this component changes it."""
    kind = one_of(ftm, "FIELD_TO_MATCH", json.dumps(ftm))
    value = (ftm or {})[kind] or {}
    if kind in ("SingleHeader", "SingleQueryArgument"):
        name = str(value.get("Name", ""))
        if kind == "SingleHeader" and not _HEADER_NAME.match(name):
            raise invalid("SINGLE_HEADER", name)
    elif kind == "JsonBody":
        _match_pattern(value.get("MatchPattern"), ("All", "IncludedPaths"), "JSON_MATCH_PATTERN")
        for path in (value.get("MatchPattern") or {}).get("IncludedPaths") or []:
            if not str(path).startswith("/"):
                raise invalid("JSON_MATCH_PATTERN", path)
        return base * 2
    elif kind == "Headers":
        _match_pattern(value.get("MatchPattern"), ("All", "IncludedHeaders", "ExcludedHeaders"), "HEADER_MATCH_PATTERN")
    elif kind == "Cookies":
        _match_pattern(value.get("MatchPattern"), ("All", "IncludedCookies", "ExcludedCookies"), "COOKIE_MATCH_PATTERN")
    elif kind == "AllQueryArguments":
        return base + 10
    return base


@dataclass(slots=True)
class _Walk:
    resolver: Resolver
    out: Checked

    def reference(self, arn: str, kind: str, field_name: str) -> Mapping[str, Any]:
        if not self.resolver.reference_ok(arn, kind):
            raise invalid(field_name, arn, "The ARN isn't valid.")
        getter: Callable[[str], Mapping[str, Any] | None] = {
            "ipset": self.resolver.ip_set,
            "regexpatternset": self.resolver.regex_set,
            "rulegroup": self.resolver.rule_group,
        }[kind]
        found = getter(arn)
        if found is None:
            raise nonexistent()
        self.out.references.add(arn)
        return found

    def statement(self, stmt: Mapping[str, Any] | None, *, top: bool, in_rule_group: bool) -> int:
        kind = one_of(stmt, "STATEMENT", json.dumps(stmt, default=str)[:200])
        body: Mapping[str, Any] = (stmt or {})[kind] or {}
        fname = _FIELD.get(kind, "STATEMENT")
        if kind in _TOP_LEVEL_ONLY and not top:
            raise invalid(fname, kind, "The statement can't be nested in another statement.")
        if kind in ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement") and in_rule_group:
            raise invalid(fname, kind, "A rule group can't reference another rule group.")
        if kind == "ByteMatchStatement":
            if not body.get("SearchString"):
                raise invalid(fname, "SearchString", MISSING)
            base = field_to_match(body.get("FieldToMatch"), _BYTE_MATCH[str(body.get("PositionalConstraint"))])
            return base + transformations_cost(body.get("TextTransformations") or [])
        if kind == "SqliMatchStatement":
            cost = 30 if body.get("SensitivityLevel") == "HIGH" else 20
            return field_to_match(body.get("FieldToMatch"), cost) + transformations_cost(body["TextTransformations"])
        if kind == "XssMatchStatement":
            return field_to_match(body.get("FieldToMatch"), 40) + transformations_cost(body["TextTransformations"])
        if kind == "SizeConstraintStatement":
            return field_to_match(body.get("FieldToMatch"), 1) + transformations_cost(body["TextTransformations"])
        if kind == "RegexMatchStatement":
            check_regex(str(body.get("RegexString", "")), fname)
            return field_to_match(body.get("FieldToMatch"), 3) + transformations_cost(body["TextTransformations"])
        if kind == "RegexPatternSetReferenceStatement":
            self.reference(str(body.get("ARN")), "regexpatternset", fname)
            return field_to_match(body.get("FieldToMatch"), 25) + transformations_cost(body["TextTransformations"])
        if kind == "IPSetReferenceStatement":
            self.reference(str(body.get("ARN")), "ipset", fname)
            forwarded = body.get("IPSetForwardedIPConfig") or {}
            return 5 if forwarded.get("Position") == "ANY" else 1
        if kind == "LabelMatchStatement":
            key = str(body.get("Key", ""))
            if not _LABEL.match(key) or (body.get("Scope") == "LABEL" and key.endswith(":")):
                raise invalid(fname, key)
            return 1
        if kind in _SIMPLE:
            return _SIMPLE[kind]
        if kind in ("AndStatement", "OrStatement"):
            children = body.get("Statements") or []
            if len(children) < 2:
                raise invalid(fname, kind, "The statement must contain at least two nested statements.")
            return 1 + sum(self.statement(c, top=False, in_rule_group=in_rule_group) for c in children)
        if kind == "NotStatement":
            return 1 + self.statement(body.get("Statement"), top=False, in_rule_group=in_rule_group)
        if kind == "RateBasedStatement":
            return self.rate_based(body, fname, in_rule_group)
        if kind == "RuleGroupReferenceStatement":
            group = self.reference(str(body.get("ARN")), "rulegroup", fname)
            self.overrides(body)
            return int(group["capacity"])
        if kind == "ManagedRuleGroupStatement":
            return self.managed(body, fname)
        raise invalid("STATEMENT", kind, BAD_VALUE)

    def rate_based(self, body: Mapping[str, Any], fname: str, in_rule_group: bool) -> int:
        cost = 2
        window = body.get("EvaluationWindowSec")
        if window is not None and window not in (60, 120, 300, 600):
            raise invalid(fname, window, "The evaluation window must be 60, 120, 300 or 600 seconds.")
        key_type = body.get("AggregateKeyType")
        keys = body.get("CustomKeys") or []
        if key_type == "FORWARDED_IP" and not body.get("ForwardedIPConfig"):
            raise invalid("FORWARDED_IP_CONFIG", "ForwardedIPConfig", MISSING)
        if key_type == "CUSTOM_KEYS":
            if not keys or len(keys) > 5:
                raise invalid("CUSTOM_KEYS", len(keys), BAD_VALUE)
        elif keys:
            raise invalid("CUSTOM_KEYS", key_type, "Custom keys are allowed only with AggregateKeyType CUSTOM_KEYS.")
        if key_type == "CONSTANT" and not body.get("ScopeDownStatement"):
            raise invalid("SCOPE_DOWN", "ScopeDownStatement", MISSING)
        kinds = [one_of(k, "CUSTOM_KEYS", json.dumps(k)) for k in keys]
        if "IP" in kinds and "ForwardedIP" in kinds:
            raise invalid("CUSTOM_KEYS", "IP, ForwardedIP", "IP and ForwardedIP can't both be custom keys.")
        if "ForwardedIP" in kinds and not body.get("ForwardedIPConfig"):
            raise invalid("FORWARDED_IP_CONFIG", "ForwardedIPConfig", MISSING)
        if len(set(json.dumps(k, sort_keys=True) for k in keys)) != len(keys):
            raise invalid("CUSTOM_KEYS", "CustomKeys", DUPLICATE_VALUE)
        for key, kind in zip(keys, kinds, strict=True):
            transformations_cost((key[kind] or {}).get("TextTransformations") or [])  # checks priorities
        cost += 30 * len(keys)
        if body.get("ScopeDownStatement"):
            cost += self.statement(body["ScopeDownStatement"], top=False, in_rule_group=in_rule_group)
        return cost

    def overrides(self, body: Mapping[str, Any]) -> None:
        names = [r.get("Name") for r in body.get("ExcludedRules") or []]
        names += [r.get("Name") for r in body.get("RuleActionOverrides") or []]
        for override in body.get("RuleActionOverrides") or []:
            one_of(override.get("ActionToUse"), "RULE_ACTION", json.dumps(override))
        if len(set(names)) != len(names):
            raise invalid("EXCLUDED_RULE", names, DUPLICATE_VALUE)

    def managed(self, body: Mapping[str, Any], fname: str) -> int:
        group = self.resolver.managed(str(body.get("VendorName")), str(body.get("Name")))
        if group is None:
            raise nonexistent()
        version = body.get("Version")
        if version is not None and version not in group["Versions"]:
            raise invalid(fname, version, "The version isn't valid.")
        self.overrides(body)
        cost = int(group["Capacity"])
        if body.get("ScopeDownStatement"):
            cost += self.statement(body["ScopeDownStatement"], top=False, in_rule_group=False)
        return cost


def check_action(action: Mapping[str, Any] | None, field_name: str, bodies: Mapping[str, Any]) -> str:
    kind = one_of(action, field_name, json.dumps(action))
    value = (action or {})[kind] or {}
    custom = value.get("CustomResponse")
    if custom:
        key = custom.get("CustomResponseBodyKey")
        if key is not None and key not in bodies:
            raise invalid("CUSTOM_RESPONSE", key, "The custom response body key doesn't exist.")
        names = [h.get("Name", "").lower() for h in custom.get("ResponseHeaders") or []]
        if len(set(names)) != len(names):
            raise invalid("CUSTOM_RESPONSE", names, DUPLICATE_VALUE)
    handling = value.get("CustomRequestHandling")
    if handling:
        names = [h.get("Name", "").lower() for h in handling.get("InsertHeaders") or []]
        if len(set(names)) != len(names):
            raise invalid("CUSTOM_REQUEST_HANDLING", names, DUPLICATE_VALUE)
    return kind


def check_visibility(config: Mapping[str, Any] | None) -> None:
    if not config:
        raise invalid("METRIC_NAME", "VisibilityConfig", MISSING)
    name = str(config.get("MetricName", ""))
    if name.lower() in _RESERVED_METRICS:
        raise invalid("METRIC_NAME", name, "The metric name is reserved.")


def check_bodies(bodies: Mapping[str, Any]) -> None:
    for key, body in bodies.items():
        if body.get("ContentType") == "APPLICATION_JSON":
            try:
                json.loads(body.get("Content", ""))
            except ValueError:
                raise invalid("CUSTOM_RESPONSE_BODY", key, "The content isn't valid JSON.") from None


def check_rules(
    rules: list[Mapping[str, Any]], resolver: Resolver, *, in_rule_group: bool, bodies: Mapping[str, Any] | None = None
) -> Checked:
    """Check a WebACL's or RuleGroup's rules; their summed capacity and references (raises AWS's error)."""
    bodies = bodies or {}
    check_bodies(bodies)
    out = Checked()
    walk = _Walk(resolver, out)
    names: set[str] = set()
    priorities: set[int] = set()
    for rule in rules:
        name, priority = str(rule.get("Name")), int(rule.get("Priority", -1))
        if name in names:
            raise invalid("RULE", name, DUPLICATE_VALUE)
        if priority in priorities:
            raise invalid("RULE", priority, DUPLICATE_VALUE)
        names.add(name)
        priorities.add(priority)
        check_visibility(rule.get("VisibilityConfig"))
        stmt = rule.get("Statement") or {}
        is_group = any(stmt.get(k) for k in ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement"))
        if is_group and not in_rule_group:
            if rule.get("Action") is not None or rule.get("OverrideAction") is None:
                raise invalid("OVERRIDE_ACTION", name, "A rule group rule needs an OverrideAction and no Action.")
            one_of(rule["OverrideAction"], "OVERRIDE_ACTION", name)
        else:
            if rule.get("OverrideAction") is not None or rule.get("Action") is None:
                raise invalid("RULE_ACTION", name, "The rule needs an Action and no OverrideAction.")
            check_action(rule["Action"], "RULE_ACTION", bodies)
        for label in rule.get("RuleLabels") or []:
            if not _LABEL.match(str(label.get("Name", ""))):
                raise invalid("RULE", label.get("Name"))
        out.capacity += walk.statement(stmt, top=True, in_rule_group=in_rule_group)
    return out


def check_capacity_limit(capacity: int, limit: int) -> None:
    if capacity > limit:
        raise limits()
