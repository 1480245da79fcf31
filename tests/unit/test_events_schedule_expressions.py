"""Schedule expressions against AWS's documented examples (EventBridge: schedule expressions for rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from strongroom.events.schedule_expressions import Cron, InvalidSchedule, Rate, next_fire, parse


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def fires(expression: str, start: datetime, count: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(count):
        nxt = next_fire(expression, moment, anchor=start)
        assert nxt is not None
        out.append(nxt)
        moment = nxt
    return out


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_rate_expressions(expression: str, seconds: int) -> None:
    schedule = parse(expression)
    assert isinstance(schedule, Rate) and schedule.seconds == seconds
    start = at(2026, 1, 1, 0, 0, 30)
    assert fires(expression, start, 2) == [start + timedelta(seconds=seconds), start + timedelta(seconds=2 * seconds)]


# AWS's documented cron examples, with the first firings after Thursday 2026-01-01 00:00 UTC.
DOCUMENTED = [
    ("cron(0 10 * * ? *)", [at(2026, 1, 1, 10, 0), at(2026, 1, 2, 10, 0)]),  # 10:00 every day
    ("cron(15 12 * * ? *)", [at(2026, 1, 1, 12, 15), at(2026, 1, 2, 12, 15)]),  # 12:15 every day
    ("cron(0 18 ? * MON-FRI *)", [at(2026, 1, 1, 18), at(2026, 1, 2, 18), at(2026, 1, 5, 18)]),  # weekdays 18:00
    ("cron(0 8 1 * ? *)", [at(2026, 1, 1, 8), at(2026, 2, 1, 8)]),  # 8:00 on the 1st of the month
    ("cron(0/15 * * * ? *)", [at(2026, 1, 1, 0, 15), at(2026, 1, 1, 0, 30), at(2026, 1, 1, 0, 45)]),  # every 15 min
    ("cron(0/10 * ? * MON-FRI *)", [at(2026, 1, 1, 0, 10), at(2026, 1, 1, 0, 20)]),  # every 10 min on weekdays
    ("cron(0/5 8-17 ? * MON-FRI *)", [at(2026, 1, 1, 8, 0), at(2026, 1, 1, 8, 5)]),  # every 5 min 8-17 weekdays
    ("cron(0 9 ? * 2#1 *)", [at(2026, 1, 5, 9), at(2026, 2, 2, 9)]),  # 9:00 on the first Monday of the month
    ("cron(0 12 ? * MON-FRI *)", [at(2026, 1, 1, 12), at(2026, 1, 2, 12), at(2026, 1, 5, 12)]),
    ("cron(0 0 L * ? *)", [at(2026, 1, 31), at(2026, 2, 28), at(2026, 3, 31)]),  # last day of the month
    ("cron(0 0 ? * 6L *)", [at(2026, 1, 30), at(2026, 2, 27)]),  # last Friday of the month
    ("cron(0 0 15W * ? *)", [at(2026, 1, 15), at(2026, 2, 16), at(2026, 3, 16)]),  # nearest weekday to the 15th
    ("cron(0 0 LW * ? *)", [at(2026, 1, 30), at(2026, 2, 27)]),  # last weekday of the month
    ("cron(30 6 ? * SUN *)", [at(2026, 1, 4, 6, 30), at(2026, 1, 11, 6, 30)]),  # Sundays (1 = SUN)
    ("cron(0 0 ? * 1 *)", [at(2026, 1, 4), at(2026, 1, 11)]),  # day-of-week 1 is Sunday in AWS's dialect
    ("cron(0 0 1 JAN ? 2027)", [at(2027, 1, 1)]),  # a year field
    ("cron(0 0 29 FEB ? *)", [at(2028, 2, 29)]),  # leap day
    ("cron(0 0 ? * FRI-MON *)", [at(2026, 1, 2), at(2026, 1, 3), at(2026, 1, 4), at(2026, 1, 5), at(2026, 1, 9)]),
]


@pytest.mark.parametrize(("expression", "expected"), DOCUMENTED, ids=[e for e, _ in DOCUMENTED])
def test_documented_cron_examples(expression: str, expected: list[datetime]) -> None:
    assert isinstance(parse(expression), Cron)
    assert fires(expression, at(2026, 1, 1), len(expected)) == expected


def test_cron_in_a_past_year_never_fires_again() -> None:
    assert next_fire("cron(0 0 1 1 ? 2020)", at(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",  # 1 needs the singular unit
        "rate(2 minute)",  # more than 1 needs the plural
        "rate(0 minutes)",
        "rate(5 seconds)",
        "rate(-1 days)",
        "rate(x hours)",
        "cron(0 12 * * MON *)",  # day-of-month and day-of-week both set
        "cron(0 12 ? * ? *)",  # both '?'
        "cron(0 12 * * *)",  # five fields (Unix style)
        "cron(0 12 * * ? * *)",  # seven fields
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 ? 13 * *)",
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * 0 *)",  # Unix's Sunday is not valid in AWS's dialect
        "cron(0 0 ? * 2#6 *)",
        "cron(0/0 * * * ? *)",
        "cron(0 0 * * ? 1969)",
        "every day",
        "",
    ],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(InvalidSchedule):
        parse(expression)
