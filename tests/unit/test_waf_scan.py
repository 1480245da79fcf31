"""The field scans (waf/scan.py) and the transformation triggers they rely on decide exactly as one search per leaf."""

from __future__ import annotations

import random
from typing import Any

import pytest
import re2

from strongroom.waf import WafRequest, WebAclEvaluator, scan, transforms
from strongroom.waf.transforms import TRANSFORMS, TRIGGERS

_ALPHABET = b"aZq09 %+&\\\x00\t\n/.*,;'\"^(<>=-_\xa0\x80\xc3\xa9AeU"


def _values(rng: random.Random, n: int) -> list[bytes]:
    return [bytes(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 9))) for _ in range(n)]


def test_a_value_without_a_transformations_triggers_passes_it_unchanged() -> None:
    rng = random.Random(11)
    for _ in range(4000):
        values = _values(rng, rng.randint(1, 3))
        field_sig, groups = transforms.by_signature(values)
        assert sorted(v for g in groups.values() for v in g) == sorted(values)
        for sig, group in groups.items():
            assert sig & ~field_sig == 0
            for v in group:
                assert transforms.signature([v]) == sig
                for fn, trig in TRIGGERS.items():
                    if not sig & trig:
                        assert fn(v) == v, (fn.__name__, v)


def test_every_transformation_has_a_trigger_or_always_runs() -> None:
    for fn in TRANSFORMS.values():
        assert transforms.triggers([fn]) != 0 or fn is transforms.none


_PATTERNS = ["^a", "z$", "(?i)select", r"\.\./", "<script", "a+b", "%2e", "^$", "'\\s*or"]
_CHAINS = [[], ["LOWERCASE"], ["URL_DECODE"], ["URL_DECODE", "LOWERCASE"], ["NORMALIZE_PATH"], ["CMD_LINE"]]


def _rx(pattern: str, chain: list[str]) -> dict:
    return {
        "RegexMatchStatement": {
            "RegexString": pattern,
            "FieldToMatch": {"AllQueryArguments": {}},
            "TextTransformations": [{"Priority": i, "Type": t} for i, t in enumerate(chain)]
            or [{"Priority": 0, "Type": "NONE"}],
        }
    }


def _rules() -> list[dict]:
    rules: list[dict[str, Any]] = []
    for i, pattern in enumerate(_PATTERNS):
        for j, chain in enumerate(_CHAINS):
            stmt = _rx(pattern, chain)
            if j % 3 == 1:  # some under Or (merged with a sibling), some under Not
                stmt = {"OrStatement": {"Statements": [stmt, _rx(_PATTERNS[(i + 1) % len(_PATTERNS)], chain)]}}
            elif j % 3 == 2:
                stmt = {"NotStatement": {"Statement": stmt}}
            rules.append(
                {
                    "Name": f"r{i}-{j}",
                    "Priority": len(rules),
                    "Statement": stmt,
                    "Action": {"Count": {}},
                    "VisibilityConfig": {"MetricName": f"r{i}-{j}"},
                }
            )
    return rules


def _expected(rule: dict, args: list[bytes]) -> bool:
    def leaf(spec: dict) -> bool:
        chain = transforms.compile_transforms(spec["TextTransformations"])
        rx = re2.compile(spec["RegexString"].encode())
        return any(rx.search(transforms.apply(chain, v)) for v in args)

    def ev(stmt: dict) -> bool:
        ((kind, spec),) = stmt.items()
        if kind == "OrStatement":
            return any(ev(s) for s in spec["Statements"])
        if kind == "NotStatement":
            return not ev(spec["Statement"])
        return leaf(spec)

    return ev(rule["Statement"])


@pytest.mark.parametrize(("split", "cache"), [(False, True), (False, False), (True, True)])
def test_field_scan_answers_each_leaf_as_its_own_search(
    monkeypatch: pytest.MonkeyPatch, split: bool, cache: bool
) -> None:
    """Leaves on one field with several chains (bare, under Or, under Not) share one set and one scan; each rule
    still matches exactly when its own pattern matches one of its own chain's values, whether a value's result
    comes from the per-value cache (values repeat across the requests) or not. ``split``: the merged set does not
    compile, and the leaves fall back to the sets they would have had alone."""
    monkeypatch.setattr(scan, "RESULT_CACHE", cache)
    monkeypatch.setattr(scan, "RESULT_CACHE_ENTRIES", 20)  # cleared often: both paths run
    if split:
        real = scan.compiled_set.__wrapped__

        def small_only(options: str, patterns: tuple[bytes, ...]) -> Any:
            if len(patterns) > 2:
                raise re2.error("too big (test)")
            return real(options, patterns)

        monkeypatch.setattr(scan, "compiled_set", small_only)
    rules = _rules()
    ev = WebAclEvaluator({"Name": "acl", "DefaultAction": {"Allow": {}}, "Rules": rules})
    rng = random.Random(5)
    words = [b"a", b"Select", b"../x", b"%2E%2e/", b"%3Cscript", b"aab", b"' or", b"z", b"", b"%27%20OR", b"AZ"]
    for _ in range(300):
        args = [b"".join(rng.choice(words) for _ in range(rng.randint(0, 3))) for _ in range(rng.randint(0, 3))]
        query = "&".join(f"k{i}={a.decode('latin-1')}" for i, a in enumerate(args))
        got = {m.rule for m in ev.evaluate(WafRequest("GET", "/", query), now=0).count_matches}
        want = {r["Name"] for r in rules if _expected(r, args)}
        assert got == want, query


@pytest.mark.parametrize("cache", [True, False])
def test_sqli_statement_reports_the_first_flagged_value_with_or_without_the_cache(
    monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    monkeypatch.setattr(scan, "RESULT_CACHE", cache)
    stmt = {
        "SqliMatchStatement": {
            "FieldToMatch": {"AllQueryArguments": {}},
            "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
        }
    }
    rule = {"Name": "s", "Priority": 0, "Statement": stmt, "Action": {"Block": {}}, "VisibilityConfig": {}}
    ev = WebAclEvaluator({"Name": "acl", "DefaultAction": {"Allow": {}}, "Rules": [rule]})
    for _ in range(3):
        ok = ev.evaluate(WafRequest("GET", "/", "a=hello&b=world"), now=0)
        assert ok.action == "ALLOW"
        hit = ev.evaluate(WafRequest("GET", "/", "a=hello&b=1%27%20or%201%3D1--&c=%27%20or%20%27a%27%3D%27a"), now=0)
        assert hit.action == "BLOCK"
        assert hit.terminating_details[0]["matchedData"] == ["1' or 1=1--"]
