"""Kits over the API: read and replace a product's components with their stock; an order's
kit line shows its components and its free stock in whole kits."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.catalog.models import KitComponent
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse


@pytest.fixture
def parts(company, make_product):
    return make_product(company, sku="A"), make_product(company, sku="B")


@pytest.fixture
def kit(company, make_product, parts):
    return make_product(company, sku="K", list_price=Decimal("99.00"))


@pytest.fixture
def stocked(company, admin, parts):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"sku": "A", "quantity": "23"}, {"sku": "B", "quantity": "5"}],
    )


def test_a_kit_is_replaced_and_read_with_its_stock(call, admin, kit, parts, stocked):
    status, body = call(
        admin,
        "put",
        f"/products/{kit.pk}/kit",
        {
            "version": 1,
            "components": [{"sku": "A", "quantity": "5"}, {"sku": "B", "quantity": "2"}],
        },
    )
    assert status == 200, body
    assert (body["is_kit"], body["version"], body["list_price"], body["available"]) == (
        True,
        2,
        "99.0000",
        "2",
    )
    assert [(c["sku"], c["quantity"], c["available"], c["kits"]) for c in body["components"]] == [
        ("A", "5", "23", "4"),
        ("B", "2", "5", "2"),
    ]
    status, read = call(admin, "get", f"/products/{kit.pk}/kit")
    assert (status, read) == (200, body)
    status, product = call(admin, "get", f"/products/{kit.pk}")
    assert product["is_kit"] is True


def test_a_refused_kit_names_the_row_and_changes_nothing(call, admin, kit, parts):
    status, body = call(
        admin,
        "put",
        f"/products/{kit.pk}/kit",
        {"components": [{"sku": "A", "quantity": "1"}, {"sku": "K", "quantity": "1"}]},
    )
    assert status == 422
    assert body["error"]["code"] == "core.validation_failed"
    assert body["error"]["details"]["lines"]["1"]["product"] == ["A kit cannot contain itself."]
    assert not KitComponent.objects.for_company(kit.company_id).exists()


def test_a_product_with_stock_on_hand_is_refused_as_a_kit(call, admin, parts, stocked):
    a, _b = parts  # 23 of A on hand
    status, body = call(
        admin, "put", f"/products/{a.pk}/kit", {"components": [{"sku": "B", "quantity": "1"}]}
    )
    assert status == 422
    assert body["error"]["code"] == "catalog.kit_has_stock"
    assert body["error"]["details"]["on_hand"] == "23"
    assert "A has 23 on hand" in body["error"]["message"]
    assert not KitComponent.objects.for_company(a.company_id).exists()


def test_a_stale_kit_write_is_a_conflict(call, admin, kit, parts):
    status, body = call(
        admin,
        "put",
        f"/products/{kit.pk}/kit",
        {"components": [{"sku": "A", "quantity": "1"}]},
        **{"If-Match": '"9"'},
    )
    assert status == 412
    assert body["error"]["code"] == "catalog.stale_version"
    assert not KitComponent.objects.for_company(kit.company_id).exists()


def test_a_rep_reads_a_kit_but_does_not_change_it(call, make_user, company, kit):
    rep = make_user(Role.SALES_REP, company, username="kit-api-rep")
    assert call(rep, "get", f"/products/{kit.pk}/kit")[0] == 200
    status, _body = call(rep, "put", f"/products/{kit.pk}/kit", {"components": []})
    assert (status, _body["error"]["code"]) == (403, "core.permission_denied")


def test_an_order_line_of_a_kit_shows_its_components_and_free_kits(
    call, admin, company, customer, kit, parts, stocked
):
    from ordercrm.catalog import services as catalog

    catalog.product_kit_set(
        product=kit,
        actor=admin,
        components=[{"sku": "A", "quantity": "5"}, {"sku": "B", "quantity": "2"}],
    )
    status, order = call(
        admin,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "K", "quantity": "3"}]},
    )
    assert status == 201, order
    status, lines = call(admin, "get", f"/orders/{order['id']}/lines")
    assert status == 200, lines
    [line] = lines if isinstance(lines, list) else lines["items"]
    assert (line["is_kit"], line["free_stock"], line["stock_short"]) == (True, "2", "1")
    assert [(c["sku"], c["quantity_per_kit"], c["quantity"]) for c in line["components"]] == [
        ("A", "5", "15"),
        ("B", "2", "6"),
    ]
