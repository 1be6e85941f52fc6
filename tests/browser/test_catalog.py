"""Issue 16 item 2 in Chromium: an administrator creates a product, a price list and its
quantity tiers (added in place with htmx: a bad price is answered at the row, nothing saved),
then sees the tiers on the product page. English and Simplified Chinese, at 1280 and 375 px.
Screenshots go to ``test-artifacts/screenshots/catalog-*.png``."""

import re
from decimal import Decimal

import pytest

from ordercrm.catalog.models import PriceList, PriceListItem, Product, Unit
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
CASES = [("en", "desktop"), ("en", "phone"), ("zh-hans", "desktop"), ("zh-hans", "phone")]
WORDS = {
    "en": {"new_product": "New product", "unit": "pcs", "negative": "at least 0"},
    "zh-hans": {"new_product": "新建产品", "unit": "件", "negative": "0"},
}


@pytest.mark.parametrize(("language", "size"), CASES)
def test_a_product_with_a_price_list_and_tiers(
    browser, live_server, company, admin, language, size
):
    admin.language = language
    admin.save(update_fields=["language"])
    words = WORDS[language]
    context = browser.new_context(viewport=SIZES[size], is_mobile=size == "phone")
    page = login(context, live_server, admin.username)

    # 1. a new product, first with a price that is not a number: refused at its field
    page.goto(f"{live_server.url}/products/")
    page.click("a[href='/products/new/']")
    assert words["new_product"] in page.inner_text("h1")
    page.fill("#id_sku", "CAB-100")
    page.fill("#id_name", "Cable tray 100 mm")
    page.select_option("#id_unit", str(Unit.objects.for_company(company).get(code="pcs").pk))
    page.fill("#id_list_price", "-5")
    page.click("#product-form button[type=submit]")
    page.locator("#product-form .field.invalid").first.wait_for()
    assert not Product.objects.for_company(company).filter(sku="CAB-100").exists()
    shot(page, f"catalog-product-refused-{language}-{size}")
    page.fill("#id_list_price", "58.00")
    page.click("#product-form button[type=submit]")
    page.wait_for_url(re.compile(r"/products/[0-9a-f-]{36}/$"))
    product = Product.objects.for_company(company).get(sku="CAB-100")
    assert product.list_price == Decimal("58.00")
    assert words["unit"] in page.inner_text("#product-facts")

    # 2. a price list in the company currency
    page.goto(f"{live_server.url}/price-lists/new/")
    page.fill("#id_name", "Dealers")
    page.fill("#id_valid_from", "2026-01-01")
    page.click("#price-list-form button[type=submit]")
    page.wait_for_url(re.compile(r"/price-lists/[0-9a-f-]{36}/$"))
    price_list = PriceList.objects.for_company(company).get(name="Dealers")

    # 3. tiers added in place: a negative price is answered at the row, then two good tiers
    add = "#price-items tr#item-new"
    page.fill(f"{add} input[name=sku]", "cab-100")
    page.fill(f"{add} input[name=min_quantity]", "0")
    page.fill(f"{add} input[name=unit_price]", "-1")
    page.click(f"{add} button[type=submit]")
    page.locator(f"{add} .error").first.wait_for()
    assert words["negative"] in page.inner_text(add)
    assert page.input_value(f"{add} input[name=unit_price]") == "-1"
    assert not PriceListItem.objects.for_company(company).exists()
    shot(page, f"catalog-tier-refused-{language}-{size}")
    page.fill(f"{add} input[name=unit_price]", "52")
    page.click(f"{add} button[type=submit]")
    page.locator("#price-items tr.price-item:not(.editing)").first.wait_for()
    page.fill(f"{add} input[name=sku]", "CAB-100")
    page.fill(f"{add} input[name=min_quantity]", "100")
    page.fill(f"{add} input[name=unit_price]", "48.5")
    page.click(f"{add} button[type=submit]")
    page.wait_for_function(
        "() => document.querySelectorAll('#price-items tr.price-item:not(.editing)').length == 2"
    )
    tiers = list(
        PriceListItem.objects.for_company(company)
        .filter(price_list=price_list)
        .order_by("min_quantity")
        .values_list("min_quantity", "unit_price")
    )
    assert tiers == [(Decimal("0"), Decimal("52")), (Decimal("100"), Decimal("48.5"))]
    shot(page, f"catalog-price-list-{language}-{size}")

    # 4. the product page shows both tiers of the list
    page.goto(f"{live_server.url}/products/{product.pk}/")
    prices = page.inner_text("#product-prices")
    assert "Dealers" in prices
    assert "48.50" in prices
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    shot(page, f"catalog-product-{language}-{size}")
    context.close()
