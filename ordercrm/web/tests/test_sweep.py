"""Hostile input over the whole web UI: no page, form or filter may answer 5xx.

The sweep crawls the pages an administrator reaches from the menu and the records made here
(order, shipment, invoice, customer, price list), reads every ``<form>`` they render (POST
forms and GET filters alike), and submits each one again with every field replaced in turn by
a hostile value: a NUL byte, numbers beyond what the columns hold (1e20, 1e30, NaN, Infinity,
99999999999999), an over-long string, malformed dates and ids. Unknown ids in the URLs and
malformed query strings go through the list pages' filters the same way. Every answer must
be below 500; a refusal is a 4xx (the form tests check that it is inline).
"""

from __future__ import annotations

import collections
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from ordercrm.accounts.access import access_for
from ordercrm.accounts.roles import Role
from ordercrm.billing.models import Invoice
from ordercrm.fulfilment import services as fulfilment
from ordercrm.returns import services as returns
from ordercrm.sales import services as sales

pytestmark = pytest.mark.sweep  # a slow suite: ORDERCRM_SLOW_TESTS=1

HOSTILE = [
    "a\x00b",
    "1e20",
    "1e30",
    "NaN",
    "Infinity",
    "-1",
    "99999999999999",
    "0.000000001",
    "x" * 10_000,
    "2026-99-99",
    "delete:abc",
    "00000000-0000-0000-0000-000000000000",
    "",
]

PAGES = [
    "home",
    "service_desk",
    "service_reports",
    "customer_list",
    "product_list",
    "price_lists",
    "stock_levels",
    "stock_moves",
    "shipment_list",
    "shipment_queue",
    "invoice_list",
    "payment_list",
    "payment_new",
    "aging",
    "order_list",
    "order_new",
    "approvals",
    "tokens",
    "settings",
    "notifications",
    "reports",
    "reports_pivot",
    "reports_targets",
    "reports_leaderboard",
    "my_performance",
    "rma_list",
]
SKIP_ACTIONS = ("/logout/", "/language/", "/company/")


class Forms(HTMLParser):
    """The forms of a page: action, method and the fields with their first value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.links: set[str] = set()
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and (a.get("href") or "").startswith("/"):
            self.links.add(a["href"].split("#")[0])
        if tag == "form":
            self._form = {
                "action": a.get("action") or "",
                "method": (a.get("method") or "get").lower(),
                "fields": [],
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select", "button"):
            name = a.get("name")
            if not name:
                return
            kind = a.get("type", "text").lower()
            if tag == "button" or kind == "submit":
                self._form["fields"].append((name, a.get("value", ""), "button"))
            elif kind in ("checkbox", "radio"):
                if "checked" in a:
                    self._form["fields"].append((name, a.get("value", "on"), kind))
            else:
                self._form["fields"].append((name, a.get("value", ""), tag))
                if tag == "select":
                    self._select = len(self._form["fields"]) - 1
        elif tag == "option" and self._form is not None and self._select is not None:
            name, value, kind = self._form["fields"][self._select]
            if value == "" or "selected" in a:
                self._form["fields"][self._select] = (name, a.get("value", ""), kind)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture
def world(company, admin, rep, manager, customer, stocked, staff):
    """One record of each kind the pages show: an order shipped and invoiced, a draft."""
    order = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": p, "quantity": 2} for p in stocked],
    )
    order = sales.order_submit(order=order, actor=rep)
    shipment = fulfilment.shipment_create(order=order, actor=staff["warehouse"])
    fulfilment.shipment_dispatch(shipment=shipment, actor=staff["warehouse"])
    draft = sales.order_create(
        company=company,
        actor=rep,
        customer=customer,
        lines=[{"product": stocked[0], "quantity": 1}],
    )
    invoice = Invoice.objects.for_company(company).first()
    first = order.lines.order_by("position").first()
    rma = returns.rma_create(
        access_for(admin, company),
        order,
        [{"order_line_id": str(first.pk), "quantity": "1", "decision": "replace"}],
    )
    rma = returns.rma_approve(rma=rma, actor=admin)
    return {
        "order": order,
        "draft": draft,
        "shipment": shipment,
        "invoice": invoice,
        "rma": rma,
    }


def _submit(client, form, values):
    data = collections.defaultdict(list)
    for name, value in values:
        data[name].append(value)
    url = form["action"]
    if form["method"] == "post":
        return client.post(url, data)
    return client.get(url, data)


def _sweep(client, start_urls, budget):
    seen_pages, forms, results = set(), {}, collections.Counter()
    failures = []
    queue = list(start_urls)
    while queue and len(seen_pages) < budget:
        url = queue.pop(0)
        if url in seen_pages or any(url.startswith(s) for s in SKIP_ACTIONS):
            continue
        seen_pages.add(url)
        response = client.get(url)
        results[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(("GET", url, "", ""))
        if "text/html" not in response.get("Content-Type", ""):
            continue
        parser = Forms()
        parser.feed(response.content.decode())
        for link in parser.links:
            path = urlsplit(link).path
            if link not in seen_pages and not re.search(r"(pdf|export\.\w+)$", path):
                queue.append(link)
        for form in parser.forms:
            form["action"] = form["action"] or url
            if any(form["action"].startswith(s) for s in SKIP_ACTIONS):
                continue
            forms.setdefault(_form_kind(form), form)
    attempts = 0

    def send(form, values, name, hostile):
        nonlocal attempts
        response = _submit(client, form, values)
        attempts += 1
        results[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append((form["method"], form["action"], name, repr(hostile[:12])))

    for form in forms.values():
        fields = form["fields"]
        buttons = _distinct_buttons(fields) or [None]
        plain = [(n, v) for n, v, k in fields if k != "button"]
        # a repeated name (one per line row) is one field to the view that reads it
        first_of_name = {n: i for i, (n, _v) in reversed(list(enumerate(plain)))}
        hostile_button_names = set()
        for button in buttons:
            extra = [button[:2]] if button else []
            # every field hostile at once, for each hostile value, behind each button ...
            for hostile in HOSTILE:
                send(form, [(n, hostile) for n, _v in plain] + extra, "*", hostile)
            # ... the button's own value made hostile (action=delete:abc and the like) ...
            if button and button[0] not in hostile_button_names:
                hostile_button_names.add(button[0])
                for hostile in HOSTILE:
                    send(form, [*plain, (button[0], hostile)], button[0], hostile)
        # ... then each field alone with a rotating share of the values and of the buttons
        # (all over the fields of a form), so the checks behind the first refused field run too
        for position, (name, index) in enumerate(first_of_name.items()):
            for k in range(3):
                turn = position * 3 + k
                hostile = HOSTILE[turn % len(HOSTILE)]
                button = buttons[turn % len(buttons)]
                extra = [button[:2]] if button else []
                values = [(n, hostile if i == index else v) for i, (n, v) in enumerate(plain)]
                send(form, values + extra, name, hostile)
    return seen_pages, forms, attempts, results, failures


RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+")


def _form_kind(form):
    """Forms that differ only in the record they act on (a row's edit form on a list, one
    address form per address) run the same code: sweep one of each."""
    action = RECORD_ID.sub("ID", form["action"])
    names = tuple(sorted({RECORD_ID.sub("N", f[0]) for f in form["fields"]}))
    return action, form["method"], names


def _distinct_buttons(fields):
    """A form's submit buttons, one per distinct action (``delete:0`` … ``delete:9`` are one)."""
    seen = {}
    for field in fields:
        if field[2] == "button":
            seen.setdefault((field[0], RECORD_ID.sub("N", field[1])), field)
    return list(seen.values())


