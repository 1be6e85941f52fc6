"""Issue #17 (fulfilment, lifecycle) on the pages, in English and zh-Hans: delivered % and
declining a backorder on the order page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder, SalesOrderLine


@pytest.fixture
def shipped_part(company, rep, customer, stocked, staff):
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 10}],
        ),
        actor=rep,
    )
    line = SalesOrderLine.objects.for_company(company).get(order=order)
    fulfilment.shipment_create(
        order=order,
        actor=staff["warehouse"],
        lines=[{"order_line_id": str(line.pk), "quantity": "6"}],
        dispatch=True,
    )
    return SalesOrder.objects.for_company(company).get(pk=order.pk)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Decline backorder", "60%", "Backorder declined", "closed 4")),
        ("zh-hans", ("取消缺货待发", "60%", "已取消缺货待发", "已关闭 4")),
    ],
)
def test_declining_the_backorder_on_the_order_page(
    client, company, staff, shipped_part, language, words
):
    manager = staff["manager"]
    manager.language = language
    manager.save()
    client.cookies["django_language"] = language
    client.force_login(manager)
    page = client.get(reverse("order_detail", args=[shipped_part.pk])).content.decode()
    assert words[0] in page
    assert words[1] in page
    response = client.post(
        reverse("order_decline_backorder", args=[shipped_part.pk]), {"reason": ""}
    )
    assert response.status_code == 409  # a reason is required; nothing changed
    assert not SalesOrder.objects.for_company(company).get(pk=shipped_part.pk).backorder_declined
    response = client.post(
        reverse("order_decline_backorder", args=[shipped_part.pk]), {"reason": "enough"}
    )
    assert response.status_code == 302
    page = client.get(reverse("order_detail", args=[shipped_part.pk])).content.decode()
    assert words[2] in page
    assert words[3] in page
    line = SalesOrderLine.objects.for_company(company).get(order=shipped_part)
    assert line.qty_closed == Decimal("4")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Fulfilment exception", "Shipment cancelled before dispatch", "Recreate")),
        ("zh-hans", ("发货异常", "发货单在发出前取消", "重新创建")),
    ],
)
def test_a_cancelled_shipment_asks_for_a_decision_on_the_order_page(
    client, company, staff, shipped_part, language, words
):
    from ordercrm.fulfilment.models import FulfilmentException, ShipmentStatus

    keeper = staff["warehouse"]
    keeper.language = language
    keeper.save()
    client.cookies["django_language"] = language
    client.force_login(keeper)
    draft = fulfilment.shipment_create(order=shipped_part, actor=keeper)
    response = client.post(
        reverse("shipment_action", args=[draft.pk, "cancel"]), {"reason": "truck full"}
    )
    assert response.status_code == 302
    page = client.get(reverse("order_detail", args=[shipped_part.pk])).content.decode()
    for word in words:
        assert word in page
    exception = FulfilmentException.objects.for_company(company).get()
    response = client.post(
        reverse("fulfilment_exception_resolve", args=[exception.pk]), {"choice": "recreate"}
    )
    assert response.status_code == 302
    exception.refresh_from_db()
    assert exception.resolution == "recreate"
    assert exception.new_shipment.status == ShipmentStatus.DRAFT
    page = client.get(reverse("order_detail", args=[shipped_part.pk])).content.decode()
    assert 'id="fulfilment-exceptions"' not in page


def test_recording_a_delivery_exception_on_the_shipment_page(client, company, staff, shipped_part):
    from ordercrm.fulfilment.models import FulfilmentException, Shipment

    keeper = staff["warehouse"]
    client.force_login(keeper)
    shipment = Shipment.objects.for_company(company).get()
    page = client.get(reverse("shipment_detail", args=[shipment.pk])).content.decode()
    assert "Record a delivery exception" in page
    response = client.post(
        reverse("shipment_exception", args=[shipment.pk]), {"kind": "lost", "note": "SF lost it"}
    )
    assert response.status_code == 302
    assert FulfilmentException.objects.for_company(company).get().kind == "lost"
    response = client.post(reverse("shipment_exception", args=[shipment.pk]), {"kind": "lost"})
    assert response.status_code == 409
    assert "already has an open exception" in response.content.decode()


@pytest.mark.parametrize(
    ("language", "word"), [("en", "No shipment needed"), ("zh-hans", "无需发货")]
)
def test_a_services_only_order_offers_no_shipping(
    client, company, rep, customer, make_product, staff, language, word
):
    service = make_product(company, sku="SVC-9", list_price=Decimal("50"), is_stock_tracked=False)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": service, "quantity": 1}],
        ),
        actor=rep,
    )
    keeper = staff["warehouse"]
    keeper.language = language
    keeper.save()
    client.cookies["django_language"] = language
    client.force_login(keeper)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert word in page
    assert 'id="ship-button"' not in page


@pytest.mark.parametrize(
    ("language", "word"), [("en", "Set back to draft"), ("zh-hans", "恢复为草稿")]
)
def test_a_cancelled_order_is_set_back_to_draft_from_its_page(
    client, company, rep, customer, staff, language, word
):
    from ordercrm.sales.workflow import Status

    manager = staff["manager"]
    order = sales.order_cancel(
        order=sales.order_create(company=company, actor=rep, customer=customer, lines=[]),
        actor=rep,
    )
    manager.language = language
    manager.save()
    client.cookies["django_language"] = language
    client.force_login(manager)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert word in page
    response = client.post(reverse("order_action", args=[order.pk, "reset_to_draft"]))
    assert response.status_code == 302
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ("Blocked until", "quotations only, no orders")),
        ("zh-hans", ("冻结至", "仅可开报价单，不可下单")),
    ],
)
def test_blocking_a_customer_on_its_page(client, company, customer, staff, language, words):
    import datetime

    from ordercrm.core.dates import company_today

    finance = staff["finance"]
    finance.language = language
    finance.save()
    client.cookies["django_language"] = language
    client.force_login(finance)
    until = company_today(company) + datetime.timedelta(days=2)
    response = client.post(
        reverse("customer_block", args=[customer.pk]), {"until": until.isoformat(), "reason": ""}
    )
    assert response.status_code == 409
    response = client.post(
        reverse("customer_block", args=[customer.pk]),
        {"until": until.isoformat(), "reason": "dispute"},
    )
    assert response.status_code == 302
    page = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    for word in words:
        assert word in page
    response = client.post(reverse("customer_unblock", args=[customer.pk]))
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.blocked_until is None


def test_the_timeline_words_the_exception_and_the_decline(client, company, staff, shipped_part):
    keeper, manager = staff["warehouse"], staff["manager"]
    draft = fulfilment.shipment_create(order=shipped_part, actor=keeper)
    fulfilment.shipment_cancel(shipment=draft, actor=keeper, reason="truck full")
    fulfilment.backorder_decline(order=shipped_part, actor=manager, reason="enough")
    client.force_login(manager)
    page = client.get(reverse("order_detail", args=[shipped_part.pk])).content.decode()
    assert f"Fulfilment exception on {draft.number}" in page
    assert "Backorder declined" in page
