"""API input that answered 500 (or was stored unreadable): each is a 4xx in the error shape,
names the field, and changes nothing."""

import json

import pytest

from ordercrm.accounts.tokens import token_create
from ordercrm.customers.models import Customer
from ordercrm.sales.models import SalesOrder


@pytest.fixture
def post(client, admin):
    raw = token_create(user=admin, name="t")[1]

    def do(method, path, body):
        response = getattr(client, method)(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {raw}",
        )
        return response.status_code, response.json()

    return do


def _fields(body) -> set[str]:
    return {str(e["loc"][-1]) for e in body["error"]["details"].get("errors", [])} | set(
        body["error"]["details"].get("fields", {})
    )


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"quantity": "99999999999999"}, "quantity"),
        ({"quantity": "1e20"}, "quantity"),
        ({"quantity": "NaN"}, "quantity"),
        ({"quantity": "1", "unit_price": "1e30"}, "unit_price"),
        ({"quantity": "1", "discount_percent": "Infinity"}, "discount_percent"),
        ({"quantity": "1", "description": "a\x00b"}, "description"),
        ({"quantity": "1", "nope": 1}, "nope"),
    ],
)
def test_an_order_line_beyond_its_columns_is_a_422_naming_the_field(
    post, company, customer, products, line, field
):
    status, body = post(
        "post", "/orders", {"customer_id": str(customer.pk), "lines": [{"sku": "P0", **line}]}
    )
    assert status == 422
    assert body["error"]["code"] == "core.validation_failed"
    assert field in _fields(body)
    assert not SalesOrder.objects.for_company(company).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "x" * 201}, "name"),
        ({"name": "Mingda", "email": "a" * 250 + "@x.cn"}, "email"),
        ({"name": "Mingda", "notes": None}, "notes"),
        ({"name": "Mingda", "credit_limit": "1e20"}, "credit_limit"),
        ({"name": "Mingda", "colour": "red"}, "colour"),
    ],
)
def test_a_customer_beyond_its_columns_is_a_422_naming_the_field(post, company, values, field):
    status, body = post("post", "/customers", values)
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert field in _fields(body)
    assert not Customer.objects.for_company(company).filter(name__startswith="Mingda").exists()


def test_null_for_a_patched_text_is_a_422_and_changes_nothing(post, company, customer, make_order):
    order = make_order()
    status, body = post("patch", f"/orders/{order.pk}", {"version": order.version, "notes": None})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed"), body
    assert "notes" in _fields(body)
    assert SalesOrder.objects.for_company(company).get(pk=order.pk).version == order.version
    status, body = post("post", "/orders", {"customer_id": str(customer.pk), "notes": None})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "notes" in _fields(body)


def test_a_po_reference_over_64_is_refused(post, company, customer, products):
    status, body = post(
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "customer_reference": "x" * 65, "lines": []},
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "customer_reference" in _fields(body)


def test_a_failure_inside_the_api_is_a_json_500_not_an_html_page(client, admin, monkeypatch):
    from ordercrm.customers import selectors

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "customer_list", broken)  # stands for any unexpected bug
    raw = token_create(user=admin, name="t")[1]
    response = client.get("/api/v1/customers", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "core.server_error"


def test_nul_in_a_query_parameter_is_a_400_in_the_error_shape(client, admin):
    raw = token_create(user=admin, name="t")[1]
    response = client.get(
        "/api/v1/customers", {"search": "a\x00b"}, HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "core.nul_character"


def test_a_body_over_the_limit_is_a_413_in_the_error_shape(client, admin, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    raw = token_create(user=admin, name="t")[1]
    response = client.post(
        "/api/v1/customers",
        json.dumps({"name": "x" * 2000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "core.request_too_large"
