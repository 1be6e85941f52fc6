"""Issue #17's fulfilment and lifecycle walks in Chromium, as the people who do them: a
manager confirms an order, the warehouse ships part of it, plans the rest and cancels that
draft before it leaves; the order shows its fulfilment exception until the warehouse chooses
"Recreate" (a new draft, then dispatched) or, on another order, "Do not recreate" (the rest
closed). A cancelled order is set back to draft and confirmed again. The hurried user's
double click and Back-and-resubmit are answered with one effect and a clear message. English
at 1280 px and Simplified Chinese at 375 px; screenshots in
``test-artifacts/screenshots/fulfil-*.png``."""

import re
from decimal import Decimal

import pytest

from ordercrm.fulfilment import services as fulfilment
from ordercrm.fulfilment.models import FulfilmentException, Shipment, ShipmentStatus
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from tests.browser.conftest import WALK, lines_of, speak
from tests.browser.test_order_flow import ORDER_URL, login, shot

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
CASES = [("en", "desktop"), ("zh-hans", "phone")]
SHIPMENT_URL = re.compile(r"/shipments/[0-9a-f-]{36}/$")

WORDS = {
    "en": {
        "confirmed": "Confirmed",
        "cancelled": "Cancelled",
        "draft": "Draft",
        "dispatched": "Dispatched",
        "partially_shipped": "Partially shipped",
        "shipped": "Shipped",
        "planned": "planned",
        "shipment_cancelled": "Shipment cancelled.",
        "exception": "Fulfilment exception",
        "kind": "Shipment cancelled before dispatch",
        "awaiting": "awaiting a decision on the order",
        "decided": "Decision recorded.",
        "recreated": "Recreated from",
        "closed": "closed",
        "back_to_draft": "is a draft again, as a new revision",
        "already": "is already “Draft”; nothing was changed.",
    },
    "zh-hans": {
        "confirmed": "已确认",
        "cancelled": "已取消",
        "draft": "草稿",
        "dispatched": "已发货",
        "partially_shipped": "部分发货",
        "shipped": "已发货",
        "planned": "已计划",
        "shipment_cancelled": "发货单已取消。",
        "exception": "发货异常",
        "kind": "发货单在发出前取消",
        "awaiting": "等待在订单上处理",
        "decided": "已记录处理决定。",
        "recreated": "由",
        "closed": "已关闭",
        "back_to_draft": "已恢复为草稿",
        "already": "已是“草稿”，未做任何更改。",
    },
}


def draft_of(company, people, customer, *quantities, **header):
    """A draft of P0 and P1 in ``quantities``, the manager's (list prices 10.00 and 11.00,
    13 % tax); ``header`` as ``order_create`` takes it."""
    from ordercrm.catalog.models import Product

    p0, p1 = (Product.objects.for_company(company).get(sku=s) for s in ("P0", "P1"))
    return sales.order_create(
        company=company,
        actor=people["manager"],
        customer=customer,
        lines=[
            {"product": product, "quantity": q}
            for product, q in zip((p0, p1), quantities, strict=False)
        ],
        **header,
    )


def open_context(browser, language, size):
    return browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        locale="zh-CN" if language == "zh-hans" else "en-US",
    )


def fits(page, size):
    return page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1


def cells(page, table, column):
    """The text of the cells of class ``column`` in every body row of ``table``."""
    return [
        row.locator(f"td.{column}").inner_text().strip()
        for row in page.locator(f"{table} tbody tr:not(.kit-component)").all()
    ]


