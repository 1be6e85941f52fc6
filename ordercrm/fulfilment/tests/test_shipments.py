"""Shipments: partial and repeated, idempotent dispatch, counters, policies, returns, PDF."""

from decimal import Decimal

import pytest

from ordercrm.accounts.access import access_for
from ordercrm.catalog.models import Unit
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.models import Event, ShippingPolicy
from ordercrm.fulfilment import selectors, services
from ordercrm.fulfilment.exceptions import (
    NothingToShip,
    NotShippable,
    OverReturn,
    ShipComplete,
    ShipmentState,
)
from ordercrm.fulfilment.models import ShipmentStatus
from ordercrm.inventory.exceptions import InsufficientStock
from ordercrm.inventory.models import MoveKind, StockLevel, StockMove
from ordercrm.sales import services as sales
from ordercrm.sales.exceptions import OrderOnHold
from ordercrm.sales.models import SalesOrder, SalesOrderLine
from ordercrm.sales.selectors import order_progress
from ordercrm.sales.workflow import Status
from tests.pdf import pdf_fonts, pdf_text


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def progress(order):
    order = SalesOrder.objects.for_company(order.company_id).get(pk=order.pk)
    return order_progress(order, lines_of(order), paid=order.amount_paid)


@pytest.fixture
def confirmed(company, rep, customer, products, stock):
    """A confirmed order of 5 × P0 and 3 × P1, fully reserved."""
    stock(products[0], 20)
    stock(products[1], 20)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 5}, {"product": products[1], "quantity": 3}],
    )
    return sales.order_submit(order=order, actor=rep)


def test_partial_shipments_then_the_rest(company, keeper, confirmed, products, main_warehouse):
    first, second = lines_of(confirmed)
    shipment = services.shipment_create(
        order=confirmed,
        actor=keeper,
        lines=[{"order_line_id": str(first.pk), "quantity": "2"}],
        carrier="SF Express",
        tracking_number="SF123",
        dispatch=True,
    )
    assert shipment.status == ShipmentStatus.DISPATCHED
    first, second = lines_of(confirmed)
    assert (first.qty_shipped, first.qty_reserved, second.qty_shipped) == (2, 3, 0)
    assert progress(confirmed).fulfilment == "partially_shipped"
    level = StockLevel.objects.for_company(company).get(
        product=products[0], warehouse=main_warehouse
    )
    assert (level.on_hand, level.reserved) == (18, 3)
    move = StockMove.objects.for_company(company).get(kind=MoveKind.SHIPMENT)
    assert (move.quantity, move.reference, move.reference_id) == (-2, shipment.number, shipment.pk)
    rest = services.shipment_create(order=confirmed, actor=keeper)  # everything ready
    assert {line.order_line_id: line.quantity for line in selectors.shipment_lines(rest)} == {
        first.pk: 3,
        second.pk: 3,
    }
    services.shipment_dispatch(shipment=rest, actor=keeper)
    assert progress(confirmed).fulfilment == "shipped"
    with pytest.raises(NothingToShip):
        services.shipment_create(order=confirmed, actor=keeper)
    event = Event.objects.for_company(company).filter(type="shipment.dispatched").first()
    assert event.payload["tracking_number"] == "SF123"


def test_second_dispatch_does_nothing(company, keeper, confirmed):
    shipment = services.shipment_create(order=confirmed, actor=keeper)
    services.shipment_dispatch(shipment=shipment, actor=keeper)
    moves = StockMove.objects.for_company(company).count()
    again = services.shipment_dispatch(shipment=shipment, actor=keeper)
    assert again.status == ShipmentStatus.DISPATCHED
    assert StockMove.objects.for_company(company).count() == moves
    assert [line.qty_shipped for line in lines_of(confirmed)] == [5, 3]
    assert Event.objects.for_company(company).filter(type="shipment.dispatched").count() == 1


