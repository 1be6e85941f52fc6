"""Issue 18's "Done when" walk in Chromium, through the real pages, in English and zh-Hans:
a complaint case on a shipped and invoiced order → from the case, an RMA with two lines
(one refund, one replacement) → approve → return receipt → credit note and no-charge
replacement shipment (dispatched) → the case resolved. Then every counter on the order
lines, the stock ledger's rows and the customer's receivables are checked against the figures
the flow must leave. Screenshots: ``test-artifacts/screenshots/after-sales-*.png``.

The figures (list prices 10.00 and 11.00, 13 % tax):
- line 1: 5 × P0 shipped and invoiced (56.50 gross); 2 refunded → credit note 22.60;
- line 2: 3 × P1 shipped and invoiced (37.29 gross); 1 replaced → shipped 4, replaced 1,
  invoiced 3, nothing credited;
- stock in ``main``: P0 20 − 5 + 2 = 17, P1 20 − 3 + 1 − 1 = 17;
- receivables: 93.79 before, 71.19 after (93.79 − 22.60).
"""

import re
from decimal import Decimal

import pytest

from ordercrm.billing.models import Invoice, InvoiceKind
from ordercrm.core.models import Event
from ordercrm.customers.models import Customer
from ordercrm.fulfilment.models import Shipment
from ordercrm.inventory import selectors as inventory_selectors
from ordercrm.inventory.models import StockLevel, StockMove
from ordercrm.returns.models import ReturnAuthorization
from ordercrm.service.models import Case
from tests.browser.conftest import WALK, lines_of, speak
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

CASE_URL = re.compile(r"/service/cases/[0-9a-f-]{36}/$")
RMA_URL = re.compile(r"/returns/[0-9a-f-]{36}/$")
SHIPMENT_URL = re.compile(r"/shipments/[0-9a-f-]{36}/$")
WORDS = {
    "en": {
        "opened": "opened.",
        "new_return": "New return",
        "approved": "Approved",
        "received": "Received",
        "closed": "Closed",
        "resolved": "Resolved",
        "in_progress": "In progress",
    },
    "zh-hans": {
        "opened": "已新建",
        "new_return": "新建退货",
        "approved": "已批准",
        "received": "已收货",
        "closed": "已关闭",
        "resolved": "已解决",
        "in_progress": "处理中",
    },
}


def counters(line):
    return {
        "shipped": line.qty_shipped,
        "returned": line.qty_returned,
        "replaced": line.qty_replaced,
        "invoiced": line.qty_invoiced,
        "credited": line.qty_credited,
        "reserved": line.qty_reserved,
    }


def as_role(browser, live_server, user, language):
    context = browser.new_context(locale="zh-CN" if language == "zh-hans" else "en-US")
    return context, login(context, live_server, user.username)


