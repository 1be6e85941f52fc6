"""Every page of the app fits the screen it is opened on (issue 15, items 11–13).

An administrator (who may open nearly every page) walks the whole app in Chromium at 375 px
and at 1280 px, in English and in Simplified Chinese, with an order shipped, invoiced and
paid so that the detail pages have content. On each page no element may reach past the
viewport's right edge (a phone user would have to scroll sideways); at 1280 px the main
navigation must sit on one row; on a phone each list row carries its column's heading.
Screenshots go to ``test-artifacts/screenshots/layout-*.png``.
"""

import re
from decimal import Decimal

import pytest

from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice
from ordercrm.catalog.models import PriceList
from ordercrm.fulfilment.services import shipment_create
from ordercrm.sales import services as sales
from tests.browser import test_order_flow as flow
from tests.browser.test_order_flow import CHROMIUM, login, set_language, shot

browser = flow.browser
world = flow.world

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not __import__("shutil").which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"
    ),
]

PAGES = [
    "/",
    "/orders/",
    "/orders/new/",
    "/approvals/",
    "/customers/",
    "/products/",
    "/products/new/",
    "/price-lists/",
    "/price-lists/new/",
    "/stock/",
    "/stock/moves/",
    "/stock/receipt/",
    "/stock/adjustment/",
    "/shipments/",
    "/shipments/to-ship/",
    "/invoices/",
    "/payments/",
    "/payments/new/",
    "/receivables/",
    "/notifications/",
    "/tokens/",
    "/password/",
    "/settings/",
]
SETTINGS_SECTIONS = re.compile(r'href="(/settings/[a-z-]+/)"')

# The element reaching furthest right, and what it is.
WIDEST = """() => {
  let best = {right: 0, what: "page"};
  for (const e of document.querySelectorAll("body *")) {
    const box = e.getBoundingClientRect();
    if (box.width && box.right > best.right) {
      best = {right: box.right, what: `${e.tagName.toLowerCase()}.${e.className}`};
    }
  }
  return best;
}"""


@pytest.fixture
def busy_company(world, company, admin, products):
    """The flow's company with one order confirmed, shipped, invoiced and paid."""
    users, customer = world
    order = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[0], "quantity": Decimal(2)}],
    )
    order = sales.order_submit(order=order, actor=users["rep"])
    order = sales.order_approve(order=order, actor=users["manager"])
    shipment = shipment_create(order=order, actor=users["warehouse"], dispatch=True)
    invoice = Invoice.objects.for_company(company).get(order=order)
    billing.payment_record(
        company=company,
        actor=users["finance"],
        customer=customer,
        amount=invoice.gross_total,
        currency=invoice.currency,
        method="bank_transfer",
        reference="TT-LAYOUT",
        allocations=[{"invoice": invoice, "amount": invoice.gross_total}],
    )
    price_list = PriceList.objects.for_company(company).first()
    details = [
        f"/orders/{order.pk}/",
        f"/customers/{customer.pk}/",
        f"/shipments/{shipment.pk}/",
        f"/invoices/{invoice.pk}/",
        f"/products/{products[0].pk}/",
        f"/products/{products[0].pk}/edit/",
    ]
    if price_list:
        details.append(f"/price-lists/{price_list.pk}/")
    return users, details


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_is_wider_than_the_screen(browser, live_server, busy_company, admin, language):
    _users, details = busy_company
    set_language({"admin": admin}, language)
    problems = []
    for width in (375, 1280):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = login(context, live_server, admin.username)
        settings_html = page.goto(f"{live_server.url}/settings/").text()
        sections = sorted(set(SETTINGS_SECTIONS.findall(settings_html)))
        for path in PAGES + sections + details:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status < 400, (path, response.status)
            widest = page.evaluate(WIDEST)
            if widest["right"] > width + 1:
                problems.append((width, path, round(widest["right"]), widest["what"]))
            if width == 1280:
                rows = page.evaluate(
                    "new Set([...document.querySelectorAll('.topbar nav a')]"
                    ".map(a => Math.round(a.getBoundingClientRect().top))).size"
                )
                if rows != 1:
                    problems.append((width, path, "navigation rows", rows))
            slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"
            if path in ("/orders/", "/receivables/", details[0]):
                shot(page, f"layout-{slug[:40]}-{language}-{width}")
        context.close()
    assert problems == []


def test_a_phone_labels_every_value_of_a_list_row(browser, live_server, busy_company, admin):
    set_language({"admin": admin}, "en")
    context = browser.new_context(viewport={"width": 375, "height": 800}, is_mobile=True)
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/invoices/")
    cells = page.locator("table.list tbody tr:first-child td")
    labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
    assert all(labels), labels
    assert "Total" in labels
    # the heading is shown above each value (a ::before of the cell)
    before = page.evaluate(
        "getComputedStyle(document.querySelector('table.list tbody td[data-label]'),"
        " '::before').content"
    )
    assert before.strip('"') == labels[0]
    shot(page, "layout-phone-invoice-cards")
    context.close()
