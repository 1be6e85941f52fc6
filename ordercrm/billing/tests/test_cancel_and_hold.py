"""Cancel and hold keep the books right.

- Cancelling an order with issued invoices is refused by default (``sales.cancel_has_invoices``,
  nothing changes); with ``credit_invoices`` (finance) the invoices are credited in full in
  the same transaction, to the cent.
- Advances paid on a cancelled order become customer credit: re-applicable, refundable.
- Draft shipments and draft invoices of a cancelled order are cancelled, reservations released.
- On hold, every invoicing and dispatch path is refused (``sales.order_on_hold``).
"""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import services
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from ordercrm.core.exceptions import DomainError
from ordercrm.core.models import AuditEntry, Company, Event
from ordercrm.core.money import plain
from ordercrm.customers.models import Customer
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import Shipment, ShipmentStatus
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import Reservation, StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


@pytest.fixture(autouse=True)
def _ledger_holds(db):
    """After every test: on_hand = Σ moves and reserved = Σ reservations."""
    yield
    for company in Company.objects.all():
        assert inventory_selectors.ledger_discrepancies(company) == []


def fresh(obj):
    return type(obj).objects.for_company(obj.company_id).get(pk=obj.pk)


def state(company) -> dict:
    """Everything a refused cancel or invoice must leave as it was."""

    def rows(model, *fields):
        return sorted(
            tuple(str(v) for v in row)
            for row in model.objects.for_company(company).values_list("pk", *fields)
        )

    return {
        "orders": rows(SalesOrder, "status", "version", "amount_invoiced", "amount_paid"),
        "lines": rows(
            SalesOrderLine, "qty_reserved", "qty_shipped", "qty_invoiced", "qty_credited"
        ),
        "invoices": rows(Invoice, "kind", "status", "number", "amount_paid", "amount_credited"),
        "payments": rows(Payment, "order_id", "amount_allocated", "amount_refunded"),
        "customers": rows(Customer, "receivable_balance", "advance_balance"),
        "shipments": rows(Shipment, "status"),
        "stock": rows(StockLevel, "on_hand", "reserved"),
        "reservations": rows(Reservation, "quantity"),
        "audit": AuditEntry.objects.for_company(company).count(),
        "events": Event.objects.for_company(company).count(),
    }


def refused(code: str, company, call):
    before = state(company)
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code
    assert state(company) == before
    return caught.value


@pytest.fixture
def odd_order(company, rep, customer, make_product, keeper):
    """A confirmed order of awkward prices: 7 × 3.3333 and 3 × 0.07 (untracked), 3 % off."""
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse

    a = make_product(company, sku="ODD-A", list_price=Decimal("3.3333"))
    b = make_product(company, sku="ODD-B", list_price=Decimal("0.0700"), is_stock_tracked=False)
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": a, "quantity": 100}],
    )

    def make(policy="manual"):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy=policy,
            lines=[{"product": a, "quantity": 7}, {"product": b, "quantity": 3}],
            discount_percent="3",
        )
        return sales.order_submit(order=order, actor=rep)

    return make


@pytest.fixture
def controller(make_user, company):
    """Finance authority with the right to cancel orders too (an admin here)."""
    return make_user(Role.ADMIN, company, username="controller")


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def pay(company, finance, customer, amount, **extra):
    extra.setdefault("currency", "CNY")
    extra.setdefault("method", "bank_transfer")
    return services.payment_record(
        company=company, actor=finance, customer=customer, amount=amount, **extra
    )


# ---------------------------------------------------------------- issued invoices


@pytest.mark.parametrize("paid", ["0", "50.00", "all"])
def test_cancel_with_an_issued_invoice_is_refused_and_changes_nothing(
    company, manager, finance, customer, confirmed_order, paid
):
    order = confirmed_order("on_order", quantities=(10, 4))  # invoiced at confirmation
    invoice = Invoice.objects.for_company(company).get(order=order)
    amount = invoice.gross_total if paid == "all" else Decimal(paid)
    if amount:
        pay(
            company, finance, customer, amount, allocations=[{"invoice": invoice, "amount": amount}]
        )
    error = refused(
        "sales.cancel_has_invoices",
        company,
        lambda: sales.order_cancel(order=order, actor=manager, reason="customer withdrew"),
    )
    assert invoice.number in error.text
    assert error.details["invoices"] == [
        {
            "id": str(invoice.pk),
            "number": invoice.number,
            "gross_total": plain(invoice.gross_total),
            "amount_credited": "0",
            "amount_paid": plain(amount),
        }
    ]


