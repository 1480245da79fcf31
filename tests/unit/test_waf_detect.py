"""SqliMatch / XssMatch detection: libinjection over the exact bytes the transformations produce.

Payloads in the style of libinjection's own test data (tautologies, UNION, stacked queries, comments, numeric
context, time-based probes) must be detected; everyday text with apostrophes and SQL words, and ordinary HTML-ish
text, must not.
"""

from __future__ import annotations

import pytest

from strongroom.waf import detect
from strongroom.waf.engine import WebAclEvaluator
from strongroom.waf.request import WafRequest

SQLI = [
    # string context tautologies
    b"1' or '1'='1",
    b"' OR 1=1--",
    b'" or ""="',
    b"admin'--",
    b"' or 'x'='x",
    b"1' /*comment*/ or 1=1",
    # numeric context
    b"1 or 1=1",
    b"1 AND 1=1",
    b"1) or (1=1",
    b"-1 or 2>1",
    b"1 ORDER BY 1--",
    # UNION
    b"1 UNION SELECT password FROM users",
    b"' union select 1,2,3#",
    b"-1 UNION ALL SELECT NULL,NULL--",
    b"1 union/**/select user()",
    # stacked queries
    b"1; DROP TABLE users",
    b"1'; EXEC xp_cmdshell('dir')--",
    b"1; select pg_sleep(5)",
    # time based / functions
    b"1 and sleep(5)",
    b"' AND SLEEP(5) AND 'a'='a",
    b"x' waitfor delay '0:0:5'--",
    b"1 and benchmark(1000000,md5(1))",
]

BENIGN_TEXT = [
    b"hello world",
    b"O'Reilly",
    b"john.doe@example.com",
    b"it's fine, or not",
    b"the union of both",
    b"select a car",
    b"don't drop the table please",
    b"Rock 'n' roll",
    b"I'll select one from the list",
    b"What's the best way to update my profile?",
    b"McDonald's and Wendy's",
    b"Tom & Jerry",
    b'he said "or else"',
    b"5 - 3 is 2",
    b"1234",
    b"2026-12-06T18:54:41Z",
    b"",
]


@pytest.mark.parametrize("payload", SQLI)
def test_sqli_detected(payload: bytes) -> None:
    assert detect.is_sqli(payload)
    assert detect.sqli_fingerprint(payload)


@pytest.mark.parametrize("payload", BENIGN_TEXT)
def test_sqli_benign(payload: bytes) -> None:
    assert not detect.is_sqli(payload)
    assert not detect.is_sqli(payload, high=True)
    assert detect.sqli_fingerprint(payload) is None


def test_fingerprints_are_libinjections() -> None:
    assert detect.LIBINJECTION_VERSION == "3.9.2"
    assert detect.sqli_fingerprint(b"1' or '1'='1") == "s&sos"
    assert detect.sqli_fingerprint(b"1 UNION SELECT password FROM users")


def test_high_sensitivity_adds_the_re2_checks() -> None:
    # "5 - 3 = 2" is the price of HIGH: a bare tautology-shaped comparison is flagged
    for payload in (b"x' #", b"id=information_schema.tables", b"where a=0x41", b"q=1=1", b"5 - 3 = 2"):
        assert not detect.is_sqli(payload), payload
        assert detect.is_sqli(payload, high=True), payload


def test_every_byte_reaches_libinjection() -> None:
    # 0xA0 is white space to libinjection; the package's str API would re-encode it as UTF-8 (C2 A0) and miss this
    assert detect.is_sqli(b"1'\xa0or\xa01=1--")
    # NUL and invalid UTF-8 are carried, not truncated or rejected
    assert detect.is_sqli(b"a\x00' or 1=1 --")
    assert detect.is_sqli(b"\xff\xfe' union select 1--")
    assert not detect.is_sqli(b"\xff\xfe\xfd plain \x80 bytes")
    assert detect.is_xss(b"\xff<script>alert(1)</script>")


XSS = [
    b"<script>alert(1)</script>",
    b"<img src=x onerror=alert(1)>",
    b"<svg/onload=alert(1)>",
    b'<a href="javascript:alert(1)">x</a>',
    b"<iframe src=//evil.example>",
    b'"><script>',
    b"' onmouseover='alert(1)",
    b"<body onload=x>",
    b'<div style="width:expression(alert(1))">',
    b"data:text/html,<script>alert(1)</script>",
]
BENIGN_HTML = [
    b"hello <b>bold</b>",
    b"a < b and c > d",
    b"<p>Hello, <i>world</i></p>",
    b"1 < 2 > 0",
    b"<3 you",
    b"I love <em>cats</em> & dogs",
    b'<a href="https://example.com">link</a>',
    b'<img src="cat.png" alt="a cat">',
    b"javascript is fun",
]


@pytest.mark.parametrize("payload", XSS)
def test_xss_detected(payload: bytes) -> None:
    assert detect.is_xss(payload)


@pytest.mark.parametrize("payload", BENIGN_HTML)
def test_xss_benign(payload: bytes) -> None:
    assert not detect.is_xss(payload)


def _acl(statement: dict) -> dict:
    vis = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"}
    return {
        "Name": "acl",
        "ARN": "arn:aws:wafv2:us-east-1:000000000000:regional/webacl/acl/1",
        "DefaultAction": {"Allow": {}},
        "VisibilityConfig": vis,
        "Rules": [
            {"Name": "r", "Priority": 0, "Statement": statement, "Action": {"Block": {}}, "VisibilityConfig": vis}
        ],
    }


def test_transformed_bytes_are_what_libinjection_sees() -> None:
    # URL_DECODE produces a raw 0xA0 byte (not valid UTF-8 alone): the statement still matches
    stmt = {
        "SqliMatchStatement": {
            "FieldToMatch": {"QueryString": {}},
            "TextTransformations": [{"Priority": 0, "Type": "URL_DECODE"}],
        }
    }
    ev = WebAclEvaluator(_acl(stmt))
    assert ev.evaluate(WafRequest(method="GET", uri_path="/", query_string="1%27%A0or%A01=1--"), 0).action == "BLOCK"
    assert ev.evaluate(WafRequest(method="GET", uri_path="/", query_string="q=O%27Reilly"), 0).action == "ALLOW"


def test_random_and_payload_shaped_bytes_never_fault() -> None:
    # the C code sees whatever a client sends after transformations: a seeded sweep of hostile shapes
    import random

    rnd = random.Random(19)
    alphabet = b"'\"`<>/\\=()-#;*&|!%^~@:,. \t\n\x00\xa0\xff0123456789abcdefxORUNIONSELECTscriptonerror&#"
    for _ in range(3000):
        size = rnd.choice([1, 2, 7, 31, 200, 2000])
        data = rnd.randbytes(size) if rnd.random() < 0.3 else bytes(rnd.choice(alphabet) for _ in range(size))
        detect.is_sqli(data, high=True)
        detect.is_xss(data)
