"""Issue #17, terms and money, over HTTP: billing tolerance, draft invoice editing, payment
terms with instalments. Refusals keep the error shape and change nothing."""

from decimal import Decimal

import pytest

from ordercrm.accounts import services as accounts
from ordercrm.accounts.roles import Role
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales
from ordercrm.sales.models import SalesOrderLine


@pytest.fixture
def finance(make_user, company):
    return make_user(Role.FINANCE, company, username="fin")


@pytest.fixture
def order(company, rep, customer, products, admin):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 100} for p in products],
    )
    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        invoicing_policy="manual",
        lines=[{"product": products[0], "quantity": 10}, {"product": products[1], "quantity": 4}],
    )
    return sales.order_submit(order=draft, actor=rep)


def order_lines(order):
    return list(
        SalesOrderLine.objects.for_company(order.company_id)
        .filter(order=order)
        .order_by("position")
    )


def test_over_invoicing_refused_then_within_tolerance_shown(call, company, admin, finance, order):
    first = order_lines(order)[0]
    body = {"lines": [{"order_line_id": str(first.pk), "quantity": "10.5"}], "issue": False}
    status, refused = call(finance, "post", f"/orders/{order.pk}/invoices", body)
    assert status == 409
    assert refused["error"]["code"] == "billing.over_invoicing"
    assert refused["error"]["details"]["lines"][0]["allowed"] == "10"
    assert order_lines(order)[0].qty_invoiced == 0

    accounts.company_update(company=company, actor=admin, billing_tolerance=Decimal("5"))
    status, invoice = call(finance, "post", f"/orders/{order.pk}/invoices", body)
    assert status == 201, invoice
    assert invoice["lines"][0]["qty_over_invoiced"] == "0.5"
    assert invoice["gross_total"] == "118.65"


def test_draft_invoice_lines_lowered_and_removed(call, finance, order):
    status, draft = call(finance, "post", f"/orders/{order.pk}/invoices", {"issue": False})
    assert status == 201, draft
    first, second = draft["lines"]
    body = {
        "version": draft["version"],
        "lines": [
            {"invoice_line_id": first["id"], "quantity": "6"},
            {"invoice_line_id": second["id"], "quantity": "0"},
        ],
    }
    status, edited = call(finance, "patch", f"/invoices/{draft['id']}", body)
    assert status == 200, edited
    assert [(x["quantity"], x["gross"]) for x in edited["lines"]] == [("6", "67.80")]
    assert edited["gross_total"] == "67.80"
    assert [x.qty_invoiced for x in order_lines(order)] == [6, 0]
    # a stale version and removing the last line are refused; nothing changes
    status, refused = call(finance, "patch", f"/invoices/{draft['id']}", body)
    assert (status, refused["error"]["code"]) == (409, "billing.stale_version")
    status, refused = call(
        finance,
        "patch",
        f"/invoices/{draft['id']}",
        {"lines": [{"invoice_line_id": first["id"], "quantity": "0"}]},
    )
    assert (status, refused["error"]["code"]) == (422, "billing.invoice_empty")
    assert [x.qty_invoiced for x in order_lines(order)] == [6, 0]
    # the next invoice offers what was taken off
    status, nxt = call(finance, "post", f"/orders/{order.pk}/invoices", {"issue": True})
    assert status == 201, nxt
    assert [x["quantity"] for x in nxt["lines"]] == ["4", "4"]