def test_a_fully_credited_invoice_no_longer_blocks_the_cancel(
    company, manager, finance, customer, confirmed_order
):
    order = confirmed_order("on_order", quantities=(10,))
    invoice = Invoice.objects.for_company(company).get(order=order)
    line = invoice.lines.get()
    services.credit_note_create(
        invoice=invoice, actor=finance, lines=[{"invoice_line_id": str(line.pk), "quantity": 10}]
    )
    assert sales.order_cancel(order=order, actor=manager).status == Status.CANCELLED


def test_credit_invoices_needs_finance_authority(company, manager, confirmed_order):
    order = confirmed_order("on_order", quantities=(10,))
    refused(
        "core.permission_denied",
        company,
        lambda: sales.order_cancel(order=order, actor=manager, credit_invoices=True),
    )


def test_cancel_with_credit_invoices_credits_every_open_amount_to_the_cent(
    company, controller, finance, customer, odd_order
):
    order = odd_order("manual")
    a, b = lines_of(order)
    first = services.invoice_create(
        order=order,
        actor=finance,
        lines=[
            {"order_line_id": str(a.pk), "quantity": 3},
            {"order_line_id": str(b.pk), "quantity": 1},
        ],
        issue=True,
    )
    second = services.invoice_create(order=order, actor=finance, issue=True)  # the rest
    services.credit_note_create(
        invoice=first,
        actor=finance,
        lines=[{"invoice_line_id": str(first.lines.get(order_line=a).pk), "quantity": 1}],
    )
    first = fresh(first)
    pay(company, finance, customer, "5.00", allocations=[{"invoice": first, "amount": "5.00"}])
    advance = pay(company, finance, customer, "2.50", order=order, method="alipay")
    assert fresh(advance).amount_allocated == Decimal("2.50")  # applied to the open invoice
    order = fresh(order)
    open_before = {i.pk: i.gross_total - i.amount_credited for i in (fresh(first), fresh(second))}

    cancelled = sales.order_cancel(
        order=order, actor=controller, reason="customer withdrew", credit_invoices=True
    )

    assert cancelled.status == Status.CANCELLED
    notes = list(
        Invoice.objects.for_company(company).filter(kind=InvoiceKind.CREDIT_NOTE, order=order)
    )
    new_notes = [n for n in notes if "cancelled" in n.reason]
    assert {n.credited_invoice_id: n.gross_total for n in new_notes} == open_before
    for invoice in (fresh(first), fresh(second)):
        assert invoice.amount_credited == invoice.gross_total
        assert invoice.amount_paid == 0
    for line in lines_of(order):
        assert line.qty_credited == line.qty_invoiced  # nothing is billed any more
        assert line.qty_reserved == 0
    order = fresh(order)
    assert order.amount_invoiced == Decimal("0")
    assert order.amount_paid == Decimal("0")
    # the order's totals are what they were: a cancelled order keeps its amounts
    assert order.gross_total == cancelled.gross_total
    customer = fresh(customer)
    assert customer.receivable_balance == Decimal("0")
    assert customer.advance_balance == Decimal("7.50")  # every yuan received is credit now
    assert (
        list(Payment.objects.for_company(company).filter(order=order).values_list("pk", flat=True))
        == []
    )
    types = list(Event.objects.for_company(company).values_list("type", flat=True))
    assert types.count("credit_note.issued") == 3
    assert "payment.advance_released" in types


def test_draft_invoices_and_shipments_are_cancelled_with_the_order(
    company, manager, finance, keeper, confirmed_order
):
    order = confirmed_order("manual", quantities=(10, 4))
    draft = services.invoice_create(order=order, actor=finance)  # not issued
    shipment = fulfilment.shipment_create(order=order, actor=keeper)
    p0 = StockLevel.objects.for_company(company).get(product=lines_of(order)[0].product)
    assert p0.reserved == 10

    sales.order_cancel(order=order, actor=manager, reason="no longer needed")

    assert fresh(draft).status == InvoiceStatus.CANCELLED
    assert fresh(shipment).status == ShipmentStatus.CANCELLED
    assert fresh(p0).reserved == 0
    assert not Reservation.objects.for_company(company).exists()
    assert [(line.qty_invoiced, line.qty_reserved) for line in lines_of(order)] == [(0, 0), (0, 0)]
    events = Event.objects.for_company(company)
    assert events.filter(type="shipment.cancelled", entity_id=str(shipment.pk)).count() == 1
    assert events.filter(type="invoice.cancelled", entity_id=str(draft.pk)).count() == 1
    with pytest.raises(DomainError) as caught:  # and it can no longer be dispatched
        fulfilment.shipment_dispatch(shipment=shipment, actor=keeper)
    assert caught.value.code == "fulfilment.invalid_shipment_state"


