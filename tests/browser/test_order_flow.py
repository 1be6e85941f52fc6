"""The order-to-cash flow in a real browser: Debian's Chromium, headless, driven by
Playwright against a live server. Screenshots of every step go to ``test-artifacts/``.

Runs when Chromium is installed (``.ci/run`` installs it); ``ORDERCRM_CHROMIUM`` points at
another binary.
"""

import re
from pathlib import Path

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales.models import RuleKind
from ordercrm.sales.services import approval_rule_create
from tests.browser import conftest as walks
from tests.browser.conftest import WALK

# the fixture, for the walks outside tests/browser (analytics) that import it from here
browser = walks.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "correct horse battery"
ORDER_URL = re.compile(r"/orders/[0-9a-f-]{36}/$")

pytestmark = WALK


@pytest.fixture
def world(company, admin, make_user, make_customer, products, team):
    users = {
        "rep": make_user(Role.SALES_REP, company, username="rep-b", team=team),
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr-b", team=team),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh-b"),
        "finance": make_user(Role.FINANCE, company, username="fin-b"),
    }
    customer = make_customer(company, actor=users["rep"], name="Shanghai Mingda")
    make_customer(company, actor=users["rep"], name="Hangzhou Tea House")
    inventory.stock_receive(
        company=company,
        actor=users["warehouse"],
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 50} for p in products],
    )
    approval_rule_create(
        company=company, actor=admin, name="Every order", kind=RuleKind.ORDER_TOTAL, threshold=1
    )
    return users, customer


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def login(context, live_server, username):
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    # the login form's button (without script the language switch shows a button too)
    page.click("form:has(#id_password) button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    return page


def set_language(users, language):
    for user in users.values():
        user.language = language
        user.save(update_fields=["language"])


def run_flow(browser, live_server, users, customer, language, labels):
    context = browser.new_context(locale="zh-CN" if language == "zh-hans" else "en-US")
    # 1. the rep enters an order with three lines and submits it
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    assert labels["new_order"] in page.inner_text("h1")
    assert page.locator("#customer option").count() == 3  # "choose" and two customers
    page.fill("#customer-search", "Mingda")  # htmx narrows the choices as one types
    page.wait_for_function("document.querySelectorAll('#customer option').length === 2")
    page.select_option("#customer", str(customer.pk))
    for index, (sku, quantity) in enumerate([("P0", "4"), ("P1", "2"), ("P2", "1")], start=1):
        page.fill(f"#sku-{index}", sku)
        page.fill(f"#qty-{index}", quantity)
    page.click(".actions button[value=preview]")
    # 4×10 + 2×11 + 1×12 = 74.00 + 13 % VAT; earlier partial totals may show first
    page.wait_for_function("document.querySelector('#grand-total')?.innerText.includes('83.62')")
    shot(page, f"{language}-1-entry")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    order_url = page.url
    # a second click while the post is in flight is swallowed (the page's submit guard):
    # a listener added after it sees the first submit go through and the second cancelled
    with page.expect_navigation(url=ORDER_URL):
        outcomes = page.evaluate(
            """() => {
                const seen = [];
                document.addEventListener("submit", (e) => seen.push(e.defaultPrevented));
                const button = document.querySelector("button[data-action=submit]");
                button.click();
                button.click();
                return seen;
            }"""
        )
    assert outcomes == [False, True]
    page.wait_for_load_state()
    assert labels["pending"] in page.inner_text("#order-status")
    shot(page, f"{language}-2-submitted")
    context.close()
    # 2. the manager approves it from the inbox
    context = browser.new_context()
    page = login(context, live_server, users["manager"].username)
    page.goto(f"{live_server.url}/approvals/")
    page.click(f"a[href='{order_url.replace(live_server.url, '')}']")
    page.fill("#comment", "OK")
    page.click("button[data-action=approve]")
    page.wait_for_load_state()
    assert labels["confirmed"] in page.inner_text("#order-status")
    shot(page, f"{language}-3-approved")
    context.close()
    # 3. the warehouse ships part of it
    context = browser.new_context()
    page = login(context, live_server, users["warehouse"].username)
    page.goto(order_url)
    page.fill("#ship-1", "2")
    page.fill("#carrier", "SF Express")
    page.fill("#tracking_number", "SF1234")
    page.click("#ship-button")
    page.wait_for_load_state()
    assert labels["partially_shipped"] in page.inner_text("#progress")
    shot(page, f"{language}-4-shipped")
    page.goto(f"{live_server.url}/shipments/")
    assert "SF1234" in page.inner_text("table.list")
    assert labels["dispatched"] in page.inner_text("table.list")
    context.close()
    # 4. finance sees the invoice the shipment made, and records a payment
    context = browser.new_context()
    page = login(context, live_server, users["finance"].username)
    page.goto(order_url)
    assert "INV-" in page.inner_text("#invoices")
    page.fill("#amount", "10.00")
    page.select_option("#method", "alipay")
    page.click("#pay")
    page.wait_for_load_state()
    assert labels["partially_paid"] in page.inner_text("#progress")
    shot(page, f"{language}-5-paid")
    page.goto(f"{live_server.url}/receivables/")
    assert labels["aging"] in page.inner_text("h1")
    assert customer.name in page.inner_text("table.list")
    page.goto(f"{live_server.url}/")
    assert page.locator("section.chart svg").count() == 1
    shot(page, f"{language}-6-dashboard")
    context.close()


ENGLISH = {
    "new_order": "New order",
    "pending": "Pending approval",
    "confirmed": "Confirmed",
    "partially_shipped": "Partially shipped",
    "partially_paid": "Partially paid",
    "dispatched": "Dispatched",
    "aging": "Receivables aging",
}
CHINESE = {
    "new_order": "新建订单",
    "pending": "待审批",
    "confirmed": "已确认",
    "partially_shipped": "部分发货",
    "partially_paid": "部分回款",
    "dispatched": "已发货",
    "aging": "应收账款账龄",
}


def test_order_to_cash_in_english(browser, live_server, world):
    users, customer = world
    set_language(users, "en")
    run_flow(browser, live_server, users, customer, "en", ENGLISH)


def test_order_to_cash_in_simplified_chinese(browser, live_server, world):
    users, customer = world
    set_language(users, "zh-hans")
    run_flow(browser, live_server, users, customer, "zh-hans", CHINESE)


def test_a_phone_adds_and_deletes_a_line(browser, live_server, world):
    users, customer = world
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = login(context, live_server, users["rep"].username)
    page.goto(f"{live_server.url}/orders/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1  # no sideways scroll
    page.select_option("#customer", str(customer.pk))
    assert page.locator("input[name=sku]").count() == 3
    page.click("button[value=add]")
    page.wait_for_selector("#sku-4")
    page.fill("#sku-4", "P1")
    page.fill("#qty-4", "3")
    page.click("button[aria-label$=' 1']")  # delete the first (empty) line
    page.wait_for_function("document.querySelectorAll('input[name=sku]').length === 3")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    shot(page, "phone-order")
    assert "P1" in page.inner_text("table.list")
    context.close()


def test_finance_refunds_the_credit_of_a_cancelled_order_on_a_phone(
    browser, live_server, world, products
):
    """A cancelled order's advance is customer credit: finance finds it on the customer page
    and refunds it from the payment page, in Chinese, at 375 px."""
    from ordercrm.billing.models import Payment
    from ordercrm.billing.services import payment_record
    from ordercrm.sales import services as sales

    users, customer = world
    set_language(users, "zh-hans")
    order = sales.order_create(
        company=customer.company,
        actor=users["rep"],
        customer=customer,
        lines=[{"product": products[0], "quantity": 1}],
    )
    payment_record(
        company=customer.company,
        actor=users["finance"],
        customer=customer,
        amount="88.00",
        currency="CNY",
        method="alipay",
        order=order,
    )
    sales.order_cancel(order=order, actor=users["rep"])  # a draft: the rep's own to cancel
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = login(context, live_server, users["finance"].username)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    assert "88.00" in page.inner_text("#customer-credit")
    page.click("#customer-credit a")
    page.wait_for_load_state()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1
    page.fill("#refund-amount", "88.01")
    page.fill("#refund-reason", "订单取消")
    page.click("form[action$='/refund'] button")
    page.wait_for_load_state()
    assert "88.00" in page.inner_text("[role=alert]")  # at most the credit, said inline
    page.fill("#refund-amount", "88.00")
    page.fill("#refund-reason", "订单取消")
    page.click("form[action$='/refund'] button")
    page.wait_for_load_state()
    assert "RF-" in page.inner_text("main")
    shot(page, "zh-hans-7-refund")
    context.close()
    assert Payment.objects.for_company(customer.company).get().unallocated == 0
