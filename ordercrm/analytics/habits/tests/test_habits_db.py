"""Habits and demand from real orders: the SQL's figures against hand-computed histories,
record scope, bounded queries, and the pages (lists, customer 360 panel, demand, order entry
suggestions) including hostile input."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.analytics.habits import queries, selectors
from ordercrm.analytics.habits.rhythm import Standing
from ordercrm.sales import services as sales

DAY0 = datetime.date(2026, 1, 5)
# Order days: gaps 20, 30, 30, 40 (and a second order on the last day) → median 30, q1 20,
# q3 30 by nearest rank; last order day DAY0 + 120.
GAPS = [0, 20, 50, 80, 120]


@pytest.fixture(autouse=True)
def _fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def goods(company, make_product, admin):  # admin: booked() back-dates orders through one
    return [
        make_product(company, sku=f"G{i}", list_price=Decimal("10.00"), is_stock_tracked=False)
        for i in range(4)
    ]


def booked(company, actor, customer, day, lines):
    """A confirmed order of ``day``. Back-dating needs the right (order_backdate), so an
    administrator enters it; the salesperson stays the customer's (``actor``'s) own."""
    from ordercrm.accounts.models import Membership

    backdater = Membership.objects.filter(company=company, role="admin").first().user
    order = sales.order_create(
        company=company,
        actor=backdater,
        customer=customer,
        order_date=day,
        lines=[{"product": p, "quantity": Decimal(q)} for p, q in lines],
    )
    order = sales.order_submit(order=order, actor=backdater)
    assert order.status == "confirmed"
    assert order.salesperson == (customer.owner or actor)
    return order


@pytest.fixture
def history(company, rep, make_user, make_customer, customer, goods):
    """``customer`` (the rep's): five order days by GAPS, G0+G1 on every order; another
    rep's customer with two orders of G2+G3."""
    for offset in GAPS:
        booked(
            company,
            rep,
            customer,
            DAY0 + datetime.timedelta(days=offset),
            [(goods[0], 2), (goods[1], 1)],
        )
    booked(company, rep, customer, DAY0 + datetime.timedelta(days=120), [(goods[0], 1)])
    other_rep = make_user(Role.SALES_REP, company, username="rep2")
    theirs = make_customer(company, actor=other_rep, name="Other Rep's Customer")
    for offset in (0, 30):
        booked(
            company,
            other_rep,
            theirs,
            DAY0 + datetime.timedelta(days=offset),
            [(goods[2], 1), (goods[3], 1)],
        )
    return {"mine": customer, "theirs": theirs, "other_rep": other_rep}


def test_the_sql_gives_the_hand_computed_rhythm(company, admin, history):
    stats = queries.customer_stats(queries.booked_orders(access_for(admin, company)))
    mine = stats[history["mine"].pk]
    assert (mine.orders, mine.days) == (6, 5)
    assert (mine.first, mine.last) == (DAY0, DAY0 + datetime.timedelta(days=120))
    assert (mine.median_gap, mine.q1_gap, mine.q3_gap) == (30.0, 20.0, 30.0)
    assert mine.amount == Decimal("160.00")  # 5 × (2 × 10 + 10) + 10, net
    assert mine.first_amount == Decimal("30.00")
    theirs = stats[history["theirs"].pk]
    assert (theirs.days, theirs.median_gap) == (2, 30.0)
    # RFM quintiles over the two: mine is the more recent, frequent and valuable
    assert (mine.r, mine.f, mine.m) == (2, 2, 2)
    assert (theirs.r, theirs.f, theirs.m) == (1, 1, 1)


def test_lapsing_list_by_the_customers_own_rhythm_with_its_explanation(company, rep, history):
    access = access_for(rep, company)
    today = DAY0 + datetime.timedelta(days=120 + 41)
    rows, as_of = selectors.habit_list(access, "lapsing", today=today)
    assert [(c.pk, r.standing) for c, r, _s in rows] == [(history["mine"].pk, Standing.LAPSING)]
    assert as_of is not None
    rhythm = rows[0][1]
    from ordercrm.core.documents import Formatter

    assert rhythm.explanation(Formatter("en")) == (
        "Orders every ~30 days (usually 20–30); last order 41 days ago, 11 days later than usual."
    )
    due, _ = selectors.habit_list(access, "due", today=DAY0 + datetime.timedelta(days=150))
    assert [c.pk for c, _r, _s in due] == [history["mine"].pk]


def test_a_rep_sees_only_the_habits_of_their_own_orders(company, rep, history):
    mine = access_for(rep, company)
    theirs = access_for(history["other_rep"], company)
    assert set(selectors.habit_stats(mine)[0]) == {history["mine"].pk}
    assert set(selectors.habit_stats(theirs)[0]) == {history["theirs"].pk}
    today = DAY0 + datetime.timedelta(days=161)
    assert selectors.habit_list(theirs, "lapsing", today=today)[0] == []
    assert selectors.customer_habits(theirs, history["mine"]) is None


def test_lists_cost_a_fixed_number_of_queries(company, rep, history, django_assert_max_num_queries):
    """One statement for every customer's figures, one for the customers shown, and the
    database cache's own reads and writes — however many customers and orders."""
    access = access_for(rep, company)
    with django_assert_max_num_queries(9):
        selectors.habit_list(access, "lapsing", today=DAY0 + datetime.timedelta(days=161))
    with django_assert_max_num_queries(2):  # cached: the cache read and the customers
        selectors.habit_list(access, "due", today=DAY0 + datetime.timedelta(days=161))


def test_pairs_count_baskets_and_leave_out_large_ones(company, rep, customer, goods, history):
    # one large basket with every product: left out when the cap is three products
    booked(company, rep, customer, DAY0 + datetime.timedelta(days=121), [(g, 1) for g in goods])
    baskets_n, singles, pairs = queries.product_pairs(company, since=DAY0, cap=3, min_count=1)
    assert baskets_n == 8  # 6 + 2 orders of two or one products
    g = [p.pk for p in goods]
    assert singles[g[0]] == 6
    assert singles[g[1]] == 5
    assert pairs[tuple(sorted((g[0], g[1])))] == 5
    assert pairs[tuple(sorted((g[2], g[3])))] == 2
    assert tuple(sorted((g[0], g[2]))) not in pairs  # only the capped basket had both
    everything = queries.product_pairs(company, since=DAY0, cap=25, min_count=1)
    assert everything[0] == 9
    assert everything[2][tuple(sorted((g[0], g[2])))] == 1


def test_habits_pages_for_a_rep(client, company, rep, history, goods):
    client.force_login(rep)
    page = client.get(reverse("habits_lapsing"))
    assert page.status_code == 200  # today is long after the history: lapsed
    assert "Customer" in page.content.decode()
    assert history["mine"].name in page.content.decode()
    assert history["theirs"].name not in page.content.decode()
    assert client.get(reverse("habits_demand")).status_code == 403  # no report rights
    detail = client.get(reverse("customer_detail", args=[history["mine"].pk]))
    text = detail.content.decode()
    assert 'id="habits"' in text
    assert "Orders every ~30 days" in text
    panel = client.get(
        reverse("habits_suggestions"), {"customer": history["mine"].pk, "sku": ["G1"]}
    )
    assert panel.status_code == 200
    assert "G0" in panel.content.decode()  # usually on their orders, not yet on this one


def test_demand_page_for_a_manager(client, company, manager, history, goods):
    client.force_login(manager)
    page = client.get(reverse("habits_demand"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "G0" in text
    assert "<svg" in text
    assert "cdn" not in text.lower()


@pytest.mark.parametrize(
    "params",
    [
        {"show": "nope"},
        {"show": "%00"},
        {"customer": "nope", "sku": ["x" * 5000]},
        {"customer": "00000000-0000-0000-0000-000000000000", "sku": ["", " ", "1e30"]},
    ],
)
def test_hostile_input_is_never_a_server_error(client, company, admin, history, params):
    client.force_login(admin)
    for name in ("habits_due", "habits_lapsing", "habits_demand", "habits_suggestions"):
        assert client.get(reverse(name), params).status_code == 200


def test_the_customer_panel_costs_the_same_for_a_longer_history(
    company, rep, customer, goods, history, django_assert_max_num_queries
):
    """The panel's figures: the cached statistics, two for the favourite products and the
    cached CLV models — the same count for 6 orders as for 16."""
    access = access_for(rep, company)
    selectors.customer_habits(access, customer)  # fills the caches
    with django_assert_max_num_queries(5) as few:
        assert selectors.customer_habits(access, customer) is not None
    for offset in range(10):
        booked(
            company, rep, customer, DAY0 + datetime.timedelta(days=130 + offset), [(goods[0], 1)]
        )
    cache.clear()
    selectors.customer_habits(access, customer)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert selectors.customer_habits(access, customer).rhythm.stats.orders == 16
