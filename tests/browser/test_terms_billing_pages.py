"""Issue #17's terms-and-money pages in Chromium (the leftover walks): a price list's price
rules (added, refused at the field, a double click making one rule; the page in Chinese on a
phone), an invoice's payment schedule with a partial payment settling the first instalment,
and a shipment's billed amount and share after part of its invoice was credited. English and
Simplified Chinese, at 1280 and 375 px; screenshots in
``test-artifacts/screenshots/terms-billing-*.png``."""

import re
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.billing import selectors as billing_selectors
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, InvoiceInstalment, InvoiceLine
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import PriceRule
from ordercrm.core.documents import Formatter
from ordercrm.customers.payment_terms import payment_term_create
from ordercrm.fulfilment.models import Shipment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from tests.browser.conftest import WALK, speak
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
CASES = [("en", "desktop"), ("en", "phone"), ("zh-hans", "desktop"), ("zh-hans", "phone")]
PRICE_LIST_URL = re.compile(r"/price-lists/[0-9a-f-]{36}/(#price-rules)?$")


def open_context(browser, language, size):
    return browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        locale="zh-CN" if language == "zh-hans" else "en-US",
    )


def fits(page, size):
    """The page is no wider than its viewport (one pixel of rounding allowed)."""
    return page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1


# ---------------------------------------------------------------- 1. price rules

RULE_WORDS = {
    "en": {
        "heading": "Price rules",
        "add": "Add a price rule",
        "labels": ["Based on", "Markup (%)", "Round to", "Then add", "From quantity"],
        "button": "Add rule",
        "at_least": "Must be at least -100.",
        "required": "This field is required.",
        "cost": "Cost",
        "added": "Price rule added.",
    },
    "zh-hans": {
        "heading": "价格规则",
        "add": "添加价格规则",
        "labels": ["基准", "加价率（%）", "取整到"],
        "button": "添加规则",
        "at_least": "不能小于 -100。",
        "required": "此项为必填项。",
        "cost": "成本",
        "added": "已添加价格规则。",
    },
}
RULE_FORM = "#price-rule-form"
SUBMIT = f"{RULE_FORM} button[type=submit]"


@pytest.fixture
def price_list(company, admin, make_product):
    make_product(
        company, sku="RULED", name="Cable ruled", list_price=Decimal("40"), cost=Decimal("20")
    )
    return catalog.price_list_create(company=company, actor=admin, name="Dealers", currency="CNY")


# Chromium folds two submits in one task into one post, so the rule count alone would not
# notice a missing guard; each submit event is recorded (whether the guard cancelled it)
RECORD_SUBMITS = """() => {
    sessionStorage.setItem("submits", "[]");
    document.addEventListener("submit", (event) => {
        const seen = JSON.parse(sessionStorage.getItem("submits"));
        seen.push(event.defaultPrevented);
        sessionStorage.setItem("submits", JSON.stringify(seen));
    });
}"""


def rules_of(company):
    return list(PriceRule.objects.for_company(company).order_by("created_at"))


def field_error(page, field):
    """The error text shown in the form field that holds ``#id_<field>``."""
    box = page.locator(f"{RULE_FORM} .field.invalid:has(#id_{field})")
    box.wait_for()
    return box.locator(".error").inner_text()


def test_a_price_rule_is_added_refused_at_its_field_and_made_once_on_a_double_click(
    browser, live_server, company, admin, price_list
):
    words = RULE_WORDS["en"]
    context = open_context(browser, "en", "desktop")
    page = login(context, live_server, admin.username)
    url = f"{live_server.url}/price-lists/{price_list.pk}/"
    page.goto(url)
    assert words["heading"] in page.inner_text("#price-rules")
    assert words["add"] in page.inner_text("body")

    # cost + 25 %, rounded to 0.5: listed at once
    page.fill(f"{RULE_FORM} #id_name", "Cost plus 25")
    page.fill(f"{RULE_FORM} #id_sku", "RULED")
    page.select_option(f"{RULE_FORM} #id_base", "cost")
    page.fill(f"{RULE_FORM} #id_markup_percent", "25")
    page.fill(f"{RULE_FORM} #id_rounding", "0.5")
    page.click(SUBMIT)
    page.wait_for_url(PRICE_LIST_URL)
    assert words["added"] in page.inner_text("body")
    [rule] = rules_of(company)
    assert (rule.product.sku, rule.base, rule.markup_percent, rule.rounding) == (
        "RULED",
        "cost",
        Decimal("25"),
        Decimal("0.5"),
    )
    row = page.locator("#price-rule-rows tr.price-rule")
    assert row.count() == 1
    text = row.inner_text()
    assert "Cost plus 25" in text
    assert "RULED" in text
    assert words["cost"] in text
    assert "25" in row.locator("td").nth(2).inner_text()
    assert "0.5" in row.locator("td").nth(3).inner_text()
    shot(page, "terms-billing-rule-added-en-desktop")

    # a markup below −100 %: said at the markup field, the other fields kept, nothing made
    page.fill(f"{RULE_FORM} #id_name", "Too deep")
    page.select_option(f"{RULE_FORM} #id_base", "list_price")
    page.fill(f"{RULE_FORM} #id_markup_percent", "-150")
    page.click(SUBMIT)
    assert words["at_least"] in field_error(page, "markup_percent")
    assert page.input_value(f"{RULE_FORM} #id_markup_percent") == "-150"
    assert page.input_value(f"{RULE_FORM} #id_name") == "Too deep"
    assert len(rules_of(company)) == 1
    shot(page, "terms-billing-rule-refused-en-desktop")

    # the markup left empty: "required" at that field, nothing made
    page.fill(f"{RULE_FORM} #id_markup_percent", "")
    page.click(SUBMIT)
    assert words["required"] in field_error(page, "markup_percent")
    assert len(rules_of(company)) == 1

    # a hurried double click on the submit makes one rule: the page's submit guard lets one
    # submit through (a listener after it records each, across the navigation)
    page.fill(f"{RULE_FORM} #id_name", "Dealers less 10")
    page.fill(f"{RULE_FORM} #id_markup_percent", "-10")
    page.evaluate(RECORD_SUBMITS)
    page.dblclick(SUBMIT)
    page.wait_for_url(PRICE_LIST_URL)
    page.wait_for_load_state()
    submitted = page.evaluate("JSON.parse(sessionStorage.getItem('submits'))")
    assert submitted.count(False) == 1, submitted  # the second was cancelled, or never fired
    assert [r.name for r in rules_of(company)] == ["Cost plus 25", "Dealers less 10"]
    assert page.locator("#price-rule-rows tr.price-rule").count() == 2
    assert "Dealers less 10" in page.inner_text("#price-rule-rows")
    assert fits(page, "desktop")
    shot(page, "terms-billing-rule-double-click-en-desktop")
    context.close()


