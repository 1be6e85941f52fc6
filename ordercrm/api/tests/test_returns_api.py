"""Returns over the API: create from an order, approve, receive, credit, replace; the
idempotency, ETag and error conventions; scope; bounded queries."""

from __future__ import annotations

import json

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.fulfilment import services as fulfilment
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.returns.models import ReturnAuthorization
from ordercrm.sales import services as sales


@pytest.fixture
def bearer(company):
    def make(user):
        return {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=user, name='t')[1]}"}

    return make


@pytest.fixture
def call(client):
    def do(method, path, auth, body=None, **headers):
        kwargs = {**auth, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}}
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = "application/json"
        response = getattr(client, method)(f"/api/v1{path}", **kwargs)
        return response.status_code, response.json(), response

    return do


@pytest.fixture
def shipped(company, admin, rep, customer, products):
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=warehouse,
        lines=[{"product": p, "quantity": 100} for p in products],
    )

    def make(n_lines=2):
        order = sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            invoicing_policy="on_shipment",
            lines=[{"product": products[i % 3], "quantity": 5} for i in range(n_lines)],
        )
        order = sales.order_submit(order=order, actor=rep)
        fulfilment.shipment_create(order=order, actor=admin, dispatch=True)
        return order, list(order.lines.order_by("position")), warehouse

    return make


def test_return_road_over_the_api(company, make_user, shipped, bearer, call):
    order, (first, second), warehouse = shipped()
    agent = bearer(make_user(Role.SUPPORT, company))
    approver = bearer(make_user(Role.FINANCE, company))
    keeper = bearer(make_user(Role.WAREHOUSE, company))
    body = {
        "lines": [
            {"order_line_id": str(first.pk), "quantity": "2", "decision": "refund"},
            {"order_line_id": str(second.pk), "quantity": "1", "decision": "replace"},
        ],
        "return_instructions": "Send to dock 4",
    }
    status, rma, response = call(
        "post", f"/orders/{order.pk}/returns", agent, body, **{"Idempotency-Key": "rma-1"}
    )
    assert status == 201, rma
    assert response["ETag"] == f'"{rma["version"]}"'
    again, replay, _ = call(
        "post", f"/orders/{order.pk}/returns", agent, body, **{"Idempotency-Key": "rma-1"}
    )
    assert (again, replay["id"]) == (201, rma["id"])
    assert ReturnAuthorization.objects.for_company(company).count() == 1
    status, returnable, _ = call("get", f"/orders/{order.pk}/returnable", agent)
    assert {x["order_line_id"]: x["returnable"] for x in returnable} == {
        str(first.pk): "3",
        str(second.pk): "4",
    }
    # support may not approve; a stale If-Match is 412 with the current version
    status, error, _ = call("post", f"/returns/{rma['id']}/approve", agent, {})
    assert (status, error["error"]["code"]) == (403, "core.permission_denied")
    status, error, _ = call(
        "post", f"/returns/{rma['id']}/approve", approver, {}, **{"If-Match": '"99"'}
    )
    assert (status, error["error"]["code"]) == (412, "returns.stale_version")
    status, rma, _ = call(
        "post", f"/returns/{rma['id']}/approve", approver, {}, **{"If-Match": f'"{rma["version"]}"'}
    )
    assert rma["status"] == "approved"
    status, rma, _ = call(
        "post",
        f"/returns/{rma['id']}/receive",
        keeper,
        {"warehouse_id": str(warehouse.pk), "condition": "saleable"},
    )
    assert status == 200, rma
    assert rma["status"] == "received"
    assert [x["quantity_received"] for x in rma["lines"]] == ["2", "1"]
    assert rma["actions"] == ["replace"]  # the keeper may ship; the credit is finance's
    status, rma, _ = call("post", f"/returns/{rma['id']}/credit", approver, {})
    assert status == 200, rma
    status, rma, _ = call("post", f"/returns/{rma['id']}/replace", keeper, {})
    assert rma["status"] == "closed"
    assert {x["kind"] for x in rma["settlements"]} == {"credit_note", "shipment"}
    status, receipts, _ = call("get", "/return-receipts", keeper)
    assert [x["number"] for x in receipts["items"]] == [x["number"] for x in rma["receipts"]]
    status, receipt, _ = call("get", f"/return-receipts/{rma['receipts'][0]['id']}", keeper)
    assert (status, receipt["rma_number"]) == (200, rma["number"])
    status, page, _ = call("get", "/returns?status=closed", agent)
    assert [x["number"] for x in page["items"]] == [rma["number"]]


def test_refusals_have_the_error_shape_and_change_nothing(
    company, make_user, rep, shipped, bearer, call
):
    order, (first, _second), _warehouse = shipped()
    agent = bearer(make_user(Role.SUPPORT, company))
    too_many = {"lines": [{"order_line_id": str(first.pk), "quantity": "6", "decision": "replace"}]}
    status, error, _ = call("post", f"/orders/{order.pk}/returns", agent, too_many)
    assert (status, error["error"]["code"]) == (409, "returns.over_returnable")
    assert error["error"]["details"]["lines"] == {
        "0": {"quantity": ["At most 5 can still be returned."]}
    }
    status, error, _ = call(
        "post",
        f"/orders/{order.pk}/returns",
        agent,
        {"lines": [{"order_line_id": str(first.pk), "quantity": "1", "decision": "swap"}]},
    )
    assert status == 422
    status, error, _ = call("get", "/returns?order_id=nope", agent)
    assert (status, error["error"]["code"]) == (422, "core.validation_failed")
    assert not ReturnAuthorization.objects.for_company(company).exists()
    # a rep sees only their own orders' returns: another rep gets 404 by id
    status, rma, _ = call(
        "post",
        f"/orders/{order.pk}/returns",
        agent,
        {"lines": [{"order_line_id": str(first.pk), "quantity": "1", "decision": "replace"}]},
    )
    other = bearer(make_user(Role.SALES_REP, company))
    status, error, _ = call("get", f"/returns/{rma['id']}", other)
    assert (status, error["error"]["code"]) == (404, "core.not_found")
    status, page, _ = call("get", "/returns", other)
    assert page["items"] == []
    status, _mine, _ = call("get", f"/returns/{rma['id']}", bearer(rep))
    assert status == 200


@pytest.mark.parametrize("n_lines", [2, 12])
def test_reading_a_return_costs_the_same_for_any_line_count(
    company, admin, shipped, bearer, call, django_assert_max_num_queries, n_lines
):
    from ordercrm.accounts.access import access_for
    from ordercrm.returns import services

    order, lines, _warehouse = shipped(n_lines)
    rma = services.rma_create(
        access_for(admin, company),
        order,
        [{"order_line_id": str(x.pk), "quantity": "1", "decision": "replace"} for x in lines],
    )
    auth = bearer(admin)
    with django_assert_max_num_queries(20):
        status, body, _ = call("get", f"/returns/{rma.pk}", auth)
    assert status == 200
    assert len(body["lines"]) == n_lines
    with django_assert_max_num_queries(14):
        status, body, _ = call("get", "/returns", auth)
    assert status == 200
