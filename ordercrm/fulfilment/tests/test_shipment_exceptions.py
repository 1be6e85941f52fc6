"""Cancelling a draft shipment (reservations stay with the order) and a failed delivery of a
dispatched one both raise the order's fulfilment exception, until someone chooses to
recreate (ship what is open again) or not (the rest is closed)."""

import pytest

from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import AuditEntry, Event
from ordercrm.fulfilment import selectors, services
from ordercrm.fulfilment.exceptions import (
    ExceptionAlreadyOpen,
    ExceptionDecided,
    NothingToShip,
    ShipmentState,
)
from ordercrm.fulfilment.models import FulfilmentException, ReturnReceipt, ShipmentStatus
from ordercrm.inventory.models import StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine


def line_of(order):
    return SalesOrderLine.objects.for_company(order.company_id).get(order=order)


def order_of(order):
    return SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)


def level(company, product):
    return StockLevel.objects.for_company(company).get(product=product)


@pytest.fixture
def confirmed(company, rep, customer, products, stock):
    """10 × P0 confirmed, 30 in stock, all 10 reserved."""
    stock(products[0], 30)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 10}],
    )
    return sales.order_submit(order=order, actor=rep)


@pytest.fixture
def planned(confirmed, keeper):
    return services.shipment_create(order=confirmed, actor=keeper)


@pytest.fixture
def delivered(confirmed, keeper):
    return services.shipment_create(order=confirmed, actor=keeper, dispatch=True)


def test_cancelling_a_draft_keeps_the_reservation_and_raises_the_exception(
    company, keeper, confirmed, planned, products
):
    services.shipment_cancel(shipment=planned, actor=keeper, reason="truck full")
    line = line_of(confirmed)
    assert (line.qty_reserved, line.open_quantity) == (10, 10)
    assert level(company, products[0]).reserved == 10
    (exception,) = selectors.order_exceptions(access_of_keeper(keeper, company), confirmed)
    assert (exception.kind, exception.note, exception.is_open) == ("cancelled", "truck full", True)
    assert Event.objects.for_company(company).filter(type="order.fulfilment_exception").count() == 1
    # a second cancel does nothing, and raises nothing more
    services.shipment_cancel(shipment=planned, actor=keeper)
    assert FulfilmentException.objects.for_company(company).count() == 1


def access_of_keeper(keeper, company):
    from ordercrm.accounts.access import access_for

    return access_for(keeper, company)


def test_recreate_after_a_cancel_plans_what_is_open_again(company, keeper, confirmed, planned):
    services.shipment_cancel(shipment=planned, actor=keeper)
    exception = FulfilmentException.objects.for_company(company).get()
    resolved = services.fulfilment_exception_resolve(
        exception=exception, actor=keeper, choice="recreate"
    )
    assert (resolved.resolution, resolved.new_shipment.status) == ("recreate", ShipmentStatus.DRAFT)
    (line,) = selectors.shipment_lines(resolved.new_shipment)
    assert line.quantity == 10
    # the same decision again does nothing; the other one is refused
    again = services.fulfilment_exception_resolve(
        exception=exception, actor=keeper, choice="recreate"
    )
    assert again.new_shipment_id == resolved.new_shipment_id
    with pytest.raises(ExceptionDecided) as refused:
        services.fulfilment_exception_resolve(exception=exception, actor=keeper, choice="close")
    assert refused.value.code == "fulfilment.exception_decided"


def test_do_not_recreate_closes_the_rest(company, keeper, confirmed, planned, products):
    services.shipment_cancel(shipment=planned, actor=keeper)
    exception = FulfilmentException.objects.for_company(company).get()
    services.fulfilment_exception_resolve(exception=exception, actor=keeper, choice="close")
    line = line_of(confirmed)
    assert (line.qty_closed, line.qty_reserved, line.open_quantity) == (10, 0, 0)
    assert level(company, products[0]).reserved == 0
    assert order_of(confirmed).backorder_declined


def test_a_dispatched_shipment_cannot_be_cancelled(company, keeper, delivered):
    with pytest.raises(ShipmentState):
        services.shipment_cancel(shipment=delivered, actor=keeper)
    assert FulfilmentException.objects.for_company(company).count() == 0


def test_a_refused_delivery_recreated_comes_back_into_stock_and_ships_again(
    company, keeper, confirmed, delivered, products
):
    assert level(company, products[0]).on_hand == 20
    exception = services.shipment_exception_record(
        shipment=delivered, actor=keeper, kind="refused", note="customer closed"
    )
    with pytest.raises(ExceptionAlreadyOpen) as refused:
        services.shipment_exception_record(shipment=delivered, actor=keeper, kind="lost")
    assert refused.value.code == "fulfilment.exception_open"
    resolved = services.fulfilment_exception_resolve(
        exception=exception, actor=keeper, choice="recreate"
    )
    receipt = ReturnReceipt.objects.for_company(company).get()
    assert receipt.shipment_id == delivered.pk
    stock = level(company, products[0])
    assert (stock.on_hand, stock.reserved) == (30, 10)  # back in stock, reserved again
    line = line_of(confirmed)
    assert (line.qty_shipped, line.qty_returned, line.qty_replaced, line.qty_reserved) == (
        10,
        10,
        10,
        10,
    )
    services.shipment_dispatch(shipment=resolved.new_shipment, actor=keeper)
    line = line_of(confirmed)
    assert (line.qty_shipped, line.net_shipped, line.open_quantity) == (20, 10, 0)
    assert level(company, products[0]).on_hand == 20


def test_lost_goods_do_not_come_back_into_stock(company, keeper, confirmed, delivered, products):
    exception = services.shipment_exception_record(shipment=delivered, actor=keeper, kind="lost")
    services.fulfilment_exception_resolve(exception=exception, actor=keeper, choice="recreate")
    stock = level(company, products[0])
    assert (stock.on_hand, stock.reserved) == (20, 10)  # the lost 10 stay gone; 10 more reserved


def test_refusals_change_nothing(company, keeper, confirmed):
    line = line_of(confirmed)
    planned = services.shipment_create(
        order=confirmed, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": "4"}]
    )
    delivered = services.shipment_create(
        order=confirmed,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": "6"}],
        dispatch=True,
    )
    audit = AuditEntry.objects.for_company(company).count()
    with pytest.raises(ShipmentState):  # a draft is cancelled, not failed
        services.shipment_exception_record(shipment=planned, actor=keeper, kind="lost")
    with pytest.raises(ValidationFailed):
        services.shipment_exception_record(shipment=delivered, actor=keeper, kind="cancelled")
    assert AuditEntry.objects.for_company(company).count() == audit
    assert FulfilmentException.objects.for_company(company).count() == 0
    exception = services.shipment_exception_record(shipment=delivered, actor=keeper, kind="lost")
    with pytest.raises(ValidationFailed):
        services.fulfilment_exception_resolve(exception=exception, actor=keeper, choice="maybe")
    assert FulfilmentException.objects.for_company(company).get().is_open


def test_recreate_with_nothing_left_to_ship_is_refused(
    company, keeper, manager, confirmed, planned
):
    services.shipment_cancel(shipment=planned, actor=keeper)
    services.backorder_decline(order=confirmed, actor=manager, reason="no more")
    exception = FulfilmentException.objects.for_company(company).get()
    with pytest.raises(NothingToShip):
        services.fulfilment_exception_resolve(exception=exception, actor=keeper, choice="recreate")
    assert FulfilmentException.objects.for_company(company).get().is_open
