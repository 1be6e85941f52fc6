"""Issue #17 over HTTP: order date (back-dating refused without the right), validity,
order discount, rebate lines and free stock per line."""

import datetime
from decimal import Decimal

import pytest

from ordercrm.accounts.roles import Role
from ordercrm.core.dates import company_today
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales.models import SalesOrder


@pytest.fixture
def manager(make_user, company, team):
    return make_user(Role.SALES_MANAGER, company, username="mgr", team=team)


def test_create_with_date_validity_and_discount(call, company, manager, customer, products):
    day = company_today(company) - datetime.timedelta(days=2)
    status, body = call(
        manager,
        "post",
        "/orders",
        {
            "customer_id": str(customer.pk),
            "order_date": day.isoformat(),
            "valid_until": (day + datetime.timedelta(days=10)).isoformat(),
            "discount_percent": "10",
            "lines": [{"sku": "P0", "quantity": "3"}],
        },
    )
    assert status == 201, body
    assert body["order_date"] == day.isoformat()
    assert body["valid_until"] == (day + datetime.timedelta(days=10)).isoformat()
    assert body["number"].startswith(f"SO-{day.year}-")
    assert (body["discount_percent"], body["net_total"]) == ("10", "27.00")


def test_back_dating_without_the_right_is_refused(call, company, rep, customer):
    day = company_today(company) - datetime.timedelta(days=1)
    status, body = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "order_date": day.isoformat(), "lines": []},
    )
    assert status == 403
    assert body["error"]["code"] == "sales.backdate_not_allowed"
    assert SalesOrder.objects.for_company(company).count() == 0


def test_patch_date_discount_and_a_rebate_line(
    call, company, rep, customer, products, make_product
):
    make_product(company, sku="REBATE", list_price=0, is_stock_tracked=False)
    status, body = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "10"}]},
    )
    assert status == 201, body
    assert body["valid_until"] == (company_today(company) + datetime.timedelta(days=30)).isoformat()
    status, body = call(
        rep,
        "patch",
        f"/orders/{body['id']}",
        {
            "version": body["version"],
            "discount_percent": "5",
            "valid_until": None,
            "lines": [
                {"sku": "P0", "quantity": "10"},
                {"sku": "REBATE", "quantity": "1", "unit_price": "-5"},
            ],
        },
    )
    assert status == 200, body
    assert body["valid_until"] is None
    # (100.00 − 5.00) × 95 % = 90.25
    assert (body["net_total"], body["lines"][1]["net"]) == ("90.25", "-4.75")
    status, error = call(
        rep,
        "patch",
        f"/orders/{body['id']}",
        {
            "version": body["version"],
            "lines": [{"sku": "REBATE", "quantity": "1", "unit_price": "-5"}],
        },
    )
    assert (status, error["error"]["code"]) == (422, "sales.negative_total")


def test_lines_carry_free_stock_and_the_order_its_warning(
    call, company, rep, admin, customer, products
):
    inventory.stock_receive(
        company=company,
        actor=admin,
        warehouse=Warehouse.objects.for_company(company).get(code="main"),
        lines=[{"product": products[0], "quantity": 4}],
    )
    status, body = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "6"}]},
    )
    assert status == 201
    line = body["lines"][0]
    assert (line["free_stock"], line["stock_short"]) == ("4", "2")
    assert body["warnings"][0]["code"] == "sales.stock_short"
    status, lines = call(rep, "get", f"/orders/{body['id']}/lines")
    assert (status, lines[0]["free_stock"]) == (200, "4")


def test_patch_another_customer_retaxes(
    call, company, admin, rep, customer, products, make_customer
):
    from ordercrm.catalog import services as catalog
    from ordercrm.catalog.models import TaxRate
    from ordercrm.customers import services as customers

    rates = {r.rate: r for r in TaxRate.objects.for_company(company)}
    export = catalog.tax_mapping_create(
        company=company, actor=admin, name="Export", rules=[(rates[13], rates[0])]
    )
    buyer = customers.customer_update(
        customer=make_customer(company, actor=rep, name="Hamburg"), actor=None, tax_mapping=export
    )
    status, body = call(
        rep,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
    )
    status, body = call(
        rep,
        "patch",
        f"/orders/{body['id']}",
        {"version": body["version"], "customer_id": str(buyer.pk)},
    )
    assert status == 200, body
    assert (body["customer_id"], body["tax_total"], body["lines"][0]["tax_rate"]) == (
        str(buyer.pk),
        "0.00",
        "0",
    )
    status, error = call(
        rep, "patch", f"/orders/{body['id']}", {"version": body["version"], "customer_id": "nope"}
    )
    assert status in (404, 422), error


def test_a_draft_date_in_another_year_than_its_number_is_refused(
    call, company, manager, customer, products
):
    status, body = call(
        manager,
        "post",
        "/orders",
        {"customer_id": str(customer.pk), "lines": [{"sku": "P0", "quantity": "1"}]},
    )
    assert status == 201, body
    year = int(body["number"].split("-")[1])
    status, refused = call(
        manager,
        "patch",
        f"/orders/{body['id']}",
        {"version": body["version"], "order_date": f"{year + 1}-01-02"},
    )
    assert status == 422, refused
    assert refused["error"]["code"] == "sales.order_date_other_year"
    assert body["number"] in refused["error"]["message"]
    order = SalesOrder.objects.for_company(company).get(pk=body["id"])
    assert (order.order_date.isoformat(), order.version) == (body["order_date"], body["version"])


def test_an_order_line_names_the_price_rule_that_set_its_price(
    call, company, admin, rep, customer, make_product
):
    from ordercrm.catalog import services as catalog

    make_product(company, sku="RULED", list_price="80", cost="50")
    rules = catalog.price_list_create(
        company=company, actor=admin, name="Rules", currency="CNY", is_default=True
    )
    rule = catalog.price_rule_create(
        price_list=rules,
        actor=admin,
        name="Cost plus",
        base="cost",
        markup_percent=Decimal("30"),
        rounding=Decimal("1"),
        surcharge=Decimal("-0.01"),
    )
    body = {
        "customer_id": str(customer.pk),
        "lines": [{"sku": "RULED", "quantity": "2"}, {"kind": "note", "description": "Gift"}],
    }
    status, order = call(rep, "post", "/orders", body)
    assert status == 201, order
    ruled, note = order["lines"]
    assert ruled["unit_price"] == "64.99"  # 50 × 1.3 = 65, then −0.01
    assert (ruled["price_rule_id"], ruled["price_rule_name"]) == (str(rule.pk), "Cost plus")
    assert ruled["price_rule_description"] == "Cost + 30 %, rounded to 1, then -0.01"
    assert (note["price_rule_id"], note["price_rule_description"]) == (None, None)
    status, lines = call(rep, "get", f"/orders/{order['id']}/lines", Accept_Language="zh-hans")
    assert lines[0]["price_rule_description"] == "成本 + 30 %, 取整到 1, 然后 -0.01"
    # a rule removed later: the line keeps its price and forgets the rule
    catalog.price_rule_remove(rule=rule, actor=admin)
    status, again = call(rep, "get", f"/orders/{order['id']}")
    assert (again["lines"][0]["unit_price"], again["lines"][0]["price_rule_id"]) == ("64.99", None)