# ---------------------------------------------------------------- advances


def test_an_advance_on_a_cancelled_order_becomes_credit_to_reapply_and_refund(
    company, manager, finance, customer, confirmed_order
):
    order = confirmed_order("on_shipment", quantities=(10,))  # nothing invoiced yet
    advance = pay(company, finance, customer, "500.00", order=order, reference="ADV-1")
    assert fresh(order).amount_paid == Decimal("500.00")

    sales.order_cancel(order=order, actor=manager)

    advance = fresh(advance)
    assert advance.order_id is None
    assert advance.unallocated == Decimal("500.00")
    assert fresh(order).amount_paid == 0  # the cancelled order is not "paid"
    assert fresh(customer).advance_balance == Decimal("500.00")
    entry = AuditEntry.objects.for_company(company).get(action="release_advance")
    assert entry.changes["order"] == [order.number, None]
    error = refused(  # and no new advance gets stuck on it
        "core.validation_failed",
        company,
        lambda: pay(company, finance, customer, "10.00", order=order),
    )
    assert "order" in error.details["fields"]

    # re-applied to another order's invoice …
    other = confirmed_order("on_order", quantities=(10,))  # 113.00
    invoice = Invoice.objects.for_company(company).get(order=other)
    services.payment_allocate(
        payment=advance, actor=finance, allocations=[{"invoice": invoice, "amount": "113.00"}]
    )
    assert fresh(invoice).status == InvoiceStatus.PAID
    assert fresh(customer).advance_balance == Decimal("387.00")
    # … and the rest refunded
    refund = services.payment_refund(
        payment=advance, amount="387.00", reason="order cancelled", actor=finance
    )
    assert refund.number.startswith("RF-")
    advance = fresh(advance)
    assert (advance.amount_allocated, advance.amount_refunded, advance.unallocated) == (
        Decimal("113.00"),
        Decimal("387.00"),
        Decimal("0"),
    )
    assert fresh(customer).advance_balance == Decimal("0")


# ---------------------------------------------------------------- hold


def test_on_hold_no_path_invoices_or_dispatches(company, manager, finance, keeper, confirmed_order):
    manual = confirmed_order("manual", quantities=(10, 4))
    on_shipment = confirmed_order("on_shipment", quantities=(2,))
    first_line = lines_of(manual)[0]
    draft_invoice = services.invoice_create(  # part of it, so more could be invoiced
        order=manual, actor=finance, lines=[{"order_line_id": str(first_line.pk), "quantity": 1}]
    )
    draft_shipment = fulfilment.shipment_create(order=on_shipment, actor=keeper)
    for order in (manual, on_shipment):
        sales.order_hold(order=order, actor=manager, reason="customer dispute")
    attempts = {
        "invoice_create": lambda: services.invoice_create(order=manual, actor=finance, issue=True),
        "invoice_issue": lambda: services.invoice_issue(invoice=draft_invoice, actor=finance),
        "shipment_create": lambda: fulfilment.shipment_create(order=manual, actor=keeper),
        "shipment_dispatch": lambda: fulfilment.shipment_dispatch(
            shipment=draft_shipment, actor=keeper
        ),
        "on_shipment_hook": lambda: services.invoice_for_shipment(shipment=draft_shipment),
    }
    for name, attempt in attempts.items():
        error = refused("sales.order_on_hold", company, attempt)
        assert error.details == {"hold_reason": "customer dispute"}, name
    # released, the same calls work
    for order in (manual, on_shipment):
        sales.order_release(order=order, actor=manager)
    assert services.invoice_issue(invoice=draft_invoice, actor=finance).number
    fulfilment.shipment_dispatch(shipment=draft_shipment, actor=keeper)
    assert Invoice.objects.for_company(company).filter(shipment=draft_shipment).count() == 1


def test_held_orders_offer_no_invoice_action(company, manager, finance, confirmed_order):
    from ordercrm.accounts.access import access_for
    from ordercrm.sales.selectors import order_actions

    order = confirmed_order("manual", quantities=(1,))
    assert "invoice" in order_actions(access_for(finance, company), fresh(order))
    sales.order_hold(order=order, actor=manager, reason="wait")
    assert "invoice" not in order_actions(access_for(finance, company), fresh(order))
