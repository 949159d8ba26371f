"""The working-time calendar: office hours, weekends, public holidays, 调休, overrides."""

import time as wallclock
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.worktime import OFFICE_HOURS, TZ, WorkCalendar, deadline

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
DAY = CAL.day_length()


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def hours(h: float) -> timedelta:
    return timedelta(hours=h)


def test_defaults() -> None:
    assert TZ == SH and OFFICE_HOURS[0] == (time(8, 30), time(12, 0))
    assert DAY == hours(7.5)


def test_friday_afternoon_report_with_one_working_day() -> None:
    # Fri 16:00-17:30 is 1.5 h, Mon 8:30-12:00 3.5 h, then 2.5 h from 13:30
    fri = at(2026, 11, 20, 16)
    assert fri.weekday() == 4
    assert deadline(fri, 1, "WORKING_DAYS", CAL) == at(2026, 11, 23, 16)
    assert CAL.working_time_between(fri, at(2026, 11, 23, 16)) == DAY


def test_lunch_break_is_skipped() -> None:
    assert CAL.add_working_time(at(2026, 11, 23, 11), hours(2)) == at(2026, 11, 23, 14, 30)
    # a start during lunch begins at 13:30
    assert CAL.add_working_time(at(2026, 11, 23, 12, 45), hours(1)) == at(2026, 11, 23, 14, 30)
    assert CAL.working_time_between(at(2026, 11, 23, 11), at(2026, 11, 23, 14)) == hours(1.5)
    # running out exactly at noon stays at noon rather than jumping to 13:30
    assert CAL.add_working_time(at(2026, 11, 23, 11), hours(1)) == at(2026, 11, 23, 12)


def test_start_at_night_counts_from_next_morning() -> None:
    assert CAL.add_working_time(at(2026, 11, 23, 22), hours(1)) == at(2026, 11, 24, 9, 30)
    assert CAL.add_working_time(at(2026, 11, 24, 3), hours(1)) == at(2026, 11, 24, 9, 30)
    assert CAL.working_time_between(at(2026, 11, 23, 18), at(2026, 11, 24, 8)) == timedelta(0)


def test_start_on_a_weekend_counts_from_monday() -> None:
    sat = at(2026, 11, 21, 10)
    assert not CAL.is_workday(sat.date())
    assert CAL.add_working_time(sat, hours(1)) == at(2026, 11, 23, 9, 30)
    assert deadline(sat, 3, "WORKING_DAYS", CAL) == at(2026, 11, 25, 17, 30)


def test_national_day_week_is_skipped() -> None:
    # 2026-10-01..07 are holidays, Thursday 10-08 is the first working day after them
    assert not any(CAL.is_workday(date(2026, 10, d)) for d in range(1, 8))
    assert CAL.is_workday(date(2026, 10, 8))
    assert deadline(at(2026, 10, 1, 9), 1, "WORKING_DAYS", CAL) == at(2026, 10, 8, 17, 30)
    # a report on the last working afternoon before the holiday
    assert CAL.add_working_time(at(2026, 9, 30, 17), hours(1)) == at(2026, 10, 8, 9)
    assert CAL.working_time_between(at(2026, 9, 30, 17), at(2026, 10, 8, 9)) == hours(1)


def test_adjusted_working_weekends_count() -> None:
    adjusted = [d for d in chinese_calendar.get_workdays(date(2026, 1, 1), date(2026, 12, 31))
                if d.weekday() >= 5]
    assert date(2026, 10, 10) in adjusted and date(2026, 9, 20) in adjusted  # Sat and Sun
    for d in adjusted:
        assert CAL.is_workday(d)
    # Friday 9 Oct 16:00 + 1 working day: the 调休 Saturday 10 Oct counts
    assert deadline(at(2026, 10, 9, 16), 1, "WORKING_DAYS", CAL) == at(2026, 10, 10, 16)
    # Saturday 19 Sep is off, Sunday 20 Sep is worked
    assert CAL.add_working_time(at(2026, 9, 19, 10), hours(2)) == at(2026, 9, 20, 10, 30)


def test_overrides_beat_the_package_both_ways() -> None:
    mon, sat, holiday = date(2026, 11, 23), date(2026, 11, 21), date(2026, 10, 1)
    cal = WorkCalendar({mon: False, sat: True, holiday: True})
    assert not cal.is_workday(mon) and cal.is_workday(sat) and cal.is_workday(holiday)
    assert cal.add_working_time(at(2026, 11, 20, 17), hours(1)) == at(2026, 11, 21, 9)
    assert cal.add_working_time(at(2026, 11, 22, 12), hours(1)) == at(2026, 11, 24, 9, 30)
    assert cal.add_working_time(at(2026, 9, 30, 17), hours(1)) == at(2026, 10, 1, 9)
    # a datetime key is taken as its date
    assert not WorkCalendar({at(2026, 11, 23, 10): False}).is_workday(mon)


@pytest.mark.parametrize("year", [2003, 2027, 2030])
def test_years_outside_the_package_fall_back_to_monday_to_friday(year: int) -> None:
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(year, 1, 1))
    week = [date(year, 3, 1) + timedelta(days=i) for i in range(7)]
    assert sorted(CAL.is_workday(d) for d in week) == [False] * 2 + [True] * 5
    assert all(CAL.is_workday(d) == (d.weekday() < 5) for d in week)
    # new year's day counts as working when it falls on a weekday: no data, no holiday
    jan1 = date(year, 1, 1)
    assert CAL.is_workday(jan1) == (jan1.weekday() < 5)
    # overrides still apply
    monday = next(d for d in week if d.weekday() == 0)
    saturday = next(d for d in week if d.weekday() == 5)
    cal = WorkCalendar({monday: False, saturday: True})
    assert not cal.is_workday(monday) and cal.is_workday(saturday)


