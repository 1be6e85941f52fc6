"""Kits on orders: the kit line is priced and invoiced as one line; its components are
reserved, shipped and returned in its place (docs/decisions.md, "Kits"). The ledger check
of this package's conftest runs after every test (on hand = Σ moves, reserved = Σ
reservations)."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.core.exceptions import ValidationFailed
from ordercrm.core.models import Event, StockPolicy
from ordercrm.fulfilment import services
from ordercrm.fulfilment.models import ShipmentLine
from ordercrm.inventory import services as inventory
from ordercrm.inventory.exceptions import InsufficientStock
from ordercrm.inventory.models import MoveKind, Reservation, StockLevel, StockMove
from ordercrm.sales import kits
from ordercrm.sales import services as sales
from ordercrm.sales.models import OrderLineComponent, SalesOrderLine
from ordercrm.sales.selectors import lines_stock
from ordercrm.sales.workflow import Status


@pytest.fixture
def parts(company, make_product):
    return make_product(company, sku="A"), make_product(company, sku="B")


@pytest.fixture
def kit(company, admin, make_product, parts):
    """K = 5 × A + 2 × B."""
    product = make_product(company, sku="K", list_price=Decimal("99.00"))
    a, b = parts
    return catalog.product_kit_set(
        product=product,
        actor=admin,
        components=[{"product": a, "quantity": "5"}, {"product": b, "quantity": "2"}],
    )


def on_hand(company, product):
    levels = StockLevel.objects.for_company(company).filter(product=product)
    return sum((lv.on_hand for lv in levels), Decimal(0)), sum(
        (lv.reserved for lv in levels), Decimal(0)
    )


def kit_order(company, rep, customer, kit, quantity):
    return sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": kit, "quantity": quantity}],
    )


def line_of(order):
    return SalesOrderLine.objects.for_company(order.company_id).get(order=order)


def test_the_kit_line_copies_its_components_and_keeps_them(
    company, admin, rep, customer, kit, parts
):
    order = kit_order(company, rep, customer, kit, 3)
    line = line_of(order)
    assert line.is_kit
    assert line.unit_price == Decimal("99.00")
    copied = OrderLineComponent.objects.for_company(company).filter(line=line)
    assert [(c.product.sku, c.quantity) for c in copied] == [("A", 5), ("B", 2)]
    # a later change of the kit leaves the order as entered
    catalog.product_kit_set(
        product=kit, actor=admin, components=[{"product": parts[0], "quantity": "1"}]
    )
    assert [(c.product.sku, c.quantity) for c in copied.all()] == [("A", 5), ("B", 2)]


def test_confirming_reserves_the_components_not_the_kit(company, rep, customer, kit, parts, stock):
    a, b = parts
    stock(a, 100)
    stock(b, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    assert order.status == Status.CONFIRMED
    assert line_of(order).qty_reserved == 3
    assert on_hand(company, a) == (100, 15)
    assert on_hand(company, b) == (100, 6)
    assert not StockLevel.objects.for_company(company).filter(product=kit).exists()


def test_all_or_nothing_refuses_a_short_component_and_changes_nothing(
    company, rep, customer, kit, parts, stock
):
    company.stock_policy = StockPolicy.ALL_OR_NOTHING
    company.save()
    a, b = parts
    stock(a, 100)
    stock(b, 5)
    order = kit_order(company, rep, customer, kit, 3)
    with pytest.raises(InsufficientStock) as error:
        sales.order_submit(order=order, actor=rep)
    assert error.value.code == "inventory.insufficient_stock"
    [short] = error.value.details["lines"]
    assert (short["sku"], short["requested"], short["available"]) == ("B", "6", "5")
    assert short["order_line_id"] == str(line_of(order).pk)
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    assert not Reservation.objects.for_company(company).exists()
    assert on_hand(company, a) == (100, 0)


def test_a_backorder_holds_whole_kits_and_leaves_the_rest_free(
    company, rep, customer, kit, parts, stock
):
    a, b = parts
    stock(a, 100)
    stock(b, 5)  # two whole kits' worth of B
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    assert line_of(order).qty_reserved == 2
    assert on_hand(company, a) == (100, 10)
    assert on_hand(company, b) == (5, 4)


def test_arriving_components_fill_a_kit_backorder(
    company, rep, customer, kit, parts, stock, django_capture_on_commit_callbacks
):
    a, b = parts
    stock(a, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    assert line_of(order).qty_reserved == 0
    assert on_hand(company, a) == (100, 0)
    with django_capture_on_commit_callbacks(execute=True):
        stock(b, 4)
    assert line_of(order).qty_reserved == 2
    assert on_hand(company, b) == (4, 4)
    assert Event.objects.for_company(company).filter(type="order.backorder_filled").exists()


def test_shipping_a_kit_ships_its_components(
    company, rep, keeper, customer, kit, parts, stock, main_warehouse
):
    a, b = parts
    stock(a, 100)
    stock(b, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    line = line_of(order)
    shipment = services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": "2"}],
        dispatch=True,
    )
    moves = StockMove.objects.for_company(company).filter(
        reference_id=shipment.pk, kind=MoveKind.SHIPMENT
    )
    assert sorted((m.product.sku, m.quantity) for m in moves) == [("A", -10), ("B", -4)]
    assert on_hand(company, a) == (90, 5)
    assert on_hand(company, b) == (96, 2)
    line.refresh_from_db()
    assert (line.qty_shipped, line.qty_reserved) == (2, 1)
    order.refresh_from_db()
    assert order.fulfilment_progress == "partially_shipped"
    services.shipment_create(order=order, actor=keeper, dispatch=True)  # the rest
    line.refresh_from_db()
    assert (line.qty_shipped, line.qty_reserved) == (3, 0)
    assert on_hand(company, a) == (85, 0)
    assert on_hand(company, b) == (94, 0)


def test_shipping_beyond_the_reservation_takes_free_components_all_or_nothing(
    company, rep, keeper, customer, kit, parts, stock
):
    a, b = parts
    stock(a, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 2), actor=rep)
    line = line_of(order)
    shipment = services.shipment_create(
        order=order, actor=keeper, lines=[{"order_line_id": str(line.pk), "quantity": "2"}]
    )
    with pytest.raises(InsufficientStock):
        services.shipment_dispatch(shipment=shipment, actor=keeper)
    assert on_hand(company, a) == (100, 0)
    stock(b, 4)
    services.shipment_dispatch(shipment=shipment, actor=keeper)
    line.refresh_from_db()
    assert (line.qty_shipped, line.qty_reserved) == (2, 0)
    assert on_hand(company, a) == (90, 0)
    assert on_hand(company, b) == (0, 0)


def test_cancel_and_close_release_the_components(
    company, rep, manager, customer, kit, parts, stock
):
    a, b = parts
    stock(a, 100)
    stock(b, 100)
    first = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    second = sales.order_submit(order=kit_order(company, rep, customer, kit, 1), actor=rep)
    assert on_hand(company, a) == (100, 20)
    sales.order_cancel(order=first, actor=manager, reason="changed mind")
    assert on_hand(company, a) == (100, 5)
    assert on_hand(company, b) == (100, 2)
    sales.order_close(order=second, actor=manager)
    assert on_hand(company, a) == (100, 0)
    assert not Reservation.objects.for_company(company).exists()


def test_lowering_a_kit_line_gives_back_its_components(company, rep, customer, kit, parts, stock):
    a, b = parts
    stock(a, 100)
    stock(b, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    line = line_of(order)
    sales.order_amend(
        order=order,
        actor=rep,
        version=order.version,
        lines=[{"line_id": str(line.pk), "quantity": "1"}],
    )
    assert line_of(order).qty_reserved == 1
    assert on_hand(company, a) == (100, 5)
    assert on_hand(company, b) == (100, 2)


def test_declining_the_backorder_releases_the_components(
    company, rep, manager, keeper, customer, kit, parts, stock
):
    a, b = parts
    stock(a, 100)
    stock(b, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    line = line_of(order)
    services.shipment_create(
        order=order,
        actor=keeper,
        lines=[{"order_line_id": str(line.pk), "quantity": "1"}],
        dispatch=True,
        decline_backorder=True,
    )
    line.refresh_from_db()
    assert (line.qty_shipped, line.qty_closed, line.qty_reserved) == (1, 2, 0)
    assert on_hand(company, a) == (95, 0)
    assert on_hand(company, b) == (98, 0)


def test_a_returned_kit_puts_its_components_back(
    company, rep, keeper, customer, kit, parts, stock, make_user
):
    from ordercrm.accounts.roles import Role

    a, b = parts
    stock(a, 100)
    stock(b, 100)
    order = sales.order_submit(order=kit_order(company, rep, customer, kit, 3), actor=rep)
    shipment = services.shipment_create(order=order, actor=keeper, dispatch=True)
    [shipped] = ShipmentLine.objects.for_company(company).filter(shipment=shipment)
    admin = make_user(Role.ADMIN, company, username="returns-admin")
    services.return_receive(
        shipment=shipment,
        actor=admin,
        lines=[{"shipment_line_id": str(shipped.pk), "quantity": "1"}],
    )
    assert on_hand(company, a) == (90, 0)
    assert on_hand(company, b) == (96, 0)
    assert line_of(order).qty_returned == 1


def test_a_kit_takes_no_stock_receipt(company, keeper, kit, main_warehouse):
    with pytest.raises(ValidationFailed) as error:
        inventory.stock_receive(
            company=company,
            actor=keeper,
            warehouse=main_warehouse,
            lines=[{"product": kit, "quantity": 5}],
        )
    assert error.value.code == "core.validation_failed"
    assert "kit" in error.value.details["lines"]["0"]["product"][0]
    assert not StockMove.objects.for_company(company).exists()


def test_free_kits_at_quoting_are_whole_kits_of_free_components(
    company, rep, customer, kit, parts, stock, products
):
    a, b = parts
    stock(a, 23)  # 4 kits' worth
    stock(b, 5)  # 2 kits' worth
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": kit, "quantity": 1}, {"product": a, "quantity": 10}],
    )
    lines = list(SalesOrderLine.objects.for_company(company).filter(order=order))
    kit_stock, a_stock = lines_stock(order, lines)
    assert (kit_stock.free, kit_stock.short) == (2, 0)
    # the kit's line took 5 of A: 18 are left for the next line
    assert (a_stock.free, a_stock.short) == (18, 0)


def test_kits_from_is_odoos_rule():
    per_kit = {"a": Decimal(5), "b": Decimal(2)}
    assert kits.kits_from({"a": Decimal(12), "b": Decimal(9)}, per_kit) == 2
    assert kits.kits_from({"a": Decimal(100), "b": Decimal(1)}, per_kit) == 0
    assert kits.kits_from({"a": Decimal(15)}, per_kit) == 0
    assert kits.change(Decimal("0.5"), Decimal("1.5"), Decimal("0.3333")) == Decimal("0.3333")
    # shares add up to the total however a quantity is split
    total = kits.change(Decimal(0), Decimal("0.7"), Decimal("0.3333"))
    split = kits.change(Decimal(0), Decimal("0.3"), Decimal("0.3333")) + kits.change(
        Decimal("0.3"), Decimal("0.7"), Decimal("0.3333")
    )
    assert total == split
