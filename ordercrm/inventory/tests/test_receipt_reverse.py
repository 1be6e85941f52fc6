"""``stock_receipt_reverse``: a receipt is taken back out by opposite moves that reference it
(the receipt's own moves stay), once, by stock editors, never from stock that reservations
hold; every refusal changes nothing."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from ordercrm.core.ids import new_id
from ordercrm.core.models import AuditEntry, Event
from ordercrm.inventory import selectors, services
from ordercrm.inventory.exceptions import AlreadyReversed, BelowReserved
from ordercrm.inventory.models import MoveKind, Reservation, StockLevel, StockMove, Warehouse


def level(company, product, warehouse):
    return StockLevel.objects.for_company(company).get(product=product, warehouse=warehouse)


def snapshot(company):
    return {
        "levels": sorted(
            StockLevel.objects.for_company(company).values_list("pk", "on_hand", "reserved")
        ),
        "moves": sorted(StockMove.objects.for_company(company).values_list("pk", flat=True)),
        "reservations": sorted(
            Reservation.objects.for_company(company).values_list("pk", "quantity")
        ),
        "audit": AuditEntry.objects.for_company(company).count(),
        "events": Event.objects.for_company(company).count(),
    }


def reserve(company, warehouse, product, quantity):
    services.reserve(
        company=company,
        demands=[services.Demand(new_id(), new_id(), product.pk, Decimal(quantity), "SO-1")],
        warehouse_ids=[warehouse.pk],
        all_or_nothing=True,
    )


@pytest.fixture
def receive(company, keeper, main_warehouse):
    def receive(*lines, reference="", warehouse=None):
        moves = services.stock_receive(
            company=company,
            actor=keeper,
            warehouse=warehouse or main_warehouse,
            lines=[{"product": p, "quantity": q} for p, q in lines],
            reference=reference,
        )
        return moves[0].reference_id

    return receive


@pytest.fixture
def reverse(company, keeper):
    def reverse(receipt_id, reason="wrong delivery", actor=None):
        return services.stock_receipt_reverse(
            company=company, actor=actor or keeper, receipt_id=receipt_id, reason=reason
        )

    return reverse


def test_reversal_writes_opposite_moves_referencing_the_receipt_and_keeps_it(
    company, keeper, main_warehouse, make_product, receive, reverse
):
    a, b = make_product(company, sku="A"), make_product(company, sku="B")
    receive((a, 3))
    receipt_id = receive((a, 10), (b, "2.5"), reference="PO-77")
    originals = list(
        StockMove.objects.for_company(company).filter(reference_id=receipt_id).values()
    )
    moves = reverse(receipt_id, reason="  delivered to the wrong site ")
    assert [(m.kind, m.product_id, m.quantity) for m in moves] == [
        (MoveKind.RECEIPT_REVERSAL, a.pk, Decimal(-10)),
        (MoveKind.RECEIPT_REVERSAL, b.pk, Decimal("-2.5")),
    ]
    by_product = {o["product_id"]: o for o in originals}
    for move in moves:
        assert move.reference == "PO-77"
        assert move.reference_id == receipt_id
        assert move.reversal_of_id == by_product[move.product_id]["id"]
        assert move.reason == "delivered to the wrong site"
        assert move.actor == keeper
    assert [m.balance_after for m in moves] == [Decimal(3), Decimal(0)]
    # the receipt's own moves are untouched
    assert (
        list(
            StockMove.objects.for_company(company)
            .filter(reference_id=receipt_id, kind=MoveKind.RECEIPT)
            .values()
        )
        == originals
    )
    assert level(company, a, main_warehouse).on_hand == 3
    assert level(company, b, main_warehouse).on_hand == 0
    entry = AuditEntry.objects.for_company(company).get(action="stock_receipt_reverse")
    assert entry.actor == keeper
    assert entry.entity_id == str(main_warehouse.pk)
    assert entry.changes == {
        "receipt_id": str(receipt_id),
        "reference": "PO-77",
        "reason": "delivered to the wrong site",
        "lines": [
            {"product_id": str(a.pk), "quantity": "-10"},
            {"product_id": str(b.pk), "quantity": "-2.5"},
        ],
    }
    event = Event.objects.for_company(company).get(type="stock.receipt_reversed")
    assert event.payload == entry.changes
    assert event.actor == keeper


def test_the_receipt_page_data_shows_lines_reversal_and_stock(
    company, keeper, main_warehouse, make_product, receive, reverse
):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4))
    access = access_for(keeper, company)
    receipt = selectors.stock_receipt(access, receipt_id)
    assert (receipt.reference[:4], receipt.warehouse, receipt.reversed) == (
        "RCV-",
        main_warehouse,
        False,
    )
    assert [m.quantity for m in receipt.lines] == [Decimal(4)]
    assert receipt.levels[product.pk].available == 4
    reverse(receipt_id, reason="booked twice")
    receipt = selectors.stock_receipt(access, receipt_id)
    assert receipt.reversed
    assert (receipt.reversed_by, receipt.reversal_reason) == (keeper, "booked twice")
    assert [m.quantity for m in receipt.reversals] == [Decimal(-4)]
    assert [
        m.kind
        for m in selectors.stock_moves(
            access, kind=MoveKind.RECEIPT_REVERSAL, product_id=product.pk
        )
    ] == [MoveKind.RECEIPT_REVERSAL]
    with pytest.raises(NotFound):
        selectors.stock_receipt(access, new_id())


def test_reversal_may_take_free_stock_down_to_what_is_reserved_and_no_further(
    company, main_warehouse, make_product, receive, reverse
):
    product = make_product(company, sku="A")
    first = receive((product, 10))
    second = receive((product, 5))
    reserve(company, main_warehouse, product, 5)  # on hand 15, reserved 5: 10 free
    before = snapshot(company)
    # the first receipt's 10 are all free: allowed, leaving on hand = reserved
    reverse(first)
    stock = level(company, product, main_warehouse)
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 5, 0)
    assert snapshot(company) != before
    # the second receipt's 5 are what the reservation relies on now
    before = snapshot(company)
    with pytest.raises(BelowReserved) as error:
        reverse(second)
    assert error.value.code == "inventory.below_reserved"
    assert error.value.details["lines"] == [
        {
            "product_id": str(product.pk),
            "sku": "A",
            "warehouse_id": str(main_warehouse.pk),
            "warehouse": "main",
            "on_hand": "5",
            "reserved": "5",
            "available": "0",
            "change": "-5",
        }
    ]
    assert snapshot(company) == before


def test_one_short_line_refuses_the_whole_reversal(
    company, main_warehouse, make_product, receive, reverse
):
    a, b = make_product(company, sku="A"), make_product(company, sku="B")
    receipt_id = receive((a, 4), (b, 4))
    reserve(company, main_warehouse, b, 1)
    before = snapshot(company)
    with pytest.raises(BelowReserved) as error:
        reverse(receipt_id)
    assert [line["sku"] for line in error.value.details["lines"]] == ["B"]
    assert snapshot(company) == before


def test_goods_already_gone_cannot_be_reversed(
    company, keeper, main_warehouse, make_product, receive, reverse
):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4))
    services.stock_adjust(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": product, "quantity": -1}],
        reason="damaged",
    )
    before = snapshot(company)
    with pytest.raises(BelowReserved) as error:
        reverse(receipt_id)
    assert error.value.details["lines"][0]["on_hand"] == "3"
    assert snapshot(company) == before


def test_a_second_reversal_is_refused_and_changes_nothing(company, make_product, receive, reverse):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4), reference="PO-1")
    [first] = reverse(receipt_id)
    before = snapshot(company)
    with pytest.raises(AlreadyReversed) as error:
        reverse(receipt_id)
    assert error.value.code == "inventory.already_reversed"
    assert error.value.http_status == 409
    assert error.value.details == {
        "receipt_id": str(receipt_id),
        "reference": "PO-1",
        "reversed_at": first.created_at.isoformat(),
    }
    assert snapshot(company) == before


def test_the_schema_allows_one_reversal_per_receipt_line(
    company, keeper, make_product, receive, reverse
):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4))
    [reversal] = reverse(receipt_id)
    receive((product, 4))  # so the level could afford a second one
    twin = StockMove(
        company=company,
        product=product,
        warehouse_id=reversal.warehouse_id,
        kind=MoveKind.RECEIPT_REVERSAL,
        quantity=Decimal(-4),
        balance_after=Decimal(0),
        reference_id=receipt_id,
        reversal_of_id=reversal.reversal_of_id,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()
    unlinked = StockMove(
        company=company,
        product=product,
        warehouse_id=reversal.warehouse_id,
        kind=MoveKind.RECEIPT_REVERSAL,
        quantity=Decimal(-1),
        balance_after=Decimal(0),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        unlinked.save()


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_reason_is_required(company, make_product, receive, reverse, reason):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4))
    before = snapshot(company)
    with pytest.raises(ValidationFailed) as error:
        reverse(receipt_id, reason=reason)
    assert "reason" in error.value.details["fields"]
    assert snapshot(company) == before


def test_only_stock_editors_reverse(company, make_user, make_product, receive, reverse):
    product = make_product(company, sku="A")
    receipt_id = receive((product, 4))
    before = snapshot(company)
    for role in (Role.SALES_REP, Role.SALES_MANAGER, Role.FINANCE, Role.VIEWER):
        with pytest.raises(PermissionDenied):
            reverse(receipt_id, actor=make_user(role, company))
    assert snapshot(company) == before


def test_only_a_receipt_of_the_company_can_be_reversed(
    company, other_company, keeper, main_warehouse, make_product, make_user, receive, reverse
):
    product = make_product(company, sku="A")
    receive((product, 4))
    adjustment = services.stock_adjust(
        company=company,
        actor=keeper,
        warehouse=main_warehouse,
        lines=[{"product": product, "quantity": 1}],
        reason="found",
    )
    foreign_product = make_product(other_company, sku="A")
    foreign_keeper = make_user(Role.WAREHOUSE, other_company)
    foreign = services.stock_receive(
        company=other_company,
        actor=foreign_keeper,
        warehouse=Warehouse.objects.for_company(other_company).get(code="main"),
        lines=[{"product": foreign_product, "quantity": 4}],
    )
    before = snapshot(company)
    for receipt_id in (new_id(), adjustment[0].reference_id, foreign[0].reference_id):
        with pytest.raises(NotFound):
            reverse(receipt_id)
    assert snapshot(company) == before
    assert level(other_company, foreign_product, foreign[0].warehouse).on_hand == 4
