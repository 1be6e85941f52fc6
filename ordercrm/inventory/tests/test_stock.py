"""Receipts, adjustments, counts and transfers keep the ledger and the levels equal."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import PermissionDenied, ValidationFailed
from ordercrm.core.ids import new_id
from ordercrm.core.models import AuditEntry, Event
from ordercrm.inventory import selectors, services
from ordercrm.inventory.exceptions import BelowReserved, InsufficientStock, SameWarehouse
from ordercrm.inventory.models import MoveKind, StockLevel, StockMove


def level(company, product, warehouse):
    return StockLevel.objects.for_company(company).get(product=product, warehouse=warehouse)


def test_every_company_starts_with_a_main_warehouse(company, main_warehouse):
    assert main_warehouse.name
    assert list(selectors.warehouse_list(company)) == [main_warehouse]


def test_receive_raises_on_hand_writes_moves_audit_and_event(
    company, keeper, main_warehouse, make_product
):
    a, b = make_product(company, sku="A"), make_product(company, sku="B")
    moves = services.stock_receive(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": a, "quantity": "10"}, {"sku": "B", "quantity": "2.5"}],
        reference="PO-77",
    )
    assert [m.kind for m in moves] == [MoveKind.RECEIPT, MoveKind.RECEIPT]
    assert level(company, a, main_warehouse).on_hand == Decimal("10")
    assert level(company, b, main_warehouse).on_hand == Decimal("2.5")
    assert {m.reference for m in moves} == {"PO-77"}
    services.stock_receive(
        company=company, actor=keeper, warehouse=main_warehouse, lines=[{"sku": "A", "quantity": 5}]
    )
    assert level(company, a, main_warehouse).on_hand == Decimal("15")
    last = selectors.stock_moves(selectors_access(keeper, company), product_id=a.pk).first()
    assert last.balance_after == Decimal("15")
    assert last.reference.startswith("RCV-")
    assert AuditEntry.objects.for_company(company).filter(action="stock_receipt").count() == 2
    assert Event.objects.for_company(company).filter(type="stock.received").count() == 2


def selectors_access(user, company):
    from ordercrm.accounts.access import access_for

    return access_for(user, company)


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"sku": "NOPE", "quantity": 1}, "product"),
        ({"sku": "A", "quantity": 0}, "quantity"),
        ({"sku": "A", "quantity": -3}, "quantity"),
        ({"sku": "A", "quantity": "abc"}, "quantity"),
        ({"sku": "A", "quantity": "1.00001"}, "quantity"),
        ({"sku": "SERVICE", "quantity": 1}, "product"),
    ],
)
def test_bad_receipt_lines_are_rejected_and_change_nothing(
    company, keeper, main_warehouse, make_product, line, field
):
    make_product(company, sku="A")
    make_product(company, sku="SERVICE", is_stock_tracked=False)
    good = {"sku": "A", "quantity": 1}
    with pytest.raises(ValidationFailed) as error:
        services.stock_receive(
            company=company, actor=keeper, warehouse=main_warehouse, lines=[good, line]
        )
    assert field in error.value.details["lines"]["1"]
    assert not StockMove.objects.for_company(company).exists()


def test_only_stock_editors_receive(company, make_user, main_warehouse, make_product):
    product = make_product(company, sku="A")
    rep = make_user(Role.SALES_REP, company, username="r")
    with pytest.raises(PermissionDenied):
        services.stock_receive(
            company=company,
            actor=rep,
            warehouse=main_warehouse,
            lines=[{"product": product, "quantity": 1}],
        )


def test_other_companys_warehouse_is_refused(company, other_company, keeper, make_product):
    from ordercrm.inventory.models import Warehouse

    foreign = Warehouse.objects.for_company(other_company).get(code="main")
    product = make_product(company, sku="A")
    with pytest.raises(ValidationFailed):
        services.stock_receive(
            company=company,
            actor=keeper,
            warehouse=foreign,
            lines=[{"product": product, "quantity": 1}],
        )


def test_adjust_needs_a_reason_and_cannot_go_below_zero_or_reserved(
    company, keeper, main_warehouse, make_product
):
    product = make_product(company, sku="A")
    receive = {"company": company, "actor": keeper, "warehouse": main_warehouse}
    services.stock_receive(**receive, lines=[{"product": product, "quantity": 5}])
    with pytest.raises(ValidationFailed):
        services.stock_adjust(**receive, lines=[{"product": product, "quantity": -1}], reason=" ")
    services.stock_adjust(**receive, lines=[{"product": product, "quantity": -2}], reason="damaged")
    assert level(company, product, main_warehouse).on_hand == 3
    with pytest.raises(BelowReserved):
        services.stock_adjust(
            **receive, lines=[{"product": product, "quantity": -4}], reason="lost"
        )
    services.reserve(
        company=company,
        demands=[services.Demand(new_id(), new_id(), product.pk, Decimal(2), "SO-1")],
        warehouse_ids=[main_warehouse.pk],
        all_or_nothing=True,
    )
    with pytest.raises(BelowReserved):
        services.stock_adjust(
            **receive, lines=[{"product": product, "quantity": -2}], reason="lost"
        )
    assert level(company, product, main_warehouse).on_hand == 3
    move = StockMove.objects.for_company(company).get(kind=MoveKind.ADJUSTMENT)
    assert (move.quantity, move.reason) == (Decimal(-2), "damaged")


def test_count_writes_the_difference_only(company, keeper, main_warehouse, make_product):
    a, b, c = (make_product(company, sku=s) for s in "ABC")
    where = {"company": company, "actor": keeper, "warehouse": main_warehouse}
    services.stock_receive(
        **where, lines=[{"product": a, "quantity": 5}, {"product": b, "quantity": 5}]
    )
    moves = services.stock_count(
        **where,
        counts=[
            {"product": a, "quantity": 5},
            {"product": b, "quantity": 3},
            {"product": c, "quantity": 7},
        ],
    )
    assert sorted((m.product_id, m.quantity) for m in moves) == sorted(
        [(b.pk, Decimal(-2)), (c.pk, Decimal(7))]
    )
    assert level(company, c, main_warehouse).on_hand == 7
    assert services.stock_count(**where, counts=[{"product": a, "quantity": 5}]) == []


def test_transfer_moves_free_stock_only(company, keeper, admin, main_warehouse, make_product):
    product = make_product(company, sku="A")
    north = services.warehouse_create(company=company, actor=admin, code="north", name="North")
    where = {"company": company, "actor": keeper}
    services.stock_receive(
        **where, warehouse=main_warehouse, lines=[{"product": product, "quantity": 6}]
    )
    services.reserve(
        company=company,
        demands=[services.Demand(new_id(), new_id(), product.pk, Decimal(4), "SO-1")],
        warehouse_ids=[main_warehouse.pk],
        all_or_nothing=True,
    )
    with pytest.raises(BelowReserved):
        services.stock_transfer(
            **where,
            source=main_warehouse,
            destination=north,
            lines=[{"product": product, "quantity": 3}],
        )
    moves = services.stock_transfer(
        **where,
        source=main_warehouse,
        destination=north,
        lines=[{"product": product, "quantity": 2}],
    )
    assert sorted(m.quantity for m in moves) == [Decimal(-2), Decimal(2)]
    assert moves[0].reference == moves[1].reference
    assert level(company, product, north).on_hand == 2
    assert level(company, product, main_warehouse).available == 0
    with pytest.raises(SameWarehouse):
        services.stock_transfer(
            **where, source=north, destination=north, lines=[{"product": product, "quantity": 1}]
        )


def test_warehouse_codes_are_unique_and_admin_only(company, admin, keeper):
    services.warehouse_create(company=company, actor=admin, code="north", name="North")
    with pytest.raises(ValidationFailed):
        services.warehouse_create(company=company, actor=admin, code="north", name="Again")
    with pytest.raises(PermissionDenied):
        services.warehouse_create(company=company, actor=keeper, code="x", name="X")


class TestReservations:
    def setup_stock(self, company, keeper, warehouses, product, quantities):
        for warehouse, quantity in zip(warehouses, quantities, strict=True):
            services.stock_receive(
                company=company,
                actor=keeper,
                warehouse=warehouse,
                lines=[{"product": product, "quantity": quantity}],
            )

    def test_all_or_nothing_reports_shortfall_per_line_and_changes_nothing(
        self, company, keeper, main_warehouse, make_product
    ):
        a, b = make_product(company, sku="A"), make_product(company, sku="B")
        self.setup_stock(company, keeper, [main_warehouse], a, [5])
        line_a, line_b, order = new_id(), new_id(), new_id()
        with pytest.raises(InsufficientStock) as error:
            services.reserve(
                company=company,
                demands=[
                    services.Demand(line_a, order, a.pk, Decimal(3)),
                    services.Demand(line_b, order, b.pk, Decimal(2)),
                ],
                warehouse_ids=[main_warehouse.pk],
                all_or_nothing=True,
            )
        assert error.value.details["lines"] == [
            {
                "order_line_id": str(line_b),
                "product_id": str(b.pk),
                "sku": "B",
                "requested": "2",
                "available": "0",
                "shortfall": "2",
            }
        ]
        assert level(company, a, main_warehouse).reserved == 0

    def test_allow_backorder_takes_what_is_there_across_warehouses_in_order(
        self, company, keeper, admin, main_warehouse, make_product
    ):
        product = make_product(company, sku="A")
        north = services.warehouse_create(
            company=company, actor=admin, code="north", name="North", sequence=20
        )
        self.setup_stock(company, keeper, [main_warehouse, north], product, [3, 4])
        line = new_id()
        got = services.reserve(
            company=company,
            demands=[services.Demand(line, new_id(), product.pk, Decimal(9))],
            warehouse_ids=services.warehouses_in_order(company),
            all_or_nothing=False,
        )
        assert got == {line: Decimal(7)}
        assert level(company, product, main_warehouse).reserved == 3
        assert level(company, product, north).reserved == 4
        total = selectors.availability(company, [product.pk])[product.pk]
        assert (total.on_hand, total.reserved, total.available) == (7, 7, 0)

    def test_release_and_consume(self, company, keeper, main_warehouse, make_product):
        product = make_product(company, sku="A")
        self.setup_stock(company, keeper, [main_warehouse], product, [10])
        line, order = new_id(), new_id()
        services.reserve(
            company=company,
            demands=[services.Demand(line, order, product.pk, Decimal(6))],
            warehouse_ids=[main_warehouse.pk],
            all_or_nothing=True,
        )
        assert services.release(company=company, amounts={line: Decimal(1)}) == {line: Decimal(1)}
        moves = services.consume(
            company=company,
            consumptions=[services.Consumption(line, Decimal(2))],
            warehouse_ids=None,
            actor=keeper,
            reference="SH-1",
            reference_id=new_id(),
        )
        assert [(m.kind, m.quantity) for m in moves] == [(MoveKind.SHIPMENT, Decimal(-2))]
        stock = level(company, product, main_warehouse)
        assert (stock.on_hand, stock.reserved) == (8, 3)
        from ordercrm.inventory.exceptions import NotReserved

        with pytest.raises(NotReserved):
            services.consume(
                company=company,
                consumptions=[services.Consumption(line, Decimal(4))],
                warehouse_ids=None,
                actor=keeper,
                reference="SH-2",
                reference_id=new_id(),
            )
        assert services.release(company=company, amounts={line: None}) == {line: Decimal(3)}
        assert level(company, product, main_warehouse).reserved == 0


def test_stock_low_is_announced_once_when_available_crosses_the_reorder_point(
    company, keeper, main_warehouse, make_product
):
    from ordercrm.catalog.services import product_update

    product = make_product(company, sku="LOW")
    product_update(product=product, actor=None, reorder_point=Decimal("5"))
    where = {"company": company, "actor": keeper, "warehouse": main_warehouse}
    services.stock_receive(**where, lines=[{"product": product, "quantity": 10}])
    low = Event.objects.for_company(company).filter(type="stock.low")

    def reserve(quantity):
        services.reserve(
            company=company,
            demands=[services.Demand(new_id(), new_id(), product.pk, Decimal(quantity))],
            warehouse_ids=[main_warehouse.pk],
            all_or_nothing=True,
        )

    reserve(3)  # 10 → 7 available: above the point
    assert not low.exists()
    reserve(2)  # 7 → 5: crosses it
    assert low.count() == 1
    assert low.get().payload == {"sku": "LOW", "available": "5", "reorder_point": "5"}
    reserve(1)  # already below: no repeat
    assert low.count() == 1
