"""services/logs/patterns.py: the filter-pattern table, with the events and patterns of AWS's filter-pattern docs."""

from __future__ import annotations

import json

import pytest

from strongroom.services.logs.patterns import PatternError, matches, parse, split_fields

# "Using filter patterns to match terms in unstructured log events"
UNSTRUCTURED = [
    "[ERROR 400] BAD REQUEST",
    "[ERROR 401] UNAUTHORIZED REQUEST",
    "[ERROR 419] MISSING ARGUMENTS",
    "[ERROR 420] INVALID ARGUMENTS",
]

UNSTRUCTURED_CASES = [
    ("", [True, True, True, True]),
    (" ", [True, True, True, True]),
    ("ERROR", [True, True, True, True]),
    ("error", [False, False, False, False]),  # terms are case-sensitive
    ("ERROR ARGUMENTS", [False, False, True, True]),
    ("?ERROR ?ARGUMENTS", [True, True, True, True]),
    ("?UNAUTHORIZED ?MISSING", [False, True, True, False]),
    ('"INVALID ARGUMENTS"', [False, False, False, True]),
    ('"BAD REQUEST" ERROR', [True, False, False, False]),
    ("ERROR -ARGUMENTS", [True, True, False, False]),
    ('ERROR -"BAD REQUEST" -MISSING', [False, True, False, True]),
    ("%4[01]9%", [False, False, True, False]),
    ("%4[0-9]0]%", [True, False, False, True]),
    ("%AUTHORIZED%", [False, True, False, False]),  # a regex matches inside words
]


@pytest.mark.parametrize(("pattern", "expected"), UNSTRUCTURED_CASES)
def test_unstructured_terms(pattern: str, expected: list[bool]) -> None:
    assert [matches(pattern, event) for event in UNSTRUCTURED] == expected


# "Using filter patterns to match terms in JSON log events"
JSON_EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "111.111.111.111",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "cluster.name": "c1",
        "ThisFlag": True,
        "latency": 750,
        "bandwidth": 12.5,
        "user": {"id": 1, "email": "John.Stiles@example.com"},
        "users": [{"id": 2, "email": "John.Doe@example.com"}],
        "actions": ["GET", "PUT", "DELETE"],
        "coordinates": [[0, 1], [2, 3]],
    }
)

JSON_CASES = [
    ('{ $.eventType = "UpdateTrail" }', True),
    ("{ $.eventType = UpdateTrail }", True),
    ('{ $.eventType = "Update*" }', True),
    ('{ $.eventType = "*Trail" }', True),
    ('{ $.eventType = "CreateTrail" }', False),
    ('{ $.eventType != "CreateTrail" }', True),
    ("{ $.sourceIPAddress != 123.123.* }", True),
    ("{ $.sourceIPAddress = 111.111.* }", True),
    ("{ $.eventType = %Trail$% }", True),
    ("{ $.eventType = %^Create% }", False),
    ('{ $.arrayKey[0] = "value" }', True),
    ('{ $.arrayKey[1] = "value" }', False),
    ('{ $.arrayKey[*] = "another value" }', True),
    ("{ $.objectList[1].id = 2 }", True),
    ("{ $.objectList[0].id = 2 }", False),
    ('{ $.objectList[*].name = "b" }', True),
    ("{ $.SomeObject IS NULL }", True),
    ("{ $.eventType IS NULL }", False),
    ("{ $.SomeOtherObject NOT EXISTS }", True),
    ("{ $.eventType NOT EXISTS }", False),
    ("{ $.eventType EXISTS }", True),
    ("{ $.ThisFlag IS TRUE }", True),
    ("{ $.ThisFlag IS FALSE }", False),
    ("{ $.['cluster.name'] = \"c1\" }", True),
    ("{ $.latency > 500 }", True),
    ("{ $.latency >= 750 }", True),
    ("{ $.latency < 750 }", False),
    ("{ $.latency <= 750 }", True),
    ("{ $.latency = 750 }", True),
    ("{ $.latency != 750 }", False),
    ("{ $.bandwidth > 12 }", True),
    ("{ $.bandwidth > 1.25e1 }", False),
    ("{ $.eventType > 5 }", False),  # a string is not a number
    ("{ $.missing > 5 }", False),
    ('{ $.missing != "x" }', False),  # != needs the field
    ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
    ('{ $.user.id = 2 && $.users[0].email = "John.Doe@example.com" || $.actions[2] = "DELETE" }', True),
    ('{ $.user.id = 2 && $.users[0].email = "John.Doe@example.com" || $.actions[2] = "GET" }', False),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = "nonmatch") '
        '&& $.actions[2] = "nomatch" }',
        False,
    ),
    (
        '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = "DELETE" }',
        True,
    ),
    ("{ $.coordinates[1][0] = 2 }", True),
    ("{ $.user.* = 1 }", True),
]


