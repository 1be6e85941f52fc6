"""Issue #17, fulfilment and lifecycle over HTTP: delivery tolerances, declined backorders,
cancelled shipments and delivery exceptions, services-only orders, reset to draft and
customers blocked until a date."""

from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine


@pytest.fixture
def keeper(make_user, company):
    return make_user(Role.WAREHOUSE, company, username="keeper")


@pytest.fixture
def confirmed(company, rep, customer, products, keeper):
    """A confirmed order of 100 × P0 and 10 × P1, with 200 of each in stock."""
    warehouse = Warehouse.objects.for_company(company).get(code="main")
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=warehouse,
        lines=[
            {"product": products[0], "quantity": 200},
            {"product": products[1], "quantity": 200},
        ],
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": products[0], "quantity": 100}, {"product": products[1], "quantity": 10}],
    )
    return sales.order_submit(order=order, actor=rep)


def lines_of(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def test_over_delivery_within_and_beyond_the_tolerance(call, company, keeper, confirmed):
    company.over_delivery_tolerance = Decimal("10")
    company.save()
    first, _second = lines_of(confirmed)
    status, body = call(
        keeper,
        "post",
        f"/orders/{confirmed.pk}/shipments",
        {"lines": [{"order_line_id": str(first.pk), "quantity": "111"}], "dispatch": True},
    )
    assert status == 422
    assert body["error"]["code"] == "fulfilment.over_shipment"
    assert body["error"]["details"]["allowed"] == {str(first.pk): "110"}
    status, body = call(
        keeper,
        "post",
        f"/orders/{confirmed.pk}/shipments",
        {"lines": [{"order_line_id": str(first.pk), "quantity": "110"}], "dispatch": True},
    )
    assert status == 201, body
    status, order = call(keeper, "get", f"/orders/{confirmed.pk}")
    line = order["lines"][0]
    assert (line["quantity_shipped"], line["quantity_over_delivered"]) == ("110", "10")
    assert line["delivered_percent"] == "100"


def test_under_delivery_within_the_tolerance_closes_the_rest(call, company, keeper, confirmed):
    company.under_delivery_tolerance = Decimal("5")
    company.save()
    first, _second = lines_of(confirmed)
    status, body = call(
        keeper,
        "post",
        f"/orders/{confirmed.pk}/shipments",
        {"lines": [{"order_line_id": str(first.pk), "quantity": "95"}], "dispatch": True},
    )
    assert status == 201, body
    status, order = call(keeper, "get", f"/orders/{confirmed.pk}")
    line = order["lines"][0]
    assert (line["quantity_closed"], line["quantity_reserved"], line["delivered_percent"]) == (
        "5",
        "0",
        "100",
    )


def test_product_tolerances_over_the_api(call, admin, products):
    status, body = call(
        admin,
        "patch",
        f"/products/{products[0].pk}",
        {"over_delivery_tolerance": "3", "under_delivery_tolerance": "1.5"},
    )
    assert status == 200, body
    assert (body["over_delivery_tolerance"], body["under_delivery_tolerance"]) == ("3", "1.5")
    status, body = call(
        admin, "patch", f"/products/{products[0].pk}", {"over_delivery_tolerance": "120"}
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    assert "over_delivery_tolerance" in body["error"]["details"]["fields"]


def test_decline_backorder(call, company, keeper, manager, confirmed):
    first, _second = lines_of(confirmed)
    call(
        keeper,
        "post",
        f"/orders/{confirmed.pk}/shipments",
        {"lines": [{"order_line_id": str(first.pk), "quantity": "60"}], "dispatch": True},
    )
    status, body = call(
        manager, "post", f"/orders/{confirmed.pk}/decline-backorder", {"reason": ""}
    )
    assert status == 422
    assert body["error"]["code"] == "sales.reason_required"
    status, body = call(
        keeper, "post", f"/orders/{confirmed.pk}/decline-backorder", {"reason": "x"}
    )
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    status, body = call(
        manager,
        "post",
        f"/orders/{confirmed.pk}/decline-backorder",
        {"reason": "customer takes what arrived", "line_ids": [str(first.pk)]},
    )
    assert status == 200, body
    assert body["backorder_declined"] is True
    assert (body["lines"][0]["quantity_closed"], body["lines"][1]["quantity_closed"]) == ("40", "0")
    status, body = call(
        manager,
        "post",
        f"/orders/{confirmed.pk}/decline-backorder",
        {"reason": "again", "line_ids": [str(first.pk)]},
    )
    assert status == 409
    assert body["error"]["code"] == "fulfilment.nothing_to_decline"


def test_cancel_a_shipment_and_decide_the_exception(call, company, keeper, confirmed):
    status, shipment = call(keeper, "post", f"/orders/{confirmed.pk}/shipments", {})
    assert status == 201, shipment
    status, body = call(keeper, "post", f"/shipments/{shipment['id']}/cancel", {"reason": "rain"})
    assert (status, body["status"]) == (200, "cancelled")
    first, _second = lines_of(confirmed)
    assert first.qty_reserved == 100  # the reservation stays with the order
    status, exceptions = call(keeper, "get", f"/orders/{confirmed.pk}/fulfilment-exceptions")
    assert status == 200
    assert [(x["kind"], x["note"], x["resolution"]) for x in exceptions] == [
        ("cancelled", "rain", None)
    ]
    path = f"/fulfilment-exceptions/{exceptions[0]['id']}/resolve"
    status, body = call(keeper, "post", path, {"choice": "maybe"})
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = call(keeper, "post", path, {"choice": "recreate"})
    assert status == 200, body
    assert body["resolution"] == "recreate"
    status, new = call(keeper, "get", f"/shipments/{body['new_shipment_id']}")
    assert (new["status"], len(new["lines"])) == ("draft", 2)
    status, body = call(keeper, "post", path, {"choice": "close"})
    assert (status, body["error"]["code"]) == (409, "fulfilment.exception_decided")


def test_a_delivery_exception_on_a_dispatched_shipment(call, company, keeper, confirmed):
    status, shipment = call(keeper, "post", f"/orders/{confirmed.pk}/shipments", {"dispatch": True})
    assert status == 201, shipment
    status, body = call(keeper, "post", f"/shipments/{shipment['id']}/cancel", {})
    assert (status, body["error"]["code"]) == (409, "fulfilment.invalid_shipment_state")
    path = f"/shipments/{shipment['id']}/exception"
    status, body = call(keeper, "post", path, {"kind": "refused", "note": "closed"})
    assert status == 201, body
    assert (body["kind"], body["resolution"]) == ("refused", None)
    status, again = call(keeper, "post", path, {"kind": "lost"})
    assert (status, again["error"]["code"]) == (409, "fulfilment.exception_open")
    status, body = call(
        keeper, "post", f"/fulfilment-exceptions/{body['id']}/resolve", {"choice": "close"}
    )
    assert (status, body["resolution"]) == (200, "close")


def test_a_services_only_order(call, company, rep, keeper, customer, make_product, make_user):
    make_product(company, sku="SVC-1", list_price=Decimal("80.00"), is_stock_tracked=False)
    status, order = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "SVC-1", "quantity": "2"}]},
    )
    assert status == 201, order
    status, order = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert status == 200, order
    assert (order["status"], order["services_only"], order["fulfilment_status"]) == (
        "confirmed",
        True,
        "shipped",
    )
    status, body = call(keeper, "post", f"/orders/{order['id']}/shipments", {})
    assert (status, body["error"]["code"]) == (409, "fulfilment.no_shipment_needed")
    finance = make_user(Role.FINANCE, company, username="fin")
    status, invoice = call(finance, "post", f"/orders/{order['id']}/invoices", {"issue": True})
    assert status == 201, invoice
    status, order = call(rep, "get", f"/orders/{order['id']}")
    assert order["invoice_status"] == "invoiced"


