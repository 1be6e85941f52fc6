"""Receipts over the API (#17): a receipt is found by the id its moves carry, reversed once
with a reason, and refused while orders' reservations rely on its stock."""

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.models import Event
from ordercrm.inventory.models import StockLevel, StockMove, Warehouse


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def main(company):
    return Warehouse.objects.for_company(company).get(code="main")


@pytest.fixture
def receipt(call, keeper, main, products):
    status, moves = call(
        keeper,
        "post",
        "/stock/receipts",
        {
            "warehouse_id": str(main.pk),
            "reference": "PO-9",
            "lines": [{"sku": "P0", "quantity": "10"}],
        },
    )
    assert status == 201
    assert moves[0]["reference_id"]
    assert moves[0]["reversal_of_id"] is None
    return moves[0]["reference_id"]


def test_a_receipt_is_read_and_reversed_once(call, company, keeper, main, products, receipt):
    status, body = call(keeper, "get", f"/stock/receipts/{receipt}")
    assert status == 200
    assert (body["id"], body["reference"], body["warehouse_id"], body["reversed"]) == (
        receipt,
        "PO-9",
        str(main.pk),
        False,
    )
    assert [(m["kind"], m["quantity"]) for m in body["lines"]] == [("receipt", "10")]
    assert body["reversals"] == []

    status, body = call(
        keeper, "post", f"/stock/receipts/{receipt}/reverse", {"reason": "wrong delivery"}
    )
    assert status == 200, body
    assert body["reversed"] is True
    assert body["reversal_reason"] == "wrong delivery"
    assert body["reversed_at"]
    [reversal] = body["reversals"]
    assert (reversal["kind"], reversal["quantity"], reversal["reference"]) == (
        "receipt_reversal",
        "-10",
        "PO-9",
    )
    assert (reversal["reference_id"], reversal["reversal_of_id"]) == (
        receipt,
        body["lines"][0]["id"],
    )
    level = StockLevel.objects.for_company(company).get(product=products[0], warehouse=main)
    assert level.on_hand == 0

    moves = StockMove.objects.for_company(company).count()
    status, body = call(keeper, "post", f"/stock/receipts/{receipt}/reverse", {"reason": "again"})
    assert status == 409
    assert body["error"]["code"] == "inventory.already_reversed"
    assert body["error"]["details"]["receipt_id"] == receipt
    assert StockMove.objects.for_company(company).count() == moves
    assert Event.objects.for_company(company).filter(type="stock.receipt_reversed").count() == 1


def test_reserved_stock_refuses_the_reversal_with_the_stock_named(
    call, company, rep, customer, keeper, main, products, receipt
):
    status, order = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "6"}]},
    )
    assert status == 201
    status, order = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert status == 200
    assert order["status"] == "confirmed"

    status, body = call(
        keeper,
        "post",
        f"/stock/receipts/{receipt}/reverse",
        {"reason": "wrong delivery"},
        Accept_Language="zh-hans",
    )
    assert status == 409
    assert body["error"]["code"] == "inventory.below_reserved"
    assert body["error"]["message"] != "This would leave less stock than is reserved for orders."
    assert "预留" in body["error"]["message"]
    [line] = body["error"]["details"]["lines"]
    assert line == {
        "product_id": str(products[0].pk),
        "sku": "P0",
        "warehouse_id": str(main.pk),
        "warehouse": "main",
        "on_hand": "10",
        "reserved": "6",
        "available": "4",
        "change": "-10",
    }
    level = StockLevel.objects.for_company(company).get(product=products[0], warehouse=main)
    assert (level.on_hand, level.reserved) == (10, 6)
    status, body = call(keeper, "get", f"/stock/receipts/{receipt}")
    assert body["reversed"] is False


def test_refusals_of_the_reverse_endpoint(call, company, rep, keeper, receipt):
    path = f"/stock/receipts/{receipt}/reverse"
    status, body = call(rep, "post", path, {"reason": "x"})
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    status, body = call(keeper, "post", path, {"reason": "  "})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "reason" in body["error"]["details"]["fields"]
    status, body = call(keeper, "post", path, {})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call(keeper, "post", path, {"reason": "x", "quantity": "1"})
    assert status == 422  # unknown fields are refused, not ignored
    for unknown in ("0192f3a4-5b6c-7d8e-9f00-112233445566", "nope"):
        status, body = call(keeper, "post", f"/stock/receipts/{unknown}/reverse", {"reason": "x"})
        assert (status, body["error"]["code"]) == (404, "core.not_found")
        status, body = call(keeper, "get", f"/stock/receipts/{unknown}")
        assert (status, body["error"]["code"]) == (404, "core.not_found")
    assert not StockMove.objects.for_company(company).filter(kind="receipt_reversal").exists()


def test_an_adjustment_may_not_issue_reserved_stock(
    call, company, rep, customer, keeper, main, products, receipt
):
    status, order = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "6"}]},
    )
    assert status == 201
    status, order = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert (status, order["status"]) == (200, "confirmed")
    moves_before = StockMove.objects.for_company(company).count()
    status, body = call(
        keeper,
        "post",
        "/stock/adjustments",
        {
            "warehouse_id": str(main.pk),
            "reason": "breakage",
            "lines": [{"sku": "P0", "quantity": "-5"}],  # 4 are free
        },
    )
    assert status == 409, body
    assert body["error"]["code"] == "inventory.below_reserved"
    [line] = body["error"]["details"]["lines"]
    assert (line["sku"], line["available"], line["change"]) == ("P0", "4", "-5")
    assert StockMove.objects.for_company(company).count() == moves_before
    level = StockLevel.objects.for_company(company).get(product=products[0], warehouse=main)
    assert (level.on_hand, level.reserved) == (10, 6)
    # the free four may go
    status, moves = call(
        keeper,
        "post",
        "/stock/adjustments",
        {
            "warehouse_id": str(main.pk),
            "reason": "breakage",
            "lines": [{"sku": "P0", "quantity": "-4"}],
        },
    )
    assert status == 201, moves
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (6, 6)
