"""Catalog writes over HTTP, as an ERP keeping the catalog in sync would make them: products
(goods and services), units, categories, tax rates, price lists and their tiers (an idempotent
upsert by natural key), customer assignment. Each refusal has the error shape, a field name
and changes nothing."""

from ordercrm.accounts.roles import Role
from ordercrm.catalog import services as catalog
from ordercrm.catalog.models import PriceListItem, Product, Unit


def test_products_are_created_and_patched_with_the_version(api, admin, company):
    call = api(admin)
    status, body = call(
        "post",
        "/products",
        {
            "sku": "SRV-1",
            "name": "Installation",
            "unit": "H",
            "list_price": "380.00",
            "is_stock_tracked": False,
        },
    )
    assert status == 201
    assert (body["unit"], body["unit_name"], body["is_stock_tracked"], body["version"]) == (
        "h",
        "h",
        False,
        1,
    )
    status, body = call("patch", f"/products/{body['id']}", {"version": 1, "list_price": "400"})
    assert (status, body["list_price"], body["version"]) == (200, "400.0000", 2)
    status, error = call("patch", f"/products/{body['id']}", {"version": 1, "name": "Lost"})
    assert status == 409
    assert error["error"]["code"] == "catalog.stale_version"
    assert error["error"]["details"] == {"current_version": 2}
    assert Product.objects.for_company(company).get(sku="SRV-1").name == "Installation"


def test_product_refusals_name_their_fields(api, admin, company, make_product):
    make_product(company, sku="TAKEN")
    call = api(admin)
    status, body = call(
        "post", "/products", {"sku": "taken", "name": "X", "unit": "parsec", "cost": "-1"}
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"unit"}
    status, body = call(
        "post", "/products", {"sku": "taken", "name": "X", "unit": "pcs", "cost": "-1"}
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"sku", "cost"}
    status, body = call(
        "post", "/products", {"sku": "N", "name": "X", "unit": "pcs", "colour": "red"}
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert Product.objects.for_company(company).count() == 1


def test_units_are_read_in_the_callers_language_and_written(api, admin, company):
    call = api(admin)
    status, units = call("get", "/units", HTTP_ACCEPT_LANGUAGE="zh-hant")
    assert status == 200
    kg = next(u for u in units if u["code"] == "kg")
    assert (kg["name"], kg["name_zh_hans"], kg["name_zh_hant"]) == ("kg", "千克", "公斤")
    status, roll = call("post", "/units", {"code": "roll", "name": "roll", "name_zh_hans": "卷"})
    assert status == 201
    status, roll = call("patch", f"/units/{roll['id']}", {"name_zh_hant": "捲", "decimals": 2})
    assert (status, roll["name_zh_hant"], roll["decimals"]) == (200, "捲", 2)
    status, body = call("post", "/units", {"code": "ROLL", "name": "again"})
    assert status == 422
    assert set(body["error"]["details"]["fields"]) == {"code"}
    assert Unit.objects.for_company(company).filter(code__iexact="roll").count() == 1


def test_categories_and_tax_rates(api, admin, company):
    call = api(admin)
    status, tools = call("post", "/categories", {"name": "Tools"})
    assert status == 201
    status, drills = call("post", "/categories", {"name": "Drills", "parent_id": tools["id"]})
    assert (status, drills["parent_id"]) == (201, tools["id"])
    status, body = call("patch", f"/categories/{tools['id']}", {"parent_id": drills["id"]})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"parent"}
    status, rate = call("post", "/tax-rates", {"name": "VAT 3%", "rate": "3"})
    assert (status, rate["rate"], rate["is_default"]) == (201, "3", False)
    status, rate = call("patch", f"/tax-rates/{rate['id']}", {"is_default": True})
    assert (status, rate["is_default"]) == (200, True)
    status, rates = call("get", "/tax-rates")
    assert [r["name"] for r in rates if r["is_default"]] == ["VAT 3%"]


