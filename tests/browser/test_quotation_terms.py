"""A quotation with its terms (issue #17), in Chromium: the rep gives an order discount and a
validity date, sees the discount and the free-stock warning in the live totals, saves, and the
order page shows both. English at 1280 px and Simplified Chinese at 375 px; screenshots in
``test-artifacts/screenshots/quotation-*.png``."""

import datetime

import pytest

from ordercrm.core.dates import company_today
from ordercrm.sales.models import SalesOrder
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import ORDER_URL, login, set_language, shot

world = flow.world

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
WORDS = {
    "en": ("Order discount (10%)", "60 wanted, 50 free"),
    "zh-hans": ("整单折扣（10%）", "需要 60，可用 50"),
}


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_a_quotation_with_discount_validity_and_short_stock(
    browser, live_server, world, company, language, size
):
    users, customer = world
    set_language(users, language)
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    page.select_option("#customer", str(customer.pk))
    valid = company_today(company) + datetime.timedelta(days=14)
    page.fill("#valid_until", valid.isoformat())
    page.fill("#discount_percent", "10")
    page.fill("#sku-1", "P0")
    page.fill("#qty-1", "60")
    page.click(".actions button[value=preview]")
    page.locator("#free-stock-warning").wait_for()
    discount, short = WORDS[language]
    assert discount in page.inner_text("#totals")
    assert short in page.inner_text("#free-stock-warning")
    shot(page, f"quotation-entry-{language}-{size}")
    page.click(".actions button[value=save]")
    page.wait_for_url(ORDER_URL)
    order = SalesOrder.objects.for_company(company).get()
    assert (order.valid_until, order.discount_percent) == (valid, 10)
    assert page.locator("#valid-until").is_visible()
    assert page.locator("#order-discount").is_visible()
    assert page.locator("#free-stock-warning").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    shot(page, f"quotation-order-{language}-{size}")
    context.close()
