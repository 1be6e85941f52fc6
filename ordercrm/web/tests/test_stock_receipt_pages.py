"""The receipt page (#17): the ledger links each receipt to it, a stock editor reverses it
there after confirming, and a refusal (stock reserved for orders, no tick, already
reversed) is shown beside the button, translated, with nothing booked."""

import pytest
from django.urls import reverse

from ordercrm.inventory.models import MoveKind, StockLevel, StockMove, Warehouse
from ordercrm.sales import services as sales


@pytest.fixture
def main(company):
    return Warehouse.objects.for_company(company).get(code="main")


@pytest.fixture
def receipt_id(company, main, stocked):
    """The ``stocked`` receipt: 100 of each product."""
    return (
        StockMove.objects.for_company(company)
        .filter(kind=MoveKind.RECEIPT, warehouse=main)
        .values_list("reference_id", flat=True)
        .first()
    )


@pytest.fixture
def confirmed(company, rep, customer, stocked):
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 4}],
    )
    return sales.order_submit(order=order, actor=rep)


def test_the_ledger_links_the_receipt_and_its_page_offers_the_reversal(client, staff, receipt_id):
    client.force_login(staff["warehouse"])
    ledger = client.get(reverse("stock_moves")).content.decode()
    page_url = reverse("stock_receipt", args=[receipt_id])
    assert f'href="{page_url}"' in ledger
    assert f'href="{page_url}?reverse=1#reverse-receipt"' in ledger
    response = client.get(page_url + "?reverse=1")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<details id="reverse-receipt" open>' in page
    assert 'id="reverse-confirm" required' in page
    assert [line["move"].product.sku for line in response.context["lines"]] == ["P0", "P1", "P2"]


def test_reserved_stock_refuses_the_reversal_in_place_in_chinese(
    client, company, staff, main, receipt_id, confirmed, stocked
):
    user = staff["warehouse"]
    user.language = "zh-hans"
    user.save()
    client.force_login(user)
    client.cookies["django_language"] = "zh-hans"
    moves = StockMove.objects.for_company(company).count()
    response = client.post(
        reverse("stock_receipt", args=[receipt_id]),
        {"reason": "送错仓库", "confirm": "1"},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    errors = response.context["errors"]
    assert errors[0] == "这会使库存低于订单已预留的数量。请先释放库存预留。"
    assert errors[1] == "P0（main）：现有 100，订单已预留 4，可用 96；此操作需要 100。"
    page = response.content.decode()
    assert '<details id="reverse-receipt" open>' in page
    assert 'id="reverse-errors"' in page
    assert 'value="送错仓库"' in page  # the reason is kept for the next try
    assert "冲销入库" in page
    assert StockMove.objects.for_company(company).count() == moves
    level = StockLevel.objects.for_company(company).get(product=stocked[0], warehouse=main)
    assert (level.on_hand, level.reserved) == (100, 4)


def test_without_the_tick_nothing_is_reversed(client, company, staff, receipt_id):
    client.force_login(staff["warehouse"])
    response = client.post(reverse("stock_receipt", args=[receipt_id]), {"reason": "wrong"})
    assert response.status_code == 422
    assert response.context["errors"] == ["Tick the box to confirm the reversal."]
    response = client.post(reverse("stock_receipt", args=[receipt_id]), {"confirm": "1"})
    assert response.status_code == 422
    assert "Reason: Please give a reason." in response.context["errors"]
    assert not StockMove.objects.for_company(company).filter(kind="receipt_reversal").exists()


def test_a_reversal_is_booked_shown_and_not_offered_again(
    client, company, staff, main, receipt_id, stocked
):
    client.force_login(staff["warehouse"])
    url = reverse("stock_receipt", args=[receipt_id])
    response = client.post(url, {"reason": "booked twice", "confirm": "1"})
    assert response.status_code == 302
    assert response["Location"] == url
    response = client.get(url)
    page = response.content.decode()
    assert 'id="receipt-reversed"' in page
    assert "booked twice" in page
    assert 'id="reverse-receipt"' not in page
    assert [m.quantity for m in response.context["receipt"].reversals] == [-100, -100, -100]
    level = StockLevel.objects.for_company(company).get(product=stocked[0], warehouse=main)
    assert level.on_hand == 0
    ledger = client.get(reverse("stock_moves")).content.decode()
    assert "Receipt reversal" in ledger
    assert f"{url}?reverse=1" not in ledger
    # a second tab still showing the form: refused in place, nothing booked
    response = client.post(url, {"reason": "again", "confirm": "1"})
    assert response.status_code == 409
    assert response.context["errors"] == ["This receipt has already been reversed."]
    assert 'id="reverse-errors"' in response.content.decode()
    assert StockMove.objects.for_company(company).filter(kind="receipt_reversal").count() == 3


def test_only_stock_editors_see_and_use_the_button(client, company, rep, staff, receipt_id):
    url = reverse("stock_receipt", args=[receipt_id])
    client.force_login(rep)
    response = client.get(url)
    assert response.status_code == 200
    assert 'id="reverse-receipt"' not in response.content.decode()
    assert "reverse-link" not in client.get(reverse("stock_moves")).content.decode()
    assert client.post(url, {"reason": "x", "confirm": "1"}).status_code == 403
    client.force_login(staff["finance"])
    assert client.get(url).status_code == 403  # finance does not see stock
    client.force_login(staff["warehouse"])
    for unknown in ("0192f3a4-5b6c-7d8e-9f00-112233445566", "nope"):
        assert client.get(reverse("stock_receipt", args=[unknown])).status_code == 404
    assert not StockMove.objects.for_company(company).filter(kind="receipt_reversal").exists()
