"""Reports, drill-down, targets and attainment on the hand-computed history of ``conftest``
(January: A 1,000.00 rep; B USD 100.00 = 710.00 west; C 300.00 split 60 / 40 rep / rep2;
February: 200.00 of A returned and credited), scoped by who looks."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.analytics import performance, refresh, services
from ordercrm.analytics import selectors as analytics
from ordercrm.analytics.models import Basis
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db

D = Decimal
JAN = datetime.date(2026, 1, 1)


@pytest.fixture
def applied(history):
    shop = history[0]
    while refresh.process_company(shop["company"]):
        pass
    return history


def _query(company, **raw):
    return analytics.ReportQuery.parse(raw, company)


def _by_name(report):
    return {row.label: row.value for row in report.rows}


def test_sales_by_salesperson_scoped_to_the_viewer(applied):
    shop = applied[0]
    company, people = shop["company"], shop["people"]
    query = _query(
        company,
        period="month",
        **{"from": "2026-01-01", "to": "2026-01-31"},
        by="salesperson",
        measure="booked",
    )
    # the admin (company scope) sees everyone; the manager of East sees East only
    everyone = _by_name(analytics.sales_report(access_for(people["admin"], company), query))
    assert everyone == {
        people["rep"].username: D("1180.00"),
        people["west"].username: D("710.00"),
        people["rep2"].username: D("120.00"),
    }
    east = _by_name(analytics.sales_report(access_for(people["manager"], company), query))
    assert east == {people["rep"].username: D("1180.00"), people["rep2"].username: D("120.00")}
    # a rep has no report_view: the reports refuse; their own page shows only their share
    with pytest.raises(PermissionDenied):
        analytics.sales_report(access_for(people["rep"], company), query)


def test_comparison_with_previous_period_and_last_year(applied):
    shop = applied[0]
    company, admin = shop["company"], shop["people"]["admin"]
    query = _query(
        company,
        period="month",
        **{"from": "2026-02-01", "to": "2026-02-28"},
        by="product",
        measure="invoiced",
    )
    report = analytics.sales_report(access_for(admin, company), query)
    assert report.previous_range == (JAN, datetime.date(2026, 1, 31))
    row = report.rows[0]
    # February: −200.00 credit; January: 1,000.00 + 710.00 invoiced
    assert (row.value, row.previous, row.last_year) == (D("-200.00"), D("1710.00"), D(0))
    assert row.change == D("-111.7")
    assert [(p.start, v) for p, v, _y in report.trend] == [
        (datetime.date(2026, 2, 1), D("-200.00"))
    ]
    assert report.as_of is not None


def test_pivot_cell_drills_down_to_its_orders(applied):
    shop, a, _b, c = applied
    company, people = shop["company"], shop["people"]
    access = access_for(people["admin"], company)
    query = _query(
        company,
        period="month",
        **{"from": "2026-01-01", "to": "2026-02-28"},
        by="salesperson",
        columns="period",
        measure="booked",
    )
    table = analytics.pivot(access, query)
    rep = people["rep"].pk
    assert table.value(rep, JAN) == D("1180.00")
    assert table.value(rep, datetime.date(2026, 2, 1)) == D("-200.00")
    orders = analytics.drill_down(access, query, {"salesperson": str(rep), "period": "2026-01-01"})
    assert [(o.number, o.value) for o in orders] == [
        (a.number, D("1000.00")),
        (c.number, D("180.00")),
    ]
    # by category × team, the other way round
    query = _query(
        company,
        **{"from": "2026-01-01", "to": "2026-01-31"},
        by="category",
        columns="team",
        measure="booked",
    )
    table = analytics.pivot(access, query)
    assert table.value(shop["tools"].pk, shop["east"].pk) == D("1300.00")
    assert table.value(shop["tools"].pk, shop["west"].pk) == D("710.00")


def test_bad_report_input_is_refused_clearly(shop):
    company = shop["company"]
    for raw in (
        {"period": "fortnight"},
        {"from": "2026-13-01"},
        {"from": "2026-03-01", "to": "2026-01-01"},
        {"measure": "profit"},
        {"by": "colour"},
    ):
        with pytest.raises(ValidationFailed):
            analytics.ReportQuery.parse(raw, company)
    access = access_for(shop["people"]["admin"], company)
    with pytest.raises(ValidationFailed):
        analytics.drill_down(access, _query(company), {"customer": "not-an-id"})


def test_targets_attainment_on_each_basis(applied):
    shop = applied[0]
    company, people = shop["company"], shop["people"]
    manager, rep = people["manager"], people["rep"]
    month = services.target_set(
        company=company,
        actor=manager,
        salesperson=rep,
        period_kind="month",
        period_start=datetime.date(2026, 1, 15),
        value="1500",
    )
    assert month.period_start == JAN
    quarter = services.target_set(
        company=company,
        actor=manager,
        team=shop["east"],
        period_kind="quarter",
        period_start=JAN,
        value="2000",
    )
    drills = services.target_set(
        company=company,
        actor=manager,
        salesperson=rep,
        period_kind="quarter",
        period_start=JAN,
        value="10",
        metric="quantity",
        category=shop["tools"],
    )
    access = access_for(manager, company)

    def figures():
        return {
            r.target.pk: r.actual for r in performance.attainments(access, [month, quarter, drills])
        }

    # invoiced (the default): January A 1,000.00; the quarter nets February's credit note
    assert figures() == {month.pk: D("1000.00"), quarter.pk: D("800.00"), drills.pk: D(8)}
    services.performance_basis_set(company=company, actor=manager, basis=Basis.BOOKED)
    # booked: rep 1,000 + 60 % of 300; East 1,300 − the 200.00 return; 10 + 1.8 − 2 drills
    assert figures() == {month.pk: D("1180.00"), quarter.pk: D("1100.00"), drills.pk: D("9.8")}
    services.performance_basis_set(company=company, actor=manager, basis=Basis.COLLECTED)
    assert figures()[month.pk] == D("800.00")
    (row,) = performance.attainments(access, [month])
    assert row.percent == D("53.3")


def test_leaderboard_and_appraisal_scope(applied):
    shop = applied[0]
    company, people = shop["company"], shop["people"]
    services.performance_basis_set(company=company, actor=people["admin"], basis=Basis.BOOKED)
    services.target_set(
        company=company,
        actor=people["admin"],
        salesperson=people["rep2"],
        period_kind="month",
        period_start=JAN,
        value="100",
    )
    services.target_set(
        company=company,
        actor=people["admin"],
        salesperson=people["rep"],
        period_kind="month",
        period_start=JAN,
        value="2360",
    )
    standings, basis = performance.leaderboard(access_for(people["admin"], company), "month", JAN)
    assert basis == Basis.BOOKED
    assert [(s.name, s.actual, s.percent) for s in standings] == [
        (people["rep2"].username, D("120.00"), D("120.0")),
        (people["rep"].username, D("1180.00"), D("50.0")),
        (people["west"].username, D("710.00"), None),
    ]
    east, _basis = performance.leaderboard(access_for(people["manager"], company), "month", JAN)
    assert {s.name for s in east} == {people["rep"].username, people["rep2"].username}


def test_target_rules(applied):
    shop = applied[0]
    company, people = shop["company"], shop["people"]
    with pytest.raises(PermissionDenied):
        services.target_set(
            company=company,
            actor=people["rep"],
            salesperson=people["rep"],
            period_kind="month",
            period_start=JAN,
            value="1",
        )
    for bad in (
        {"salesperson": people["rep"], "team": shop["east"]},
        {"salesperson": people["rep"], "value": "-5"},
        {"salesperson": people["rep"], "period_kind": "week"},
        {"salesperson": "nobody"},
    ):
        values = {"period_kind": "month", "period_start": JAN, "value": "10", **bad}
        with pytest.raises(ValidationFailed):
            services.target_set(company=company, actor=people["manager"], **values)
    services.target_set(
        company=company,
        actor=people["manager"],
        salesperson=people["rep"],
        period_kind="month",
        period_start=JAN,
        value="10",
    )
    from ordercrm.analytics.exceptions import TargetExists

    with pytest.raises(TargetExists):
        services.target_set(
            company=company,
            actor=people["manager"],
            salesperson=people["rep"],
            period_kind="month",
            period_start=datetime.date(2026, 1, 20),
            value="20",
        )
