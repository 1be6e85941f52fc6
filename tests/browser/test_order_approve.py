"""The order desk before confirmation, in Chromium (issue 15, items 3–6): the exchange rate
on the order, drafts edited with the version check, what the approver sees, and the
decision's comment and plain comments reaching the rep. English and Simplified Chinese;
1280 px and 375 px. Screenshots go to ``test-artifacts/screenshots/approve-*.png``.
"""

from decimal import Decimal

import pytest

from ordercrm.catalog.services import exchange_rate_set
from ordercrm.notifications import worker
from ordercrm.sales import services as sales
from ordercrm.sales.selectors import order_lines
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

world = flow.world

pytestmark = WALK

PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
CASES = [("en", "desktop"), ("zh-hans", "phone")]

LABELS = {
    "en": {
        "table_rate": "company rate table",
        "by_hand": "set by hand",
        "saved": "saved.",
        "submitted": "waits for approval",
        "approved": "You approved order",
        "rejected_msg": "You rejected order",
        "stale": "Someone else saved this order",
        "credit_exposure": "Credit exposure",
        "credit_limit": "Credit limit",
        "discount": "Discount",
        "available": "Free stock",
        "shortfall": "Shortfall",
        "margin": "Margin",
        "list_price": "List price",
        "short": "Short of stock",
        "rejected": "Rejected",
        "rejected_note": "was rejected:",
        "mentioned": "mentioned you on order",
        "comment_posted": "Comment posted",
        "total_reason": "is at or above the approval threshold of",
    },
    "zh-hans": {
        "table_rate": "公司汇率表",
        "by_hand": "手工设定",
        "saved": "已保存",
        "submitted": "等待审批",
        "approved": "您已批准订单",
        "rejected_msg": "您已驳回订单",
        "stale": "其他人",
        "credit_exposure": "信用占用",
        "credit_limit": "信用额度",
        "discount": "折扣",
        "available": "可用库存",
        "shortfall": "短缺",
        "margin": "毛利",
        "list_price": "标准售价",
        "short": "库存不足",
        "rejected": "已驳回",
        "rejected_note": "已被驳回：",
        "mentioned": "提到了您",
        "comment_posted": "备注已发布",
        "total_reason": "达到或超过审批阈值",
    },
}


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def messages_text(page):
    return page.inner_text("ul.messages") if page.locator("ul.messages").count() else ""


# ---------------------------------------------------------------- item 3: currency


@pytest.mark.parametrize(("language", "size"), CASES)
def test_foreign_currency_order_shows_its_rate_and_company_totals(
    browser, live_server, world, company, products, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        currency="USD",
        lines=[{"product": products[0], "quantity": "2", "unit_price": "1000.00"}],
    )
    exchange_rate_set(
        company=company, actor=users["finance"], currency="USD", date=order.order_date, rate="7.1"
    )
    context = browser.new_context(**SIZES[size])
    # the rep sees the table's rate and the company-currency totals, and no rate field
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    rate = page.inner_text("#exchange-rate")
    assert "1 USD = 7.1 CNY" in rate, rate
    assert labels["table_rate"] in rate
    # 2 × 1,000.00 + 13 % = US$2,260.00 → ¥16,046.00
    assert "16,046.00" in page.inner_text("#company-totals")
    assert "16,046.00" in page.inner_text("#company-total")
    assert "2,260.00" in page.inner_text("#order-total")
    assert page.locator("#rate-form").count() == 0
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"approve-3-{language}-{size}-rate-from-table")
    context.close()
    # the manager may override it, through the draft edit service
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#exchange_rate", "7.25")
    page.click("#rate-button")
    page.wait_for_load_state()
    rate = page.inner_text("#exchange-rate")
    assert "1 USD = 7.25 CNY" in rate, rate
    assert labels["by_hand"] in rate
    assert "16,385.00" in page.inner_text("#company-totals")
    assert messages_text(page)
    shot(page, f"approve-3-{language}-{size}-rate-by-hand")
    # empty goes back to the table
    page.fill("#exchange_rate", "")
    page.click("#rate-button")
    page.wait_for_load_state()
    assert "7.1 CNY" in page.inner_text("#exchange-rate")
    context.close()


# ---------------------------------------------------------------- item 4: drafts editable


@pytest.mark.parametrize(("language", "size"), CASES)
def test_draft_is_edited_with_the_version_check_and_each_action_confirms(
    browser, live_server, world, company, products, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        customer_reference="PO-778",
        lines=[{"product": products[0], "quantity": "4", "discount_percent": "12"}],
    )
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    # the PO reference and the line discount show on the order page
    assert "PO-778" in page.inner_text("#po-reference")
    assert "12%" in page.inner_text("#lines .line-discount")
    page.click("#edit-draft")
    page.wait_for_load_state()
    assert page.input_value("#customer_reference") == "PO-778"
    assert page.input_value("#sku-1") == "P0"
    assert page.input_value("#qty-1") == "4"
    assert page.input_value("#disc-1") == "12"
    shot(page, f"approve-4-{language}-{size}-edit")
    page.fill("#customer_reference", "PO-779")
    page.fill("#qty-1", "5")
    page.fill("#requested_date", "2031-03-04")
    page.fill("#notes", "Deliver to dock 3")
    page.click("#save-draft")
    page.wait_for_load_state()
    assert labels["saved"] in messages_text(page)
    assert "PO-779" in page.inner_text("#po-reference")
    assert page.inner_text("#lines .line-qty").strip() == "5"
    order.refresh_from_db()
    assert order.notes == "Deliver to dock 3"
    assert str(order.requested_date) == "2031-03-04"
    # someone else saves while the rep edits: the rep's input stays, the current state shows
    page.click("#edit-draft")
    page.wait_for_load_state()
    sales.order_update(
        order=order, actor=users["manager"], version=order.version, customer_reference="PO-MGR"
    )
    page.fill("#qty-1", "7")
    page.click("#save-draft")
    page.wait_for_load_state()
    assert labels["stale"] in page.inner_text("#edit-errors")
    assert "PO-MGR" in page.inner_text("#current-state")
    assert page.input_value("#qty-1") == "7"  # nothing lost
    order.refresh_from_db()
    assert order.customer_reference == "PO-MGR"  # nothing changed by the stale save
    assert order_lines(order)[0].quantity == 5
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"approve-4-{language}-{size}-stale")
    page.click("#save-draft")  # seen the current state: save again
    page.wait_for_load_state()
    assert labels["saved"] in messages_text(page)
    assert page.inner_text("#lines .line-qty").strip() == "7"
    # submit confirms with a message
    page.click("button[data-action=submit]")
    page.wait_for_load_state()
    assert labels["submitted"] in messages_text(page)
    shot(page, f"approve-4-{language}-{size}-submitted")
    context.close()


