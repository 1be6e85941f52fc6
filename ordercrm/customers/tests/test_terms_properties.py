"""Payment-term rules without a database: due dates (month ends, days of month, leap
years), the split of an invoice total into instalments to the cent, and the spread of what
was paid and credited over them. Hypothesis checks the invariants."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordercrm.customers.terms import (
    TermLine,
    add_months,
    due_date,
    next_day_of_month,
    schedule,
    split,
    spread,
)

D = datetime.date
CENT = Decimal("0.01")


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2100, 1, 31), 1, D(2100, 2, 28)),  # a century is not a leap year
        (D(2000, 1, 31), 1, D(2000, 2, 29)),  # unless divisible by 400
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 11, 30), 3, D(2025, 2, 28)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),
    ],
)
def test_months_later_clamp_to_the_month(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("line", "invoice_date", "expected"),
    [
        (TermLine(Decimal(100), days=30), D(2026, 1, 31), D(2026, 3, 2)),
        # "30 days end of month": 30 days, then to the month's end
        (TermLine(Decimal(100), days=30, month_end=True), D(2026, 1, 15), D(2026, 2, 28)),
        (TermLine(Decimal(100), days=30, month_end=True), D(2028, 1, 15), D(2028, 2, 29)),
        # ERPNext's "days after the end of the invoice month"
        (TermLine(Decimal(100), after_month_end=True, days=10), D(2026, 2, 3), D(2026, 3, 10)),
        # "the month after the invoice month, end of month"
        (
            TermLine(Decimal(100), months=1, after_month_end=True),
            D(2026, 1, 31),
            D(2026, 2, 28),
        ),
        # the 25th on or after 30 days
        (TermLine(Decimal(100), days=30, day_of_month=25), D(2026, 1, 10), D(2026, 2, 25)),
        (TermLine(Decimal(100), days=30, day_of_month=25), D(2026, 1, 31), D(2026, 3, 25)),
        # the 31st in a 30-day month, the 30th in February
        (TermLine(Decimal(100), day_of_month=31), D(2026, 4, 2), D(2026, 4, 30)),
        (TermLine(Decimal(100), day_of_month=30), D(2024, 2, 1), D(2024, 2, 29)),
        (TermLine(Decimal(100), day_of_month=30), D(2023, 2, 1), D(2023, 2, 28)),
        (TermLine(Decimal(100)), D(2026, 5, 5), D(2026, 5, 5)),
    ],
)
def test_due_date_rules(line, invoice_date, expected):
    assert due_date(line, invoice_date=invoice_date) == expected


def test_order_date_based_lines_are_never_due_before_the_invoice():
    on_order = TermLine(Decimal(30), base="order")
    later = TermLine(Decimal(70), base="order", days=60)
    invoice_date, order_date = D(2026, 3, 20), D(2026, 3, 1)
    assert due_date(on_order, invoice_date=invoice_date, order_date=order_date) == invoice_date
    assert due_date(later, invoice_date=invoice_date, order_date=order_date) == D(2026, 4, 30)


dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2200, 12, 31))
lines = st.builds(
    TermLine,
    percent=st.just(Decimal(1)),
    base=st.sampled_from(["invoice", "order"]),
    months=st.integers(0, 120),
    after_month_end=st.booleans(),
    days=st.integers(0, 3650),
    month_end=st.booleans(),
    day_of_month=st.one_of(st.none(), st.integers(1, 31)),
)


@given(line=lines, invoice_date=dates, back=st.integers(0, 400))
def test_due_dates_are_real_dates_on_or_after_the_invoice(line, invoice_date, back):
    order_date = invoice_date - datetime.timedelta(days=back)
    due = due_date(line, invoice_date=invoice_date, order_date=order_date)
    assert due >= invoice_date
    if line.day_of_month and due > invoice_date:
        last = (add_months(due.replace(day=1), 1) - datetime.timedelta(days=1)).day
        assert due.day == min(line.day_of_month, last)
    elif line.month_end and not line.day_of_month and due > invoice_date:
        assert (due + datetime.timedelta(days=1)).day == 1


@given(day=dates, wanted=st.integers(1, 31))
def test_next_day_of_month_is_the_first_such_day(day, wanted):
    found = next_day_of_month(day, wanted)
    assert found >= day
    assert (found - day).days <= 31
    # no earlier date between day and found has the wanted (clamped) day
    probe = day
    while probe < found:
        last = (add_months(probe.replace(day=1), 1) - datetime.timedelta(days=1)).day
        assert probe.day != min(wanted, last)
        probe += datetime.timedelta(days=1)


percent_lists = st.lists(st.integers(1, 10_000), min_size=1, max_size=12).map(
    lambda weights: _percents(weights)
)


def _percents(weights):
    """Shares with four decimals adding up to exactly 100."""
    total = sum(weights)
    shares = [(Decimal(w) * 100 / total).quantize(Decimal("0.0001")) for w in weights]
    shares[-1] += Decimal(100) - sum(shares)
    return [s for s in shares if s > 0] or [Decimal(100)]


totals = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)


@given(total=totals, percents=percent_lists)
def test_instalments_sum_to_the_invoice_total_to_the_cent(total, percents):
    assert sum(percents) == 100
    shares = split(total, percents, "CNY")
    assert sum(shares) == total
    assert len(shares) == len(percents)
    for share, percent in zip(shares, percents, strict=True):
        assert share >= 0
        assert share == share.quantize(CENT)
        assert abs(share - total * percent / 100) < CENT


@given(total=st.integers(0, 10**9), percents=percent_lists)
def test_split_in_a_currency_without_decimals(total, percents):
    shares = split(Decimal(total), percents, "JPY")
    assert sum(shares) == total
    assert all(share == share.to_integral_value() for share in shares)


@given(
    total=totals,
    percents=percent_lists,
    invoice_date=dates,
    line_rules=st.lists(lines, min_size=12, max_size=12),
)
def test_schedule_keeps_every_share_and_orders_by_due_date(
    total, percents, invoice_date, line_rules
):
    rules = [
        TermLine(
            percent=p,
            base=r.base,
            months=r.months,
            after_month_end=r.after_month_end,
            days=r.days,
            month_end=r.month_end,
            day_of_month=r.day_of_month,
        )
        for p, r in zip(percents, line_rules, strict=False)
    ]
    rows = schedule(rules, total, "CNY", invoice_date=invoice_date, order_date=invoice_date)
    assert sum(row.amount for row in rows) == total
    assert [row.position for row in rows] == list(range(1, len(rules) + 1))
    assert [row.due_date for row in rows] == sorted(row.due_date for row in rows)
    assert sorted(row.percent for row in rows) == sorted(percents)


@given(
    total=totals,
    percents=percent_lists,
    paid_share=st.fractions(0, 1),
    credited_share=st.fractions(0, 1),
)
def test_spread_of_paid_and_credited(total, percents, paid_share, credited_share):
    amounts = split(total, percents, "CNY")
    credited = (total * Decimal(credited_share.numerator) / credited_share.denominator).quantize(
        CENT, rounding="ROUND_FLOOR"
    )
    paid = ((total - credited) * Decimal(paid_share.numerator) / paid_share.denominator).quantize(
        CENT, rounding="ROUND_FLOOR"
    )
    parts = spread(amounts, paid=paid, credited=credited)
    assert sum(c for c, _p in parts) == credited
    assert sum(p for _c, p in parts) == paid
    open_amounts = [a - c - p for a, (c, p) in zip(amounts, parts, strict=True)]
    assert all(x >= 0 for x in open_amounts)
    assert sum(open_amounts) == total - credited - paid
    # payments settle the earliest first: an instalment with something paid follows only
    # fully settled ones
    seen_open = False
    for amount, (c, p) in zip(amounts, parts, strict=True):
        if seen_open:
            assert p == 0
        if c + p < amount:
            seen_open = True
