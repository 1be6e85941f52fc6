"""Billing tolerance: a line may be invoiced beyond its invoiceable quantity by at most
``Company.billing_tolerance`` %; beyond it ``billing.over_invoicing`` and nothing changes;
within it the excess is kept on the invoice line and shown."""

from decimal import Decimal

import pytest

from ordercrm.accounts import services as accounts
from ordercrm.billing import services
from ordercrm.billing.exceptions import OverInvoicing
from ordercrm.billing.models import Invoice, InvoiceLine
from ordercrm.billing.selectors import render_invoice_pdf
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import Company
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales.models import SalesOrderLine


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def state(order):
    return (
        [(x.qty_invoiced, x.qty_credited) for x in lines_of(order)],
        Invoice.objects.for_company(order.company_id).filter(order=order).count(),
    )


def set_tolerance(company, admin, percent):
    return accounts.company_update(company=company, actor=admin, billing_tolerance=Decimal(percent))


def test_default_tolerance_is_zero_and_refuses_any_excess(company, finance, confirmed_order):
    assert Company.objects.get(pk=company.pk).billing_tolerance == 0
    order = confirmed_order("manual", (10,))
    [line] = lines_of(order)
    before = state(order)
    with pytest.raises(OverInvoicing) as refused:
        services.invoice_create(
            order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "10.01"}]
        )
    assert refused.value.code == "billing.over_invoicing"
    assert refused.value.details["tolerance"] == "0"
    assert refused.value.details["lines"][0]["allowed"] == "10"
    assert state(order) == before  # nothing changed


def test_within_tolerance_is_accepted_and_kept_on_the_line(
    company, admin, finance, confirmed_order
):
    set_tolerance(company, admin, "10")
    order = confirmed_order("manual", (10,))
    [line] = lines_of(order)
    invoice = services.invoice_create(
        order=order,
        actor=finance,
        lines=[{"order_line_id": str(line.pk), "quantity": "11"}],
        issue=True,
    )
    [billed] = InvoiceLine.objects.for_company(company).filter(invoice=invoice)
    assert billed.quantity == 11
    assert billed.qty_over_invoiced == 1
    # the order line's 100.00 + 13.00 exactly, and the excess in proportion
    assert (billed.net, billed.tax, billed.gross) == (
        Decimal("110.00"),
        Decimal("14.30"),
        Decimal("124.30"),
    )
    assert lines_of(order)[0].qty_invoiced == 11
    pdf = render_invoice_pdf(invoice, "en")
    assert pdf.startswith(b"%PDF")


def test_beyond_tolerance_is_refused_after_earlier_invoices(
    company, admin, finance, confirmed_order
):
    set_tolerance(company, admin, "5")
    order = confirmed_order("manual", (10,))
    [line] = lines_of(order)
    services.invoice_create(
        order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "8"}]
    )
    before = state(order)
    with pytest.raises(OverInvoicing) as refused:  # 8 + 2.6 > 10 × 1.05
        services.invoice_create(
            order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "2.6"}]
        )
    assert refused.value.details["lines"][0]["allowed"] == "2.5"
    assert state(order) == before
    second = services.invoice_create(
        order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "2.5"}]
    )
    [billed] = InvoiceLine.objects.for_company(company).filter(invoice=second)
    assert billed.qty_over_invoiced == Decimal("0.5")


def test_tolerance_counts_the_shipped_quantity_on_shipment_policy(
    company, admin, finance, keeper, confirmed_order
):
    set_tolerance(company, admin, "10")
    order = confirmed_order("on_shipment", (10,))
    [line] = lines_of(order)
    fulfilment.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": 4}],
        dispatch=True,
    )  # the automatic invoice bills the 4 shipped; nothing beyond it
    assert lines_of(order)[0].qty_invoiced == 4
    with pytest.raises(OverInvoicing):  # 10 % of the 4 shipped is 0.4
        services.invoice_create(
            order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "0.5"}]
        )
    services.invoice_create(
        order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": "0.4"}]
    )


def test_automatic_invoices_never_use_the_tolerance(company, admin, confirmed_order):
    set_tolerance(company, admin, "50")
    order = confirmed_order("on_order", (10, 4))
    assert [x.qty_invoiced for x in lines_of(order)] == [10, 4]
    assert not InvoiceLine.objects.for_company(company).filter(qty_over_invoiced__gt=0).exists()


@pytest.mark.parametrize("value", ["-1", "100.01"])
def test_tolerance_setting_is_bounded(company, admin, value):
    with pytest.raises(ValidationFailed) as refused:
        set_tolerance(company, admin, value)
    assert "billing_tolerance" in refused.value.details["fields"]
    assert Company.objects.get(pk=company.pk).billing_tolerance == 0
