"""Advance terms: payment terms with a required advance % block dispatch until that share of
the order is paid (``fulfilment.advance_unpaid``, nothing changes), and the advance is kept
for the order's final invoice, from which it is deducted."""

from decimal import Decimal

import pytest

from ordercrm.billing import services
from ordercrm.billing.models import Invoice, Payment
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.customers import services as customer_services
from ordercrm.customers.payment_terms import payment_term_create, payment_term_update
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.exceptions import AdvanceUnpaid
from ordercrm.fulfilment.models import Shipment
from ordercrm.sales.models import SalesOrder, SalesOrderLine


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


@pytest.fixture
def advance_terms(company, admin):
    return payment_term_create(
        company=company,
        actor=admin,
        name="30 % advance, rest net 30",
        advance_percent="30",
        lines=[{"percent": "100", "days": 30}],
    )


@pytest.fixture
def order(company, finance, customer, advance_terms, confirmed_order):
    customer_services.customer_update(customer=customer, actor=finance, payment_terms=advance_terms)
    return confirmed_order("on_shipment", (10,))  # 113.00, advance 33.90


def pay_advance(company, finance, customer, order, amount):
    return services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=amount,
        currency="CNY",
        method="bank_transfer",
        order=order,
    )


def test_dispatch_waits_for_the_advance(company, keeper, finance, customer, order):
    assert fresh(order).payment_terms.describe() == (
        "advance 30 % before dispatch; 100 % 30 days after the invoice date"
    )
    [line] = lines_of(order)
    with pytest.raises(AdvanceUnpaid) as refused:
        fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert refused.value.code == "fulfilment.advance_unpaid"
    assert refused.value.details == {
        "required": "33.9",
        "paid": "0",
        "currency": "CNY",
        "advance_percent": "30",
    }
    # nothing changed: no shipment, nothing shipped or invoiced
    assert not Shipment.objects.for_company(company).filter(order=order).exists()
    assert lines_of(order)[0].qty_shipped == 0
    assert not Invoice.objects.for_company(company).filter(order=order).exists()
    # a draft shipment may be prepared; it is its dispatch that waits
    draft = fulfilment.shipment_create(order=order, actor=keeper)
    pay_advance(company, finance, customer, order, "33.00")  # not quite
    with pytest.raises(AdvanceUnpaid):
        fulfilment.shipment_dispatch(shipment=draft, actor=keeper)
    pay_advance(company, finance, customer, order, "0.90")
    fulfilment.shipment_dispatch(shipment=draft, actor=keeper)
    assert lines_of(order)[0].qty_shipped == 10
    assert line.pk == lines_of(order)[0].pk


def test_the_advance_is_deducted_from_the_final_invoice(company, keeper, finance, customer, order):
    [line] = lines_of(order)
    advance = pay_advance(company, finance, customer, order, "33.90")
    first = fulfilment.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": 6}],
        dispatch=True,
    )
    partial = Invoice.objects.for_company(company).get(shipment=first)
    assert partial.gross_total == Decimal("67.80")
    assert partial.amount_paid == 0  # the advance is kept for the final invoice
    assert fresh(advance).unallocated == Decimal("33.90")
    # a payment for the order while something is left to invoice stays an advance too
    pay_advance(company, finance, customer, order, "10.00")
    assert fresh(partial).amount_paid == 0
    second = fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    final = Invoice.objects.for_company(company).get(shipment=second)
    assert final.gross_total == Decimal("45.20")
    assert final.amount_paid == Decimal("43.90")  # both advances deducted
    assert final.open_amount == Decimal("1.30")
    assert fresh(order).amount_paid == Decimal("43.90")
    assert sum(p.unallocated for p in Payment.objects.for_company(company).filter(order=order)) == 0


def test_terms_without_an_advance_dispatch_at_once(company, keeper, confirmed_order):
    order = confirmed_order("on_shipment", (2,))
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert lines_of(order)[0].qty_shipped == 2
    assert (
        SalesOrder.objects.for_company(company).get(pk=order.pk).payment_terms.advance_percent == 0
    )


@pytest.mark.parametrize("value", ["-1", "100.5", "abc"])
def test_advance_percent_is_bounded(company, admin, advance_terms, value):
    with pytest.raises(ValidationFailed) as refused:
        payment_term_update(term=advance_terms, actor=admin, advance_percent=value)
    assert "advance_percent" in refused.value.details["fields"]
    assert fresh(advance_terms).advance_percent == 30


def test_shipping_after_payment_waits_for_the_whole_total(
    company, rep, keeper, finance, customer, stocked
):
    from ordercrm.fulfilment.exceptions import PaymentFirst
    from ordercrm.sales import services as sales

    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        shipping_policy="after_payment",
        invoicing_policy="manual",
        lines=[{"product": stocked[0], "quantity": 10}],
    )
    order = sales.order_submit(order=draft, actor=rep)  # 113.00
    pay_advance(company, finance, customer, order, "100.00")
    with pytest.raises(PaymentFirst) as refused:
        fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert refused.value.code == "fulfilment.payment_first"
    assert (refused.value.details["required"], refused.value.details["paid"]) == ("113", "100")
    assert not Shipment.objects.for_company(company).filter(order=order).exists()
    pay_advance(company, finance, customer, order, "13.00")
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert lines_of(order)[0].qty_shipped == 10