@pytest.mark.parametrize(("pattern", "expected"), JSON_CASES)
def test_json_patterns(pattern: str, expected: bool) -> None:
    assert matches(pattern, JSON_EVENT) is expected


def test_json_patterns_match_only_json_objects() -> None:
    assert not matches('{ $.a = "b" }', 'a = "b"')
    assert not matches('{ $.a = "b" }', '["b"]')
    assert matches('{ $.a = "b" }', '{"a": "b"}')


APACHE = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
APACHE_404 = '127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 404 287'

DELIMITED_CASES = [
    ("[ip, user, username, timestamp, request, status_code, bytes]", [True, True]),
    ("[ip, user, username, timestamp, request, status_code]", [False, False]),  # one field short
    ("[ip, user, ..., status_code, bytes]", [True, True]),
    ("[..., status_code = 404, bytes]", [False, True]),
    ("[..., status_code = 4*, bytes]", [False, True]),
    ("[..., status_code != 2*, bytes]", [False, True]),
    ("[ip, user, ..., status_code=4*, size>1000]", [False, False]),
    ("[ip, user, ..., status_code=2*, size>1000]", [True, False]),
    ("[ip, ..., size<1000]", [False, True]),
    ("[ip=127.0.0.1, ...]", [True, True]),
    ("[ip=10.*, ...]", [False, False]),
    ("[ip, user, username, timestamp, request = *.html*, status_code, bytes]", [False, True]),
    ("[ip, user, username, timestamp, request, status_code = 404 || status_code = 200, bytes]", [True, True]),
    ("[ip, user, username, timestamp, request, status_code = 404 && bytes > 1000, bytes]", [False, False]),
    ("[ip, user, username = frank, ...]", [True, True]),
    ("[ip, user, username = %^fr%, ...]", [True, True]),
]


@pytest.mark.parametrize(("pattern", "expected"), DELIMITED_CASES)
def test_space_delimited_patterns(pattern: str, expected: list[bool]) -> None:
    assert [matches(pattern, APACHE), matches(pattern, APACHE_404)] == expected


def test_fields_split_on_spaces_with_quotes_and_brackets_as_one() -> None:
    assert split_fields(APACHE) == [
        "127.0.0.1",
        "-",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /apache_pb.gif HTTP/1.0",
        "200",
        "1534",
    ]


INVALID = [
    "{",
    "{ }",
    "{ $.a = }",
    "{ $.a == 1 }",
    "{ a = 1 }",
    "{ $.a > abc }",
    "{ $.a = 1 && }",
    "{ ($.a = 1 }",
    "{ $.a IS MAYBE }",
    "{ $.a = 1 } x",
    "[",
    "[]",
    "[a, a]",
    "[a, b=1 && c=2]",  # c is not a field of the pattern
    "[a b]",
    '"unterminated',
    "ERROR }",
    "%unterminated",
    "%(group)%",
    "%something!%",
    "%ERROR 4%",  # a space is not among the characters AWS allows
    "%é%",
    "{ $.a = %a% || $.b = %b% || $.c = %c% }",  # at most two regexes in a JSON pattern
    "x" * 1025,
]


@pytest.mark.parametrize("pattern", INVALID)
def test_invalid_patterns(pattern: str) -> None:
    with pytest.raises(PatternError):
        parse(pattern)


def test_patterns_are_parsed_once() -> None:
    assert parse("[a, b]") is parse("[a, b]")
