"""EventBridge schedule expressions: ``rate(value unit)`` and ``cron(min hour dom month dow year)`` in UTC.

AWS's cron dialect is Quartz-like, not Unix: six fields with a year; day-of-week is 1-7 with 1 = Sunday;
exactly one of day-of-month and day-of-week is ``?``; ``L`` (last day of month, or ``5L`` last Thursday),
``W`` (nearest weekday, ``15W``, ``LW``) and ``#`` (``3#2``, the second Tuesday). croniter implements Unix
semantics (0 = Sunday, five fields, no ``?``), so this small evaluator is used instead.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_MONTHS = {
    m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], 1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
MAX_YEAR = 2199


class InvalidSchedule(ValueError):
    """The expression is not one AWS accepts."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_after(self, moment: datetime, anchor: datetime) -> datetime:
        """The first tick of ``anchor + k * period`` strictly after ``moment``."""
        if moment < anchor:
            return anchor
        periods = int((moment - anchor).total_seconds() // self.seconds) + 1
        return anchor + timedelta(seconds=periods * self.seconds)


@dataclass(frozen=True)
class DaySpec:
    """The day-of-month or day-of-week field: plain values, or one of AWS's special forms."""

    values: frozenset[int] = frozenset()
    any: bool = False  # '?' or '*'
    last: bool = False  # dom 'L'
    last_weekday: bool = False  # dom 'LW'
    nearest_weekday: int | None = None  # dom '15W'
    last_dow: int | None = None  # dow '5L'
    nth_dow: tuple[int, int] | None = None  # dow '3#2' -> (3, 2)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: DaySpec
    months: frozenset[int]
    dow: DaySpec
    years: frozenset[int]
    dom_is_question: bool

    def day_matches(self, day: date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        spec = self.dow if self.dom_is_question else self.dom
        return _dow_matches(spec, day) if self.dom_is_question else _dom_matches(spec, day)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after ``moment`` (whole minutes, UTC), or None if none is left."""
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        first = True
        while day.year <= MAX_YEAR:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day, first = date(min(later), 1, 1), False
                continue
            if day.month not in self.months:
                day, first = _next_month(day), False
                continue
            if self.day_matches(day):
                for hour in sorted(self.hours):
                    if first and hour < start.hour:
                        continue
                    for minute in sorted(self.minutes):
                        if first and hour == start.hour and minute < start.minute:
                            continue
                        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
            day, first = day + timedelta(days=1), False
        return None


Schedule = Rate | Cron


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _aws_dow(day: date) -> int:
    return (day.isoweekday() % 7) + 1  # Sunday = 1 ... Saturday = 7


def _dom_matches(spec: DaySpec, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if spec.any:
        return True
    if spec.last:
        return day.day == last
    if spec.last_weekday:
        return day == _nearest_weekday(date(day.year, day.month, last))
    if spec.nearest_weekday is not None:
        target = min(spec.nearest_weekday, last)
        return day == _nearest_weekday(date(day.year, day.month, target))
    return day.day in spec.values


def _nearest_weekday(target: date) -> date:
    """Quartz's W: the weekday nearest the target, never leaving its month."""
    weekday = target.weekday()  # Monday = 0
    if weekday < 5:
        return target
    if weekday == 5:  # Saturday -> Friday, unless that leaves the month
        return target - timedelta(days=1) if target.day > 1 else target + timedelta(days=2)
    last = calendar.monthrange(target.year, target.month)[1]
    return target + timedelta(days=1) if target.day < last else target - timedelta(days=2)


def _dow_matches(spec: DaySpec, day: date) -> bool:
    dow = _aws_dow(day)
    if spec.any:
        return True
    if spec.last_dow is not None:
        return dow == spec.last_dow and day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    if spec.nth_dow is not None:
        want, nth = spec.nth_dow
        return dow == want and (day.day - 1) // 7 + 1 == nth
    return dow in spec.values


def _value(token: str, low: int, high: int, names: dict[str, int] | None) -> int:
    upper = token.upper()
    if names and upper in names:
        return names[upper]
    if not token.isdigit():
        raise InvalidSchedule(token)
    number = int(token)
    if not low <= number <= high:
        raise InvalidSchedule(token)
    return number


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    """Comma lists of ``*``, ``a``, ``a-b`` (wrapping for names), with optional ``/step``."""
    result: set[int] = set()
    for part in text.split(","):
        if not part:
            raise InvalidSchedule(text)
        base, _, step_text = part.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise InvalidSchedule(text)
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = _value(a, low, high, names), _value(b, low, high, names)
        else:
            start = _value(base, low, high, names)
            end = high if step_text else start
        if start <= end:
            result.update(range(start, end + 1, step))
        else:  # a wrapping range such as FRI-MON
            span = list(range(start, high + 1)) + list(range(low, end + 1))
            result.update(span[::step])
    return frozenset(result)


def _dom(text: str) -> DaySpec:
    if text in ("?", "*"):
        return DaySpec(any=True)
    if text == "L":
        return DaySpec(last=True)
    if text == "LW":
        return DaySpec(last_weekday=True)
    if text.endswith("W") and text[:-1].isdigit():
        return DaySpec(nearest_weekday=_value(text[:-1], 1, 31, None))
    return DaySpec(values=_field(text, 1, 31))


def _dow(text: str) -> DaySpec:
    if text in ("?", "*"):
        return DaySpec(any=True)
    if text == "L":
        return DaySpec(values=frozenset({7}))
    if text.endswith("L") and len(text) > 1:
        return DaySpec(last_dow=_value(text[:-1], 1, 7, _DAYS))
    if "#" in text:
        day, _, nth = text.partition("#")
        if not nth.isdigit() or not 1 <= int(nth) <= 5:
            raise InvalidSchedule(text)
        return DaySpec(nth_dow=(_value(day, 1, 7, _DAYS), int(nth)))
    return DaySpec(values=_field(text, 1, 7, _DAYS))


def parse(expression: str) -> Schedule:
    """Parse a ScheduleExpression; raises ``InvalidSchedule`` for anything AWS rejects."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value <= 0 or (value == 1) != (not unit.endswith("s")):
            raise InvalidSchedule(expression)
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.match(text)
    if not cron:
        raise InvalidSchedule(expression)
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise InvalidSchedule(expression)
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise InvalidSchedule(expression)  # exactly one of the two day fields must be '?'
    try:
        return Cron(
            minutes=_field(minute, 0, 59),
            hours=_field(hour, 0, 23),
            dom=_dom(dom),
            months=_field(month, 1, 12, _MONTHS),
            dow=_dow(dow),
            years=_field(year, 1970, MAX_YEAR),
            dom_is_question=dom == "?",
        )
    except InvalidSchedule:
        raise InvalidSchedule(expression) from None


def next_fire(expression: str | Schedule, after: datetime, anchor: datetime | None = None) -> datetime | None:
    """When the schedule fires next, strictly after ``after``; ``anchor`` is when a rate schedule started."""
    schedule = parse(expression) if isinstance(expression, str) else expression
    if isinstance(schedule, Rate):
        return schedule.next_after(after, anchor or after)
    return schedule.next_after(after)
