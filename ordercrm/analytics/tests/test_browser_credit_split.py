"""A sales manager shares an order's sales credit in Chromium: from the order page to the
credit-split form, shares adding up to 90 % refused in the reader's language, then 50 / 50
saved and shown on the order — in English at 1280 px and in Simplified Chinese at 375 px.
Screenshots in ``test-artifacts/screenshots/credit-split-*.png``."""

from __future__ import annotations

from ordercrm.analytics.models import CreditSplit
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import browser as browser  # the fixture
from tests.browser.test_order_flow import login, set_language, shot

pytestmark = WALK

WORDS = {
    "en": {
        "title": "Credit split",
        "not_whole": "The shares of an order must add up to 100 %.",
        "total": "The shares add up to 90 %.",
        "saved": "The sales credit is shared as entered.",
    },
    "zh-hans": {
        "title": "业绩分成",
        "not_whole": "订单的分成比例合计必须为 100%。",
        "total": "90",
        "saved": "已按输入分配业绩。",
    },
}
CASES = [("en", {"width": 1280, "height": 900}), ("zh-hans", {"width": 375, "height": 740})]


def test_manager_shares_an_orders_credit(browser, live_server, history):
    shop, a, _b, _c = history
    people = shop["people"]
    rep, rep2 = people["rep"], people["rep2"]
    for language, viewport in CASES:
        words = WORDS[language]
        set_language({"m": people["manager"]}, language)
        CreditSplit.objects.for_company(shop["company"]).filter(order=a).delete()
        context = browser.new_context(
            viewport=viewport,
            is_mobile=viewport["width"] < 500,
            locale="zh-CN" if language == "zh-hans" else "en-US",
        )
        page = login(context, live_server, people["manager"].username)
        tag = f"credit-split-{language}-{viewport['width']}"
        page.goto(f"{live_server.url}/orders/{a.pk}/")
        page.click("#edit-credit-split")
        page.wait_for_load_state()
        assert words["title"] in page.inner_text("h1")
        # the salesperson has all of it until shared
        assert page.input_value("#split-person-0") == str(rep.pk)
        assert page.input_value("#split-percent-0") == "100"
        page.fill("#split-percent-0", "50")
        page.select_option("#split-person-1", str(rep2.pk))
        page.fill("#split-percent-1", "40")
        page.click("#split-save")
        page.wait_for_load_state()
        errors = page.inner_text("#split-errors")
        assert words["not_whole"] in errors
        assert words["total"] in errors
        # what was entered is kept for correcting
        assert page.input_value("#split-person-1") == str(rep2.pk)
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        shot(page, f"{tag}-refused")
        page.fill("#split-percent-1", "50")
        page.click("#split-save")
        page.wait_for_load_state()
        assert page.url.rstrip("/").endswith(str(a.pk))
        assert words["saved"] in page.inner_text("body")
        credit = page.inner_text("#credit-split")
        assert credit.count("50%") == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        shot(page, f"{tag}-saved")
        assert {
            s.salesperson_id: int(s.percent)
            for s in CreditSplit.objects.for_company(shop["company"]).filter(order=a)
        } == {rep.pk: 50, rep2.pk: 50}
        context.close()
