"""Confirming reserves stock by company policy; cancel, close and amendments give it back;
arriving stock fills backorders oldest first."""

from decimal import Decimal

import pytest

from ordercrm.core.models import Event, StockPolicy
from ordercrm.inventory.exceptions import InsufficientStock
from ordercrm.inventory.models import Reservation, StockLevel
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.workflow import Status


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def level(company, product, warehouse):
    return StockLevel.objects.for_company(company).get(product=product, warehouse=warehouse)


def order_for(company, rep, customer, *quantities_by_product):
    return sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": p, "quantity": q} for p, q in quantities_by_product],
    )


def test_confirm_reserves_each_tracked_line(
    company, rep, customer, products, stock, main_warehouse
):
    stock(products[0], 10)
    stock(products[1], 10)
    order = order_for(company, rep, customer, (products[0], 4), (products[1], 2))
    sales.order_submit(order=order, actor=rep)
    assert [line.qty_reserved for line in lines_of(order)] == [Decimal(4), Decimal(2)]
    assert level(company, products[0], main_warehouse).reserved == 4


def test_all_or_nothing_refuses_with_shortfall_and_changes_nothing(
    company, rep, customer, products, stock, main_warehouse
):
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    stock(products[0], 10)
    stock(products[1], 1)
    order = order_for(company, rep, customer, (products[0], 4), (products[1], 3))
    with pytest.raises(InsufficientStock) as error:
        sales.order_submit(order=order, actor=rep)
    assert error.value.code == "inventory.insufficient_stock"
    [short] = error.value.details["lines"]
    assert (short["sku"], short["requested"], short["available"], short["shortfall"]) == (
        "P1",
        "3",
        "1",
        "2",
    )
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    assert level(company, products[0], main_warehouse).reserved == 0
    assert not Reservation.objects.for_company(company).exists()


def test_allow_backorder_confirms_and_shows_the_backorder(company, rep, customer, products, stock):
    from ordercrm.fulfilment.selectors import order_line_stock
    from ordercrm.sales.selectors import order_lines

    stock(products[0], 3)
    order = order_for(company, rep, customer, (products[0], 5))
    sales.order_submit(order=order, actor=rep)
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    [line] = order_line_stock(order, order_lines(order))
    assert (line.reserved, line.backordered, line.available, line.ready) == (3, 2, 0, 3)


def test_untracked_products_reserve_nothing(company, rep, customer, make_product):
    service = make_product(company, sku="SVC", is_stock_tracked=False)
    order = order_for(company, rep, customer, (service, 2))
    sales.order_submit(order=order, actor=rep)
    assert lines_of(order)[0].qty_reserved == 0


def test_cancel_and_close_release_reservations(
    company, rep, manager, customer, products, stock, main_warehouse
):
    stock(products[0], 10)
    first = order_for(company, rep, customer, (products[0], 4))
    second = order_for(company, rep, customer, (products[0], 5))
    sales.order_submit(order=first, actor=rep)
    sales.order_submit(order=second, actor=rep)
    assert level(company, products[0], main_warehouse).reserved == 9
    sales.order_cancel(order=first, actor=manager, reason="customer changed mind")
    assert level(company, products[0], main_warehouse).reserved == 5
    sales.order_close(order=second, actor=manager)
    assert level(company, products[0], main_warehouse).reserved == 0
    assert [line.qty_reserved for line in lines_of(first) + lines_of(second)] == [0, 0]