def test_tier_upsert_is_idempotent_by_natural_key(api, admin, company, make_product):
    make_product(company, sku="BOX-1")
    call = api(admin)
    status, price_list = call(
        "post", "/price-lists", {"name": "Dealers", "currency": "CNY", "valid_from": "2026-01-01"}
    )
    assert (status, price_list["valid_from"], price_list["version"]) == (201, "2026-01-01", 1)
    items = f"/price-lists/{price_list['id']}/items"
    row = {"sku": "box-1", "min_quantity": "100", "unit_price": "3.61"}
    first = call("post", items, row)
    again = call("post", items, row)
    changed = call("post", items, {**row, "unit_price": "3.50"})
    assert [(s, b["outcome"]) for s, b in (first, again, changed)] == [
        (201, "created"),
        (200, "unchanged"),
        (200, "updated"),
    ]
    assert first[1]["id"] == again[1]["id"] == changed[1]["id"]
    status, page = call("get", f"{items}?sku=BOX-1")
    assert [(i["min_quantity"], i["unit_price"]) for i in page["items"]] == [("100", "3.5")]
    item = first[1]["id"]
    status, body = call("patch", f"{items}/{item}", {"unit_price": "-1"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"unit_price"}
    status, body = call("patch", f"{items}/{item}", {"min_quantity": "50"})
    assert (status, body["min_quantity"]) == (200, "50")
    status, _body = call("delete", f"{items}/{item}")
    assert status == 204
    assert not PriceListItem.objects.for_company(company).exists()
    status, body = call("post", items, {"sku": "NOPE", "unit_price": "1"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"sku"}


def test_price_list_patch_and_customer_assignment(api, admin, company, make_customer):
    call = api(admin)
    _status, price_list = call("post", "/price-lists", {"name": "VIP", "currency": "CNY"})
    path = f"/price-lists/{price_list['id']}"
    status, body = call("patch", path, {"valid_to": "2026-12-31"}, If_Match='"1"')
    assert (status, body["valid_to"], body["version"]) == (200, "2026-12-31", 2)
    status, body = call("patch", path, {"name": "Stale"}, If_Match='"1"')
    assert status == 412  # a stale If-Match: precondition failed
    customer = make_customer(company, code="VIP-1")
    status, body = call("post", f"{path}/customers", {"customer_codes": ["vip-1"]})
    assert (status, body) == (200, {"assigned": ["VIP-1"]})
    customer.refresh_from_db()
    assert str(customer.price_list_id) == price_list["id"]


def test_catalog_writes_are_refused_to_a_rep_and_ids_of_other_companies_are_404(
    api, rep, admin, company, make_company, make_product
):
    other = make_company()
    foreign = catalog.price_list_create(company=other, actor=None, name="Theirs", currency="CNY")
    product = make_product(company)
    call = api(rep)
    status, body = call("post", "/products", {"sku": "R", "name": "R", "unit": "pcs"})
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    status, _body = call("patch", f"/products/{product.pk}", {"name": "Mine"})
    assert (status, _body["error"]["code"]) == (403, "core.permission_denied")
    status, _body = call(
        "post", f"/price-lists/{foreign.pk}/items", {"sku": product.sku, "unit_price": "1"}
    )
    assert (status, _body["error"]["code"]) == (404, "core.not_found")
    product.refresh_from_db()
    assert product.name != "Mine"
    assert not PriceListItem.objects.for_company(other).exists()


def test_the_openapi_document_lists_the_catalog_writes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {"post", "get"} <= set(paths["/api/v1/products"])
    assert "patch" in paths["/api/v1/products/{product_id}"]
    assert {"post", "get"} <= set(paths["/api/v1/price-lists/{price_list_id}/items"])
    assert {"patch", "delete"} <= set(paths["/api/v1/price-lists/{price_list_id}/items/{item_id}"])
    for path in ("/api/v1/units", "/api/v1/categories", "/api/v1/tax-rates"):
        assert {"get", "post"} <= set(paths[path])


def test_roles_other_than_admin_read_the_catalog(api, make_user, company):
    call = api(make_user(Role.WAREHOUSE, company))
    for path in ("/products", "/units", "/categories", "/tax-rates", "/price-lists"):
        assert call("get", path)[0] == 200


def test_price_rules_over_the_api_price_an_order_line(api, admin, company, make_product):
    call = api(admin)
    product = make_product(company, sku="API-RULE", list_price="80", cost="50")
    _status, price_list = call(
        "post", "/price-lists", {"name": "Rules", "currency": "CNY", "is_default": True}
    )
    rules = f"/price-lists/{price_list['id']}/rules"

    status, body = call("post", rules, {"sku": "NOPE", "markup_percent": "5"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "sku" in body["error"]["details"]["fields"]
    status, body = call("post", rules, {"markup_percent": "-101", "rounding": "-2"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert set(body["error"]["details"]["fields"]) == {"markup_percent", "rounding"}

    status, rule = call(
        "post",
        rules,
        {"sku": "API-RULE", "base": "cost", "markup_percent": "30", "rounding": "0.5"},
    )
    assert status == 201
    assert (rule["sku"], rule["base"], rule["markup_percent"]) == ("API-RULE", "cost", "30")
    status, listed = call("get", rules)
    assert [r["id"] for r in listed] == [rule["id"]]

    from ordercrm.catalog.pricing import price_for

    quote = price_for(product, quantity=1, on_date=__import__("datetime").date.today())
    assert str(quote.unit_price) == "65.0000"  # 50 × 1.3

    status, patched = call("patch", f"{rules}/{rule['id']}", {"markup_percent": "40"})
    assert (status, patched["markup_percent"]) == (200, "40")
    status, _body = call("delete", f"{rules}/{rule['id']}")
    assert status == 204
    status, listed = call("get", rules)
    assert listed == []
