"""The sales facts against a small history computed by hand: an order shipped and invoiced
in January with a return and a credit note in February, a USD order at its fixed rate, and
an order shared 60 / 40."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from ordercrm.analytics import refresh, services
from ordercrm.analytics.models import OrderFact, ProcessedEvent, SalesFact
from ordercrm.sales import services as sales
from tests.factories import OrderFactory

from .conftest import at

pytestmark = pytest.mark.django_db

D = Decimal


def _month_sum(company, month: int, column: str, **filters) -> Decimal:
    start = datetime.date(2026, month, 1)
    end = datetime.date(2026, month + 1, 1) if month < 12 else datetime.date(2027, 1, 1)
    value = (
        SalesFact.objects.for_company(company)
        .filter(day__gte=start, day__lt=end, **filters)
        .aggregate(v=Sum(column))["v"]
    )
    return value or D(0)


def _snapshot(company) -> set:
    return {
        tuple(getattr(f, c) for c in ("key", *refresh.COLUMNS))
        for f in SalesFact.objects.for_company(company)
    }


def test_figures_by_month_currency_and_split(history):
    shop = history[0]
    company, people = shop["company"], shop["people"]
    rep, rep2, west = people["rep"], people["rep2"], people["west"]
    while refresh.process_company(company):
        pass

    # January: booked 1,000 + 710 + 300 in CNY; A and B shipped and invoiced; A paid
    assert _month_sum(company, 1, "ordered_base") == D("2010.00")
    assert _month_sum(company, 1, "ordered_qty") == D(18)
    assert _month_sum(company, 1, "shipped_base") == D("1710.00")
    assert _month_sum(company, 1, "invoiced_base") == D("1710.00")
    # 1,130.00 paid; February's credit note (226.00 gross) released part of the allocation
    # as customer credit: collections stand as allocated now, on the day allocated
    assert _month_sum(company, 1, "collected_base") == D("800.00")
    # the USD order in its own currency and at its fixed rate
    assert _month_sum(company, 1, "ordered_amount", currency="USD") == D("100.00")
    assert _month_sum(company, 1, "ordered_base", currency="USD") == D("710.00")
    assert _month_sum(company, 1, "ordered_base", salesperson=west) == D("710.00")
    # the 60 / 40 split: rep 1,000 + 180, rep2 120
    assert _month_sum(company, 1, "ordered_base", salesperson=rep) == D("1180.00")
    assert _month_sum(company, 1, "ordered_base", salesperson=rep2) == D("120.00")
    assert _month_sum(company, 1, "ordered_qty", salesperson=rep2) == D("1.2")
    # February: the return and the credit note of 2 drills, in the month they happened
    assert _month_sum(company, 2, "returned_qty") == D(2)
    assert _month_sum(company, 2, "returned_base") == D("200.00")
    assert _month_sum(company, 2, "credited_base") == D("200.00")
    assert _month_sum(company, 2, "ordered_base") == D(0)
    assert _month_sum(company, 1, "returned_base") == D(0)
    # each order's rows add up to the aggregate
    assert OrderFact.objects.for_company(company).aggregate(v=Sum("ordered_base"))["v"] == D(
        "2010.00"
    )


def test_each_event_once_and_rebuild_gives_the_same(history):
    shop = history[0]
    company = shop["company"]
    while refresh.process_company(company):
        pass
    incremental = _snapshot(company)
    processed = ProcessedEvent.objects.filter(company=company).count()
    assert processed > 0
    # a second round finds nothing; nothing moves
    assert refresh.process_company(company) == 0
    assert _snapshot(company) == incremental
    refresh.rebuild(company)
    assert _snapshot(company) == incremental
    assert refresh.as_of(company) is not None


def test_a_rebuilt_fact_has_the_key_an_event_looks_for(history):
    """The rebuild sums the facts in SQL on PostgreSQL; each row's key must be the one
    ``fact_key`` gives its dimensions, or the next event would add a second row for it."""
    shop = history[0]
    company, rep = shop["company"], shop["people"]["rep"]
    # rebuilt as of the morning of A's day, so that the scan after it sees the new order
    with at("2026-01-10", hour=9):
        refresh.rebuild(company)
    rows = list(SalesFact.objects.for_company(company))
    assert {row.key for row in rows} == {refresh.fact_key(row) for row in rows}
    # one more drill for Mingda by the rep on A's day: the same cell as A's ordered row
    with at("2026-01-10"):
        d = OrderFactory(
            company=company, actor=rep, customer=shop["mingda"], lines=[(shop["drill"], 1)]
        )
        sales.order_submit(order=d, actor=rep)
    while refresh.process_company(company):
        pass
    assert SalesFact.objects.for_company(company).count() == len(rows)
    assert _month_sum(company, 1, "ordered_qty", salesperson=rep, customer=shop["mingda"]) == D(
        "10"
    ) + D("1.8") + D("1")


def test_split_must_make_100_and_changes_nothing(history):
    from ordercrm.analytics.exceptions import SplitNotWhole

    shop, _a, _b, c = history
    people = shop["people"]
    with pytest.raises(SplitNotWhole) as refused:
        services.credit_split_set(
            order=c,
            actor=people["manager"],
            shares=[
                {"salesperson": people["rep"], "percent": "60"},
                {"salesperson": people["rep2"], "percent": "30"},
            ],
        )
    assert refused.value.code == "analytics.split_not_whole"
    from ordercrm.analytics.models import CreditSplit

    assert sorted(
        CreditSplit.objects.for_company(shop["company"])
        .filter(order=c)
        .values_list("percent", flat=True)
    ) == [D(40), D(60)]


def test_refresh_query_count_does_not_grow_with_orders(shop, django_assert_max_num_queries):
    company, rep = shop["company"], shop["people"]["rep"]
    for _ in range(3):
        order = OrderFactory(
            company=company,
            actor=rep,
            customer=shop["mingda"],
            lines=[(shop["drill"], 1), (shop["bolt"], 4)],
        )
        sales.order_submit(order=order, actor=rep)
    while refresh.process_company(company):
        pass
    for _ in range(12):
        order = OrderFactory(
            company=company,
            actor=rep,
            customer=shop["mingda"],
            lines=[(shop["drill"], 1), (shop["bolt"], 4)],
        )
        sales.order_submit(order=order, actor=rep)
    with django_assert_max_num_queries(30):
        assert refresh.process_company(company) > 0
