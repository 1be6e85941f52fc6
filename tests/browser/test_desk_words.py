"""What the desk reads: language, formatting and the 1280 px layout (issue 15, items 11–13).

Item 11: the dashboard chart's text is readable on a phone. Item 12: notifications read in
the reader's language, errors name fields by their label, the credit column and the
password and 404 pages are ours, amounts carry separators and the currency's precision,
aging figures line up on the right. Item 13: at 1280 px the order filter bar keeps each date
beside another control and shows its whole search hint, status badges never break, and
settings forms put each label above its field. English and Simplified Chinese; screenshots
in ``test-artifacts/screenshots/words-*.png``.
"""

from decimal import Decimal

import pytest

from ordercrm.fulfilment.services import shipment_create
from ordercrm.notifications import worker
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from tests.browser import test_layout as layout
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

world = flow.world
busy_company = layout.busy_company

pytestmark = WALK

LANGUAGES = ["en", "zh-hans"]
OTHER = {"en": "zh-hans", "zh-hans": "en"}
WAITS = {"en": "waits for your approval", "zh-hans": "等待您的审批"}
# The smallest text a phone user can read on the chart, in CSS pixels.
MIN_CHART_TEXT = 11
# Each text of the dashboard's chart: its size as drawn (font size × the SVG's scale).
CHART_TEXT = """() => {
  const svg = document.querySelector("section.chart svg");
  const scale = svg.getBoundingClientRect().width / (svg.viewBox.baseVal.width || svg.width.baseVal.value);
  return [...svg.querySelectorAll("text")]
    .filter((t) => t.textContent.trim() && t.getBoundingClientRect().width)
    .map((t) => [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * scale]);
}"""


def _page(browser, live_server, user, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900})
    return context, login(context, live_server, user.username)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", [375, 1280])
def test_item_11_chart_text_is_readable_on_any_screen(
    browser, live_server, busy_company, admin, language, width
):
    set_language({"admin": admin}, language)
    context, page = _page(browser, live_server, admin, width)
    sizes = page.evaluate(CHART_TEXT)
    assert sizes
    small = [(text, round(size, 1)) for text, size in sizes if size < MIN_CHART_TEXT]
    assert small == []
    shot(page, f"words-11-chart-{language}-{width}")
    context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_item_12_notifications_read_in_the_readers_language(
    browser, live_server, world, products, language
):
    """Sent while the manager read the other language; read now in this one."""
    users, customer = world
    set_language(users, OTHER[language])
    order = sales.order_create(
        company=customer.company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    sales.order_submit(order=order, actor=users["rep"])
    worker.run_once()
    set_language(users, language)
    for width in (1280, 375):
        context, page = _page(browser, live_server, users["manager"], width)
        page.goto(f"{live_server.url}/notifications/")
        text = page.inner_text("ul.notifications")
        assert f"{order.number}" in text
        assert WAITS[language] in text
        assert WAITS[OTHER[language]] not in text
        shot(page, f"words-12-notifications-{language}-{width}")
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_item_12_figures_errors_and_pages_are_ours_and_formatted(
    browser, live_server, busy_company, world, admin, products, language
):
    users, details = busy_company
    set_language({"admin": admin, **users}, language)
    _users, customer = world
    big = sales.order_create(
        company=customer.company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[0], "quantity": Decimal(2000)}],
    )
    ready = SalesOrder.objects.for_company(customer.company).get(pk=details[8].split("/")[2])
    shipment_create(order=ready, actor=users["warehouse"], dispatch=True)  # an unpaid invoice
    context, page = _page(browser, live_server, admin)
    # amounts with separators and the currency's two decimals; prices without trailing zeros
    page.goto(f"{live_server.url}/orders/{big.pk}/")
    main = page.inner_text("main")
    assert "22,600.00" in main  # 2000 × 10.00 + 13 % VAT
    assert "22600" not in main
    assert "10.0000" not in main
    shot(page, f"words-12-amounts-{language}")
    # a refused payment names its field by the label, not the raw field name
    page.goto(f"{live_server.url}{details[8]}")
    page.fill("#amount", "0")
    page.click("#pay")
    page.wait_for_load_state()
    alert = page.locator("[role=alert]").first.inner_text()
    assert "amount:" not in alert
    assert ("Amount" if language == "en" else "金额") in alert
    shot(page, f"words-12-refused-{language}")
    # the invoice's credit column uses the glossary's words, not 信用 (credit standing)
    page.goto(f"{live_server.url}{details[3]}")
    headings = page.locator("th").all_inner_texts()
    assert not [h for h in headings if h.strip() in ("信用", "Credit")]
    # aging figures line up on the right
    page.goto(f"{live_server.url}/receivables/")
    aligns = page.eval_on_selector_all(
        "table.list td.num", "cells => cells.map((c) => getComputedStyle(c).textAlign)"
    )
    assert aligns
    assert set(aligns) == {"right"}
    shot(page, f"words-12-aging-{language}")
    # the password page and a missing page are OrderCRM's, translated
    page.goto(f"{live_server.url}/password/")
    assert "Django" not in page.inner_text("body")
    assert page.locator("header.topbar, .topbar").count() >= 1
    response = page.goto(f"{live_server.url}/orders/00000000-0000-0000-0000-000000000000/")
    assert response.status == 404
    body = page.inner_text("body")
    assert ("Page not found" if language == "en" else "页面不存在") in body or "OrderCRM" in body
    assert "Django" not in body
    shot(page, f"words-12-404-{language}")
    context.close()


