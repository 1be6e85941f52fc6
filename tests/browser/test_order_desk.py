"""The order desk after confirmation, in Chromium as a hurried user works it (issue 15,
items 7–10): the ship form, the timeline, status and progress to Completed, credit notes,
customer 360 and emails. English and Simplified Chinese; 1280 px and 375 px where the
layout matters. Screenshots go to ``test-artifacts/screenshots/desk-*.png``.
"""

import re
from decimal import Decimal

import pytest

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceLine
from ordercrm.fulfilment.services import shipment_create
from ordercrm.notifications import worker
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import ORDER_URL, login, set_language, shot

# the flow's fixtures: Chromium, and the company's staff, customer, stock and approval rule
world = flow.world

pytestmark = WALK

LABELS = {
    "en": {
        "confirmed": "Confirmed",
        "completed": "Completed",
        "pending": "Pending approval",
        "progress_new": ["Not shipped", "Not invoiced", "Unpaid"],
        "progress_shipped": ["Shipped", "Invoiced", "Unpaid"],
        "progress_done": ["Shipped", "Invoiced", "Paid"],
        "created": "Created",
        "approved": "Approved",
        "shipped": "Shipped SH-",
        "invoice_issued": "Invoice INV-",
        "credit_issued": "Credit note CN-",
        "payment": "Payment PAY-",
        "comment": "Comment",
        "email_sent": "Sent",
        "email_queued": "Queued",
        "email_failed": "Failed, will retry",
        "queued_message": "queued",
        "warehouse": "Main warehouse",
        "purchase_history": "Purchase history",
    },
    "zh-hans": {
        "confirmed": "已确认",
        "completed": "已完成",
        "pending": "待审批",
        "progress_new": ["未发货", "未开票", "未回款"],
        "progress_shipped": ["已发货", "已开票", "未回款"],
        "progress_done": ["已发货", "已开票", "已回款"],
        "created": "已创建",
        "approved": "已批准",
        "shipped": "已发货 SH-",
        "invoice_issued": "发票 INV-",
        "credit_issued": "红字发票 CN-",
        "payment": "回款 PAY-",
        "comment": "备注",
        "email_sent": "已发送",
        "email_queued": "排队中",
        "email_failed": "失败，将重试",
        "queued_message": "排队",
        "warehouse": "Main warehouse",
        "purchase_history": "购买记录",
    },
}
PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


def confirmed_order(company, users, customer, products, admin):
    """An order of 4 × P0 and 2 × P1, approved by the manager with a comment."""
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[
            {"product": products[0], "quantity": Decimal(4)},
            {"product": products[1], "quantity": Decimal(2)},
        ],
    )
    order = sales.order_submit(order=order, actor=users["rep"])
    return sales.order_approve(order=order, actor=users["manager"], comment="OK, go ahead")


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


def axes(page):
    return [s.strip() for s in page.locator("#progress .axis").all_inner_texts()]


