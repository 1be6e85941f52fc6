"""Cancelling (crediting invoices) while payments, holds and dispatches race on PostgreSQL:
real threads, real row locks. At the end no cancelled order is billed or holds money, and the
customer's balances equal what the documents say."""

import random
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import services
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceStatus, Payment
from ordercrm.core.db import retry_on_conflict
from ordercrm.core.exceptions import DomainError
from ordercrm.customers.models import Customer
from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.tests.test_concurrency import assert_stock_invariants, run_threads
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_cancel_with_credit_races_payments_holds_and_shipping(
    company, rep, manager, admin, make_user, customer, make_product
):
    finance = make_user(Role.FINANCE, company, username="fin")
    keeper = make_user(Role.WAREHOUSE, company, username="keeper")
    products = [make_product(company, sku=f"R{i}", list_price=Decimal("3.3333")) for i in range(3)]
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 200} for p in products],
    )
    rng = random.Random(20261201)
    orders = []
    for i in range(16):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="on_order" if i % 2 else "on_shipment",
            lines=[{"product": p, "quantity": rng.randint(1, 5)} for p in products],
        )
        orders.append(sales.order_submit(order=order, actor=rep))
        services.payment_record(
            company=company,
            actor=finance,
            customer=customer,
            amount="7.77",
            currency="CNY",
            method="bank_transfer",
            order=orders[-1],
        )
    outcomes: list[str] = []

    def worker(seed):
        def work():
            local = random.Random(seed)
            for order in local.sample(orders, 6):
                action = local.choice(["cancel", "pay", "hold", "ship"])
                try:
                    if action == "cancel":
                        retry_on_conflict(
                            lambda o=order: sales.order_cancel(
                                order=o, actor=admin, credit_invoices=True
                            )
                        )
                    elif action == "pay":
                        retry_on_conflict(
                            lambda: services.payment_record(
                                company=company,
                                actor=finance,
                                customer=customer,
                                amount="5.00",
                                currency="CNY",
                                method="cash",
                                auto_allocate=True,
                            )
                        )
                    elif action == "hold":
                        retry_on_conflict(
                            lambda o=order: sales.order_hold(order=o, actor=manager, reason="x")
                        )
                    else:
                        retry_on_conflict(
                            lambda o=order: fulfilment.shipment_create(
                                order=o, actor=keeper, dispatch=True
                            )
                        )
                    outcomes.append(action)
                except DomainError as error:
                    outcomes.append(error.code)

        return work

    errors = run_threads([worker(i) for i in range(8)])
    assert errors == [], errors[:3]
    assert "cancel" in outcomes
    assert set(outcomes) <= {
        "cancel",
        "pay",
        "hold",
        "ship",
        "sales.order_on_hold",
        "sales.cancel_after_shipment",
        "sales.invalid_transition",
        "fulfilment.not_shippable",
        "fulfilment.nothing_to_ship",
    }, set(outcomes)
    assert_stock_invariants(company)
    invoices = Invoice.objects.for_company(company)
    for order in SalesOrder.objects.for_company(company).filter(status="cancelled"):
        assert order.amount_invoiced == 0
        assert order.amount_paid == 0
        assert not Payment.objects.for_company(company).filter(order=order).exists()
        for invoice in invoices.filter(order=order, kind=InvoiceKind.INVOICE):
            assert invoice.status == InvoiceStatus.CANCELLED or (
                invoice.amount_credited == invoice.gross_total and invoice.amount_paid == 0
            )
    payments = Payment.objects.for_company(company)
    open_total = sum(
        (
            i.open_amount
            for i in invoices.filter(
                kind=InvoiceKind.INVOICE,
                status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID],
            )
        ),
        Decimal(0),
    )
    customer = Customer.objects.for_company(company).get(pk=customer.pk)
    assert customer.receivable_balance == open_total
    assert customer.advance_balance == sum((p.unallocated for p in payments), Decimal(0))
    allocated = sum((p.amount_allocated for p in payments), Decimal(0))
    assert allocated == sum((i.amount_paid for i in invoices), Decimal(0))