RESERVED, SHIPPED = "line-reserved", "line-shipped"


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_cancelled_draft_shipment_raises_the_exception_and_recreate_ships_the_rest(
    browser, live_server, company, people, customer_f, language, size
):
    speak(people, language)
    words = WORDS[language]
    order = draft_of(company, people, customer_f, 4, 2)

    # the manager confirms the draft from its page (no approval rule: submit confirms);
    # a hurried double click submits once
    context = open_context(browser, language, size)
    page = login(context, live_server, people["manager"].username)
    order_url = f"{live_server.url}/orders/{order.pk}/"
    page.goto(order_url)
    with page.expect_navigation(url=ORDER_URL):
        page.dblclick("button[data-action=submit]")
    page.wait_for_load_state()
    assert words["confirmed"] in page.inner_text("#order-status")
    assert cells(page, "#order-lines", RESERVED) == ["4", "2"]
    context.close()

    # the warehouse ships 2 of the 4 × P0 now
    context = open_context(browser, language, size)
    page = login(context, live_server, people["warehouse"].username)
    page.goto(order_url)
    page.fill("#ship-1", "2")
    page.fill("#ship-2", "0")
    page.click("#ship-button")
    page.wait_for_url(ORDER_URL)
    assert words["partially_shipped"] in page.inner_text("#progress")
    assert [c.split()[0] for c in cells(page, "#order-lines", SHIPPED)] == ["2", "0"]
    # and plans the rest (the form offers what is open: 2 and 2) as a draft shipment
    assert page.input_value("#ship-1") == "2"
    assert page.input_value("#ship-2") == "2"
    page.click("#plan-button")
    page.wait_for_url(SHIPMENT_URL)
    draft = Shipment.objects.for_company(company).get(order=order, status=ShipmentStatus.DRAFT)
    assert draft.number in page.inner_text("[role=status], .messages, main")
    assert words["draft"] in page.inner_text("h1 .badge")

    # the truck is full: the draft is cancelled before it leaves, with a reason
    page.fill("#cancel-reason", "Truck full")
    page.click("button[formaction$='/cancel']")
    page.wait_for_url(SHIPMENT_URL)
    assert words["shipment_cancelled"] in page.inner_text("main")
    assert words["cancelled"] in page.inner_text("h1 .badge")
    exceptions = page.inner_text("#shipment-exceptions")
    assert words["kind"] in exceptions
    assert "Truck full" in exceptions
    assert words["awaiting"] in exceptions
    shot(page, f"fulfil-shipment-cancelled-{language}-{size}")

    # the order shows its exception; the reservations stayed with the order
    page.click(f"a[href='/orders/{order.pk}/']")
    page.wait_for_url(ORDER_URL)
    box = page.locator("#fulfilment-exceptions")
    assert words["exception"] in box.inner_text()
    assert draft.number in box.inner_text()
    assert words["kind"] in box.inner_text()
    assert cells(page, "#order-lines", RESERVED)[:2] == ["2", "2"]
    assert fits(page, size)
    shot(page, f"fulfil-exception-{language}-{size}")

    # "Recreate": a new draft of what the cancelled one was to deliver
    box.locator("button.recreate").click()
    page.wait_for_url(ORDER_URL)
    assert words["decided"] in page.inner_text("main")
    assert page.locator("#fulfilment-exceptions").count() == 0
    new = Shipment.objects.for_company(company).get(order=order, status=ShipmentStatus.DRAFT)
    assert new.number in page.inner_text("#shipments")
    page.click(f"#shipments a[href='/shipments/{new.pk}/']")
    page.wait_for_url(SHIPMENT_URL)
    notes = page.inner_text("#shipment-notes")
    assert words["recreated"] in notes
    assert draft.number in notes
    assert [c.split()[0] for c in cells(page, "#shipment-lines", "num:nth-child(5)")] == ["2", "2"]
    page.click("button[formaction$='/dispatch']")
    page.wait_for_url(SHIPMENT_URL)
    assert words["dispatched"] in page.inner_text("h1 .badge")
    page.click(f"a[href='/orders/{order.pk}/']")
    page.wait_for_url(ORDER_URL)
    progress = page.inner_text("#progress")
    assert words["shipped"] in progress
    assert words["partially_shipped"] not in progress
    assert [c.split()[0] for c in cells(page, "#order-lines", SHIPPED)] == ["4", "2"]
    assert cells(page, "#order-lines", RESERVED) == ["0", "0"]
    assert fits(page, size)
    shot(page, f"fulfil-recreated-{language}-{size}")
    context.close()
    assert [s.status for s in Shipment.objects.for_company(company).order_by("created_at")] == [
        ShipmentStatus.DISPATCHED,
        ShipmentStatus.CANCELLED,
        ShipmentStatus.DISPATCHED,
    ]
    [exception] = FulfilmentException.objects.for_company(company).filter(order=order)
    assert (exception.resolution, exception.new_shipment_id) == ("recreate", new.pk)