# ---------------------------------------------------------------- item 7: the ship form


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_ship_form_offers_what_is_ready_and_goes_away_when_all_shipped(
    browser, live_server, world, company, admin, products, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    order = confirmed_order(company, users, customer, products, admin)
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["warehouse"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    # the quantities are values, not placeholders: shipping as seen ships what is ready
    assert page.input_value("#ship-1") == "4"
    assert page.input_value("#ship-2") == "2"
    assert page.get_attribute("#ship-1", "placeholder") in (None, "")
    shot(page, f"desk-7-{language}-{size}-ship-form")
    page.fill("#carrier", "SF Express")
    page.click("#ship-button")
    page.wait_for_load_state()
    assert labels["progress_shipped"][0] == axes(page)[0]
    # nothing left to ship: no ship form, no "Ship now" inputs
    assert page.locator("#ship-form").count() == 0
    assert page.locator("input[name^=ship_]").count() == 0
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"desk-7-{language}-{size}-shipped")
    # the shipment page names its warehouse and lists its lines
    page.click("#shipments a")
    page.wait_for_load_state()
    assert labels["warehouse"] in page.inner_text("#shipment-warehouse")
    rows = page.locator("#shipment-lines tbody tr")
    assert rows.count() == 2
    assert "P0" in rows.nth(0).inner_text()
    assert "4" in rows.nth(0).inner_text()
    assert "P1" in rows.nth(1).inner_text()
    assert "2" in rows.nth(1).inner_text()
    shot(page, f"desk-7-{language}-{size}-shipment")
    # customer 360: a confirmed (not yet completed) order is part of the purchase history
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    history = page.locator("h2", has_text=labels["purchase_history"]).locator(
        "xpath=following-sibling::ul[1]"
    )
    assert order.number in history.inner_text()
    shot(page, f"desk-9-{language}-{size}-customer-360-confirmed")
    context.close()


# ---------------------------------------------------------------- item 8: the timeline


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_timeline_tells_each_fact_once_in_the_readers_language(
    browser, live_server, world, company, admin, products, language
):
    users, customer = world
    customer.email = "buyer@example.com"
    customer.save(update_fields=["email"])
    set_language(users, language)
    admin.language = language
    admin.save(update_fields=["language"])
    labels = LABELS[language]
    order = confirmed_order(company, users, customer, products, admin)
    shipment_create(order=order, actor=users["warehouse"], dispatch=True)  # invoiced on shipment
    invoice = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.INVOICE)
    line = InvoiceLine.objects.for_company(company).filter(invoice=invoice).first()
    billing.credit_note_create(
        invoice=invoice,
        actor=users["finance"],
        lines=[{"invoice_line_id": str(line.pk), "quantity": "1"}],
        reason="damaged in transit",
    )
    billing.payment_record(
        company=company,
        actor=users["finance"],
        customer=customer,
        amount="10.00",
        currency="CNY",
        method="alipay",
        order=order,
    )
    worker.run_once()  # the emails leave (Django's test outbox)
    context = browser.new_context(**DESKTOP)
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    titles = page.locator("#timeline .title").all_inner_texts()
    text = page.inner_text("#timeline")
    shot(page, f"desk-8-{language}-timeline")
    assert len(titles) == len(page.locator("#timeline li").all()), titles
    # each fact once
    assert titles.count(labels["created"]) == 1, titles
    assert titles.count(labels["approved"]) == 1, titles
    assert sum(t.startswith(labels["shipped"]) for t in titles) == 1, titles
    assert sum(t.startswith(labels["invoice_issued"]) for t in titles) == 1, titles
    assert sum(t.startswith(labels["credit_issued"]) for t in titles) == 1, titles
    assert sum(t.startswith(labels["payment"]) for t in titles) == 1, titles
    assert titles.count(labels["comment"]) == 1, titles
    assert "OK, go ahead" in text
    assert "damaged in transit" in text
    # emails about the order, its shipment, invoice and payment, with their status
    emails = page.locator("#timeline li[data-kind=email]")
    assert emails.count() == 4, page.inner_text("#timeline")
    for index in range(4):
        assert "buyer@example.com" in emails.nth(index).inner_text()
        assert labels["email_sent"] in emails.nth(index).locator(".delivery-status").inner_text()
    # no raw codes in any language
    for word in ("ship", "order.", "invoice.issued", "approve_step", "payment.received"):
        assert not re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text), word
    context.close()


