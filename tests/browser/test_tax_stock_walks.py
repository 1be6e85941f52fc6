"""Issue #17's tax-mapping and receipt-reversal walks in Chromium. An administrator sets up
an "Export" mapping (13 % → 0 %) on the settings page (an empty name and a rate mapped onto
itself refused at the form, a double click saving once), gives it to a customer on the
customer's page, and the order entered for that customer shows 0 % on its lines with the
net as the total. The warehouse reverses a stock receipt from the ledger; another, whose
stock a confirmed order has reserved, is refused with the reason beside the button. English
at 1280 px and Simplified Chinese at 375 px; screenshots in
``test-artifacts/screenshots/tax-*.png`` and ``receipt-*.png``."""

import re
from decimal import Decimal

import pytest

from ordercrm.catalog.models import TaxMapping
from ordercrm.core.documents import Formatter
from ordercrm.inventory.models import MoveKind, StockLevel, StockMove, Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder
from tests.browser.conftest import WALK, speak
from tests.browser.test_fulfilment_walks import (
    CASES,
    cells,
    fits,
    open_context,
)
from tests.browser.test_order_flow import ORDER_URL, login, shot
from tests.factories import receive_stock

pytestmark = WALK

WORDS = {
    "en": {
        "required": "This field is required.",
        "onto_itself": "Rule 1 maps a rate onto itself.",
        "saved": "Saved.",
        "customer_saved": "Ningbo Harbour Supplies",
        "reversed": "Reversed",
        "reversed_msg": "reversed.",
        "tick": "Tick the box to confirm the reversal.",
        "below_reserved": "reserved",
    },
    "zh-hans": {
        "required": "此项为必填项。",
        "onto_itself": "规则 1 将税率映射为其自身。",
        "saved": "已保存。",
        "customer_saved": "Ningbo Harbour Supplies",
        "reversed": "已冲销",
        "reversed_msg": "已冲销。",
        "tick": "请勾选以确认冲销。",
        "below_reserved": "已预留",
    },
}
FORM = "form.settings-form"