def test_payment_terms_with_a_schedule_reach_the_invoice(
    call, company, admin, finance, rep, customer, order
):
    schedule = {
        "name": "30/70",
        "lines": [{"percent": "30", "base": "order"}, {"percent": "70", "days": 30}],
    }
    status, refused = call(rep, "post", "/payment-terms", schedule)
    assert (status, refused["error"]["code"]) == (403, "core.permission_denied")
    bad = {**schedule, "lines": [{"percent": "30"}, {"percent": "60", "days": 30}]}
    status, refused = call(admin, "post", "/payment-terms", bad)
    assert (status, refused["error"]["code"]) == (422, "customers.term_percent_total")
    assert refused["error"]["details"]["total"] == "90"
    status, term = call(admin, "post", "/payment-terms", schedule)
    assert status == 201, term
    assert [x["percent"] for x in term["lines"]] == ["30", "70"]
    assert term["description"] == "30 % on the order date / 70 % 30 days after the invoice date"
    status, listed = call(rep, "get", "/payment-terms")
    assert status == 200
    assert term["id"] in [t["id"] for t in listed]

    # the customer's terms (finance), and an order naming them
    status, updated = call(
        finance, "patch", f"/customers/{customer.pk}", {"payment_terms_id": term["id"]}
    )
    assert status == 200, updated
    assert updated["payment_terms_id"] == term["id"]
    status, draft = call(
        rep,
        "post",
        "/orders",
        {
            "customer_id": str(customer.pk),
            "invoicing_policy": "on_order",
            "lines": [{"sku": "P0", "quantity": "3"}],
        },
    )
    assert status == 201, draft
    assert draft["payment_terms_id"] == term["id"]
    # a confirmed order's terms are not edited (an amendment would be needed)
    status, refused = call(
        rep,
        "patch",
        f"/orders/{order.pk}",
        {"version": order.version, "payment_terms_id": term["id"]},
    )
    assert (status, refused["error"]["code"]) == (409, "sales.not_editable")
    status, confirmed = call(rep, "post", f"/orders/{draft['id']}/submit", {})
    assert status == 200, confirmed
    status, [listed] = call(finance, "get", f"/orders/{draft['id']}/invoices")
    assert status == 200
    status, invoice = call(finance, "get", f"/invoices/{listed['id']}")
    first, second = invoice["instalments"]
    assert (first["percent"], first["amount"]) == ("30", "10.17")
    assert (second["percent"], second["amount"]) == ("70", "23.73")
    assert first["due_date"] == invoice["issue_date"]
    assert second["due_date"] == invoice["due_date"]
    assert invoice["gross_total"] == "33.90"


def test_payment_terms_patch_is_versioned(call, admin):
    status, term = call(
        admin, "post", "/payment-terms", {"name": "EOM", "lines": [{"percent": "100", "days": 30}]}
    )
    assert status == 201
    body = {"version": term["version"], "lines": [{"percent": "100", "month_end": True}]}
    status, changed = call(admin, "patch", f"/payment-terms/{term['id']}", body)
    assert status == 200, changed
    assert changed["lines"][0]["month_end"] is True
    status, refused = call(admin, "patch", f"/payment-terms/{term['id']}", body)
    assert (status, refused["error"]["code"]) == (409, "customers.stale_version")
    status, refused = call(
        admin,
        "patch",
        f"/payment-terms/{term['id']}",
        {"lines": [{"percent": "100", "day_of_month": 32}]},
    )
    assert (status, refused["error"]["code"]) == (422, "core.validation_failed")


def test_advance_terms_block_dispatch_until_paid(
    call, company, admin, finance, rep, customer, products
):
    status, term = call(
        admin,
        "post",
        "/payment-terms",
        {"name": "Advance 50", "advance_percent": "50", "lines": [{"percent": "100"}]},
    )
    assert status == 201, term
    assert term["advance_percent"] == "50"
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": p, "quantity": 50} for p in products],
    )
    status, draft = call(
        rep,
        "post",
        "/orders",
        {
            "customer_id": str(customer.pk),
            "payment_terms_id": term["id"],
            "lines": [{"sku": "P0", "quantity": "2"}],
        },
    )
    assert status == 201, draft
    assert draft["advance_required"] == "11.30"
    status, confirmed = call(rep, "post", f"/orders/{draft['id']}/submit", {})
    assert status == 200, confirmed
    status, refused = call(admin, "post", f"/orders/{draft['id']}/shipments", {"dispatch": True})
    assert (status, refused["error"]["code"]) == (409, "fulfilment.advance_unpaid")
    assert refused["error"]["details"]["required"] == "11.3"
    status, payment = call(
        finance,
        "post",
        "/payments",
        {
            "customer_id": str(customer.pk),
            "order_id": draft["id"],
            "amount": "11.30",
            "currency": "CNY",
            "method": "bank_transfer",
        },
    )
    assert status == 201, payment
    status, shipped = call(admin, "post", f"/orders/{draft['id']}/shipments", {"dispatch": True})
    assert status == 201, shipped


def test_shipping_after_payment_over_http(call, company, admin, rep, customer, products):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 5}],
    )
    status, draft = call(
        rep,
        "post",
        "/orders",
        {
            "customer_id": str(customer.pk),
            "shipping_policy": "after_payment",
            "lines": [{"sku": "P0", "quantity": "1"}],
        },
    )
    assert status == 201, draft
    assert (draft["shipping_policy"], draft["advance_required"]) == ("after_payment", "11.30")
    status, _ = call(rep, "post", f"/orders/{draft['id']}/submit", {})
    status, refused = call(admin, "post", f"/orders/{draft['id']}/shipments", {"dispatch": True})
    assert (status, refused["error"]["code"]) == (409, "fulfilment.payment_first")