@pytest.mark.parametrize(("language", "size"), CASES)
def test_do_not_recreate_closes_the_rest_and_a_cancelled_order_is_confirmed_again(
    browser, live_server, company, people, customer_f, language, size
):
    speak(people, language)
    words = WORDS[language]
    manager, warehouse = people["manager"], people["warehouse"]
    # an order of 5 × P0 whose 2 shipped and whose planned 3 were cancelled
    kept = sales.order_submit(order=draft_of(company, people, customer_f, 5), actor=manager)
    fulfilment.shipment_create(
        order=kept,
        actor=warehouse,
        lines=[{"order_line_id": str(lines_of(kept)[0].pk), "quantity": "2"}],
        dispatch=True,
    )
    planned = fulfilment.shipment_create(order=kept, actor=warehouse)
    fulfilment.shipment_cancel(shipment=planned, actor=warehouse, reason="Customer asked")
    # and an order of 3 × P0 and 1 × P1, confirmed, nothing shipped
    again = sales.order_submit(order=draft_of(company, people, customer_f, 3, 1), actor=manager)

    # the warehouse decides: do not recreate: the 3 are closed, the order has nothing open
    context = open_context(browser, language, size)
    page = login(context, live_server, warehouse.username)
    page.goto(f"{live_server.url}/orders/{kept.pk}/")
    box = page.locator("#fulfilment-exceptions")
    assert planned.number in box.inner_text()
    assert "Customer asked" in box.inner_text()
    box.locator("button.do-not-recreate").click()
    page.wait_for_url(ORDER_URL)
    assert words["decided"] in page.inner_text("main")
    assert page.locator("#fulfilment-exceptions").count() == 0
    shipped = page.locator("#order-lines tbody tr").first.locator("td.line-shipped").inner_text()
    assert shipped.split()[0] == "2"
    assert f"{words['closed']} 3" in shipped
    assert cells(page, "#order-lines", RESERVED) == ["0"]
    assert page.locator("#ship-button").count() == 0  # nothing is left to ship
    shot(page, f"fulfil-not-recreated-{language}-{size}")
    context.close()
    [line] = lines_of(kept)
    assert (line.qty_shipped, line.qty_closed, line.qty_reserved) == (2, 3, 0)

    # the manager cancels the other order, sets it back to draft and confirms it again
    context = open_context(browser, language, size)
    page = login(context, live_server, manager.username)
    order_url = f"{live_server.url}/orders/{again.pk}/"
    page.goto(order_url)
    assert cells(page, "#order-lines", RESERVED) == ["3", "1"]
    page.fill("#comment", "Customer changed the delivery address")
    page.click("button[data-action=cancel]")
    page.wait_for_url(ORDER_URL)
    assert words["cancelled"] in page.inner_text("#order-status")
    # a second tab still shows the cancelled order and its button
    stale = context.new_page()
    stale.goto(order_url)
    page.click("button[data-action=reset_to_draft]")
    page.wait_for_url(ORDER_URL)
    assert words["draft"] in page.inner_text("#order-status")
    assert again.number in page.inner_text("main")
    assert words["back_to_draft"] in page.inner_text("main")
    shot(page, f"fulfil-back-to-draft-{language}-{size}")
    revision = SalesOrder.objects.for_company(company).get(pk=again.pk).revision
    # the stale tab's button: said plainly, no error page, no second revision
    stale.click("button[data-action=reset_to_draft]")
    stale.wait_for_load_state()
    assert words["draft"] in stale.inner_text("#order-status")
    assert stale.locator("h1").count() == 1
    shot(stale, f"fulfil-back-to-draft-stale-{language}-{size}")
    said = stale.inner_text("main")
    assert words["already"] in said
    assert words["back_to_draft"] not in said
    stale.close()
    # Back (the page is fetched again): the draft as it is now, no stale button
    page.go_back()
    page.wait_for_load_state()
    assert page.locator("button[data-action=reset_to_draft]").count() == 0
    revision = SalesOrder.objects.for_company(company).get(pk=again.pk).revision
    # confirmed again: stock is reserved again for the new revision
    page.goto(order_url)
    with page.expect_navigation(url=ORDER_URL):
        page.dblclick("button[data-action=submit]")
    page.wait_for_load_state()
    assert words["confirmed"] in page.inner_text("#order-status")
    assert cells(page, "#order-lines", RESERVED) == ["3", "1"]
    assert fits(page, size)
    shot(page, f"fulfil-confirmed-again-{language}-{size}")
    context.close()
    order = SalesOrder.objects.for_company(company).get(pk=again.pk)
    assert (order.status, order.revision) == ("confirmed", revision)
    assert [line.qty_reserved for line in lines_of(order)] == [Decimal(3), Decimal(1)]
