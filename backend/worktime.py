"""Working time: the calendar every deadline is counted in (events, later service requests).

A working day is decided by admin overrides first, then the `chinesecalendar` package (China's
official holidays and adjusted working weekends, 调休), and Monday–Friday for the years the
package does not know. Working time is the office hours of working days, as wall-clock times
in the district's time zone (Asia/Shanghai).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

TZ = ZoneInfo("Asia/Shanghai")
# 7.5 h a day, with the long lunch break of Shandong offices
OFFICE_HOURS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)),
                                               (time(13, 30), time(17, 30)))
UNITS = ("HOURS", "WORKING_DAYS")

_ZERO = timedelta(0)
_DAY = timedelta(days=1)


def _require_aware(dt: datetime, name: str) -> None:
    if not isinstance(dt, datetime):
        raise ValueError(f"{name} must be a datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")


class WorkCalendar:
    """Which days are working days, and how much office time lies between two instants."""

    def __init__(self, overrides: Mapping[date, bool] | None = None,
                 office_hours: tuple[tuple[time, time], ...] = OFFICE_HOURS,
                 tz: ZoneInfo = TZ) -> None:
        periods = tuple(office_hours)
        if not periods:
            # without any office time no deadline could ever be reached
            raise ValueError("office_hours must contain at least one period")
        for i, (s, e) in enumerate(periods):
            if s >= e:
                raise ValueError(f"office period {s}-{e} must end after it starts")
            if i and periods[i - 1][1] > s:
                raise ValueError("office periods must be sorted and must not overlap")
            if s.tzinfo is not None or e.tzinfo is not None:
                raise ValueError("office hours are wall-clock times in tz: give naive times")
        # normalise keys: a datetime key would otherwise never match a date lookup
        self.overrides: dict[date, bool] = {
            (k.date() if isinstance(k, datetime) else k): bool(v)
            for k, v in (overrides or {}).items()}
        self.office_hours = periods
        self.tz = tz
        # period lengths as timedeltas, computed once (dates do not matter for wall times)
        self._lengths = tuple(datetime.combine(date.min, e) - datetime.combine(date.min, s)
                              for s, e in periods)
        self._day_length = sum(self._lengths, _ZERO)
        self._cache: dict[date, bool] = {}

    def day_length(self) -> timedelta:
        """Office time in one working day (7.5 h with the default hours)."""
        return self._day_length

    def is_workday(self, d: date) -> bool:
        if isinstance(d, datetime):
            d = d.date()
        hit = self._cache.get(d)
        if hit is not None:
            return hit
        if d in self.overrides:
            result = self.overrides[d]
        else:
            try:
                result = bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                # the package only knows the years whose schedule the State Council published
                result = d.weekday() < 5
        self._cache[d] = result
        return result

    # Both methods work on naive wall-clock times in self.tz: office hours are wall-clock
    # times, and Asia/Shanghai has no DST, so wall-clock differences are real durations.
    def _local(self, dt: datetime) -> datetime:
        return dt.astimezone(self.tz).replace(tzinfo=None)

    def _periods(self, d: date) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(d, s), datetime.combine(d, e)) for s, e in self.office_hours]

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant `duration` of office time after `start` (same tz as `start`).

        A start outside office hours begins counting at the next office period; when the
        time runs out exactly at the end of a period, that end is the answer (not the start
        of the next period). A zero duration returns `start` unchanged."""
        _require_aware(start, "start")
        if duration < _ZERO:
            raise ValueError(f"duration must not be negative, got {duration}")
        if duration == _ZERO:
            return start
        cur = self._local(start)
        remaining = duration
        d = cur.date()
        first = True
        while True:
            if self.is_workday(d):
                if not first and remaining > self._day_length:
                    # a whole working day: skip it without looking at its periods
                    remaining -= self._day_length
                else:
                    for ps, pe in self._periods(d):
                        if cur >= pe:
                            continue
                        begin = max(cur, ps)
                        available = pe - begin
                        if remaining <= available:
                            return (begin + remaining).replace(tzinfo=self.tz) \
                                .astimezone(start.tzinfo)
                        remaining -= available
            first = False
            d += _DAY

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Office time from `a` to `b`; zero when `b` is not after `a`."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        if b <= a:
            return _ZERO
        la, lb = self._local(a), self._local(b)
        total = _ZERO
        d, last = la.date(), lb.date()
        while d <= last:
            if self.is_workday(d):
                if la.date() < d < last:
                    total += self._day_length  # an inner day counts whole
                else:
                    for ps, pe in self._periods(d):
                        lo, hi = max(ps, la), min(pe, lb)
                        if hi > lo:
                            total += hi - lo
            d += _DAY
        return total


def deadline(start: datetime, amount: float, unit: str, calendar: WorkCalendar) -> datetime:
    """When a time limit of `amount` `unit` that starts at `start` runs out.

    HOURS are natural clock hours (urgent cases run around the clock); WORKING_DAYS are
    `amount` × the calendar's day length of office time counted from `start`, so a report on
    Friday 16:00 with 1 working day is due on Monday at 16:00 with the default hours."""
    _require_aware(start, "start")
    unit = getattr(unit, "value", unit)  # accept a str Enum member too
    if unit not in UNITS:
        raise ValueError(f"unknown deadline unit {unit!r}: expected one of {', '.join(UNITS)}")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) \
            or not math.isfinite(amount):
        raise ValueError(f"deadline amount must be a finite number, got {amount!r}")
    if amount < 0:
        raise ValueError(f"deadline amount must not be negative, got {amount}")
    if unit == "HOURS":
        # elapsed time, so go through UTC (matters only for zones with DST)
        return (start.astimezone(UTC) + timedelta(hours=amount)) \
            .astimezone(start.tzinfo)
    return calendar.add_working_time(start, calendar.day_length() * amount)
