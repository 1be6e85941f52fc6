"""Customer credit allocated to an invoice later (``billing.payment_allocate``) emits
``payment.allocated``; the worker applies it, so a collected-basis attainment moves on the
day of the allocation, and the incremental figures equal a rebuild's."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import Sum

from ordercrm.accounts.access import access_for
from ordercrm.analytics import performance, refresh, services
from ordercrm.analytics.models import SalesFact
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.core.models import Event

from .conftest import at

pytestmark = pytest.mark.django_db

D = Decimal


def _collected(company, **filters) -> Decimal:
    value = (
        SalesFact.objects.for_company(company)
        .filter(**filters)
        .aggregate(v=Sum("collected_base"))["v"]
    )
    return value or D(0)


def _drain(company) -> None:
    while refresh.process_company(company):
        pass


def test_allocating_credit_moves_collected_attainment(history):
    shop, _a, b, _c = history
    company, people = shop["company"], shop["people"]
    fin, west, admin = people["finance"], people["west"], people["admin"]
    invoice = Invoice.objects.for_company(company).get(order=b, kind=InvoiceKind.INVOICE)
    assert invoice.gross_total == D("113.00")
    with at("2026-03-02"):
        # money first, held as the customer's credit: nothing collected yet
        payment = billing.payment_record(
            company=company,
            actor=fin,
            customer=shop["pacific"],
            amount=D("113.00"),
            currency="USD",
            exchange_rate="7.2",  # the facts keep the order's 7.1
            method="bank_transfer",
            reference="PAC-1",
        )
        services.performance_basis_set(company=company, actor=admin, basis="collected")
        target = services.target_set(
            company=company,
            actor=admin,
            salesperson=west,
            period_kind="month",
            period_start=datetime.date(2026, 3, 1),
            value="1000",
        )
    _drain(company)
    march = {"day__gte": datetime.date(2026, 3, 1), "salesperson": west}
    assert _collected(company, **march) == 0
    access = access_for(admin, company)
    (before,) = performance.attainments(access, [target])
    assert before.actual == 0

    with at("2026-03-09"):
        billing.payment_allocate(
            payment=payment, actor=fin, allocations=[{"invoice": invoice, "amount": "113.00"}]
        )
    event = Event.objects.for_company(company).get(type="payment.allocated")
    assert event.entity_id == str(payment.pk)
    assert event.payload["order_ids"] == [str(b.pk)]
    assert event.payload["allocations"][0]["amount"] == "113.00"
    assert event.payload["unallocated"] == "0.00"

    assert refresh.process_company(company) >= 1
    # USD 100.00 net of the 113.00 gross, at the order's fixed 7.1, on the day allocated
    assert _collected(company, day=datetime.date(2026, 3, 9), salesperson=west) == D("710.00")
    (after,) = performance.attainments(access, [target])
    assert after.actual == D("710.00")
    assert after.percent == D("71.0")

    incremental = {
        (f.key, f.collected_base, f.invoiced_base) for f in SalesFact.objects.for_company(company)
    }
    refresh.rebuild(company)
    assert {
        (f.key, f.collected_base, f.invoiced_base) for f in SalesFact.objects.for_company(company)
    } == incremental


def test_refused_allocation_emits_nothing(history):
    from ordercrm.billing.exceptions import OverAllocation

    shop, _a, b, _c = history
    company, fin = shop["company"], shop["people"]["finance"]
    invoice = Invoice.objects.for_company(company).get(order=b, kind=InvoiceKind.INVOICE)
    with at("2026-03-02"):
        payment = billing.payment_record(
            company=company,
            actor=fin,
            customer=shop["pacific"],
            amount=D("50.00"),
            currency="USD",
            exchange_rate="7.2",  # the facts keep the order's 7.1
            method="bank_transfer",
            reference="PAC-2",
        )
        with pytest.raises(OverAllocation):
            billing.payment_allocate(
                payment=payment, actor=fin, allocations=[{"invoice": invoice, "amount": "60.00"}]
            )
    assert not Event.objects.for_company(company).filter(type="payment.allocated").exists()