def test_the_price_rule_page_in_chinese_on_a_phone(
    browser, live_server, company, admin, price_list
):
    admin.language = "zh-hans"
    admin.save(update_fields=["language"])
    catalog.price_rule_create(
        price_list=price_list, actor=admin, name="成本加成", base="cost", markup_percent="25"
    )
    words = RULE_WORDS["zh-hans"]
    context = open_context(browser, "zh-hans", "phone")
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/price-lists/{price_list.pk}/")
    assert words["heading"] in page.inner_text("#price-rules")
    form = page.inner_text(RULE_FORM)
    for label in words["labels"]:
        assert label in form, label
    assert words["button"] in page.inner_text(SUBMIT)
    rules = page.inner_text("#price-rule-rows")
    assert "成本加成" in rules
    assert words["cost"] in rules
    assert fits(page, "phone")
    shot(page, "terms-billing-rules-zh-hans-phone")

    # refused in Chinese at the field: a markup below −100 %, then the markup left empty
    page.fill(f"{RULE_FORM} #id_markup_percent", "-150")
    page.click(SUBMIT)
    assert words["at_least"] in field_error(page, "markup_percent")
    assert fits(page, "phone")
    shot(page, "terms-billing-rule-refused-zh-hans-phone")
    page.fill(f"{RULE_FORM} #id_markup_percent", "")
    page.click(SUBMIT)
    assert words["required"] in field_error(page, "markup_percent")
    assert len(rules_of(company)) == 1
    context.close()


# ---------------------------------------------------------------- 2. instalments

SCHEDULE_WORDS = {
    "en": {"schedule": "Payment schedule", "due": "Amount due", "recorded": "Payment recorded."},
    "zh-hans": {"schedule": "付款计划", "due": "应付金额", "recorded": "回款已登记。"},
}


@pytest.fixture
def instalment_world(company, admin, make_user, make_customer, products, team):
    """An order of 10 × P0 and 4 × P1 (113.00 + 49.72 with tax) on terms of 30 % on the
    order date and 70 % 30 days after the invoice, invoiced on confirmation: instalments
    of 48.82 and 113.90."""
    people = {
        "rep": make_user(Role.SALES_REP, company, username="rep-t", team=team),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh-t"),
        "finance": make_user(Role.FINANCE, company, username="fin-t"),
    }
    inventory.stock_receive(
        company=company,
        actor=people["warehouse"],
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 20} for p in products[:2]],
    )
    terms = payment_term_create(
        company=company,
        actor=admin,
        name="30 % on order / 70 % net 30",
        lines=[{"percent": "30", "base": "order"}, {"percent": "70", "days": 30}],
    )
    customer = make_customer(company, actor=people["rep"], name="Hangzhou Tea House")
    order = sales.order_create(
        company=company,
        actor=people["rep"],
        customer=customer,
        invoicing_policy="on_order",
        payment_terms=terms,
        lines=[{"product": products[0], "quantity": 10}, {"product": products[1], "quantity": 4}],
    )
    order = sales.order_submit(order=order, actor=people["rep"])
    invoice = Invoice.objects.for_company(company).get(order=order)
    return SimpleNamespace(people=people, order=order, invoice=invoice)


def instalments_of(invoice):
    return list(
        InvoiceInstalment.objects.for_company(invoice.company_id)
        .filter(invoice=invoice)
        .order_by("position")
    )