def test_resuming_a_short_closed_order_reserves_what_is_open_again(
    company,
    rep,
    manager,
    keeper,
    customer,
    products,
    stock,
    main_warehouse,
    django_capture_on_commit_callbacks,
):
    from ordercrm.fulfilment import services as fulfilment

    stock(products[0], 10)
    order = sales.order_submit(order=order_for(company, rep, customer, (products[0], 8)), actor=rep)
    (line,) = lines_of(order)
    fulfilment.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": "3"}],
        dispatch=True,
    )
    closed = sales.order_close(order=order, actor=manager)
    assert (lines_of(order)[0].qty_closed, lines_of(order)[0].qty_reserved) == (5, 0)
    assert level(company, products[0], main_warehouse).reserved == 0
    # meanwhile another order takes 4 of the 7 left: only 3 can be reserved again
    other = sales.order_submit(order=order_for(company, rep, customer, (products[0], 4)), actor=rep)
    resumed = sales.order_resume(order=closed, actor=manager)
    assert resumed.status == Status.CONFIRMED
    (line,) = lines_of(order)
    assert (line.qty_closed, line.qty_shipped, line.qty_reserved) == (0, 3, 3)
    assert level(company, products[0], main_warehouse).reserved == 3 + 4
    assert lines_of(other)[0].qty_reserved == 4  # what the other order holds stays its own
    # the 2 still short arrive and go to the resumed order (a backorder)
    with django_capture_on_commit_callbacks(execute=True):
        stock(products[0], 2)
    assert lines_of(order)[0].qty_reserved == 5


def test_amendment_releases_lowered_and_removed_lines_and_reserves_raised_ones(
    company, rep, customer, products, stock, main_warehouse
):
    for product in products[:3]:
        stock(product, 10)
    order = order_for(company, rep, customer, (products[0], 6), (products[1], 2))
    order = sales.order_submit(order=order, actor=rep)
    first, second = lines_of(order)
    order = sales.order_amend(
        order=order,
        actor=rep,
        version=order.version,
        lines=[
            {"line_id": str(first.pk), "quantity": "4"},
            {"line_id": str(second.pk), "remove": True},
            {"product": products[2], "quantity": "3"},
        ],
    )
    assert [(line.product_id, line.qty_reserved) for line in lines_of(order)] == [
        (products[0].pk, 4),
        (products[2].pk, 3),
    ]
    assert level(company, products[1], main_warehouse).reserved == 0
    order = sales.order_amend(
        order=order,
        actor=rep,
        version=order.version,
        lines=[{"line_id": str(first.pk), "quantity": "9"}],
    )
    assert lines_of(order)[0].qty_reserved == 9


def test_amendment_under_all_or_nothing_fails_whole_when_short(
    company, rep, customer, products, stock
):
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    stock(products[0], 5)
    order = sales.order_submit(order=order_for(company, rep, customer, (products[0], 5)), actor=rep)
    [line] = lines_of(order)
    with pytest.raises(InsufficientStock):
        sales.order_amend(
            order=order,
            actor=rep,
            version=order.version,
            lines=[{"line_id": str(line.pk), "quantity": "6"}],
        )
    order.refresh_from_db()
    assert (order.revision, lines_of(order)[0].quantity) == (0, 5)


def test_arriving_stock_fills_backorders_oldest_first(
    company, rep, customer, products, stock, django_capture_on_commit_callbacks
):
    older = sales.order_submit(order=order_for(company, rep, customer, (products[0], 4)), actor=rep)
    newer = sales.order_submit(order=order_for(company, rep, customer, (products[0], 4)), actor=rep)
    assert lines_of(older)[0].qty_reserved == 0
    with django_capture_on_commit_callbacks(execute=True):
        stock(products[0], 6)
    assert lines_of(older)[0].qty_reserved == 4
    assert lines_of(newer)[0].qty_reserved == 2
    filled = Event.objects.for_company(company).filter(type="order.backorder_filled")
    assert {e.entity_id for e in filled} == {str(older.pk), str(newer.pk)}


def test_backorders_of_held_or_cancelled_orders_wait(
    company, rep, manager, customer, products, stock, django_capture_on_commit_callbacks
):
    held = sales.order_submit(order=order_for(company, rep, customer, (products[0], 4)), actor=rep)
    sales.order_hold(order=held, actor=manager, reason="credit check")
    waiting = sales.order_submit(
        order=order_for(company, rep, customer, (products[0], 1)), actor=rep
    )
    with django_capture_on_commit_callbacks(execute=True):
        stock(products[0], 3)
    assert lines_of(held)[0].qty_reserved == 0
    assert lines_of(waiting)[0].qty_reserved == 1
    assert SalesOrder.objects.for_company(company).get(pk=held.pk).status == Status.ON_HOLD
