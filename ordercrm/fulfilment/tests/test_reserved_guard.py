"""Issue #17: stock that a confirmed order's reservation relies on cannot be issued by an
adjustment, a count or a transfer, nor taken back out by reversing the receipt that supplied
it; each refusal is ``inventory.below_reserved``, names the stock, and changes nothing.
Issuing exactly the free stock is allowed, and the order still ships in full afterwards.

(Here rather than in ``inventory/tests``: the order comes from sales, a layer above.)"""

from decimal import Decimal

import pytest

from ordercrm.core.models import AuditEntry, Event
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.exceptions import BelowReserved
from ordercrm.inventory.models import Reservation, StockLevel, StockMove
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine


@pytest.fixture
def north(company, admin):
    return inventory.warehouse_create(company=company, actor=admin, code="north", name="North")


@pytest.fixture
def reserved_world(company, rep, customer, products, stock, main_warehouse):
    """10 of P0 received in the main warehouse; an order confirmed for 6 of them (4 free)."""
    [receipt_move] = stock(products[0], 10)
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 6}],
    )
    order = sales.order_submit(order=order, actor=rep)
    level = StockLevel.objects.for_company(company).get(
        product=products[0], warehouse=main_warehouse
    )
    assert (level.on_hand, level.reserved) == (10, 6)
    return {"order": order, "product": products[0], "receipt_id": receipt_move.reference_id}


def snapshot(company):
    """Everything a refused stock change must leave as it was."""
    return {
        "levels": sorted(
            StockLevel.objects.for_company(company).values_list(
                "pk", "on_hand", "reserved", "updated_at"
            )
        ),
        "moves": sorted(StockMove.objects.for_company(company).values_list("pk", flat=True)),
        "reservations": sorted(
            Reservation.objects.for_company(company).values_list("pk", "quantity")
        ),
        "line_reserved": sorted(
            SalesOrderLine.objects.for_company(company).values_list("pk", "qty_reserved")
        ),
        "audit": AuditEntry.objects.for_company(company).count(),
        "events": Event.objects.for_company(company).count(),
    }


def issue(kind, *, company, keeper, main_warehouse, north, product, quantity):
    """Take ``quantity`` of ``product`` out of the main warehouse the way ``kind`` does."""
    where = {"company": company, "actor": keeper}
    if kind == "adjust":
        return inventory.stock_adjust(
            **where,
            warehouse=main_warehouse,
            lines=[{"product": product, "quantity": -quantity}],
            reason="damaged",
        )
    if kind == "count":
        on_hand = (
            StockLevel.objects.for_company(company)
            .get(product=product, warehouse=main_warehouse)
            .on_hand
        )
        return inventory.stock_count(
            **where,
            warehouse=main_warehouse,
            counts=[{"product": product, "quantity": on_hand - quantity}],
        )
    return inventory.stock_transfer(
        **where,
        source=main_warehouse,
        destination=north,
        lines=[{"product": product, "quantity": quantity}],
    )


@pytest.mark.parametrize("kind", ["adjust", "count", "transfer"])
def test_issuing_reserved_stock_is_refused_with_the_stock_named_and_nothing_changed(
    company, keeper, main_warehouse, north, reserved_world, kind
):
    product = reserved_world["product"]
    before = snapshot(company)
    with pytest.raises(BelowReserved) as error:
        issue(
            kind,
            company=company,
            keeper=keeper,
            main_warehouse=main_warehouse,
            north=north,
            product=product,
            quantity=Decimal(5),  # one more than the 4 free
        )
    assert error.value.code == "inventory.below_reserved"
    assert error.value.http_status == 409
    assert error.value.details["lines"] == [
        {
            "product_id": str(product.pk),
            "sku": "P0",
            "warehouse_id": str(main_warehouse.pk),
            "warehouse": "main",
            "on_hand": "10",
            "reserved": "6",
            "available": "4",
            "change": "-5",
        }
    ]
    assert snapshot(company) == before


@pytest.mark.parametrize("kind", ["adjust", "count", "transfer"])
def test_issuing_exactly_the_free_stock_works_and_the_order_still_ships(
    company, keeper, main_warehouse, north, reserved_world, kind
):
    product = reserved_world["product"]
    moves = issue(
        kind,
        company=company,
        keeper=keeper,
        main_warehouse=main_warehouse,
        north=north,
        product=product,
        quantity=Decimal(4),
    )
    assert Decimal(-4) in [m.quantity for m in moves]
    level = StockLevel.objects.for_company(company).get(product=product, warehouse=main_warehouse)
    assert (level.on_hand, level.reserved, level.available) == (6, 6, 0)
    # nothing more, not even a fraction, can leave now
    with pytest.raises(BelowReserved):
        issue(
            kind,
            company=company,
            keeper=keeper,
            main_warehouse=main_warehouse,
            north=north,
            product=product,
            quantity=Decimal("0.0001"),
        )
    fulfilment.shipment_create(order=reserved_world["order"], actor=keeper, dispatch=True)
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (0, 0)


def test_reversing_the_receipt_reserved_stock_came_from_is_refused(
    company, keeper, main_warehouse, reserved_world
):
    before = snapshot(company)
    with pytest.raises(BelowReserved) as error:
        inventory.stock_receipt_reverse(
            company=company,
            actor=keeper,
            receipt_id=reserved_world["receipt_id"],
            reason="wrong delivery",
        )
    [line] = error.value.details["lines"]
    assert (line["sku"], line["on_hand"], line["reserved"], line["change"]) == (
        "P0",
        "10",
        "6",
        "-10",
    )
    assert snapshot(company) == before


def test_a_receipt_is_reversed_once_the_order_it_served_has_released_its_stock(
    company, rep, manager, keeper, main_warehouse, reserved_world
):
    sales.order_cancel(order=reserved_world["order"], actor=manager, reason="customer withdrew")
    moves = inventory.stock_receipt_reverse(
        company=company,
        actor=keeper,
        receipt_id=reserved_world["receipt_id"],
        reason="wrong delivery",
    )
    assert [m.quantity for m in moves] == [Decimal(-10)]
    level = StockLevel.objects.for_company(company).get(
        product=reserved_world["product"], warehouse=main_warehouse
    )
    assert (level.on_hand, level.reserved) == (0, 0)