def _hostile_urls(world):
    ids = {
        "order_id": world["order"].pk,
        "shipment_id": world["shipment"].pk,
        "invoice_id": world["invoice"].pk,
    }
    urls = []
    for bad in ("nope", "00000000-0000-0000-0000-000000000000", "%00", "1e30"):
        urls += [
            f"/stock/{bad}/",
            f"/orders/{bad}/",
            f"/orders/{bad}/pdf",
            f"/orders/{ids['order_id']}/{bad}",
            f"/shipments/{bad}/",
            f"/shipments/{ids['shipment_id']}/{bad}",
            f"/invoices/{bad}/",
            f"/invoices/{ids['invoice_id']}/{bad}",
            f"/customers/{bad}/",
            f"/price-lists/{bad}/",
            f"/settings/{bad}/",
            f"/orders/export.{bad}",
            f"/returns/{bad}/",
            f"/returns/{world['rma'].pk}/{bad}",
            f"/orders/{bad}/returns/new",
        ]
    for name in (
        "order_list",
        "invoice_list",
        "payment_list",
        "stock_moves",
        "customer_list",
        "rma_list",
    ):
        for param in ("q", "from", "to", "status", "page", "customer", "salesperson", "search"):
            for bad in HOSTILE:
                urls.append((reverse(name), {param: bad}))
    for fmt in ("csv", "xlsx"):
        for param in ("from", "to", "status", "q"):
            for bad in HOSTILE:
                urls.append((reverse("order_export", args=[fmt]), {param: bad}))
    return urls


@pytest.mark.parametrize("role", [Role.ADMIN, Role.SALES_REP])
def test_no_web_input_answers_a_server_error(client, world, make_user, company, team, role):
    user = make_user(role, company, team=team)
    client.force_login(user)
    client.raise_request_exception = False  # count every 5xx instead of stopping at the first
    start = [reverse(name) for name in PAGES]
    start += [
        reverse("order_detail", args=[world["order"].pk]),
        reverse("order_detail", args=[world["draft"].pk]),
        reverse("shipment_detail", args=[world["shipment"].pk]),
        reverse("invoice_detail", args=[world["invoice"].pk]),
        reverse("customer_detail", args=[world["order"].customer_id]),
        reverse("rma_detail", args=[world["rma"].pk]),
        reverse("rma_new", args=[world["order"].pk]),
    ]
    start += [reverse("settings_section", args=[s]) for s in _settings_sections()]
    start += [f"/stock/{kind}/" for kind in ("receipt", "adjustment")]
    pages, forms, attempts, results, failures = _sweep(client, start, budget=80)
    for item in _hostile_urls(world):
        url, params = item if isinstance(item, tuple) else (item, None)
        response = client.get(url, params)
        attempts += 1
        results[response.status_code // 100] += 1
        if response.status_code >= 500:
            failures.append(("GET", url, params and repr(next(iter(params.items())))[:40]))
    print(
        f"\nweb sweep ({role}): {len(pages)} pages, {len(forms)} forms, {attempts} attempts, "
        f"statuses by class {dict(sorted(results.items()))}, {len(failures)} failures"
    )
    for failure in sorted(set(failures), key=str)[:200]:
        print("  5xx:", *failure)
    assert len(forms) >= (20 if role == Role.ADMIN else 8)
    assert failures == []


def _settings_sections():
    from ordercrm.web.settings_pages import SECTIONS

    return [name for name, *_rest in SECTIONS]
