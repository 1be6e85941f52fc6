"""The working calendar SLA clocks run on: weekly hours, the company's own days (holidays,
and overrides that make a day working), and China's official holidays and 调休 make-up
working days from the ``chinesecalendar`` package.

Which hours a date has, in order of precedence:

1. the company's :class:`~ordercrm.service.models.CalendarDay` for the date (a holiday has
   none; a working day has the weekday's hours, or the standard day's when the weekday has
   none, e.g. a Saturday);
2. with ``use_china_calendar``, China's calendar: a public holiday has none; a make-up
   working day (调休, a weekend day worked) has the standard day's hours; for years the
   package does not cover, the weekly hours decide;
3. the weekly hours.

The standard day is the first weekday (Monday first) that has hours. Times are computed in
the company's time zone and returned as aware datetimes; everything is minute-exact.
:class:`WorkingCalendar` is pure (no database): ``calendar_for(company)`` loads one.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar

Interval = tuple[datetime.time, datetime.time]
DEFAULT_WEEK: dict[int, tuple[Interval, ...]] = {
    day: ((datetime.time(9), datetime.time(12)), (datetime.time(13), datetime.time(18)))
    for day in range(5)
}
# A target must be met within this many days of calendar (a calendar with no working time
# at all would otherwise never end).
HORIZON_DAYS = 3 * 366


class NoWorkingTime(ValueError):
    """The calendar has no working time within the horizon."""


def china_day(date: datetime.date) -> bool | None:
    """True for a working day, False for a day off, by China's official calendar; None for
    a year the package does not know."""
    try:
        return chinese_calendar.is_workday(date)
    except NotImplementedError:
        return None


def china_special_days(year: int) -> list[tuple[datetime.date, bool, str]] | None:
    """China's official days of ``year`` that differ from a Monday-to-Friday week: public
    holidays on weekdays (``False``) and 调休 make-up working weekend days (``True``), each
    with the holiday's English name from the package; ``None`` for a year it does not know."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    try:
        off = chinese_calendar.get_holidays(start, end, include_weekends=False)
        made_up = [d for d in chinese_calendar.get_workdays(start, end) if d.weekday() >= 5]
    except NotImplementedError:
        return None
    days = [(d, False, chinese_calendar.get_holiday_detail(d)[1] or "") for d in off]
    for d in made_up:
        days.append((d, True, chinese_calendar.get_holiday_detail(d)[1] or ""))
    return sorted(days)


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str = "Asia/Shanghai"
    week: dict[int, tuple[Interval, ...]] = field(default_factory=lambda: dict(DEFAULT_WEEK))
    days: dict[datetime.date, bool] = field(default_factory=dict)  # company overrides
    use_china: bool = True

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def standard_day(self) -> tuple[Interval, ...]:
        for weekday in range(7):
            if self.week.get(weekday):
                return self.week[weekday]
        return ()

    def intervals(self, date: datetime.date) -> tuple[Interval, ...]:
        """The working intervals of ``date`` (see the module docstring)."""
        weekly = self.week.get(date.weekday(), ())
        if date in self.days:
            return (weekly or self.standard_day) if self.days[date] else ()
        if self.use_china:
            working = china_day(date)
            if working is False:
                return ()
            if working is True and date.weekday() >= 5:
                # a 调休 make-up weekend day: worked with the standard day's hours; an
                # ordinary weekday keeps the company's weekly hours (a day it never works
                # stays off)
                return weekly or self.standard_day
        return weekly

    def is_working_day(self, date: datetime.date) -> bool:
        return bool(self.intervals(date))

    def _spans(
        self, start: datetime.datetime
    ) -> Iterable[tuple[datetime.datetime, datetime.datetime]]:
        """Working spans from ``start`` on, in order, clipped to begin at ``start``."""
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(HORIZON_DAYS):
            for begin, end in self.intervals(day):
                span_start = datetime.datetime.combine(day, begin, self.zone)
                span_end = datetime.datetime.combine(day, end, self.zone)
                if span_end <= local:
                    continue
                yield max(span_start, local), span_end
            day += datetime.timedelta(days=1)

    def add(self, start: datetime.datetime, minutes: int) -> datetime.datetime:
        """The moment ``minutes`` working minutes after ``start``."""
        remaining = datetime.timedelta(minutes=minutes)
        if remaining <= datetime.timedelta(0):
            # a zero target is due at the next working moment (or now, inside working time)
            for begin, _end in self._spans(start):
                return begin
            raise NoWorkingTime()
        for begin, end in self._spans(start):
            length = end - begin
            if remaining <= length:
                return begin + remaining
            remaining -= length
        raise NoWorkingTime()

    def minutes_between(self, start: datetime.datetime, end: datetime.datetime) -> int:
        """Working minutes from ``start`` to ``end`` (0 when ``end`` is not later)."""
        if end <= start:
            return 0
        total = datetime.timedelta(0)
        for begin, span_end in self._spans(start):
            if begin >= end:
                break
            total += min(span_end, end) - begin
        return int(total.total_seconds() // 60)
