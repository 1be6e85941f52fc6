"""Issue #17 (fulfilment, lifecycle) on the pages, in English and zh-Hans: delivered % and
declining a backorder on the order page."""

import re
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


def test_a_mixed_order_paid_in_full_waits_for_its_goods_on_the_order_page(
    client, company, rep, customer, stocked, make_product, staff
):
    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice

    service = make_product(company, sku="SVC-8", list_price=Decimal("80"), is_stock_tracked=False)
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="on_order",
            lines=[{"product": stocked[0], "quantity": 2}, {"product": service, "quantity": 1}],
        ),
        actor=rep,
    )
    invoice = Invoice.objects.for_company(company).get(order=order)
    billing.payment_record(
        company=company,
        actor=staff["finance"],
        customer=customer,
        amount=invoice.gross_total,
        currency=invoice.currency,
        method="bank_transfer",
        allocations=[{"invoice": invoice, "amount": invoice.gross_total}],
    )
    client.force_login(staff["warehouse"])
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).status == "confirmed"
    assert 'id="ship-button"' in page
    assert "Not shipped" in page
    # the ship form as the page fills it in: the goods and the service line, all open
    form = dict(re.findall(r'name="(ship_[0-9a-f-]+)"[^>]*value="([^"]*)"', page))
    assert sorted(form.values()) == ["1", "2"]
    response = client.post(reverse("order_ship", args=[order.pk]), form)
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).status == "completed"
    assert "Completed" in page


def test_plan_shipment_keeps_it_a_draft_and_opens_it(
    client, company, rep, customer, stocked, staff
):
    from ordercrm.fulfilment.models import Shipment

    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": stocked[0], "quantity": 4}],
        ),
        actor=rep,
    )
    line = SalesOrderLine.objects.for_company(company).get(order=order)
    client.force_login(staff["warehouse"])
    response = client.post(
        reverse("order_ship", args=[order.pk]), {f"ship_{line.pk}": "3", "plan": "1"}
    )
    shipment = Shipment.objects.for_company(company).get(order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse("shipment_detail", args=[shipment.pk])
    assert shipment.status == "draft"
    page = client.get(response["Location"]).content.decode()
    assert f"Shipment {shipment.number} planned" in page
    line.refresh_from_db()
    assert line.qty_shipped == 0  # nothing has left


def test_cancelling_twice_says_nothing_was_changed(client, company, rep, customer, products):
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": products[0]}]
    )
    client.force_login(rep)
    url = reverse("order_action", args=[order.pk, "cancel"])
    first = client.post(url, {"version": order.version}, follow=True).content.decode()
    assert "nothing was changed" not in first
    cancelled = SalesOrder.objects.for_company(company).get(pk=order.pk)
    # a second tab, opened after the cancel, posts the button again
    again = client.post(url, {"version": cancelled.version}, follow=True).content.decode()
    assert f"Order {order.number} is already “Cancelled”; nothing was changed." in again
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).version == cancelled.version
