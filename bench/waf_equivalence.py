"""A correctness guard for engine changes: record every decision, then check a changed engine decides the same.

    PYTHONPATH=src python -m bench.waf_equivalence record FILE     (STRONGROOM_CRS_CORPUS=corpus-dir)
    PYTHONPATH=src python -m bench.waf_equivalence check FILE

Every case of the OWASP CRS 3.3.4 regression corpus and of the benign corpus is evaluated by four web ACLs: the
issue's six managed groups, every managed group, and both again with ``OverrideAction: Count`` (so every rule of
every group runs on every request and each rule's match, not only the first blocking one, is compared). Recorded
per case: action, terminating rule / type / group / group rule, terminating match details, labels, the
non-terminating matches (rule, action, group, details) and the matched metric names. ``check`` prints the first
differences and exits 1 if any case differs. The record file is machine output: keep it out of git.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.crs_corpus import load_cases
from bench.waf_benign import benign_requests
from bench.waf_detection import CORPUS_ENV, GROUPS, replay_request, web_acl
from strongroom.waf import WafRequest, WebAclEvaluator
from strongroom.waf.decision import Decision
from strongroom.waf.managed import managed_catalog


def _acls() -> dict[str, dict]:
    every = tuple(sorted(managed_catalog()))
    out: dict[str, dict] = {}
    for name, groups in (("six", GROUPS), ("all", every)):
        out[name] = web_acl(groups)
        counted = web_acl(groups)
        for rule in counted["Rules"]:
            rule["OverrideAction"] = {"Count": {}}
        out[name + "-count"] = counted
    return out


def _requests() -> list[tuple[str, WafRequest]]:
    given = os.environ.get(CORPUS_ENV, "")
    if not given or not Path(given).is_dir():
        raise SystemExit(f"set {CORPUS_ENV} to the CRS regression corpus directory")
    cases = load_cases(Path(given))
    out = [(f"crs:{i}:{c.file}:{c.test_title}", replay_request(c)) for i, c in enumerate(cases)]
    out += [(f"benign:{i}", r) for i, r in enumerate(benign_requests())]
    return out


def _summary(d: Decision) -> dict[str, Any]:
    return {
        "action": d.action,
        "rule": d.terminating_rule,
        "type": d.terminating_rule_type,
        "group": d.terminating_group,
        "group_rule": d.terminating_group_rule,
        "details": d.terminating_details,
        "labels": d.labels,
        "counts": [[m.rule, m.action, m.group, m.details] for m in d.count_matches],
        "metrics": d.metrics,
    }


def decisions() -> dict[str, dict[str, Any]]:
    requests = _requests()
    out: dict[str, dict[str, Any]] = {}
    for name, acl in _acls().items():
        ev = WebAclEvaluator(acl)
        t0 = time.perf_counter()
        for key, req in requests:
            out[f"{name}|{key}"] = _summary(ev.evaluate(req, now=1_700_000_000.0))
        print(f"{name}: {len(requests)} requests in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("record", "check"):
        print(__doc__)
        return 2
    path = Path(argv[2])
    got = decisions()
    if argv[1] == "record":
        path.write_text(json.dumps(got, sort_keys=True, default=str))
        print(f"recorded {len(got)} decisions in {path}")
        return 0
    want = json.loads(path.read_text())
    got = json.loads(json.dumps(got, sort_keys=True, default=str))
    diff = [k for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)]
    for k in diff[:20]:
        print(f"DIFF {k}\n  was {want.get(k)}\n  now {got.get(k)}")
    print(f"{len(got)} decisions checked, {len(diff)} differ")
    return 1 if diff else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
