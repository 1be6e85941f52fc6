"""Purchase habits in Chromium (issue 19, item 3): a rep opens the lapsing list, reads why a
customer is listed (by the customer's own rhythm, in the rep's language), opens the customer
page and finds the habits panel, then starts an order for them and the order entry offers
what the customer usually buys. English and Simplified Chinese; the list also at 375 px.
Screenshots go to ``test-artifacts/screenshots/habits-*.png``."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from ordercrm.core.dates import company_today
from ordercrm.sales import services as sales
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

pytestmark = WALK

WORDS = {
    "en": {
        "why": "Orders every ~30 days (usually 20–30); last order 41 days ago, 11 days later than usual.",
        "panel": "Purchase habits",
        "usually": "This customer usually buys",
    },
    "zh-hans": {
        "why": "约每 30 天下单一次（通常 20–30 天）；上次下单在 41 天前，比平常晚 11 天。",
        "panel": "购买习惯",
        "usually": "该客户常购",
    },
}


@pytest.fixture
def world(company, make_user, make_customer, make_product, team):
    from ordercrm.accounts.roles import Role

    rep = make_user(Role.SALES_REP, company, username="rep-h", team=team)
    customer = make_customer(company, actor=rep, name="Suzhou Rhythm Works")
    tea = make_product(company, sku="TEA-1", list_price=Decimal("12.00"), is_stock_tracked=False)
    cup = make_product(company, sku="CUP-1", list_price=Decimal("3.00"), is_stock_tracked=False)
    today = company_today(company)
    # back-dating needs the right (order_backdate): an administrator enters the rep's history
    backdater = make_user(Role.ADMIN, company, username="admin-h")
    for ago in (161, 141, 111, 81, 41):  # gaps 20, 30, 30, 40: every ~30 days
        order = sales.order_create(
            company=company,
            actor=backdater,
            customer=customer,
            order_date=today - datetime.timedelta(days=ago),
            lines=[{"product": tea, "quantity": 5}, {"product": cup, "quantity": 10}],
        )
        assert order.salesperson == rep
        sales.order_submit(order=order, actor=backdater)
    cache.clear()
    return {"rep": rep}, customer


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_rep_finds_a_lapsing_customer_and_why(browser, live_server, world, language):
    users, customer = world
    set_language(users, language)
    words = WORDS[language]
    for width in (1280, 375):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, is_mobile=width < 400
        )
        page = login(context, live_server, users["rep"].username)
        page.goto(f"{live_server.url}/reports/habits/lapsing/")
        row = page.locator("#habits-list tbody tr", has_text=customer.name)
        assert words["why"] in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        shot(page, f"habits-{language}-{width}-1-lapsing")
        if width == 375:
            context.close()
            break
        # the customer page has the habits panel with the same explanation
        row.locator("a").first.click()
        page.wait_for_selector("#habits")
        panel = page.inner_text("#habits")
        assert words["panel"] in panel
        assert words["why"] in panel
        shot(page, f"habits-{language}-{width}-2-customer")
        # order entry for them offers what they usually buy (htmx panel)
        page.goto(f"{live_server.url}/orders/new/?customer={customer.pk}")
        page.wait_for_selector("#suggestions .favourites")
        suggestions = page.inner_text("#suggestions")
        assert words["usually"] in suggestions
        assert "TEA-1" in suggestions
        shot(page, f"habits-{language}-{width}-3-entry")
        context.close()
