"""Calendar periods (pure): day, week (ISO, from Monday), month, quarter, year; the previous
period and the same period a year earlier."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

KINDS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Period:
    kind: str
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, 1)


def start_of(kind: str, day: datetime.date) -> datetime.date:
    if kind == "day":
        return day
    if kind == "week":
        return day - datetime.timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    if kind == "quarter":
        return datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if kind == "year":
        return datetime.date(day.year, 1, 1)
    raise ValueError(kind)


def shift(kind: str, start: datetime.date, steps: int) -> datetime.date:
    """The start of the period ``steps`` periods after the one starting at ``start``."""
    if kind == "day":
        return start + datetime.timedelta(days=steps)
    if kind == "week":
        return start + datetime.timedelta(weeks=steps)
    months = {"month": 1, "quarter": 3, "year": 12}[kind]
    return _add_months(start, months * steps)


def period_of(kind: str, day: datetime.date) -> Period:
    start = start_of(kind, day)
    return Period(kind, start, shift(kind, start, 1) - datetime.timedelta(days=1))


def span(kind: str, first: datetime.date, last: datetime.date) -> list[Period]:
    """Every period of ``kind`` from the one holding ``first`` to the one holding ``last``."""
    periods, start = [], start_of(kind, first)
    while start <= last:
        periods.append(period_of(kind, start))
        start = shift(kind, start, 1)
    return periods


def previous(kind: str, first: datetime.date, last: datetime.date) -> tuple:
    """The range just before ``first``…``last`` covering as many periods of ``kind``."""
    count = len(span(kind, first, last))
    start = shift(kind, start_of(kind, first), -count)
    return start, start_of(kind, first) - datetime.timedelta(days=1)


def year_before(first: datetime.date, last: datetime.date) -> tuple:
    def back(day: datetime.date) -> datetime.date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return back(first), back(last)


def label(period: Period, formatter) -> str:
    """A period's short name in the viewer's language."""
    if period.kind == "year":
        return str(period.start.year)
    if period.kind == "quarter":
        return f"{period.start.year} Q{(period.start.month - 1) // 3 + 1}"
    if period.kind == "month":
        return f"{period.start.year}-{period.start.month:02d}"
    return formatter.date(period.start)
