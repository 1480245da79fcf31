"""The WAF engine: every statement type and FieldToMatch, rule processing, labels, rule groups, rate limits."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from strongroom.waf import (
    WafCompileError,
    WafRequest,
    WebAclEvaluator,
)

ACL_ARN = "arn:aws:wafv2:us-east-1:111122223333:regional/webacl/acl/abcd"
NS = "awswaf:111122223333:webacl:acl:"
IPSET = "arn:aws:wafv2:us-east-1:111122223333:regional/ipset/bad/1"
RXSET = "arn:aws:wafv2:us-east-1:111122223333:regional/regexpatternset/rx/1"
GROUP = "arn:aws:wafv2:us-east-1:111122223333:regional/rulegroup/grp/1"


def rule(name: str, prio: int, stmt: dict, action: str = "Block", **extra: Any) -> dict:
    return {
        "Name": name,
        "Priority": prio,
        "Statement": stmt,
        "Action": {action: {}},
        "VisibilityConfig": {"MetricName": f"m-{name}"},
        **extra,
    }


def evaluator(rules: list[dict], default: str = "Allow", **kw: Any) -> WebAclEvaluator:
    acl = {"Name": "acl", "ARN": ACL_ARN, "DefaultAction": {default: {}}, "Rules": rules, **kw.pop("acl_extra", {})}
    kw.setdefault("ip_sets", {IPSET: {"Addresses": ["10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"]}}.get)
    kw.setdefault(
        "regex_pattern_sets",
        {RXSET: {"RegularExpressionList": [{"RegexString": "^/admin"}, {"RegexString": "wp-(login|admin)"}]}}.get,
    )
    return WebAclEvaluator(acl, **kw)


def req(**kw: Any) -> WafRequest:
    kw.setdefault("method", "GET")
    kw.setdefault("uri_path", "/")
    return WafRequest(**kw)


def tx(*kinds: str) -> list[dict]:
    return [{"Priority": i, "Type": k} for i, k in enumerate(kinds)] or [{"Priority": 0, "Type": "NONE"}]


def byte(field: dict, search: bytes, pos: str = "CONTAINS", *t: str) -> dict:
    return {
        "ByteMatchStatement": {
            "FieldToMatch": field,
            "SearchString": search,
            "PositionalConstraint": pos,
            "TextTransformations": tx(*t),
        }
    }


def blocked(stmt: dict, request: WafRequest, **kw: Any) -> bool:
    return evaluator([rule("r", 0, stmt)], **kw).evaluate(request, 0).action == "BLOCK"


# --- statements and fields, table-driven: (statement, request, should block) --------------------------------

H = (("Host", "example.com"), ("User-Agent", "curl/8"), ("Cookie", "session=abc; theme=dark"))
STATEMENT_CASES: list[tuple[str, dict, WafRequest, bool]] = [
    ("byte exactly", byte({"UriPath": {}}, b"/a", "EXACTLY"), req(uri_path="/a"), True),
    ("byte exactly miss", byte({"UriPath": {}}, b"/a", "EXACTLY"), req(uri_path="/ab"), False),
    ("byte starts", byte({"UriPath": {}}, b"/api", "STARTS_WITH"), req(uri_path="/api/x"), True),
    ("byte ends", byte({"UriPath": {}}, b".php", "ENDS_WITH"), req(uri_path="/x.php"), True),
    ("byte word", byte({"QueryString": {}}, b"bad", "CONTAINS_WORD"), req(query_string="a=bad&b"), True),
    ("byte word miss", byte({"QueryString": {}}, b"bad", "CONTAINS_WORD"), req(query_string="a=badly"), False),
    ("byte case sensitive", byte({"UriPath": {}}, b"admin"), req(uri_path="/ADMIN"), False),
    ("byte lowercase", byte({"UriPath": {}}, b"admin", "CONTAINS", "LOWERCASE"), req(uri_path="/ADMIN"), True),
    ("byte wire base64", byte({"UriPath": {}}, base64.b64encode(b"adm").decode()), req(uri_path="/adm"), True),  # type: ignore[arg-type]
    ("method", byte({"Method": {}}, b"DELETE", "EXACTLY"), req(method="DELETE"), True),
    ("single header", byte({"SingleHeader": {"Name": "user-agent"}}, b"curl"), req(headers=H), True),
    ("single header absent", byte({"SingleHeader": {"Name": "x-no"}}, b""), req(headers=H), False),
    ("single arg", byte({"SingleQueryArgument": {"Name": "ID"}}, b"7", "EXACTLY"), req(query_string="id=7"), True),
    ("all args", byte({"AllQueryArguments": {}}, b"evil"), req(query_string="a=1&b=evil"), True),
    ("uri fragment", byte({"UriFragment": {}}, b"top"), req(uri_fragment="top"), True),
    ("uri fragment fallback", byte({"UriFragment": {"FallbackBehavior": "MATCH"}}, b"x"), req(), True),
    ("body", byte({"Body": {}}, b"secret"), req(method="POST", body=b"a secret"), True),
    (
        "headers all",
        byte(
            {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}},
            b"User-Agent",
            "EXACTLY",
        ),
        req(headers=H),
        True,
    ),
    (
        "headers included",
        byte(
            {
                "Headers": {
                    "MatchPattern": {"IncludedHeaders": ["host"]},
                    "MatchScope": "VALUE",
                    "OversizeHandling": "CONTINUE",
                }
            },
            b"curl",
        ),
        req(headers=H),
        False,
    ),
    (
        "headers excluded",
        byte(
            {
                "Headers": {
                    "MatchPattern": {"ExcludedHeaders": ["Host"]},
                    "MatchScope": "VALUE",
                    "OversizeHandling": "CONTINUE",
                }
            },
            b"curl",
        ),
        req(headers=H),
        True,
    ),
    (
        "cookies value",
        byte(
            {
                "Cookies": {
                    "MatchPattern": {"IncludedCookies": ["theme"]},
                    "MatchScope": "VALUE",
                    "OversizeHandling": "CONTINUE",
                }
            },
            b"dark",
            "EXACTLY",
        ),
        req(headers=H),
        True,
    ),
    (
        "cookies key",
        byte(
            {"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "CONTINUE"}},
            b"session",
            "EXACTLY",
        ),
        req(headers=H),
        True,
    ),
    (
        "header order",
        byte({"HeaderOrder": {"OversizeHandling": "CONTINUE"}}, b"Host:User-Agent:Cookie", "EXACTLY"),
        req(headers=H),
        True,
    ),
    (
        "ja3",
        byte({"JA3Fingerprint": {"FallbackBehavior": "NO_MATCH"}}, b"abc", "EXACTLY"),
        req(ja3_fingerprint="abc"),
        True,
    ),
    ("ja3 fallback", byte({"JA3Fingerprint": {"FallbackBehavior": "MATCH"}}, b"abc"), req(), True),
    ("ja4 fallback no", byte({"JA4Fingerprint": {"FallbackBehavior": "NO_MATCH"}}, b"abc"), req(), False),
    (
        "sqli",
        {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}}, "TextTransformations": tx("URL_DECODE")}},
        req(query_string="id=1%27%20or%20%271%27%3D%271"),
        True,
    ),
    (
        "sqli benign",
        {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}}, "TextTransformations": tx()}},
        req(query_string="q=hello"),
        False,
    ),
    (
        "sqli high",
        {"SqliMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": tx(), "SensitivityLevel": "HIGH"}},
        req(body=b"id=information_schema.tables"),
        True,
    ),
    (
        "xss",
        {"XssMatchStatement": {"FieldToMatch": {"Body": {}}, "TextTransformations": tx("HTML_ENTITY_DECODE")}},
        req(body=b"&lt;script&gt;alert(1)"),
        True,
    ),
    (
        "size gt",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"QueryString": {}},
                "ComparisonOperator": "GT",
                "Size": 3,
                "TextTransformations": tx(),
            }
        },
        req(query_string="abcd"),
        True,
    ),
    (
        "size eq",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "EQ",
                "Size": 2,
                "TextTransformations": tx(),
            }
        },
        req(uri_path="/a"),
        True,
    ),
    (
        "size ne",
        {
            "SizeConstraintStatement": {
                "FieldToMatch": {"UriPath": {}},
                "ComparisonOperator": "NE",
                "Size": 2,
                "TextTransformations": tx(),
            }
        },
        req(uri_path="/a"),
        False,
    ),
    (
        "size le/lt/ge",
        {
            "AndStatement": {
                "Statements": [
                    {
                        "SizeConstraintStatement": {
                            "FieldToMatch": {"UriPath": {}},
                            "ComparisonOperator": op,
                            "Size": n,
                            "TextTransformations": tx(),
                        }
                    }
                    for op, n in (("LE", 2), ("LT", 3), ("GE", 2))
                ]
            }
        },
        req(uri_path="/a"),
        True,
    ),
    (
        "regex",
        {
            "RegexMatchStatement": {
                "RegexString": "^/u/[0-9]+$",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        req(uri_path="/u/42"),
        True,
    ),
    (
        "regex set",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": RXSET,
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        req(uri_path="/wp-login"),
        True,
    ),
    (
        "regex set miss",
        {
            "RegexPatternSetReferenceStatement": {
                "ARN": RXSET,
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        req(uri_path="/x"),
        False,
    ),
    ("ip set v4", {"IPSetReferenceStatement": {"ARN": IPSET}}, req(source_ip="10.1.2.3"), True),
    ("ip set v4 /32", {"IPSetReferenceStatement": {"ARN": IPSET}}, req(source_ip="192.0.2.8"), False),
    ("ip set v6", {"IPSetReferenceStatement": {"ARN": IPSET}}, req(source_ip="2001:db8::1"), True),
    ("ip set mapped", {"IPSetReferenceStatement": {"ARN": IPSET}}, req(source_ip="::ffff:10.0.0.1"), True),
    ("geo", {"GeoMatchStatement": {"CountryCodes": ["KP"]}}, req(country_resolver=lambda ip: "KP"), True),
    ("geo miss", {"GeoMatchStatement": {"CountryCodes": ["KP"]}}, req(country_resolver=lambda ip: "US"), False),
    ("asn", {"AsnMatchStatement": {"AsnList": [64500]}}, req(asn_resolver=lambda ip: 64500), True),
    ("not", {"NotStatement": {"Statement": byte({"UriPath": {}}, b"/ok")}}, req(uri_path="/ok"), False),
    ("or", {"OrStatement": {"Statements": [byte({"UriPath": {}}, b"/x"), byte({"Method": {}}, b"GET")]}}, req(), True),
    (
        "and",
        {"AndStatement": {"Statements": [byte({"UriPath": {}}, b"/x"), byte({"Method": {}}, b"GET")]}},
        req(),
        False,
    ),
]


@pytest.mark.parametrize(
    ("stmt", "request_", "hit"), [c[1:] for c in STATEMENT_CASES], ids=[c[0] for c in STATEMENT_CASES]
)
def test_statement(stmt: dict, request_: WafRequest, hit: bool) -> None:
    assert blocked(stmt, request_) is hit


FW = {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "NO_MATCH"}


@pytest.mark.parametrize(
    ("position", "xff", "fallback", "hit"),
    [
        ("FIRST", "10.0.0.1, 8.8.8.8", "NO_MATCH", True),
        ("LAST", "10.0.0.1, 8.8.8.8", "NO_MATCH", False),
        ("ANY", "8.8.8.8, 10.0.0.1", "NO_MATCH", True),
        ("FIRST", None, "MATCH", True),
        ("FIRST", None, "NO_MATCH", False),
        ("FIRST", "not-an-ip", "MATCH", True),
    ],
)
def test_ip_set_forwarded(position: str, xff: str | None, fallback: str, hit: bool) -> None:
    stmt = {
        "IPSetReferenceStatement": {
            "ARN": IPSET,
            "IPSetForwardedIPConfig": {
                "HeaderName": "X-Forwarded-For",
                "FallbackBehavior": fallback,
                "Position": position,
            },
        }
    }
    headers = (("X-Forwarded-For", xff),) if xff else ()
    assert blocked(stmt, req(source_ip="8.8.4.4", headers=headers)) is hit


def test_geo_forwarded_and_labels() -> None:
    ev = evaluator([rule("geo", 0, {"GeoMatchStatement": {"CountryCodes": ["FR"], "ForwardedIPConfig": FW}})])
    d = ev.evaluate(req(headers=(("x-forwarded-for", "1.2.3.4"),), country_resolver=lambda ip: "FR"), 0)
    assert d.action == "BLOCK" and "awswaf:forwardedip:geo:country:FR" in d.labels


# --- body / JSON body / oversize ------------------------------------------------------------------------------


@pytest.mark.parametrize(("handling", "hit"), [("CONTINUE", False), ("MATCH", True), ("NO_MATCH", False)])
def test_body_oversize(handling: str, hit: bool) -> None:
    stmt = byte({"Body": {"OversizeHandling": handling}}, b"needle")
    body = b"x" * 16384 + b"needle"  # the needle lies past the 16 KB API Gateway default
    assert blocked(stmt, req(body=body)) is hit
    assert blocked(stmt, req(body=b"x" * 16384)) is False  # exactly at the limit is not oversize


def test_body_limit_from_association_config_and_alb() -> None:
    stmt = byte({"Body": {"OversizeHandling": "CONTINUE"}}, b"needle")
    body = b"x" * 20000 + b"needle"
    assoc = {"AssociationConfig": {"RequestBody": {"API_GATEWAY": {"DefaultSizeInspectionLimit": "KB_32"}}}}
    assert blocked(stmt, req(body=body), acl_extra=assoc)
    assert not blocked(
        byte({"Body": {}}, b"needle"), req(body=b"x" * 9000 + b"needle"), resource_type="APPLICATION_LOAD_BALANCER"
    )


def test_body_truncated_by_caller() -> None:
    # the enforcement point forwarded only the first 16 KB but says the body was larger
    stmt = {
        "SizeConstraintStatement": {
            "FieldToMatch": {"Body": {"OversizeHandling": "MATCH"}},
            "ComparisonOperator": "GT",
            "Size": 1 << 30,
            "TextTransformations": tx(),
        }
    }
    assert blocked(stmt, req(body=b"x" * 16384, body_length=10**7))
    stmt["SizeConstraintStatement"]["FieldToMatch"] = {"Body": {"OversizeHandling": "CONTINUE"}}
    stmt["SizeConstraintStatement"].update(ComparisonOperator="EQ", Size=16384)
    assert blocked(stmt, req(body=b"x" * 16384, body_length=10**7))  # size measured on the inspected part


def json_stmt(search: bytes, **cfg: Any) -> dict:
    cfg.setdefault("MatchPattern", {"All": {}})
    cfg.setdefault("MatchScope", "ALL")
    return byte({"JsonBody": cfg}, search, "EXACTLY")


@pytest.mark.parametrize(
    ("stmt", "body", "hit"),
    [
        (json_stmt(b"admin"), b'{"user": {"role": "admin"}}', True),
        (json_stmt(b"role", MatchScope="VALUE"), b'{"role": "x"}', False),
        (json_stmt(b"role", MatchScope="KEY"), b'{"role": "x"}', True),
        (json_stmt(b"x", MatchScope="KEY"), b'{"role": "x"}', False),
        (json_stmt(b"42"), b'{"n": [1, 42]}', True),
        (json_stmt(b"true"), b'{"ok": true}', True),
        (json_stmt(b"admin", MatchPattern={"IncludedPaths": ["/user"]}), b'{"user": {"role": "admin"}}', True),
        (json_stmt(b"admin", MatchPattern={"IncludedPaths": ["/other"]}), b'{"user": {"role": "admin"}}', False),
        (json_stmt(b"v", MatchPattern={"IncludedPaths": ["/a~1b"]}), b'{"a/b": "v"}', True),
        (json_stmt(b"x", InvalidFallbackBehavior="MATCH"), b"{not json", True),
        (json_stmt(b"{not json", InvalidFallbackBehavior="NO_MATCH"), b"{not json", False),
        (json_stmt(b"{not json", InvalidFallbackBehavior="EVALUATE_AS_STRING"), b"{not json", True),
        (json_stmt(b"x", OversizeHandling="MATCH"), b'{"a": "' + b"y" * 17000 + b'"}', True),
        (json_stmt(b"x", OversizeHandling="NO_MATCH"), b'{"a": "' + b"y" * 17000 + b'"}', False),
        (
            json_stmt(b"x", OversizeHandling="CONTINUE", InvalidFallbackBehavior="MATCH"),
            b'{"a": "' + b"y" * 17000 + b'"}',
            True,
        ),  # the truncated document no longer parses
        (json_stmt(b""), b"", False),
    ],
)
def test_json_body(stmt: dict, body: bytes, hit: bool) -> None:
    assert blocked(stmt, req(method="POST", body=body)) is hit


def test_headers_and_cookies_oversize() -> None:
    many = tuple((f"h{i}", "v") for i in range(10_000))
    for handling, hit in (("MATCH", True), ("NO_MATCH", False), ("CONTINUE", False)):
        stmt = byte(
            {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": handling}},
            b"h9999",
            "EXACTLY",
        )
        assert blocked(stmt, req(headers=many)) is hit, handling
    big_cookie = (("Cookie", "; ".join(f"c{i}=v" for i in range(300))),)
    stmt = byte({"Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "KEY", "OversizeHandling": "MATCH"}}, b"zz")
    assert blocked(stmt, req(headers=big_cookie))
    # a single header lookup among 10,000 still finds the last one
    assert blocked(byte({"SingleHeader": {"Name": "H9999"}}, b"v", "EXACTLY"), req(headers=many))


# --- compile-time refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stmt",
    [
        {
            "RegexMatchStatement": {
                "RegexString": "(a)\\1",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        {
            "RegexMatchStatement": {
                "RegexString": "a(?=b)",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        {
            "RegexMatchStatement": {
                "RegexString": "(?<!a)b",
                "FieldToMatch": {"UriPath": {}},
                "TextTransformations": tx(),
            }
        },
        {"IPSetReferenceStatement": {"ARN": "arn:aws:wafv2:us-east-1:1:regional/ipset/missing/1"}},
        {"AndStatement": {"Statements": [byte({"UriPath": {}}, b"x")]}},
        {"RateBasedStatement": {"Limit": 100, "EvaluationWindowSec": 90, "AggregateKeyType": "IP"}},
        {"RateBasedStatement": {"Limit": 5, "AggregateKeyType": "IP"}},
        {
            "ByteMatchStatement": {
                "FieldToMatch": {"Nope": {}},
                "SearchString": b"x",
                "PositionalConstraint": "CONTAINS",
                "TextTransformations": tx(),
            }
        },
        {"NotStatement": {"Statement": {"RuleGroupReferenceStatement": {"ARN": GROUP}}}},
    ],
)
def test_compile_refusals(stmt: dict) -> None:
    with pytest.raises((WafCompileError, ValueError)):
        evaluator([rule("r", 0, stmt)])


def test_regex_set_refuses_backreference() -> None:
    sets = {RXSET: {"RegularExpressionList": [{"RegexString": "ok"}, {"RegexString": "(x)\\1"}]}}
    with pytest.raises(WafCompileError):
        evaluator(
            [
                rule(
                    "r",
                    0,
                    {
                        "RegexPatternSetReferenceStatement": {
                            "ARN": RXSET,
                            "FieldToMatch": {"UriPath": {}},
                            "TextTransformations": tx(),
                        }
                    },
                )
            ],
            regex_pattern_sets=sets.get,
        )


def test_pathological_regex_is_linear() -> None:
    # (a+)+$ against a^n b takes 2^n steps with a backtracking engine: n = 100,000 would never finish.
    # RE2 runs it in one pass, so the whole evaluation returns well inside the test timeout.
    stmt = {
        "RegexMatchStatement": {"RegexString": "^(a+)+$", "FieldToMatch": {"Body": {}}, "TextTransformations": tx()}
    }
    assert not blocked(stmt, req(body=b"a" * 16000 + b"b"))
    stmt["RegexMatchStatement"]["RegexString"] = "(x+x+)+y"
    assert not blocked(stmt, req(body=b"x" * 16000))


def test_hostile_request_against_every_inspecting_statement() -> None:
    # 10 MB body, 10,000 headers, a 1 MB query string: every field is cut at AWS's limits before inspection,
    # so the evaluation stays proportional to the limits, not the request.
    fields: list[dict] = [
        {"Body": {"OversizeHandling": "CONTINUE"}},
        {"QueryString": {}},
        {"AllQueryArguments": {}},
        {"Headers": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}},
        {
            "JsonBody": {
                "MatchPattern": {"All": {}},
                "MatchScope": "ALL",
                "InvalidFallbackBehavior": "EVALUATE_AS_STRING",
            }
        },
    ]
    stmts: list[dict] = []
    for f in fields:
        t = tx("URL_DECODE", "HTML_ENTITY_DECODE", "COMPRESS_WHITE_SPACE", "LOWERCASE")
        stmts += [
            {"SqliMatchStatement": {"FieldToMatch": f, "TextTransformations": t}},
            {"XssMatchStatement": {"FieldToMatch": f, "TextTransformations": t}},
            {"RegexMatchStatement": {"RegexString": "(a|aa)+$", "FieldToMatch": f, "TextTransformations": t}},
        ]
    rules = [rule(f"r{i}", i, s, "Count") for i, s in enumerate(stmts)]
    hostile = req(
        method="POST",
        body=b"{" + b"a" * 10_000_000,
        query_string="a=" + "%" * 1_000_000,
        headers=tuple((f"h{i}", "<" * 50) for i in range(10_000)),
    )
    d = evaluator(rules).evaluate(hostile, 0)
    assert d.action == "ALLOW"


def test_detectors_take_megabytes_in_linear_time() -> None:
    from strongroom.waf import detect

    # libinjection stops after its 8-token fingerprint (SQLi) and scans HTML once per context (XSS)
    words = b"a " * 1_000_000
    assert not detect.is_sqli(words, high=True)
    assert not detect.is_xss(words)


def test_or_of_byte_matches_is_one_set_with_the_same_answers() -> None:
    needles = [
        ("EXACTLY", b"/exact"),
        ("STARTS_WITH", b"/pre"),
        ("ENDS_WITH", b".bak"),
        ("CONTAINS", b"a.b*"),
        ("CONTAINS_WORD", b"drop"),
        ("CONTAINS", "é".encode()),
    ]  # the non-ASCII one is kept apart
    stmt = {"OrStatement": {"Statements": [byte({"UriPath": {}}, n, pos, "LOWERCASE") for pos, n in needles]}}
    cases = {
        "/exact": True,
        "/exact/x": False,
        "/prefix": True,
        "/x/pre": False,
        "/f.BAK": True,
        "/xa.b*y": True,
        "/axb": False,
        "/x-drop-y": True,
        "/dropped": False,
        "/caf\u00e9": True,
        "/cafe": False,
    }
    for path, hit in cases.items():
        assert blocked(stmt, req(uri_path=path)) is hit, path


def test_rate_based_only_at_top_level() -> None:
    rate = {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP"}}
    with pytest.raises(WafCompileError):
        evaluator([rule("r", 0, {"NotStatement": {"Statement": rate}})])
    scoped = {"RateBasedStatement": {"Limit": 100, "AggregateKeyType": "IP", "ScopeDownStatement": rate}}
    with pytest.raises(WafCompileError):
        evaluator([rule("r", 0, scoped)])


@pytest.mark.parametrize(
    "rules",
    [
        [
            {
                "Name": "r",
                "Priority": 0,
                "Statement": byte({"UriPath": {}}, b"x"),
                "Action": {"Block": {"CustomResponse": {"ResponseCode": 403, "CustomResponseBodyKey": "nope"}}},
            }
        ],
        [{"Name": "r", "Priority": 0, "Statement": {"SingleHeaderTypo": {}}, "Action": {"Block": {}}}],
        [
            {
                "Name": "r",
                "Priority": 0,
                "Statement": {"ByteMatchStatement": {"FieldToMatch": {"SingleHeader": {}}}},
                "Action": {"Block": {}},
            }
        ],
        [{"Name": "r", "Priority": 0, "Statement": byte({"UriPath": {}}, b"x")}],  # no Action
        [rule("r", 0, byte({"UriPath": {}}, b"x")), rule("r", 1, byte({"UriPath": {}}, b"y"))],
    ],
)
def test_malformed_acl_is_a_compile_error(rules: list[dict]) -> None:
    with pytest.raises(WafCompileError):
        evaluator(rules)


# AWS's ByteMatchStatement documentation: CONTAINS_WORD needs SearchString at the start of the field or after a
# character other than A-Z, a-z, 0-9 or _, and at the end or before one ("...;BadBot", "BadBot;", "-BadBot;").
@pytest.mark.parametrize(
    ("agent", "hit"),
    [
        ("BadBot", True),
        (";BadBot", True),
        ("BadBot;", True),
        ("-BadBot;", True),
        ("Mozilla BadBot/1.0", True),
        ("BadBots", False),
        ("xBadBot", False),
        ("_BadBot", False),
        ("\u00e9BadBot\u00e9", True),  # a Latin-1 letter is not one of AWS's word characters
    ],
)
def test_contains_word_per_aws_docs_alone_and_merged(agent: str, hit: bool) -> None:
    lone = byte({"SingleHeader": {"Name": "user-agent"}}, b"BadBot", "CONTAINS_WORD")
    merged = {"OrStatement": {"Statements": [lone, byte({"UriPath": {}}, b"/never", "EXACTLY")]}}
    request = req(headers=(("Host", "example.com"), ("User-Agent", agent)))
    assert blocked(lone, request) is hit
    assert blocked(merged, request) is hit  # the RE2 set the Or becomes answers the same
