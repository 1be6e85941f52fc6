"""Editing a draft invoice before it is issued: lines lowered or removed give their quantity
back to the order line's invoiceable quantity, so the next invoice offers it again; amounts
stay exact to the cent; refusals change nothing."""

from decimal import Decimal

import pytest

from ordercrm.accounts import services as accounts
from ordercrm.billing import services
from ordercrm.billing.exceptions import (
    InvoiceEmpty,
    InvoiceStale,
    InvoiceState,
    OverInvoicing,
)
from ordercrm.billing.models import Invoice, InvoiceLine, InvoiceStatus
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales.models import SalesOrder, SalesOrderLine


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def rows(invoice):
    return list(
        InvoiceLine.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .order_by("position")
    )


def state(invoice):
    invoice = fresh(invoice)
    return (
        invoice.version,
        invoice.gross_total,
        [(x.quantity, x.gross) for x in rows(invoice)],
        [x.qty_invoiced for x in lines_of(invoice.order)],
    )


@pytest.fixture
def draft(finance, confirmed_order):
    order = confirmed_order("manual", (10, 4))
    return services.invoice_create(order=order, actor=finance)  # a draft of everything


def test_lowering_and_removing_gives_the_quantity_back(company, finance, draft):
    first, second = rows(draft)
    edited = services.invoice_lines_update(
        invoice=draft,
        actor=finance,
        version=draft.version,
        lines=[
            {"invoice_line_id": str(first.pk), "quantity": "6"},
            {"invoice_line_id": str(second.pk), "quantity": "0"},
        ],
    )
    assert [(x.quantity, x.net, x.tax) for x in rows(edited)] == [
        (6, Decimal("60.00"), Decimal("7.80"))
    ]
    assert (edited.net_total, edited.tax_total, edited.gross_total) == (
        Decimal("60.00"),
        Decimal("7.80"),
        Decimal("67.80"),
    )
    order = fresh(draft.order)
    assert [x.qty_invoiced for x in lines_of(order)] == [6, 0]
    # what was taken off is what the order offers to invoice next
    assert [sales_selectors.line_to_invoice(order, x) for x in lines_of(order)] == [4, 4]
    assert AuditEntry.all_objects.filter(entity_id=str(draft.pk), action="update_lines").exists()
    assert Event.objects.for_company(company).filter(type="invoice.draft_changed").count() == 1

    services.invoice_issue(invoice=edited, actor=finance)
    nxt = services.invoice_create(order=order, actor=finance, issue=True)
    assert [(x.quantity, x.order_line_id) for x in rows(nxt)] == [
        (4, lines_of(order)[0].pk),
        (4, lines_of(order)[1].pk),
    ]
    # the two invoices add up to the order to the cent
    assert fresh(edited).gross_total + nxt.gross_total == fresh(order).gross_total
    assert [x.qty_invoiced for x in lines_of(order)] == [10, 4]


def test_raising_is_bounded_by_what_is_left_and_the_tolerance(company, admin, finance, draft):
    first, _second = rows(draft)
    services.invoice_lines_update(
        invoice=draft, actor=finance, lines=[{"invoice_line_id": first.pk, "quantity": "5"}]
    )
    services.invoice_lines_update(
        invoice=draft, actor=finance, lines=[{"invoice_line_id": first.pk, "quantity": "10"}]
    )
    assert rows(fresh(draft))[0].gross == Decimal("113.00")
    before = state(draft)
    with pytest.raises(OverInvoicing):
        services.invoice_lines_update(
            invoice=draft, actor=finance, lines=[{"invoice_line_id": first.pk, "quantity": "10.5"}]
        )
    assert state(draft) == before
    accounts.company_update(company=company, actor=admin, billing_tolerance=Decimal("5"))
    services.invoice_lines_update(
        invoice=draft, actor=finance, lines=[{"invoice_line_id": first.pk, "quantity": "10.5"}]
    )
    assert rows(fresh(draft))[0].qty_over_invoiced == Decimal("0.5")


@pytest.mark.parametrize(
    "refusal",
    ["issued", "stale", "empty", "unknown_line", "negative", "not_finance"],
)
def test_refusals_change_nothing(company, rep, finance, draft, refusal):
    first, second = rows(draft)
    kwargs = {
        "invoice": draft,
        "actor": finance,
        "lines": [{"invoice_line_id": str(first.pk), "quantity": "1"}],
    }
    expected = {
        "issued": InvoiceState,
        "stale": InvoiceStale,
        "empty": InvoiceEmpty,
        "unknown_line": ValidationFailed,
        "negative": ValidationFailed,
        "not_finance": PermissionDenied,
    }[refusal]
    if refusal == "issued":
        services.invoice_issue(invoice=draft, actor=finance)
    elif refusal == "stale":
        kwargs["version"] = draft.version - 1
    elif refusal == "empty":
        kwargs["lines"] = [
            {"invoice_line_id": str(first.pk), "quantity": "0"},
            {"invoice_line_id": str(second.pk), "quantity": "0"},
        ]
    elif refusal == "unknown_line":
        kwargs["lines"] = [{"invoice_line_id": str(draft.order_id), "quantity": "1"}]
    elif refusal == "negative":
        kwargs["lines"] = [{"invoice_line_id": str(first.pk), "quantity": "-1"}]
    else:
        kwargs["actor"] = rep
    before = state(draft)
    with pytest.raises(expected) as refused:
        services.invoice_lines_update(**kwargs)
    assert refused.value.code == expected.code
    assert state(draft) == before


def test_an_unchanged_edit_writes_nothing(company, finance, draft):
    first, _second = rows(draft)
    before = state(draft)
    services.invoice_lines_update(
        invoice=draft, actor=finance, lines=[{"invoice_line_id": first.pk, "quantity": "10"}]
    )
    assert state(draft) == before
    assert not Event.objects.for_company(company).filter(type="invoice.draft_changed").exists()


def test_a_cancelled_edited_draft_gives_back_only_what_it_still_billed(finance, draft):
    _first, second = rows(draft)
    services.invoice_lines_update(
        invoice=draft, actor=finance, lines=[{"invoice_line_id": second.pk, "quantity": "0"}]
    )
    services.invoice_cancel(invoice=draft, actor=finance)
    assert fresh(draft).status == InvoiceStatus.CANCELLED
    assert [x.qty_invoiced for x in lines_of(draft.order)] == [0, 0]
    assert (
        SalesOrder.objects.for_company(draft.company_id).get(pk=draft.order_id).amount_invoiced == 0
    )
    assert Invoice.objects.for_company(draft.company_id).filter(order=draft.order).count() == 1