@pytest.mark.parametrize(("language", "size"), CASES)
def test_the_invoice_shows_its_instalments_and_a_payment_settles_the_first(
    browser, live_server, instalment_world, language, size
):
    people, invoice = instalment_world.people, instalment_world.invoice
    speak(people, language)
    words = SCHEDULE_WORDS[language]
    fmt = Formatter(language)
    first, second = instalments_of(invoice)
    assert (first.amount, second.amount) == (Decimal("48.82"), Decimal("113.90"))
    assert first.due_date != second.due_date

    context = open_context(browser, language, size)
    page = login(context, live_server, people["finance"].username)
    page.goto(f"{live_server.url}/invoices/{invoice.pk}/")
    assert words["schedule"] in page.inner_text("body")
    rows = page.locator("#instalments tbody tr")
    assert rows.count() == 2
    for row, instalment in zip([rows.nth(0), rows.nth(1)], (first, second), strict=True):
        cells = row.locator("td")
        assert fmt.date(instalment.due_date) in cells.nth(0).inner_text()
        assert fmt.percent(instalment.percent) in cells.nth(2).inner_text()
        assert cells.nth(3).inner_text().strip() == fmt.amount(instalment.amount, "CNY")
        assert cells.nth(6).inner_text().strip() == fmt.amount(instalment.amount, "CNY")
    # the locale's own date form, not the other language's
    dates = rows.nth(1).locator("td").nth(0).inner_text()
    if language == "zh-hans":
        assert "年" in dates
        assert "月" in dates
    else:
        assert "年" not in dates
        assert str(second.due_date.year) in dates
    assert fits(page, size)
    shot(page, f"terms-billing-instalments-{language}-{size}")

    # a partial payment from the page settles the earliest instalment first
    page.fill("#amount", "20.00")
    page.fill("#reference", "TT-0001")
    page.click("form[action$='/pay'] button[type=submit]")
    page.wait_for_url(re.compile(r"/invoices/[0-9a-f-]{36}/$"))
    assert words["recorded"] in page.inner_text("body")
    rows = page.locator("#instalments tbody tr")
    first_cells, second_cells = rows.nth(0).locator("td"), rows.nth(1).locator("td")
    assert first_cells.nth(4).inner_text().strip() == fmt.amount(Decimal("20.00"), "CNY")
    assert first_cells.nth(6).inner_text().strip() == fmt.amount(Decimal("28.82"), "CNY")
    assert second_cells.nth(6).inner_text().strip() == fmt.amount(Decimal("113.90"), "CNY")
    assert fmt.money(Decimal("142.72"), "CNY") in page.inner_text("dl.facts")
    first, second = instalments_of(invoice)
    assert (first.open_amount, second.open_amount) == (Decimal("28.82"), Decimal("113.90"))
    assert fits(page, size)
    shot(page, f"terms-billing-instalments-paid-{language}-{size}")
    context.close()


# ---------------------------------------------------------------- 3. shipment billing

BILLING_WORDS = {
    "en": {"billing": "Billing", "billed": "Billed", "credited": "credited"},
    "zh-hans": {"billing": "开票与回款", "billed": "已开票", "credited": None},
}


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_the_shipment_shows_what_of_it_is_billed(
    browser, live_server, company, shipped_world, language, size
):
    people, invoice = shipped_world.people, shipped_world.invoice
    # credit 2 of the 5 × P0 (2 × 11.30): the shipment is billed in part
    first_line = (
        InvoiceLine.objects.for_company(company).filter(invoice=invoice).order_by("position")
    ).first()
    billing.credit_note_create(
        invoice=invoice,
        actor=people["finance"],
        lines=[{"invoice_line_id": str(first_line.pk), "quantity": "2"}],
        reason="Damaged",
    )
    shipment = Shipment.objects.for_company(company).get(order=shipped_world.order)
    figures = billing_selectors.shipment_billing(shipment)
    assert (figures.value, figures.credited, figures.billed) == (
        Decimal("93.79"),
        Decimal("22.60"),
        Decimal("71.19"),
    )
    assert Decimal(0) < figures.percent < Decimal(100)
    speak(people, language)
    words = BILLING_WORDS[language]
    fmt = Formatter(language)

    context = open_context(browser, language, size)
    page = login(context, live_server, people["warehouse"].username)
    page.goto(f"{live_server.url}/shipments/{shipment.pk}/")
    assert words["billing"] in page.inner_text("body")
    facts = page.inner_text("#shipment-billing")
    assert words["billed"] in facts
    assert fmt.money(Decimal("93.79"), "CNY") in facts
    billed = page.inner_text("#shipment-billed")
    assert fmt.money(Decimal("71.19"), "CNY") in billed
    assert f"({fmt.percent(figures.percent)})" in billed
    assert fmt.money(Decimal("22.60"), "CNY") in billed
    if words["credited"]:
        assert words["credited"] in billed
    assert invoice.number in facts
    assert fits(page, size)
    shot(page, f"terms-billing-shipment-{language}-{size}")
    context.close()
