"""The AWS managed rule groups' CRS-derived content: it compiles in the engine, its names and labels are the
catalog's, a sample of the OWASP CRS 3.3.4 regression corpus is blocked, benign traffic passes."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from bench.crs_corpus import CrsCase, to_waf_request
from bench.waf_benign import benign_requests
from bench.waf_detection import GROUPS, replay_request, web_acl

from strongroom.waf import (
    CrsManagedRules,
    ManagedGroup,
    StaticManagedRules,
    WafCompileError,
    WafRequest,
    WebAclEvaluator,
)
from strongroom.waf.managed import managed_catalog, managed_content
from strongroom.waf.managed_fields import compile_managed_args

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "crs-sample" / "cases.json"
# CRS files whose attack class the six groups cover (protocol enforcement 920/921/922, method policy 911, session
# fixation 943 and Node.js 934 have no AWS managed rule; Windows FOR/IF 932140 is in the Windows group)
COVERED = ("930", "931", "932", "933", "941", "942", "944", "913")


def _sample() -> list[CrsCase]:
    rows = json.loads(SAMPLE.read_text())
    return [
        CrsCase(
            **{
                **r,
                "headers": tuple(tuple(h) for h in r["headers"]),
                "body": base64.b64decode(r["body"]),
                "raw": base64.b64decode(r["raw"]) if r["raw"] is not None else None,
                "expected_status": tuple(r["expected_status"]),
            }
        )
        for r in rows
    ]


@pytest.fixture(scope="module")
def six() -> WebAclEvaluator:
    return WebAclEvaluator(web_acl())


def _blocked(ev: WebAclEvaluator, req: WafRequest) -> bool:
    return ev.evaluate(req, now=1_700_000_000.0).action != "ALLOW"


@pytest.mark.parametrize("group", sorted(managed_catalog()))
def test_every_group_compiles_and_matches_the_catalog(group: str) -> None:
    entry = managed_catalog()[group]
    WebAclEvaluator(web_acl((group,)))  # raises WafCompileError on any untranslatable content
    by_name = {r["Name"]: r for r in entry["Rules"]}
    content = managed_content(group)
    priorities = [r["Priority"] for r in content]
    assert priorities == sorted(priorities)
    for rule in content:
        assert rule["Name"] in by_name, rule["Name"]
        assert rule["RuleLabels"] == [{"Name": by_name[rule["Name"]]["Label"]}]
        assert rule["Action"] == {by_name[rule["Name"]]["Action"]: {}}
        assert rule["Statement"]


def test_content_covers_the_attack_rules() -> None:
    names = {g: {r["Name"] for r in managed_content(g)} for g in GROUPS}
    assert {"SQLi_QUERYARGUMENTS", "SQLi_BODY", "SQLi_COOKIE"} <= names["AWSManagedRulesSQLiRuleSet"]
    assert {"CrossSiteScripting_BODY", "GenericLFI_QUERYARGUMENTS", "NoUserAgent_HEADER"} <= names[
        "AWSManagedRulesCommonRuleSet"
    ]
    assert {"JavaDeserializationRCE_BODY", "Log4JRCE_HEADER", "PROPFIND_METHOD"} <= names[
        "AWSManagedRulesKnownBadInputsRuleSet"
    ]


def _req(path: str = "/", query: str = "", headers: tuple[tuple[str, str], ...] = (), **kw: Any) -> WafRequest:
    base = (("Host", "shop.example.com"), ("User-Agent", "Mozilla/5.0"))
    return WafRequest("GET", path, query, base + headers, **kw)


def test_labels_and_terminating_rules(six: WebAclEvaluator) -> None:
    d = six.evaluate(_req(query="id=1%27%20or%20%271%27%3D%271"), now=0)
    assert d.action == "BLOCK" and d.terminating_group_rule == "SQLi_QUERYARGUMENTS"
    assert "awswaf:managed:aws:sql-database:SQLi_QueryArguments" in d.labels
    d = six.evaluate(WafRequest("GET", "/", "", (("Host", "a.example"),)), now=0)
    assert d.terminating_group_rule == "NoUserAgent_HEADER"
    assert six.evaluate(_req(headers=(("X-Api", "${jndi:ldap://evil/a}"),)), now=0).terminating_group_rule == (
        "Log4JRCE_HEADER"
    )
    assert _blocked(six, WafRequest("PROPFIND", "/", "", (("Host", "a.example"), ("User-Agent", "x"))))
    assert _blocked(six, _req(query="file=../../../../etc/passwd"))
    assert _blocked(six, _req(query="q=%3Cscript%3Ealert(1)%3C/script%3E"))
    assert not _blocked(six, _req(query="q=select+a+plan&who=O%27Brien"))


def test_ip_list_groups_match_operator_lists() -> None:
    acl = web_acl(("AWSManagedRulesAmazonIpReputationList",))
    assert not _blocked(WebAclEvaluator(acl), _req(source_ip="203.0.113.9"))  # no list shipped
    loaded = CrsManagedRules(ip_lists={"AWSManagedIPReputationList": ["203.0.113.0/24"]})
    ev = WebAclEvaluator(acl, managed_rules=loaded)
    d = ev.evaluate(_req(source_ip="203.0.113.9"), now=0)
    assert d.action == "BLOCK" and "awswaf:managed:aws:amazon-ip-list:AWSManagedIPReputationList" in d.labels
    assert not _blocked(ev, _req(source_ip="198.51.100.1"))


def test_crs_sample_attack_classes_are_blocked(six: WebAclEvaluator) -> None:
    cases = [c for c in _sample() if c.positive and not c.status_only]
    covered = [c for c in cases if c.rule_id[:3] in COVERED and c.rule_id != "932140"]
    assert len(covered) >= 100
    blocked = [c for c in covered if _blocked(six, replay_request(c))]
    assert len(blocked) / len(covered) >= 0.95, [c.test_title for c in covered if c not in blocked]
    # the whole sample, protocol classes included, stays above ModSecurity PL1's 84% on the full corpus
    assert sum(_blocked(six, replay_request(c)) for c in cases) / len(cases) >= 0.8


def test_raw_requests_are_parsed() -> None:
    raw = b"POST /a/b?x=1#frag HTTP/1.1\nHost: h\nContent-Type: text/plain\n\nbody"
    case = CrsCase("t-1", "944200", "F", True, "GET", "/", "HTTP/1.1", (), b"", raw)
    req = to_waf_request(case)
    assert (req.method, req.uri_path, req.query_string, req.uri_fragment) == ("POST", "/a/b", "x=1", "frag")
    assert req.headers == (("Host", "h"), ("Content-Type", "text/plain")) and req.body == b"body"


def test_benign_sample_passes(six: WebAclEvaluator) -> None:
    reqs = benign_requests(400)
    passed = sum(not _blocked(six, r) for r in reqs)
    # measured figure on the full benign corpus is in docs/waf-managed-rules.md; multipart text uploads are the
    # known class of false positives (AWS inspects the raw body, file parts included)
    assert passed / len(reqs) >= 0.9


def test_managed_args_field_is_internal_to_managed_content() -> None:
    rule = {
        "Name": "r",
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": {
            "RegexMatchStatement": {
                "RegexString": "x",
                "FieldToMatch": {"ManagedArgs": {"Source": "QUERY", "Scope": "ALL"}},
                "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            }
        },
        "VisibilityConfig": {"MetricName": "r"},
    }
    with pytest.raises(WafCompileError):  # a customer's rule cannot use it
        WebAclEvaluator({"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [rule]})
    with pytest.raises(WafCompileError):  # nor a customer's rule group
        WebAclEvaluator(
            {
                "Name": "a",
                "DefaultAction": {"Allow": {}},
                "Rules": [
                    {
                        "Name": "g",
                        "Priority": 0,
                        "OverrideAction": {"None": {}},
                        "Statement": {"RuleGroupReferenceStatement": {"ARN": "arn:g"}},
                        "VisibilityConfig": {"MetricName": "g"},
                    }
                ],
            },
            rule_groups=lambda _arn: {"Name": "g", "ARN": "arn:g", "Rules": [rule]},
        )


@pytest.mark.parametrize(
    ("ctype", "body", "expected"),
    [
        ("application/x-www-form-urlencoded", b"a=1&b=x%27y&c", [b"a", b"1", b"b", b"x%27y", b"c"]),
        ("application/json", b'{"k": ["v", 2], "o": {"n": null}}', [b"k", b"v", b"2", b"o", b"n", b"null"]),
        ("application/xml", b'<a x="1">t<b>u</b></a>', [b"1", b"t", b"u"]),
        ("text/plain", b"raw text", [b"raw text"]),
        (
            "multipart/form-data; boundary=BB",
            b'--BB\r\nContent-Disposition: form-data; name="f"\r\n\r\nval\r\n'
            b'--BB\r\nContent-Disposition: form-data; name="up"; filename="a.txt"\r\n\r\n'
            b"secret; drop table\r\n--BB--\r\n",
            [b"f", b"val", b"up", b"a.txt"],
        ),
    ],
)
def test_managed_args_reads_bodies_like_modsecurity(ctype: str, body: bytes, expected: list[bytes]) -> None:
    extract = compile_managed_args({"Source": "BODY", "Scope": "ALL"})
    req = WafRequest("POST", "/", "", (("Content-Type", ctype),), body)
    assert extract(req, 16384) == expected  # type: ignore[operator]
    raw = compile_managed_args({"Source": "RAW_BODY", "Scope": "VALUE"})
    assert raw(req, 16384) == ([body] if ctype.startswith(("application/x-www", "text/")) else [])  # type: ignore[operator]


def test_bot_control_categories_from_crs_user_agent_data() -> None:
    ev = WebAclEvaluator(web_acl(("AWSManagedRulesBotControlRuleSet",)))
    d = ev.evaluate(WafRequest("GET", "/", "", (("Host", "a"), ("User-Agent", "python-requests/2.31"))), now=0)
    assert d.terminating_group_rule == "CategoryHttpLibrary"
    assert "awswaf:managed:aws:bot-control:bot:category:http_library" in d.labels
    scanner = WafRequest("GET", "/", "", (("Host", "a"), ("User-Agent", "sqlmap/1.7 (https://sqlmap.org)")))
    assert ev.evaluate(scanner, now=0).terminating_group_rule == "CategorySecurity"
    browser = WafRequest(
        "GET", "/", "", (("Host", "a"), ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"))
    )
    assert ev.evaluate(browser, now=0).action == "ALLOW"


def test_managed_regexes_read_bytes_customer_regexes_read_utf8() -> None:
    stmt = {
        "RegexMatchStatement": {
            "RegexString": r"\xac\xed\x00\x05",
            "FieldToMatch": {"Body": {}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }
    rule = {"Name": "magic", "Priority": 0, "Action": {"Block": {}}, "Statement": stmt, "VisibilityConfig": {}}
    body = WafRequest("POST", "/", "", (("Host", "a"),), b"test=\xac\xed\x00\x05")
    managed = StaticManagedRules({("AWS", "G"): ManagedGroup(rules=[rule], label_namespace="awswaf:managed:aws:g:")})
    ev = WebAclEvaluator(web_acl(("G",)), managed_rules=managed)
    assert ev.evaluate(body, now=0).action == "BLOCK"  # ModSecurity's byte reading
    own = WebAclEvaluator({"Name": "a", "DefaultAction": {"Allow": {}}, "Rules": [rule]})
    assert own.evaluate(body, now=0).action == "ALLOW"  # AWS reads a customer's \xac as the code point U+00AC


@pytest.mark.parametrize(
    ("ctype", "body"),
    [
        ("application/json", b"[" * 16000),  # deeper than Python's recursion limit
        ("application/xml", b"<" * 16000),  # tags that never close
        ("multipart/form-data; boundary=x", b"--x\r\n" * 3000),
        ("application/x-www-form-urlencoded", b"&=" * 8000),
    ],
)
def test_hostile_bodies_evaluate_quickly_without_raising(six: WebAclEvaluator, ctype: str, body: bytes) -> None:
    req = WafRequest("POST", "/", "", (("Host", "a"), ("User-Agent", "m"), ("Content-Type", ctype)), body)
    started = time.perf_counter()
    six.evaluate(req, now=0)
    six.evaluate(dataclasses.replace(req, body=body[:8000]), now=0)  # under SizeRestrictions_BODY: full inspection
    assert time.perf_counter() - started < 1.0


def test_merged_sets_agree_with_per_pattern_matching_on_noisy_input(six: WebAclEvaluator) -> None:
    """A set whose DFA could not progress would answer "no match": the engine's biggest merged sets (one per field,
    every pattern of the six groups on it, waf/scan.py) are checked against each pattern on its own over 16 KB of
    metacharacter-heavy noise."""
    import random

    import re2

    from strongroom.waf import scan

    fields = sorted(six._resolvers.index._scans.values(), key=lambda f: -len(f._leaves))[:3]
    rng = random.Random(7)
    alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789 <>()'\";=&%/\\-_.,:|$`{}[]*+?!@#^~\t\n"
    for field in fields:
        by_options: dict[str, dict[bytes, None]] = {}
        for _chain, p, options in field._leaves:
            by_options.setdefault(options, {})[p] = None
        assert "latin1" in by_options and len(field._sets) == len(by_options)  # a field's patterns: one set per options
        for options, distinct in by_options.items():
            patterns = list(distinct)
            rset = scan.compiled_set(options, tuple(patterns))
            singles = [re2.compile(p, scan.OPTIONS[options]) for p in patterns]
            for _ in range(3):
                data = bytes(rng.choice(alphabet) for _ in range(16000))
                assert sorted(rset._set.Match(data)) == [i for i, s in enumerate(singles) if s.search(data)]
