"""Cron schedules are read as Debian's cron reads them, and their run times are the right ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from brokeforge.lib import cron


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("given_text", "expression"),
    [
        ("daily", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
        ("@midnight", "0 0 * * *"),
        (" 5  4 * *  sun ", "5 4 * * sun"),
    ],
)
def test_presets_macros_and_spacing(given_text: str, expression: str) -> None:
    assert cron.parse(given_text).expression == expression


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("*/15 3-5 * * mon-fri", at(2026, 11, 24, 4, 7), [at(2026, 11, 24, 4, 15), at(2026, 11, 24, 4, 30)]),
        ("0 0 1 * 1", at(2026, 11, 24), [at(2026, 11, 30), at(2026, 12, 1)]),  # either day field
        ("0 12 * * 7", at(2026, 11, 24), [at(2026, 11, 29, 12), at(2026, 12, 6, 12)]),  # 7 is Sunday
        ("59 23 31 12 *", at(2026, 12, 31, 23, 59), [at(2027, 12, 31, 23, 59), at(2028, 12, 31, 23, 59)]),
        ("0 0 29 feb *", at(2026, 11, 24), [at(2028, 2, 29), at(2032, 2, 29)]),
        ("30 2 * jan,jul *", at(2026, 11, 24), [at(2027, 1, 1, 2, 30), at(2027, 1, 2, 2, 30)]),
        ("5/20 * * * *", at(2026, 11, 24, 1, 0), [at(2026, 11, 24, 1, 5), at(2026, 11, 24, 1, 25)]),
    ],
)
def test_next_runs(text: str, after: datetime, expected: list[datetime]) -> None:
    assert cron.next_runs(cron.parse(text), after, len(expected)) == expected


def test_the_last_run_before_a_time() -> None:
    assert cron.previous_run(cron.parse("0 3 * * *"), at(2026, 11, 24, 2, 59)) == at(2026, 11, 23, 3)
    assert cron.previous_run(cron.parse("0 3 * * *"), at(2026, 11, 24, 3)) == at(2026, 11, 24, 3)
    assert cron.previous_run(cron.parse("0 0 29 2 *"), at(2026, 11, 24)) == at(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("* * *", "5 fields"),
        ("60 * * * *", "minute field has 60"),
        ("* 24 * * *", "hour field has 24"),
        ("* * 0 * *", "day of month field has 0"),
        ("* * * 13 *", "month field has 13"),
        ("* * * * 8", "day of week field has 8"),
        ("5-1 * * * *", "backwards"),
        ("*/0 * * * *", "step of 0"),
        ("1,,2 * * * *", "minute field has ''"),
        ("* * * * monday", "not a number or a name"),
        ("0 0 31 2 *", "never runs"),
        ("@reboot", "no run times"),
        ("* * * * *\nrm -rf /", "line break"),
        ("* * * * * %", "5 fields"),
    ],
)
def test_what_cron_would_not_read_the_same_way_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cron.parse(text)


def brute_force(schedule: cron.Schedule, after: datetime, count: int) -> list[datetime]:
    runs, when = [], after.replace(second=0, microsecond=0)
    while len(runs) < count:
        when += timedelta(minutes=1)
        if (
            when.minute in schedule.minutes
            and when.hour in schedule.hours
            and when.month in schedule.months
            and schedule.day_matches(when)
        ):
            runs.append(when)
    return runs


def field(low: int, high: int) -> st.SearchStrategy[str]:
    number = st.integers(low, high)
    single = number.map(str)
    ranged = st.tuples(number, number).map(lambda pair: f"{min(pair)}-{max(pair)}")
    stepped = st.tuples(st.sampled_from(["*"]), st.integers(1, high)).map(lambda pair: f"*/{pair[1]}")
    return st.one_of(
        st.just("*"), single, ranged, stepped, st.lists(single, min_size=1, max_size=3).map(",".join)
    )


@settings(max_examples=60, deadline=None)
@given(minute=field(0, 59), hour=field(0, 23), weekday=field(0, 6))
def test_next_runs_match_a_minute_by_minute_search(minute: str, hour: str, weekday: str) -> None:
    schedule = cron.parse(f"{minute} {hour} * * {weekday}")
    after = at(2026, 11, 24, 13, 37)
    assert cron.next_runs(schedule, after, 3) == brute_force(schedule, after, 3)
