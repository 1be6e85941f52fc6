"""Kits (#17) in Chromium: the product page shows a kit's components with their stock, the
kits they make and the kit's price; the components are edited as typed lines, a refusal
listed by row above the box, nothing saved; in English at 1280 px and Simplified Chinese at
375 px. Screenshots in ``test-artifacts/screenshots/kit-*.png``."""

from decimal import Decimal

import pytest

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import KitComponent
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from tests.browser.conftest import WALK
from tests.browser.test_order_flow import login, shot

pytestmark = WALK

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
WORDS = {
    "en": {
        "heading": "Kit components",
        "available": "Available: 20 kits",
        "edit": "Edit kit components",
        "refused": "Row 2: A kit cannot contain itself.",
        "saved": "Kit components saved.",
    },
    "zh-hans": {
        "heading": "套件组件",
        "available": "可用：20 套",
        "edit": "编辑套件组件",
        "refused": "第 2 行：套件不能包含自身。",
        "saved": "套件组件已保存。",
    },
}


@pytest.fixture
def kit(company, admin, make_product):
    for sku in ("PART-A", "PART-B"):
        make_product(company, sku=sku)
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"sku": "PART-A", "quantity": "100"}, {"sku": "PART-B", "quantity": "40"}],
    )
    product = make_product(company, sku="KIT-9", name="Starter kit", list_price=Decimal("99"))
    return catalog.product_kit_set(
        product=product,
        actor=admin,
        components=[{"sku": "PART-A", "quantity": "5"}, {"sku": "PART-B", "quantity": "2"}],
    )


@pytest.mark.parametrize(("language", "size"), [("en", "desktop"), ("zh-hans", "phone")])
def test_the_kit_page_and_its_editor(browser, live_server, company, admin, kit, language, size):
    admin.language = language
    admin.save(update_fields=["language"])
    words = WORDS[language]
    context = browser.new_context(
        viewport=SIZES[size],
        is_mobile=size == "phone",
        locale="zh-CN" if language == "zh-hans" else "en-US",
    )
    page = login(context, live_server, admin.username)
    page.goto(f"{live_server.url}/products/{kit.pk}/")
    assert words["heading"] in page.inner_text("body")
    assert words["available"] in page.inner_text("#kit-summary")
    assert "99" in page.inner_text("#kit-summary")
    table = page.inner_text("#kit-components")
    assert "PART-A" in table
    assert "PART-B" in table
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"] + 1
    shot(page, f"kit-product-{language}-{size}")

    page.click("#edit-kit")
    page.fill("#components", "PART-A 5\nKIT-9 1")
    page.click("#kit-form button[type=submit]")
    page.locator("#kit-errors").wait_for()
    assert words["refused"] in page.inner_text("#kit-errors")
    box = page.locator("#components")
    assert box.get_attribute("aria-invalid") == "true"
    assert page.input_value("#components") == "PART-A 5\nKIT-9 1"
    errors_top = page.locator("#kit-errors").bounding_box()["y"]
    assert errors_top < box.bounding_box()["y"]
    assert [r.component.sku for r in KitComponent.objects.for_company(company)] == [
        "PART-A",
        "PART-B",
    ]
    shot(page, f"kit-refused-{language}-{size}")

    page.fill("#components", "PART-A 4")
    page.click("#kit-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/products/{kit.pk}/")
    assert words["saved"] in page.inner_text("body")
    assert "PART-B" not in page.inner_text("#kit-components")
    context.close()