def field_error(page, field):
    box = page.locator(f"{FORM} .field.invalid:has(#id_{field})")
    box.wait_for()
    return box.locator(".error").inner_text()


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_tax_mapping_set_up_and_given_to_a_customer_maps_its_order_lines(
    browser, live_server, company, admin, people, customer_f, language, size
):
    people = {**people, "admin": admin}
    speak(people, language)
    words, fmt = WORDS[language], Formatter(language)
    context = open_context(browser, language, size)
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/settings/tax_mappings/")

    # no name, and 9 % mapped onto itself: the name is asked for at its field
    page.select_option(f"{FORM} #id_from_1", label="VAT 9%")
    page.select_option(f"{FORM} #id_to_1", label="VAT 9%")
    page.click(f"{FORM} button[type=submit]")
    assert words["required"] in field_error(page, "name")
    # named, the rule itself is refused under the form, what was chosen kept
    page.fill(f"{FORM} #id_name", "Export")
    page.click(f"{FORM} button[type=submit]")
    page.locator(f"{FORM} p.error").first.wait_for()
    assert words["onto_itself"] in page.inner_text(FORM)
    assert "rules:" not in page.inner_text("main")  # no untranslated field name
    assert page.input_value(f"{FORM} #id_name") == "Export"
    assert not TaxMapping.objects.for_company(company).exists()
    assert fits(page, size)
    shot(page, f"tax-mapping-refused-{language}-{size}")

    # 13 % → 0 %, saved with a hurried double click: one mapping
    page.select_option(f"{FORM} #id_from_1", label="VAT 13%")
    page.select_option(f"{FORM} #id_to_1", label="VAT 0%")
    with page.expect_navigation():
        page.dblclick(f"{FORM} button[type=submit]")
    page.wait_for_load_state()
    assert words["saved"] in page.inner_text("main")
    assert page.locator("[role=alert]").count() == 0
    row = page.inner_text("#section-rows")
    assert "Export" in row
    assert "VAT 13% → VAT 0%" in row
    [mapping] = TaxMapping.objects.for_company(company)

    # the customer gets it on its page
    page.goto(f"{live_server.url}/customers/{customer_f.pk}/edit/")
    page.select_option("#id_tax_mapping", str(mapping.pk))
    page.click("#customer-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/customers/{customer_f.pk}/$"))
    customer_f.refresh_from_db()
    assert customer_f.tax_mapping_id == mapping.pk

    # an order for that customer: 2 × P0 (10.00) and 1 × P1 (11.00), no tax
    page.goto(f"{live_server.url}/orders/new/")
    page.select_option("#customer", str(customer_f.pk))
    page.fill("#sku-1", "P0")
    page.fill("#qty-1", "2")
    page.fill("#sku-2", "P1")
    page.fill("#qty-2", "1")
    page.click("button[value=save]")
    page.wait_for_url(ORDER_URL)
    assert cells(page, "#lines", "line-tax") == ["0%", "0%"]
    assert page.inner_text("#order-net").strip() == fmt.money(Decimal("31.00"), "CNY")
    assert page.inner_text("#order-tax").strip() == fmt.money(Decimal("0.00"), "CNY")
    assert page.inner_text("#order-total").strip() == fmt.money(Decimal("31.00"), "CNY")
    assert fits(page, size)
    shot(page, f"tax-mapped-order-{language}-{size}")
    context.close()
    order = SalesOrder.objects.for_company(company).get()
    assert (order.net_total, order.tax_total, order.gross_total) == (
        Decimal("31.00"),
        Decimal("0.00"),
        Decimal("31.00"),
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_receipt_is_reversed_and_one_that_reserved_stock_relies_on_is_refused(
    browser, live_server, company, people, customer_f, make_product, language, size
):
    speak(people, language)
    words = WORDS[language]
    warehouse = people["warehouse"]
    main = Warehouse.objects.for_company(company).get(code="main")
    spare = make_product(company, sku="SPARE", name="Spare fuse")
    relied = make_product(company, sku="RELIED", name="Relay")
    receive_stock(company, warehouse, (spare, 4))
    receive_stock(company, warehouse, (relied, 6))
    # a confirmed order holds 5 of the 6 RELIED
    sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=people["manager"],
            customer=customer_f,
            lines=[{"product": relied, "quantity": 5}],
        ),
        actor=people["manager"],
    )

    def receipt_of(product):
        return (
            StockMove.objects.for_company(company)
            .filter(kind=MoveKind.RECEIPT, product=product)
            .values_list("reference_id", flat=True)
            .get()
        )

    context = open_context(browser, language, size)
    page = login(context, live_server, warehouse.username)
    # from the ledger to the spare fuses' receipt: reversed after ticking the box
    page.goto(f"{live_server.url}/stock/moves/")
    page.click(f"a[href='/stock/receipts/{receipt_of(spare)}/']")
    page.wait_for_url(re.compile(r"/stock/receipts/[0-9a-f-]{36}/$"))
    page.click("#reverse-receipt summary")
    page.fill("#reverse-reason", "Delivered to the wrong warehouse")
    page.click("#reverse-button")  # without the tick the browser asks for it, nothing sent
    assert page.evaluate("document.querySelector('#reverse-confirm').validity.valueMissing")
    page.check("#reverse-confirm")
    page.click("#reverse-button")
    page.wait_for_selector("#receipt-reversed")
    assert words["reversed"] in page.inner_text("h1")
    assert words["reversed_msg"] in page.inner_text("main")
    assert "Delivered to the wrong warehouse" in page.inner_text("#receipt-reversal")
    assert page.locator("#reverse-button").count() == 0  # not offered again
    shot(page, f"receipt-reversed-{language}-{size}")
    level = StockLevel.objects.for_company(company).get(product=spare, warehouse=main)
    assert level.on_hand == 0

    # the relays' receipt: 5 of its 6 are reserved; refused beside the button, kept
    moves = StockMove.objects.for_company(company).count()
    page.goto(f"{live_server.url}/stock/receipts/{receipt_of(relied)}/?reverse=1")
    page.fill("#reverse-reason", "Counted twice")
    page.check("#reverse-confirm")
    page.click("#reverse-button")
    errors = page.locator("#reverse-errors")
    errors.wait_for()
    said = errors.inner_text()
    assert words["below_reserved"] in said
    assert "RELIED" in said
    assert page.input_value("#reverse-reason") == "Counted twice"
    assert page.locator("#receipt-reversed").count() == 0
    # Back and the button again: the same refusal, no error page, nothing booked
    page.go_back()
    page.wait_for_load_state()
    if page.locator("#reverse-button").is_visible():
        page.fill("#reverse-reason", "Counted twice")
        page.check("#reverse-confirm")
        page.click("#reverse-button")
        page.locator("#reverse-errors").wait_for()
    assert fits(page, size)
    shot(page, f"receipt-refused-{language}-{size}")
    context.close()
    assert StockMove.objects.for_company(company).count() == moves
    level = StockLevel.objects.for_company(company).get(product=relied, warehouse=main)
    assert (level.on_hand, level.reserved) == (6, 5)
