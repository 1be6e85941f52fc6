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
from ordercrm.billing.models import Invoice, Payment
from ordercrm.catalog.models import PriceList
from ordercrm.fulfilment.services import shipment_create
from ordercrm.sales import services as sales
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

world = flow.world

pytestmark = WALK

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
# Links that are not pages to look at: files, downloads, and the session's own switches.
NOT_PAGES = re.compile(
    r"(/pdf$|/export\.|\.(csv|xlsx)$|/failed\.|/attachments/"
    r"|^/(logout|language|company|api|static|admin|export)/)"
)
ID = re.compile(r"(?<=/outbox/).+|[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}|[0-9a-f]{32}")
# Every same-site link on the page, as a path without query or fragment.
LINKS = """() => [...document.querySelectorAll("a[href]")]
  .map((a) => new URL(a.href, location.href))
  .filter((u) => u.origin === location.origin)
  .map((u) => u.pathname)"""

# The element reaching furthest right, and what it is. Inside a box that scrolls or clips
# (a wide table in its scroll box) an element reaches only as far as that box: scrolling
# inside a box is allowed, widening the page is not.
WIDEST = """() => {
  const clipper = (e) => {
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== "visible") return a;
    }
    return null;
  };
  let best = {right: document.documentElement.scrollWidth, what: "page"};
  for (const e of document.querySelectorAll("body *")) {
    const box = e.getBoundingClientRect();
    if (!box.width || box.right <= best.right) continue;
    const clip = clipper(e);
    const right = clip ? Math.min(box.right, clip.getBoundingClientRect().right) : box.right;
    if (right > best.right) {
      best = {right, what: `${e.tagName.toLowerCase()}.${e.className}`};
    }
  }
  return best;
}"""


def billing_payment(company):
    return Payment.objects.for_company(company).get()


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
    draft = sales.order_create(
        company=company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[1], "quantity": Decimal(3), "discount_percent": 5}],
    )

    def pending_order():
        return sales.order_submit(
            order=sales.order_create(
                company=company,
                actor=users["rep"],
                customer=customer,
                lines=[{"product": products[2], "quantity": Decimal(1)}],
            ),
            actor=users["rep"],
        )

    pending = pending_order()
    ready = sales.order_approve(order=pending_order(), actor=users["manager"])  # ship form
    price_list = PriceList.objects.for_company(company).first()
    details = [
        f"/orders/{order.pk}/",
        f"/customers/{customer.pk}/",
        f"/shipments/{shipment.pk}/",
        f"/invoices/{invoice.pk}/",
        f"/payments/{billing_payment(company).pk}/",
        f"/orders/{draft.pk}/",
        f"/orders/{draft.pk}/edit/",
        f"/orders/{pending.pk}/",
        f"/orders/{ready.pk}/",
        # After the orders: tests/browser/test_desk_words.py picks orders by position.
        f"/products/{products[0].pk}/",
        f"/products/{products[0].pk}/edit/",
    ]
    if price_list:
        details.append(f"/price-lists/{price_list.pk}/")
    return users, details


def all_pages(page, base_url: str, details: list[str]) -> list[str]:
    """Every page of the app an administrator reaches by following links, from the
    navigation (and the fixed list above, which holds pages only a form leads to) outwards:
    one page per kind among those found (a second customer's page is the same template),
    and every page of ``details`` (orders in different states show different forms)."""
    seen, found = set(), []
    queue = list(dict.fromkeys(PAGES + details))
    while queue:
        path = queue.pop(0)
        kind = path if path in details else ID.sub("<id>", path)
        if kind in seen or NOT_PAGES.search(path):
            continue
        seen.update({kind, ID.sub("<id>", path)})
        response = page.goto(f"{base_url}{path}")
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        found.append(path)
        queue += [link for link in page.evaluate(LINKS) if ID.sub("<id>", link) not in seen]
    return found


@pytest.fixture
def every_page(browser, live_server, busy_company, admin):
    """The walk of ``all_pages``, done once per test as the administrator."""
    _users, details = busy_company
    context = browser.new_context()
    page = login(context, live_server, admin.username)
    pages = all_pages(page, live_server.url, details)
    context.close()
    return pages


def test_the_walk_reaches_every_kind_of_page(every_page):
    for expected in ["/deliveries/", "/settings/users/", "/receivables/", "/password/"]:
        assert expected in every_page
    kinds = {ID.sub("<id>", path) for path in every_page}
    for kind in ["/orders/<id>/", "/orders/<id>/edit/", "/customers/<id>/", "/shipments/<id>/"]:
        assert kind in kinds
    for kind in ["/invoices/<id>/", "/payments/<id>/"]:
        assert kind in kinds


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_page_is_wider_than_the_screen(
    browser, live_server, busy_company, every_page, admin, language
):
    _users, details = busy_company
    set_language({"admin": admin}, language)
    problems = []
    for width, script in ((375, True), (375, False), (1280, True)):
        # without script (a phone's reader mode, a blocked file) tables scroll in their box
        context = browser.new_context(
            viewport={"width": width, "height": 800}, java_script_enabled=script
        )
        page = login(context, live_server, admin.username)
        for path in every_page:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status < 400, (path, response.status)
            widest = page.evaluate(WIDEST)
            if widest["right"] > width + 1:
                where = f"{width}{'' if script else ' no script'}"
                problems.append((where, path, round(widest["right"]), widest["what"]))
            if width == 1280:
                rows = page.evaluate(
                    "new Set([...document.querySelectorAll('.topbar nav a')]"
                    ".map(a => Math.round(a.getBoundingClientRect().top))).size"
                )
                if rows != 1:
                    problems.append((width, path, "navigation rows", rows))
            slug = re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"
            if path in ("/orders/", "/receivables/", details[0]):
                suffix = "" if script else "-nojs"
                shot(page, f"layout-{slug[:40]}-{language}-{width}{suffix}")
        context.close()
    assert problems == [], "\n".join(map(str, problems))


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
