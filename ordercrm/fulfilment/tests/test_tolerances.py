"""Delivery tolerances: over-delivery within the company's or product's %, refused beyond it;
a shortfall within the under-delivery % closes the rest (no backorder), releasing its
reservation."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.fulfilment import services
from ordercrm.fulfilment.exceptions import OverShipment
from ordercrm.fulfilment.models import Shipment
from ordercrm.inventory.models import StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.selectors import order_progress


def line_of(order):
    return SalesOrderLine.objects.for_company(order.company_id).get(order=order)


def order_of(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


@pytest.fixture
def tolerant(company):
    company.over_delivery_tolerance = Decimal("10")
    company.under_delivery_tolerance = Decimal("5")
    company.save()
    return company


@pytest.fixture
def hundred(company, rep, customer, products, stock):
    """A confirmed order of 100 × P0 with 200 in stock, fully reserved."""
    stock(products[0], 200)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 100}],
    )
    return sales.order_submit(order=order, actor=rep)


def ship(order, actor, quantity, **options):
    line = line_of(order)
    return services.shipment_create(
        order=order,
        actor=actor,
        lines=[{"order_line_id": str(line.pk), "quantity": str(quantity)}],
        dispatch=True,
        **options,
    )


def level(company, product):
    return StockLevel.objects.for_company(company).get(product=product)


def test_over_delivery_within_tolerance_is_accepted_and_capped_at_100(
    tolerant, keeper, hundred, products
):
    ship(hundred, keeper, 110)
    line = line_of(hundred)
    assert (line.qty_shipped, line.qty_over_delivered, line.qty_reserved) == (110, 10, 0)
    assert line.open_quantity == 0
    assert line.delivered_percent == 100
    stock = level(tolerant, products[0])
    assert (stock.on_hand, stock.reserved) == (90, 0)  # never negative
    assert order_progress(order_of(hundred), [line], paid=0).fulfilment == "shipped"


def test_beyond_the_over_tolerance_is_refused_and_nothing_changes(
    tolerant, keeper, hundred, products
):
    with pytest.raises(ValidationFailed) as refused:
        ship(hundred, keeper, "110.01")
    assert refused.value.code == "fulfilment.over_shipment"
    assert refused.value.details["allowed"] == {str(line_of(hundred).pk): "110"}
    line = line_of(hundred)
    assert (line.qty_shipped, line.qty_reserved, line.qty_over_delivered) == (0, 100, 0)
    assert not Shipment.objects.for_company(tolerant).exists()
    assert level(tolerant, products[0]).on_hand == 200


def test_without_tolerance_nothing_beyond_the_order_ships(company, keeper, hundred):
    with pytest.raises(ValidationFailed) as refused:
        ship(hundred, keeper, 101)
    assert refused.value.code == "fulfilment.over_shipment"


def test_the_product_overrides_the_company(tolerant, keeper, hundred, products):
    catalog.product_update(
        product=products[0],
        actor=None,
        over_delivery_tolerance="2",
        under_delivery_tolerance="0",
    )
    with pytest.raises(ValidationFailed):
        ship(hundred, keeper, 103)
    ship(hundred, keeper, 96)  # 4 short: the product allows no shortfall
    line = line_of(hundred)
    assert (line.qty_closed, line.qty_reserved, line.open_quantity) == (0, 4, 4)


def test_a_shortfall_within_the_under_tolerance_counts_as_delivered(
    tolerant, keeper, hundred, products, admin
):
    ship(hundred, keeper, 96)
    line = line_of(hundred)
    assert (line.qty_shipped, line.qty_closed, line.qty_reserved) == (96, 4, 0)
    assert level(tolerant, products[0]).reserved == 0  # the rest's reservation released
    assert line.delivered_percent == 100
    order = order_of(hundred)
    assert order_progress(order, [line], paid=0).fulfilment == "shipped"


def test_a_shortfall_beyond_the_tolerance_stays_a_backorder(tolerant, keeper, hundred):
    ship(hundred, keeper, 94)
    line = line_of(hundred)
    assert (line.qty_closed, line.qty_reserved, line.open_quantity) == (0, 6, 6)
    assert line.delivered_percent == Decimal("94.00")


def test_a_line_still_planned_elsewhere_is_not_closed(tolerant, keeper, hundred):
    line = line_of(hundred)
    services.shipment_create(
        order=hundred, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": "2"}]
    )
    ship(hundred, keeper, 96)
    line = line_of(hundred)
    assert (line.qty_closed, line.qty_reserved) == (0, 4)


def test_amending_a_closed_line_lower_opens_nothing(tolerant, keeper, hundred, manager):
    ship(hundred, keeper, 96)
    order = order_of(hundred)
    line = line_of(hundred)
    sales.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"line_id": str(line.pk), "quantity": "98"}],
        reason="customer takes less",
    )
    line = line_of(hundred)
    assert (line.quantity, line.qty_closed, line.open_quantity) == (98, 2, 0)


def test_product_tolerance_is_checked(company, products):
    with pytest.raises(ValidationFailed) as refused:
        catalog.product_update(product=products[0], actor=None, over_delivery_tolerance="101")
    assert "over_delivery_tolerance" in refused.value.details["fields"]


def test_dispatch_refuses_what_an_amendment_left_beyond_tolerance(
    tolerant, keeper, hundred, manager
):
    line = line_of(hundred)
    planned = services.shipment_create(
        order=hundred, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": "100"}]
    )
    order = order_of(hundred)
    sales.order_amend(
        order=order,
        actor=manager,
        version=order.version,
        lines=[{"line_id": str(line.pk), "quantity": "50"}],
        reason="half",
    )
    with pytest.raises(OverShipment) as refused:
        services.shipment_dispatch(shipment=planned, actor=keeper)
    assert refused.value.code == "fulfilment.over_shipment"
    assert line_of(hundred).qty_shipped == 0