def test_cannot_plan_more_than_open_counting_other_drafts(keeper, confirmed):
    first, _second = lines_of(confirmed)
    services.shipment_create(
        order=confirmed, actor=keeper, lines=[{"order_line_id": str(first.pk), "quantity": 4}]
    )
    with pytest.raises(ValidationFailed) as error:
        services.shipment_create(
            order=confirmed, actor=keeper, lines=[{"order_line_id": str(first.pk), "quantity": 2}]
        )
    assert "At most 1" in error.value.details["lines"]["0"]["quantity"][0]


def test_zero_quantity_line_moves_nothing_and_unknown_lines_are_refused(keeper, confirmed):
    first, second = lines_of(confirmed)
    shipment = services.shipment_create(
        order=confirmed,
        actor=keeper,
        lines=[
            {"order_line_id": str(first.pk), "quantity": 1},
            {"order_line_id": str(second.pk), "quantity": 0},
        ],
    )
    assert len(selectors.shipment_lines(shipment)) == 1
    with pytest.raises(ValidationFailed):
        services.shipment_create(
            order=confirmed, actor=keeper, lines=[{"order_line_id": "not-an-id", "quantity": 1}]
        )


def test_only_confirmed_orders_ship(keeper, manager, confirmed, order_in):
    draft = order_in(Status.DRAFT)
    with pytest.raises(NotShippable):
        services.shipment_create(order=draft, actor=keeper)
    shipment = services.shipment_create(order=confirmed, actor=keeper)
    sales.order_hold(order=confirmed, actor=manager, reason="customer asked")
    with pytest.raises(OrderOnHold):  # the hold says why (sales.order_on_hold)
        services.shipment_dispatch(shipment=shipment, actor=keeper)


def test_sales_reps_do_not_ship(rep, confirmed):
    with pytest.raises(PermissionDenied):
        services.shipment_create(order=confirmed, actor=rep)


def test_ship_complete_policy(company, keeper, confirmed):
    SalesOrder.objects.for_company(company).filter(pk=confirmed.pk).update(
        shipping_policy=ShippingPolicy.SHIP_COMPLETE
    )
    first, _second = lines_of(confirmed)
    with pytest.raises(ShipComplete):
        services.shipment_create(
            order=confirmed, actor=keeper, lines=[{"order_line_id": str(first.pk), "quantity": 5}]
        )
    services.shipment_create(order=confirmed, actor=keeper, dispatch=True)
    assert progress(confirmed).fulfilment == "shipped"


def test_shipping_beyond_reserved_takes_free_stock_or_fails(
    company, rep, keeper, customer, products, stock
):
    stock(products[0], 2)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": products[0], "quantity": 5}],
        ),
        actor=rep,
    )
    [line] = lines_of(order)
    assert line.qty_reserved == 2
    stock(products[0], 1)  # arrives; no on-commit fill inside this test transaction
    shipment = services.shipment_create(
        order=order, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": 3}]
    )
    services.shipment_dispatch(shipment=shipment, actor=keeper)
    assert lines_of(order)[0].qty_shipped == 3
    too_much = services.shipment_create(
        order=order, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": 2}]
    )
    with pytest.raises(InsufficientStock):
        services.shipment_dispatch(shipment=too_much, actor=keeper)


def test_units_are_never_summed_across_lines(company, rep, keeper, customer, make_product, stock):
    """A line of 250000 mm and a line of 2 pcs: shipping the first fully leaves the order
    partially shipped and the second still shippable."""
    # priced per mm, so the order stays under the default approval rules' total
    cable = make_product(
        company,
        sku="CABLE",
        unit=Unit.objects.for_company(company).get(code="mm"),
        list_price=Decimal("0.01"),
    )
    box = make_product(company, sku="BOX")
    stock(cable, 300000)
    stock(box, 2)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": cable, "quantity": 250000}, {"product": box, "quantity": 2}],
        ),
        actor=rep,
    )
    cable_line, box_line = lines_of(order)
    services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(cable_line.pk), "quantity": 250000}],
        dispatch=True,
    )
    assert progress(order).fulfilment == "partially_shipped"
    ready = services.shipment_create(order=order, actor=keeper)
    assert [(sl.order_line_id, sl.quantity) for sl in selectors.shipment_lines(ready)] == [
        (box_line.pk, 2)
    ]


