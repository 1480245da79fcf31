"""The 21 text transformations against ModSecurity's / AWS's documented behaviour (detectors: test_waf_detect.py)."""

from __future__ import annotations

import pytest

from strongroom.waf import transforms
from strongroom.waf.transforms import TRANSFORMS, compile_transforms

CASES: list[tuple[str, bytes, bytes]] = [
    ("NONE", b"a%20B", b"a%20B"),
    ("COMPRESS_WHITE_SPACE", b"a \t\n\r\f\v\xa0 b  c", b"a b c"),
    ("HTML_ENTITY_DECODE", b"&lt;script&gt;&#x41;&#66;&quot;&amp;&nbsp;&bogus;", b'<script>AB"&\xa0&bogus;'),
    ("LOWERCASE", b"SeLeCt", b"select"),
    ("CMD_LINE", b'C:\\wi"n"do^ws ;  /system32 (', b"c:windows/system32("),
    ("CMD_LINE", b"ec'h'o, foo;bar", b"echo foo bar"),
    ("URL_DECODE", b"a%41+b%zz%4", b"aA b%zz%4"),
    ("BASE64_DECODE", b"SGVsbG8=", b"Hello"),
    ("BASE64_DECODE", b"SGVsbG8*junk", b"Hello"),
    ("BASE64_DECODE_EXT", b"SG.Vs-bG8", b"Hello"),
    ("HEX_DECODE", b"414243", b"ABC"),
    ("MD5", b"", bytes.fromhex("d41d8cd98f00b204e9800998ecf8427e")),
    ("REPLACE_COMMENTS", b"un/**/ion/* x */select/* open", b"un ion select "),
    ("REPLACE_COMMENTS", b"a*/b", b"a*/b"),
    ("ESCAPE_SEQ_DECODE", b"\\x41\\n\\101\\q\\\\", b"A\nA\\q\\"),
    ("SQL_HEX_DECODE", b"select 0x414243", b"select ABC"),
    ("CSS_DECODE", b"\\61 b\\z\\\n", b"abz"),
    ("CSS_DECODE", b"\\ff21", b"A"),  # full-width 'A' maps to ASCII
    ("JS_DECODE", b"\\u0041\\x42\\101\\n\\q", b"ABA\nq"),
    ("NORMALIZE_PATH", b"/a/b/../c/./d//e", b"/a/c/d/e"),
    ("NORMALIZE_PATH", b"/../../etc/passwd", b"/etc/passwd"),
    ("NORMALIZE_PATH", b"a/./b/", b"a/b/"),
    ("NORMALIZE_PATH_WIN", b"\\a\\..\\b\\.\\c", b"/b/c"),
    ("REMOVE_NULLS", b"a\x00b\x00", b"ab"),
    ("REPLACE_NULLS", b"a\x00b", b"a b"),
    ("URL_DECODE_UNI", b"%u0041%42%uff41+", b"ABa "),
    ("UTF8_TO_UNICODE", "aé€".encode(), b"a%u00e9%u20ac"),
    ("UTF8_TO_UNICODE", b"a\xff", b"a\xff"),
]


def test_all_21_transformations_exist() -> None:
    assert len(TRANSFORMS) == 21
    assert {c[0] for c in CASES} == set(TRANSFORMS)


@pytest.mark.parametrize(("kind", "given", "expected"), CASES)
def test_transformation(kind: str, given: bytes, expected: bytes) -> None:
    assert TRANSFORMS[kind](given) == expected


def test_applied_in_priority_order() -> None:
    chain = compile_transforms([{"Priority": 2, "Type": "LOWERCASE"}, {"Priority": 1, "Type": "URL_DECODE"}])
    assert transforms.apply(chain, b"%53ELECT") == b"select"
    with pytest.raises(ValueError):
        compile_transforms([{"Priority": 0, "Type": "ROT13"}])


def test_transformations_stay_linear_on_hostile_input() -> None:
    data = b"%" * 50_000 + b"\\" * 50_000 + b"/*" * 12_500 + b"../" * 12_500
    for fn in TRANSFORMS.values():
        fn(data)  # each is one left-to-right pass; quadratic code would not finish in the test timeout


def _acl(statement: dict) -> dict:
    return {
        "Name": "t",
        "DefaultAction": {"Allow": {}},
        "Rules": [
            {
                "Name": "r",
                "Priority": 0,
                "Action": {"Block": {}},
                "VisibilityConfig": {"MetricName": "r"},
                "Statement": statement,
            }
        ],
    }


@pytest.mark.parametrize(
    ("kind", "query", "needle"),
    [
        ("MD5", "abc", bytes.fromhex("900150983cd24fb0d6963f7d28e17f72")),
        ("BASE64_DECODE", "aGVsbG8", b"hello"),  # no trigger byte of any cheap test: still decoded
        ("BASE64_DECODE_EXT", "aGVs.bG8", b"hello"),
        ("HEX_DECODE", "68656c6c6f", b"hello"),
        ("SQL_HEX_DECODE", "0x68656c6c6f", b"hello"),
    ],
)
def test_transformations_without_a_trigger_always_run(kind: str, query: str, needle: bytes) -> None:
    """The engine skips steps a value's bytes cannot make change it; decoders with no such test run on every value
    (a ByteMatch, a SqliMatch, and a set leaf each read the chain their own way)."""
    from strongroom.waf import WafRequest, WebAclEvaluator

    chain = [{"Priority": 0, "Type": kind}]
    field = {"QueryString": {}}
    statements = [
        {
            "ByteMatchStatement": {
                "SearchString": needle,
                "FieldToMatch": field,
                "PositionalConstraint": "EXACTLY",
                "TextTransformations": chain,
            }
        },
        {"RegexMatchStatement": {"RegexString": "^hello$", "FieldToMatch": field, "TextTransformations": chain}},
    ]
    for statement in statements[: 1 if kind == "MD5" else 2]:
        ev = WebAclEvaluator(_acl(statement))
        assert ev.evaluate(WafRequest("GET", "/", query), 1.0).action == "BLOCK", statement
        assert ev.evaluate(WafRequest("GET", "/", "other"), 1.0).action == "ALLOW"


def test_sqli_match_decodes_base64_values() -> None:
    from strongroom.waf import WafRequest, WebAclEvaluator

    statement = {
        "SqliMatchStatement": {
            "FieldToMatch": {"QueryString": {}},
            "TextTransformations": [{"Priority": 0, "Type": "BASE64_DECODE"}],
        }
    }
    ev = WebAclEvaluator(_acl(statement))
    attack = "JyBvciAxPTEtLQ"  # "' or 1=1--"
    assert ev.evaluate(WafRequest("GET", "/", attack), 1.0).action == "BLOCK"
    assert ev.evaluate(WafRequest("GET", "/", "aGVsbG8"), 1.0).action == "ALLOW"
