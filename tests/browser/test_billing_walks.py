"""Issue #17's money walks in Chromium: an order whose terms require a 30 % advance cannot
be dispatched (the reason on the page) until finance records the advance; then it ships, and
the advance is deducted from the final invoice, not the first. A draft invoice is lowered
and a line removed before issue; the rest is offered by the next invoice. A bad amount or
quantity is refused in the user's language; a double click issues once; a stale tab's form
is refused plainly. English at 1280 px and Simplified Chinese at 375 px; screenshots in
``test-artifacts/screenshots/money-*.png``."""

import re
from decimal import Decimal

import pytest

from ordercrm.billing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from ordercrm.core.documents import Formatter
from ordercrm.customers.payment_terms import payment_term_create
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales import services as sales
from tests.browser.conftest import WALK, lines_of, speak
from tests.browser.test_fulfilment_walks import (
    CASES,
    RESERVED,
    cells,
    draft_of,
    fits,
    open_context,
)
from tests.browser.test_order_flow import ORDER_URL, login, shot

pytestmark = WALK

INVOICE_URL = re.compile(r"/invoices/[0-9a-f-]{36}/$")

WORDS = {
    "en": {
        "advance": "Advance before dispatch",
        "waits": "Dispatch waits for",
        "refused": "require an advance of 33.90 CNY before dispatch; 0.00 CNY is paid",
        "bad_amount": "Enter an amount greater than zero.",
        "recorded": "Payment recorded.",
        "partially_shipped": "Partially shipped",
        "shipped": "Shipped",
        "draft_made": "Draft invoice created; review its lines, then issue it.",
        "not_a_number": "Enter a number.",
        "line_one": "Line 1",
        "saved": "Invoice lines saved; what was taken off can be invoiced again.",
        "issued": "Invoice issued.",
        "issued_badge": "Issued",
        "not_possible": "not possible for an invoice with the status Issued",
    },
    "zh-hans": {
        "advance": "发货前预收款",
        "waits": "还需收款",
        "refused": "要求发货前预收 33.90 CNY；已付 0.00 CNY",
        "bad_amount": "请输入大于零的金额。",
        "recorded": "回款已登记。",
        "partially_shipped": "部分发货",
        "shipped": "已发货",
        "draft_made": "发票草稿已创建；请核对明细后开具。",
        "not_a_number": "请输入数字。",
        "line_one": "第 1 行",
        "saved": "发票明细已保存；减去的数量可再次开票。",
        "issued": "发票已开具。",
        "issued_badge": "已开具",
        "not_possible": "状态为已开具的发票不能执行此操作",
    },
}


def invoices_of(order):
    return list(
        Invoice.objects.for_company(order.company_id)
        .filter(order=order, kind=InvoiceKind.INVOICE)
        .order_by("created_at")
    )


def alert(page):
    box = page.locator("[role=alert]").first
    box.wait_for()
    return box.inner_text()


# ---------------------------------------------------------------- advance terms


@pytest.mark.parametrize(("language", "size"), CASES)
def test_an_advance_blocks_dispatch_until_paid_and_the_final_invoice_deducts_it(
    browser, live_server, company, admin, people, customer_f, make_user, language, size
):
    from ordercrm.accounts.roles import Role

    people = {**people, "finance": make_user(Role.FINANCE, company, username="fin-f")}
    speak(people, language)
    words, fmt = WORDS[language], Formatter(language)
    terms = payment_term_create(
        company=company,
        actor=admin,
        name="30 % ahead",
        advance_percent="30",
        lines=[{"percent": "100", "days": 30}],
    )
    # 10 × P0 at 10.00 + 13 % = 113.00, invoiced on shipment; 30 % = 33.90 ahead
    draft = draft_of(
        company, people, customer_f, 10, payment_terms=terms, invoicing_policy="on_shipment"
    )
    order = sales.order_submit(order=draft, actor=people["manager"])
    order_url = f"{live_server.url}/orders/{order.pk}/"

    # the warehouse would ship 4: refused, the reason where the user looks, nothing moved
    context = open_context(browser, language, size)
    page = login(context, live_server, people["warehouse"].username)
    page.goto(order_url)
    advance = page.inner_text("#advance")
    assert fmt.money(Decimal("33.90"), "CNY") in advance
    assert words["waits"] in advance
    assert words["advance"] in page.inner_text("dl.facts")
    page.fill("#ship-1", "4")
    page.click("#ship-button")
    assert words["refused"] in alert(page)
    assert cells(page, "#order-lines", RESERVED) == ["10"]
    assert fits(page, size)
    shot(page, f"money-advance-refused-{language}-{size}")
    assert lines_of(order)[0].qty_shipped == 0
    context.close()

    # finance records the advance on the order; a bad amount first
    context = open_context(browser, language, size)
    page = login(context, live_server, people["finance"].username)
    page.goto(order_url)
    page.fill("#amount", "-5")
    page.click("#pay")
    assert words["bad_amount"] in alert(page)
    page.fill("#amount", "33.90")
    page.fill("#reference", "ADV-1")
    page.click("#pay")
    page.wait_for_url(ORDER_URL)
    assert words["recorded"] in page.inner_text("main")
    advance = page.inner_text("#advance")
    assert words["waits"] not in advance
    assert advance.count(fmt.money(Decimal("33.90"), "CNY")) == 2  # required and paid
    context.close()

    # now it ships: 4, then the other 6
    context = open_context(browser, language, size)
    page = login(context, live_server, people["warehouse"].username)
    page.goto(order_url)
    page.fill("#ship-1", "4")
    page.click("#ship-button")
    page.wait_for_url(ORDER_URL)
    assert words["partially_shipped"] in page.inner_text("#progress")
    assert page.input_value("#ship-1") == "6"
    page.click("#ship-button")
    page.wait_for_url(ORDER_URL)
    assert words["partially_shipped"] not in page.inner_text("#progress")
    assert words["shipped"] in page.inner_text("#progress")
    context.close()

    # the first invoice (45.20) keeps the advance back; the final one (67.80) deducts it
    first, final = invoices_of(order)
    assert (first.gross_total, first.amount_paid) == (Decimal("45.20"), Decimal("0.00"))
    assert (final.gross_total, final.amount_paid) == (Decimal("67.80"), Decimal("33.90"))
    context = open_context(browser, language, size)
    page = login(context, live_server, people["finance"].username)
    page.goto(f"{live_server.url}/invoices/{final.pk}/")
    facts = page.inner_text("dl.facts")
    assert fmt.money(Decimal("67.80"), "CNY") in facts
    assert fmt.money(Decimal("33.90"), "CNY") in facts  # paid by the advance, and still due
    assert page.inner_text("dl.facts strong") == fmt.money(Decimal("33.90"), "CNY")
    assert "ADV-1" in page.inner_text("main") or fmt.money(
        Decimal("33.90"), "CNY"
    ) in page.inner_text("ul.plain")
    assert fits(page, size)
    shot(page, f"money-advance-deducted-{language}-{size}")
    page.goto(f"{live_server.url}/invoices/{first.pk}/")
    assert page.inner_text("dl.facts strong") == fmt.money(Decimal("45.20"), "CNY")
    context.close()


