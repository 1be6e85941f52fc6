"""Order entry as a hurried user works it (issue 15, items 1 and 2), in Chromium.

Bad values are answered where the user is looking (the message next to the form, the
entered lines kept); a double click on Save, the same form posted twice at once (two tabs),
and Back and Save again make one order. English and Simplified Chinese,
at 1280 and 375 px. Screenshots go to ``test-artifacts/screenshots/entry-*.png``.
"""

import pytest

from ordercrm.sales.models import SalesOrder
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import ORDER_URL, login, set_language, shot

world = flow.world

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
CASES = [("en", "desktop"), ("zh-hans", "phone")]
# What the refusal says, in each language (a word of the service's translated message).
REFUSED = {"en": "quantity", "zh-hans": "数量"}


def _entry(browser, live_server, users, customer, language, size):
    set_language(users, language)
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    page.select_option("#customer", str(customer.pk))
    return context, page


def _orders(company):
    return SalesOrder.objects.for_company(company).count()


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_bad_value_is_shown_next_to_the_form_and_changes_nothing(
    browser, live_server, world, company, language, size
):
    users, customer = world
    context, page = _entry(browser, live_server, users, customer, language, size)
    page.fill("#sku-1", "P0")
    page.fill("#qty-1", "3")
    page.fill("#sku-2", "P1")
    page.fill("#qty-2", "-1")
    page.click("button[value=save]")
    alert = page.locator("#entry .error[role=alert]")
    alert.wait_for()
    assert REFUSED[language] in alert.inner_text().lower()
    # the user's input is kept and nothing was saved
    assert page.input_value("#sku-1") == "P0"
    assert page.input_value("#qty-2") == "-1"
    assert "/orders/new/" in page.url
    assert _orders(company) == 0
    shot(page, f"entry-refused-{language}-{size}")
    # fixed, it saves
    page.fill("#qty-2", "2")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    assert _orders(company) == 1
    context.close()


@pytest.mark.parametrize(("language", "size"), CASES)
def test_double_click_twin_posts_and_back_make_one_order(
    browser, live_server, world, company, language, size
):
    users, customer = world
    context, page = _entry(browser, live_server, users, customer, language, size)
    page.fill("#sku-1", "P0")
    page.fill("#qty-1", "2")
    # a double click, or the same form posted from two tabs at once: both posts reach the
    # server together (the button guard is only a courtesy, so they go around it here to
    # prove the server alone keeps it to one order)
    statuses = page.evaluate(
        """() => {
            const form = document.querySelector('#entry');
            const fetches = [0, 1].map(() => {
                const data = new FormData(form);
                data.set('action', 'save');
                return fetch(location.href, {method: 'POST', body: data});
            });
            return Promise.all(fetches).then((answers) => answers.map((a) => a.status));
        }"""
    )
    assert all(status < 400 for status in statuses), statuses
    assert _orders(company) == 1
    page.click("button[value=save]")  # and a third time, as a person would
    page.wait_for_url(ORDER_URL)
    first = page.url
    assert _orders(company) == 1
    # Back to the filled form and Save again: the same order, said so
    page.go_back()
    page.wait_for_selector("button[value=save]")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    assert page.url == first
    assert _orders(company) == 1
    assert SalesOrder.objects.for_company(company).get().lines.count() == 1
    shot(page, f"entry-once-{language}-{size}")
    context.close()