# ---------------------------------------------------------------- item 9: to Completed


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_an_order_walks_to_completed_through_the_pages(
    browser, live_server, world, company, language, size
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    width = SIZES[size]["viewport"]["width"]
    # 1. the rep enters the order and submits it
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    page.select_option("#customer", str(customer.pk))
    page.fill("#sku-1", "P0")
    page.fill("#qty-1", "3")
    page.fill("#sku-2", "P2")
    page.fill("#qty-2", "1")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    order_url = page.url
    assert axes(page) == labels["progress_new"]
    page.click("button[data-action=submit]")
    page.wait_for_load_state()
    assert labels["pending"] in page.inner_text("#order-status")
    assert axes(page) == labels["progress_new"]
    context.close()
    # 2. the manager approves
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["manager"].username)
    page.goto(order_url)
    page.click("button[data-action=approve]")
    page.wait_for_load_state()
    assert labels["confirmed"] in page.inner_text("#order-status")
    assert axes(page) == labels["progress_new"]
    context.close()
    # 3. the warehouse ships what the form offers, as it stands
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["warehouse"].username)
    page.goto(order_url)
    page.click("#ship-button")
    page.wait_for_load_state()
    assert labels["confirmed"] in page.inner_text("#order-status")
    assert axes(page) == labels["progress_shipped"]
    assert page.locator("#ship-form").count() == 0
    shot(page, f"desk-9-{language}-{size}-shipped")
    context.close()
    # 4. finance: nothing is left to invoice; the customer pays the invoice in full
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["finance"].username)
    page.goto(order_url)
    assert page.locator("#invoice").count() == 0  # the shipment's invoice billed it all
    order = SalesOrder.objects.for_company(company).get(number=page.inner_text("h1").split()[-1])
    page.fill("#amount", str(order.gross_total))
    page.click("#pay")
    page.wait_for_load_state()
    assert labels["completed"] in page.inner_text("#order-status")
    assert axes(page) == labels["progress_done"]
    assert page.locator("#pay, #invoice, #ship-button").count() == 0
    if size == "phone":
        no_sideways_scroll(page, width)
    shot(page, f"desk-9-{language}-{size}-completed")
    # 5. customer 360 lists the order in the purchase history
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    history = page.locator("h2", has_text=labels["purchase_history"]).locator(
        "xpath=following-sibling::ul[1]"
    )
    assert order.number in history.inner_text()
    assert labels["completed"] in history.inner_text()
    shot(page, f"desk-9-{language}-{size}-customer-360")
    context.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_credited_item_is_never_offered_for_invoicing_again(
    browser, live_server, world, company, admin, products, language
):
    users, customer = world
    set_language(users, language)
    labels = LABELS[language]
    order = confirmed_order(company, users, customer, products, admin)
    shipment_create(order=order, actor=users["warehouse"], dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.INVOICE)
    context = browser.new_context(**DESKTOP)
    page = login(context, live_server, users["finance"].username)
    # one P0 arrived broken: a credit note for it, from the invoice page
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    first = InvoiceLine.objects.for_company(company).filter(invoice=invoice).order_by("id")[0]
    page.fill(f"#credit_{first.pk}", "1")
    page.fill("#credit-reason", "damaged")
    page.click("text=" + ("Issue credit note" if language == "en" else "开具红字发票"))
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    assert page.locator("#invoice").count() == 0  # the credited P0 is not billed again
    assert axes(page) == labels["progress_shipped"]
    shot(page, f"desk-9-{language}-credited")
    # the customer pays what it owes after the credit note; the order completes
    invoice.refresh_from_db()
    page.fill("#amount", str(invoice.gross_total - invoice.amount_credited))
    page.click("#pay")
    page.wait_for_load_state()
    assert labels["completed"] in page.inner_text("#order-status")
    assert axes(page) == labels["progress_done"]
    shot(page, f"desk-9-{language}-credited-completed")
    context.close()


# ---------------------------------------------------------------- item 10: emails


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_emails_say_queued_show_failures_and_resend_to_the_outbox(
    browser, live_server, world, company, admin, products, settings, tmp_path, language, size
):
    users, customer = world
    customer.email = "buyer@example.com"
    customer.save(update_fields=["email"])
    admin.language = language
    admin.save(update_fields=["language"])
    labels = LABELS[language]
    order = confirmed_order(company, users, customer, products, admin)
    worker.run_once()  # the confirmation goes to Django's test outbox
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.click("#email-customer")
    page.wait_for_load_state()
    notice = page.inner_text(".messages") if page.locator(".messages").count() else ""
    notice = notice or page.inner_text("main")
    assert labels["queued_message"] in notice
    assert "on its way" not in notice
    emails = page.locator("#timeline li[data-kind=email]")
    assert labels["email_queued"] in emails.last.inner_text() or emails.count() == 1
    # the SMTP server is down: the delivery fails and the admin sees why
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2
    worker.run_once()
    page.reload()
    failed = page.locator("#timeline li[data-kind=email]").last
    assert labels["email_failed"] in failed.inner_text()
    assert failed.locator(".delivery-error").inner_text().strip()
    shot(page, f"desk-10-{language}-{size}-order-failed")
    page.goto(f"{live_server.url}/deliveries/")
    assert labels["email_failed"] in page.inner_text("#deliveries")
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"desk-10-{language}-{size}-deliveries-failed")
    # mail goes to the local outbox now; the admin resends from the order page
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.locator("#timeline li[data-kind=email]").last.locator("button").click()
    page.wait_for_load_state()
    assert labels["email_queued"] in page.locator("#timeline li[data-kind=email]").last.inner_text()
    worker.run_once()
    page.reload()
    assert labels["email_sent"] in page.locator("#timeline li[data-kind=email]").last.inner_text()
    page.goto(f"{live_server.url}/deliveries/")
    assert page.locator("#outbox-notice").count() == 1
    page.locator("#outbox a").first.click()
    page.wait_for_load_state()
    assert order.number in page.inner_text("main")
    assert "buyer@example.com" in page.inner_text("main")
    assert "\\u" not in page.inner_text("main")  # the body decoded, not escaped
    if size == "phone":
        no_sideways_scroll(page, 375)
    shot(page, f"desk-10-{language}-{size}-outbox-message")
    context.close()