# ---------------------------------------------------------------- item 5: the approver


@pytest.mark.parametrize(("language", "size"), CASES)
def test_approver_sees_every_figure_labelled_and_is_warned_of_short_stock(
    browser, live_server, world, company, products, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    customer.credit_limit = Decimal("50000")
    customer.save(update_fields=["credit_limit"])
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[
            {"product": products[0], "quantity": "60", "discount_percent": "12"},  # 50 in stock
            {"product": products[1], "quantity": "3", "unit_price": "9.00"},  # list 11.00
        ],
    )
    sales.order_submit(order=order, actor=users["rep"])
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    heads = page.locator("#lines thead").inner_text()
    for label in ("discount", "available", "shortfall", "margin", "list_price"):
        assert labels[label] in heads, (label, heads)
    text = page.inner_text("#lines")
    assert "backorder" not in text
    assert "缺货待发" not in text
    first = page.locator("#lines tbody tr").nth(0)
    assert first.locator(".line-discount").inner_text().strip() == "12%"
    assert first.locator(".line-available").inner_text().strip() == "50"
    assert first.locator(".line-shortfall").inner_text().strip() == "10"
    second = page.locator("#lines tbody tr").nth(1)
    assert "11.00" in second.locator(".line-list-price").inner_text()
    assert "9.00" in second.locator(".line-price").inner_text()
    assert second.locator(".line-shortfall").inner_text().strip() == "0"
    # the reason in words with its figures, and the stock warning before approving
    reason = page.inner_text("#reasons")
    assert labels["total_reason"] in reason, reason
    assert "¥1.00" in reason or "CN¥1.00" in reason, reason
    warning = page.inner_text("#stock-warning")
    assert labels["short"] in warning, warning
    assert "10" in warning, warning
    assert "50" in warning, warning
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"approve-5-{language}-{size}-order-page")
    # the inbox: the same figures, the credit position labelled
    page.goto(f"{live_server.url}/approvals/")
    section = page.locator(f"#approval-{order.number}")
    assert labels["credit_exposure"] in section.inner_text()
    assert labels["credit_limit"] in section.inner_text()
    assert "50,000.00" in section.locator(".credit-limit").inner_text()
    assert section.locator(".stock-warning").count() == 1
    assert "12%" in section.locator(".inbox-lines").inner_text()
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"approve-5-{language}-{size}-inbox")
    page.click(f"#approval-{order.number} h2 a")
    page.wait_for_load_state()
    page.click("button[data-action=approve]")
    page.wait_for_load_state()
    assert labels["approved"] in messages_text(page)
    context.close()


# ---------------------------------------------------------------- item 6: comments


@pytest.mark.parametrize(("language", "size"), CASES)
def test_rejection_reason_reaches_the_rep_and_mentions_notify(
    browser, live_server, world, company, products, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    reason = "折扣太高，请降到5%以内"
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[0], "quantity": "2", "discount_percent": "12"}],
    )
    sales.order_submit(order=order, actor=users["rep"])
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#comment", reason)
    page.click("button[data-action=reject]")
    page.wait_for_load_state()
    assert labels["rejected_msg"] in messages_text(page)
    context.close()
    worker.run_once()
    # the rep: on the page, in the timeline and in the notification
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    decisions = page.inner_text("#decisions")
    assert reason in decisions, decisions
    assert labels["rejected"] in decisions, decisions
    assert reason in page.inner_text("#timeline")
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"approve-6-{language}-{size}-rejected")
    page.goto(f"{live_server.url}/notifications/")
    notes = page.inner_text("main")
    assert reason in notes, notes
    assert labels["rejected_note"] in notes, notes
    shot(page, f"approve-6-{language}-{size}-notification")
    # a plain comment naming the manager tells the manager
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.fill("#comment-text", "@mgr-b 我已改为5%，请再看一下")
    page.click("#comment-button")
    page.wait_for_load_state()
    assert labels["comment_posted"] in messages_text(page)
    assert "我已改为5%" in page.inner_text("#timeline")
    context.close()
    worker.run_once()
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/notifications/")
    notes = page.inner_text("main")
    assert labels["mentioned"] in notes, notes
    assert "我已改为5%" in notes, notes
    shot(page, f"approve-6-{language}-{size}-mentioned")
    context.close()
