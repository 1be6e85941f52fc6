"""Every API response is produced by its declared output schema: orders of every shape (goods,
service product, section, note, zero quantity, 100 % discount, foreign currency, 500 lines)
read through every endpoint and list that shows orders, as every role, answer no 5xx and
match the OpenAPI document; order lists carry a line count, not the lines."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import jsonschema_rs
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ordercrm.accounts.roles import Role
from ordercrm.accounts.tokens import token_create

ROLES = [
    Role.ADMIN,
    Role.SALES_MANAGER,
    Role.SALES_REP,
    Role.FINANCE,
    Role.WAREHOUSE,
    Role.SUPPORT,
    Role.VIEWER,
]


class Api:
    """Calls the API with the test client and checks each answer against the OpenAPI
    document: the operation's declared schema for that status code (a status the document
    does not declare is a failure too)."""

    def __init__(self, client):
        self.client = client
        self.doc = client.get("/api/v1/openapi.json").json()
        self.templates = [
            (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", p) + "$"), p) for p in self.doc["paths"]
        ]
        self._validators: dict = {}
        self.checked = 0

    def auth(self, user) -> dict:
        _token, raw = token_create(user=user, name="shapes")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def _validator(self, method: str, template: str, status: int):
        key = (method, template, status)
        if key not in self._validators:
            responses = self.doc["paths"][template][method]["responses"]
            assert str(status) in responses, f"{method.upper()} {template} answered {status}"
            content = responses[str(status)].get("content", {})
            schema = content.get("application/json", {}).get("schema")
            self._validators[key] = (
                None
                if schema is None
                else jsonschema_rs.Draft202012Validator(
                    {"allOf": [schema], "components": self.doc["components"]}
                )
            )
        return self._validators[key]

    def call(self, method: str, path: str, auth: dict, body=None, expect: int | None = None):
        kwargs = dict(auth)
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/json")
        response = getattr(self.client, method)(f"/api/v1{path}", **kwargs)
        full = f"/api/v1{path.split('?')[0]}"
        template = next(t for rx, t in self.templates if rx.match(full))
        status = response.status_code
        assert status < 500, (method, path, status, response.content[:500])
        if expect is not None:
            assert status == expect, (method, path, status, response.content[:500])
        validator = self._validator(method, template, status)
        if response["Content-Type"].startswith("application/json"):
            data = response.json()
            if validator is not None:
                errors = [str(e) for e in validator.iter_errors(data)][:3]
                assert not errors, (method, path, status, errors)
            self.checked += 1
            return status, data
        self.checked += 1
        return status, response


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def shapes(company, admin, rep, customer, products, make_customer, make_product, api):
    """One order of every shape, created over the API by the rep (so every role in the
    rep's team sees them), confirmed, shipped, invoiced and paid where that applies."""
    from ordercrm.catalog.models import Unit
    from ordercrm.inventory.models import Warehouse

    hours = Unit.objects.for_company(company).get(code="h")
    make_product(
        company, sku="SVC-1", list_price=Decimal("80.00"), is_stock_tracked=False, unit=hours
    )
    make_product(company, sku="FREE", list_price=Decimal("5.00"))
    usd = make_customer(company, actor=rep, name="Acme Inc.", currency="USD")
    from ordercrm.catalog.services import exchange_rate_set

    # a foreign order takes the company table's rate for its date (a rep may not type one)
    exchange_rate_set(
        company=company, actor=admin, currency="USD", date="2020-01-01", rate=Decimal("7.1234")
    )
    boss, seller = api.auth(admin), api.auth(rep)
    main = Warehouse.objects.for_company(company).get(code="main")
    api.call(
        "post",
        "/stock/receipts",
        boss,
        {
            "warehouse_id": str(main.pk),
            "lines": [{"sku": sku, "quantity": "5000"} for sku in ("P0", "P1", "P2", "FREE")],
        },
        expect=201,
    )
    bodies = {
        "goods": {"lines": [{"sku": "P0", "quantity": "3"}, {"sku": "P1", "quantity": "2"}]},
        "service": {"lines": [{"sku": "SVC-1", "quantity": "1.5"}]},
        "note": {"lines": [{"kind": "note", "description": "Leave at the gate."}]},
        "section": {
            "lines": [
                {"kind": "section", "description": "Tea"},
                {"sku": "P0", "quantity": "1"},
                {"kind": "section", "description": "Services"},
                {"sku": "SVC-1", "quantity": "2"},
                {"kind": "note", "description": "Installation on site."},
            ]
        },
        "zero_quantity": {
            "lines": [{"sku": "P2", "quantity": "0"}, {"sku": "P0", "quantity": "1"}]
        },
        "discount": {
            "lines": [
                {"sku": "P0", "quantity": "2"},
                {"sku": "FREE", "quantity": "1", "discount_percent": "100"},
            ]
        },
        "foreign_currency": {
            "customer_id": str(usd.pk),
            "lines": [
                {"sku": "P1", "quantity": "4", "unit_price": "1.55"},
                {"sku": "SVC-1", "quantity": "1", "unit_price": "12.5"},
            ],
        },
        "many_lines": {
            "lines": [
                {"kind": "note", "description": f"note {i}"}
                if i % 50 == 49
                else {"sku": ("P0", "P1", "SVC-1")[i % 3], "quantity": str(i % 7 + 1)}
                for i in range(500)
            ]
        },
    }
    orders = {}
    for name, body in bodies.items():
        body = {"customer_id": str(customer.pk), **body}
        _status, order = api.call("post", "/orders", seller, body, expect=201)
        assert len(order["lines"]) == len(body["lines"]) == order["line_count"]
        orders[name] = order
    for name in ("goods", "service", "section", "discount", "many_lines"):  # a note is a draft
        _status, order = api.call(
            "post", f"/orders/{orders[name]['id']}/submit", seller, {}, expect=200
        )
        if order["status"] == "pending_approval":  # default approval rules may ask for one
            _status, order = api.call("post", f"/orders/{order['id']}/approve", boss, {})
        orders[name] = order
    company.approval_threshold = Decimal("0")  # the foreign-currency order waits in the inbox
    company.save()
    _status, orders["foreign_currency"] = api.call(
        "post", f"/orders/{orders['foreign_currency']['id']}/submit", seller, {}, expect=200
    )
    assert orders["foreign_currency"]["status"] == "pending_approval"
    for name in ("goods", "section", "discount", "many_lines"):
        assert orders[name]["status"] == "confirmed", orders[name]["status"]
        _status, _shipment = api.call(
            "post", f"/orders/{orders[name]['id']}/shipments", boss, {"dispatch": True}, expect=201
        )
        _status, invoices = api.call("get", f"/orders/{orders[name]['id']}/invoices", boss)
        if not invoices:
            api.call("post", f"/orders/{orders[name]['id']}/invoices", boss, {}, expect=201)
    _status, invoices = api.call("get", f"/orders/{orders['goods']['id']}/invoices", boss)
    api.call(
        "post",
        "/payments",
        boss,
        {
            "customer_id": str(customer.pk),
            "amount": invoices[0]["gross_total"],
            "currency": "CNY",
            "method": "bank_transfer",
            "allocations": [
                {"invoice_id": invoices[0]["id"], "amount": invoices[0]["gross_total"]}
            ],
        },
        expect=201,
    )
    return orders


def test_text_and_service_lines_are_read_back_after_the_create(
    company, rep, customer, products, make_product, api
):
    """Issue #21 item 1: an order with a section, a note or a service (not stock-tracked)
    line was committed by ``POST /orders`` and then answered 500 there, on its detail and on
    every list page holding it (an int reached ``Decimal.normalize``)."""
    from ordercrm.sales.models import SalesOrder

    make_product(company, sku="SVC-1", list_price=Decimal("80.00"), is_stock_tracked=False)
    seller = api.auth(rep)
    lines = [
        {"kind": "section", "description": "Tea"},
        {"sku": "P0", "quantity": "1"},
        {"kind": "section", "description": "Services"},
        {"sku": "SVC-1", "quantity": "2"},
        {"kind": "note", "description": "Installation on site."},
    ]
    body = {"customer_id": str(customer.pk), "lines": lines}
    _status, created = api.call("post", "/orders", seller, body, expect=201)
    assert SalesOrder.objects.for_company(company).count() == 1
    _status, order = api.call("get", f"/orders/{created['id']}", seller, expect=200)
    assert order == created
    assert [line["kind"] for line in order["lines"]] == [x.get("kind", "product") for x in lines]
    _check_line_values(order["lines"])
    _status, page = api.call("get", "/orders", seller, expect=200)
    assert [(o["id"], o["line_count"]) for o in page["items"]] == [(order["id"], 5)]


def _check_line_values(lines):
    """Text lines carry no numbers; a service line backorders nothing."""
    for line in lines:
        numbers = {k: v for k, v in line.items() if k.startswith(_NUMBER_PREFIXES)}
        if line["kind"] == "product":
            assert all(isinstance(v, str) for v in numbers.values()), line
            if line["sku"] == "SVC-1":
                assert line["quantity_backordered"] == "0"
        else:
            assert set(numbers.values()) == {None}, line
            assert line["sku"] is None
            assert line["description"]


_NUMBER_PREFIXES = ("quantity", "unit_price", "discount", "tax", "net", "gross")


def _check_shapes(api, auth, shapes):
    _status, order = api.call("get", f"/orders/{shapes['section']['id']}", auth, expect=200)
    _check_line_values(order["lines"])
    _status, zero = api.call("get", f"/orders/{shapes['zero_quantity']['id']}", auth)
    assert (zero["lines"][0]["quantity"], zero["lines"][0]["net"]) == ("0", "0.00")
    _status, discount = api.call("get", f"/orders/{shapes['discount']['id']}", auth)
    line = discount["lines"][1]
    assert (line["discount_percent"], line["gross"]) == ("100", "0.00")
    _status, foreign = api.call("get", f"/orders/{shapes['foreign_currency']['id']}", auth)
    assert (foreign["currency"], foreign["exchange_rate"]) == ("USD", "7.1234")
    _status, many = api.call("get", f"/orders/{shapes['many_lines']['id']}", auth)
    _check_line_values(many["lines"])
    assert many["fulfilment_status"] == "shipped"


def test_every_order_shape_through_every_endpoint_as_every_role(
    shapes, api, company, team, rep, make_user, customer
):
    _check_shapes(api, api.auth(rep), shapes)
    for role in ROLES:
        # the rep who entered the orders (own scope), the others in the rep's team
        user = rep if role == Role.SALES_REP else make_user(role, company, team=team)
        _read_everything(api, api.auth(user), shapes, customer, pdf=role == Role.ADMIN)
    assert api.checked > 7 * 60


def _read_everything(api, auth, shapes, customer, *, pdf: bool):
    details = {}
    for _name, created in shapes.items():
        oid = created["id"]
        _status, order = api.call("get", f"/orders/{oid}", auth, expect=200)  # all may view
        details[oid] = order
        assert order["line_count"] == len(order["lines"]) == len(created["lines"])
        status, lines = api.call("get", f"/orders/{oid}/lines", auth, expect=200)
        assert [x["id"] for x in lines] == [x["id"] for x in order["lines"]]
        api.call("get", f"/orders/{oid}/timeline", auth)
        _status, shipments = api.call("get", f"/orders/{oid}/shipments", auth)
        for shipment in shipments if isinstance(shipments, list) else []:
            api.call("get", f"/shipments/{shipment['id']}", auth)
        _status, invoices = api.call("get", f"/orders/{oid}/invoices", auth)
        for invoice in invoices if isinstance(invoices, list) else []:
            api.call("get", f"/invoices/{invoice['id']}", auth)
    if pdf:  # the document renders every line kind (once: WeasyPrint takes a second)
        _status, document = api.call("get", f"/orders/{shapes['section']['id']}/pdf", auth)
        assert document["Content-Type"] == "application/pdf"
    # lists: every filter, both orders, and every page of a small page size
    queries = [
        "",
        "?order=created_at",
        "?limit=3",
        "?status=confirmed",
        "?status=pending_approval",
        "?fulfilment_status=shipped",
        "?fulfilment_status=not_shipped",
        "?invoice_status=invoiced",
        "?payment_status=paid",
        "?payment_status=unpaid",
        f"?customer_id={customer.pk}",
        "?search=SO-",
        "?date_from=2000-01-01&date_to=2999-12-31",
    ]
    listed = {}
    for query in queries:
        status, page = api.call("get", f"/orders{query}", auth, expect=200)
        for item in page["items"]:
            assert "lines" not in item
            listed[item["id"]] = item
    cursor, seen = None, []
    while True:
        _status, page = api.call(
            "get", "/orders?limit=3" + (f"&cursor={cursor}" if cursor else ""), auth
        )
        seen += [o["id"] for o in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(seen) == sorted(o["id"] for o in shapes.values())
    for oid, detail in details.items():  # list items agree with the detail on every summary field
        assert {k: v for k, v in detail.items() if k != "lines"} == listed[oid]
    api.call("get", "/approvals", auth)
    api.call("get", "/invoices", auth)
    api.call("get", f"/invoices?customer_id={customer.pk}", auth)
    api.call("get", "/payments", auth)
    api.call("get", f"/customers/{customer.pk}", auth)
    cursor = None
    while True:
        status, feed = api.call(
            "get", "/events?limit=200" + (f"&cursor={cursor}" if cursor else ""), auth
        )
        if status != 200 or not feed["next"]:
            break
        cursor = feed["next"]


def test_order_list_carries_a_line_count_and_bounded_queries(
    company, rep, customer, products, api, make_order
):
    """A list page reads a fixed number of queries whatever the orders' line counts, and its
    size does not grow with them (lines are on the detail and ``/orders/{id}/lines``)."""
    seller = api.auth(rep)
    make_order(n_lines=2)
    _status, small = api.call("get", "/orders", seller, expect=200)
    small_size = len(json.dumps(small))
    with CaptureQueriesContext(connection) as few:
        api.call("get", "/orders", seller, expect=200)
    for n_lines in (1, 300):
        make_order(n_lines=n_lines)
    with CaptureQueriesContext(connection) as many:
        _status, page = api.call("get", "/orders", seller, expect=200)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert [o["line_count"] for o in page["items"]] == [300, 1, 2]
    assert len(json.dumps(page)) < 3 * small_size + 2000
    assert all("lines" not in o for o in page["items"])
    assert page["items"][0]["total_gross"]
    assert page["items"][0]["fulfilment_status"]