def test_a_mixed_order_paid_in_full_still_waits_for_its_goods(
    call, company, rep, keeper, customer, products, make_product, make_user
):
    make_product(company, sku="SVC-1", list_price=Decimal("80.00"), is_stock_tracked=False)
    inventory.stock_receive(
        company=company,
        actor=keeper,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 5}],
    )
    status, order = call(
        rep,
        "post",
        "/orders",
        {
            "customer_id": str(customer.pk),
            "invoicing_policy": "on_order",
            "lines": [{"sku": "P0", "quantity": "2"}, {"sku": "SVC-1", "quantity": "1"}],
        },
    )
    assert status == 201, order
    status, order = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert status == 200, order
    seen = [order["status"]]
    assert (order["services_only"], order["fulfilment_status"], order["invoice_status"]) == (
        False,
        "not_shipped",
        "invoiced",
    )
    finance = make_user(Role.FINANCE, company, username="fin")
    status, invoices = call(finance, "get", f"/invoices?order_id={order['id']}")
    invoice = invoices["items"][0]
    status, payment = call(
        finance,
        "post",
        "/payments",
        {
            "customer_id": str(customer.pk),
            "amount": invoice["gross_total"],
            "currency": "CNY",
            "method": "bank_transfer",
            "allocations": [{"invoice_id": invoice["id"], "amount": invoice["gross_total"]}],
        },
    )
    assert status == 201, payment
    status, order = call(rep, "get", f"/orders/{order['id']}")
    seen.append(order["status"])
    # invoiced and paid, but its goods have not left: not completed yet
    assert (order["status"], order["payment_status"], order["fulfilment_status"]) == (
        "confirmed",
        "paid",
        "not_shipped",
    )
    status, shipment = call(keeper, "post", f"/orders/{order['id']}/shipments", {"dispatch": True})
    assert status == 201, shipment
    status, order = call(rep, "get", f"/orders/{order['id']}")
    seen.append(order["status"])
    assert seen == ["confirmed", "confirmed", "completed"]
    assert order["fulfilment_status"] == "shipped"


