"""Event patterns against AWS's documented examples (EventBridge user guide: event patterns, content filtering).

Each case is (pattern, event detail or whole event, expected). The same table drives the TestEventPattern
operation and the matcher the bus uses to route events, so the two cannot disagree.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.events.bus import compiled
from strongroom.events.patterns import InvalidPattern, error_message, parse
from strongroom.services.events.errors import InvalidEventPatternException
from strongroom.services.events.publishing import PublishingOperations

EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 12,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "location": "eu-west-1",
        "filename": "image.png",
        "eventVersion": "1.08",
        "nothing": None,
        "flag": True,
        "empty": "",
        "tags": ["prod", "web"],
        "users": [{"name": "alice", "role": "admin"}, {"name": "bob", "role": "dev"}],
        "nested": {"a": {"b": "deep"}},
        "ipv6": "2001:db8::1",
        "mixedcase": "AlIcE",
        "account-number": 111122223333,
    },
}


def ev(**detail: Any) -> dict[str, Any]:
    return {**EC2, "detail": {**EC2["detail"], **detail}}


def d(**fields: Any) -> str:
    return json.dumps({"detail": fields})


CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    # exact values, metadata fields, arrays of alternatives
    ("source", '{"source": ["aws.ec2"]}', EC2, True),
    ("source-miss", '{"source": ["aws.s3"]}', EC2, False),
    ("source-any-of", '{"source": ["aws.s3", "aws.ec2"]}', EC2, True),
    ("detail-type", '{"detail-type": ["EC2 Instance State-change Notification"]}', EC2, True),
    ("detail-type-case", '{"detail-type": ["ec2 instance state-change notification"]}', EC2, False),
    ("account", '{"account": ["111122223333"]}', EC2, True),
    ("region-miss", '{"region": ["us-east-1"]}', EC2, False),
    (
        "resources-any-element",
        '{"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}',
        EC2,
        True,
    ),
    ("resources-miss", '{"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-0"]}', EC2, False),
    ("source-and-state", '{"source": ["aws.ec2"], "detail": {"state": ["terminated"]}}', EC2, True),
    ("and-fails-one", '{"source": ["aws.ec2"], "detail": {"state": ["running"]}}', EC2, False),
    ("state-alternatives", d(state=["pending", "terminated"]), EC2, True),
    ("missing-field", d(nosuch=["x"]), EC2, False),
    ("number-exact", d(**{"c-count": [5]}), EC2, True),
    ("number-float-equal", d(**{"c-count": [5.0]}), EC2, True),
    ("number-not-string", d(**{"c-count": ["5"]}), EC2, False),
    ("string-not-number", d(state=[5]), EC2, False),
    ("null-matches-null", d(nothing=[None]), EC2, True),
    ("null-not-absent", d(nosuch=[None]), EC2, False),
    ("null-not-empty", d(empty=[None]), EC2, False),
    ("empty-string", d(empty=[""]), EC2, True),
    ("empty-string-not-null", d(nothing=[""]), EC2, False),
    ("boolean", d(flag=[True]), EC2, True),
    ("boolean-not-string", d(flag=["true"]), EC2, False),
    ("event-array-any", d(tags=["web"]), EC2, True),
    ("event-array-none", d(tags=["dev"]), EC2, False),
    ("nested", '{"detail": {"nested": {"a": {"b": ["deep"]}}}}', EC2, True),
    ("nested-miss", '{"detail": {"nested": {"a": {"b": ["shallow"]}}}}', EC2, False),
    ("array-of-objects", '{"detail": {"users": {"name": ["bob"]}}}', EC2, True),
    ("array-objects-same-element", '{"detail": {"users": {"name": ["bob"], "role": ["dev"]}}}', EC2, True),
    ("array-objects-cross-element", '{"detail": {"users": {"name": ["bob"], "role": ["admin"]}}}', EC2, False),
    ("large-number-exact", d(**{"account-number": [111122223333]}), EC2, True),
    # prefix / suffix / equals-ignore-case / wildcard
    ("prefix", d(location=[{"prefix": "eu-"}]), EC2, True),
    ("prefix-miss", d(location=[{"prefix": "us-"}]), EC2, False),
    ("prefix-metadata", '{"time": [{"prefix": "2017-12-22"}]}', EC2, True),
    ("prefix-on-number", d(**{"c-count": [{"prefix": "5"}]}), EC2, False),
    ("prefix-ignore-case", d(location=[{"prefix": {"equals-ignore-case": "EU-"}}]), EC2, True),
    ("suffix", d(filename=[{"suffix": ".png"}]), EC2, True),
    ("suffix-miss", d(filename=[{"suffix": ".jpg"}]), EC2, False),
    ("suffix-ignore-case", d(filename=[{"suffix": {"equals-ignore-case": ".PNG"}}]), EC2, True),
    ("equals-ignore-case", d(mixedcase=[{"equals-ignore-case": "alice"}]), EC2, True),
    ("equals-ignore-case-miss", d(mixedcase=[{"equals-ignore-case": "alicia"}]), EC2, False),
    ("wildcard", d(filename=[{"wildcard": "*.png"}]), EC2, True),
    ("wildcard-middle", '{"resources": [{"wildcard": "arn:aws:ec2:*:123456789012:instance/*"}]}', EC2, True),
    ("wildcard-miss", d(filename=[{"wildcard": "*.jpg"}]), EC2, False),
    ("wildcard-no-star", d(filename=[{"wildcard": "image.png"}]), EC2, True),
    ("wildcard-escaped-star", d(filename=[{"wildcard": "image\\*"}]), ev(filename="image*"), True),
    ("wildcard-escaped-literal", d(filename=[{"wildcard": "image\\*"}]), EC2, False),
    # anything-but
    ("anything-but-string", d(state=[{"anything-but": "initializing"}]), EC2, True),
    ("anything-but-string-excluded", d(state=[{"anything-but": "terminated"}]), EC2, False),
    ("anything-but-list", d(state=[{"anything-but": ["stopped", "overloaded"]}]), EC2, True),
    ("anything-but-list-excluded", d(state=[{"anything-but": ["stopped", "terminated"]}]), EC2, False),
    ("anything-but-number", d(**{"x-limit": [{"anything-but": 123}]}), EC2, True),
    ("anything-but-number-list", d(**{"c-count": [{"anything-but": [100, 5]}]}), EC2, False),
    ("anything-but-absent", d(nosuch=[{"anything-but": "x"}]), EC2, False),
    ("anything-but-prefix", d(state=[{"anything-but": {"prefix": "init"}}]), EC2, True),
    ("anything-but-prefix-excluded", d(state=[{"anything-but": {"prefix": "term"}}]), EC2, False),
    ("anything-but-suffix", d(filename=[{"anything-but": {"suffix": ".txt"}}]), EC2, True),
    ("anything-but-suffix-excluded", d(filename=[{"anything-but": {"suffix": ".png"}}]), EC2, False),
    ("anything-but-ignore-case", d(state=[{"anything-but": {"equals-ignore-case": ["TERMINATED"]}}]), EC2, False),
    ("anything-but-ignore-case-ok", d(state=[{"anything-but": {"equals-ignore-case": ["STOPPED"]}}]), EC2, True),
    ("anything-but-wildcard", d(filename=[{"anything-but": {"wildcard": "*.txt"}}]), EC2, True),
    ("anything-but-wildcard-excluded", d(filename=[{"anything-but": {"wildcard": "*.png"}}]), EC2, False),
    ("anything-but-prefix-list", d(state=[{"anything-but": {"prefix": ["run", "term"]}}]), EC2, False),
    # numeric
    ("numeric-range", d(**{"c-count": [{"numeric": [">", 0, "<=", 5]}]}), EC2, True),
    ("numeric-range-miss", d(**{"d-count": [{"numeric": ["<", 10]}]}), EC2, False),
    ("numeric-equals", d(**{"x-limit": [{"numeric": ["=", 3.018e2]}]}), EC2, True),
    ("numeric-ge", d(**{"d-count": [{"numeric": [">=", 12]}]}), EC2, True),
    ("numeric-gt-miss", d(**{"d-count": [{"numeric": [">", 12]}]}), EC2, False),
    ("numeric-on-string", d(state=[{"numeric": [">", 0]}]), EC2, False),
    ("numeric-on-absent", d(nosuch=[{"numeric": [">", 0]}]), EC2, False),
    # exists
    ("exists-true", d(state=[{"exists": True}]), EC2, True),
    ("exists-true-absent", d(nosuch=[{"exists": True}]), EC2, False),
    ("exists-false-absent", d(nosuch=[{"exists": False}]), EC2, True),
    ("exists-false-present", d(state=[{"exists": False}]), EC2, False),
    ("exists-null-value", d(nothing=[{"exists": True}]), EC2, True),
    ("exists-intermediate-object", '{"detail": {"nested": [{"exists": true}]}}', EC2, False),
    # cidr
    ("cidr", d(**{"source-ip": [{"cidr": "10.0.0.0/24"}]}), EC2, True),
    ("cidr-miss", d(**{"source-ip": [{"cidr": "10.0.1.0/24"}]}), EC2, False),
    ("cidr-ipv6", d(ipv6=[{"cidr": "2001:db8::/32"}]), EC2, True),
    ("cidr-not-ip", d(state=[{"cidr": "10.0.0.0/8"}]), EC2, False),
    # $or
    (
        "or-top-level",
        '{"source": ["aws.ec2"], "$or": [{"detail": {"state": ["running"]}}, {"region": ["us-west-1"]}]}',
        EC2,
        True,
    ),
    (
        "or-none",
        '{"$or": [{"detail": {"state": ["running"]}}, {"region": ["eu-west-1"]}]}',
        EC2,
        False,
    ),
    (
        "or-nested-in-detail",
        '{"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}',
        EC2,
        True,
    ),
    (
        "or-nested-in-detail-miss",
        '{"detail": {"$or": [{"c-count": [{"numeric": [">", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]}]}}',
        EC2,
        False,
    ),
    ("mixed-alternatives", d(state=["running", {"prefix": "term"}]), EC2, True),
    ("exists-or-value", d(nosuch=["x", {"exists": False}]), EC2, True),
]

INVALID: list[tuple[str, str]] = [
    ("[]", "Filter is not an object"),
    ('"source"', "Filter is not an object"),
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
    ('{"source": 1}', '"source" must be an object or an array'),
    ('{"source": ["a"], "detail": {}}', "Empty objects are not allowed"),
    ("{}", "Empty objects are not allowed"),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"source": [["a"]]}', "Match value must be String, number, true, false, or null"),
    ('{"a": [{"prefix": 1}]}', "prefix match pattern must be a string"),
    ('{"a": [{"suffix": ["x"]}]}', "suffix match pattern must be a string"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "Only one key allowed in match expression"),
    ('{"a": [{"equals-ignore-case": 5}]}', "equals-ignore-case match pattern must be a string"),
    ('{"a": [{"wildcard": 5}]}', "wildcard match pattern must be a string"),
    ('{"a": [{"wildcard": "a**b"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"a": [{"wildcard": "a\\\\xb"}]}', "Invalid escape character at pos 2"),
    ('{"a": [{"numeric": 5}]}', "Value of numeric must be an array."),
    ('{"a": [{"numeric": [">", "x"]}]}', "Value of > must be numeric"),
    ('{"a": [{"numeric": ["!", 5]}]}', "Unrecognized numeric range operator: !"),
    ('{"a": [{"numeric": ["=", 5, "<", 6]}]}', "Too many elements in numeric expression"),
    ('{"a": [{"numeric": [">", 5, ">", 6]}]}', "Bad numeric range operator: >"),
    ('{"a": [{"numeric": [">", 6e9]}]}', "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ('{"a": [{"numeric": [5]}]}', "Invalid member in numeric match: 5"),
    ('{"a": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
    ('{"a": [{"anything-but": null}]}', "Value of anything-but must be an array or single string/number value."),
    ('{"a": [{"anything-but": ["x", 1]}]}', "Inside anything but list, either all values are number or string"),
    ('{"a": [{"anything-but": [true]}]}', "Inside anything but list, start|null|boolean is not supported."),
    ('{"a": [{"anything-but": {"numeric": [">", 1]}}]}', "Unsupported anything-but pattern: numeric"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "Null prefix/suffix not allowed"),
    ('{"a": [{"cidr": "not-a-cidr"}]}', "Malformed CIDR, one '/' required: not-a-cidr"),
    ('{"a": [{"bogus": "x"}]}', "Unrecognized match type bogus"),
    ('{"$or": [{"a": ["x"]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": {"a": ["x"]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": ["x"]}, "b"]}', "Only JSON object is allowed in array of $or relationship."),
    (
        '{"$or": [{"prefix": ["x"]}, {"b": ["y"]}]}',
        "prefix is Ruler reserved fieldName which cannot be used inside $or.",
    ),
    ('{"source": ["a"]', "Unexpected end-of-input"),
    ('{"source": ["a"],}', "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"),
    ("{source: 1}", "Unexpected character ('s' (code 115)): was expecting double-quote to start field name"),
]


@pytest.mark.parametrize(("name", "pattern", "event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_pattern_matches_as_aws_documents(name: str, pattern: str, event: dict[str, Any], expected: bool) -> None:
    assert parse(pattern).matches(event) is expected
    # The bus routes with the cached compiled pattern; TestEventPattern parses afresh: both must agree.
    routed = compiled(pattern)
    assert routed is not None and routed.matches(event) is expected
    tested = PublishingOperations.test_event_pattern(
        PublishingOperations.__new__(PublishingOperations),
        None,  # type: ignore[arg-type]
        {"EventPattern": pattern, "Event": json.dumps(event)},
    )
    assert tested == {"Result": expected}


@pytest.mark.parametrize(("pattern", "reason"), INVALID, ids=[i[1][:40] for i in INVALID])
def test_invalid_patterns_are_rejected_with_aws_reason(pattern: str, reason: str) -> None:
    with pytest.raises(InvalidPattern) as exc:
        parse(pattern)
    assert str(exc.value).startswith(reason)
    assert "\n at [Source: (String)" in str(exc.value)
    with pytest.raises(InvalidEventPatternException) as api:
        PublishingOperations.test_event_pattern(
            PublishingOperations.__new__(PublishingOperations),
            None,  # type: ignore[arg-type]
            {"EventPattern": pattern, "Event": json.dumps(EC2)},
        )
    assert api.value.message == error_message(str(exc.value))


def test_error_location_matches_aws_example() -> None:
    """The location AWS reported for this pattern in a real error (column 40)."""
    with pytest.raises(InvalidPattern) as exc:
        parse('{"source": ["aws.health"], "detail": {}}')
    assert str(exc.value) == (
        "Empty objects are not allowed\n"
        ' at [Source: (String)"{"source": ["aws.health"], "detail": {}}"; line: 1, column: 40]'
    )


def test_table_is_large_enough() -> None:
    assert len(CASES) + len(INVALID) >= 80
    assert sum(1 for c in CASES if not c[3]) >= 25
