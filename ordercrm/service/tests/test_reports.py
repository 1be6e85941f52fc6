"""Service reports: complaint and return rates from the order lines' counters, response and
resolution times against the SLA in working hours, open cases by age; bounded queries."""

import datetime
from decimal import Decimal

import time_machine

from ordercrm.service import reports, services

TZ = datetime.timezone(datetime.timedelta(hours=8))


def test_rates_times_and_ages(company, agent, shipped_order, access_of, products, admin):
    lines = list(shipped_order.lines.order_by("position"))
    with time_machine.travel(datetime.datetime(2026, 11, 9, 9, tzinfo=TZ), tick=False):
        case = services.case_create(
            company=company,
            actor=agent,
            customer=shipped_order.customer,
            order=shipped_order,
            subject="Scratched",
            lines=[{"order_line_id": str(lines[1].pk), "quantity": "1"}],
        )
        services.case_create(
            company=company,
            actor=agent,
            customer=shipped_order.customer,
            subject="How do I install it?",
            case_type="question",
        )
    with time_machine.travel(datetime.datetime(2026, 11, 9, 11, tzinfo=TZ), tick=False):
        services.case_comment_add(case=case, actor=agent, body="On it.")
    with time_machine.travel(datetime.datetime(2026, 11, 10, 10, tzinfo=TZ), tick=False):
        services.case_action(case=case, actor=agent, action="resolve", note="Replaced")
    access = access_of(admin, company)
    period = reports.Period(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
    by_product = reports.complaint_rates(access, period, "product")
    [row] = by_product
    assert row.key == products[1].pk
    assert (row.shipped, row.complained, row.cases) == (Decimal("2"), Decimal("1"), 1)
    assert row.complaint_rate == Decimal("50.00")
    assert row.return_rate == Decimal("0.00")
    [customer_row] = reports.complaint_rates(access, period, "customer")
    assert customer_row.label == shipped_order.customer.name
    times = {t.priority: t for t in reports.response_times(access, period)}
    normal = times["normal"]
    assert (normal.cases, normal.responded, normal.resolved) == (2, 1, 1)
    assert normal.response_hours == Decimal("2.0")  # 09:00 → 11:00
    assert normal.resolution_hours == Decimal("9.0")  # Monday 9 h (8 working) + 1 h Tuesday
    assert normal.response_met_pct == Decimal("100.0")
    with time_machine.travel(datetime.datetime(2026, 11, 14, 9, tzinfo=TZ), tick=False):
        ages = {a["key"]: a["count"] for a in reports.open_by_age(access)}
    assert ages == {"0_1": 0, "1_3": 0, "3_7": 1, "7_30": 0, "30_plus": 0}


def test_a_bad_period_is_refused(company):
    import pytest

    from ordercrm.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):
        reports.Period.parse("2026-13-01", "", company)
    with pytest.raises(ValidationFailed):
        reports.Period.parse("2026-05-01", "2026-04-01", company)
