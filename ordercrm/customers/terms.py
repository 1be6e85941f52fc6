"""Payment terms with schedules, as pure rules (no database): when each instalment falls
due, how an invoice total is split into instalments to the cent, and how what was paid and
credited on an invoice spreads over its instalments.

A term is one or more lines, each a percentage of the invoice total with a due-date rule;
the percentages add up to 100. The due date of a line is found in this order, from its base
date (the invoice date, or the order date for "on order" lines):

1. ``months`` later (a day the month lacks becomes its last day: 31 Jan + 1 month is 28 or
   29 Feb, leap years by the calendar);
2. ``after_month_end``: to the last day of that month (ERPNext's "after the end of the
   invoice month");
3. ``days`` later;
4. ``month_end``: to the last day of that month ("30 days end of month", Odoo's
   "end of month");
5. ``day_of_month``: to the next such day on or after (the 31st in a 30-day month, or the
   29th to 31st in February, is that month's last day).

A line based on the order date never falls due before the invoice date: nobody is late on
an invoice before it exists. A term without lines is one line: 100 % ``days`` after the
invoice date (the terms OrderCRM had before schedules).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from ordercrm.core.money import currency_quantum

ZERO = Decimal("0")
HUNDRED = Decimal("100")
BASE_INVOICE = "invoice"
BASE_ORDER = "order"


@dataclass(frozen=True)
class TermLine:
    percent: Decimal
    base: str = BASE_INVOICE
    months: int = 0
    after_month_end: bool = False
    days: int = 0
    month_end: bool = False
    day_of_month: int | None = None


def _month_last(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``months`` later, the day clamped to the month's length (31 Jan + 1 → 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, _month_last(year, month)))


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=_month_last(day.year, day.month))


def next_day_of_month(day: datetime.date, wanted: int) -> datetime.date:
    """The first date on or after ``day`` whose day is ``wanted`` (1–31), or the month's
    last day where the month is shorter."""
    here = min(wanted, _month_last(day.year, day.month))
    if day.day <= here:
        return day.replace(day=here)
    following = add_months(day.replace(day=1), 1)
    return following.replace(day=min(wanted, _month_last(following.year, following.month)))


def due_date(
    line: TermLine, *, invoice_date: datetime.date, order_date: datetime.date | None = None
) -> datetime.date:
    """When ``line`` falls due, by the rules in the module docstring."""
    start = order_date if line.base == BASE_ORDER and order_date else invoice_date
    day = add_months(start, line.months)
    if line.after_month_end:
        day = month_end(day)
    day = day + datetime.timedelta(days=line.days)
    if line.month_end:
        day = month_end(day)
    if line.day_of_month:
        day = next_day_of_month(day, line.day_of_month)
    return max(day, invoice_date)


def split(total: Decimal, percents: Sequence[Decimal], currency: str) -> list[Decimal]:
    """``total`` in shares of ``percents`` (adding up to 100), each in the currency's
    smallest unit, summing to ``total`` exactly: largest remainder (ties to the earlier
    instalment), so no share is negative and none is off by more than one unit."""
    if not percents:
        return []
    quantum = currency_quantum(currency)
    sign = -1 if total < 0 else 1
    units = int((abs(total) / quantum).to_integral_value(ROUND_FLOOR))
    whole = sum(percents, ZERO)
    exact = [Decimal(units) * p / whole for p in percents]
    floors = [int(x.to_integral_value(ROUND_FLOOR)) for x in exact]
    left = units - sum(floors)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:left]:
        floors[i] += 1
    shares = [sign * Decimal(n) * quantum for n in floors]
    # a total finer than the currency's unit (never from a rounded invoice) stays whole
    shares[-1] += total - sum(shares, ZERO)
    return shares


@dataclass(frozen=True)
class Instalment:
    position: int
    percent: Decimal
    due_date: datetime.date
    amount: Decimal
    source: int = 0  # the index of the term line it comes from


def schedule(
    lines: Sequence[TermLine],
    total: Decimal,
    currency: str,
    *,
    invoice_date: datetime.date,
    order_date: datetime.date | None = None,
) -> list[Instalment]:
    """The instalments of an invoice of ``total`` under ``lines``, in due-date order (ties
    keep the term's order)."""
    amounts = split(total, [line.percent for line in lines], currency)
    rows = sorted(
        (
            (due_date(line, invoice_date=invoice_date, order_date=order_date), n, line, amount)
            for n, (line, amount) in enumerate(zip(lines, amounts, strict=True))
        ),
        key=lambda row: (row[0], row[1]),
    )
    return [
        Instalment(position=i, percent=line.percent, due_date=due, amount=amount, source=n)
        for i, (due, n, line, amount) in enumerate(rows, start=1)
    ]


def spread(
    amounts: Sequence[Decimal], *, paid: Decimal, credited: Decimal
) -> list[tuple[Decimal, Decimal]]:
    """``(credited, paid)`` per instalment (in due-date order): a credit note lowers what
    the invoice asks, from the last instalment back; payments settle the earliest first.
    Each instalment's credited + paid stays within its amount while the invoice's does."""
    credit = [ZERO] * len(amounts)
    rest = credited
    for i in reversed(range(len(amounts))):
        take = min(max(rest, ZERO), max(amounts[i], ZERO))
        credit[i], rest = take, rest - take
    payment = [ZERO] * len(amounts)
    rest = paid
    for i in range(len(amounts)):
        take = min(max(rest, ZERO), max(amounts[i] - credit[i], ZERO))
        payment[i], rest = take, rest - take
    if amounts and rest > 0:  # paid beyond the invoice (never by the services)
        payment[-1] += rest
    return list(zip(credit, payment, strict=True))


def advance_required(total: Decimal, percent: Decimal | None, currency: str) -> Decimal:
    """The advance an order under terms with a required advance ``percent`` must have paid
    before it is dispatched: that share of its total, rounded in the currency (0 without)."""
    from ordercrm.core.money import round_money

    if not percent or total <= 0:
        return ZERO
    return round_money(total * percent / HUNDRED, currency)