def test_cancel_a_draft_shipment_frees_its_quantities(keeper, confirmed):
    shipment = services.shipment_create(order=confirmed, actor=keeper)
    services.shipment_cancel(shipment=shipment, actor=keeper)
    assert services.shipment_cancel(shipment=shipment, actor=keeper).status == "cancelled"
    with pytest.raises(ShipmentState):
        services.shipment_dispatch(shipment=shipment, actor=keeper)
    services.shipment_create(order=confirmed, actor=keeper, dispatch=True)


def test_returns_come_back_into_stock_within_what_shipped(
    company, keeper, confirmed, products, main_warehouse
):
    shipment = services.shipment_create(order=confirmed, actor=keeper, dispatch=True)
    first_sl = next(
        sl for sl in selectors.shipment_lines(shipment) if sl.product_id == products[0].pk
    )
    receipt = services.return_receive(
        shipment=shipment,
        actor=keeper,
        lines=[{"shipment_line_id": str(first_sl.pk), "quantity": 2}],
        reason="damaged in transit",
    )
    assert receipt.number.startswith("RT-")
    first, _second = lines_of(confirmed)
    assert first.qty_returned == 2
    level = StockLevel.objects.for_company(company).get(
        product=products[0], warehouse=main_warehouse
    )
    assert level.on_hand == 20 - 5 + 2
    with pytest.raises(OverReturn):
        services.return_receive(
            shipment=shipment,
            actor=keeper,
            lines=[{"shipment_line_id": str(first_sl.pk), "quantity": 4}],
        )
    assert lines_of(confirmed)[0].qty_returned == 2


def test_returns_only_against_dispatched_shipments(keeper, confirmed):
    shipment = services.shipment_create(order=confirmed, actor=keeper)
    [sl, *_] = selectors.shipment_lines(shipment)
    with pytest.raises(ShipmentState):
        services.return_receive(
            shipment=shipment, actor=keeper, lines=[{"shipment_line_id": str(sl.pk), "quantity": 1}]
        )


def test_to_ship_queue_and_visibility(company, keeper, make_user, confirmed, order_in):
    from ordercrm.accounts.roles import Role

    keeper_access = access_for(keeper, company)
    assert list(selectors.to_ship_queue(keeper_access)) == [confirmed]
    services.shipment_create(order=confirmed, actor=keeper, dispatch=True)
    assert list(selectors.to_ship_queue(keeper_access)) == []
    outsider = make_user(Role.SALES_REP, company, username="outsider")
    from ordercrm.core.exceptions import NotFound

    shipment = selectors.shipment_list(keeper_access).first()
    with pytest.raises(NotFound):
        selectors.shipment_get(access_for(outsider, company), shipment.pk)


def test_delivery_note_pdf_in_the_customers_language(
    company, rep, keeper, customer, make_product, stock
):
    customer.language = "zh-hans"
    customer.save()
    valve = make_product(company, sku="VALVE-9", name="不锈钢球阀 DN50")
    stock(valve, 10)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": valve, "quantity": 6}],
        ),
        actor=rep,
    )
    shipment = services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(lines_of(order)[0].pk), "quantity": 4}],
        carrier="顺丰速运",
        tracking_number="SF1234567890",
        dispatch=True,
    )
    data = selectors.delivery_note_pdf(access_for(keeper, company), shipment.pk)
    assert data.startswith(b"%PDF")
    text = pdf_text(data)
    for expected in (
        "发货单",
        shipment.number,
        order.number,
        "不锈钢球阀 DN50",
        "顺丰速运",
        "SF1234567890",
    ):
        assert expected in text, expected
    assert "\ufffd" not in text  # no missing glyphs
    fonts = pdf_fonts(data)
    assert "Noto-Sans-CJK-SC" in fonts  # the CJK font is embedded
    assert "DejaVu" not in fonts  # and nothing fell back to another font
    english = pdf_text(selectors.delivery_note_pdf(access_for(keeper, company), shipment.pk, "en"))
    assert "Delivery note" in english