def rma_step(browser, live_server, user, language, rma_url, button, name):
    context, page = as_role(browser, live_server, user, language)
    page.goto(rma_url)
    page.click(button)
    page.wait_for_url(RMA_URL)
    assert not page.locator("div.error").count(), page.locator("div.error").inner_text()
    shot(page, f"after-sales-{language}-{name}")
    status = page.inner_text("#rma-status")
    context.close()
    return status


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_complaint_to_rma_credit_replacement_and_resolved_case(
    browser, live_server, company, shipped_world, products, language
):
    words = WORDS[language]
    people, main, customer, order = (
        shipped_world.people,
        shipped_world.warehouse,
        shipped_world.customer,
        shipped_world.order,
    )
    speak(people, language)
    invoice = shipped_world.invoice
    before = Customer.objects.for_company(company).get(pk=customer.pk).receivable_balance
    assert before == invoice.gross_total == Decimal("93.79")
    first, second = lines_of(order)

    # 1. the agent records the complaint from the order page, on both lines
    context, page = as_role(browser, live_server, people["support"], language)
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    page.click("#new-case")
    page.fill("#subject", "Two casings cracked, one unit dead on arrival")
    page.select_option("#case_type", "complaint")
    page.select_option("#channel", "phone")
    page.fill(f"#qty_{first.pk}", "2")
    page.fill(f"#qty_{second.pk}", "1")
    page.click("#open-case")
    page.wait_for_url(CASE_URL)
    assert words["opened"] in page.content()
    case_url = page.url
    case = Case.objects.for_company(company).get()
    assert (case.case_type, case.order_id) == ("complaint", order.pk)
    assert page.locator("#case-lines tbody tr").count() == 2
    shot(page, f"after-sales-{language}-1-case")

    # 2. from the case, a return of the two lines: one refund, one replacement
    page.click("#returns a.button")
    assert words["new_return"] in page.inner_text("h1")
    assert case.number in page.inner_text("#rma-case")
    page.fill("#qty-1", "2")
    page.select_option("#decision-1", "refund")
    page.fill("#reason-1", "Cracked casing")
    page.fill("#qty-2", "1")
    page.select_option("#decision-2", "replace")
    page.fill("#reason-2", "Dead on arrival")
    page.fill("#return_instructions", "Dock 4, Ningbo")
    shot(page, f"after-sales-{language}-2-new-return")
    page.click("#rma-submit")
    page.wait_for_url(RMA_URL)
    rma_url = page.url
    assert page.locator("#rma-lines tbody tr").count() == 2
    rma = ReturnAuthorization.objects.for_company(company).get(order=order)
    assert rma.case_id == case.pk
    # the case page lists it
    page.goto(case_url)
    assert rma.number in page.inner_text("#returns")
    context.close()

    # 3. approve (sales manager), 4. receive (warehouse), 5. credit (finance),
    # 6. replace (warehouse)
    status = rma_step(
        browser, live_server, people["manager"], language, rma_url, "#rma-approve", "3-approved"
    )
    assert words["approved"] in status

    context, page = as_role(browser, live_server, people["warehouse"], language)
    page.goto(rma_url)
    page.select_option("#warehouse", str(main.pk))
    page.select_option("#condition", "saleable")
    page.click("#rma-receive")
    page.wait_for_url(RMA_URL)
    shot(page, f"after-sales-{language}-4-received")
    assert words["received"] in page.inner_text("#rma-status")
    assert page.locator("#rma-receipts li").count() == 1
    context.close()

    status = rma_step(
        browser, live_server, people["finance"], language, rma_url, "#rma-credit", "5-credited"
    )
    assert words["received"] in status  # the replacement line is still open

    context, page = as_role(browser, live_server, people["warehouse"], language)
    page.goto(rma_url)
    page.click("#rma-replace")
    page.wait_for_url(RMA_URL)
    assert words["closed"] in page.inner_text("#rma-status")
    assert page.locator("#rma-settlements li").count() == 2
    shot(page, f"after-sales-{language}-6-replaced")
    # the no-charge replacement ships like any other shipment, from its own page
    page.click("#rma-settlements a[href*='/shipments/']")
    page.wait_for_url(SHIPMENT_URL)
    page.click("button[formaction$='/dispatch']")
    page.wait_for_url(SHIPMENT_URL)
    shot(page, f"after-sales-{language}-7-replacement-dispatched")
    context.close()

    # 7. the agent sees the settled return on the case, answers and resolves it
    context, page = as_role(browser, live_server, people["support"], language)
    page.goto(case_url)
    assert words["closed"] in page.inner_text("#returns")
    page.fill("#body", "Your credit note and the replacement are on their way.")
    page.click("#send-reply")
    assert words["in_progress"] in page.inner_text("#case-status")
    page.fill("#note-resolve", "Refunded 2, replaced 1.")
    page.click("#action-resolve")
    page.wait_for_url(CASE_URL)
    assert words["resolved"] in page.inner_text("#case-status")
    shot(page, f"after-sales-{language}-8-resolved")
    # the order page shows the after-sales counters of each line
    page.goto(f"{live_server.url}/orders/{order.pk}/")
    rows = page.locator("#order-lines tbody tr")
    seen = [
        [
            # the shipped cell also says the delivered % and what was closed
            rows.nth(i).locator(f"td.line-{name}").inner_text().strip()
            for name in (
                "shipped .line-shipped-qty",
                "invoiced",
                "returned",
                "replaced",
                "credited",
            )
        ]
        for i in range(2)
    ]
    assert seen == [["5", "5", "2", "0", "2"], ["4", "3", "1", "1", "0"]]
    shot(page, f"after-sales-{language}-9-order")
    context.close()

    # the customer's receivables as finance sees them on the customer page
    context, page = as_role(browser, live_server, people["finance"], language)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert "71.19" in page.inner_text("#receivable-balance")
    # its return history lists the RMA with both lines
    history = page.inner_text("#customer-returns")
    assert rma.number in history
    assert "P0 × 2" in history
    assert "P1 × 1" in history
    context.close()

    # the figures
    case.refresh_from_db()
    rma.refresh_from_db()
    assert (case.status, rma.status) == ("resolved", "closed")
    first, second = lines_of(order)
    assert counters(first) == {
        "shipped": Decimal(5),
        "returned": Decimal(2),
        "replaced": Decimal(0),
        "invoiced": Decimal(5),
        "credited": Decimal(2),
        "reserved": Decimal(0),
    }
    assert counters(second) == {
        "shipped": Decimal(4),
        "returned": Decimal(1),
        "replaced": Decimal(1),
        "invoiced": Decimal(3),
        "credited": Decimal(0),
        "reserved": Decimal(0),
    }
    note = Invoice.objects.for_company(company).get(order=order, kind=InvoiceKind.CREDIT_NOTE)
    assert note.gross_total == Decimal("22.60")
    assert Invoice.objects.for_company(company).filter(order=order, kind="invoice").count() == 1
    shipments = Shipment.objects.for_company(company).filter(order=order)
    assert sorted(s.status for s in shipments) == ["dispatched", "dispatched"]
    after = Customer.objects.for_company(company).get(pk=customer.pk).receivable_balance
    assert after == before - note.gross_total == Decimal("71.19")
    # the stock ledger: opening receipt, first shipment, the return, the replacement
    moves = [
        (m.product_id, m.kind, m.quantity, m.balance_after)
        for m in StockMove.objects.for_company(company)
        .filter(warehouse=main)
        .order_by("created_at", "id")
    ]
    p0, p1 = products[0].pk, products[1].pk
    assert sorted(m for m in moves if m[0] == p0) == sorted(
        [
            (p0, "receipt", Decimal(20), Decimal(20)),
            (p0, "shipment", Decimal(-5), Decimal(15)),
            (p0, "return", Decimal(2), Decimal(17)),
        ]
    )
    assert sorted(m for m in moves if m[0] == p1) == sorted(
        [
            (p1, "receipt", Decimal(20), Decimal(20)),
            (p1, "shipment", Decimal(-3), Decimal(17)),
            (p1, "return", Decimal(1), Decimal(18)),
            (p1, "shipment", Decimal(-1), Decimal(17)),
        ]
    )
    levels = {
        level.product_id: (level.on_hand, level.reserved)
        for level in StockLevel.objects.for_company(company).filter(warehouse=main)
    }
    assert levels[p0] == (Decimal(17), Decimal(0))
    assert levels[p1] == (Decimal(17), Decimal(0))
    assert inventory_selectors.ledger_discrepancies(company) == []
    types = set(Event.objects.for_company(company).values_list("type", flat=True))
    assert {
        "case.created",
        "case.resolved",
        "rma.created",
        "rma.approved",
        "rma.received",
        "rma.credited",
        "rma.replaced",
        "rma.closed",
    } <= types
