"""Cron schedules: checked as Debian's cron reads them, and their next (and last) run times.

Used for scheduled backups and users' cron jobs, whose expressions are written into crontabs:
anything cron would not read the same way, and any control character, is refused with a
message naming the field. A leaf module: it imports nothing of ours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

PRESETS = {
    "hourly": "0 * * * *",
    "daily": "0 0 * * *",
    "weekly": "0 0 * * 0",
    "monthly": "0 0 1 * *",
    "yearly": "0 0 1 1 *",
}
_MACROS = {f"@{name}": expression for name, expression in PRESETS.items()} | {
    "@midnight": PRESETS["daily"],
    "@annually": PRESETS["yearly"],
}
FIELDS = ("minute", "hour", "day of month", "month", "day of week")
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {
        name: number
        for number, name in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
        )
    },
    {name: number for number, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
)
_PART_RE = re.compile(r"^(?P<range>\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>[0-9]+))?$")
# Longest month per month number (February: in a leap year).
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
# Searching further than this for a run time means there is none (29 February: within 8 years).
_HORIZON = timedelta(days=366 * 8 + 1)


@dataclass(frozen=True)
class Schedule:
    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday
    # cron's rule: when both day fields are restricted, a day matches if either does.
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, when: datetime) -> bool:
        day = when.day in self.days
        weekday = (when.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return day or weekday
        return day and weekday


def parse(text: str) -> Schedule:
    """A preset name, an @-macro, or five fields: minute hour day-of-month month day-of-week."""
    if any(ord(char) < 32 or ord(char) == 127 for char in text):
        raise ValueError("A schedule cannot contain a line break or another control character.")
    value = text.strip().lower()
    if value == "@reboot":
        raise ValueError("@reboot has no run times: give a schedule in time.")
    value = PRESETS.get(value) or _MACROS.get(value) or value
    fields = value.split()
    if len(fields) != len(FIELDS):
        raise ValueError(
            f"A schedule has 5 fields (minute hour day-of-month month day-of-week); found {len(fields)}."
        )
    sets = [_field(index, field) for index, field in enumerate(fields)]
    weekdays = frozenset(day % 7 for day in sets[4])
    schedule = Schedule(
        " ".join(fields),
        frozenset(sets[0]),
        frozenset(sets[1]),
        frozenset(sets[2]),
        frozenset(sets[3]),
        weekdays,
        days_restricted=not fields[2].startswith("*"),
        weekdays_restricted=not fields[4].startswith("*"),
    )
    if not schedule.weekdays_restricted and not any(
        day <= _MONTH_DAYS[month - 1] for month in schedule.months for day in schedule.days
    ):
        raise ValueError(f"{schedule.expression!r} never runs: no chosen month has those days.")
    return schedule


def _field(index: int, text: str) -> set[int]:
    low, high = _RANGES[index]
    found: set[int] = set()
    for part in text.split(","):
        match = _PART_RE.fullmatch(part)
        if not match:
            raise ValueError(f"The {FIELDS[index]} field has {part!r}, which cron does not read.")
        if match["range"] == "*":
            start, end = low, high if index != 4 else 6
        else:
            start_text, _, end_text = match["range"].partition("-")
            start = _value(index, start_text)
            end = _value(index, end_text) if end_text else start
            if end < start:
                raise ValueError(f"The {FIELDS[index]} field has the range {part!r} backwards.")
            if match["step"] is not None and not end_text:
                end = high  # `5/10`: from 5 to the end, as cron reads it
        step = int(match["step"]) if match["step"] is not None else 1
        if step == 0:
            raise ValueError(f"The {FIELDS[index]} field has a step of 0 in {part!r}.")
        found.update(range(start, end + 1, step))
    return found


def _value(index: int, text: str) -> int:
    low, high = _RANGES[index]
    number = _NAMES[index].get(text[:3]) if text.isalpha() and len(text) == 3 else None
    if number is None:
        if not text.isdigit():
            raise ValueError(f"The {FIELDS[index]} field has {text!r}, which is not a number or a name.")
        number = int(text)
    if not low <= number <= high:
        raise ValueError(f"The {FIELDS[index]} field has {number}, outside {low}-{high}.")
    return number


def next_runs(schedule: Schedule, after: datetime, count: int = 5) -> list[datetime]:
    """The next `count` run times strictly after `after` (in its own wall-clock time)."""
    runs: list[datetime] = []
    when = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    limit = after + _HORIZON
    while len(runs) < count:
        found = _next_match(schedule, when, limit)
        if found is None:
            break
        runs.append(found)
        when = found + timedelta(minutes=1)
    return runs


def _next_match(schedule: Schedule, when: datetime, limit: datetime) -> datetime | None:
    """The first run time at or after `when`, skipping whole months, days and hours that cannot match."""
    while when <= limit:
        if when.month not in schedule.months:
            when = _first_of_next_month(when)
        elif not schedule.day_matches(when):
            when = when.replace(hour=0, minute=0) + timedelta(days=1)
        elif when.hour not in schedule.hours:
            when = when.replace(minute=0) + timedelta(hours=1)
        elif when.minute not in schedule.minutes:
            when += timedelta(minutes=1)
        else:
            return when
    return None


def _first_of_next_month(when: datetime) -> datetime:
    year, month = (when.year + 1, 1) if when.month == 12 else (when.year, when.month + 1)
    return when.replace(year=year, month=month, day=1, hour=0, minute=0)


def previous_run(schedule: Schedule, before: datetime) -> datetime | None:
    """The last run time at or before `before`, or None within the search horizon."""
    when = before.replace(second=0, microsecond=0)
    limit = before - _HORIZON
    while when >= limit:
        if when.month not in schedule.months:
            when = when.replace(day=1, hour=0, minute=0) - timedelta(minutes=1)
        elif not schedule.day_matches(when):
            when = when.replace(hour=0, minute=0) - timedelta(minutes=1)
        elif when.hour not in schedule.hours:
            when = when.replace(minute=0) - timedelta(minutes=1)
        elif when.minute not in schedule.minutes:
            when -= timedelta(minutes=1)
        else:
            return when
    return None


def describe(schedule: Schedule) -> str:
    """Words for the presets, the expression itself for the rest."""
    names = {
        PRESETS["hourly"]: "every hour, on the hour",
        PRESETS["daily"]: "every day at 00:00",
        PRESETS["weekly"]: "every Sunday at 00:00",
        PRESETS["monthly"]: "on the 1st of every month at 00:00",
        PRESETS["yearly"]: "every 1 January at 00:00",
    }
    return names.get(schedule.expression, schedule.expression)
