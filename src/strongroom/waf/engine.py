"""Compile a web ACL (GetWebACL's JSON) once; evaluate requests against it.

Processing follows "How AWS WAF processes a web ACL": rules in Priority order; a matching rule's labels are
added first, then its action applies; Count (and an accepted CAPTCHA/Challenge token) continues, Allow / Block /
an unsolved CAPTCHA or Challenge terminates; a rule group's rules run in the group's own priority order and a
terminating action inside the group ends the whole web ACL; nothing terminating leaves the DefaultAction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from strongroom.waf import managed_fields
from strongroom.waf.actions import apply_action
from strongroom.waf.context import Ctx, Predicate, WafCompileError
from strongroom.waf.decision import ActionOutcome, Decision, RuleMatch
from strongroom.waf.managed import CrsManagedRules, ManagedRulesProvider
from strongroom.waf.ratelimit import InMemoryRateCounter, RateCounterStore
from strongroom.waf.request import WafRequest
from strongroom.waf.scan import Gate, GateCheck, gate_check, gate_open, union
from strongroom.waf.statements import Resolvers, compile_statement

_KB = {"KB_16": 16384, "KB_32": 32768, "KB_48": 49152, "KB_64": 65536}
# AWS: 16 KB default, configurable up to 64 KB, for these; 8 KB fixed for ALB and AppSync.
_CONFIGURABLE = {"CLOUDFRONT", "API_GATEWAY", "COGNITO_USER_POOL", "APP_RUNNER_SERVICE", "VERIFIED_ACCESS_INSTANCE"}
_GROUP_KINDS = ("RuleGroupReferenceStatement", "ManagedRuleGroupStatement")


@dataclass
class _Rule:
    name: str
    priority: int
    kind: str  # REGULAR | RATE_BASED | GROUP | MANAGED_RULE_GROUP
    predicate: Predicate | None
    action: dict | None
    override_count: bool
    labels: list[str]
    metric: str
    captcha_immunity: int | None
    challenge_immunity: int | None
    group: _Group | None = None
    gate: GateCheck | None = None  # a pure predicate's necessary condition (waf/scan.py): closed, the rule is false


@dataclass
class _Group:
    name: str
    rules: list[_Rule]
    scope_down: Predicate | None
    excluded: set[str]
    overrides: dict[str, dict]
    bodies: dict[str, dict]
    gate: GateCheck | None = None  # every rule gated: closed for the union, no rule of the group can match


def _check_body_key(action: dict | None, bodies: dict[str, dict]) -> None:
    """AWS refuses a CustomResponseBodyKey that names no body; so do we, at compile time."""
    custom = ((action or {}).get("Block") or {}).get("CustomResponse") or {}
    key = custom.get("CustomResponseBodyKey")
    if key is not None and key not in bodies:
        raise WafCompileError(f"custom response body {key} is not defined")


def _immunity(cfg: dict | None) -> int | None:
    if not cfg:
        return None
    return int(cfg.get("ImmunityTimeProperty", {}).get("ImmunityTime", 300))


class WebAclEvaluator:
    def __init__(
        self,
        web_acl: dict,
        *,
        ip_sets: Callable[[str], dict | None] = lambda _arn: None,
        regex_pattern_sets: Callable[[str], dict | None] = lambda _arn: None,
        rule_groups: Callable[[str], dict | None] = lambda _arn: None,
        managed_rules: ManagedRulesProvider | None = None,
        rate_store: RateCounterStore | None = None,
        resource_type: str = "API_GATEWAY",
        token_key: bytes | None = None,
    ) -> None:
        self.web_acl = web_acl
        self.name = web_acl.get("Name", "")
        self.arn = web_acl.get("ARN", "")
        account = self.arn.split(":")[4] if self.arn.count(":") >= 5 else "000000000000"
        self.namespace = web_acl.get("LabelNamespace") or f"awswaf:{account}:webacl:{self.name}:"
        self.token_key = token_key
        self.token_domains = [d.lower() for d in web_acl.get("TokenDomains") or []]
        self.captcha_immunity = _immunity(web_acl.get("CaptchaConfig")) or 300
        self.challenge_immunity = _immunity(web_acl.get("ChallengeConfig")) or 300
        self.bodies: dict[str, dict] = dict(web_acl.get("CustomResponseBodies") or {})
        self.default_action: dict = web_acl.get("DefaultAction") or {"Allow": {}}
        self.body_limit = self._body_limit(resource_type)
        self._managed = managed_rules or CrsManagedRules()
        managed_ips = getattr(self._managed, "ip_set", None)
        if managed_ips is not None:
            # the IP-list managed groups reference the provider's operator-loaded lists
            user_ip_sets = ip_sets

            def ip_sets(arn: str) -> dict | None:
                return managed_ips(arn) if arn.startswith("managed-ip-list:") else user_ip_sets(arn)

        self._rule_groups = rule_groups
        self._resolvers = Resolvers(
            ip_sets, regex_pattern_sets, rule_groups, rate_store or InMemoryRateCounter(), self._group_in_statement
        )
        try:
            _check_body_key(self.default_action, self.bodies)
            self.rules = self._compile_rules(web_acl.get("Rules") or [], self.namespace, top=True)
            self._resolvers.index.finish()  # every field's one RE2 set, now that every leaf has joined
        except WafCompileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # a malformed ACL is a compile error, never a crash at request time
            raise WafCompileError(f"invalid web ACL: {type(exc).__name__}: {exc}") from None

    def _body_limit(self, resource_type: str) -> int:
        if resource_type not in _CONFIGURABLE:
            return 8192
        cfg = ((self.web_acl.get("AssociationConfig") or {}).get("RequestBody") or {}).get(resource_type) or {}
        return _KB.get(cfg.get("DefaultSizeInspectionLimit", "KB_16"), 16384)

    def _group_in_statement(self, spec: dict, kind: str, res: Resolvers) -> Predicate:
        raise WafCompileError(f"{kind} can only be a rule's top-level statement")

    def _compile_rules(
        self, specs: list[dict], namespace: str, top: bool, bodies: dict[str, dict] | None = None
    ) -> list[_Rule]:
        seen: set[str] = set()
        rules: list[_Rule] = []
        for spec in sorted(specs, key=lambda r: int(r.get("Priority", 0))):
            name = spec["Name"]
            if name in seen:
                raise WafCompileError(f"duplicate rule name {name}")
            seen.add(name)
            stmt = spec["Statement"]
            ((kind, body),) = stmt.items()
            if "Action" in spec and "OverrideAction" in spec:
                raise WafCompileError(f"rule {name}: Action and OverrideAction are exclusive")
            _check_body_key(spec.get("Action"), {**self.bodies, **(bodies or {})})
            group = None
            predicate: Predicate | None = None
            if kind in _GROUP_KINDS:
                if not top:
                    raise WafCompileError("a rule group cannot reference another rule group")
                if "OverrideAction" not in spec:
                    raise WafCompileError(f"rule {name}: a rule group statement needs OverrideAction")
                group = self._compile_group(kind, body)
                rule_kind = "GROUP" if kind == "RuleGroupReferenceStatement" else "MANAGED_RULE_GROUP"
            else:
                if "Action" not in spec:
                    raise WafCompileError(f"rule {name}: needs Action")
                predicate = compile_statement(stmt, self._resolvers, namespace, name, top=True)
                rule_kind = "RATE_BASED" if kind == "RateBasedStatement" else "REGULAR"
            labels = [
                lbl["Name"] if lbl["Name"].startswith("awswaf:") else namespace + lbl["Name"]
                for lbl in spec.get("RuleLabels") or []
            ]
            rules.append(
                _Rule(
                    name=name,
                    priority=int(spec.get("Priority", 0)),
                    kind=rule_kind,
                    predicate=predicate,
                    action=spec.get("Action"),
                    override_count="Count" in (spec.get("OverrideAction") or {}),
                    labels=labels,
                    metric=(spec.get("VisibilityConfig") or {}).get("MetricName", name),
                    captcha_immunity=_immunity(spec.get("CaptchaConfig")),
                    challenge_immunity=_immunity(spec.get("ChallengeConfig")),
                    group=group,
                    gate=self._gate(predicate),
                )
            )
        return rules

    def _gate(self, predicate: Predicate | None) -> GateCheck | None:
        """A rule's gate, when it spares work: a lone set leaf is as cheap as its gate."""
        index = self._resolvers.index
        if predicate is None or predicate in index.leaves or predicate in index.merged:
            return None
        return index.rule_gate(predicate)

    def _group_gate(self, rules: list[_Rule]) -> GateCheck | None:
        index = self._resolvers.index
        gates: list[Gate] = []
        for rule in rules:
            if rule.predicate is None or rule.predicate not in index.pure or rule.predicate not in index.gates:
                return None
            gates.append(index.gates[rule.predicate])
        return gate_check(union(gates)) if gates else None

    def _compile_group(self, kind: str, body: dict) -> _Group:
        if kind == "RuleGroupReferenceStatement":
            ref = self._rule_groups(body["ARN"])
            if ref is None:
                raise WafCompileError(f"rule group {body['ARN']} not found")
            name = ref.get("Name", "")
            arn = ref.get("ARN", body["ARN"])
            account = arn.split(":")[4] if arn.count(":") >= 5 else "000000000000"
            namespace = ref.get("LabelNamespace") or f"awswaf:{account}:rulegroup:{name}:"
            rules_spec, bodies = ref.get("Rules") or [], dict(ref.get("CustomResponseBodies") or {})
        else:
            managed = self._managed.get(body["VendorName"], body["Name"], body.get("Version"))
            if managed is None:
                raise WafCompileError(f"managed rule group {body['VendorName']}/{body['Name']} not found")
            name, namespace, rules_spec, bodies = body["Name"], managed.label_namespace, managed.rules, {}
        for override in body.get("RuleActionOverrides") or []:
            _check_body_key(override["ActionToUse"], {**self.bodies, **bodies})
        scope = body.get("ScopeDownStatement")
        # a managed group's own content may use the engine-internal fields (waf/managed_fields.py)
        token = managed_fields.MANAGED_CONTENT.set(kind == "ManagedRuleGroupStatement")
        try:
            rules = self._compile_rules(rules_spec, namespace, top=False, bodies=bodies)
        finally:
            managed_fields.MANAGED_CONTENT.reset(token)
        return _Group(
            name=name,
            rules=rules,
            gate=self._group_gate(rules),
            scope_down=compile_statement(scope, self._resolvers, namespace) if scope else None,
            excluded={r["Name"] for r in body.get("ExcludedRules") or []},
            overrides={o["Name"]: o["ActionToUse"] for o in body.get("RuleActionOverrides") or []},
            bodies=bodies,
        )

    # --- evaluation -------------------------------------------------------------------------------------

    def evaluate(self, request: WafRequest, now: float) -> Decision:
        ctx = Ctx(request=request, now=now, body_limit=self.body_limit)
        decision = Decision(action="ALLOW", terminating_rule="Default_Action", terminating_rule_type="REGULAR")
        outcome = self._run(self.rules, ctx, decision, None)
        if outcome is None:
            outcome = apply_action(self, self.default_action, None, ctx, decision, self.bodies)
            decision.terminating_rule = "Default_Action"
        decision.action = outcome.action
        decision.response = outcome.response
        decision.labels = list(ctx.labels)
        decision.rate_based = list(ctx.rate_hits)
        return decision

    def _run(
        self, rules: list[_Rule], ctx: Ctx, decision: Decision, group: tuple[_Rule, _Group] | None
    ) -> ActionOutcome | None:
        for rule in rules:
            if rule.group is not None:
                g = rule.group
                if g.scope_down is not None and not g.scope_down(ctx):
                    continue
                if g.gate is not None and not gate_open(g.gate, ctx):
                    continue
                outcome = self._run(g.rules, ctx, decision, (rule, g))
                if outcome is not None:
                    return outcome
                continue
            assert rule.predicate is not None
            if rule.gate is not None and not gate_open(rule.gate, ctx):
                continue
            if ctx.match_details:  # a new list only after a rule added some (copies were taken of the old)
                ctx.match_details = []
            if not rule.predicate(ctx):
                continue
            for label in rule.labels:
                ctx.add_label(label)
            decision.metrics.append(rule.metric)
            action = rule.action or {"Count": {}}
            bodies = self.bodies
            group_name = None
            if group is not None:
                parent, g = group
                group_name, bodies = g.name, {**self.bodies, **g.bodies}
                if rule.name in g.overrides:
                    action = g.overrides[rule.name]
                elif rule.name in g.excluded or parent.override_count:
                    action = {"Count": {}}
            outcome = apply_action(self, action, rule, ctx, decision, bodies)
            if outcome.terminating:
                # AWS logs the web ACL's rule as terminatingRuleId and the group's rule in ruleGroupList
                decision.terminating_rule = group[0].name if group else rule.name
                decision.terminating_rule_type = group[0].kind if group else rule.kind
                decision.terminating_group = group_name
                decision.terminating_group_rule = rule.name if group else None
                decision.terminating_details = list(ctx.match_details)
                return outcome
            decision.count_matches.append(RuleMatch(rule.name, outcome.action, group_name, list(ctx.match_details)))
        return None
