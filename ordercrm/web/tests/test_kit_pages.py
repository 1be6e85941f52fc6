"""Kit pages: the product page shows a kit's components with their stock, the kits they
make and the kit's price; the components are edited as typed lines, a refusal listed by row
above the box (English and Chinese) with nothing saved; order and shipment pages show the
components under a kit line."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import KitComponent
from ordercrm.fulfilment import services as fulfilment
from ordercrm.sales import services as sales


@pytest.fixture
def kit(company, admin, make_product, stocked):
    """K = 5 × P0 + 2 × P1; 100 of each in stock: 20 kits."""
    product = make_product(company, sku="KIT-1", list_price=Decimal("99.00"))
    return catalog.product_kit_set(
        product=product,
        actor=admin,
        components=[{"sku": "P0", "quantity": "5"}, {"sku": "P1", "quantity": "2"}],
    )


def test_the_product_page_shows_the_kit_its_components_and_their_stock(client, admin, kit):
    client.force_login(admin)
    page = client.get(reverse("product_detail", args=[kit.pk])).content.decode()
    assert 'id="kit-components"' in page
    assert "Available: 20 kits" in page
    assert "99.00" in page
    assert "P0" in page
    assert "P1" in page
    assert 'id="product-stock"' not in page  # a kit holds no stock itself
    assert reverse("product_kit_edit", args=[kit.pk]) in page


def test_components_are_edited_as_lines(client, admin, kit):
    client.force_login(admin)
    url = reverse("product_kit_edit", args=[kit.pk])
    form = client.get(url).content.decode()
    assert "P0 5" in form
    response = client.post(url, {"components": "P0 1\nP2 3", "version": kit.version})
    assert response.status_code == 302
    rows = KitComponent.objects.for_company(kit.company_id).filter(kit=kit)
    assert [(r.component.sku, r.quantity) for r in rows] == [("P0", 1), ("P2", 3)]


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "Row 3: A kit cannot contain itself."), ("zh-hans", "第 3 行")],
)
def test_a_refusal_is_listed_by_row_above_the_box_and_nothing_is_saved(
    client, admin, kit, language, expected
):
    client.force_login(admin)
    client.cookies["django_language"] = language
    url = reverse("product_kit_edit", args=[kit.pk])
    response = client.post(url, {"components": "P0 1\n\nKIT-1 1", "version": kit.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="kit-errors"' in page
    assert expected in page
    assert page.index('id="kit-errors"') < page.index('id="components"')
    assert "KIT-1 1" in page  # what was typed stays
    rows = KitComponent.objects.for_company(kit.company_id).filter(kit=kit)
    assert [r.component.sku for r in rows] == ["P0", "P1"]


def test_order_and_shipment_pages_show_the_components_under_the_kit_line(
    client, admin, company, rep, customer, kit
):
    order = sales.order_create(
        company=company, actor=rep, customer=customer, lines=[{"product": kit, "quantity": 3}]
    )
    client.force_login(admin)
    draft = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "kit-component" in draft
    assert "5 per kit" in draft
    order = sales.order_submit(order=order, actor=rep)
    shipment = fulfilment.shipment_create(order=order, actor=admin)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert page.count('class="kit-component"') == 2
    shipped = client.get(reverse("shipment_detail", args=[shipment.pk])).content.decode()
    assert shipped.count('class="kit-component"') == 2
    assert "15" in shipped  # 3 kits × 5 of P0
    note = client.get(reverse("delivery_note", args=[shipment.pk]))
    assert note.status_code == 200
    assert note.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "P0 has 100 on hand"), ("zh-hans", "P0 现有 100：套件本身没有库存")],
)
def test_a_product_with_stock_is_not_made_a_kit_and_the_page_says_why(
    client, admin, stocked, language, expected
):
    p0 = stocked[0]
    client.force_login(admin)
    client.cookies["django_language"] = language
    url = reverse("product_kit_edit", args=[p0.pk])
    response = client.post(url, {"components": "P1 2", "version": p0.version})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="kit-errors"' in page
    assert expected in page
    assert "P1 2" in page
    assert not KitComponent.objects.for_company(p0.company_id).filter(kit=p0).exists()
