"""End-to-end order-to-cash flows through the services, as the people of a company walk them.

Each flow drives one order from quotation to completion across sales, inventory, fulfilment
and billing, and checks at every step what the people involved would check: the status, the
counters of each line, the stock ledger and the money, to the cent.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.services import team_create
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceStatus
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import StockLevel
from ordercrm.sales import selectors as sales_selectors
from ordercrm.sales import services as sales
from ordercrm.sales.models import RuleKind
from ordercrm.sales.workflow import Status
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    OrderFactory,
    ProductFactory,
    UserFactory,
    receive_stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    """A company with its people, a customer, two products and some stock."""
    company = CompanyFactory()
    east = team_create(company=company, name="East")
    people = {
        role: UserFactory(company=company, role=role, username=f"{company.code}-{role}", team=east)
        for role in (Role.ADMIN, Role.SALES_REP, Role.SALES_MANAGER, Role.WAREHOUSE, Role.FINANCE)
    }
    customer = CustomerFactory(
        company=company, actor=people[Role.SALES_REP], name="Hangzhou Lianhe"
    )
    bolt = ProductFactory(company=company, actor=None, sku="BOLT", list_price=Decimal("2.50"))
    pump = ProductFactory(company=company, actor=None, sku="PUMP", list_price=Decimal("1280.00"))
    receive_stock(company, people[Role.WAREHOUSE], (bolt, 1000), (pump, 3))
    return company, people, customer, bolt, pump


def _lines(order):
    return {line.product.sku: line for line in sales_selectors.order_lines(order)}


def _level(product):
    return StockLevel.objects.for_company(product.company_id).get(product=product)


def test_approval_partial_shipments_invoices_and_payments_end_completed(desk):
    company, people, customer, bolt, pump = desk
    rep, manager = people[Role.SALES_REP], people[Role.SALES_MANAGER]
    warehouse, finance = people[Role.WAREHOUSE], people[Role.FINANCE]
    sales.approval_rule_create(
        company=company,
        actor=people[Role.ADMIN],
        name="big orders",
        kind=RuleKind.ORDER_TOTAL,
        threshold=1000,
        steps=[{"role": Role.SALES_MANAGER}],
    )

    # given a quotation of 400 bolts and 2 pumps (13 % VAT)
    order = OrderFactory(
        company=company, actor=rep, customer=customer, lines=[(bolt, 400), (pump, 2)]
    )
    assert order.status == Status.DRAFT
    assert order.gross_total == Decimal("4022.80")  # (1000.00 + 2560.00) × 1.13

    # when the rep submits it, it waits for the manager; approved, stock is reserved
    order = sales.order_submit(order=order, actor=rep)
    assert order.status == Status.PENDING_APPROVAL
    order = sales.order_approve(order=order, actor=manager, comment="ok")
    assert order.status == Status.CONFIRMED
    lines = _lines(order)
    assert (lines["BOLT"].qty_reserved, lines["PUMP"].qty_reserved) == (400, 2)
    assert (_level(bolt).reserved, _level(pump).reserved) == (400, 2)

    # the warehouse ships the pumps first: an invoice follows the shipment
    first = fulfilment.shipment_create(
        order=order,
        actor=warehouse,
        lines=[{"order_line_id": lines["PUMP"].pk, "quantity": 2}],
        dispatch=True,
    )
    invoices = list(Invoice.objects.for_company(company).filter(order=order).order_by("number"))
    assert [i.gross_total for i in invoices] == [Decimal("2892.80")]
    assert invoices[0].shipment_id == first.pk
    assert _level(pump).on_hand == 1

    # finance records the customer's transfer for the first invoice
    billing.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=Decimal("2892.80"),
        currency="CNY",
        method="bank_transfer",
        reference="TT-1",
        allocations=[{"invoice": invoices[0], "amount": Decimal("2892.80")}],
    )
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED  # bolts still to ship

    # then the bolts; the second invoice takes the rest to the cent
    fulfilment.shipment_create(order=order, actor=warehouse, lines=None, dispatch=True)
    invoices = list(Invoice.objects.for_company(company).filter(order=order).order_by("number"))
    assert [i.gross_total for i in invoices] == [Decimal("2892.80"), Decimal("1130.00")]
    assert sum(i.gross_total for i in invoices) == order.gross_total
    billing.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=Decimal("1130.00"),
        currency="CNY",
        method="alipay",
        reference="ALI-2",
        auto_allocate=True,
    )

    # then the order is completed, paid, and the ledger agrees with the counters
    order.refresh_from_db()
    lines = _lines(order)
    assert order.status == Status.COMPLETED
    assert all(line.qty_shipped == line.quantity == line.qty_invoiced for line in lines.values())
    assert all(line.qty_reserved == 0 for line in lines.values())
    progress = sales_selectors.order_progress(order, list(lines.values()), paid=order.amount_paid)
    assert (progress.fulfilment, progress.invoicing, progress.payment) == (
        "shipped",
        "invoiced",
        "paid",
    )
    assert {i.status for i in Invoice.objects.for_company(company).filter(order=order)} == {
        InvoiceStatus.PAID
    }
    assert (_level(bolt).on_hand, _level(bolt).reserved) == (600, 0)
    assert inventory_selectors.ledger_discrepancies(company) == []


def test_backorder_filled_by_a_receipt_then_shipped(desk, django_capture_on_commit_callbacks):
    company, people, customer, _bolt, pump = desk
    rep, warehouse = people[Role.SALES_REP], people[Role.WAREHOUSE]

    # given an order for 5 pumps with 3 in stock (backorders allowed)
    order = OrderFactory(company=company, actor=rep, customer=customer, lines=[(pump, 5)])
    order = sales.order_submit(order=order, actor=rep)
    assert order.status == Status.CONFIRMED
    line = _lines(order)["PUMP"]
    assert (line.qty_reserved, line.backordered) == (3, 2)

    # when 4 more arrive (the backorder task runs once the receipt commits), the line takes 2
    with django_capture_on_commit_callbacks(execute=True):
        receive_stock(company, warehouse, (pump, 4))
    line = _lines(order)["PUMP"]
    assert (line.qty_reserved, line.backordered) == (5, 0)
    assert (_level(pump).on_hand, _level(pump).reserved) == (7, 5)

    # then the whole order ships in one go and is invoiced in full
    fulfilment.shipment_create(order=order, actor=warehouse, lines=None, dispatch=True)
    order.refresh_from_db()
    assert _lines(order)["PUMP"].qty_shipped == 5
    invoice = Invoice.objects.for_company(company).get(order=order)
    assert invoice.gross_total == order.gross_total == Decimal("7232.00")
    assert (_level(pump).on_hand, _level(pump).reserved) == (2, 0)
    assert inventory_selectors.ledger_discrepancies(company) == []


def test_advance_then_return_and_credit_note_keep_the_money_right(desk):
    company, people, customer, bolt, _pump = desk
    rep, warehouse, finance = (
        people[Role.SALES_REP],
        people[Role.WAREHOUSE],
        people[Role.FINANCE],
    )

    # given a confirmed order of 100 bolts paid in advance
    order = OrderFactory(company=company, actor=rep, customer=customer, lines=[(bolt, 100)])
    order = sales.order_submit(order=order, actor=rep)
    assert order.gross_total == Decimal("282.50")
    billing.payment_record(
        company=company,
        actor=finance,
        customer=customer,
        amount=Decimal("282.50"),
        currency="CNY",
        method="wechat_pay",
        reference="WX-1",
        order=order,
    )

    # when it ships, the advance pays the invoice
    shipment = fulfilment.shipment_create(order=order, actor=warehouse, lines=None, dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.INVOICE)
    assert invoice.status == InvoiceStatus.PAID
    order.refresh_from_db()
    assert order.status == Status.COMPLETED

    # then 10 bolts come back and are credited: the customer has 28.25 of credit
    shipment_line = shipment.lines.get()
    fulfilment.return_receive(
        shipment=shipment,
        actor=warehouse,
        lines=[{"shipment_line_id": shipment_line.pk, "quantity": 10}],
        reason="damaged",
    )
    invoice_line = invoice.lines.get()
    credit = billing.credit_note_create(
        invoice=invoice,
        actor=finance,
        lines=[{"invoice_line_id": invoice_line.pk, "quantity": 10}],
        reason="damaged",
    )
    assert credit.gross_total == Decimal("28.25")
    customer.refresh_from_db()
    assert customer.receivable_balance == 0
    assert customer.advance_balance == Decimal("28.25")
    line = _lines(order)["BOLT"]
    assert (line.qty_shipped, line.qty_returned, line.qty_invoiced, line.qty_credited) == (
        100,
        10,
        100,
        10,
    )
    assert _level(bolt).on_hand == 910
    assert inventory_selectors.ledger_discrepancies(company) == []
