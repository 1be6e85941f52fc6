"""Amounts are named alike on every resource (``net_total``/``tax_total``/``gross_total``);
the orders' old names stay for one version, with the same values, marked deprecated."""

import pytest

from ordercrm.accounts.tokens import token_create
from ordercrm.sales import services as sales

NEW_TO_OLD = {"net_total": "total_net", "tax_total": "total_tax", "gross_total": "total_gross"}


@pytest.fixture
def auth(admin):
    return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=admin, name='t')[1]}"}


@pytest.fixture
def confirmed(make_order, admin):
    return sales.order_submit(order=make_order(actor=admin), actor=admin)


def test_every_order_view_has_the_new_names_and_the_aliases_with_equal_values(
    client, auth, confirmed
):
    listed = client.get("/api/v1/orders", **auth).json()["items"]
    detail = client.get(f"/api/v1/orders/{confirmed.pk}", **auth).json()
    assert listed
    assert detail
    for order in [*listed, detail]:
        for new, old in NEW_TO_OLD.items():
            assert order[new] == order[old]
    assert detail["gross_total"] == format(confirmed.gross_total, "f")


def test_invoices_use_the_same_names(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    invoice = schemas["InvoiceOut"]["properties"]
    assert set(NEW_TO_OLD) <= set(invoice)
    assert not set(NEW_TO_OLD.values()) & set(invoice)


def test_the_aliases_are_marked_deprecated_in_the_openapi_document(client):
    schemas = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    properties = schemas["OrderSummaryOut"]["properties"]
    for new, old in NEW_TO_OLD.items():
        assert properties[old].get("deprecated") is True
        assert new in properties[old]["description"]
        assert not properties[new].get("deprecated")