# ---------------------------------------------------------------- editing a draft invoice


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_draft_invoice_is_lowered_and_a_line_removed_and_the_rest_is_offered_next(
    browser, live_server, company, people, customer_f, make_user, language, size
):
    from ordercrm.accounts.roles import Role

    people = {**people, "finance": make_user(Role.FINANCE, company, username="fin-g")}
    speak(people, language)
    words, fmt = WORDS[language], Formatter(language)
    # 4 × P0 (11.30 each with tax) and 3 × P1 (12.43), shipped, invoiced by hand
    draft = draft_of(company, people, customer_f, 4, 3, invoicing_policy="manual")
    order = sales.order_submit(order=draft, actor=people["manager"])
    fulfilment.shipment_create(order=order, actor=people["warehouse"], dispatch=True)
    order_url = f"{live_server.url}/orders/{order.pk}/"

    context = open_context(browser, language, size)
    page = login(context, live_server, people["finance"].username)
    page.goto(order_url)
    page.click("#invoice-draft")
    page.wait_for_url(INVOICE_URL)
    assert words["draft_made"] in page.inner_text("main")
    [invoice] = invoices_of(order)
    p0, p1 = InvoiceLine.objects.for_company(company).filter(invoice=invoice).order_by("position")
    stale = context.new_page()  # the same draft, left open in another tab
    stale.goto(page.url)

    # a quantity that is not a number: said for that line, nothing saved
    page.fill(f"#qty_{p0.pk}", "four")
    page.click("#edit-lines button[type=submit]")
    said = alert(page)
    assert words["not_a_number"] in said
    assert words["line_one"] in said
    assert InvoiceLine.objects.for_company(company).get(pk=p0.pk).quantity == 4

    # 1 of the 4 × P0 now, P1 taken off (0 removes the line)
    page.fill(f"#qty_{p0.pk}", "1")
    page.fill(f"#qty_{p1.pk}", "0")
    page.click("#edit-lines button[type=submit]")
    page.wait_for_url(INVOICE_URL)
    assert words["saved"] in page.inner_text("main")
    assert page.locator("#edit-lines tbody tr").count() == 1
    assert fmt.money(Decimal("11.30"), "CNY") in page.inner_text("dl.facts")
    shot(page, f"money-invoice-edited-{language}-{size}")

    # a hurried double click on Issue issues one invoice with one number
    with page.expect_navigation(url=INVOICE_URL):
        page.dblclick("form[action$='/issue'] button")
    page.wait_for_load_state()
    assert words["issued"] in page.inner_text("main")
    assert words["issued_badge"] in page.inner_text("h1 .badge")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.gross_total) == (InvoiceStatus.ISSUED, Decimal("11.30"))
    assert invoice.number in page.inner_text("h1")

    # the stale tab saves its old lines: refused plainly, the issued invoice unchanged
    stale.fill(f"#qty_{p0.pk}", "4")
    stale.click("#edit-lines button[type=submit]")
    assert words["not_possible"] in alert(stale)
    stale.close()
    invoice.refresh_from_db()
    assert invoice.gross_total == Decimal("11.30")

    # the order offers the rest: 3 × P0 and 3 × P1 on the next draft
    page.goto(order_url)
    page.click("#invoice-draft")
    page.wait_for_url(INVOICE_URL)
    rows = page.locator("#edit-lines tbody tr")
    assert rows.count() == 2
    assert [rows.nth(i).locator("input").input_value() for i in range(2)] == ["3", "3"]
    # 3 × 11.30 + 3 × 12.43 = 71.19: with the first, the order's 82.49 to the cent
    assert fmt.money(Decimal("71.19"), "CNY") in page.inner_text("dl.facts")
    assert fits(page, size)
    shot(page, f"money-invoice-rest-{language}-{size}")
    context.close()
    first, second = invoices_of(order)
    assert first.gross_total + second.gross_total == order.gross_total == Decimal("82.49")
