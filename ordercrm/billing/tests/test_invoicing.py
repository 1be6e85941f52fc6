"""Invoices by policy, partial invoices, credit notes, cancellation: counters and money exact."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.billing import services
from ordercrm.billing.exceptions import (
    InvoiceState,
    NothingToInvoice,
    OverCredit,
    OverInvoicing,
)
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from ordercrm.billing.selectors import invoice_lines
from ordercrm.core.exceptions import PermissionDenied
from ordercrm.core.models import Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales.models import SalesOrder, SalesOrderLine


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def counters(order):
    return [(line.qty_invoiced, line.qty_credited) for line in lines_of(order)]


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def test_on_order_invoices_everything_at_confirmation(company, confirmed_order):
    order = confirmed_order("on_order")
    [invoice] = Invoice.objects.for_company(company).filter(order=order)
    year = invoice.issue_date.year
    assert invoice.number == f"INV-{year}-000001"
    assert invoice.status == InvoiceStatus.ISSUED
    assert invoice.gross_total == fresh(order).gross_total
    assert invoice.due_date == invoice.issue_date + datetime.timedelta(days=30)
    assert counters(order) == [(10, 0), (4, 0)]
    assert fresh(order).amount_invoiced == invoice.gross_total
    assert Event.objects.for_company(company).filter(type="invoice.issued").count() == 1
    assert services.invoice_for_order(order=order) is None  # nothing billed twice


def test_on_shipment_invoices_each_dispatched_shipment_once(company, keeper, confirmed_order):
    order = confirmed_order("on_shipment")
    first, _second = lines_of(order)
    assert not Invoice.objects.for_company(company).filter(order=order).exists()
    one = fulfilment.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(first.pk), "quantity": 6}],
        dispatch=True,
    )
    [invoice] = Invoice.objects.for_company(company).filter(shipment=one)
    assert [(x.order_line_id, x.quantity) for x in invoice_lines(invoice)] == [(first.pk, 6)]
    assert services.invoice_for_shipment(shipment=one) is None
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    assert Invoice.objects.for_company(company).filter(order=order).count() == 2
    assert counters(order) == [(10, 0), (4, 0)]
    total = sum(i.gross_total for i in Invoice.objects.for_company(company).filter(order=order))
    assert total == fresh(order).gross_total  # partial invoices add up to the cent


def test_manual_invoice_of_chosen_lines_and_over_invoicing(company, finance, confirmed_order):
    order = confirmed_order("manual")
    first, second = lines_of(order)
    invoice = services.invoice_create(
        order=order, actor=finance, lines=[{"order_line_id": str(first.pk), "quantity": "3"}]
    )
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.number == ""
    with pytest.raises(OverInvoicing):
        services.invoice_create(
            order=order, actor=finance, lines=[{"order_line_id": str(first.pk), "quantity": "8"}]
        )
    services.invoice_issue(invoice=invoice, actor=finance)
    assert fresh(invoice).number.startswith("INV-")
    assert services.invoice_issue(invoice=invoice, actor=finance).number == fresh(invoice).number
    rest = services.invoice_create(order=order, actor=finance, issue=True)
    assert [(x.order_line_id, x.quantity) for x in invoice_lines(rest)] == [
        (first.pk, 7),
        (second.pk, 4),
    ]
    with pytest.raises(NothingToInvoice):
        services.invoice_create(order=order, actor=finance)


def test_sales_reps_cannot_invoice(rep, confirmed_order):
    with pytest.raises(PermissionDenied):
        services.invoice_create(order=confirmed_order("manual"), actor=rep)


def test_partial_invoice_credit_note_invoice_again_keeps_every_counter_exact(
    company, finance, confirmed_order
):
    order = confirmed_order("manual", quantities=(10, 3))
    first, second = lines_of(order)
    part = services.invoice_create(
        order=order,
        actor=finance,
        lines=[
            {"order_line_id": str(first.pk), "quantity": 6},
            {"order_line_id": str(second.pk), "quantity": 1},
        ],
        issue=True,
    )
    assert counters(order) == [(6, 0), (1, 0)]
    line = next(x for x in invoice_lines(part) if x.order_line_id == first.pk)
    note = services.credit_note_create(
        invoice=part,
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": 2}],
        reason="2 units damaged",
    )
    assert note.kind == InvoiceKind.CREDIT_NOTE
    assert note.number.startswith("CN-")
    assert counters(order) == [(6, 2), (1, 0)]
    # "everything left" never bills the credited units again …
    again = services.invoice_create(order=order, actor=finance, issue=True)
    assert {x.order_line_id: x.quantity for x in invoice_lines(again)} == {
        first.pk: 4,
        second.pk: 2,
    }
    assert counters(order) == [(10, 2), (3, 0)]
    with pytest.raises(NothingToInvoice):
        services.invoice_create(order=order, actor=finance, issue=True)
    # … only naming them line by line re-bills them, on purpose
    services.invoice_create(
        order=order,
        actor=finance,
        lines=[{"order_line_id": str(first.pk), "quantity": 2}],
        issue=True,
    )
    assert counters(order) == [(12, 2), (3, 0)]
    # money: what was billed net of credits equals each order line to the cent
    for order_line in lines_of(order):
        billed = sum(
            (x.net if x.invoice.kind == "invoice" else -x.net)
            for x in InvoiceLine.objects.for_company(company)
            .filter(order_line=order_line)
            .select_related("invoice")
        )
        assert billed == order_line.net
    assert fresh(part).amount_credited == note.gross_total
    assert fresh(order).amount_invoiced == fresh(order).gross_total


def test_credit_limits_and_zero_quantity(finance, confirmed_order):
    order = confirmed_order("on_order", quantities=(5,))
    invoice = Invoice.objects.for_company(order.company_id).get(order=order)
    [line] = invoice_lines(invoice)
    with pytest.raises(OverCredit):
        services.credit_note_create(
            invoice=invoice, actor=finance, lines=[{"invoice_line_id": str(line.pk), "quantity": 6}]
        )
    note = services.credit_note_create(
        invoice=invoice,
        actor=finance,
        lines=[{"invoice_line_id": str(line.pk), "quantity": 5}],
    )
    assert note.gross_total == invoice.gross_total  # fully credited: exactly the invoice
    from ordercrm.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed):  # a zero-quantity line credits nothing
        services.credit_note_create(
            invoice=invoice, actor=finance, lines=[{"invoice_line_id": str(line.pk), "quantity": 0}]
        )
    # automatic invoicing never bills the credited quantity again
    assert services.invoice_for_order(order=order) is None
    assert counters(order) == [(5, 5)]


def test_cancel_gives_quantities_back_only_while_unpaid(
    company, finance, customer, confirmed_order
):
    order = confirmed_order("manual", quantities=(4,))
    invoice = services.invoice_create(order=order, actor=finance, issue=True)
    number = fresh(invoice).number
    services.invoice_cancel(invoice=invoice, actor=finance, reason="wrong address")
    assert counters(order) == [(0, 0)]
    assert fresh(invoice).number == number  # the number stays used: no gap, no reuse
    again = services.invoice_create(order=order, actor=finance, issue=True)
    assert fresh(again).number != number
    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount="1.00",
        currency="CNY",
        method="bank_transfer",
        allocations=[{"invoice": again, "amount": "1.00"}],
    )
    with pytest.raises(InvoiceState):
        services.invoice_cancel(invoice=again, actor=finance)


def test_invoice_numbers_are_gap_free_with_drafts_and_cancellations(finance, confirmed_order):
    order = confirmed_order("manual", quantities=(10,))
    [line] = lines_of(order)
    numbers = []
    for _ in range(3):
        draft = services.invoice_create(
            order=order, actor=finance, lines=[{"order_line_id": str(line.pk), "quantity": 1}]
        )
        services.invoice_cancel(invoice=draft, actor=finance)  # a cancelled draft takes no number
        issued = services.invoice_create(
            order=order,
            actor=finance,
            lines=[{"order_line_id": str(line.pk), "quantity": 1}],
            issue=True,
        )
        numbers.append(int(fresh(issued).number.rsplit("-", 1)[1]))
    assert numbers == [1, 2, 3]


def test_order_completes_when_shipped_invoiced_and_paid(
    company, keeper, finance, customer, confirmed_order
):
    order = confirmed_order("on_shipment", quantities=(2,))
    fulfilment.shipment_create(order=order, actor=keeper, dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order)
    services.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=invoice.gross_total,
        currency="CNY",
        method="alipay",
        allocations=[{"invoice": invoice, "amount": invoice.gross_total}],
    )
    assert fresh(order).status == "completed"
    assert fresh(invoice).status == InvoiceStatus.PAID


def test_money_stays_exact_for_awkward_quantities(
    company, rep, finance, customer, make_product, stocked
):
    from ordercrm.sales import services as sales

    odd = make_product(company, sku="ODD", list_price=Decimal("0.3333"))
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="manual",
            lines=[{"product": odd, "quantity": 7}],
        ),
        actor=rep,
    )
    [line] = lines_of(order)
    parts = []
    for quantity in (1, 1, 2, 3):
        parts.append(
            services.invoice_create(
                order=order,
                actor=finance,
                lines=[{"order_line_id": str(line.pk), "quantity": quantity}],
                issue=True,
            )
        )
    assert sum(p.net_total for p in parts) == line.net
    assert sum(p.tax_total for p in parts) == line.tax
    assert sum(p.gross_total for p in parts) == line.gross
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).amount_invoiced == line.gross