def test_hours_unit_is_plain_clock_addition() -> None:
    sat_night = at(2026, 10, 3, 23, 40)  # a holiday Saturday night: urgent cases do not wait
    assert deadline(sat_night, 0.5, "HOURS", CAL) == sat_night + timedelta(minutes=30)
    assert deadline(sat_night, 24, "HOURS", CAL) == sat_night + hours(24)
    assert deadline(sat_night, 0, "HOURS", CAL) == sat_night


def test_results_keep_the_input_time_zone() -> None:
    utc = at(2026, 11, 20, 16).astimezone(UTC)  # 08:00 UTC
    due = deadline(utc, 1, "WORKING_DAYS", CAL)
    assert due.tzinfo is UTC and due == at(2026, 11, 23, 16)
    assert deadline(utc, 2, "HOURS", CAL).tzinfo is UTC
    due_sh = CAL.add_working_time(at(2026, 11, 20, 16), hours(1))
    assert due_sh.tzinfo is SH


@pytest.mark.parametrize("call", [
    lambda: deadline(at(2026, 11, 23, 9), 1, "DAYS", CAL),
    lambda: deadline(at(2026, 11, 23, 9), 1, "working_days", CAL),
    lambda: deadline(at(2026, 11, 23, 9), -1, "HOURS", CAL),
    lambda: deadline(at(2026, 11, 23, 9), float("nan"), "WORKING_DAYS", CAL),
    lambda: deadline(datetime(2026, 11, 23, 9), 1, "HOURS", CAL),
    lambda: CAL.add_working_time(datetime(2026, 11, 23, 9), hours(1)),
    lambda: CAL.add_working_time(at(2026, 11, 23, 9), hours(-1)),
    lambda: CAL.working_time_between(at(2026, 11, 23, 9), datetime(2026, 11, 24, 9)),
    lambda: WorkCalendar(office_hours=()),
    lambda: WorkCalendar(office_hours=((time(13), time(12)),)),
    lambda: WorkCalendar(office_hours=((time(9), time(12)), (time(11), time(17)))),
])
def test_bad_input_is_refused(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        call()


def test_unit_error_names_the_units() -> None:
    with pytest.raises(ValueError, match="HOURS, WORKING_DAYS"):
        deadline(at(2026, 11, 23, 9), 1, "DAYS", CAL)


def test_between_is_zero_backwards_and_counts_exactly() -> None:
    a, b = at(2026, 11, 23, 9), at(2026, 11, 30, 9)
    assert CAL.working_time_between(b, a) == timedelta(0)
    assert CAL.working_time_between(a, a) == timedelta(0)
    assert CAL.working_time_between(a, b) == 5 * DAY


def test_zero_duration_is_the_start() -> None:
    night = at(2026, 11, 21, 23)
    assert CAL.add_working_time(night, timedelta(0)) == night


def test_custom_office_hours() -> None:
    cal = WorkCalendar(office_hours=((time(9), time(17)),))
    assert cal.day_length() == hours(8)
    assert deadline(at(2026, 11, 20, 16), 1, "WORKING_DAYS", cal) == at(2026, 11, 23, 16)


def test_thirty_working_days_is_fast() -> None:
    cal = WorkCalendar()  # a fresh one: its day cache starts empty
    t0 = wallclock.perf_counter()
    for i in range(500):
        deadline(at(2026, 1, 1) + timedelta(hours=7 * i), 30, "WORKING_DAYS", cal)
    assert wallclock.perf_counter() - t0 < 1.0  # a per-minute loop would take minutes


# properties ------------------------------------------------------------------------------

_starts = st.builds(
    lambda base, offset: base + offset,
    st.sampled_from([at(2025, 12, 20), at(2026, 1, 20), at(2026, 9, 15), at(2026, 12, 20),
                     at(2003, 12, 20)]),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
).map(lambda dt: dt.astimezone(UTC) if dt.microsecond % 3 == 0 else dt)
_durations = st.timedeltas(min_value=timedelta(0), max_value=40 * DAY)


def _inside_office_hours(dt: datetime) -> bool:
    local = dt.astimezone(SH)
    return CAL.is_workday(local.date()) and any(
        s < local.time() <= e for s, e in OFFICE_HOURS)


@settings(max_examples=300, deadline=None)
@given(_starts, _durations)
def test_between_inverts_add(start: datetime, d: timedelta) -> None:
    assert CAL.working_time_between(start, CAL.add_working_time(start, d)) == d


@settings(max_examples=300, deadline=None)
@given(_starts, _durations, _durations)
def test_add_is_monotonic(start: datetime, d1: timedelta, d2: timedelta) -> None:
    lo, hi = sorted((d1, d2))
    assert CAL.add_working_time(start, lo) <= CAL.add_working_time(start, hi)


@settings(max_examples=300, deadline=None)
@given(_starts, _durations.filter(lambda d: d > timedelta(0)))
def test_results_land_in_office_hours(start: datetime, d: timedelta) -> None:
    # inside a period, or exactly at its end when the time ran out there
    due = CAL.add_working_time(start, d)
    assert due > start and _inside_office_hours(due)
    assert due.utcoffset() == start.utcoffset()
