"""Issue #17, fulfilment: orders complete once invoiced and paid after a shortfall within the
under-delivery tolerance or a declined backorder, and a completed order whose delivery failed
is confirmed again to resend (billing takes part, so these live above the apps)."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import services as billing
from ordercrm.fulfilment import services
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def clerk(make_user, company):
    return make_user(Role.FINANCE, company, username="clerk")


@pytest.fixture
def stock(company, keeper):
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse

    def receive(product, quantity):
        inventory.stock_receive(
            company=company,
            actor=keeper,
            warehouse=Warehouse.objects.for_company(company).get(code="main"),
            lines=[{"product": product, "quantity": quantity}],
        )

    return receive


def order_of(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def confirm(company, rep, customer, product, quantity):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": product, "quantity": quantity}],
    )
    return sales.order_submit(order=order, actor=rep)


def pay(company, clerk, order):
    order = order_of(order)
    billing.payment_record(
        company=company,
        customer=order.customer,
        actor=clerk,
        amount=order.amount_invoiced,
        currency=order.currency,
        method="bank_transfer",
        order=order,
    )


def ship(order, keeper, quantity):
    line = SalesOrderLine.objects.for_company(order.company_id).get(order=order)
    services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": str(quantity)}],
        dispatch=True,
    )


def test_short_within_tolerance_completes_when_paid(
    company, rep, customer, products, stock, keeper, clerk
):
    company.under_delivery_tolerance = Decimal("5")
    company.save()
    stock(products[0], 200)
    order = confirm(company, rep, customer, products[0], 100)
    ship(order, keeper, 96)  # on_shipment: the 96 are invoiced at dispatch
    pay(company, clerk, order)
    assert order_of(order).status == Status.COMPLETED


def test_a_declined_backorder_completes_when_paid(
    company, rep, manager, customer, products, stock, keeper, clerk
):
    stock(products[0], 6)
    order = confirm(company, rep, customer, products[0], 10)
    ship(order, keeper, 6)
    pay(company, clerk, order)
    assert order_of(order).status == Status.CONFIRMED  # 4 still owed
    services.backorder_decline(order=order, actor=manager, reason="customer takes what arrived")
    assert order_of(order).status == Status.COMPLETED


def test_a_completed_order_is_confirmed_again_to_resend(
    company, rep, customer, products, stock, keeper, clerk
):
    stock(products[0], 30)
    order = confirm(company, rep, customer, products[0], 10)
    shipment = services.shipment_create(order=order, actor=keeper, dispatch=True)
    pay(company, clerk, order)
    assert order_of(order).status == Status.COMPLETED
    exception = services.shipment_exception_record(shipment=shipment, actor=keeper, kind="damaged")
    resolved = services.fulfilment_exception_resolve(
        exception=exception, actor=keeper, choice="recreate"
    )
    assert order_of(order).status == Status.CONFIRMED
    services.shipment_dispatch(shipment=resolved.new_shipment, actor=keeper)
    order = order_of(order)
    assert order.status == Status.COMPLETED  # nothing billed twice: the resend is a replacement
    line = SalesOrderLine.objects.for_company(company).get(order=order)
    assert (line.qty_shipped, line.qty_replaced, line.qty_invoiced) == (20, 10, 10)
