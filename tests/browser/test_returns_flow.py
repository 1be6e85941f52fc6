"""Returns in a real browser (Debian Chromium, headless): an order with two shipped and
invoiced lines → an RMA with two lines (one refund, one replacement) from the order page →
approve → receipt → credit note and no-charge replacement shipment, in English and zh-Hans,
checking the order's counters, the stock ledger and the receivables. Screenshots go to
``test-artifacts/screenshots/``."""

import re
from decimal import Decimal

import pytest

from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.customers.models import Customer
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import StockLevel
from ordercrm.returns.models import ReturnAuthorization
from tests.browser.conftest import WALK, lines_of, speak
from tests.browser.test_order_flow import login, shot

RMA_URL = re.compile(r"/returns/[0-9a-f-]{36}/$")

pytestmark = WALK

LABELS = {
    "en": {"new": "New return", "approved": "Approved", "received": "Received", "closed": "Closed"},
    "zh-hans": {"new": "新建退货", "approved": "已批准", "received": "已收货", "closed": "已关闭"},
}


def step(context, live_server, user, url, button, name, language):
    page = login(context, live_server, user.username)
    page.goto(url)
    page.click(button)
    page.wait_for_url(RMA_URL)
    shot(page, f"returns-{language}-{name}")
    return page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_rma_from_order_to_credit_note_and_replacement(
    browser, live_server, company, shipped_world, products, language
):
    people, main, customer, order = (
        shipped_world.people,
        shipped_world.warehouse,
        shipped_world.customer,
        shipped_world.order,
    )
    speak(people, language)
    receivable = Customer.objects.for_company(company).get(pk=customer.pk).receivable_balance
    first, second = lines_of(order)
    labels = LABELS[language]
    context = browser.new_context(locale="zh-CN" if language == "zh-hans" else "en-US")

    # support opens the order and starts a return of two lines
    page = login(context, live_server, people["support"].username)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.click("#new-return")
    assert labels["new"] in page.inner_text("h1")
    page.fill("#qty-1", "2")
    page.select_option("#decision-1", "refund")
    page.fill("#reason-1", "Damaged")
    page.fill("#qty-2", "1")
    page.select_option("#decision-2", "replace")
    page.fill("#return_instructions", "Dock 4, Ningbo")
    shot(page, f"returns-{language}-1-new")
    page.click("#rma-submit")
    page.wait_for_url(RMA_URL)
    rma_url = page.url
    assert page.locator("#rma-lines tbody tr").count() == 2
    context.close()

    context = browser.new_context()
    page = step(
        context, live_server, people["manager"], rma_url, "#rma-approve", "2-approved", language
    )
    assert labels["approved"] in page.inner_text("#rma-status")
    context.close()

    context = browser.new_context()
    page = login(context, live_server, people["warehouse"].username)
    page.goto(rma_url)
    page.select_option("#warehouse", str(main.pk))
    page.select_option("#condition", "saleable")
    page.click("#rma-receive")
    page.wait_for_url(RMA_URL)
    shot(page, f"returns-{language}-3-received")
    assert labels["received"] in page.inner_text("#rma-status")
    context.close()

    context = browser.new_context()
    step(context, live_server, people["finance"], rma_url, "#rma-credit", "4-credited", language)
    context.close()

    context = browser.new_context()
    page = step(
        context, live_server, people["warehouse"], rma_url, "#rma-replace", "5-replaced", language
    )
    assert labels["closed"] in page.inner_text("#rma-status")
    assert page.locator("#rma-settlements li").count() == 2
    # the replacement ships like any other shipment, from its own page
    page.click("#rma-settlements a[href*='/shipments/']")
    page.click("button[formaction$='/dispatch']")
    page.wait_for_url(re.compile(r"/shipments/[0-9a-f-]{36}/$"))
    shot(page, f"returns-{language}-6-replacement-dispatched")
    context.close()

    rma = ReturnAuthorization.objects.for_company(company).get(order=order)
    assert rma.status == "closed"
    first, second = lines_of(order)
    assert (first.qty_shipped, first.qty_returned, first.qty_invoiced, first.qty_credited) == (
        Decimal(5),
        Decimal(2),
        Decimal(5),
        Decimal(2),
    )
    assert (second.qty_shipped, second.qty_returned, second.qty_replaced) == (
        Decimal(4),
        Decimal(1),
        Decimal(1),
    )
    assert (second.qty_invoiced, second.qty_credited, second.qty_reserved) == (
        Decimal(3),
        Decimal(0),
        Decimal(0),
    )
    note = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert note.gross_total == (first.gross * 2 / 5).quantize(Decimal("0.01"))
    assert Invoice.objects.for_company(company).filter(order=order, kind="invoice").count() == 1
    after = Customer.objects.for_company(company).get(pk=customer.pk).receivable_balance
    assert after == receivable - note.gross_total
    # stock: 20 − 5 + 2 back for the first product; 20 − 3 + 1 back − 1 replaced for the second
    levels = {
        level.product_id: level.on_hand
        for level in StockLevel.objects.for_company(company).filter(warehouse=main)
    }
    assert levels[products[0].pk] == 17
    assert levels[products[1].pk] == 17
    assert inventory_selectors.ledger_discrepancies(company) == []
