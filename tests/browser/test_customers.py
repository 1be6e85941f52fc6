"""Customers and order templates in Chromium (issue 16, items 1 and 3): a rep creates a
customer (the duplicate warning shows inline as the name is typed, with a link to the
match), adds a contact and an address on the customer page, makes an order template for
that customer and starts an order from it on the customer page. English and Simplified
Chinese; 1280 px and 375 px. Screenshots go to ``test-artifacts/screenshots/cust-*.png``.
"""

import re
from decimal import Decimal

import pytest

from ordercrm.customers.models import Customer
from ordercrm.sales.models import OrderTemplate
from tests.browser import test_order_flow as flow
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, set_language, shot

world = flow.world

pytestmark = WALK

SIZES = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True},
}
LABELS = {
    "en": {"new_customer": "New customer", "exists": "already exists", "saved": "created"},
    "zh-hans": {"new_customer": "新建客户", "exists": "已存在", "saved": "已创建"},
}
CUSTOMER_URL = re.compile(r"/customers/[0-9a-f-]{36}/$")


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width + 1


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_create_a_customer_and_a_template(browser, live_server, world, company, language, size):
    users, existing = world
    set_language(users, language)
    labels = LABELS[language]
    width = SIZES[size]["viewport"]["width"]
    context = browser.new_context(**SIZES[size])
    page = login(context, live_server, users["rep"].username)
    tag = f"cust-{language}-{size}"

    # 1. the list offers "New customer"
    page.goto(f"{live_server.url}/customers/")
    assert labels["new_customer"] in page.inner_text("#new-customer")
    no_sideways_scroll(page, width)
    shot(page, f"{tag}-1-list")
    page.click("#new-customer")
    page.wait_for_load_state()

    # 2. typing a name that exists warns inline, with a link to the match
    page.fill("#id_name", existing.name.upper())
    page.dispatch_event("#id_name", "change")
    page.wait_for_selector("#duplicate-warning")
    warning = page.inner_text("#duplicate-warning")
    assert labels["exists"] in warning
    assert existing.code in warning
    href = page.get_attribute("#duplicate-warning a", "href")
    assert href == f"/customers/{existing.pk}/"
    shot(page, f"{tag}-2-duplicate-warning")

    # 3. a different name creates the customer
    page.fill("#id_name", f"Ningbo Harbour Tools {language} {size}")
    page.dispatch_event("#id_name", "change")
    page.fill("#id_phone", "0574-8888")
    page.fill("#id_email", "buyer@harbour.example")
    no_sideways_scroll(page, width)
    page.click("#customer-form button[type=submit]")
    page.wait_for_url(CUSTOMER_URL)
    assert labels["saved"] in page.inner_text(".messages")
    customer = Customer.objects.for_company(company).get(name__startswith="Ningbo Harbour")

    # 4. a contact and an address on the customer page
    page.click("#add-contact summary")
    page.fill("#id_contact-name", "Zhou Min")
    page.fill("#id_contact-phone", "139-0000-1111")
    page.click("#add-contact button[type=submit]")
    page.wait_for_url(CUSTOMER_URL)
    assert "Zhou Min" in page.inner_text("#contacts")
    page.click("#add-address summary")
    page.select_option("#id_address-kind", "shipping")
    page.fill("#id_address-line1", "8 Harbour Rd")
    page.fill("#id_address-city", "Ningbo")
    page.click("#add-address button[type=submit]")
    page.wait_for_url(CUSTOMER_URL)
    assert "8 Harbour Rd" in page.inner_text("#addresses")
    no_sideways_scroll(page, width)
    shot(page, f"{tag}-3-customer-page")

    # 5. an order template for this customer
    page.goto(f"{live_server.url}/templates/new/?customer={customer.pk}")
    assert page.input_value("#id_customer") == customer.code
    page.fill("#id_name", "Monthly tools")
    page.fill("#id_lines", "P0 5\nP1 2")
    no_sideways_scroll(page, width)
    shot(page, f"{tag}-4-template-new")
    page.click("#template-form button[type=submit]")
    page.wait_for_url(re.compile(r"/templates/[0-9a-f-]{36}/$"))
    template = OrderTemplate.objects.for_company(company).get(customer=customer)
    assert [Decimal(line["quantity"]) for line in template.lines] == [5, 2]
    shot(page, f"{tag}-5-template-saved")

    # 6. the customer page offers it, and it starts an order with its lines
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    page.click("#customer-templates a")
    page.wait_for_load_state()
    skus = [page.input_value(f"input[name=sku] >> nth={i}") for i in range(2)]
    assert skus == ["P0", "P1"]
    shot(page, f"{tag}-6-order-from-template")
    no_sideways_scroll(page, width)
    # another customer's entry does not offer this customer's template
    page.goto(f"{live_server.url}/customers/{existing.pk}/")
    assert "Monthly tools" not in page.inner_text("main")
    context.close()
