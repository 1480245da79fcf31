"""Detection and evaluation time of the AWS managed rule groups (CRS-derived) replayed in process.

    PYTHONPATH=src python -m bench.waf_detection [corpus-dir] [--windows]     (or STRONGROOM_CRS_CORPUS=corpus-dir)

A web ACL with Common + SQLi + KnownBadInputs + Linux + Unix + PHP at default settings (the issue's target set)
evaluates every case of the OWASP CRS 3.3.4 regression corpus (bench/crs_corpus.py) and the benign corpus
(bench/waf_benign.py). Printed: positive block rate (overall and per CRS file; cases judged only by an HTTP status
— malformed requests a server refuses — counted separately), the corpus's negative pass rate (at defaults, and with
NoUserAgent_HEADER set to Count by a rule action override), the benign pass rate, and per-request evaluation time
p50 / p99.

The corpus's harness addresses every request to ``Host: localhost``; AWS's ``Host_localhost_HEADER`` would block
all of them for that alone, so the replay names the host ``www.example.com`` instead (other Host values, which the
cases set on purpose, are kept).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from bench.crs_corpus import CrsCase, load_cases, to_waf_request
from bench.waf_benign import benign_requests
from strongroom.waf import WafRequest, WebAclEvaluator

# The corpus is not part of the repository (tests/data/crs-sample/ holds a sample): name its directory as the
# argument or in STRONGROOM_CRS_CORPUS.
CORPUS_ENV = "STRONGROOM_CRS_CORPUS"
GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesLinuxRuleSet",
    "AWSManagedRulesUnixRuleSet",
    "AWSManagedRulesPHPRuleSet",
)


APP_FILES = {"913", "930", "931", "932", "933", "934", "941", "942", "944"}


# AWS's NoUserAgent_HEADER blocks every request without a User-Agent, by design; customers whose clients send none
# (scripts, health checks, the CRS corpus's own harness for 21 negatives) set that one rule to Count with a rule
# action override. The negatives figure is reported both ways.
UA_RULE = "NoUserAgent_HEADER"


def _group_statement(group: str, count: tuple[str, ...]) -> dict:
    stmt: dict = {"VendorName": "AWS", "Name": group}
    if group == "AWSManagedRulesCommonRuleSet" and count:
        stmt["RuleActionOverrides"] = [{"Name": r, "ActionToUse": {"Count": {}}} for r in count]
    return {"ManagedRuleGroupStatement": stmt}


def web_acl(groups: tuple[str, ...] = GROUPS, count: tuple[str, ...] = ()) -> dict:
    """The six groups at their defaults; ``count``: Common rule set rules overridden to Count."""
    return {
        "Name": "detection",
        "DefaultAction": {"Allow": {}},
        "Rules": [
            {
                "Name": g,
                "Priority": i,
                "OverrideAction": {"None": {}},
                "Statement": _group_statement(g, count),
                "VisibilityConfig": {"MetricName": g},
            }
            for i, g in enumerate(groups)
        ],
    }


def replay_request(case: CrsCase) -> WafRequest:
    req = to_waf_request(case)
    headers = tuple(
        (k, "www.example.com" if k.lower() == "host" and v.strip() == "localhost" else v) for k, v in req.headers
    )
    return dataclasses.replace(req, headers=headers)


@dataclasses.dataclass
class Result:
    positives: int = 0
    blocked: int = 0
    status_only: int = 0
    status_only_blocked: int = 0
    negatives: int = 0
    negatives_passed: int = 0
    negatives_passed_ua_count: int = 0  # with NoUserAgent_HEADER set to Count (a rule action override)
    benign: int = 0
    benign_passed: int = 0
    per_file: dict[str, list[int]] = dataclasses.field(default_factory=dict)  # file -> [blocked, positives]
    missed: list[CrsCase] = dataclasses.field(default_factory=list)
    negatives_blocked: Counter[str] = dataclasses.field(default_factory=Counter)  # by AWS rule
    benign_blocked: Counter[str] = dataclasses.field(default_factory=Counter)
    times_ms: list[float] = dataclasses.field(default_factory=list)
    cpu_ms: list[float] = dataclasses.field(default_factory=list)  # CPU time: steadier than wall on a shared machine

    @property
    def block_rate(self) -> float:
        return self.blocked / self.positives if self.positives else 0.0

    @property
    def negative_pass_rate(self) -> float:
        return self.negatives_passed / self.negatives if self.negatives else 1.0

    @property
    def negative_pass_rate_ua_count(self) -> float:
        return self.negatives_passed_ua_count / self.negatives if self.negatives else 1.0

    @property
    def benign_pass_rate(self) -> float:
        return self.benign_passed / self.benign if self.benign else 1.0


def run(cases: list[CrsCase], benign: list[WafRequest], groups: tuple[str, ...] = GROUPS) -> Result:
    ev = WebAclEvaluator(web_acl(groups))
    ev_ua_count = WebAclEvaluator(web_acl(groups, count=(UA_RULE,)))
    out = Result()
    for case in cases:
        req = replay_request(case)
        t0, c0 = time.perf_counter(), time.thread_time()
        d = ev.evaluate(req, now=1_700_000_000.0)
        out.times_ms.append((time.perf_counter() - t0) * 1000)
        out.cpu_ms.append((time.thread_time() - c0) * 1000)
        blocked = d.action != "ALLOW"
        if case.positive and case.status_only:
            out.status_only += 1
            out.status_only_blocked += blocked
        elif case.positive:
            out.positives += 1
            out.blocked += blocked
            cell = out.per_file.setdefault(case.file, [0, 0])
            cell[0] += blocked
            cell[1] += 1
            if not blocked:
                out.missed.append(case)
        else:
            out.negatives += 1
            out.negatives_passed += not blocked
            out.negatives_passed_ua_count += ev_ua_count.evaluate(req, now=1_700_000_000.0).action == "ALLOW"
            if blocked:
                out.negatives_blocked[d.terminating_group_rule or d.terminating_rule] += 1
    for req in benign:
        t0, c0 = time.perf_counter(), time.thread_time()
        d = ev.evaluate(req, now=1_700_000_000.0)
        out.times_ms.append((time.perf_counter() - t0) * 1000)
        out.cpu_ms.append((time.thread_time() - c0) * 1000)
        out.benign += 1
        if d.action == "ALLOW":
            out.benign_passed += 1
        else:
            out.benign_blocked[d.terminating_group_rule or d.terminating_rule] += 1
    return out


def report(res: Result) -> str:
    t, c = sorted(res.times_ms), sorted(res.cpu_ms)
    p99 = t[min(len(t) - 1, int(len(t) * 0.99))] if t else 0.0
    cpu99 = c[min(len(c) - 1, int(len(c) * 0.99))] if c else 0.0
    app = {f: v for f, v in res.per_file.items() if f.split("-")[1] in APP_FILES}
    app_b, app_n = sum(v[0] for v in app.values()), sum(v[1] for v in app.values())
    nua = res.negatives_blocked.get("NoUserAgent_HEADER", 0)
    lines = [
        f"positives blocked: {res.blocked}/{res.positives} = {res.block_rate:.1%}",
        f"  of which application-attack files (913, 930-934, 941, 942, 944): {app_b}/{app_n} = "
        f"{app_b / max(app_n, 1):.1%}",
        f"status-only positives (malformed requests a server refuses) blocked: "
        f"{res.status_only_blocked}/{res.status_only}",
        f"corpus negatives passed: {res.negatives_passed}/{res.negatives} = {res.negative_pass_rate:.1%}"
        f"  (blocked by: {dict(res.negatives_blocked.most_common())})",
        f"corpus negatives passed with {UA_RULE} set to Count (a rule action override, what AWS customers whose "
        f"clients send no User-Agent do; {nua} negatives send none): {res.negatives_passed_ua_count}/{res.negatives}"
        f" = {res.negative_pass_rate_ua_count:.1%}",
        f"benign passed: {res.benign_passed}/{res.benign} = {res.benign_pass_rate:.2%}"
        f"  (blocked by: {dict(res.benign_blocked.most_common())})",
        f"evaluation time per request: p50 {statistics.median(t) if t else 0:.3f} ms, p99 {p99:.3f} ms "
        f"(CPU time: p50 {statistics.median(c) if c else 0:.3f} ms, p99 {cpu99:.3f} ms; load average "
        f"{os.getloadavg()[0]:.1f})",
        "per CRS file (blocked/positives):",
    ]
    for f, (b, n) in sorted(res.per_file.items()):
        lines.append(f"  {f:50s} {b:5d}/{n:<5d} {b / n:6.1%}")
    missed = Counter(c.rule_id for c in res.missed)
    lines.append("missed positives by CRS rule: " + ", ".join(f"{k}:{v}" for k, v in missed.most_common()))
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = [a for a in argv[1:] if not a.startswith("--")]
    given = args[0] if args else os.environ.get(CORPUS_ENV, "")
    root = Path(given) if given else None
    if root is None or not root.is_dir():
        print(f"CRS regression corpus not found at {root}: skipping the detection benchmark")
        return 0
    cases, benign = load_cases(root), benign_requests()
    print(f"== {' + '.join(g.removeprefix('AWSManagedRules') for g in GROUPS)}")
    print(report(run(cases, benign)))
    if "--windows" in argv:
        print("== the same + WindowsRuleSet")
        print(report(run(cases, benign, (*GROUPS, "AWSManagedRulesWindowsRuleSet"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
