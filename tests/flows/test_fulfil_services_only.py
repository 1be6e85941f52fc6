"""Services-only orders: nothing is reserved or shipped; the order is invoiced as ordered and
completes once paid. A mixed order still ships its goods and never skips a state."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import services as billing
from ordercrm.fulfilment import selectors, services
from ordercrm.fulfilment.exceptions import NoShipmentNeeded
from ordercrm.fulfilment.models import Shipment
from ordercrm.inventory.models import Reservation
from ordercrm.sales import services as sales
from ordercrm.sales.models import InvoicingPolicy, SalesOrder
from ordercrm.sales.selectors import order_list, order_state, order_summaries
from ordercrm.sales.workflow import Status


@pytest.fixture
def installation(company, make_product):
    return make_product(
        company, sku="SVC-INSTALL", list_price=Decimal("80.00"), is_stock_tracked=False
    )


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


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


@pytest.fixture
def clerk(make_user, company):
    return make_user(Role.FINANCE, company, username="clerk")


def order_of(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def confirm(company, rep, customer, lines, **header):
    order = sales.order_create(company=company, actor=rep, customer=customer, lines=lines, **header)
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


@pytest.mark.parametrize("policy", [InvoicingPolicy.ON_SHIPMENT, InvoicingPolicy.MANUAL])
def test_a_services_only_order_is_invoiced_and_completes_without_a_shipment(
    company, rep, customer, installation, clerk, keeper, policy, access_of
):
    order = confirm(
        company,
        rep,
        customer,
        [{"product": installation, "quantity": 3}],
        invoicing_policy=policy,
    )
    order = order_of(order)
    assert order.services_only
    assert not Reservation.objects.for_company(company).exists()
    state = order_state(order)
    assert (state.progress.fulfilment, state.anything_to_ship, state.anything_to_invoice) == (
        "shipped",
        False,
        True,
    )
    with pytest.raises(NoShipmentNeeded) as refused:
        services.shipment_create(order=order, actor=keeper)
    assert refused.value.code == "fulfilment.no_shipment_needed"
    assert not Shipment.objects.for_company(company).exists()
    assert order not in selectors.to_ship_queue(access_of(keeper, company))
    billing.invoice_create(order=order, actor=clerk, issue=True)
    assert order_of(order).status == Status.CONFIRMED  # invoiced, not paid yet
    pay(company, clerk, order)
    order = order_of(order)
    assert order.status == Status.COMPLETED
    (summary,) = order_summaries([order])
    assert summary.progress.fulfilment == "shipped"
    # the list filter agrees with the page: nothing to ship is "shipped", never "not shipped"
    access = access_of(rep, company)
    assert list(order_list(access, fulfilment="shipped")) == [order]
    assert not order_list(access, fulfilment="not_shipped").exists()


def test_on_order_invoicing_bills_it_at_confirmation(company, rep, customer, installation, clerk):
    order = confirm(
        company,
        rep,
        customer,
        [{"product": installation, "quantity": 2}],
        invoicing_policy=InvoicingPolicy.ON_ORDER,
    )
    order = order_of(order)
    assert order.amount_invoiced == order.gross_total
    pay(company, clerk, order)
    assert order_of(order).status == Status.COMPLETED


def test_a_mixed_order_still_ships_and_never_skips_a_state(
    company, rep, customer, installation, products, stock, clerk, keeper
):
    stock(products[0], 10)
    order = confirm(
        company,
        rep,
        customer,
        [{"product": products[0], "quantity": 2}, {"product": installation, "quantity": 1}],
        invoicing_policy=InvoicingPolicy.ON_ORDER,
    )
    order = order_of(order)
    assert not order.services_only
    pay(company, clerk, order)  # invoiced at confirmation and paid: still to ship
    order = order_of(order)
    assert order.status == Status.CONFIRMED
    assert order_state(order).progress.fulfilment == "not_shipped"
    services.shipment_create(order=order, actor=keeper, dispatch=True)
    assert order_of(order).status == Status.COMPLETED


def test_amending_in_a_good_makes_it_ship(
    company, rep, customer, installation, products, stock, manager, keeper
):
    stock(products[0], 10)
    order = order_of(confirm(company, rep, customer, [{"product": installation, "quantity": 1}]))
    assert order.services_only
    sales.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"product": products[0], "quantity": 2}],
        reason="add a part",
    )
    order = order_of(order)
    assert not order.services_only
    shipment = services.shipment_create(order=order, actor=keeper)
    assert {line.product_id for line in selectors.shipment_lines(shipment)} >= {products[0].pk}
