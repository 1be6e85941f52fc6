"""A sales manager walks the reports in Chromium: sales by salesperson with its charts, the
pivot, a cell's drill-down to its orders, and a new sales target with its attainment — in
English at 1280 px and in Simplified Chinese at 375 px. Screenshots in
``test-artifacts/screenshots/reports-*.png``."""

from __future__ import annotations

from ordercrm.analytics import refresh
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import browser as browser  # the fixture
from tests.browser.test_order_flow import login, set_language, shot

pytestmark = WALK

WORDS = {
    "en": {
        "reports": "Reports",
        "as_of": "Data as of",
        "drill": "Orders behind the figure",
        "targets": "Sales targets",
        "pace": "%",
    },
    "zh-hans": {
        "reports": "报表",
        "as_of": "数据截至",
        "drill": "数字背后的销售订单",
        "targets": "销售目标",
        "pace": "%",
    },
}
CASES = [("en", {"width": 1280, "height": 900}), ("zh-hans", {"width": 375, "height": 740})]


def test_reports_pivot_drill_down_and_target(browser, live_server, history):
    shop, a, _b, _c = history
    people = shop["people"]
    while refresh.process_company(shop["company"]):
        pass
    for language, viewport in CASES:
        words = WORDS[language]
        set_language({"m": people["manager"]}, language)
        context = browser.new_context(
            viewport=viewport,
            is_mobile=viewport["width"] < 500,
            locale="zh-CN" if language == "zh-hans" else "en-US",
        )
        page = login(context, live_server, people["manager"].username)
        tag = f"reports-{language}-{viewport['width']}"
        # sales by salesperson, January to February
        page.goto(
            f"{live_server.url}/reports/?period=month&from=2026-01-01&to=2026-02-28"
            "&by=salesperson&measure=booked"
        )
        assert words["reports"] in page.inner_text("h1")
        assert words["as_of"] in page.inner_text(".as-of")
        table = page.inner_text("table.list")
        assert people["rep"].username in table
        assert "980.00" in table
        assert people["west"].username not in table
        assert page.locator(".chart svg").count() == 1
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        shot(page, f"{tag}-sales")
        # the pivot, then the orders behind the rep's January cell
        page.goto(
            f"{live_server.url}/reports/pivot/?period=month&from=2026-01-01&to=2026-02-28"
            "&by=salesperson&columns=period&measure=booked"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"] + 1
        shot(page, f"{tag}-pivot")
        row = page.locator("table.pivot tbody tr", has_text=people["rep"].username)
        row.locator("td a").first.click()
        page.wait_for_load_state()
        assert words["drill"] in page.inner_text("h1")
        assert a.number in page.inner_text("table.list")
        shot(page, f"{tag}-drill")
        # targets for the rep on the default basis (net invoiced): January 1,000.00 of 2,000.00,
        # then the first quarter, net of February's credit note: 800.00 of 2,000.00
        page.goto(f"{live_server.url}/reports/targets/")
        assert words["targets"] in page.inner_text("h1")
        page.select_option("#t-owner", f"user:{people['rep'].pk}")
        page.select_option("#t-kind", "month" if language == "en" else "quarter")
        page.fill("#t-start", "2026-01-01")
        page.fill("#t-value", "2000")
        page.click("form:has(#t-value) button[type=submit]")
        page.wait_for_load_state()
        text = page.inner_text("table.list")
        assert ("50.0%" if language == "en" else "40.0%") in text
        shot(page, f"{tag}-targets")
        context.close()