# For each control of the order filter bar: its row (vertical middle) and, for a text field, whether
# its hint fits (the placeholder's drawn width within the field's inner width).
FILTER_BAR = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  return [...document.querySelectorAll("form.filters input, form.filters select,"
                                       + " form.filters button")]
    .filter((c) => c.type !== "hidden" && c.getBoundingClientRect().width)
    .map((c) => {
      const style = getComputedStyle(c);
      canvas.font = `${style.fontSize} ${style.fontFamily}`;
      const inner = c.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const hint = c.placeholder ? canvas.measureText(c.placeholder).width : 0;
      const box = c.getBoundingClientRect();
      return {type: c.type, middle: box.top + box.height / 2, fits: hint <= inner + 1};
    });
}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_item_13_desktop_filters_badges_and_settings_forms(
    browser, live_server, busy_company, admin, language
):
    set_language({"admin": admin}, language)
    context, page = _page(browser, live_server, admin, 1280)
    page.goto(f"{live_server.url}/orders/")
    controls = page.evaluate(FILTER_BAR)
    assert all(c["fits"] for c in controls), controls
    rows: list[list] = []  # controls whose middles are within a few pixels share a row
    for control in sorted(controls, key=lambda c: c["middle"]):
        if rows and control["middle"] - rows[-1][0]["middle"] < 8:
            rows[-1].append(control)
        else:
            rows.append([control])
    alone = [row for row in rows if [c["type"] for c in row] == ["date"]]
    assert alone == []  # no date pushed onto a row of its own
    date_rows = [i for i, row in enumerate(rows) for c in row if c["type"] == "date"]
    assert len(set(date_rows)) == 1  # "From" and "To" are never split across rows
    # a status badge is one line, never "已确/认"
    broken = page.eval_on_selector_all(
        ".badge",
        "bs => bs.filter((b) => b.getClientRects().length > 1"
        " || b.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(b).fontSize))"
        ".map((b) => b.textContent)",
    )
    assert broken == []
    shot(page, f"words-13-orders-{language}-1280")
    # a settings form: each label sits above its field
    page.goto(f"{live_server.url}/settings/company/")
    misplaced = page.eval_on_selector_all(
        ".settings-form .field",
        """fields => fields.map((f) => [f.querySelector("label:not(.check)"),
                                       f.querySelector("input, select, textarea")])
          .filter(([label, input]) => label && input
                  && label.getBoundingClientRect().bottom > input.getBoundingClientRect().top + 1)
          .map(([label]) => label.textContent)""",
    )
    assert page.locator(".settings-form .field").count() > 3
    assert misplaced == []
    shot(page, f"words-13-settings-{language}-1280")
    context.close()