def test_reset_a_cancelled_order_to_draft(call, company, rep, manager, customer, products):
    status, order = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "2"}]},
    )
    status, order = call(manager, "post", f"/orders/{order['id']}/cancel", {"reason": "no"})
    assert order["status"] == "cancelled"
    status, body = call(rep, "post", f"/orders/{order['id']}/reset-to-draft", {})
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    status, body = call(manager, "post", f"/orders/{order['id']}/reset-to-draft", {"reason": "on"})
    assert status == 200, body
    assert (body["status"], body["revision"]) == ("draft", order["revision"] + 1)
    status, body = call(manager, "post", f"/orders/{order['id']}/reset-to-draft", {})
    assert (status, body["version"]) == (200, body["version"])


def test_block_a_customer_until_a_date(call, company, rep, customer, products, make_user):
    import datetime

    from ordercrm.core.dates import company_today

    finance = make_user(Role.FINANCE, company, username="fin")
    until = (company_today(company) + datetime.timedelta(days=3)).isoformat()
    status, body = call(
        rep, "post", f"/customers/{customer.pk}/block", {"until": until, "reason": "x"}
    )
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    status, body = call(
        finance, "post", f"/customers/{customer.pk}/block", {"until": until, "reason": "dispute"}
    )
    assert status == 200, body
    assert (body["blocked_until"], body["blocked_reason"]) == (until, "dispute")
    status, order = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "2"}]},
    )
    assert status == 201, order  # a quotation is still made
    status, body = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert status == 409
    assert body["error"]["code"] == "customers.blocked"
    assert body["error"]["details"]["blocked_until"] == until
    status, body = call(finance, "post", f"/customers/{customer.pk}/unblock", {})
    assert (status, body["blocked_until"]) == (200, None)
    status, body = call(rep, "post", f"/orders/{order['id']}/submit", {})
    assert (status, body["status"]) == (200, "confirmed")


def test_an_inactive_customer_takes_no_quotation_and_says_why(
    call, company, rep, manager, customer, products
):
    from ordercrm.customers import services as customers
    from ordercrm.sales.models import SalesOrder

    customers.customer_deactivate(customer=customer, actor=manager, reason="closed down")
    before = SalesOrder.objects.for_company(company).count()
    status, body = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "2"}]},
    )
    assert status == 422, body
    assert body["error"]["code"] == "customers.inactive"
    assert body["error"]["details"]["reason"] == "closed down"
    assert "closed down" in body["error"]["message"]
    assert SalesOrder.objects.for_company(company).count() == before
