"""Every form control of every page has a name a screen reader says (issue 15, item 11).

An administrator walks every page reachable from the navigation (``test_layout.all_pages``:
lists, settings sections, the detail pages of an order in each state, an invoice, a
shipment, a payment, a customer), plus order entry with lines added, in English and in
Simplified Chinese, with script off, so the names come from the page itself and not from
``app.js``. A control is named by a ``<label for>`` (or a wrapping label), ``aria-label``,
``aria-labelledby`` or ``title``; hidden fields, buttons and the CSRF token need none. The
login page is checked too. Screenshots: ``test-artifacts/screenshots/labels-*.png``.
"""

import pytest

from tests.browser import test_layout as layout
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

world = flow.world
busy_company = layout.busy_company
every_page = layout.every_page

pytestmark = WALK

# The controls on the page that nothing names: "tag#id[name]" of each.
UNNAMED = """() => [...document.querySelectorAll("input, select, textarea")]
  .filter((field) => !["hidden", "submit", "button", "reset", "image"].includes(field.type))
  .filter((field) => field.name !== "csrfmiddlewaretoken")
  .filter((field) => !(
    (field.labels && [...field.labels].some((l) => l.textContent.trim()))
    || (field.getAttribute("aria-label") || "").trim()
    || (field.getAttribute("aria-labelledby") || "").split(/\\s+/).some(
         (id) => id && document.getElementById(id)?.textContent.trim())
    || (field.getAttribute("title") || "").trim()))
  .map((field) => `${field.tagName.toLowerCase()}#${field.id}[${field.name}]`)"""


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_form_control_has_an_accessible_name(
    browser, live_server, every_page, admin, language
):
    set_language({"admin": admin}, language)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    problems = [("/login/", field) for field in page.evaluate(UNNAMED)]
    page = login(context, live_server, admin.username)
    for path in every_page:
        page.goto(f"{live_server.url}{path}")
        problems += [(path, field) for field in page.evaluate(UNNAMED)]
    # order entry with more lines than it starts with (the added row is built by the server)
    page.goto(f"{live_server.url}/orders/new/")
    page.click("button[value=add]")
    page.wait_for_load_state()
    problems += [("/orders/new/ +line", field) for field in page.evaluate(UNNAMED)]
    shot(page, f"labels-entry-{language}")
    context.close()
    assert problems == [], "\n".join(map(str, problems))


def test_entry_line_cells_are_named_by_their_translated_column(browser, live_server, world, admin):
    """A table cell's input has no room for a visible label; its name is the column's."""
    users, _customer = world
    set_language(users, "zh-hans")
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    assert page.get_by_label("数量").count() >= 3
    assert page.get_by_label("产品编码").count() >= 3
    shot(page, "labels-entry-lines-zh-hans-375")
    context.close()
