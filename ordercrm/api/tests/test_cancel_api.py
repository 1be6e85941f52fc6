"""Cancel, hold and payment credit over HTTP: refusals keep the error shape and change nothing,
finance credits and refunds, and the new payment endpoints are finance only."""

import json
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice, Payment
from ordercrm.customers.models import Customer
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrder


@pytest.fixture
def users(make_user, company, team, admin):
    return {
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr", team=team),
        "finance": make_user(Role.FINANCE, company, username="fin"),
        "keeper": make_user(Role.WAREHOUSE, company, username="wh"),
        "admin": admin,
    }


@pytest.fixture
def post(client, company):
    tokens = {}

    def do(user, path, body=None):
        if user.pk not in tokens:
            tokens[user.pk] = token_create(user=user, name="t")[1]
        response = client.post(
            f"/api/v1{path}",
            data=json.dumps(body or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {tokens[user.pk]}",
        )
        return response.status_code, response.json()

    return do


@pytest.fixture
def invoiced_order(company, rep, customer, products, users):
    inventory.stock_receive(
        company=company,
        actor=users["keeper"],
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 100}],
    )
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="on_order",
        lines=[{"product": products[0], "quantity": 10}],
    )
    return sales.order_submit(order=order, actor=rep)  # invoiced 113.00 at confirmation


def test_cancel_of_an_invoiced_order_over_the_api(company, customer, users, post, invoiced_order):
    invoice = Invoice.objects.for_company(company).get(order=invoiced_order)
    billing.payment_record(
        company=company,
        actor=users["finance"],
        customer=customer,
        amount="150.00",
        currency="CNY",
        method="bank_transfer",
        order=invoiced_order,
    )  # 113.00 applied, 37.00 held on the order
    path = f"/orders/{invoiced_order.pk}/cancel"
    status, body = post(users["manager"], path, {"reason": "withdrawn"})
    assert status == 409
    assert body["error"]["code"] == "sales.cancel_has_invoices"
    assert invoice.number in body["error"]["message"]
    assert SalesOrder.objects.for_company(company).get(pk=invoiced_order.pk).status == "confirmed"

    status, body = post(users["manager"], path, {"reason": "withdrawn", "credit": True})
    assert (status, body["error"]["code"]) == (
        403,
        "core.permission_denied",
    )  # crediting invoices is finance's
    status, body = post(users["admin"], path, {"reason": "withdrawn", "credit": True})
    assert status == 200
    assert body["status"] == "cancelled"
    assert Decimal(body["amount_paid"]) == 0
    payment = Payment.objects.for_company(company).get()
    assert payment.order_id is None
    assert payment.unallocated == Decimal("150.00")
    assert Customer.objects.for_company(company).get(pk=customer.pk).advance_balance == Decimal(
        "150.00"
    )

    refund_path = f"/payments/{payment.pk}/refund"
    status, body = post(users["manager"], refund_path, {"amount": "1.00", "reason": "x"})
    assert status == 403
    status, body = post(users["finance"], refund_path, {"amount": "150.01", "reason": "x"})
    assert (status, body["error"]["code"]) == (409, "billing.over_refund")
    status, body = post(users["finance"], refund_path, {"amount": "100.00", "reason": "back"})
    assert status == 201
    assert body["kind"] == "refund"
    assert body["amount"] == "100.00"
    assert body["payment_unallocated"] == "50.00"
    assert body["number"].startswith("RF-")

    # the rest pays another invoice of the customer
    other = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=users["admin"],
            customer=customer,
            invoicing_policy="on_order",
            lines=[{"product": invoiced_order.lines.first().product, "quantity": 1}],
        ),
        actor=users["admin"],
    )
    target = Invoice.objects.for_company(company).get(order=other)  # 11.30
    status, body = post(
        users["finance"],
        f"/payments/{payment.pk}/allocate",
        {"allocations": [{"invoice_id": str(target.pk), "amount": "11.30"}]},
    )
    assert status == 200
    assert body["unallocated"] == "38.70"
    status, body = post(
        users["finance"],
        f"/payments/{payment.pk}/allocate",
        {"allocations": [{"invoice_id": "nope", "amount": "1"}]},
    )
    assert (status, body["error"]["code"]) == (422, "core.validation_failed")
    status, body = post(users["finance"], f"/payments/{payment.pk}/void", {"reason": "typo"})
    assert (status, body["error"]["code"]) == (409, "billing.payment_in_use")


def test_void_over_the_api(company, customer, users, post):
    payment = billing.payment_record(
        company=company,
        actor=users["finance"],
        customer=customer,
        amount="12.34",
        currency="CNY",
        method="cash",
    )
    status, body = post(users["finance"], f"/payments/{payment.pk}/void", {"reason": "twice"})
    assert status == 200
    assert (body["kind"], body["amount"], body["payment_unallocated"]) == ("void", "12.34", "0.00")
    status, again = post(users["finance"], f"/payments/{payment.pk}/void", {"reason": "twice"})
    assert (status, again["id"]) == (200, body["id"])
    status, body = post(users["finance"], "/payments/not-an-id/void", {"reason": "x"})
    assert (status, body["error"]["code"]) == (404, "core.not_found")


def test_a_held_order_is_not_invoiced_or_shipped_over_the_api(
    company, rep, users, post, make_order
):
    order = sales.order_submit(order=make_order(invoicing_policy="manual"), actor=rep)
    sales.order_hold(order=order, actor=users["manager"], reason="dispute")
    status, body = post(users["finance"], f"/orders/{order.pk}/invoices", {"issue": True})
    assert (status, body["error"]["code"]) == (409, "sales.order_on_hold")
    status, body = post(users["keeper"], f"/orders/{order.pk}/shipments", {})
    assert (status, body["error"]["code"]) == (409, "sales.order_on_hold")
    assert not Invoice.objects.for_company(company).exists()
