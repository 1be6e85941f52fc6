"""Catalog pages: product and price-list forms, tier rows edited in place (htmx and without
script), the product page's scoped parts, and the catalog settings sections. Each refusal is
inline (422, the reason at its field) and changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import Category, PriceList, PriceListItem, Product, TaxRate, Unit

HTMX = {"HTTP_HX_REQUEST": "true"}


def _product_post(company, **values):
    unit = Unit.objects.for_company(company).get(code="pcs")
    tax = TaxRate.objects.for_company(company).get(is_default=True)
    data = {
        "sku": "NEW-1",
        "name": "New product",
        "unit": unit.pk,
        "tax_rate": tax.pk,
        "list_price": "12.50",
        "cost": "7",
        "is_stock_tracked": "on",
        "is_active": "on",
    }
    data.update(values)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def price_list(company, admin):
    return catalog.price_list_create(company=company, actor=admin, name="Dealers", currency="CNY")


def test_product_create_and_its_refusals(client, admin, company, make_product):
    make_product(company, sku="TAKEN")
    client.force_login(admin)
    url = reverse("product_new")
    assert client.get(url).status_code == 200
    response = client.post(url, _product_post(company, sku="taken", list_price="-1"))
    assert response.status_code == 422
    form = response.context["form"]
    assert set(form.errors) == {"sku", "list_price"}
    assert not Product.objects.for_company(company).filter(name="New product").exists()
    response = client.post(url, _product_post(company, is_stock_tracked=None))
    product = Product.objects.for_company(company).get(sku="NEW-1")
    assert response.status_code == 302
    assert response["Location"] == reverse("product_detail", args=[product.pk])
    assert (product.list_price, product.is_stock_tracked) == (Decimal("12.50"), False)


def test_product_edit_with_a_stale_version_is_a_409_showing_the_saved_values(
    client, admin, company, make_product
):
    product = make_product(company, name="Before")
    client.force_login(admin)
    url = reverse("product_edit", args=[product.pk])
    assert client.get(url).context["form"].initial["version"] == 1
    catalog.product_update(product=product, actor=admin, name="Someone else's")
    response = client.post(url, _product_post(company, sku=product.sku, name="Mine", version=1))
    assert response.status_code == 409
    assert response.context["form"].initial["name"] == "Someone else's"
    product.refresh_from_db()
    assert (product.name, product.version) == ("Someone else's", 2)
    response = client.post(url, _product_post(company, sku=product.sku, name="Mine", version=2))
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.name == "Mine"


def test_deactivate_and_the_list_filters(client, admin, company, make_product):
    tools = catalog.category_create(company=company, actor=admin, name="Tools")
    drills = catalog.category_create(company=company, actor=admin, name="Drills", parent=tools)
    drill = make_product(company, sku="DRILL", category=drills)
    make_product(company, sku="OTHER")
    client.force_login(admin)
    response = client.post(
        reverse("product_set_active", args=[drill.pk]), {"active": "0", "version": "1"}
    )
    assert response.status_code == 302
    listed = lambda **q: [p.sku for p in client.get(reverse("product_list"), q).context["page"]]  # noqa: E731
    assert listed(status="inactive") == ["DRILL"]
    assert "DRILL" not in listed()
    assert listed(status="all", category=str(tools.pk)) == ["DRILL"]


def test_catalog_forms_are_refused_to_a_rep(client, rep, company, price_list, make_product):
    product = make_product(company)
    client.force_login(rep)
    assert client.get(reverse("product_new")).status_code == 403
    assert client.get(reverse("product_edit", args=[product.pk])).status_code == 403
    assert client.get(reverse("price_list_new")).status_code == 403
    response = client.post(
        reverse("price_list_item_add", args=[price_list.pk]),
        {"sku": product.sku, "unit_price": "1"},
    )
    assert response.status_code == 403
    page = client.get(reverse("product_detail", args=[product.pk]))
    assert page.status_code == 200
    assert b"edit-product" not in page.content
    assert not PriceListItem.objects.for_company(company).exists()


def test_the_product_page_shows_stock_prices_and_only_visible_orders(
    client, company, admin, rep, manager, make_user, make_order, products, price_list
):
    from ordercrm.accounts.roles import Role

    product = products[0]
    catalog.price_list_item_set(
        price_list=price_list, product=product, min_quantity="50", unit_price="8", actor=admin
    )
    mine = make_order(n_lines=1)
    other_rep = make_user(Role.SALES_REP, company)
    client.force_login(rep)
    page = client.get(reverse("product_detail", args=[product.pk]))
    assert [line.order.pk for line in page.context["recent_lines"]] == [mine.pk]
    assert [(i.min_quantity, i.unit_price) for i in page.context["prices"]] == [
        (Decimal("50"), Decimal("8"))
    ]
    assert page.context["levels"] is not None
    client.force_login(other_rep)
    assert client.get(reverse("product_detail", args=[product.pk])).context["recent_lines"] == []


def test_price_list_create_edit_and_refusals(client, admin, company):
    client.force_login(admin)
    response = client.post(
        reverse("price_list_new"),
        {"name": "Export", "currency": "usd", "is_active": "on", "valid_from": "2026-01-01"},
    )
    export = PriceList.objects.for_company(company).get(name="Export")
    assert response.status_code == 302
    assert export.currency == "USD"
    response = client.post(
        reverse("price_list_new"), {"name": "export", "currency": "XYZ", "is_active": "on"}
    )
    assert response.status_code == 422
    assert set(response.context["form"].errors) == {"name", "currency"}
    url = reverse("price_list_edit", args=[export.pk])
    response = client.post(
        url,
        {
            "name": "Export",
            "currency": "USD",
            "is_active": "on",
            "valid_from": "2026-06-01",
            "valid_to": "2026-05-01",
            "version": "1",
        },
    )
    assert response.status_code == 422
    assert "valid_to" in response.context["form"].errors
    export.refresh_from_db()
    assert (export.valid_from.isoformat(), export.valid_to) == ("2026-01-01", None)


def test_tiers_are_added_edited_and_removed_in_place(
    client, admin, company, make_product, price_list
):
    make_product(company, sku="TIER-1")
    client.force_login(admin)
    add = reverse("price_list_item_add", args=[price_list.pk])
    response = client.post(
        add, {"sku": "tier-1", "min_quantity": "10", "unit_price": "9.5"}, **HTMX
    )
    assert response.status_code == 200
    item = PriceListItem.objects.for_company(company).get(price_list=price_list)
    html = response.content.decode()
    assert 'id="item-new"' in html
    assert f'id="item-{item.pk}"' in html
    response = client.post(add, {"sku": "NOPE", "unit_price": "1"}, **HTMX)
    assert response.status_code == 422
    assert "No product with this code." in response.content.decode()
    response = client.post(add, {"sku": "TIER-1", "unit_price": "abc"}, **HTMX)
    assert response.status_code == 422
    assert 'id="item-new"' in response.content.decode()
    row = reverse("price_list_item", args=[price_list.pk, item.pk])
    assert 'name="unit_price"' in client.get(row, {"edit": "1"}, **HTMX).content.decode()
    response = client.post(row, {"min_quantity": "10", "unit_price": "-2"}, **HTMX)
    assert response.status_code == 422
    assert 'class="error"' in response.content.decode()
    item.refresh_from_db()
    assert item.unit_price == Decimal("9.5")
    response = client.post(row, {"min_quantity": "20", "unit_price": "9"}, **HTMX)
    assert response.status_code == 200
    item.refresh_from_db()
    assert (item.min_quantity, item.unit_price) == (Decimal("20"), Decimal("9"))
    response = client.post(reverse("price_list_item_remove", args=[price_list.pk, item.pk]), **HTMX)
    assert (response.status_code, response.content) == (200, b"")
    assert not PriceListItem.objects.for_company(company).exists()


def test_tiers_work_without_script(client, admin, company, make_product, price_list):
    make_product(company, sku="PLAIN")
    client.force_login(admin)
    add = reverse("price_list_item_add", args=[price_list.pk])
    response = client.post(add, {"sku": "PLAIN", "unit_price": "-1"})
    assert response.status_code == 422
    assert response.context["add_errors"] or response.context["add_form"].errors
    response = client.post(add, {"sku": "PLAIN", "unit_price": "3"})
    assert response.status_code == 302
    item = PriceListItem.objects.for_company(company).get()
    page = client.get(reverse("price_list_detail", args=[price_list.pk]), {"edit": str(item.pk)})
    assert f'id="item-form-{item.pk}"' in page.content.decode()


def test_assigning_customers_to_a_list(client, admin, company, make_customer, price_list):
    customer = make_customer(company, code="DLR-1")
    client.force_login(admin)
    url = reverse("price_list_customers", args=[price_list.pk])
    assert client.post(url, {"codes": "dlr-1, MISSING"}).status_code == 302
    customer.refresh_from_db()
    assert customer.price_list_id is None
    client.post(url, {"codes": "DLR-1"})
    customer.refresh_from_db()
    assert customer.price_list_id == price_list.pk
    page = client.get(reverse("price_list_detail", args=[price_list.pk]))
    assert [c.code for c in page.context["customers"]] == ["DLR-1"]
    client.post(url, {"unassign": str(customer.pk)})
    customer.refresh_from_db()
    assert customer.price_list_id is None


def test_units_categories_and_tax_rates_settings(client, admin, company):
    client.force_login(admin)
    units = reverse("settings_section", args=["units"])
    data = {"code": "roll", "name": "roll", "name_zh_hans": "卷", "name_zh_hant": "捲"}
    assert client.post(units, {**data, "decimals": "0"}).status_code == 302
    roll = Unit.objects.for_company(company).get(code="roll")
    assert roll.label("zh-hant") == "捲"
    response = client.post(units, {**data, "decimals": "0"})
    assert response.status_code == 422
    edit = f"{units}?edit={roll.pk}"
    assert client.get(edit).context["form"].initial["name_zh_hans"] == "卷"
    assert client.post(edit, {**data, "name_zh_hant": "卷", "decimals": "2"}).status_code == 302
    roll.refresh_from_db()
    assert (roll.name_zh_hant, roll.decimals) == ("卷", 2)

    categories = reverse("settings_section", args=["categories"])
    assert client.post(categories, {"name": "Tools"}).status_code == 302
    tools = Category.objects.for_company(company).get(name="Tools")
    assert client.post(categories, {"name": "Drills", "parent": tools.pk}).status_code == 302
    drills = Category.objects.for_company(company).get(name="Drills")
    response = client.post(f"{categories}?edit={tools.pk}", {"name": "Tools", "parent": drills.pk})
    # the parent list offers no category inside itself; its own subcategory is refused by the
    # service
    assert response.status_code == 422
    tools.refresh_from_db()
    assert tools.parent_id is None

    taxes = reverse("settings_section", args=["tax_rates"])
    nine = TaxRate.objects.for_company(company).get(name="VAT 9%")
    response = client.post(f"{taxes}?edit={nine.pk}", {"name": "VAT 9%", "rate": "9"})
    assert response.status_code == 302
    nine.refresh_from_db()
    assert not nine.is_active
    default = TaxRate.objects.for_company(company).get(is_default=True)
    response = client.post(f"{taxes}?edit={default.pk}", {"name": default.name, "rate": "13"})
    assert response.status_code == 422
    default.refresh_from_db()
    assert default.is_active


def test_units_show_in_the_viewers_language_on_the_order_page(
    client, rep, company, make_order, products
):
    order = make_order(n_lines=1)
    client.force_login(rep)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("order_detail", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert '<td class="line-unit">件</td>' in page.content.decode()


def test_price_rules_are_added_switched_and_removed_on_the_list_page(
    client, admin, company, make_product, price_list
):
    from ordercrm.catalog.models import PriceRule

    make_product(company, sku="RULED", list_price=Decimal("40"), cost=Decimal("20"))
    client.force_login(admin)
    url = reverse("price_rule_add", args=[price_list.pk])

    refused = client.post(
        url, {"sku": "NOPE", "base": "cost", "markup_percent": "-150", "rounding": "x"}
    )
    assert refused.status_code == 422
    page = refused.content.decode()
    assert "No product with this code." in page
    assert not PriceRule.objects.for_company(company).exists()

    refused = client.post(url, {"base": "cost", "markup_percent": "-150", "rounding": "-1"})
    assert refused.status_code == 422
    assert "Must be at least -100." in refused.content.decode()
    assert not PriceRule.objects.for_company(company).exists()

    added = client.post(
        url,
        {
            "sku": "RULED",
            "base": "cost",
            "markup_percent": "50",
            "rounding": "1",
            "surcharge": "-0.01",
        },
    )
    assert added.status_code == 302
    rule = PriceRule.objects.for_company(company).get()
    assert (rule.product.sku, rule.markup_percent) == ("RULED", Decimal("50"))
    shown = client.get(reverse("price_list_detail", args=[price_list.pk])).content.decode()
    assert "RULED" in shown
    assert 'id="price-rule-rows"' in shown

    change = reverse("price_rule_change", args=[price_list.pk, rule.pk])
    assert client.post(change, {"active": "0"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    assert client.post(change, {"action": "remove"}).status_code == 302
    assert not PriceRule.objects.for_company(company).exists()


def test_price_rules_are_refused_to_a_rep(client, rep, company, price_list):
    client.force_login(rep)
    response = client.post(
        reverse("price_rule_add", args=[price_list.pk]), {"base": "cost", "markup_percent": "5"}
    )
    assert response.status_code == 403
