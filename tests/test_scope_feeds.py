"""Scopes everywhere: the events feed, the duplicate-customer warning and in-app
notifications show a record only to who may see it. A matrix over role × record scope ×
whose record (own, teammate's, other team's, other company's), over the API (the web has no
events feed and no customer form; its notifications page is checked)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from ordercrm.accounts.models import Membership
from ordercrm.accounts.roles import Role
from ordercrm.accounts.services import team_create
from ordercrm.accounts.tokens import token_create
from ordercrm.billing import services as billing
from ordercrm.billing.models import Invoice
from ordercrm.catalog.models import Product
from ordercrm.customers import services as customers
from ordercrm.customers.models import Customer
from ordercrm.inventory import services as inventory
from ordercrm.inventory.models import Warehouse
from ordercrm.sales import services as sales

OWNERS = ["rep", "mate", "manager", "west", "abroad"]  # whose records exist

# caller → owners whose records it may see ("abroad" is the other company: never)
VISIBLE = {
    "admin": {"rep", "mate", "manager", "manager_own", "west"},
    "finance": {"rep", "mate", "manager", "manager_own", "west"},
    "manager": {"rep", "mate", "manager", "manager_own"},  # team scope, in East
    "manager_own": {"manager_own"},  # a sales manager narrowed to own records
    "rep": {"rep"},
    "west": {"west"},
}
FEED_READERS = {"admin", "finance", "manager", "manager_own"}  # audit_view
CUSTOMER_EDITORS = {"admin", "manager", "manager_own", "rep", "west"}
NO_FEED = ["rep", "warehouse", "support", "viewer"]


@pytest.fixture
def world(company, other_company, make_user, team, make_product):
    west_team = team_create(company=company, name="West")
    users = {
        "admin": make_user(Role.ADMIN, company, username="boss"),
        "finance": make_user(Role.FINANCE, company, username="fin"),
        "manager": make_user(Role.SALES_MANAGER, company, username="mgr", team=team),
        "manager_own": make_user(Role.SALES_MANAGER, company, username="mgr-own", team=team),
        "rep": make_user(Role.SALES_REP, company, username="rep", team=team),
        "mate": make_user(Role.SALES_REP, company, username="mate", team=team),
        "west": make_user(Role.SALES_REP, company, username="west", team=west_team),
        "warehouse": make_user(Role.WAREHOUSE, company, username="wh"),
        "support": make_user(Role.SUPPORT, company, username="sup"),
        "viewer": make_user(Role.VIEWER, company, username="view"),
        "abroad": make_user(Role.ADMIN, other_company, username="abroad"),
    }
    Membership.objects.filter(user=users["manager_own"]).update(record_scope="own")
    for code, home in ((company, users["admin"]), (other_company, users["abroad"])):
        product = make_product(code, sku="P-1", list_price=Decimal("10.00"))
        inventory.stock_receive(
            company=code,
            actor=home,
            warehouse=Warehouse.objects.for_company(code).get(code="main"),
            lines=[{"product": product, "quantity": 100}],
        )
    records = {}
    for owner in [*OWNERS, "manager_own"]:
        user = users[owner]
        home = other_company if owner == "abroad" else company
        customer = customers.customer_create(
            company=home, actor=user, name=f"Buyer of {owner}", tax_id=f"TAX-{owner}"
        )
        product = Product.objects.for_company(home).get(sku="P-1")
        order = sales.order_submit(
            order=sales.order_create(
                company=home,
                actor=user,
                customer=customer,
                invoicing_policy="on_order",
                lines=[{"product": product, "quantity": 1}],
            ),
            actor=user,
        )
        invoice = Invoice.objects.for_company(home).get(order=order)
        payer = users["abroad"] if owner == "abroad" else users["finance"]
        payment = billing.payment_record(
            company=home,
            actor=payer,
            customer=customer,
            amount="1.00",
            currency=order.currency,
            method="cash",
            allocations=[{"invoice": invoice, "amount": "1.00"}],
        )
        records[owner] = {
            "customer": customer,
            "order": order,
            "keys": {
                ("customers.customer", str(customer.pk)),
                ("sales.salesorder", str(order.pk)),
                ("billing.invoice", str(invoice.pk)),
                ("billing.payment", str(payment.pk)),
            },
        }
    return users, records


def bearer(user):
    _token, raw = token_create(user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def feed(client, auth) -> tuple[int, list[dict]]:
    items, cursor = [], ""
    while True:
        response = client.get(
            "/api/v1/events", {"limit": 100, "cursor": cursor} if cursor else {"limit": 100}, **auth
        )
        if response.status_code != 200:
            return response.status_code, response.json()
        body = response.json()
        items += body["items"]
        cursor = body.get("next")
        if not cursor:
            return 200, items


SCOPED_TYPES = {"customers.customer", "sales.salesorder", "billing.invoice", "billing.payment"}


@pytest.mark.parametrize("caller", sorted(FEED_READERS))
def test_the_events_feed_lists_only_events_of_visible_records(client, world, caller):
    users, records = world
    status, items = feed(client, bearer(users[caller]))
    assert status == 200
    got = {(e["entity_type"], e["entity_id"]) for e in items if e["entity_type"] in SCOPED_TYPES}
    expected = set().union(*(records[o]["keys"] for o in VISIBLE[caller]))
    assert got == expected
    numbers = {e["payload"].get("number") for e in items} - {None}
    for owner in set(records) - VISIBLE[caller] - {"abroad"}:  # numbers repeat per company
        assert records[owner]["order"].number not in numbers


@pytest.mark.parametrize("caller", NO_FEED)
def test_roles_without_audit_view_get_no_feed(client, world, caller):
    users, _records = world
    status, body = feed(client, bearer(users[caller]))
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")


def test_the_type_filter_keeps_the_scope(client, world):
    users, records = world
    response = client.get(
        "/api/v1/events", {"type": "order.created", "limit": 100}, **bearer(users["manager"])
    )
    ids = {e["entity_id"] for e in response.json()["items"]}
    assert ids == {str(records[o]["order"].pk) for o in VISIBLE["manager"]}


def post_customer(client, auth, name, **headers):
    response = client.post(
        "/api/v1/customers",
        json.dumps({"name": name}),
        content_type="application/json",
        **auth,
        **headers,
    )
    return response.status_code, response.json()


@pytest.mark.parametrize("caller", sorted(CUSTOMER_EDITORS))
def test_the_duplicate_warning_names_only_visible_customers(client, world, caller, company):
    users, records = world
    auth = bearer(users[caller])
    for owner in [*OWNERS, "manager_own"]:
        existing = records[owner]["customer"]
        before = Customer.objects.for_company(company).count()
        status, body = post_customer(client, auth, existing.name)
        if owner == "abroad":  # another company's customer is no duplicate here
            assert status == 201, body
            Customer.objects.for_company(company).filter(pk=body["id"]).delete()
            continue
        assert status == 409, (owner, body)
        error = body["error"]
        assert error["code"] == "customers.possible_duplicate"
        assert Customer.objects.for_company(company).count() == before
        text = json.dumps(error, ensure_ascii=False)
        if owner in VISIBLE[caller]:
            assert error["details"]["hidden"] is False
            assert [m["id"] for m in error["details"]["matches"]] == [str(existing.pk)]
        else:
            assert error["details"] == {"matches": [], "hidden": True}
            assert "ask a manager" in error["message"]
            assert str(existing.pk) not in text
            assert existing.code not in text


def test_the_hidden_duplicate_message_is_translated(client, world):
    users, records = world
    status, body = post_customer(
        client,
        bearer(users["rep"]),
        records["west"]["customer"].name,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert status == 409
    assert "经理" in body["error"]["message"]


@pytest.mark.parametrize("caller", ["finance", "warehouse", "support", "viewer"])
def test_roles_that_cannot_create_customers_learn_nothing(client, world, caller):
    users, records = world
    status, body = post_customer(client, bearer(users[caller]), records["rep"]["customer"].name)
    assert (status, body["error"]["code"]) == (403, "core.permission_denied")
    assert "matches" not in body["error"]["details"]


def test_notifications_go_only_to_who_still_sees_the_order(client, world, company):
    """An order reassigned to another team: its submitter (own scope) no longer sees it, so
    is not told of the decision, in the app or on the notifications page."""
    from ordercrm.notifications import selectors, worker
    from ordercrm.sales.models import SalesOrder

    users, records = world
    worker.run_once()
    company.approval_threshold = Decimal("0")
    company.save()
    customer = records["rep"]["customer"]
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=users["rep"],
            customer=customer,
            lines=[{"product": records["rep"]["order"].lines.first().product, "quantity": 1}],
        ),
        actor=users["rep"],
    )
    west = users["west"]
    SalesOrder.objects.for_company(company).filter(pk=order.pk).update(
        salesperson=west, team=Membership.objects.get(user=west).team
    )
    sales.order_reject(order=order, actor=users["admin"], reason="price")
    worker.run_once()
    told = {
        n.user.username
        for n in selectors.notification_list(users["rep"], company).filter(url__contains=order.pk)
    } | {
        n.user.username
        for n in selectors.notification_list(west, company).filter(url__contains=order.pk)
    }
    assert told == {"west"}
    client.force_login(users["rep"])
    assert order.number not in client.get(reverse("notifications")).content.decode()
